"""Winograd's minimal filtering: the matrices and the tile geometry every Winograd twin shares.

Notation, beside the kernels' (``N, H, W, C, F, OH, OW, PT, PB, PL, PR``)::

    m       output tile size (2 or 4)         r = 3   filter size (3x3 only)
    A       input tile size, m + r - 1 (4 or 6): the tile's "alpha" in Lavin & Gray
    TH, TW  tiles down and across, ceil(OH / m), ceil(OW / m);  T = N*TH*TW tiles in all

F(m, 3) in one dimension (Lavin & Gray, "Fast Algorithms for Convolutional Neural
Networks", 2016): ``m`` outputs of a 3-tap correlation ``y[i] = sum_k d[i + k] g[k]``
from an ``A``-long input ``d`` with ``A`` multiplications instead of ``3*m``::

    y = AT @ ((G @ g) * (BT @ d))            AT (m, A), G (A, 3), BT (A, A)

Nested, in two dimensions, for one ``A x A`` input tile ``d`` and one 3x3 filter ``g``::

    Y = AT @ [(G @ g @ G.T) * (BT @ d @ BT.T)] @ AT.T          (m x m outputs)

With channels, the elementwise product becomes a sum over ``C`` at each of the ``A*A``
positions: one matrix product ``(T, C) @ (C, F)`` per position.

The matrices come from interpolating at the points ``0, 1, -1, inf`` (F(2, 3)) and
``0, 1, -1, 2, -2, inf`` (F(4, 3)), scaled as Lavin & Gray scale them.
"""
import numpy as np

from .geometry import normalize_padding

TILE_SIZES = (2, 4)

_MATRICES = {
    2: (np.array([[1, 0, -1, 0],                     # BT: the input transform
                  [0, 1, 1, 0],
                  [0, -1, 1, 0],
                  [0, 1, 0, -1]], dtype=np.float64),
        np.array([[1, 0, 0],                         # G: the filter transform
                  [1 / 2, 1 / 2, 1 / 2],
                  [1 / 2, -1 / 2, 1 / 2],
                  [0, 0, 1]], dtype=np.float64),
        np.array([[1, 1, 1, 0],                      # AT: the output transform
                  [0, 1, -1, -1]], dtype=np.float64)),
    4: (np.array([[4, 0, -5, 0, 1, 0],
                  [0, -4, -4, 1, 1, 0],
                  [0, 4, -4, -1, 1, 0],
                  [0, -2, -1, 2, 1, 0],
                  [0, 2, -1, -2, 1, 0],
                  [0, 4, 0, -5, 0, 1]], dtype=np.float64),
        np.array([[1 / 4, 0, 0],
                  [-1 / 6, -1 / 6, -1 / 6],
                  [-1 / 6, 1 / 6, -1 / 6],
                  [1 / 24, 1 / 12, 1 / 6],
                  [1 / 24, -1 / 12, 1 / 6],
                  [0, 0, 1]], dtype=np.float64),
        np.array([[1, 1, 1, 1, 1, 0],
                  [0, 1, -1, 2, -2, 0],
                  [0, 1, 1, 4, 4, 0],
                  [0, 1, -1, 8, -8, 1]], dtype=np.float64)),
}


def check_tile(m):
    """``m`` itself when it is a tile size minicnn has (2 or 4), else a ``ValueError``."""
    if m not in TILE_SIZES:
        raise ValueError(f"Winograd tile size must be one of {TILE_SIZES}, got {m!r}")
    return m


def matrices(m):
    """``(BT, G, AT)`` of F(m x m, 3 x 3): ``(A, A)``, ``(A, 3)``, ``(m, A)`` float64 (copies)."""
    return tuple(M.copy() for M in _MATRICES[check_tile(m)])


def tiles(OH, OW, m):
    """``(TH, TW)``: how many ``m x m`` output tiles cover an ``OH x OW`` output."""
    return -(-OH // m), -(-OW // m)


def check_kernel(kernel, who):
    """A Winograd kernel must be ``(3, 3, C, F)``: say so when it is not."""
    if kernel.ndim != 4 or kernel.shape[:2] != (3, 3):
        raise ValueError(f"{who}: Winograd convolution needs a (3, 3, C, F) kernel, got "
                         f"{tuple(kernel.shape)}")


def input_gradient_padding(PT, PB, PL, PR):
    """The padding of ``dy`` that makes ``dx`` a correlation with the rotated kernel.

    ``dx[ih] = sum_k dy[ih + PT - k] g[k] = sum_k' dy[ih - (2 - PT) + k'] g[2 - k']``: the
    correlation of ``dy`` padded by ``2 - PT`` on top (``2 - PB`` below) with the kernel
    turned 180 degrees. ``'valid'`` pads 2 on every side (a "full" correlation); ``'same'``
    with a 3x3 kernel at stride 1 pads 1.
    """
    return 2 - PT, 2 - PB, 2 - PL, 2 - PR


def input_size(OH, OW, padding):
    """``(H, W)`` of the input whose 3x3, stride-1 convolution is ``OH x OW``."""
    return (OH + 2, OW + 2) if normalize_padding(padding) == "valid" else (OH, OW)


# The A*A products sum over C (forward), F (input gradient) or the tiles (kernel gradient).
# In float32 one BLAS product sums ~5 rounding errors' worth (relative to its result), and
# F(4x4, 3x3)'s output transform multiplies that by ~10: 3e-6 relative L2 error against
# float64 on VGG16's 256-channel layers, where im2col has 3e-7. Summing 64 terms at a time
# and adding the slices halves the product's error (F(4x4, 3x3): 1.7e-6) for ~25% more
# product time. F(2x2, 3x3) multiplies it by ~1.5 only (4e-7): one product, no slices.
# (Measured on a loaded 2-core machine; see docs/winograd.md.)
SLICES = {2: None, 4: 64}
