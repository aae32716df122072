"""How many numba threads the ``cpu`` kernels run on (see ``cpu.py``'s docstring for why 1).

``MINICNN_KERNEL_THREADS`` sets it at import, ``set_threads(n)`` later; both accept 1 to
numba's ``NUMBA_NUM_THREADS``.
"""
import functools
import os

import numba
from numba import njit


def _checked_threads(n, where):
    """``n`` as a thread count from 1 to numba's ``NUMBA_NUM_THREADS``, or a clear error."""
    most = numba.config.NUMBA_NUM_THREADS
    try:
        count = int(n)
    except (TypeError, ValueError):
        count = 0
    if not 1 <= count <= most or count != float(n):
        raise ValueError(f"{where}: kernel threads must be a whole number from 1 to {most} "
                         f"(NUMBA_NUM_THREADS), got {n!r}")
    return count


THREADS = _checked_threads(os.environ.get("MINICNN_KERNEL_THREADS", "1"),
                           "MINICNN_KERNEL_THREADS")


def set_threads(n):
    """Run the kernels on ``n`` numba threads (at most numba's ``NUMBA_NUM_THREADS``)."""
    global THREADS
    THREADS = _checked_threads(n, "set_threads")


def parallel(loops):
    """``njit(parallel=True, cache=True)``, called on ``THREADS`` threads.

    numba's thread count belongs to the calling thread, so it is set at each call
    (about a microsecond); ``.compiled`` is the jitted function itself.
    """
    compiled = njit(parallel=True, cache=True)(loops)

    @functools.wraps(loops)
    def run(*args):
        numba.set_num_threads(min(THREADS, numba.config.NUMBA_NUM_THREADS))
        return compiled(*args)

    run.compiled = compiled
    return run
