"""The one array-module seam of minicnn.

Every layer, loss and optimizer asks *this* module which array library to use,
so the same code runs on NumPy (CPU) and CuPy (GPU):

- ``get_array_module(x)`` returns the module that owns ``x`` (``numpy`` for NumPy
  arrays). Math follows the array, like DeZero's and Chainer's helper.
- ``set_backend(name)`` (or ``MINICNN_BACKEND=cupy``) only decides where *new*
  arrays are made (weights, random masks, each training batch);
  ``array_module()`` returns that module. ``to_numpy``/``to_device`` move data.
- ``floatx()`` / ``set_floatx()``: the default float type (``'float32'``;
  ``'float64'`` for gradient checks).
- ``set_seed(seed)`` / ``rng()``: one seeded random generator for initializers
  and dropout.
- ``set_kernels(mode)``: which twin of the kernels runs (``'auto'``: numba on
  NumPy arrays, vectorised ``xp`` elsewhere; or force ``'cpu'``, ``'xp'``,
  ``'reference'``).
- ``set_conv_algorithm(name)`` (or ``MINICNN_CONV_ALGORITHM``): im2col or Winograd for 3x3,
  stride-1 convolutions (``'auto'``, ``'im2col'``, ``'winograd2'``, ``'winograd4'``; see
  ``kernels/conv_algorithm.py``).
- ``clear_session()`` resets Keras-style automatic layer names.
- Keras 2's symbolic functions, for ``from minicnn import backend as K``: ``K.mean``,
  ``K.gradients``, ``K.function`` and the rest of ``minicnn.symbolic.NAMES``, loaded from
  ``minicnn.symbolic.api`` on first use.
"""
import contextlib
import os

import numpy

_FLOATX = "float32"
_BACKEND = os.environ.get("MINICNN_BACKEND", "numpy")
if _BACKEND not in ("numpy", "cupy"):
    raise ValueError(f"MINICNN_BACKEND must be 'numpy' or 'cupy', got {_BACKEND!r}")
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

    Raises:
        ValueError: NumPy and CuPy arrays are mixed (no silent copy between host and GPU).
    """
    modules = {type(x).__module__.split(".")[0] for x in arrays if hasattr(x, "shape")}
    if "cupy" in modules:
        if "numpy" in modules:
            raise ValueError("NumPy and CuPy arrays are mixed in one call: move the NumPy ones "
                             "to the GPU with minicnn.backend.to_device(x) (or use model.fit/"
                             "predict, which move each batch)")
        import cupy  # only here and in the kernels: lazily

        return cupy
    return numpy


def _import_cupy():
    """CuPy and a usable GPU, or an error that says which is missing."""
    try:
        import cupy
    except ImportError as e:
        raise RuntimeError(
            "the 'cupy' backend needs CuPy, which is not installed: pip install "
            "'minicnn[cuda12]' (cupy-cuda12x, CUDA 12) or 'minicnn[cuda13]' (cupy-cuda13x, "
            f"CUDA 13) ({e})") from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # CUDA driver missing or broken
        raise RuntimeError(f"the 'cupy' backend needs an NVIDIA GPU with a working CUDA driver: "
                           f"CuPy could not reach one ({e})") from None
    if count < 1:
        raise RuntimeError("the 'cupy' backend needs an NVIDIA GPU: CuPy sees none")
    return cupy


def array_module():
    """The module where new arrays are made (set by ``set_backend``)."""
    if _BACKEND == "cupy":
        return _import_cupy()
    return numpy


def backend():
    """The name of the current backend: ``'numpy'`` or ``'cupy'``."""
    return _BACKEND


def set_backend(name):
    """Choose where new arrays (weights, masks, batches) are made: ``'numpy'`` or ``'cupy'``.

    ``'cupy'`` checks at once that CuPy and a GPU are there. Existing models keep
    their arrays where they are: build (or load) the model after switching.
    """
    global _BACKEND
    if name not in ("numpy", "cupy"):
        raise ValueError(f"set_backend: unknown backend {name!r}; expected 'numpy' or 'cupy'")
    if name == "cupy":
        _import_cupy()
    _BACKEND = name


def available_backends():
    """The backends that work here: ``['numpy']``, plus ``'cupy'`` with CuPy and a GPU."""
    try:
        _import_cupy()
    except RuntimeError:
        return ["numpy"]
    return ["numpy", "cupy"]


def to_numpy(x):
    """A NumPy copy (or view) of ``x`` for printing, saving and plotting."""
    if hasattr(x, "get") and type(x).__module__.startswith("cupy"):
        return x.get()
    return numpy.asarray(x)


def to_device(x, dtype=None):
    """``x`` as an array of the current backend (a host-to-GPU copy on ``'cupy'``)."""
    return array_module().asarray(x, dtype=dtype)


def random_uniform(shape, generator=None, xp=None):
    """Uniform float32 numbers in ``[0, 1)`` of ``shape``, made by ``xp`` (default: the backend).

    ``generator`` is a NumPy ``Generator`` (``rng()`` by default); on CuPy it seeds
    a GPU generator, so masks are drawn on the device and still follow ``set_seed``.
    """
    generator = generator or _RNG
    xp = xp or array_module()
    if xp is numpy:
        return generator.random(shape, dtype=numpy.float32)
    return xp.random.default_rng(int(generator.integers(2**62))).random(shape, dtype=xp.float32)


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


# -------------------------------------------------------- convolution algorithm
# The setting lives in kernels/conv_algorithm.py (with the rule 'auto' follows); these
# are its public names. Imported when called: kernels/ imports this module.
def conv_algorithm():
    """Which algorithm 3x3, stride-1 convolutions run: ``'auto'``, ``'im2col'``,
    ``'winograd2'`` or ``'winograd4'``."""
    from .kernels import conv_algorithm as setting

    return setting.conv_algorithm()


def set_conv_algorithm(name):
    """Force im2col or a Winograd tile size for every layer it applies to, or ``'auto'``."""
    from .kernels import conv_algorithm as setting

    setting.set_conv_algorithm(name)


def conv_algorithm_scope(name):
    """Temporarily run another convolution algorithm (a context manager)."""
    from .kernels import conv_algorithm as setting

    return setting.conv_algorithm_scope(name)


# ------------------------------------------------------------------ layer names
def unique_name(prefix):
    """Keras-2-style automatic names: ``conv2d_1``, ``conv2d_2``, ... per process."""
    _NAME_COUNTS[prefix] = _NAME_COUNTS.get(prefix, 0) + 1
    return f"{prefix}_{_NAME_COUNTS[prefix]}"


def clear_session():
    """Reset the automatic layer-name counters (a new model starts at ``conv2d_1``)."""
    _NAME_COUNTS.clear()


# ---------------------------------------------------- Keras 2's symbolic functions
def __getattr__(name):
    """``K.mean``, ``K.gradients``, ``K.function``...: ``minicnn.symbolic.api``'s, on first use."""
    from .symbolic import NAMES

    if name in NAMES:
        from .symbolic import api

        return getattr(api, name)
    raise AttributeError(f"module 'minicnn.backend' has no attribute {name!r}")


def __dir__():
    from .symbolic import NAMES

    return sorted(list(globals()) + list(NAMES))
