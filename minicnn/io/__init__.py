"""Keras-compatible ``.h5`` files: save and load whole models and weights, both ways.

``model.save('m.h5')`` writes Keras 2's full-model layout (architecture, weights, compile
settings, optimizer state), which Keras 2 and Keras 3 load with ``keras.models.load_model``;
``minicnn.models.load_model('m.h5')`` reads files written by minicnn, Keras 2 and Keras 3's
legacy ``.h5`` saver. ``model.save_weights`` / ``model.load_weights`` do the same for weights
alone, including Keras 1 and ImageNet weight files.

- ``h5_format``: the file layouts (groups, attributes, datasets) and atomic writes;
- ``config``: Keras model configs <-> minicnn models (the table of supported layer classes);
- ``training_config``, ``optimizer_state``: compile settings and optimizer state;
- ``saving``: the four entry points; ``checkpoint``: ``ModelCheckpoint``.
"""
from .errors import H5FormatError, UnsupportedLayerError, WeightMismatchError
from .saving import load_model, load_weights, save_model, save_weights
from .checkpoint import ModelCheckpoint  # noqa: E402  (after saving: imports callbacks)

__all__ = ["H5FormatError", "UnsupportedLayerError", "WeightMismatchError", "load_model",
           "load_weights", "save_model", "save_weights", "ModelCheckpoint"]
