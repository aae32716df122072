"""Models with Keras' names: ``Sequential``, ``Model`` (functional API)."""
from .functional import Model
from .sequential import Sequential
from .training import NonFiniteLossError


def load_model(filepath, compile=True):
    """A model from a Keras file written by minicnn, Keras 2 or Keras 3: a ``.keras``
    archive or an ``.h5`` (the contents decide); see ``minicnn.io.load_model``."""
    from ..io import load_model as _load_model

    return _load_model(filepath, compile=compile)


__all__ = ["Model", "Sequential", "NonFiniteLossError", "load_model"]
