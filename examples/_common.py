"""Small helpers the section-3 and section-4 examples share (not part of the chapter's listings)."""
import os
import tempfile

import numpy as np

from minicnn import layers, models
from minicnn.applications import vgg16
from minicnn.datasets import mnist
from minicnn.datasets.shapes import make_shapes_folder
from minicnn.utils import to_categorical
from minicnn.utils.data_utils import minicnn_home

KAGGLE_DIR = os.path.join(minicnn_home(), "datasets", "cats_and_dogs_small")  # listing 5-4's
SYNTHETIC_DIR = os.path.join(minicnn_home(), "datasets", "synthetic_shapes_small")
_scratch = []                                    # temporary folders, removed at exit


def cats_dogs_folder(data, quick, notes):
    """The folder holding ``train/``, ``validation/``, ``test/`` for the section-2 and 3 examples.

    ``data`` (``--data``) if given; with ``quick`` a tiny temporary 32x32 synthetic one;
    else the Kaggle folder of listing 5-4 if it exists, else the SYNTHETIC shapes folder.
    Appends to ``notes`` when the images are synthetic.
    """
    base_dir = data
    if base_dir is None and quick:
        _scratch.append(tempfile.TemporaryDirectory())
        base_dir = make_shapes_folder(os.path.join(_scratch[-1].name, "shapes"), 10, 5, 5,
                                      size=32)
    elif base_dir is None:
        if os.path.isdir(os.path.join(KAGGLE_DIR, "train")):
            base_dir = KAGGLE_DIR
        else:
            print(f"No Kaggle folder at {KAGGLE_DIR} (examples/make_small_cats_dogs.py makes "
                  f"it).\nUsing the SYNTHETIC shapes folder {SYNTHETIC_DIR} instead: ellipses "
                  "against rectangles, not photos; the accuracies below say nothing about cats "
                  "and dogs.")
            base_dir = make_shapes_folder(SYNTHETIC_DIR)
    readme = os.path.join(base_dir, "README.txt")
    if os.path.isfile(readme) and open(readme).read().startswith("SYNTHETIC"):
        notes.append("SYNTHETIC images (ellipses vs rectangles), not the chapter's cats and dogs")
    return base_dir


def vgg16_base(weights, size, notes):
    """Listing 5-16's ``VGG16(include_top=False)`` at ``size x size``.

    ``weights`` is ``--weights``: ``'imagenet'``, ``'none'`` or a file. Without the
    ImageNet file and without network it goes on with random weights, says so, and
    appends that to ``notes``.
    """
    weights = None if weights.lower() == "none" else weights
    try:
        conv_base = vgg16.VGG16(weights=weights, include_top=False, input_shape=(size, size, 3))
    except OSError as error:                          # DownloadError: no file, no network
        print(f"\n{error}\n\n*** Continuing with RANDOM weights. ***\n")
        conv_base = vgg16.VGG16(weights=None, include_top=False, input_shape=(size, size, 3))
        weights = None
    if weights is None:
        notes.append("RANDOM VGG16 weights, not ImageNet's")
    return conv_base


def local_vgg16_weights(include_top):
    """The path of Keras' ImageNet VGG16 file if it is already on this machine, else None."""
    spec = vgg16.WEIGHTS[bool(include_top)]
    for folder in vgg16.weights_folders():
        path = os.path.join(folder, spec.fname)
        if os.path.isfile(path):
            return path
    return None


def trained_mnist_convnet(epochs=1, images=8000):
    """The chapter's MNIST convnet (listings 5-1, 5-2) trained briefly on the MNIST data.

    Returns:
        ``(model, x_test, y_test)`` with ``x_test: (N, 28, 28, 1)`` float32 in [0, 1].
    """
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    prep = lambda x: (x.reshape(-1, 28, 28, 1) / np.float32(255)).astype("float32")  # noqa: E731
    model = models.Sequential([
        layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(prep(x_train[:images]), to_categorical(y_train[:images], 10), epochs=epochs,
              batch_size=64, verbose=2)
    return model, prep(x_test), y_test
