"""The numba tile transforms of ``winograd_cpu.py``: every tile read once, written in place.

Layouts (``t = (n*TH + th)*TW + tw``, channels last so every innermost loop runs over
contiguous numbers)::

    x (N, H, W, C)  --input_tiles-->  V (A*A, T, C)     V[xi*A + nu, t] = (BT d BT.T)[xi, nu]
    M (A*A, T, F)   --output_tiles--> y (N, OH, OW, F)  the tile's (AT M AT.T), cut at the edge

A 2-D transform ``L @ d @ L.T`` is two passes of the 1-D one: along each patch row, into a
small per-thread scratch ``half``, then along each column, into its place. The 1-D
transforms of the forward pass (``BT`` and ``AT``, the hot ones) are written out below
as formulas: each output is computed in registers and stored once, which took the
input transform of VGG16's block3 at batch 20 from 18 to 12 ms (loaded 2-core machine).
Their weights come in the data's dtype (``_weights``), so float32 stays float32: numba
would compute ``4 * d`` in float64. Pixels outside the image read a row of zeros; no
padded copy of the image is made.

The gradient's extra transforms (the output gradient's tiles ``A dY A.T`` and the
kernel's ``G g G.T``, ``G.T S G``) are cheaper or rarer and stay generic: any matrix
``L``, its zeros skipped.
"""
import numpy as np
from numba import njit, prange

from . import threads


def weights(dtype):
    """The numbers in the written-out transforms, ``(2, 4, 5, 8)``, in ``dtype``."""
    return np.array([2, 4, 5, 8], dtype=dtype)


# ------------------------------------------------ the 1-D transforms, written out
@njit(inline="always", cache=True)
def _bt2(d0, d1, d2, d3):
    """``BT @ d`` of F(2, 3) (``winograd.matrices(2)[0]``)."""
    return d0 - d2, d1 + d2, d2 - d1, d1 - d3


@njit(inline="always", cache=True)
def _bt4(d0, d1, d2, d3, d4, d5, two, four, five):
    """``BT @ d`` of F(4, 3) (``winograd.matrices(4)[0]``)."""
    return (four * d0 - five * d2 + d4, d3 + d4 - four * (d1 + d2), four * (d1 - d2) + d4 - d3,
            two * (d3 - d1) + d4 - d2, two * (d1 - d3) + d4 - d2, four * d1 - five * d3 + d5)


@njit(inline="always", cache=True)
def _at2(m0, m1, m2, m3):
    """``AT @ m`` of F(2, 3) (``winograd.matrices(2)[2]``)."""
    return m0 + m1 + m2, m1 - m2 - m3


@njit(inline="always", cache=True)
def _at4(m0, m1, m2, m3, m4, m5, two, four, eight):
    """``AT @ m`` of F(4, 3) (``winograd.matrices(4)[2]``)."""
    plus, minus, plus2, minus2 = m1 + m2, m1 - m2, m3 + m4, m3 - m4
    return (m0 + plus + plus2, minus + two * minus2, plus + four * plus2,
            minus + eight * minus2 + m5)


@njit(inline="always", cache=True)
def _pixel(x, n, ih, iw, zero):
    """The channel vector ``x[n, ih, iw]``, or ``zero`` outside the image."""
    if 0 <= ih < x.shape[1] and 0 <= iw < x.shape[2]:
        return x[n, ih, iw]
    return zero


# ------------------------------------------------------------ input tiles
@threads.parallel
def _input_tiles4(x, w, PT, PL, TH, TW, out):
    """F(4x4, 3x3): ``out[xi*6 + nu, t] = (BT d BT.T)[xi, nu]``, ``d`` the 6x6 patch at
    ``(th*4 - PT, tw*4 - PL)``."""
    N, H, W, C = x.shape
    two, four, five = w[0], w[1], w[2]
    zero = np.zeros(C, dtype=x.dtype)
    for r in prange(N * TH):                        # r = n*TH + th: one row of tiles
        n, th = r // TH, r % TH
        half = np.empty((6, 6, C), dtype=x.dtype)  # half[i, nu]: patch row i along j
        for tw in range(TW):
            t, ih0, iw0 = r * TW + tw, th * 4 - PT, tw * 4 - PL
            for i in range(6):
                d0, d1, d2 = (_pixel(x, n, ih0 + i, iw0, zero),
                              _pixel(x, n, ih0 + i, iw0 + 1, zero),
                              _pixel(x, n, ih0 + i, iw0 + 2, zero))
                d3, d4, d5 = (_pixel(x, n, ih0 + i, iw0 + 3, zero),
                              _pixel(x, n, ih0 + i, iw0 + 4, zero),
                              _pixel(x, n, ih0 + i, iw0 + 5, zero))
                h = half[i]
                for c in range(C):
                    v0, v1, v2, v3, v4, v5 = _bt4(d0[c], d1[c], d2[c], d3[c], d4[c], d5[c],
                                                  two, four, five)
                    h[0, c], h[1, c], h[2, c], h[3, c], h[4, c], h[5, c] = v0, v1, v2, v3, v4, v5
            for nu in range(6):                     # then along i, into the tile's place
                h0, h1, h2, h3, h4, h5 = (half[0, nu], half[1, nu], half[2, nu], half[3, nu],
                                          half[4, nu], half[5, nu])
                for c in range(C):
                    v0, v1, v2, v3, v4, v5 = _bt4(h0[c], h1[c], h2[c], h3[c], h4[c], h5[c],
                                                  two, four, five)
                    out[nu, t, c], out[6 + nu, t, c], out[12 + nu, t, c] = v0, v1, v2
                    out[18 + nu, t, c], out[24 + nu, t, c], out[30 + nu, t, c] = v3, v4, v5


@threads.parallel
def _input_tiles2(x, w, PT, PL, TH, TW, out):
    """F(2x2, 3x3): ``out[xi*4 + nu, t] = (BT d BT.T)[xi, nu]``, ``d`` the 4x4 patch at
    ``(th*2 - PT, tw*2 - PL)``."""
    N, H, W, C = x.shape
    zero = np.zeros(C, dtype=x.dtype)
    for r in prange(N * TH):
        n, th = r // TH, r % TH
        half = np.empty((4, 4, C), dtype=x.dtype)
        for tw in range(TW):
            t, ih0, iw0 = r * TW + tw, th * 2 - PT, tw * 2 - PL
            for i in range(4):
                d0, d1 = _pixel(x, n, ih0 + i, iw0, zero), _pixel(x, n, ih0 + i, iw0 + 1, zero)
                d2, d3 = (_pixel(x, n, ih0 + i, iw0 + 2, zero),
                          _pixel(x, n, ih0 + i, iw0 + 3, zero))
                h = half[i]
                for c in range(C):
                    h[0, c], h[1, c], h[2, c], h[3, c] = _bt2(d0[c], d1[c], d2[c], d3[c])
            for nu in range(4):
                h0, h1, h2, h3 = half[0, nu], half[1, nu], half[2, nu], half[3, nu]
                for c in range(C):
                    v0, v1, v2, v3 = _bt2(h0[c], h1[c], h2[c], h3[c])
                    out[nu, t, c], out[4 + nu, t, c] = v0, v1
                    out[8 + nu, t, c], out[12 + nu, t, c] = v2, v3


def input_tiles(x, m, PT, PL, TH, TW, out):
    """Every ``(m+2) x (m+2)`` input tile transformed: ``x (N, H, W, C)`` -> ``out (A*A, T, C)``;
    ``PT, PL`` place the first tile's top-left pixel at ``(-PT, -PL)``."""
    kernel = _input_tiles4 if m == 4 else _input_tiles2
    kernel(x, weights(x.dtype), PT, PL, TH, TW, out)


# ------------------------------------------------------------ output tiles
@threads.parallel
def _output_tiles4(M, w, TH, TW, out):
    """F(4x4, 3x3): the 4x4 outputs ``AT M_t AT.T`` of every tile, cut at ``out``'s edge."""
    N, OH, OW, F = out.shape
    two, four, eight = w[0], w[1], w[3]
    for r in prange(N * TH):
        n, th = r // TH, r % TH
        half = np.empty((4, 6, F), dtype=out.dtype)   # half[i, nu]: along xi
        sink = np.empty(F, dtype=out.dtype)           # where outputs past the edge go
        for tw in range(TW):
            t = r * TW + tw
            for nu in range(6):
                m0, m1, m2 = M[nu, t], M[6 + nu, t], M[12 + nu, t]
                m3, m4, m5 = M[18 + nu, t], M[24 + nu, t], M[30 + nu, t]
                for f in range(F):
                    half[0, nu, f], half[1, nu, f], half[2, nu, f], half[3, nu, f] = _at4(
                        m0[f], m1[f], m2[f], m3[f], m4[f], m5[f], two, four, eight)
            ow0 = tw * 4
            for i in range(min(4, OH - th * 4)):     # then along nu, into the output pixels
                row = out[n, th * 4 + i]
                y0, y1 = row[ow0], row[ow0 + 1] if ow0 + 1 < OW else sink
                y2, y3 = (row[ow0 + 2] if ow0 + 2 < OW else sink,
                          row[ow0 + 3] if ow0 + 3 < OW else sink)
                h0, h1, h2, h3, h4, h5 = (half[i, 0], half[i, 1], half[i, 2], half[i, 3],
                                          half[i, 4], half[i, 5])
                for f in range(F):
                    y0[f], y1[f], y2[f], y3[f] = _at4(h0[f], h1[f], h2[f], h3[f], h4[f], h5[f],
                                                      two, four, eight)


@threads.parallel
def _output_tiles2(M, w, TH, TW, out):
    """F(2x2, 3x3): the 2x2 outputs ``AT M_t AT.T`` of every tile, cut at ``out``'s edge."""
    N, OH, OW, F = out.shape
    for r in prange(N * TH):
        n, th = r // TH, r % TH
        half = np.empty((2, 4, F), dtype=out.dtype)
        sink = np.empty(F, dtype=out.dtype)
        for tw in range(TW):
            t = r * TW + tw
            for nu in range(4):
                m0, m1, m2, m3 = M[nu, t], M[4 + nu, t], M[8 + nu, t], M[12 + nu, t]
                for f in range(F):
                    half[0, nu, f], half[1, nu, f] = _at2(m0[f], m1[f], m2[f], m3[f])
            ow0 = tw * 2
            for i in range(min(2, OH - th * 2)):
                row = out[n, th * 2 + i]
                y0, y1 = row[ow0], row[ow0 + 1] if ow0 + 1 < OW else sink
                h0, h1, h2, h3 = half[i, 0], half[i, 1], half[i, 2], half[i, 3]
                for f in range(F):
                    y0[f], y1[f] = _at2(h0[f], h1[f], h2[f], h3[f])


def output_tiles(M, m, TH, TW, out):
    """Every tile transformed back: ``M (A*A, T, F)`` -> ``out (N, OH, OW, F)``, cut."""
    kernel = _output_tiles4 if m == 4 else _output_tiles2
    kernel(M, weights(out.dtype), TH, TW, out)


# ------------------------------------------------------- generic transforms
@threads.parallel
def to_tiles(x, L, step, PT, PL, TH, TW, out):
    """``out[xi*A + nu, t, :] = sum_ij L[xi, i] L[nu, j] x[n, ih0 + i, iw0 + j, :]`` for tile
    ``t = (n*TH + th)*TW + tw`` at ``ih0 = th*step - PT``, ``iw0 = tw*step - PL``; ``x`` is zero
    outside. ``L: (A, K)`` reads ``K x K`` patches."""
    N, H, W, C = x.shape
    A, K = L.shape
    for r in prange(N * TH):                        # r = n*TH + th: one row of tiles
        n, th = r // TH, r % TH
        ih0 = th * step - PT
        i0, i1 = max(0, -ih0), min(K, H - ih0)      # the patch rows inside the image
        half = np.empty((K, A, C), dtype=out.dtype)  # each patch row, transformed along j
        for tw in range(TW):
            t = r * TW + tw
            iw0 = tw * step - PL
            j0, j1 = max(0, -iw0), min(K, W - iw0)
            for i in range(i0, i1):
                src_row = x[n, ih0 + i]
                for nu in range(A):
                    acc = half[i, nu]
                    acc[:] = 0
                    for j in range(j0, j1):
                        w = L[nu, j]
                        if w != 0:
                            src = src_row[iw0 + j]
                            for c in range(C):
                                acc[c] += w * src[c]
            for xi in range(A):                     # then along i, into the tile's place
                for nu in range(A):
                    dst = out[xi * A + nu, t]
                    dst[:] = 0
                    for i in range(i0, i1):
                        w = L[xi, i]
                        if w != 0:
                            src = half[i, nu]
                            for c in range(C):
                                dst[c] += w * src[c]


@threads.parallel
def sandwich(src, L, out):
    """``out[xi, nu, c, f] = sum_ij L[xi, i] L[nu, j] src[i, j, c, f]`` for every ``(c, f)``:
    ``src: (K, K, C, F)``, ``L: (A, K)``, ``out: (A, A, C, F)`` (may be a strided view)."""
    K, _, C, F = src.shape
    A = L.shape[0]
    for c in prange(C):
        half = np.empty((K, A, F), dtype=out.dtype)
        for i in range(K):
            for nu in range(A):
                acc = half[i, nu]
                acc[:] = 0
                for j in range(K):
                    w = L[nu, j]
                    if w != 0:
                        for f in range(F):
                            acc[f] += w * src[i, j, c, f]
        for xi in range(A):
            for nu in range(A):
                for f in range(F):
                    out[xi, nu, c, f] = 0
                for i in range(K):
                    w = L[xi, i]
                    if w != 0:
                        for f in range(F):
                            out[xi, nu, c, f] += w * half[i, nu, f]
