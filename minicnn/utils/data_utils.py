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
from urllib.parse import urlparse


TIMEOUT = 30  # seconds to connect, and at most between two received chunks
_ALGORITHMS = {32: "md5", 64: "sha256"}  # hex digest length -> hash algorithm


class DownloadError(OSError):
    """A file is neither in the cache nor fetchable: offline, unreachable, or a bad hash.

    Attributes:
        url: where the file would come from.
        path: where the file belongs in the cache (put it there by hand to go without network).
        reason: a few words on what went wrong, e.g. ``'offline (MINICNN_OFFLINE=1)'``.
    """

    def __init__(self, message, url=None, path=None, reason=None):
        super().__init__(message)
        self.url, self.path, self.reason = url, path, reason


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
    whose hash does not match is downloaded again. The download is checked before it is moved
    into place, so a failure leaves no file behind.

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
            download failed (no network, HTTP error, timeout), or its hash did not match.
        ValueError: ``file_hash`` or ``hash_algorithm`` is malformed, or ``origin`` is not HTTP.
    """
    known_hash = _known_hash(file_hash, hash_algorithm)
    folder = os.path.join(os.path.expanduser(cache_dir) if cache_dir else minicnn_home(),
                          cache_subdir)
    path = os.path.abspath(os.path.join(folder, fname))
    present = os.path.exists(path)
    if present and (known_hash is None or _hash_ok(path, known_hash)):
        return path
    if urlparse(origin).scheme not in ("http", "https"):
        raise ValueError(f"get_file expects an http(s) origin, got {origin!r}")
    manual = f"put the file at {path} by hand"
    if known_hash:
        algorithm, digest = known_hash.split(":")
        manual += f" (its {algorithm} must be {digest})"
    stale = f"{path} fails its hash check" if present else f"{path} is missing"
    if is_offline():
        raise DownloadError(
            f"{stale} and MINICNN_OFFLINE=1 forbids downloading it from {origin}: "
            f"unset MINICNN_OFFLINE on a machine with network, or {manual}.",
            origin, path, "offline (MINICNN_OFFLINE=1)")
    try:
        _download(origin, path, known_hash)
    except OSError as exc:  # requests' errors are OSErrors: refused, timeout, HTTP 404, ...
        raise DownloadError(
            f"Could not download {origin} to {path} ({type(exc).__name__}: {exc}). "
            f"Check the network and retry, or {manual}.",
            origin, path, f"download failed: {type(exc).__name__}") from exc
    except ValueError as exc:  # pooch's hash mismatch (it has deleted the download)
        raise DownloadError(
            f"Downloaded {origin} but it does not match the expected hash, so nothing was kept "
            f"({exc}). The transfer may have been corrupted: retry, or {manual}.",
            origin, path, "hash mismatch") from exc
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


def _hash_ok(path, known_hash):
    algorithm, digest = known_hash.split(":")
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest() == digest


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
