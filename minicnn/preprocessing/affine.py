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

The resampling itself is a kernel with two twins (scipy, the reference Keras
runs, and numba, 5x faster and free of the GIL): ``minicnn.kernels.affine``.
"""
import numpy as np

from ..kernels import affine as affine_kernels

FILL_MODES = ("nearest", "constant", "reflect", "wrap")


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
    return affine_kernels.resample(x, matrix, fill_mode, float(cval), order)
