"""``get_file``: fetch a file once into the minicnn cache, hash-checked, as Keras' ``get_file``.

The cache is ``$MINICNN_HOME`` (default ``~/.minicnn``) with datasets under ``datasets/``, the
way Keras keeps ``~/.keras/datasets``. ``MINICNN_OFFLINE=1`` forbids the network: files already
in the cache are used, a missing one raises ``DownloadError`` without any connection.

pooch does the transfer: it streams into a temporary file beside the target, checks the hash and
only then moves the file into place, so a failed or corrupt download never leaves a partial
file. A hand-written urllib loop would have to redo exactly that.
"""
import hashlib
import importlib.util
import os
import sys
import tempfile
from urllib.parse import urlparse


TIMEOUT = 30  # seconds to connect, and at most between two received chunks
_ALGORITHMS = {32: "md5", 64: "sha256"}  # hex digest length -> hash algorithm


class DownloadError(OSError):
    """A file is neither in the cache nor fetchable: offline, unreachable, a bad hash, or a
    cache folder that cannot be written.

    Attributes:
        url: where the file would come from.
        path: where the file belongs in the cache (put it there by hand to go without network).
        reason: a few words on what went wrong, e.g. ``'offline (MINICNN_OFFLINE=1)'``.
        found_hash: ``'sha256:<hex>'`` of a file already at ``path`` that failed its hash
            check (damaged or another version), else ``None``.
    """

    def __init__(self, message, url=None, path=None, reason=None, found_hash=None):
        super().__init__(message)
        self.url, self.path, self.reason, self.found_hash = url, path, reason, found_hash


def minicnn_home():
    """The cache root: ``$MINICNN_HOME``, else ``~/.minicnn``."""
    return os.path.expanduser(os.environ.get("MINICNN_HOME") or os.path.join("~", ".minicnn"))


def is_offline():
    """True when ``MINICNN_OFFLINE`` is ``1`` (or ``true``/``yes``): never use the network."""
    return os.environ.get("MINICNN_OFFLINE", "").strip().lower() in ("1", "true", "yes")


def get_file(fname, origin, file_hash=None, hash_algorithm="auto", cache_subdir="datasets",
             cache_dir=None):
    """Return the local path of ``fname``, downloading it from ``origin`` when it is missing.

    A file already in the cache whose hash matches is used without touching the network; one
    whose hash does not match is downloaded again (saying so, as Keras does). The download is
    checked before it is moved into place, so a failure leaves no file behind.

    Args:
        fname: file name in the cache; an absolute path is used as it is.
        origin: ``http://`` or ``https://`` URL of the file.
        file_hash: expected hex digest (md5 or sha256), or ``None`` to accept any content.
        hash_algorithm: ``'md5'``, ``'sha256'``, or ``'auto'``: 32 hex digits mean md5, 64 sha256.
        cache_subdir: folder under ``cache_dir``, like Keras' ``'datasets'``.
        cache_dir: cache root; ``None`` means ``$MINICNN_HOME`` (default ``~/.minicnn``).

    Returns:
        str: absolute path of the verified local file.

    Raises:
        DownloadError: offline (``MINICNN_OFFLINE=1``) with no good copy in the cache, or the
            download failed (no network, HTTP error, timeout), or its hash did not match, or
            the cache folder cannot be created or written (its permissions).
        ValueError: ``file_hash`` or ``hash_algorithm`` is malformed, or ``origin`` is not HTTP.
    """
    known_hash = _known_hash(file_hash, hash_algorithm)
    folder = os.path.join(os.path.expanduser(cache_dir) if cache_dir else minicnn_home(),
                          cache_subdir)
    path = os.path.abspath(os.path.join(folder, fname))
    found = None                            # the digest of a cached file that fails its check
    if os.path.exists(path):
        found = known_hash and _digest(path, known_hash.split(":")[0], origin)
        if found == known_hash or known_hash is None:
            return path
    if urlparse(origin).scheme not in ("http", "https"):
        raise ValueError(f"get_file expects an http(s) origin, got {origin!r}")
    manual = f"put the file at {path} by hand"
    if known_hash:
        algorithm, digest = known_hash.split(":")
        manual += f" (its {algorithm} must be {digest})"
    if found:
        stale = (f"{path} is there but its {algorithm} is {found.split(':')[1]}, expected "
                 f"{digest} (a damaged download or another version of the file)")
        manual = f"replace it by hand with the genuine file (its {algorithm} must be {digest})"
    else:
        stale = f"{path} is missing"
    if is_offline():
        raise DownloadError(
            f"{stale}, and MINICNN_OFFLINE=1 forbids downloading it from {origin}: "
            f"unset MINICNN_OFFLINE on a machine with network, or {manual}.",
            origin, path, "offline (MINICNN_OFFLINE=1)", found)
    try:
        _writable(os.path.dirname(path))
    except OSError as exc:              # permissions, or a file where a folder should be
        raise DownloadError(
            f"Cannot write to the cache folder {os.path.dirname(path)} "
            f"({type(exc).__name__}: {exc}). Check that folder's permissions (and that no "
            "file stands in its place), or choose a writable cache with MINICNN_HOME "
            f"(or cache_dir=); or {manual}.",
            origin, path, f"cache folder not writable: {type(exc).__name__}", found) from exc
    if found:
        print(f"{stale}; downloading it again.", flush=True)
    try:
        _download(origin, path, known_hash)
    except OSError as exc:  # requests' errors are OSErrors: refused, timeout, HTTP 404, ...
        raise DownloadError(
            f"Could not download {origin} to {path} ({type(exc).__name__}: {exc}). "
            f"Check the network and retry, or {manual}.",
            origin, path, f"download failed: {type(exc).__name__}", found) from exc
    except ValueError as exc:  # pooch's hash mismatch (it has deleted the download)
        raise DownloadError(
            f"Downloaded {origin} but it does not match the expected hash, so nothing was kept "
            f"({exc}). The transfer may have been corrupted: retry, or {manual}.",
            origin, path, "hash mismatch", found) from exc
    return path


def _known_hash(file_hash, hash_algorithm):
    """``'md5:<hex>'`` / ``'sha256:<hex>'`` in pooch's notation, or ``None`` for no check."""
    if file_hash is None:
        return None
    file_hash = file_hash.strip().lower()
    if hash_algorithm == "auto":
        if len(file_hash) not in _ALGORITHMS:
            raise ValueError(f"file_hash must be 32 (md5) or 64 (sha256) hex digits, "
                             f"got {len(file_hash)}: {file_hash!r}")
        hash_algorithm = _ALGORITHMS[len(file_hash)]
    if hash_algorithm not in ("md5", "sha256"):
        raise ValueError(
            f"hash_algorithm must be 'auto', 'md5' or 'sha256', got {hash_algorithm!r}")
    return f"{hash_algorithm}:{file_hash}"


def _digest(path, algorithm, origin):
    """``'<algorithm>:<hex>'`` of the file at ``path``; a DownloadError if it cannot be read."""
    h = hashlib.new(algorithm)
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError as exc:
        raise DownloadError(
            f"Cannot read the cached file {path} ({type(exc).__name__}: {exc}). Check its "
            "permissions (and its folder's), or delete it to download it again.",
            origin, path, f"cached file unreadable: {type(exc).__name__}") from exc
    return f"{algorithm}:{h.hexdigest()}"


def _writable(folder):
    """Create ``folder`` if needed and prove a file can be written there (pooch's own check
    would end in a message about the network)."""
    os.makedirs(folder, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder):
        pass


def _download(origin, path, known_hash):
    """Stream ``origin`` to ``path`` through pooch, quietly unless stdout is a terminal."""
    import pooch  # only when downloading: minicnn imports without it (e.g. on a GPU box)

    progressbar = sys.stdout.isatty() and importlib.util.find_spec("tqdm") is not None
    print(f"Downloading data from {origin}", flush=True)
    downloader = pooch.HTTPDownloader(timeout=TIMEOUT, progressbar=progressbar)
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("WARNING")  # pooch's own notes speak of its API, not ours
    try:
        pooch.retrieve(origin, known_hash, fname=os.path.basename(path),
                       path=os.path.dirname(path), downloader=downloader)
    finally:
        logger.setLevel(level)
