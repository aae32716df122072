"""The readable specification of Winograd convolution: plain loops over tiles.

Three functions, the same signatures in ``winograd_cpu.py`` (numba transforms, BLAS
products) and ``winograd_xp.py`` (vectorised, what CuPy runs); all compute a 3x3,
stride-1 convolution (Keras' correlation: the kernel is not flipped), ``'valid'`` or
``'same'``, with F(m x m, 3 x 3), ``m`` = 2 or 4 (see ``winograd.py`` for the notation
and the matrices ``BT``, ``G``, ``AT``).

The output is cut into ``m x m`` tiles; tile ``(th, tw)`` needs the ``A x A`` input
patch whose top-left pixel is ``(th*m - PT, tw*m - PL)``. Pixels outside the image are
zeros (the padding, and the extra rows and columns that make the tile grid cover the
output); outputs beyond ``OH x OW`` are computed and cut off. For each tile::

    V[c] = BT @ d[:, :, c] @ BT.T           the input tile, transformed   (A, A)
    U[c, f] = G @ g[:, :, c, f] @ G.T       the filter, transformed       (A, A)
    Y[f] = AT @ (sum_c U[c, f] * V[c]) @ AT.T   A*A products per channel   (m, m)

The gradients are the same algorithm again (see ``backward_input``, ``backward_kernel``).
"""
import numpy as np

from .geometry import conv_geometry
from .winograd import check_kernel, input_gradient_padding, input_size, matrices, tiles


def _patch(x, n, top, left, size):
    """The ``size x size`` patch of ``x[n]`` with top-left pixel ``(top, left)``, zeros
    outside the image: ``(size, size, C)``."""
    _, H, W, C = x.shape
    d = np.zeros((size, size, C), dtype=x.dtype)
    for i in range(size):
        for j in range(size):
            ih, iw = top + i, left + j
            if 0 <= ih < H and 0 <= iw < W:
                d[i, j] = x[n, ih, iw]
    return d


def _correlate(x, kernel, m, PT, PL, OH, OW, out):
    """``y[n, oh, ow, f] = sum x[n, oh + ki - PT, ow + kj - PL, c] kernel[ki, kj, c, f]``
    (``x`` zero outside), tile by tile. ``x: (N, H, W, C)``, ``kernel: (3, 3, C, F)`` ->
    ``(N, OH, OW, F)``."""
    BT, G, AT = (M.astype(x.dtype) for M in matrices(m))
    A = m + 2
    N, C, F = x.shape[0], kernel.shape[2], kernel.shape[3]
    TH, TW = tiles(OH, OW, m)
    U = np.empty((C, F, A, A), dtype=x.dtype)
    for c in range(C):
        for f in range(F):
            U[c, f] = G @ kernel[:, :, c, f] @ G.T
    y = np.zeros((N, OH, OW, F), dtype=x.dtype) if out is None else out
    for n in range(N):
        for th in range(TH):
            for tw in range(TW):
                d = _patch(x, n, th * m - PT, tw * m - PL, A)          # (A, A, C)
                V = [BT @ d[:, :, c] @ BT.T for c in range(C)]
                rows, cols = min(m, OH - th * m), min(m, OW - tw * m)  # cut at the edge
                for f in range(F):
                    M = sum(U[c, f] * V[c] for c in range(C))           # (A, A)
                    Y = AT @ M @ AT.T                                   # (m, m)
                    y[n, th * m:th * m + rows, tw * m:tw * m + cols, f] = Y[:rows, :cols]
    return y


def forward(x, kernel, m, padding, out=None):
    """A 3x3, stride-1 convolution by F(m x m, 3 x 3).

    Args:
        x: (N, H, W, C) float32 or float64.
        kernel: (3, 3, C, F), dtype of ``x``.
        m: output tile size, 2 or 4.
        padding: ``'valid'`` or ``'same'``.
        out: optional (N, OH, OW, F) array to write into.

    Returns:
        y: (N, OH, OW, F), dtype of ``x``.
    """
    check_kernel(kernel, "winograd forward")
    _, H, W, _ = x.shape
    OH, OW, PT, PB, PL, PR = conv_geometry(H, W, 3, 3, 1, 1, padding)
    return _correlate(x, kernel, m, PT, PL, OH, OW, out)


def backward_input(dy, kernel, m, padding, out=None):
    """The input gradient: ``dy`` correlated with the kernel turned 180 degrees.

    ``dy`` is padded by ``input_gradient_padding`` (2 on every side for ``'valid'``, a
    "full" correlation; 1 for ``'same'``) and the kernel's ``C`` and ``F`` swap places.

    Args:
        dy: (N, OH, OW, F) float32 or float64.
        kernel: (3, 3, C, F).
        out: optional (N, H, W, C) array to write into.

    Returns:
        dx: (N, H, W, C), dtype of ``dy``.
    """
    check_kernel(kernel, "winograd backward_input")
    _, OH, OW, _ = dy.shape
    H, W = input_size(OH, OW, padding)
    _, _, PT, PB, PL, PR = conv_geometry(H, W, 3, 3, 1, 1, padding)
    top, _, left, _ = input_gradient_padding(PT, PB, PL, PR)
    turned = kernel[::-1, ::-1].transpose(0, 1, 3, 2)              # (3, 3, F, C)
    return _correlate(dy, turned, m, top, left, H, W, out)


def backward_kernel(x, dy, m, padding):
    """The kernel gradient, from ``Y = AT [U * V] AT.T`` read backwards.

    For one tile, ``<dY, AT M AT.T> = <AT.T dY AT, M>`` and ``M = U * V`` with
    ``U = G g G.T``, so ``dg = G.T [sum over tiles (AT.T dY AT) * V] G``: the output
    gradient's tiles ``Z = A dY A.T`` (``A = AT.T``) meet the input tiles position by
    position, summed over tiles and samples.

    Args:
        x: (N, H, W, C) float32 or float64.
        dy: (N, OH, OW, F), dtype of ``x``.

    Returns:
        dW: (3, 3, C, F), dtype of ``x``.
    """
    BT, G, AT = (M.astype(x.dtype) for M in matrices(m))
    A = m + 2
    N, H, W, C = x.shape
    OH, OW, PT, PB, PL, PR = conv_geometry(H, W, 3, 3, 1, 1, padding)
    if dy.shape[:3] != (N, OH, OW):
        raise ValueError(f"winograd backward_kernel: expected dy of shape {(N, OH, OW)} + "
                         f"(F,), got {tuple(dy.shape)}")
    F = dy.shape[3]
    TH, TW = tiles(OH, OW, m)
    S = np.zeros((C, F, A, A), dtype=x.dtype)
    for n in range(N):
        for th in range(TH):
            for tw in range(TW):
                d = _patch(x, n, th * m - PT, tw * m - PL, A)          # (A, A, C)
                e = _patch(dy, n, th * m, tw * m, m)                    # (m, m, F); 0 past the edge
                V = [BT @ d[:, :, c] @ BT.T for c in range(C)]
                Z = [AT.T @ e[:, :, f] @ AT for f in range(F)]
                for c in range(C):
                    for f in range(F):
                        S[c, f] += V[c] * Z[f]
    dW = np.empty((3, 3, C, F), dtype=x.dtype)
    for c in range(C):
        for f in range(F):
            dW[:, :, c, f] = G.T @ S[c, f] @ G
    return dW
