"""numba twins of the kernels: the same index math as ``reference.py``, compiled.

Each public function is a thin Python wrapper: it asks ``conv_geometry`` for the
sizes, allocates the output in the input's dtype (float32 or float64) and calls a
jitted inner function ``_name`` that fills it. The inner functions

- run in parallel (``prange``) over rows of the image, so batch 1 uses every
  core too: the forward passes over the ``N*OH`` output rows ``(n, oh)``, the
  backward passes over the ``N*H`` input rows ``(n, ih)``;
- move contiguous runs of numbers: in NHWC a pixel's ``C`` channels are
  consecutive, and so are the ``KW*C`` numbers of one window row
  ``x[n, ih, iw0:iw0 + KW, :]``, exactly as they sit in a row of ``cols``;
- never let two threads write the same cell: a backward thread owns whole input
  rows ``(n, ih)`` and *gathers* into them from the windows that cover them,
  instead of scattering windows onto pixels (which would race where windows
  overlap, stride < kernel). Window row ``oh`` covers input row ``ih`` with its
  cell ``ki`` when ``ih + PT - ki == oh*SH``.

Compiled code is cached next to this file (``cache=True``), so only the first
run in a fresh checkout pays the compile time (a few seconds per dtype).

Threads: a layer alternates a numba kernel (numba's OpenMP threads) with a matrix
product. By default OpenMP threads spin for a while after each parallel loop, holding the
cores the product needs next (on 2 cores a whole MNIST forward pass took 32 ms instead of
5); ``OMP_WAIT_POLICY=PASSIVE`` makes them sleep at once; it is set here, before numba
starts its threads, unless you set it yourself. The products never start a BLAS thread
pool of their own (``parallel.py``): two pools waiting on each other's sleeping threads
had made an MNIST training step take 1.2 s instead of 11 ms when other programs kept
every core busy. The kernels run on ``threads.kernel_threads(args)`` threads: all of
``threads.THREADS`` for big arrays, one for small ones (``MINICNN_THREADS``,
``set_threads(n)``, from ``threads.py``).
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
from numba import njit, prange  # noqa: E402

from .geometry import argmax_dtype, conv_geometry  # noqa: E402
from . import threads  # noqa: E402

_parallel = threads.parallel
set_threads = threads.set_threads                  # the public switch, kept here too


def _expect(kernel, what, array, shape):
    """Check a shape before the compiled code, which does not check indices, runs."""
    if tuple(array.shape) != tuple(shape):
        raise ValueError(f"{kernel}: expected {what} of shape {tuple(shape)}, "
                         f"got {tuple(array.shape)}")


# ------------------------------------------------------------------ im2col / col2im
@_parallel
def _im2col(x, cols, OH, OW, KH, KW, SH, SW, PT, PL):
    N, H, W, C = x.shape
    xrows = x.reshape((N, H, W * C))  # a pixel row as one run of W*C numbers
    span = KW * C  # numbers in one window row
    for r in prange(N * OH):  # r = n*OH + oh
        n, oh = r // OH, r % OH
        for ow in range(OW):
            row = r * OW + ow
            iw0 = ow * SW - PL  # input column under cell kj = 0
            for ki in range(KH):
                ih = oh * SH + ki - PT
                col = ki * span
                if ih < 0 or ih >= H:  # a window row of padding
                    for m in range(span):
                        cols[row, col + m] = 0
                elif iw0 >= 0 and iw0 + KW <= W:  # the window row is inside: one run
                    src = xrows[n, ih, iw0 * C:iw0 * C + span]
                    dst = cols[row, col:col + span]
                    for m in range(span):
                        dst[m] = src[m]
                else:  # at the left or right border: pixel by pixel
                    for kj in range(KW):
                        iw = iw0 + kj
                        inside = 0 <= iw < W
                        for c in range(C):
                            cols[row, col + kj * C + c] = x[n, ih, iw, c] if inside else 0


@_parallel
def _col2im(cols, dx, OH, OW, KH, KW, SH, SW, PT, PL):
    N, H, W, C = dx.shape
    dxrows = dx.reshape((N, H, W * C))
    span = KW * C
    for r in prange(N * H):  # r = n*H + ih: this thread owns input row (n, ih)
        n, ih = r // H, r % H
        out = dxrows[n, ih]  # (W*C,) view of the row this thread owns
        out[:] = 0
        for ki in range(KH):
            t = ih + PT - ki  # window row oh covers ih with cell ki when t == oh*SH
            if t < 0 or t % SH != 0 or t // SH >= OH:
                continue
            oh, col = t // SH, ki * span
            for ow in range(OW):
                row = (n * OH + oh) * OW + ow
                iw0 = ow * SW - PL
                if iw0 >= 0 and iw0 + KW <= W:  # the window row is inside: one run
                    src = cols[row, col:col + span]
                    dst = out[iw0 * C:iw0 * C + span]
                    for m in range(span):
                        dst[m] += src[m]
                else:  # padding cells are dropped
                    for kj in range(KW):
                        iw = iw0 + kj
                        if 0 <= iw < W:
                            for c in range(C):
                                dx[n, ih, iw, c] += cols[row, col + kj * C + c]


def im2col(x, KH, KW, SH, SW, padding):
    """Windows of ``x`` as rows. See ``reference.im2col``.

    Args:
        x: (N, H, W, C) float32 or float64.

    Returns:
        cols: (N*OH*OW, KH*KW*C), dtype of ``x``, C-contiguous.
    """
    N, H, W, C = x.shape
    OH, OW, PT, PB, PL, PR = conv_geometry(H, W, KH, KW, SH, SW, padding)
    x = np.ascontiguousarray(x)
    cols = np.empty((N * OH * OW, KH * KW * C), dtype=x.dtype)
    _im2col(x, cols, OH, OW, KH, KW, SH, SW, PT, PL)
    return cols


def col2im(cols, x_shape, KH, KW, SH, SW, padding):
    """Adjoint of ``im2col``. See ``reference.col2im``.

    Args:
        cols: (N*OH*OW, KH*KW*C) float32 or float64.
        x_shape: (N, H, W, C).

    Returns:
        dx: ``x_shape``, dtype of ``cols``.
    """
    N, H, W, C = x_shape
    OH, OW, PT, PB, PL, PR = conv_geometry(H, W, KH, KW, SH, SW, padding)
    _expect("col2im", "cols", cols, (N * OH * OW, KH * KW * C))
    cols = np.ascontiguousarray(cols)
    dx = np.empty((N, H, W, C), dtype=cols.dtype)
    _col2im(cols, dx, OH, OW, KH, KW, SH, SW, PT, PL)
    return dx


# --------------------------------------------------------------------- max pooling
@_parallel
def _maxpool_forward(x, y, argmax, KH, KW, SH, SW, PT, PL):
    N, H, W, C = x.shape
    OH, OW = y.shape[1], y.shape[2]
    for r in prange(N * OH):
        n, oh = r // OH, r % OH
        for ow in range(OW):
            first = True  # no real pixel seen yet in this window
            for ki in range(KH):
                ih = oh * SH + ki - PT
                for kj in range(KW):
                    iw = ow * SW + kj - PL
                    if not (0 <= ih < H and 0 <= iw < W):
                        continue  # padding never wins
                    p = ki * KW + kj
                    if first:
                        for c in range(C):
                            y[n, oh, ow, c] = x[n, ih, iw, c]
                            argmax[n, oh, ow, c] = p
                        first = False
                    else:
                        for c in range(C):
                            if x[n, ih, iw, c] > y[n, oh, ow, c]:  # ties keep the first
                                y[n, oh, ow, c] = x[n, ih, iw, c]
                                argmax[n, oh, ow, c] = p


@_parallel
def _maxpool_backward(dy, argmax, dx, KH, KW, SH, SW, PT, PL):
    N, H, W, C = dx.shape
    OH, OW = dy.shape[1], dy.shape[2]
    for r in prange(N * H):  # this thread owns input row (n, ih)
        n, ih = r // H, r % H
        dx[n, ih, :, :] = 0
        for ki in range(KH):
            t = ih + PT - ki
            if t < 0 or t % SH != 0 or t // SH >= OH:
                continue
            oh = t // SH
            for ow in range(OW):
                for kj in range(KW):
                    iw = ow * SW + kj - PL
                    if not 0 <= iw < W:
                        continue
                    p = ki * KW + kj
                    for c in range(C):
                        if argmax[n, oh, ow, c] == p:  # pixel (ih, iw) won window (oh, ow)
                            dx[n, ih, iw, c] += dy[n, oh, ow, c]


def maxpool_forward(x, KH, KW, SH, SW, padding):
    """Max pooling with the argmax. See ``reference.maxpool_forward``.

    Args:
        x: (N, H, W, C) float32 or float64.

    Returns:
        y: (N, OH, OW, C), dtype of ``x``;
        argmax: (N, OH, OW, C) of ``argmax_dtype(KH, KW)``.
    """
    N, H, W, C = x.shape
    OH, OW, PT, PB, PL, PR = conv_geometry(H, W, KH, KW, SH, SW, padding)
    x = np.ascontiguousarray(x)
    y = np.empty((N, OH, OW, C), dtype=x.dtype)
    argmax = np.empty((N, OH, OW, C), dtype=argmax_dtype(KH, KW))
    _maxpool_forward(x, y, argmax, KH, KW, SH, SW, PT, PL)
    return y, argmax


def maxpool_backward(dy, argmax, x_shape, KH, KW, SH, SW, padding):
    """Route ``dy`` to each window's argmax. See ``reference.maxpool_backward``.

    Args:
        dy: (N, OH, OW, C) float32 or float64.
        argmax: (N, OH, OW, C) integers from ``maxpool_forward``.
        x_shape: (N, H, W, C).

    Returns:
        dx: ``x_shape``, dtype of ``dy``.
    """
    N, H, W, C = x_shape
    OH, OW, PT, PB, PL, PR = conv_geometry(H, W, KH, KW, SH, SW, padding)
    _expect("maxpool_backward", "dy", dy, (N, OH, OW, C))
    _expect("maxpool_backward", "argmax", argmax, (N, OH, OW, C))
    dx = np.empty((N, H, W, C), dtype=dy.dtype)
    _maxpool_backward(np.ascontiguousarray(dy), np.ascontiguousarray(argmax), dx,
                      KH, KW, SH, SW, PT, PL)
    return dx


# ----------------------------------------------------------------- average pooling
@njit(cache=True)
def _count(o, S, K, P, size):
    """Real pixels along one axis under the window of output ``o``."""
    start = o * S - P
    return min(start + K, size) - max(start, 0)


@_parallel
def _avgpool_forward(x, y, KH, KW, SH, SW, PT, PL):
    N, H, W, C = x.shape
    OH, OW = y.shape[1], y.shape[2]
    for r in prange(N * OH):
        n, oh = r // OH, r % OH
        for ow in range(OW):
            for c in range(C):
                y[n, oh, ow, c] = 0
            for ki in range(KH):
                ih = oh * SH + ki - PT
                for kj in range(KW):
                    iw = ow * SW + kj - PL
                    if 0 <= ih < H and 0 <= iw < W:
                        for c in range(C):
                            y[n, oh, ow, c] += x[n, ih, iw, c]
            count = _count(oh, SH, KH, PT, H) * _count(ow, SW, KW, PL, W)
            for c in range(C):
                y[n, oh, ow, c] /= count


@_parallel
def _avgpool_backward(dy, dx, KH, KW, SH, SW, PT, PL):
    N, H, W, C = dx.shape
    OH, OW = dy.shape[1], dy.shape[2]
    for r in prange(N * H):  # this thread owns input row (n, ih)
        n, ih = r // H, r % H
        dx[n, ih, :, :] = 0
        for ki in range(KH):
            t = ih + PT - ki
            if t < 0 or t % SH != 0 or t // SH >= OH:
                continue
            oh = t // SH
            rows = _count(oh, SH, KH, PT, H)
            for ow in range(OW):
                count = rows * _count(ow, SW, KW, PL, W)
                for kj in range(KW):
                    iw = ow * SW + kj - PL
                    if 0 <= iw < W:
                        for c in range(C):
                            dx[n, ih, iw, c] += dy[n, oh, ow, c] / count


def avgpool_forward(x, KH, KW, SH, SW, padding):
    """Mean over each window's real pixels. See ``reference.avgpool_forward``.

    Args:
        x: (N, H, W, C) float32 or float64.

    Returns:
        y: (N, OH, OW, C), dtype of ``x``.
    """
    N, H, W, C = x.shape
    OH, OW, PT, PB, PL, PR = conv_geometry(H, W, KH, KW, SH, SW, padding)
    x = np.ascontiguousarray(x)
    y = np.empty((N, OH, OW, C), dtype=x.dtype)
    _avgpool_forward(x, y, KH, KW, SH, SW, PT, PL)
    return y


def avgpool_backward(dy, x_shape, KH, KW, SH, SW, padding):
    """Adjoint of ``avgpool_forward``. See ``reference.avgpool_backward``.

    Args:
        dy: (N, OH, OW, C) float32 or float64.
        x_shape: (N, H, W, C).

    Returns:
        dx: ``x_shape``, dtype of ``dy``.
    """
    N, H, W, C = x_shape
    OH, OW, PT, PB, PL, PR = conv_geometry(H, W, KH, KW, SH, SW, padding)
    _expect("avgpool_backward", "dy", dy, (N, OH, OW, C))
    dx = np.empty((N, H, W, C), dtype=dy.dtype)
    _avgpool_backward(np.ascontiguousarray(dy), dx, KH, KW, SH, SW, PT, PL)
    return dx


# ------------------------------------------------------------------ bias + ReLU
@_parallel
def _bias_relu(z, bias):
    M, F = z.shape
    for m in prange(M):
        for f in range(F):
            v = z[m, f] + bias[f]
            z[m, f] = 0 if v < 0 else v


def bias_relu(z, bias):
    """``z = max(z + bias, 0)`` in place, one pass over ``z``. See ``reference.bias_relu``.

    NumPy's ``z += bias`` then ``np.maximum(z, 0, out=z)`` reads and writes ``z`` twice;
    on the cats-vs-dogs net that took 20 ms per batch of 32, this takes 5.

    Args:
        z: (M, F) float32 or float64, C-contiguous. bias: (F,).

    Returns:
        ``z``.
    """
    _expect("bias_relu", "bias", bias, (z.shape[1],))
    if not z.flags.c_contiguous:
        raise ValueError("bias_relu: z must be C-contiguous (a matrix product's output)")
    _bias_relu(z, np.ascontiguousarray(bias, dtype=z.dtype))
    return z


@_parallel
def _relu_backward(dy, y, dz):
    for i in prange(dy.size):
        dz[i] = dy[i] if y[i] > 0 else dy[i] * 0      # 0, or NaN for a NaN or inf dy


def relu_backward(dy, y):
    """``dy * (y > 0)`` in one pass, without the boolean mask. See ``reference.relu_backward``.

    Args:
        dy: any shape, float32 or float64. y: the same shape.

    Returns:
        dz: the shape and dtype of ``dy``, C-contiguous.
    """
    _expect("relu_backward", "y", y, dy.shape)
    dz = np.empty(dy.shape, dtype=dy.dtype)
    _relu_backward(np.ascontiguousarray(dy).reshape(-1), np.ascontiguousarray(y).reshape(-1),
                   dz.reshape(-1))
    return dz
