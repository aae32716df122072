"""minicnn: a teaching convnet engine with Keras 2's vocabulary, in NumPy."""
from . import backend

__version__ = "0.1.0"
