"""minicnn: a teaching convnet engine with Keras 2's vocabulary, in NumPy.

``from minicnn import layers, models, optimizers`` and the chapter's programs
run with ``keras`` replaced by ``minicnn``.
"""
from . import memory

KEEPS_FREED_MEMORY = memory.keep_freed_memory()   # faster repeated steps; see memory.py

from . import (activations, backend, callbacks, gradcheck, initializers, layers,  # noqa: E402
               losses, metrics, models, optimizers, utils)

__version__ = "0.1.0"
