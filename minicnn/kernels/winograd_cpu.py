"""numba twin of Winograd convolution: compiled tile transforms, the products in BLAS.

The same algorithm as ``winograd_reference.py``, arranged for speed. A convolution is
three numba passes (``winograd_tiles.py``) around ``A*A`` matrix products::

    V = input_tiles(x)       (A*A, T, C)    every input tile, transformed, read once
    U = kernel_tiles(g)      (A*A, C, F)    the kernel, transformed
    M = products(V, U)       (A*A, T, F)    A*A BLAS products (T, C) @ (C, F)
    y = output_tiles(M)      (N, OH, OW, F) every output tile, transformed back, cut

The channel axis is last everywhere, so every numba loop's innermost loop runs over
``C`` (or ``F``) contiguous numbers, as ``cpu.py``'s do, and the products read
contiguous ``(T, C)`` and ``(C, F)`` matrices. Pixels outside the image are never
copied: there is no padded image.

The gradients reuse the same passes (``backward_input``, ``backward_kernel``). The
transforms run on ``threads.THREADS`` numba threads, like every ``cpu.py`` kernel (see
its docstring for why 1 by default); the products are shared among minicnn's threads,
BLAS on one thread each (``parallel.py``: why).
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")   # as cpu.py: before numba's threads start

import numpy as np  # noqa: E402

from . import parallel, winograd_tiles  # noqa: E402
from .geometry import conv_geometry  # noqa: E402
from .winograd import (SLICES, check_kernel, input_gradient_padding, input_size,  # noqa: E402
                       matrices, tiles)


def _matrices(m, dtype):
    """``(BT, G, AT)`` in ``dtype``, C-contiguous (numba reads them as they are)."""
    return tuple(np.ascontiguousarray(M, dtype=dtype) for M in matrices(m))


def input_tiles(x, m, PT, PL, TH, TW):
    """Every input tile transformed, ``V = BT d BT.T``: ``(N, H, W, C)`` ->
    ``(A*A, N*TH*TW, C)``; ``PT, PL`` place the first tile at ``(-PT, -PL)``."""
    V = np.empty(((m + 2) ** 2, x.shape[0] * TH * TW, x.shape[3]), dtype=x.dtype)
    winograd_tiles.input_tiles(np.ascontiguousarray(x), m, PT, PL, TH, TW, V)
    return V


def kernel_tiles(kernel, m, turned=False):
    """The kernel transformed, ``U = G g G.T``: ``(3, 3, C, F)`` -> ``(A*A, C, F)``.

    ``turned``: the kernel turned 180 degrees with ``C`` and ``F`` swapped, as the input
    gradient needs it: ``(A*A, F, C)``. Turning is ``G`` with its columns reversed; the
    swap is a transposed view, which BLAS reads as it is (writing the transpose out cost
    300 ms on a 512x512 kernel: one cache miss per number).
    """
    G = _matrices(m, kernel.dtype)[1]
    A, (_, _, C, F) = m + 2, kernel.shape
    if turned:
        G = np.ascontiguousarray(G[:, ::-1])
    U = np.empty((A, A, C, F), dtype=kernel.dtype)
    winograd_tiles.sandwich(np.ascontiguousarray(kernel), G, U)
    U = U.reshape(A * A, C, F)
    return U.transpose(0, 2, 1) if turned else U


def products(V, U, step, out=None):
    """``out[p] = V[p] @ U[p]`` for each of the ``A*A`` positions: ``(P, T, K) @ (P, K, F)``.

    One BLAS product per position, or (``step`` terms, ``winograd.SLICES``) slices of
    ``K`` added up: half the float32 error, with one ``(T, F)`` scratch matrix per
    position. The positions are shared among minicnn's threads (``parallel.for_each``).
    """
    P, T, K = V.shape
    F = U.shape[2]
    out = np.empty((P, T, F), dtype=V.dtype) if out is None else out

    def position(p):
        if step is None or K <= step:
            np.matmul(V[p], U[p], out=out[p])
            return
        part = np.empty((T, F), dtype=V.dtype)
        np.matmul(V[p, :, :step], U[p, :step], out=out[p])
        for k0 in range(step, K, step):
            np.matmul(V[p, :, k0:k0 + step], U[p, k0:k0 + step], out=part)
            out[p] += part
    parallel.for_each(P, position)
    return out


def tile_sums(V, Z, step):
    """``S[p] = V[p].T @ Z[p]``, summed over the ``T`` tiles: ``(P, T, C), (P, T, F) -> (P, C, F)``.

    One BLAS product per position (``V`` read transposed, no copy), or ``step`` tiles at a
    time, the slices added in float64 (there are many of them); positions shared among
    minicnn's threads.
    """
    P, T, C = V.shape
    F = Z.shape[2]
    S = np.empty((P, C, F), dtype=V.dtype)

    def position(p):
        if step is None or T <= step:
            np.matmul(V[p].T, Z[p], out=S[p])
            return
        part = np.empty((C, F), dtype=V.dtype)
        total = np.zeros((C, F), dtype=np.float64)
        for t0 in range(0, T, step):
            np.matmul(V[p, t0:t0 + step].T, Z[p, t0:t0 + step], out=part)
            total += part
        S[p] = total
    parallel.for_each(P, position)
    return S


def _correlate(x, U, m, PT, PL, OH, OW, out):
    """``y[n, oh, ow, f] = sum x[n, oh + ki - PT, ow + kj - PL, c] g[ki, kj, c, f]`` with
    ``U`` the transformed ``g``: ``(A*A, C, F)``. Returns ``out`` (N, OH, OW, F)."""
    TH, TW = tiles(OH, OW, m)
    M = products(input_tiles(x, m, PT, PL, TH, TW), U, SLICES[m])  # (A*A, T, F)
    if out is None:
        out = np.empty((x.shape[0], OH, OW, U.shape[2]), dtype=x.dtype)
    elif not out.flags.c_contiguous or out.shape != (x.shape[0], OH, OW, U.shape[2]):
        raise ValueError(f"winograd: out must be a C-contiguous {(x.shape[0], OH, OW, U.shape[2])} "
                         f"array, got {tuple(out.shape)}")
    winograd_tiles.output_tiles(M, m, TH, TW, out)
    return out


def forward(x, kernel, m, padding, out=None):
    """A 3x3, stride-1 convolution by F(m x m, 3 x 3). See ``winograd_reference.forward``.

    Args:
        x: (N, H, W, C) float32 or float64.
        kernel: (3, 3, C, F), dtype of ``x``.
        m: output tile size, 2 or 4.
        out: optional C-contiguous (N, OH, OW, F) array to write into.

    Returns:
        y: (N, OH, OW, F), dtype of ``x``.
    """
    check_kernel(kernel, "winograd forward")
    _, H, W, _ = x.shape
    OH, OW, PT, PB, PL, PR = conv_geometry(H, W, 3, 3, 1, 1, padding)
    return _correlate(x, kernel_tiles(kernel.astype(x.dtype, copy=False), m), m, PT, PL,
                      OH, OW, out)


def backward_input(dy, kernel, m, padding, out=None):
    """``dx``: ``dy`` correlated with the turned kernel. See ``winograd_reference.backward_input``.

    Args:
        dy: (N, OH, OW, F) float32 or float64.
        kernel: (3, 3, C, F).
        out: optional C-contiguous (N, H, W, C) array to write into.

    Returns:
        dx: (N, H, W, C), dtype of ``dy``.
    """
    check_kernel(kernel, "winograd backward_input")
    _, OH, OW, _ = dy.shape
    H, W = input_size(OH, OW, padding)
    _, _, PT, PB, PL, PR = conv_geometry(H, W, 3, 3, 1, 1, padding)
    top, _, left, _ = input_gradient_padding(PT, PB, PL, PR)
    U = kernel_tiles(kernel.astype(dy.dtype, copy=False), m, turned=True)   # (A*A, F, C)
    return _correlate(dy, U, m, top, left, H, W, out)


def backward_kernel(x, dy, m, padding):
    """``dW = G.T [sum over tiles (A dY A.T) * V] G``. See ``winograd_reference.backward_kernel``.

    The sum over tiles at each of the ``A*A`` positions is BLAS products
    ``(C, T) @ (T, F)`` (``tile_sums``).

    Args:
        x: (N, H, W, C) float32 or float64.
        dy: (N, OH, OW, F), dtype of ``x``.

    Returns:
        dW: (3, 3, C, F), dtype of ``x``.
    """
    N, H, W, C = x.shape
    OH, OW, PT, PB, PL, PR = conv_geometry(H, W, 3, 3, 1, 1, padding)
    if dy.shape[:3] != (N, OH, OW):
        raise ValueError(f"winograd backward_kernel: expected dy of shape {(N, OH, OW)} + "
                         f"(F,), got {tuple(dy.shape)}")
    _, G, AT = _matrices(m, x.dtype)
    A, F = m + 2, dy.shape[3]
    TH, TW = tiles(OH, OW, m)
    V = input_tiles(x, m, PT, PL, TH, TW)                          # (A*A, T, C)
    Z = np.empty((A * A, N * TH * TW, F), dtype=x.dtype)
    winograd_tiles.to_tiles(np.ascontiguousarray(dy, dtype=x.dtype),     # Z = A dY A.T
                            np.ascontiguousarray(AT.T), m, 0, 0, TH, TW, Z)
    S = tile_sums(V, Z, SLICES[m])                                # (A*A, C, F)
    dW = np.empty((3, 3, C, F), dtype=x.dtype)
    winograd_tiles.sandwich(S.reshape(A, A, C, F), np.ascontiguousarray(G.T), dW)
    return dW
