"""Image preprocessing with Keras 2's names: ``from minicnn.preprocessing import image``.

What chapter 5 uses::

    datagen = image.ImageDataGenerator(rescale=1./255, rotation_range=40,
                                       width_shift_range=0.2, height_shift_range=0.2,
                                       shear_range=0.2, zoom_range=0.2,
                                       horizontal_flip=True, fill_mode='nearest')
    train_generator = datagen.flow_from_directory(train_dir, target_size=(150, 150),
                                                  batch_size=20, class_mode='binary')
    x = image.img_to_array(image.load_img(path, target_size=(150, 150)))

Per sample, in Keras' order: load (``load_img``: decode, convert the colour
mode, resize to ``target_size``) -> ``img_to_array`` -> random transform
(``get_random_transform`` then ``apply_transform``: rotation, shifts, shear and
zoom in one resampling, then the flips) -> ``standardize``
(``preprocessing_function`` first, then ``rescale``).

This module holds ``ImageDataGenerator``; the rest lives in ``image_io``
(files), ``affine`` (the geometry), ``iterators`` and ``directory`` (batches),
and is re-exported here.
"""
import numpy as np

from .. import backend
from .affine import FILL_MODES, apply_affine_transform, check_fill_mode, transform_matrix
from .directory import DirectoryIterator
from .image_io import (array_to_img, check_data_format, img_to_array, load_img,
                       save_img)
from .iterators import Iterator, NumpyArrayIterator

__all__ = ["ImageDataGenerator", "load_img", "img_to_array", "array_to_img", "save_img",
           "apply_affine_transform", "transform_matrix", "flip_axis", "Iterator",
           "NumpyArrayIterator", "DirectoryIterator", "FILL_MODES"]


def flip_axis(x, axis):
    """``x`` reversed along ``axis`` (a view), as Keras' ``flip_axis``."""
    return np.flip(np.asarray(x), axis)


def _check_range(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or value < 0:
        raise ValueError(f"{name}: expected a number >= 0, got {value!r}")
    return value


def _check_shift_range(value, name):
    """Keras' shift ranges: a float, an int (pixels) or a 1-D list of choices."""
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return value
    values = np.asarray(value)
    if values.ndim == 1 and len(values) and np.issubdtype(values.dtype, np.number):
        return value
    raise ValueError(f"{name}: expected a float, an int or a 1-D list of numbers, got {value!r}")


class ImageDataGenerator:
    """Random augmentation and rescaling of image batches, Keras' legacy generator.

    Args:
        rescale: multiply every pixel by this after augmentation (``1./255``);
            None or 0: no rescaling.
        rotation_range: degrees; theta is drawn from ``[-r, r]``.
        width_shift_range, height_shift_range: a float < 1 is a fraction of the
            width / height (shift drawn from ``[-f, f]`` times the size); a float
            >= 1 is pixels (``[-f, f]``); an int ``k`` draws integer pixels from
            ``range(k)`` with a random sign; a 1-D list draws one of its values
            with a random sign. (Keras' axis quirk: see ``affine``.)
        shear_range: degrees; the shear angle is drawn from ``[-s, s]``.
        zoom_range: a float ``z`` draws ``zx``, ``zy`` independently from
            ``[1 - z, 1 + z]``; or ``[lower, upper]``.
        horizontal_flip, vertical_flip: flip with probability 1/2.
        fill_mode: ``'nearest'``, ``'constant'``, ``'reflect'`` or ``'wrap'``.
        cval: the fill value for ``fill_mode='constant'``.
        preprocessing_function: ``f(x) -> x`` on each ``(H, W, C)`` image, after
            the augmentation and before ``rescale`` (Keras' order).
        data_format: None or ``'channels_last'`` (the only layout in minicnn).
        validation_split: fraction in ``[0, 1)`` held out for ``subset='validation'``.
        dtype: float type of the batches; default ``backend.floatx()``.

    All arguments are keywords: Keras' positional order (``featurewise_center``
    first) does not apply, and a positional call fails instead of misbinding.
    """

    def __init__(self, *, rescale=None, rotation_range=0, width_shift_range=0.0,
                 height_shift_range=0.0, shear_range=0.0, zoom_range=0.0,
                 horizontal_flip=False, vertical_flip=False, fill_mode="nearest", cval=0.0,
                 preprocessing_function=None, data_format=None, validation_split=0.0,
                 dtype=None):
        check_data_format(data_format)
        check_fill_mode(fill_mode)
        self.rescale = rescale
        self.rotation_range = _check_range(rotation_range, "rotation_range")
        self.width_shift_range = _check_shift_range(width_shift_range, "width_shift_range")
        self.height_shift_range = _check_shift_range(height_shift_range, "height_shift_range")
        self.shear_range = _check_range(shear_range, "shear_range")
        if isinstance(zoom_range, (int, float, np.number)) and not isinstance(zoom_range, bool):
            self.zoom_range = [1 - zoom_range, 1 + zoom_range]
        elif (isinstance(zoom_range, (tuple, list)) and len(zoom_range) == 2
              and all(isinstance(v, (int, float, np.number)) for v in zoom_range)):
            self.zoom_range = [zoom_range[0], zoom_range[1]]
        else:
            raise ValueError(f"zoom_range: expected a float or [lower, upper], got {zoom_range!r}")
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.fill_mode = fill_mode
        self.cval = cval
        if preprocessing_function is not None and not callable(preprocessing_function):
            raise ValueError(f"preprocessing_function: expected a callable, "
                             f"got {preprocessing_function!r}")
        self.preprocessing_function = preprocessing_function
        self.data_format = "channels_last"
        if not 0 <= validation_split < 1:
            raise ValueError(f"validation_split: expected a fraction in [0, 1), "
                             f"got {validation_split!r}")
        self._validation_split = validation_split
        self.dtype = dtype or backend.floatx()

    # -------------------------------------------------------------- iterators
    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None,
             *, subset=None, workers=None, max_queue_size=2):
        """Endless augmented batches from arrays (``NumpyArrayIterator``).

        Args:
            x: ``(N, H, W, C)`` images. y: None or ``(N, ...)`` labels.
            batch_size, shuffle, seed: as Keras.
            sample_weight: None or ``(N,)`` weights.
            subset: ``'training'`` or ``'validation'`` (needs ``validation_split``).
            workers, max_queue_size: background loading (``Iterator``).

        Returns:
            A ``NumpyArrayIterator`` yielding ``(B, H, W, C)`` batches of ``dtype``
            (with ``y[idx]`` when ``y`` is given).
        """
        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle,
                                  sample_weight=sample_weight, seed=seed, subset=subset,
                                  workers=workers, max_queue_size=max_queue_size)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode="rgb",
                            classes=None, class_mode="categorical", batch_size=32,
                            shuffle=True, seed=None, *, follow_links=False, subset=None,
                            interpolation="nearest", workers=None, max_queue_size=2):
        """Endless augmented batches from class folders (``DirectoryIterator``).

        Prints ``Found N images belonging to K classes.`` as Keras does. The
        arguments after ``seed`` are keyword-only (Keras had ``save_to_dir``
        and friends there, which minicnn leaves out).

        Returns:
            A ``DirectoryIterator``: ``(x, y)`` batches, ``x`` ``(B, H, W, C)``;
            see its docstring for ``y`` per ``class_mode``.
        """
        return DirectoryIterator(directory, self, target_size=target_size,
                                 color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, batch_size=batch_size,
                                 shuffle=shuffle, seed=seed, follow_links=follow_links,
                                 subset=subset, interpolation=interpolation,
                                 workers=workers, max_queue_size=max_queue_size)

    def _subset_split(self, subset):
        """The validation fraction for ``subset``, or a ValueError."""
        if subset not in ("training", "validation"):
            raise ValueError(f"subset: expected 'training' or 'validation', got {subset!r}")
        if not self._validation_split:
            raise ValueError(f"subset={subset!r} needs ImageDataGenerator(validation_split=...)"
                             " > 0")
        return self._validation_split

    # -------------------------------------------------------------- one image
    def standardize(self, x):
        """``preprocessing_function``, then ``rescale``: in place for float arrays, as Keras.

        Args:
            x: ``(H, W, C)`` image or ``(N, H, W, C)`` batch.

        Returns:
            The standardized array (``x`` itself when it was float and the
            preprocessing function returned it).
        """
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        if self.rescale:
            x = np.asarray(x)
            if not np.issubdtype(x.dtype, np.floating):
                x = x.astype(self.dtype)
            x *= self.rescale
        return x

    def get_random_transform(self, img_shape, seed=None):
        """Random parameters for one image, drawn as Keras draws them.

        The draws, in order (only for the ranges that are set, except the two
        flips, always drawn): theta, tx (``height_shift_range``), ty
        (``width_shift_range``), shear, ``zx`` and ``zy`` together, flip
        horizontal, flip vertical. With ``seed`` they come from
        ``np.random.RandomState(seed)``, which is what Keras' ``np.random.seed(seed)``
        gives: the same dictionary as Keras. Without it, from NumPy's global
        generator, as in Keras.

        Args:
            img_shape: ``(H, W, C)``.
            seed: optional int.

        Returns:
            dict with ``theta``, ``tx``, ``ty``, ``shear``, ``zx``, ``zy`` (floats),
            ``flip_horizontal``, ``flip_vertical`` (bools) and Keras'
            ``channel_shift_intensity`` and ``brightness`` (always None here).
        """
        random = np.random if seed is None else np.random.RandomState(seed)
        return self._draw_transform(img_shape, random)

    def _draw_transform(self, img_shape, random):
        theta = random.uniform(-self.rotation_range, self.rotation_range) \
            if self.rotation_range else 0.0
        tx = self._draw_shift(self.height_shift_range, img_shape[0], random)
        ty = self._draw_shift(self.width_shift_range, img_shape[1], random)
        shear = random.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0.0
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1.0, 1.0
        else:
            zx, zy = random.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        flip_horizontal = bool(random.random() < 0.5) and bool(self.horizontal_flip)
        flip_vertical = bool(random.random() < 0.5) and bool(self.vertical_flip)
        return {"theta": float(theta), "tx": float(tx), "ty": float(ty),
                "shear": float(shear), "zx": float(zx), "zy": float(zy),
                "flip_horizontal": flip_horizontal, "flip_vertical": flip_vertical,
                "channel_shift_intensity": None, "brightness": None}

    @staticmethod
    def _draw_shift(shift_range, size, random):
        if isinstance(shift_range, (float, np.floating)):
            if not shift_range:
                return 0.0
            shift = random.uniform(-shift_range, shift_range)
        else:                                    # an int or a list: choose, then a sign
            if np.ndim(shift_range) == 0 and not shift_range:
                return 0.0
            shift = random.choice(shift_range) * random.choice([-1, 1])
        return shift * size if np.max(shift_range) < 1 else shift

    def apply_transform(self, x, transform_parameters):
        """Apply one parameter dictionary to one image, as Keras.

        The affine part (rotation, shifts, shear, zoom) is one resampling
        (``apply_affine_transform``) with this generator's ``fill_mode`` and
        ``cval``; the flips come after it. Missing keys mean "no change".

        Args:
            x: ``(H, W, C)`` float image.
            transform_parameters: dict as ``get_random_transform`` returns.

        Returns:
            ``(H, W, C)`` array of ``x``'s dtype (possibly ``x`` itself or a view).
        """
        p = transform_parameters
        for key in ("channel_shift_intensity", "brightness"):
            if p.get(key) is not None:
                raise ValueError(f"apply_transform: {key!r} is not supported by minicnn")
        x = apply_affine_transform(x, p.get("theta", 0), p.get("tx", 0), p.get("ty", 0),
                                   p.get("shear", 0), p.get("zx", 1), p.get("zy", 1),
                                   fill_mode=self.fill_mode, cval=self.cval)
        if p.get("flip_horizontal", False):
            x = x[:, ::-1]
        if p.get("flip_vertical", False):
            x = x[::-1]
        return x

    def random_transform(self, x, seed=None):
        """A randomly transformed copy of one ``(H, W, C)`` image (same shape and dtype)."""
        return self.apply_transform(x, self.get_random_transform(np.shape(x), seed))
