"""MNIST handwritten digits, as Keras' ``mnist.load_data``, with a real sample for offline use.

The full set is Keras' ``mnist.npz``, downloaded once into ``$MINICNN_HOME/datasets/``. Without
it and without network (or with ``MINICNN_OFFLINE=1``) ``load_data`` falls back to the sample
bundled in ``data/``: the first 10,000 images of the official training set, split 8,000 train /
2,000 test, with a warning. MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges,
under CC BY-SA 3.0 (see ``data/README.md``).
"""
import os
import warnings

import numpy

from ..utils.data_utils import DownloadError, get_file
from ._idx import read_pair

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"  # sha256
SAMPLE_DIR = os.path.join(os.path.dirname(__file__), "data")
SAMPLE_FILES = ("train-10k-images-idx3-ubyte.gz", "train-10k-labels-idx1-ubyte.gz")
SAMPLE_TRAIN = 8000  # the first 8,000 sample images train, the last 2,000 test


def load_data(path="mnist.npz"):
    """Load MNIST: the full set when cached or downloadable, else the bundled sample.

    Args:
        path: name of the cached file, relative to ``$MINICNN_HOME/datasets`` (Keras: relative
            to ``~/.keras/datasets``); an absolute path is used as it is.

    Returns:
        tuple: ``(x_train, y_train), (x_test, y_test)``: ``x`` uint8 ``(N, 28, 28)`` grey
        levels 0-255, ``y`` uint8 ``(N,)`` digits 0-9. ``N`` is 60,000 / 10,000 for the full
        set and 8,000 / 2,000 for the bundled sample.

    Warns:
        UserWarning: when the bundled sample is returned, saying how to get the full set.
    """
    try:
        local = get_file(path, origin=ORIGIN, file_hash=FILE_HASH)
    except DownloadError as exc:
        sample = (f"using the bundled sample, the first 10,000 MNIST training images split "
                  f"{SAMPLE_TRAIN:,} train / {10000 - SAMPLE_TRAIN:,} test")
        if exc.found_hash:                  # a file is there, but not the right one
            message = (
                f"MNIST: {exc.path} fails its sha256 check (expected {FILE_HASH}, found "
                f"{exc.found_hash.split(':')[1]}: a damaged download or another file) and "
                f"could not be fetched again ({exc.reason}); {sample}. For the full "
                f"60,000/10,000 set, run once with network (MINICNN_OFFLINE unset) to fetch it "
                f"again, or replace that file with the genuine mnist.npz from {ORIGIN}.")
        elif (exc.reason or "").startswith(("cache folder", "cached file")):  # not the network
            message = f"MNIST: {exc} Until then, {sample}."
        else:
            message = (
                f"MNIST: full mnist.npz unavailable ({exc.reason}); {sample}. For the full "
                f"60,000/10,000 set, run once with network (MINICNN_OFFLINE unset) or put "
                f"mnist.npz at {exc.path}.")
        warnings.warn(message, UserWarning, stacklevel=2)
        return load_sample()
    with numpy.load(local, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


def load_sample():
    """Load the bundled sample, without network and without warning.

    Returns:
        tuple: ``(x_train, y_train), (x_test, y_test)``: ``x`` uint8 ``(8000, 28, 28)`` and
        ``(2000, 28, 28)``, ``y`` uint8 ``(8000,)`` and ``(2000,)``.
    """
    x, y = read_pair(*(os.path.join(SAMPLE_DIR, name) for name in SAMPLE_FILES))
    return (x[:SAMPLE_TRAIN], y[:SAMPLE_TRAIN]), (x[SAMPLE_TRAIN:], y[SAMPLE_TRAIN:])
