"""The readable specification of the kernels: naive loops, one output cell at a time.

Every function here is written to be followed line by line; ``cpu.py`` (numba) and
``xp.py`` (vectorised) compute the same numbers faster and are tested against it.
The loops run over ``(n, oh, ow, ki, kj)`` and move the contiguous channel vector
``x[n, ih, iw, :]`` in one step (NHWC keeps the ``C`` values of a pixel together).

Index math shared by all twins (see ``geometry.conv_geometry`` for ``OH, OW, PT, PL``)::

    ih = oh*SH + ki - PT        iw = ow*SW + kj - PL       (input pixel under window cell)
    row = (n*OH + oh)*OW + ow   col = (ki*KW + kj)*C + c   (place in the im2col matrix)

A window cell with ``ih`` or ``iw`` outside the image is zero padding.
"""
import numpy as np

from .geometry import argmax_dtype, conv_geometry


def _inside(ih, iw, H, W):
    """True when ``(ih, iw)`` is a real pixel, not a padding cell."""
    return 0 <= ih < H and 0 <= iw < W


def im2col(x, KH, KW, SH, SW, padding):
    """Copy every window of ``x`` into one row of a matrix.

    Args:
        x: (N, H, W, C) float32 or float64 images.
        KH, KW, SH, SW: window size and strides.
        padding: ``'valid'`` or ``'same'``.

    Returns:
        cols: (N*OH*OW, KH*KW*C), dtype of ``x``; padding cells are 0.
    """
    N, H, W, C = x.shape
    OH, OW, PT, PB, PL, PR = conv_geometry(H, W, KH, KW, SH, SW, padding)
    cols = np.zeros((N * OH * OW, KH * KW * C), dtype=x.dtype)
    for n in range(N):
        for oh in range(OH):
            for ow in range(OW):
                row = (n * OH + oh) * OW + ow
                for ki in range(KH):
                    for kj in range(KW):
                        ih = oh * SH + ki - PT
                        iw = ow * SW + kj - PL
                        if _inside(ih, iw, H, W):  # padding cells stay 0
                            col = (ki * KW + kj) * C
                            cols[row, col:col + C] = x[n, ih, iw, :]
    return cols


def col2im(cols, x_shape, KH, KW, SH, SW, padding):
    """The adjoint of ``im2col``: add every row back onto the pixels it came from.

    Args:
        cols: (N*OH*OW, KH*KW*C) float32 or float64, e.g. the gradient of the cols.
        x_shape: (N, H, W, C), the shape of the images given to ``im2col``.

    Returns:
        dx: ``x_shape``, dtype of ``cols``. A pixel under several windows
        receives the sum; values in padding cells are dropped.
    """
    N, H, W, C = x_shape
    OH, OW, PT, PB, PL, PR = conv_geometry(H, W, KH, KW, SH, SW, padding)
    dx = np.zeros((N, H, W, C), dtype=cols.dtype)
    for n in range(N):
        for oh in range(OH):
            for ow in range(OW):
                row = (n * OH + oh) * OW + ow
                for ki in range(KH):
                    for kj in range(KW):
                        ih = oh * SH + ki - PT
                        iw = ow * SW + kj - PL
                        if _inside(ih, iw, H, W):
                            col = (ki * KW + kj) * C
                            dx[n, ih, iw, :] += cols[row, col:col + C]
    return dx


def maxpool_forward(x, KH, KW, SH, SW, padding):
    """Max over each window's real pixels, and where it was.

    Padding cells never take part (as if they held -inf). Cells are visited in
    row-major window order and only a strictly larger value replaces the
    current best, so ties go to the first (smallest) window position.

    Args:
        x: (N, H, W, C) float32 or float64.

    Returns:
        y: (N, OH, OW, C), dtype of ``x``.
        argmax: (N, OH, OW, C) of ``argmax_dtype(KH, KW)``: ``ki*KW + kj`` of the max.
    """
    N, H, W, C = x.shape
    OH, OW, PT, PB, PL, PR = conv_geometry(H, W, KH, KW, SH, SW, padding)
    y = np.zeros((N, OH, OW, C), dtype=x.dtype)
    argmax = np.zeros((N, OH, OW, C), dtype=argmax_dtype(KH, KW))
    for n in range(N):
        for oh in range(OH):
            for ow in range(OW):
                best = None  # no real pixel seen yet in this window
                for ki in range(KH):
                    for kj in range(KW):
                        ih = oh * SH + ki - PT
                        iw = ow * SW + kj - PL
                        if not _inside(ih, iw, H, W):
                            continue
                        v = x[n, ih, iw, :]  # one value per channel
                        if best is None:
                            best = v.copy()
                            where = np.full(C, ki * KW + kj)
                        else:
                            better = v > best  # strict: ties keep the first
                            best[better] = v[better]
                            where[better] = ki * KW + kj
                y[n, oh, ow, :] = best
                argmax[n, oh, ow, :] = where
    return y, argmax


def maxpool_backward(dy, argmax, x_shape, KH, KW, SH, SW, padding):
    """Send each output gradient to the pixel that won its window.

    Args:
        dy: (N, OH, OW, C) float32 or float64, gradient of the pooled output.
        argmax: (N, OH, OW, C) integers from ``maxpool_forward``.
        x_shape: (N, H, W, C).

    Returns:
        dx: ``x_shape``, dtype of ``dy``; overlapping windows add up.
    """
    N, H, W, C = x_shape
    OH, OW, PT, PB, PL, PR = conv_geometry(H, W, KH, KW, SH, SW, padding)
    dx = np.zeros((N, H, W, C), dtype=dy.dtype)
    for n in range(N):
        for oh in range(OH):
            for ow in range(OW):
                for c in range(C):
                    ki, kj = divmod(int(argmax[n, oh, ow, c]), KW)
                    ih = oh * SH + ki - PT
                    iw = ow * SW + kj - PL
                    dx[n, ih, iw, c] += dy[n, oh, ow, c]
    return dx


def _count(oh, ow, H, W, KH, KW, SH, SW, PT, PL):
    """How many real (not padding) pixels the window of output ``(oh, ow)`` covers."""
    rows = min(oh * SH - PT + KH, H) - max(oh * SH - PT, 0)
    cols = min(ow * SW - PL + KW, W) - max(ow * SW - PL, 0)
    return rows * cols


def avgpool_forward(x, KH, KW, SH, SW, padding):
    """Mean over each window's real pixels (padding cells are not counted, as in Keras).

    Args:
        x: (N, H, W, C) float32 or float64.

    Returns:
        y: (N, OH, OW, C), dtype of ``x``.
    """
    N, H, W, C = x.shape
    OH, OW, PT, PB, PL, PR = conv_geometry(H, W, KH, KW, SH, SW, padding)
    y = np.zeros((N, OH, OW, C), dtype=x.dtype)
    for n in range(N):
        for oh in range(OH):
            for ow in range(OW):
                total = np.zeros(C, dtype=x.dtype)
                for ki in range(KH):
                    for kj in range(KW):
                        ih = oh * SH + ki - PT
                        iw = ow * SW + kj - PL
                        if _inside(ih, iw, H, W):
                            total += x[n, ih, iw, :]
                y[n, oh, ow, :] = total / _count(oh, ow, H, W, KH, KW, SH, SW, PT, PL)
    return y


def avgpool_backward(dy, x_shape, KH, KW, SH, SW, padding):
    """The adjoint of ``avgpool_forward``: share each gradient among the window's pixels.

    Args:
        dy: (N, OH, OW, C) float32 or float64.
        x_shape: (N, H, W, C).

    Returns:
        dx: ``x_shape``, dtype of ``dy``.
    """
    N, H, W, C = x_shape
    OH, OW, PT, PB, PL, PR = conv_geometry(H, W, KH, KW, SH, SW, padding)
    dx = np.zeros((N, H, W, C), dtype=dy.dtype)
    for n in range(N):
        for oh in range(OH):
            for ow in range(OW):
                share = dy[n, oh, ow, :] / _count(oh, ow, H, W, KH, KW, SH, SW, PT, PL)
                for ki in range(KH):
                    for kj in range(KW):
                        ih = oh * SH + ki - PT
                        iw = ow * SW + kj - PL
                        if _inside(ih, iw, H, W):
                            dx[n, ih, iw, :] += share
    return dx


# ------------------------------------------------------------------ bias + ReLU
def bias_relu(z, bias):
    """A layer's bias and ReLU in one pass, in place: ``z = max(z + bias, 0)``.

    Args:
        z: (M, F) float32 or float64, a Conv2D's or Dense's matrix product (one row per
            output pixel or sample, one column per filter or unit); overwritten.
        bias: (F,).

    Returns:
        ``z``. A NaN stays NaN, as with ``np.maximum``.
    """
    M, F = z.shape
    for m in range(M):
        for f in range(F):
            v = z[m, f] + bias[f]
            z[m, f] = 0 if v < 0 else v
    return z


def relu_backward(dy, y):
    """The gradient through a ReLU: ``dy * (y > 0)``, a new array.

    Args:
        dy: the gradient with respect to the ReLU's output, any shape.
        y: the ReLU's output, the same shape.

    Returns:
        ``dz``, the shape and dtype of ``dy``: ``dy`` where the unit was on, else
        ``dy * 0`` (0, or NaN where ``dy`` is NaN or infinite, as TensorFlow's ReluGrad).
    """
    dz = np.empty_like(dy)
    for i in np.ndindex(dy.shape):
        dz[i] = dy[i] * (1 if y[i] > 0 else 0)
    return dz
