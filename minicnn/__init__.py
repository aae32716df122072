"""minicnn: a teaching convnet engine with Keras 2's vocabulary, in NumPy.

``from minicnn import layers, models, optimizers`` and the chapter's programs
run with ``keras`` replaced by ``minicnn``.

The core (layers, models, training) is imported at once; ``applications``,
``datasets``, ``io``, ``preprocessing`` and ``visualization`` load on first use
(``minicnn.datasets.mnist`` works without importing them first), so ``import
minicnn`` stays quick and loads neither h5py, Pillow nor matplotlib.
"""
import importlib

from . import memory

KEEPS_FREED_MEMORY = memory.keep_freed_memory()   # faster repeated steps; see memory.py

from . import (activations, backend, callbacks, gradcheck, initializers, layers,  # noqa: E402
               losses, metrics, models, optimizers, utils)

__version__ = "0.1.0"

_LAZY = ("applications", "datasets", "io", "preprocessing", "visualization")


def __getattr__(name):
    """``minicnn.datasets`` and the other heavier subpackages, imported when first asked for."""
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'minicnn' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
