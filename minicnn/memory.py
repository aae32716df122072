"""Keep freed memory for the next training step (glibc's malloc, on Linux).

A training step allocates the same large arrays every time: im2col matrices,
activations, their gradients. glibc hands blocks above a threshold straight back
to the operating system when NumPy frees them (``munmap``, or trimming the top
of the heap), so the next step's arrays start as fresh pages that the kernel
must fault in and zero one 4 KiB page at a time. At batch 256 the MNIST convnet
took about 2,100 page faults per step, a fifth of its time. ``keep_freed_memory``
raises those thresholds (``mallopt``): blocks up to 32 MiB come from the heap and
freed memory stays in the process, up to ``TRIM_BYTES``, ready for the next step
(about 70 faults per step). The peak memory does not grow; the process just
keeps what it already needed. minicnn calls it once on import; set
``MINICNN_KEEP_FREED_MEMORY=0`` to leave malloc as it is. Elsewhere (macOS,
Windows, musl) it does nothing and returns ``False``.
"""
import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3      # glibc's <malloc.h> parameter numbers
MMAP_BYTES = 32 << 20                            # glibc's largest mmap threshold (64-bit)
TRIM_BYTES = 1 << 30


def keep_freed_memory():
    """Raise glibc's mmap and trim thresholds; ``True`` when both were set."""
    if not sys.platform.startswith("linux") or os.environ.get(
            "MINICNN_KEEP_FREED_MEMORY", "1") == "0":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):               # not glibc
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_BYTES)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_BYTES))
