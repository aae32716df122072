"""Keras' affine image transforms: the matrix, then the resampling that applies it.

Notation: an image ``x`` is ``(H, W, C)`` (channels last); a pixel is addressed by
array coordinates ``(row, col)``. A transform is *pulled*: output pixel ``o`` takes
the input value at ``A @ o + b`` (what ``scipy.ndimage.affine_transform`` does),
interpolated bilinearly (spline order 1) from the four neighbours.

The parameters are Keras' (``keras.src.legacy.preprocessing.image``):

- ``theta``: rotation in degrees, about the image centre;
- ``tx``, ``ty``: shifts in pixels (``ImageDataGenerator`` draws ``tx`` from
  ``height_shift_range`` and ``ty`` from ``width_shift_range``);
- ``shear``: shear angle in degrees;
- ``zx``, ``zy``: zoom factors (> 1 shows *less* of the image: it shrinks);
- ``fill_mode`` / ``cval``: how points outside the input are filled.

Keras composes ``rotation @ shift @ shear @ zoom`` in a frame whose first axis it
pairs with the image height, moves the origin to ``(H/2 - 0.5, W/2 - 0.5)`` in
that frame, and only then swaps the two axes into array order. The swap has two
visible effects, reproduced here on purpose so that the same parameters give
the same picture as Keras 3 (and as ``keras_preprocessing`` >= 1.1):

1. ``tx`` (the *height* shift) moves the image along the columns, ``ty`` along
   the rows, and ``zx`` scales the columns;
2. on a non-square image the pivot lands at ``(W/2 - 0.5, H/2 - 0.5)``, not the
   true centre.

The book's Keras 2.2 did not swap; with its symmetric settings
(``width_shift_range == height_shift_range``, ``zoom_range`` one number) and
square 150x150 images the *distribution* of augmented images is the same.

The resampling has two twins with one signature, like ``minicnn.kernels``:
``_resample_scipy`` (one ``scipy.ndimage.affine_transform`` per channel: what
Keras runs, the reference) and ``_resample_numba`` (one pass over the pixels
for all channels, in the same float64 arithmetic as scipy's C loop, releasing
the GIL so that the data-loading threads run in parallel; scipy's call holds
the GIL). ``backend.set_kernels('reference')`` (or ``'xp'``) forces scipy.
"""
import numpy as np
from scipy import ndimage

from .. import backend

try:                                    # numba is optional here: scipy always works
    import numba
except ImportError:                     # pragma: no cover
    numba = None


def _jit(function):
    """``numba.njit(nogil=True, cache=True)``, or the plain function without numba."""
    return numba.njit(nogil=True, cache=True)(function) if numba is not None else function


FILL_MODES = ("nearest", "constant", "reflect", "wrap")
# scipy.ndimage's boundary codes, used by the numba twin
_MODE_CODES = {"nearest": 0, "wrap": 1, "reflect": 2, "constant": 4}


def check_fill_mode(fill_mode, where="fill_mode"):
    """Raise a ValueError unless ``fill_mode`` is one of ``FILL_MODES``."""
    if fill_mode not in FILL_MODES:
        raise ValueError(f"{where}: expected one of {FILL_MODES}, got {fill_mode!r}")


def transform_matrix(height, width, theta=0.0, tx=0.0, ty=0.0, shear=0.0, zx=1.0, zy=1.0):
    """Keras' pull matrix for one parameter set, in array ``(row, col)`` coordinates.

    Args:
        height, width: image size ``H``, ``W`` in pixels.
        theta, tx, ty, shear, zx, zy: Keras' parameters (see the module docstring).

    Returns:
        ``(3, 3)`` float64 homogeneous matrix ``M``: output pixel ``(r, c)`` reads
        the input at ``M @ (r, c, 1)``.
    """
    t, s = np.deg2rad(theta), np.deg2rad(shear)
    # Keras' factors, each conjugated by the (row <-> col) swap
    rotation = np.array([[np.cos(t), np.sin(t), 0], [-np.sin(t), np.cos(t), 0], [0, 0, 1]])
    shift = np.array([[1, 0, ty], [0, 1, tx], [0, 0, 1]], dtype=np.float64)
    shearing = np.array([[np.cos(s), 0, 0], [-np.sin(s), 1, 0], [0, 0, 1]])
    zoom = np.diag([zy, zx, 1.0])
    matrix = rotation @ shift @ shearing @ zoom
    # Keras' pivot: (W/2 - 0.5, H/2 - 0.5) after its axis swap (the true centre
    # of a square image)
    pivot = np.array([[1, 0, width / 2 - 0.5], [0, 1, height / 2 - 0.5], [0, 0, 1]])
    unpivot = np.array([[1, 0, 0.5 - width / 2], [0, 1, 0.5 - height / 2], [0, 0, 1]])
    return pivot @ matrix @ unpivot


def is_identity(theta=0.0, tx=0.0, ty=0.0, shear=0.0, zx=1.0, zy=1.0):
    """True when the parameters leave the image unchanged (Keras then skips resampling)."""
    return theta == 0 and tx == 0 and ty == 0 and shear == 0 and zx == 1 and zy == 1


def apply_affine_transform(x, theta=0.0, tx=0.0, ty=0.0, shear=0.0, zx=1.0, zy=1.0,
                           fill_mode="nearest", cval=0.0, order=1):
    """Rotate, shift, shear and zoom one image as Keras' ``apply_affine_transform``.

    Unlike Keras (whose default axes are channels-first) there are no axis
    arguments: ``x`` is always channels-last.

    Args:
        x: ``(H, W, C)`` image, any float dtype (float32 in the pipeline).
        theta, tx, ty, shear, zx, zy: Keras' parameters (module docstring).
        fill_mode: ``'nearest'``, ``'constant'``, ``'reflect'`` or ``'wrap'``
            (scipy.ndimage's meanings: ``'wrap'`` repeats with period ``n - 1``).
        cval: the value outside the input for ``fill_mode='constant'``.
        order: spline order of the interpolation (Keras: 1, bilinear).

    Returns:
        ``(H, W, C)`` array of ``x``'s dtype; ``x`` itself when the parameters
        are the identity, as in Keras.
    """
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"apply_affine_transform expects one image (H, W, C), got shape {x.shape}")
    check_fill_mode(fill_mode)
    if is_identity(theta, tx, ty, shear, zx, zy):
        return x
    matrix = transform_matrix(x.shape[0], x.shape[1], theta, tx, ty, shear, zx, zy)
    use_numba = (order == 1 and x.dtype in (np.float32, np.float64)
                 and backend.kernels() in ("auto", "cpu") and numba is not None)
    resample = _resample_numba if use_numba else _resample_scipy
    return resample(x, matrix, fill_mode, float(cval), order)


# ------------------------------------------------------------------------- twins
def _resample_scipy(x, matrix, fill_mode, cval, order=1):
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


def _resample_numba(x, matrix, fill_mode, cval, order=1):
    """Fast twin (order 1 only): the numba kernel below, all channels in one pass."""
    assert order == 1, "the numba twin is bilinear only"
    out = np.empty_like(x)
    _bilinear_affine(np.ascontiguousarray(x), matrix[0, 0], matrix[0, 1], matrix[1, 0],
                    matrix[1, 1], matrix[0, 2], matrix[1, 2], _MODE_CODES[fill_mode],
                    cval, out)
    return out


@_jit
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


@_jit
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

