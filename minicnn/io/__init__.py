"""Keras-compatible files: save and load whole models and weights, both ways.

The format follows the file name, as in Keras: ``model.save('m.keras')`` writes Keras 3's
archive and ``model.save('m.h5')`` Keras 2's full-model layout (architecture, weights,
compile settings, optimizer state), which Keras 2 and Keras 3 load with
``keras.models.load_model``; ``model.save_weights('w.weights.h5')`` writes Keras 3's weights
layout, any other ``.h5`` name Keras 2's. ``minicnn.models.load_model`` and
``model.load_weights`` read all of these, from minicnn, Keras 3, Keras 2 (and Keras 1 and
ImageNet weight files), telling the formats apart by their contents.

- ``h5_format``: the file layouts (groups, attributes, datasets);
- ``h5_nodes``: reaching a file's objects without leaving it (hard links only, arrays
  stored in the file: no external, soft or virtual indirection, no filter plugins);
- ``atomic``: saves that replace a file whole or not at all, and the removal of what
  killed saves left;
- ``config``: Keras model configs <-> minicnn models (the table of supported layer classes),
  ``config_values`` the option values in them;
- ``weight_plan``: the weights a config declares, checked against the file's arrays before
  anything is built;
- ``training_config``, ``optimizer_state``: compile settings and optimizer state;
- ``keras3_archive``, ``keras3_config``, ``keras3_weights``: Keras 3's ``.keras`` zip, its
  ``config.json`` and its weights layout (also ``x.weights.h5``);
- ``saving``: the four entry points (``ModelCheckpoint`` is in ``minicnn.callbacks``).

Every error about a file's contents is an ``H5FormatError`` (a ``ValueError``), zip problems
included (``KerasArchiveError``), and a file that points outside itself
(``ExternalDataError``).
"""
from .errors import (ExternalDataError, H5FormatError, UnsupportedLayerError,
                     WeightMismatchError)
from .keras3_archive import KerasArchiveError
from .saving import load_model, load_weights, save_model, save_weights

__all__ = ["ExternalDataError", "H5FormatError", "KerasArchiveError", "UnsupportedLayerError",
           "WeightMismatchError", "load_model", "load_weights", "save_model", "save_weights"]
