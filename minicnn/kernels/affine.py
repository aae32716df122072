"""Affine resampling of one image, in two twins with one signature (as the other kernels).

- ``resample_scipy``: one ``scipy.ndimage.affine_transform`` per channel, what Keras
  runs: the reference;
- ``resample_numba``: one pass over the pixels for all channels, in the same float64
  arithmetic as scipy's C loop, releasing the GIL so that data-loading threads run
  in parallel (scipy's call holds it). Bilinear (order 1) only.

``resample`` picks the numba twin for float images at order 1 unless
``backend.set_kernels('reference')`` (or ``'xp'``) asks for scipy.
Used by ``minicnn.preprocessing.affine.apply_affine_transform``.
"""
import numpy as np
from numba import njit
from scipy import ndimage

from .. import backend

# scipy.ndimage's boundary codes, used by the numba twin
MODE_CODES = {"nearest": 0, "wrap": 1, "reflect": 2, "constant": 4}


def resample(x, matrix, fill_mode, cval, order=1):
    """Pull ``x: (H, W, C)`` through the ``(3, 3)`` matrix; returns ``(H, W, C)``, x's dtype."""
    use_numba = (order == 1 and x.dtype in (np.float32, np.float64)
                 and backend.kernels() in ("auto", "cpu"))
    return (resample_numba if use_numba else resample_scipy)(x, matrix, fill_mode, cval, order)


def resample_scipy(x, matrix, fill_mode, cval, order=1):
    """Reference twin: one ``scipy.ndimage.affine_transform`` per channel, as Keras.

    Args:
        x: ``(H, W, C)`` image. matrix: ``(3, 3)`` pull matrix.
        fill_mode, cval, order: as ``apply_affine_transform``.

    Returns:
        ``(H, W, C)`` array of ``x``'s dtype.
    """
    channels = [ndimage.affine_transform(x[:, :, k], matrix[:2, :2], matrix[:2, 2],
                                         order=order, mode=fill_mode, cval=cval)
                for k in range(x.shape[2])]
    return np.stack(channels, axis=2)


def resample_numba(x, matrix, fill_mode, cval, order=1):
    """Fast twin (order 1 only): the numba kernel below, all channels in one pass."""
    assert order == 1, "the numba twin is bilinear only"
    out = np.empty_like(x)
    _bilinear_affine(np.ascontiguousarray(x), matrix[0, 0], matrix[0, 1], matrix[1, 0],
                    matrix[1, 1], matrix[0, 2], matrix[1, 2], MODE_CODES[fill_mode],
                    cval, out)
    return out


@njit(nogil=True, cache=True)
def _map_coordinate(c, n, mode):
    """scipy.ndimage's boundary rule for a coordinate ``c`` outside ``[0, n-1]``.

    ``'constant'`` is decided by the caller (outside means ``cval``).
    """
    if mode == 4:
        return c
    if c < 0:
        if n <= 1:
            return 0.0
        if mode == 0:                           # nearest
            return 0.0
        if mode == 1:                           # wrap, period n - 1
            return c + (n - 1) * (int(-c / (n - 1)) + 1)
        if mode == 2:                           # reflect about -0.5
            if c < -2 * n:
                c = 2 * n * int(-c / (2 * n)) + c
            return c + 2 * n if c < -n else -c - 1
        return c
    if c > n - 1:
        if n <= 1:
            return 0.0
        if mode == 0:
            return n - 1.0
        if mode == 1:
            return c - (n - 1) * int(c / (n - 1))
        if mode == 2:
            c = c - 2 * n * int(c / (2 * n))
            return 2 * n - c - 1 if c >= n else c
    return c


@njit(nogil=True, cache=True)
def _bilinear_affine(x, a00, a01, a10, a11, b0, b1, mode, cval, out):
    """Pull every output pixel through ``A @ (r, c) + b`` and interpolate bilinearly.

    The float64 operations and their order follow scipy's ``NI_GeometricTransform``
    (order 1), so results agree with the scipy twin to the last bit in practice.

    Args:
        x: ``(H, W, C)`` float32/float64 image, C-contiguous.
        a00, a01, a10, a11, b0, b1: the pull matrix ``A`` and offset ``b``.
        mode: scipy's boundary code (0 nearest, 1 wrap, 2 reflect, 4 constant).
        cval: fill value for mode 4.
        out: ``(H, W, C)`` array, written in place.
    """
    height, width, channels = x.shape
    for r in range(height):
        for c in range(width):
            y = r * a00 + c * a01 + b0
            z = r * a10 + c * a11 + b1
            if mode == 4 and (y < 0 or y > height - 1 or z < 0 or z > width - 1):
                for k in range(channels):
                    out[r, c, k] = cval
                continue
            y = _map_coordinate(y, height, mode)
            z = _map_coordinate(z, width, mode)
            r0 = int(np.floor(y))
            c0 = int(np.floor(z))
            wy0 = 1.0 - (y - r0)
            wy1 = 1.0 - wy0
            wz0 = 1.0 - (z - c0)
            wz1 = 1.0 - wz0
            # a neighbour one step outside is clamped: with 'reflect' that is its
            # mirror image; in the other modes its weight is 0
            ra, rb = max(r0, 0), min(r0 + 1, height - 1)
            ca, cb = max(c0, 0), min(c0 + 1, width - 1)
            for k in range(channels):
                t = 0.0
                t += float(x[ra, ca, k]) * wy0 * wz0
                t += float(x[ra, cb, k]) * wy0 * wz1
                t += float(x[rb, ca, k]) * wy1 * wz0
                t += float(x[rb, cb, k]) * wy1 * wz1
                out[r, c, k] = t

