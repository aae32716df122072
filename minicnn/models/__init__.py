"""Models with Keras' names: ``Sequential``, ``Model`` (functional API)."""
from .functional import Model
from .sequential import Sequential
from .training import NonFiniteLossError

__all__ = ["Model", "Sequential", "NonFiniteLossError"]
