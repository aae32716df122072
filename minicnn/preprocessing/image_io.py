"""Reading and writing single images, with Keras' names: Pillow does the decoding.

``load_img`` returns a PIL image in one of three modes (``'L'``, ``'RGB'``,
``'RGBA'``), ``img_to_array`` turns it into a float ``(H, W, C)`` array,
``array_to_img`` / ``save_img`` go back. Only channels-last exists in minicnn.
"""
import io
import os
import warnings

import numpy as np
from PIL import Image

from .. import backend

COLOR_MODES = ("grayscale", "rgb", "rgba")
_PIL_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}
PIL_INTERPOLATION_METHODS = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "hamming": Image.Resampling.HAMMING,
    "box": Image.Resampling.BOX,
    "lanczos": Image.Resampling.LANCZOS,
}


# ------------------------------------------------------------------- arguments
def check_color_mode(color_mode, where="color_mode"):
    """Raise a ValueError unless ``color_mode`` is ``'grayscale'``, ``'rgb'`` or ``'rgba'``."""
    if color_mode not in COLOR_MODES:
        raise ValueError(f"{where}: expected one of {COLOR_MODES}, got {color_mode!r}")


def check_interpolation(interpolation, where="interpolation"):
    """Raise a ValueError unless ``interpolation`` is one of Keras' PIL method names."""
    if interpolation not in PIL_INTERPOLATION_METHODS:
        raise ValueError(f"{where}: expected one of {tuple(PIL_INTERPOLATION_METHODS)}, "
                         f"got {interpolation!r}")


def check_target_size(target_size, where="target_size"):
    """``(height, width)`` as a tuple of two positive ints, or a ValueError."""
    ok = (isinstance(target_size, (tuple, list)) and len(target_size) == 2
          and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0
                  for v in target_size))
    if not ok:
        raise ValueError(f"{where}: expected (height, width), two positive ints, "
                         f"got {target_size!r}")
    return (int(target_size[0]), int(target_size[1]))


def check_data_format(data_format, where="data_format"):
    """minicnn is channels-last only: accept None or ``'channels_last'``."""
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{where}: minicnn is channels_last only (NHWC), got {data_format!r}")


def channels_of(color_mode):
    """Number of channels ``C`` that ``color_mode`` gives: 1, 3 or 4."""
    return _CHANNELS[color_mode]


# ------------------------------------------------------------------- reading
def load_img(path, grayscale=False, color_mode="rgb", target_size=None,
             interpolation="nearest"):
    """Load an image file as a PIL image, like ``keras.preprocessing.image.load_img``.

    Any mode Pillow decodes is converted to the requested one: palette (``P``,
    with or without transparency), ``LA``, ``RGBA``, ``CMYK``, 1-bit, and 16-bit
    greyscale (``I;16``, ``I``), which is *scaled* to 8 bits (65535 -> 255)
    rather than clipped to white as a plain ``convert('L')`` would (Keras keeps
    16-bit greyscale as it is; minicnn always returns 8-bit modes).

    The file is decoded completely here, so a truncated or corrupt file fails
    now, with its name, instead of in the middle of an epoch. minicnn raises
    rather than skipping such a file: skipping would silently change the number
    of samples and the class balance.

    Args:
        path: file path (str or path-like) or a binary file object.
        grayscale: deprecated Keras 2 flag, the same as ``color_mode='grayscale'``.
        color_mode: ``'grayscale'`` (mode L), ``'rgb'`` or ``'rgba'``.
        target_size: None (keep the size) or ``(height, width)``.
        interpolation: resampling for the resize: ``'nearest'`` (Keras'
            default), ``'bilinear'``, ``'bicubic'``, ``'hamming'``, ``'box'``,
            ``'lanczos'``.

    Returns:
        A ``PIL.Image.Image`` of mode ``'L'``, ``'RGB'`` or ``'RGBA'``.

    Raises:
        FileNotFoundError: no such file.
        OSError: the file is not a readable image (the message names the file).
        ValueError: an unknown ``color_mode`` or ``interpolation``, or a bad
            ``target_size``.
    """
    if grayscale:
        warnings.warn('load_img: grayscale is deprecated; use color_mode="grayscale"')
        color_mode = "grayscale"
    check_color_mode(color_mode)
    check_interpolation(interpolation)
    if target_size is not None:
        target_size = check_target_size(target_size)
    if hasattr(path, "read"):
        data = path.read()
    else:
        with open(path, "rb") as f:
            data = f.read()
    try:
        img = Image.open(io.BytesIO(data))
        img.load()                              # decode now: truncated files fail here
        img = _convert(img, _PIL_MODES[color_mode])
    except Exception as err:                    # Pillow raises OSError, SyntaxError, ...
        raise OSError(f"load_img: cannot read image file {os.fspath(getattr(path, 'name', path))!r}"
                      f": {err}") from err
    if target_size is not None:
        width_height = (target_size[1], target_size[0])
        if img.size != width_height:
            img = img.resize(width_height, PIL_INTERPOLATION_METHODS[interpolation])
    return img


def _convert(img, mode):
    """Convert a decoded PIL image to ``mode`` ('L', 'RGB' or 'RGBA') cleanly."""
    if img.mode.startswith("I;16") or img.mode == "I":
        # 16-bit greyscale: scale 0..65535 to 0..255 (convert('L') would clip)
        values = np.clip(np.asarray(img, dtype=np.float64), 0, 65535)
        img = Image.fromarray(np.round(values / 257.0).astype(np.uint8), "L")
    elif img.mode in ("P", "PA"):
        # palette images may carry transparency: go through RGBA
        has_alpha = img.mode == "PA" or "transparency" in img.info
        img = img.convert("RGBA" if has_alpha else "RGB")
    if img.mode != mode:
        img = img.convert(mode)
    return img


def img_to_array(img, data_format=None, dtype=None):
    """A PIL image as a float array, like ``keras.preprocessing.image.img_to_array``.

    Args:
        img: a PIL image (or anything ``np.asarray`` takes), ``H x W`` pixels.
        data_format: None or ``'channels_last'`` (the only layout in minicnn).
        dtype: the array type; default ``backend.floatx()`` (float32).

    Returns:
        ``(H, W, C)`` array of ``dtype``, values 0..255 for 8-bit images;
        ``C`` is 1 for greyscale.
    """
    check_data_format(data_format)
    x = np.asarray(img, dtype=dtype or backend.floatx())
    if x.ndim == 2:
        x = x[:, :, None]
    if x.ndim != 3:
        raise ValueError(f"img_to_array: unsupported image shape {x.shape}")
    return x


# ------------------------------------------------------------------- writing
def array_to_img(x, data_format=None, scale=True, dtype=None):
    """An ``(H, W, C)`` array as a PIL image, like Keras' ``array_to_img``.

    Args:
        x: ``(H, W, C)`` array with ``C`` in 1, 3, 4.
        data_format: None or ``'channels_last'``.
        scale: stretch the values to 0..255 (min -> 0, max -> 255), as Keras.
            Without scaling, values are clipped to 0..255 (Keras wraps around)
            and truncated to integers.
        dtype: float type for the scaling arithmetic; default ``floatx()``.

    Returns:
        A PIL image of mode ``'L'`` (``C == 1``; ``'I'`` if values exceed 255
        after scaling), ``'RGB'`` or ``'RGBA'``.
    """
    check_data_format(data_format)
    x = np.array(x, dtype=dtype or backend.floatx())
    if x.ndim != 3:
        raise ValueError(f"array_to_img expects one image (H, W, C), got shape {x.shape}")
    if scale:
        x = x - np.min(x)
        x_max = np.max(x)
        if x_max != 0:
            x /= x_max
        x *= 255
    channels = x.shape[2]
    if channels == 1 and np.max(x) > 255:
        return Image.fromarray(x[:, :, 0].astype(np.int32), "I")
    x = np.clip(x, 0, 255).astype(np.uint8)
    if channels == 1:
        return Image.fromarray(x[:, :, 0], "L")
    if channels in (3, 4):
        return Image.fromarray(x, "RGB" if channels == 3 else "RGBA")
    raise ValueError(f"array_to_img: expected 1, 3 or 4 channels, got shape {x.shape}")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Save an ``(H, W, C)`` array as an image file, like Keras' ``save_img``.

    Args:
        path: where to write; the format follows the extension unless
            ``file_format`` (``'png'``, ``'jpeg'``, ...) is given.
        x: ``(H, W, C)`` array, ``C`` in 1, 3, 4.
        data_format: None or ``'channels_last'``.
        file_format: optional format name.
        scale: stretch values to 0..255 first (see ``array_to_img``).
        **kwargs: passed to ``PIL.Image.save`` (e.g. ``quality=90``).
    """
    img = array_to_img(x, data_format=data_format, scale=scale)
    fmt = (file_format or os.path.splitext(os.fspath(path))[1][1:]).lower()
    if img.mode == "RGBA" and fmt in ("jpg", "jpeg"):
        warnings.warn("save_img: JPEG has no alpha channel; converting RGBA to RGB")
        img = img.convert("RGB")
    if file_format is not None:
        file_format = "JPEG" if fmt in ("jpg", "jpeg") else fmt.upper()
    img.save(path, format=file_format, **kwargs)
