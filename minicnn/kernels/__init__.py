"""Convolution, pooling and ReLU kernels, in three twins with one signature each.

Notation (used in every kernel module)::

    N   batch size              H, W    input height, width      C   input channels
    KH, KW  window (kernel) size   SH, SW  strides               F   filters (output channels)
    OH, OW  output height, width   PT, PB, PL, PR  zero padding top, bottom, left, right

Layout is NHWC everywhere, as in Keras' files. ``im2col`` turns an image batch
``x: (N, H, W, C)`` into a matrix ``cols: (N*OH*OW, KH*KW*C)`` whose row
``(n*OH + oh)*OW + ow`` holds the window under output pixel ``(n, oh, ow)``
flattened in ``(ki, kj, c)`` order, so a convolution is one matrix product with
the kernel reshaped from ``(KH, KW, C, F)`` to ``(KH*KW*C, F)``.

The twins:

- ``reference``: naive loops, the readable specification;
- ``cpu``: numba ``@njit(parallel=True, cache=True)`` versions, same index math;
- ``xp``: vectorised array-module code (slices and reshapes), what CuPy runs.

The functions below choose a twin (``backend.set_kernels``) and call it.

Winograd convolution (3x3, stride 1; ``winograd.py`` has its notation and matrices) has
its own three twins, chosen the same way: ``winograd_reference``, ``winograd_cpu``,
``winograd_xp``. Which convolution algorithm a layer runs is ``conv_algorithm.py``'s.
"""
from .. import backend
from .geometry import argmax_dtype, conv_geometry, normalize_padding

__all__ = [
    "conv_geometry", "argmax_dtype", "normalize_padding",
    "im2col", "col2im",
    "maxpool_forward", "maxpool_backward",
    "avgpool_forward", "avgpool_backward",
    "bias_relu", "relu_backward", "matmul",
    "winograd_forward", "winograd_backward_input", "winograd_backward_kernel",
]


def _twin(x):
    """The kernel module to run on array ``x``, by ``backend.kernels()``."""
    mode = backend.kernels()
    if mode == "auto":
        mode = "cpu" if backend.get_array_module(x).__name__ == "numpy" else "xp"
    if mode == "cpu":
        from . import cpu

        return cpu
    if mode == "xp":
        from . import xp

        return xp
    from . import reference

    return reference


def im2col(x, KH, KW, SH, SW, padding):
    """Windows of ``x`` as rows: ``x: (N, H, W, C)`` -> ``cols: (N*OH*OW, KH*KW*C)``."""
    return _twin(x).im2col(x, KH, KW, SH, SW, padding)


def col2im(cols, x_shape, KH, KW, SH, SW, padding):
    """Adjoint of im2col: ``cols: (N*OH*OW, KH*KW*C)`` -> ``dx: x_shape (N, H, W, C)``.

    Overlapping windows add up.
    """
    return _twin(cols).col2im(cols, x_shape, KH, KW, SH, SW, padding)


def maxpool_forward(x, KH, KW, SH, SW, padding):
    """Max over each window: ``x: (N, H, W, C)`` -> ``(y, argmax)``, both ``(N, OH, OW, C)``.

    ``argmax`` holds the window position ``ki*KW + kj`` of the first maximum.
    """
    return _twin(x).maxpool_forward(x, KH, KW, SH, SW, padding)


def maxpool_backward(dy, argmax, x_shape, KH, KW, SH, SW, padding):
    """Route ``dy: (N, OH, OW, C)`` to each window's argmax: -> ``dx: x_shape``."""
    return _twin(dy).maxpool_backward(dy, argmax, x_shape, KH, KW, SH, SW, padding)


def avgpool_forward(x, KH, KW, SH, SW, padding):
    """Mean over the in-bounds cells of each window: ``(N, H, W, C)`` -> ``(N, OH, OW, C)``."""
    return _twin(x).avgpool_forward(x, KH, KW, SH, SW, padding)


def avgpool_backward(dy, x_shape, KH, KW, SH, SW, padding):
    """Spread ``dy: (N, OH, OW, C)`` evenly over each window's in-bounds cells."""
    return _twin(dy).avgpool_backward(dy, x_shape, KH, KW, SH, SW, padding)


def bias_relu(z, bias):
    """A layer's bias and ReLU in one pass, in place: ``z: (M, F)``, ``bias: (F,)`` -> ``z``."""
    return _twin(z).bias_relu(z, bias)


def relu_backward(dy, y):
    """The gradient through a ReLU, ``dy * (y > 0)``: a new array shaped like ``dy``."""
    return _twin(dy).relu_backward(dy, y)


# ------------------------------------------------------------ matrix products
def matmul(a, b, out=None):
    """``a @ b`` for 2-D arrays ``a: (M, K)``, ``b: (K, N)`` -> ``(M, N)`` (into ``out``).

    On NumPy arrays the product is split among minicnn's threads, BLAS on one thread
    each (``parallel.py`` says why); other array modules (CuPy) run their own.
    """
    xp = backend.get_array_module(a, b)
    if xp.__name__ == "numpy":
        from . import parallel

        return parallel.matmul(a, b, out)
    return xp.matmul(a, b, out=out)


# ------------------------------------------------------------------ Winograd
def _winograd_twin(x):
    """The Winograd twin matching ``_twin(x)``: ``winograd_cpu``, ``winograd_xp`` or
    ``winograd_reference``."""
    twin = _twin(x).__name__.rsplit(".", 1)[1]
    if twin == "cpu":
        from . import winograd_cpu

        return winograd_cpu
    if twin == "xp":
        from . import winograd_xp

        return winograd_xp
    from . import winograd_reference

    return winograd_reference


def winograd_forward(x, kernel, m, padding, out=None):
    """A 3x3, stride-1 convolution by F(m x m, 3 x 3): ``x: (N, H, W, C)``, ``kernel:
    (3, 3, C, F)`` -> ``y: (N, OH, OW, F)`` (into ``out`` when given)."""
    return _winograd_twin(x).forward(x, kernel, m, padding, out)


def winograd_backward_input(dy, kernel, m, padding, out=None):
    """Its input gradient: ``dy: (N, OH, OW, F)`` -> ``dx: (N, H, W, C)``."""
    return _winograd_twin(dy).backward_input(dy, kernel, m, padding, out)


def winograd_backward_kernel(x, dy, m, padding):
    """Its kernel gradient: ``x: (N, H, W, C)``, ``dy: (N, OH, OW, F)`` -> ``dW: (3, 3, C, F)``."""
    return _winograd_twin(x).backward_kernel(x, dy, m, padding)
