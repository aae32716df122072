"""Keras 2's backend functions, with its names and arguments: ``from minicnn import backend as K``.

On symbolic tensors (``model.input``, ``layer.output`` and what is built from them) each
function builds an ``Expression``; on NumPy (or CuPy) arrays and numbers it computes at
once and returns an array, as a reader trying ``K.mean(np.arange(4.))`` in a REPL expects.
``gradients`` and ``function`` are in ``function.py``'s terms: see there.
"""
import numpy

from .. import backend
from . import ops
from .function import Function, depends_on, graph
from .tensor import (Expression, Gradient, binary, is_symbolic, reduced_shape, reshape_shape,
                     unary)

_EPSILON = 1e-7


def _apply(op, x, shape):
    """``op`` on ``x``: an ``Expression`` if ``x`` is symbolic, else its value now."""
    if is_symbolic(x):
        return Expression(op, [x], shape(x.shape))
    return op.forward(_array(x))


def _array(x):
    return x if hasattr(x, "shape") and hasattr(x, "dtype") else numpy.asarray(x)


def _unary(name, x):
    return unary(name, x) if is_symbolic(x) else ops.Unary(name).forward(_array(x))


def _binary(name, a, b):
    if not (is_symbolic(a) or is_symbolic(b)):
        return ops.Binary(name).forward(_array(a), _array(b))
    result = binary(name, a, b)
    if result is NotImplemented:
        raise TypeError(f"K.{name}: expected tensors, numbers or arrays, got "
                        f"{type(a).__name__} and {type(b).__name__}")
    return result


# ------------------------------------------------------------------ reductions
def _reduction(name):
    def reduce(x, axis=None, keepdims=False):
        return _apply(ops.Reduce(name, axis, keepdims), x,
                      lambda s: reduced_shape(s, axis, keepdims))
    reduce.__name__ = name
    reduce.__doc__ = (f"The {name} over ``axis`` (an int, a tuple, or ``None`` for every "
                      f"axis); ``keepdims`` keeps them as size 1. ``x: (...)`` -> the reduced "
                      f"shape.")
    return reduce


sum = _reduction("sum")      # noqa: A001  (Keras' names shadow the builtins here only)
mean = _reduction("mean")
max = _reduction("max")      # noqa: A001
min = _reduction("min")      # noqa: A001


# ----------------------------------------------------------------- elementwise
def square(x):
    """``x ** 2``, elementwise; same shape."""
    return _unary("square", x)


def sqrt(x):
    """The square root, elementwise, of ``x`` clipped at 0 (as Keras 2 does); same shape."""
    return _unary("sqrt", x)


def abs(x):                   # noqa: A001
    """``|x|``, elementwise; same shape."""
    return _unary("abs", x)


def exp(x):
    """``e ** x``, elementwise; same shape."""
    return _unary("exp", x)


def log(x):
    """The natural logarithm, elementwise; same shape."""
    return _unary("log", x)


def maximum(x, y):
    """The larger of ``x`` and ``y``, elementwise (broadcast)."""
    return _binary("maximum", x, y)


def minimum(x, y):
    """The smaller of ``x`` and ``y``, elementwise (broadcast)."""
    return _binary("minimum", x, y)


def pow(x, a):                # noqa: A001
    """``x ** a``, elementwise."""
    return _binary("pow", x, a)


def clip(x, min_value, max_value):
    """``x`` clipped to ``[min_value, max_value]`` (``max_value`` below ``min_value`` is
    raised to it, ``None`` is no upper bound, as in Keras 2); same shape."""
    if max_value is not None and max_value < min_value:
        max_value = min_value
    hi = numpy.inf if max_value is None else max_value
    return _apply(ops.Clip(min_value, hi), x, lambda s: s)


def l2_normalize(x, axis=None):
    """``x / sqrt(max(sum(x ** 2, axis), 1e-12))``: unit L2 norm along ``axis``, built from
    the ops above (so its gradient is theirs, chained)."""
    return x / sqrt(maximum(sum(square(x), axis=axis, keepdims=True), 1e-12))


def reshape(x, shape):
    """``x`` with a new ``shape`` (one entry may be ``-1``)."""
    return _apply(ops.Reshape(shape), x, lambda s: reshape_shape(s, shape))


# ------------------------------------------------------------------ about tensors
def constant(value, dtype=None, shape=None, name=None):
    """A constant array of ``floatx()`` (or ``dtype``), filled to ``shape`` if given."""
    value = numpy.asarray(value, dtype=dtype or backend.floatx())
    return numpy.broadcast_to(value, shape).copy() if shape is not None else value


def int_shape(x):
    """The shape as a tuple, ``None`` where unknown: ``(None, 150, 150, 3)``."""
    return tuple(x.shape)


def shape(x):
    """The shape as an int array (symbolic: known when ``K.function`` runs)."""
    return _apply(ops.Shape(), x, lambda s: (len(s),))


def ndim(x):
    """The number of axes."""
    return len(x.shape)


def epsilon():
    """The fuzz factor Keras adds to avoid dividing by zero: ``1e-07``."""
    return _EPSILON


def set_epsilon(value):
    """Change ``epsilon()``."""
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    """``'channels_last'``: minicnn is NHWC everywhere, as Keras' TensorFlow default."""
    return "channels_last"


def set_image_data_format(data_format):
    """Only ``'channels_last'`` exists in minicnn."""
    if data_format != "channels_last":
        raise ValueError(f"set_image_data_format: minicnn is channels_last (NHWC) only, "
                         f"got {data_format!r}")


# -------------------------------------------------------------------- gradients
def gradients(loss, variables):
    """The gradients of ``loss`` (summed if it is not a scalar, as Keras 2 does) with
    respect to each of ``variables`` (a model input or any layer output upstream).

    Args:
        loss: a symbolic tensor, e.g. ``K.mean(layer.output[:, :, :, 0])``.
        variables: a symbolic tensor or a list of them.

    Returns:
        A list with one symbolic tensor per variable, shaped like it, or ``None`` for a
        variable ``loss`` does not depend on (Keras' answer). Its values come from
        ``K.function``: one forward pass, the expressions' VJPs, then the layers' own
        backward passes.
    """
    if not is_symbolic(loss):
        raise TypeError(f"K.gradients: loss must be a symbolic tensor (built from model.input "
                        f"or layer.output), got {type(loss).__name__}")
    if any(isinstance(node, Gradient) for node in graph([loss])[0]):
        raise ValueError("K.gradients: loss is built from another K.gradients result; "
                         "a gradient of a gradient is not supported (the layers' backward "
                         "passes are first-order)")
    single = not isinstance(variables, (list, tuple))
    variables = [variables] if single else list(variables)
    result = []
    for i, var in enumerate(variables):
        if not is_symbolic(var):
            raise TypeError(f"K.gradients: variable {i} must be a symbolic tensor "
                            f"(model.input or a layer's output), got {type(var).__name__}")
        result.append(Gradient(loss, var) if depends_on(loss, var) else None)
    return result


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """A callable ``f([x]) -> [values]`` computing ``outputs`` from ``inputs``' data.

    Args:
        inputs: ``[model.input]``.
        outputs: symbolic tensors, e.g. ``[loss, grads]``.

    Returns:
        A ``Function``: called with a list of arrays (``[x]``, any float type, shaped
        like the placeholder), it returns a list of NumPy arrays, one per output.
    """
    if kwargs:
        raise TypeError(f"K.function: unexpected argument(s) {sorted(kwargs)}")
    return Function(inputs, outputs, updates=updates, name=name)
