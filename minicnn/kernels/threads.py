"""How many threads minicnn's work runs on: the numba kernels' and the matrix products'.

One setting for both (``parallel.py`` shares the products among the same number of
threads): ``MINICNN_THREADS`` at import (the older ``MINICNN_KERNEL_THREADS`` too),
``set_threads(n)`` later; the default is every CPU this process may run on.

A numba kernel runs on that many threads only when its largest array holds at least
``PARALLEL_MIN`` numbers: waking threads costs tens of microseconds, more than a small
kernel takes (the MNIST net at batch 16 ran 13% slower on two threads than on one).
BLAS itself never runs its own threads (``parallel.one_blas_thread``), so the kernels'
OpenMP threads and minicnn's product threads never wait on a third pool.
"""
import functools
import os

import numba
from numba import njit

PARALLEL_MIN = 1 << 20          # numbers in a kernel's largest array before it uses threads


def _checked_threads(n, where):
    """``n`` as a thread count of at least 1, or a clear error naming ``where``."""
    try:
        count = int(n)
    except (TypeError, ValueError):
        count = 0
    if count < 1 or count != float(n):
        raise ValueError(f"{where}: threads must be a whole number of at least 1, got {n!r}")
    return count


def _available_cpus():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:       # not on Linux
        return os.cpu_count() or 1


def _from_environment():
    for name in ("MINICNN_THREADS", "MINICNN_KERNEL_THREADS"):
        if name in os.environ:
            return _checked_threads(os.environ[name], name)
    return _available_cpus()


THREADS = _from_environment()


def set_threads(n):
    """Run minicnn's kernels and matrix products on ``n`` threads (1: the caller alone)."""
    global THREADS
    THREADS = _checked_threads(n, "set_threads")


def kernel_threads(args):
    """The numba threads for one call on ``args``: ``THREADS`` for big arrays, else 1."""
    largest = max((a.size for a in args if hasattr(a, "size")), default=0)
    if largest < PARALLEL_MIN:
        return 1
    return min(THREADS, numba.config.NUMBA_NUM_THREADS)


def parallel(loops):
    """``njit(parallel=True, cache=True)``, called on ``kernel_threads(args)`` threads.

    numba's thread count belongs to the calling thread, so it is set at each call
    (about a microsecond); ``.compiled`` is the jitted function itself.
    """
    compiled = njit(parallel=True, cache=True)(loops)

    @functools.wraps(loops)
    def run(*args):
        numba.set_num_threads(kernel_threads(args))
        return compiled(*args)

    run.compiled = compiled
    return run
