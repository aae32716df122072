"""Vectorised twins of the kernels in array-module code: what CuPy runs.

Only functions NumPy and CuPy share are used (``pad``, strided slices,
``zeros``/``empty``/``full``, ``where``, ``maximum``/``fmax``, ``arange``,
``reshape``), with ``xp`` taken from the array itself
(``backend.get_array_module``). There is no loop over pixels;
the one Python loop runs over the ``KH*KW`` window cells. For cell ``(ki, kj)``
the strided slice ::

    xpad[:, ki:ki + SH*(OH-1) + 1:SH, kj:kj + SW*(OW-1) + 1:SW, :]     (N, OH, OW, C)

holds that cell of every window at once, so im2col is ``KH*KW`` slice copies and
col2im ``KH*KW`` slice additions. Within one slice no pixel repeats, so ``+=``
is exact even where windows overlap.
"""
from .. import backend
from .geometry import argmax_dtype, conv_geometry


def _cell(a, ki, kj, OH, OW, SH, SW):
    """Window cell ``(ki, kj)`` of every window of the padded ``a``: (N, OH, OW, C)."""
    return a[:, ki:ki + SH * (OH - 1) + 1:SH, kj:kj + SW * (OW - 1) + 1:SW, :]


def _pad(xp, x, PT, PB, PL, PR, value=0):
    """``x`` framed by rows/columns of ``value`` (``x`` itself when no padding is needed)."""
    if PT == PB == PL == PR == 0:
        return x
    return xp.pad(x, ((0, 0), (PT, PB), (PL, PR), (0, 0)), constant_values=value)


def _inside(xp, o, S, K, P, size):
    """For window cell ``k`` in ``range(K)``: which outputs ``o`` see a real pixel.

    Returns a (K, len(o)) boolean array: ``0 <= o*S + k - P < size``.
    """
    pos = o[None, :] * S + xp.arange(K)[:, None] - P
    return (pos >= 0) & (pos < size)


def _counts(xp, OH, OW, H, W, KH, KW, SH, SW, PT, PL, dtype):
    """Real pixels under each window, as a (1, OH, OW, 1) array of ``dtype``."""
    rows = _inside(xp, xp.arange(OH), SH, KH, PT, H).sum(axis=0)
    cols = _inside(xp, xp.arange(OW), SW, KW, PL, W).sum(axis=0)
    return (rows[:, None] * cols[None, :]).astype(dtype)[None, :, :, None]


def im2col(x, KH, KW, SH, SW, padding):
    """Windows of ``x`` as rows. See ``reference.im2col``.

    Args:
        x: (N, H, W, C) float32 or float64.

    Returns:
        cols: (N*OH*OW, KH*KW*C), dtype of ``x``, C-contiguous.
    """
    xp = backend.get_array_module(x)
    N, H, W, C = x.shape
    OH, OW, PT, PB, PL, PR = conv_geometry(H, W, KH, KW, SH, SW, padding)
    xpad = _pad(xp, x, PT, PB, PL, PR)
    cols = xp.empty((N, OH, OW, KH, KW, C), dtype=x.dtype)
    for ki in range(KH):
        for kj in range(KW):
            cols[:, :, :, ki, kj, :] = _cell(xpad, ki, kj, OH, OW, SH, SW)
    return cols.reshape(N * OH * OW, KH * KW * C)


def col2im(cols, x_shape, KH, KW, SH, SW, padding):
    """Adjoint of ``im2col``. See ``reference.col2im``.

    Args:
        cols: (N*OH*OW, KH*KW*C) float32 or float64.
        x_shape: (N, H, W, C).

    Returns:
        dx: ``x_shape``, dtype of ``cols``.
    """
    xp = backend.get_array_module(cols)
    N, H, W, C = x_shape
    OH, OW, PT, PB, PL, PR = conv_geometry(H, W, KH, KW, SH, SW, padding)
    windows = cols.reshape(N, OH, OW, KH, KW, C)
    dxpad = xp.zeros((N, H + PT + PB, W + PL + PR, C), dtype=cols.dtype)
    for ki in range(KH):
        for kj in range(KW):
            cell = _cell(dxpad, ki, kj, OH, OW, SH, SW)  # a view: += writes into dxpad
            cell += windows[:, :, :, ki, kj, :]
    return xp.ascontiguousarray(dxpad[:, PT:PT + H, PL:PL + W, :])


def maxpool_forward(x, KH, KW, SH, SW, padding):
    """Max pooling with the argmax. See ``reference.maxpool_forward``.

    The rule of the reference, cell by cell: a window's first real pixel starts
    the running max, a later one replaces it only if strictly larger (so ties,
    and NaNs after the first cell, keep the earlier value). Padding cells hold
    -inf and never start nor replace. No ``where`` on the data (NumPy's is slow
    on random masks; the one below picks by position only): the running max is
    ``maximum(y, fmax(cell, -inf))`` (a later NaN counts as -inf, an earlier one
    stays), and since later cells have larger positions ``p``, the argmax is the
    largest ``p`` that took the max.

    Args:
        x: (N, H, W, C) float32 or float64.

    Returns:
        y: (N, OH, OW, C), dtype of ``x``;
        argmax: (N, OH, OW, C) of ``argmax_dtype(KH, KW)``.
    """
    xp = backend.get_array_module(x)
    N, H, W, C = x.shape
    OH, OW, PT, PB, PL, PR = conv_geometry(H, W, KH, KW, SH, SW, padding)
    xpad = _pad(xp, x, PT, PB, PL, PR, value=-xp.inf)
    rows_in = _inside(xp, xp.arange(OH), SH, KH, PT, H)  # (KH, OH)
    cols_in = _inside(xp, xp.arange(OW), SW, KW, PL, W)  # (KW, OW)
    dtype = argmax_dtype(KH, KW)
    y = xp.full((N, OH, OW, C), -xp.inf, dtype=x.dtype)
    argmax = xp.zeros((N, OH, OW, C), dtype=dtype)
    seen = xp.zeros((1, OH, OW, 1), dtype=bool)  # window already met a real pixel
    for ki in range(KH):
        for kj in range(KW):
            cell = _cell(xpad, ki, kj, OH, OW, SH, SW)
            real = (rows_in[ki][:, None] & cols_in[kj][None, :])[None, :, :, None]
            first = real & ~seen  # the window's first real pixel
            took = first | (cell > y)  # padding (-inf) is never > y
            argmax = xp.maximum(argmax, took.astype(dtype) * dtype(ki * KW + kj))
            y = xp.where(first, cell, xp.maximum(y, xp.fmax(cell, -xp.inf)))
            seen = seen | real
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
    xp = backend.get_array_module(dy)
    N, H, W, C = x_shape
    OH, OW, PT, PB, PL, PR = conv_geometry(H, W, KH, KW, SH, SW, padding)
    dxpad = xp.zeros((N, H + PT + PB, W + PL + PR, C), dtype=dy.dtype)
    zero = xp.zeros((), dtype=dy.dtype)
    for ki in range(KH):
        for kj in range(KW):
            cell = _cell(dxpad, ki, kj, OH, OW, SH, SW)
            # where, not dy * mask: 0 * inf would put NaN on the pixels that lost
            cell += xp.where(argmax == ki * KW + kj, dy, zero)
    return xp.ascontiguousarray(dxpad[:, PT:PT + H, PL:PL + W, :])


def avgpool_forward(x, KH, KW, SH, SW, padding):
    """Mean over each window's real pixels. See ``reference.avgpool_forward``.

    Args:
        x: (N, H, W, C) float32 or float64.

    Returns:
        y: (N, OH, OW, C), dtype of ``x``.
    """
    xp = backend.get_array_module(x)
    N, H, W, C = x.shape
    OH, OW, PT, PB, PL, PR = conv_geometry(H, W, KH, KW, SH, SW, padding)
    xpad = _pad(xp, x, PT, PB, PL, PR)  # zeros add nothing to the sums
    total = xp.zeros((N, OH, OW, C), dtype=x.dtype)
    for ki in range(KH):
        for kj in range(KW):
            total += _cell(xpad, ki, kj, OH, OW, SH, SW)
    return total / _counts(xp, OH, OW, H, W, KH, KW, SH, SW, PT, PL, x.dtype)


def avgpool_backward(dy, x_shape, KH, KW, SH, SW, padding):
    """Adjoint of ``avgpool_forward``. See ``reference.avgpool_backward``.

    Args:
        dy: (N, OH, OW, C) float32 or float64.
        x_shape: (N, H, W, C).

    Returns:
        dx: ``x_shape``, dtype of ``dy``.
    """
    xp = backend.get_array_module(dy)
    N, H, W, C = x_shape
    OH, OW, PT, PB, PL, PR = conv_geometry(H, W, KH, KW, SH, SW, padding)
    share = dy / _counts(xp, OH, OW, H, W, KH, KW, SH, SW, PT, PL, dy.dtype)
    dxpad = xp.zeros((N, H + PT + PB, W + PL + PR, C), dtype=dy.dtype)
    for ki in range(KH):
        for kj in range(KW):
            cell = _cell(dxpad, ki, kj, OH, OW, SH, SW)
            cell += share
    return xp.ascontiguousarray(dxpad[:, PT:PT + H, PL:PL + W, :])


def bias_relu(z, bias):
    """``z = max(z + bias, 0)`` in place. See ``reference.bias_relu``.

    Args:
        z: (M, F). bias: (F,).

    Returns:
        ``z``.
    """
    xp = backend.get_array_module(z)
    z += bias
    return xp.maximum(z, 0, out=z)


def relu_backward(dy, y):
    """``dy * (y > 0)``. See ``reference.relu_backward``."""
    return dy * (y > 0)
