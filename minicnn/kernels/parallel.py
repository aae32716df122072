"""minicnn's own threads for the matrix products: BLAS on one thread, the work in chunks.

Why not let OpenBLAS use every core itself? Its threads meet at the end of every product,
so a product waits for the slowest of them. On a quiet machine that costs nothing; with one
other busy program on a 2-core machine the system keeps pausing one of them, and a
(2000, 256) x (256, 256) product ran at 35 GFLOP/s on two threads against 100 on one
(VGG16's base: 9 images/s against 16). So minicnn runs every BLAS call on one thread and
splits a big product into chunks that its threads take one at a time, the calling thread
included: a thread the system pauses holds up one chunk, not the product, and the others
go on with the rest. Quiet, the two threads together run as fast as OpenBLAS's two.

- ``threads.THREADS``: how many threads share the work (``MINICNN_THREADS``, or
  ``threads.set_threads``; default: the CPUs this process may run on);
- ``for_each(n, body)``: ``body(0) ... body(n - 1)`` on those threads, taken in turn;
- ``matmul(a, b, out)``: one 2-D product, split along the output's longer side (or, for a
  small output and a long inner axis, along that axis, the partial products added);
- ``one_blas_thread()``: BLAS on one thread inside the block, restored after (threadpoolctl
  finds the BLAS NumPy uses, whichever it is).

Small products (under ``MIN_WORK`` multiply-adds) are not split: handing a chunk to a
thread costs tens of microseconds.
"""
import contextlib
import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import threads

MIN_WORK = 8_000_000            # multiply-adds of the smallest piece (~0.15 ms on one core)
CHUNKS_PER_THREAD = 4           # more chunks than threads: a paused thread holds up little
_pool, _pool_size = None, 0


def _threads():
    return threads.THREADS


def _reset_after_fork():
    global _pool
    _pool = None                 # the child has none of the parent's threads


os.register_at_fork(after_in_child=_reset_after_fork)


# ------------------------------------------------------------------ BLAS threads
@contextlib.contextmanager
def one_blas_thread():
    """Inside the block NumPy's BLAS runs each call on the calling thread only."""
    controllers = _blas_controllers()
    saved = [c.get_num_threads() for c in controllers]
    for c in controllers:
        c.set_num_threads(1)
    try:
        yield
    finally:
        for c, n in zip(controllers, saved):
            c.set_num_threads(n)


_controllers = None


def _blas_controllers():
    """threadpoolctl's handles on the BLAS libraries loaded now (looked up once)."""
    global _controllers
    if _controllers is None:
        from threadpoolctl import ThreadpoolController

        _controllers = ThreadpoolController().select(user_api="blas").lib_controllers
    return _controllers


# --------------------------------------------------------------------- the work
def for_each(n, body):
    """Run ``body(i)`` for ``i`` in ``range(n)`` on ``threads.THREADS`` threads, BLAS on one
    each.

    The threads (the caller among them) take the next ``i`` as they finish the last, so
    a thread paused by the system delays one ``body``, not all of them; and the caller
    returns when every ``body`` is done, without waiting for a helper that woke too late
    to find any work (on a busy machine a wake-up can take a whole time slice).
    """
    with one_blas_thread():
        count = _threads()
        if count == 1 or n == 1:
            for i in range(n):
                body(i)
            return
        counter, done, lock, finished = itertools.count(), [0], threading.Lock(), \
            threading.Event()
        errors = []

        def work():
            for i in iter(counter.__next__, None):
                if i >= n:
                    return
                try:
                    body(i)
                except BaseException as error:     # re-raised in the caller
                    errors.append(error)
                with lock:
                    done[0] += 1
                    if done[0] == n:
                        finished.set()
        pool = _executor(count)
        for _ in range(min(count, n) - 1):
            pool.submit(work)
        work()
        finished.wait()
        if errors:
            raise errors[0]


def _executor(count):
    """The helper threads (``count - 1`` of them; made again when the setting changes)."""
    global _pool, _pool_size
    if _pool is None or _pool_size != count - 1:
        if _pool is not None:
            _pool.shutdown(wait=False)
        _pool, _pool_size = ThreadPoolExecutor(count - 1, thread_name_prefix="minicnn"), count - 1
    return _pool


def matmul(a, b, out=None):
    """``a @ b`` for 2-D NumPy arrays ``a: (M, K)``, ``b: (K, N)`` -> ``out: (M, N)``.

    Split in up to ``CHUNKS_PER_THREAD * threads.THREADS`` pieces along ``M`` or ``N`` (rows of
    ``a`` or columns of ``b``, views: nothing is copied), or along ``K`` when the output is
    too small to split (``cols.T @ dz``, a convolution's kernel gradient), the partial
    products then added.
    """
    (M, K), N = a.shape, b.shape[1]
    if out is None:
        out = np.empty((M, N), dtype=np.result_type(a, b))
    pieces = min(CHUNKS_PER_THREAD * _threads(), M * K * N // MIN_WORK)
    if pieces < 2:
        with one_blas_thread():
            return np.matmul(a, b, out=out)
    side = max(M, N)
    if side >= 16 * pieces:
        bounds = np.linspace(0, side, pieces + 1).astype(int)
        if M >= N:
            for_each(pieces, lambda i: np.matmul(a[bounds[i]:bounds[i + 1]], b,
                                                 out=out[bounds[i]:bounds[i + 1]]))
        else:
            for_each(pieces, lambda i: np.matmul(a, b[:, bounds[i]:bounds[i + 1]],
                                                 out=out[:, bounds[i]:bounds[i + 1]]))
        return out
    pieces = min(pieces, max(1, K // 256))             # along K: each piece's own output
    bounds = np.linspace(0, K, pieces + 1).astype(int)
    partial = np.empty((pieces, M, N), dtype=out.dtype)
    for_each(pieces, lambda i: np.matmul(a[:, bounds[i]:bounds[i + 1]],
                                         b[bounds[i]:bounds[i + 1]], out=partial[i]))
    return np.sum(partial, axis=0, out=out)
