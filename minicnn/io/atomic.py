"""Atomic saves: a file is replaced whole, or not at all, and leaves no debris.

Every save writes a hidden temporary file beside its target and moves it onto the target
(``os.replace``) only when it is complete, so an interrupted save leaves the old file as it
was. The temporary file is named after its target and its writer,
``.m.h5.<pid>.<host>.<random>.tmp``. An exception removes it at once; a process that is
killed (``SIGKILL``, a power cut) cannot, so the next save to the same target removes the
temporary files of that target whose writer is gone: a process of this host that no longer
runs, or any writer whose file has not changed for a day (a pid used again, another host, an
older minicnn's ``.m.h5.XXXXXXXX.tmp``). Files of live writers are left alone, so two
processes may save to one path at once: the last to finish wins, whole.
"""
import contextlib
import os
import re
import secrets
import socket
import time
import zlib

import h5py

STALE_SECONDS = 24 * 3600     # a writer that has not written for a day is gone
HOST = f"{zlib.crc32(socket.gethostname().encode('utf-8', 'replace')):08x}"  # in the names


def _stem(base):
    """``base``, or for a name too long to take our suffix, its start and a checksum."""
    if len(base.encode("utf-8", "surrogateescape")) <= 200:
        return base
    return f"{base[:150]}~{zlib.crc32(base.encode('utf-8', 'surrogateescape')):08x}"


def _pattern(base):
    """What our temporary files for target ``base`` look like: ``(pid, host)`` groups, or a
    legacy ``mkstemp`` name (8 characters from ``[a-z0-9_]``)."""
    return re.compile(rf"\.{re.escape(_stem(base))}\.(?:(\d+)\.([0-9a-f]{{8}})\.[0-9a-f]{{16}}"
                      rf"|[a-z0-9_]{{8}})\.tmp")


def _alive(pid):
    if pid == os.getpid() or os.name == "nt":   # a thread of ours; Windows' kill terminates
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True                      # someone else's process, or a pid we cannot ask
    return True


def remove_stale(path):
    """Remove the temporary files that earlier, interrupted saves to ``path`` left."""
    folder, base = os.path.split(os.path.abspath(path))
    pattern = _pattern(base)
    try:
        names = os.listdir(folder)
    except OSError:
        return
    now = time.time()
    for name in names:
        match = pattern.fullmatch(name)
        if match is None:
            continue
        tmp = os.path.join(folder, name)
        with contextlib.suppress(OSError):
            pid, host = match.group(1), match.group(2)
            writer_gone = pid is not None and host == HOST and not _alive(int(pid))
            if writer_gone or now - os.lstat(tmp).st_mtime > STALE_SECONDS:
                os.remove(tmp)


def _create(folder, base):
    """A new, empty temporary file of ours for ``base`` (``O_EXCL``: never someone else's)."""
    while True:
        name = f".{_stem(base)}.{os.getpid()}.{HOST}.{secrets.token_hex(8)}.tmp"
        try:
            fd = os.open(os.path.join(folder, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        os.close(fd)
        return os.path.join(folder, name)


@contextlib.contextmanager
def atomic_path(path, overwrite=True):
    """The path of a temporary file beside ``path``, moved onto ``path`` when the block
    ends without error (``os.replace``): a failed or interrupted save never leaves a
    broken file in place of a good one."""
    path = os.fspath(path)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path} exists and overwrite=False")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    remove_stale(path)
    tmp = _create(folder, os.path.basename(path))
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)   # the private 0600 would outlive the rename
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


@contextlib.contextmanager
def atomic_h5(path, overwrite=True):
    """An ``h5py.File`` written to ``atomic_path(path)``: all of it, or nothing."""
    with atomic_path(path, overwrite) as tmp, h5py.File(tmp, "w") as f:
        yield f
