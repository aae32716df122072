"""minicnn: a teaching convnet engine with Keras 2's vocabulary, in NumPy.

``from minicnn import layers, models, optimizers`` and the chapter's programs
run with ``keras`` replaced by ``minicnn``.
"""
from . import (activations, backend, callbacks, gradcheck, initializers, layers, losses,
               metrics, models, optimizers, utils)

__version__ = "0.1.0"
