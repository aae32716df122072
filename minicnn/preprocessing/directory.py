"""``flow_from_directory``: one sub-folder per class, images inside, as in Keras.

The layout of the chapter::

    train/
        cats/cat.0.jpg, cat.1.jpg, ...
        dogs/dog.0.jpg, ...

Classes are the sub-folder names in sorted order (``{'cats': 0, 'dogs': 1}``),
or the ``classes`` list in its order. Each class folder is walked recursively
(sub-folders sorted, files sorted within each), keeping files whose extension
is one of ``WHITE_LIST_FORMATS`` (png, jpg, jpeg, bmp, ppm, tif, tiff, in any
case); other files are skipped silently, as Keras does. ``filenames`` are paths
relative to ``directory``, class after class. A class folder with no image (in
the chosen subset) is a warning naming it: its class would never be drawn.
"""
import os
import warnings

import numpy as np

from .image_io import (channels_of, check_color_mode, check_interpolation,
                       check_target_size, img_to_array, load_img)
from .iterators import WHITE_LIST_FORMATS, Iterator

CLASS_MODES = ("categorical", "binary", "sparse", "input", None)


def list_class_files(class_dir, class_name, split=None, follow_links=False):
    """The image files of one class folder, in Keras' order.

    Args:
        class_dir: path of the class folder.
        class_name: its name, the first component of the returned paths.
        split: None, or ``(start, stop)`` fractions: keep files
            ``int(start * n):int(stop * n)`` of the ``n`` found (Keras'
            ``validation_split``: validation is ``(0, split)``).
        follow_links: follow symbolic links to sub-folders.

    Returns:
        list of paths relative to the parent of ``class_dir``
        (``'cats/cat.0.jpg'``).
    """
    files = []
    walk = sorted(os.walk(class_dir, followlinks=follow_links), key=lambda item: item[0])
    for root, _, names in walk:
        for name in sorted(names):
            if name.lower().endswith(tuple("." + ext for ext in WHITE_LIST_FORMATS)):
                files.append(os.path.join(class_name,
                                          os.path.relpath(os.path.join(root, name), class_dir)))
    if split is not None:
        files = files[int(split[0] * len(files)):int(split[1] * len(files))]
    return files


class DirectoryIterator(Iterator):
    """Batches of images read from class folders, as ``flow_from_directory``.

    Args:
        directory: the folder holding one sub-folder per class.
        image_data_generator: the ``ImageDataGenerator`` that augments and rescales.
        target_size: ``(height, width)`` every image is resized to.
        color_mode: ``'rgb'`` (C = 3), ``'grayscale'`` (C = 1) or ``'rgba'`` (C = 4).
        classes: None (sub-folders, sorted) or a list of sub-folder names.
        class_mode: ``'categorical'`` (one-hot), ``'binary'``, ``'sparse'``,
            ``'input'`` (the images again, for autoencoders) or None (images only).
        batch_size, shuffle, seed, workers, max_queue_size: as ``Iterator``.
        follow_links: follow symbolic links to sub-folders.
        subset: ``'training'`` or ``'validation'``, with the generator's
            ``validation_split`` (validation: the first fraction of each class).
        interpolation: the resize method (``load_img``).
        dtype: the batch type; default the generator's.

    Yields:
        ``(x, y)`` with ``x`` ``(B, H, W, C)`` of ``dtype``, values as the generator
        leaves them (0..255 times ``rescale``), and ``y``: ``(B, K)`` one-hot
        (categorical), ``(B,)`` class indices as ``dtype`` (binary, sparse), or a
        copy of ``x`` (input); only ``x`` for ``class_mode=None``.

    Raises:
        ValueError: a missing directory or class folder, no images, or a bad
            argument (named in the message). Unreadable image files raise
            ``OSError`` naming the file when their batch is drawn.
    """

    allowed_class_modes = CLASS_MODES

    def __init__(self, directory, image_data_generator, target_size=(256, 256),
                 color_mode="rgb", classes=None, class_mode="categorical", batch_size=32,
                 shuffle=True, seed=None, follow_links=False, subset=None,
                 interpolation="nearest", dtype=None, workers=None, max_queue_size=2):
        self.target_size = check_target_size(target_size)
        check_color_mode(color_mode)
        check_interpolation(interpolation)
        if class_mode not in CLASS_MODES:
            raise ValueError(f"class_mode: expected one of {CLASS_MODES}, got {class_mode!r}")
        split = None
        if subset is not None:
            fraction = image_data_generator._subset_split(subset)
            split = (0.0, fraction) if subset == "validation" else (fraction, 1.0)
        directory = os.fspath(directory)
        if not os.path.isdir(directory):
            raise ValueError(f"directory: {directory!r} does not exist or is not a folder")
        if classes is None:
            classes = [name for name in sorted(os.listdir(directory))
                       if os.path.isdir(os.path.join(directory, name))]
            if not classes:
                raise ValueError(f"directory: {directory!r} has no class sub-folders; expected "
                                 f"{directory}/<class>/<images>, e.g. train/cats/cat.0.jpg")
        for name in classes:
            if not os.path.isdir(os.path.join(directory, name)):
                raise ValueError(f"classes: no folder {name!r} in {directory!r}")

        self.directory = directory
        self.image_data_generator = image_data_generator
        self.color_mode = color_mode
        self.image_shape = self.target_size + (channels_of(color_mode),)
        self.class_mode = class_mode
        self.interpolation = interpolation
        self.subset = subset
        self.split = split
        self.dtype = dtype or image_data_generator.dtype
        self.class_indices = {name: i for i, name in enumerate(classes)}
        self.num_classes = len(classes)
        self.filenames, labels, empty = [], [], []
        for name in classes:
            files = list_class_files(os.path.join(directory, name), name, split, follow_links)
            self.filenames += files
            labels += [self.class_indices[name]] * len(files)
            if not files:
                empty.append(name)
        self.classes = np.array(labels, dtype=np.int32)
        self.samples = len(self.filenames)
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        if self.samples == 0:
            what = f" in the {subset!r} subset" if subset else ""
            raise ValueError(f"directory: no image files{what} under {directory!r} (looked "
                             f"for {', '.join(WHITE_LIST_FORMATS)} in {classes})")
        if empty:
            what = f" in the {subset!r} subset" if subset else ""
            folders = ", ".join(os.path.join(directory, name) for name in empty)
            warnings.warn(f"flow_from_directory: no image files{what} in class folder(s) "
                          f"{folders} (looked for {', '.join(WHITE_LIST_FORMATS)}); their "
                          f"class index stays reserved but no batch will hold it. Add images, "
                          "or leave the folder out (classes=[...])", UserWarning, stacklevel=3)
        self._filepaths = [os.path.join(directory, name) for name in self.filenames]
        super().__init__(self.samples, batch_size, shuffle, seed, workers, max_queue_size)

    @property
    def filepaths(self):
        """Full paths of the files, in ``filenames`` order."""
        return self._filepaths

    @property
    def labels(self):
        """The class index of every file (``classes``)."""
        return self.classes

    def _load(self, j):
        img = load_img(self._filepaths[j], color_mode=self.color_mode,
                       target_size=self.target_size, interpolation=self.interpolation)
        return img_to_array(img, dtype=self.dtype)

    def _labels(self, index_array, batch_x):
        if self.class_mode is None:
            return batch_x
        if self.class_mode == "input":
            return batch_x, batch_x.copy()
        if self.class_mode in ("binary", "sparse"):
            return batch_x, self.classes[index_array].astype(self.dtype)
        batch_y = np.zeros((len(index_array), self.num_classes), dtype=self.dtype)
        batch_y[np.arange(len(index_array)), self.classes[index_array]] = 1.0
        return batch_x, batch_y
