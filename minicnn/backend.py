"""The one array-module seam of minicnn.

Every layer, loss and optimizer asks *this* module which array library to use,
so the same code runs on NumPy (CPU) and, later, CuPy (GPU):

- ``get_array_module(x)`` returns the module that owns ``x`` (``numpy`` for NumPy
  arrays). Math follows the array, like DeZero's and Chainer's helper.
- ``set_backend(name)`` only decides where *new* arrays are made (weights,
  random masks); ``array_module()`` returns that module.
- ``floatx()`` / ``set_floatx()``: the default float type (``'float32'``;
  ``'float64'`` for gradient checks).
- ``set_seed(seed)`` / ``rng()``: one seeded random generator for initializers
  and dropout.
- ``set_kernels(mode)``: which twin of the kernels runs (``'auto'``: numba on
  NumPy arrays, vectorised ``xp`` elsewhere; or force ``'cpu'``, ``'xp'``,
  ``'reference'``).
- ``clear_session()`` resets Keras-style automatic layer names.
"""
import contextlib
import os

import numpy

_FLOATX = "float32"
_BACKEND = "numpy"
_KERNEL_MODES = ("auto", "cpu", "xp", "reference")
_KERNELS = os.environ.get("MINICNN_KERNELS", "auto")
if _KERNELS not in _KERNEL_MODES:
    raise ValueError(f"MINICNN_KERNELS must be one of {_KERNEL_MODES}, got {_KERNELS!r}")
_RNG = numpy.random.default_rng()
_NAME_COUNTS = {}


# ----------------------------------------------------------------- array module
def get_array_module(*arrays):
    """The array module (``numpy`` or ``cupy``) that owns the given arrays.

    Args:
        *arrays: arrays or scalars. Non-arrays are ignored.

    Returns:
        ``numpy`` unless an argument is a CuPy array.
    """
    for x in arrays:
        module = type(x).__module__
        if module.startswith("cupy"):
            import cupy  # only here and in the kernels: lazily

            return cupy
    return numpy


def array_module():
    """The module where new arrays are made (set by ``set_backend``)."""
    if _BACKEND == "cupy":
        import cupy

        return cupy
    return numpy


def backend():
    """The name of the current backend: ``'numpy'``."""
    return _BACKEND


def set_backend(name):
    """Choose where new arrays are made: ``'numpy'`` (the only one for now)."""
    global _BACKEND
    if name != "numpy":
        raise ValueError(f"set_backend: unknown backend {name!r}; expected 'numpy'")
    _BACKEND = name


def to_numpy(x):
    """A NumPy copy (or view) of ``x`` for printing, saving and plotting."""
    if hasattr(x, "get") and get_array_module(x) is not numpy:
        return x.get()
    return numpy.asarray(x)


# ------------------------------------------------------------------ float types
def floatx():
    """The default float type name: ``'float32'`` unless ``set_floatx`` changed it."""
    return _FLOATX


def set_floatx(value):
    """Set the default float type: ``'float32'`` or ``'float64'``."""
    global _FLOATX
    if value not in ("float32", "float64"):
        raise ValueError(f"set_floatx: expected 'float32' or 'float64', got {value!r}")
    _FLOATX = value


@contextlib.contextmanager
def floatx_scope(value):
    """Temporarily use another float type (gradient checks run in float64)."""
    old = floatx()
    set_floatx(value)
    try:
        yield
    finally:
        set_floatx(old)


# ---------------------------------------------------------------------- seeding
def set_seed(seed):
    """Seed minicnn's random generator (initializers, dropout, shuffling)."""
    global _RNG
    _RNG = numpy.random.default_rng(seed)


def rng(seed=None):
    """A NumPy ``Generator``: a fresh one for an explicit ``seed``, else the shared one."""
    if seed is not None:
        return numpy.random.default_rng(seed)
    return _RNG


# ---------------------------------------------------------------- kernel choice
def kernels():
    """Which kernel twin runs: ``'auto'``, ``'cpu'``, ``'xp'`` or ``'reference'``."""
    return _KERNELS


def set_kernels(mode):
    """Force a kernel twin (tests and benchmarks); ``'auto'`` picks numba on NumPy."""
    global _KERNELS
    if mode not in _KERNEL_MODES:
        raise ValueError(f"set_kernels: expected one of {_KERNEL_MODES}, got {mode!r}")
    _KERNELS = mode


@contextlib.contextmanager
def kernels_scope(mode):
    """Temporarily run another kernel twin."""
    old = kernels()
    set_kernels(mode)
    try:
        yield
    finally:
        set_kernels(old)


# ------------------------------------------------------------------ layer names
def unique_name(prefix):
    """Keras-2-style automatic names: ``conv2d_1``, ``conv2d_2``, ... per process."""
    _NAME_COUNTS[prefix] = _NAME_COUNTS.get(prefix, 0) + 1
    return f"{prefix}_{_NAME_COUNTS[prefix]}"


def clear_session():
    """Reset the automatic layer-name counters (a new model starts at ``conv2d_1``)."""
    _NAME_COUNTS.clear()
