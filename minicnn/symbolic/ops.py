"""The operations of ``K.*`` expressions: each one's forward and its vector-Jacobian product.

An op's ``forward(*values)`` computes its result from NumPy (or CuPy) arrays; its
``vjp(g, y, *values)`` takes the gradient ``g`` of the final (summed) loss with respect
to the result ``y`` and returns the gradient with respect to each input (reverse mode,
as ``K.gradients`` needs: one pass from the loss back to the layers). Notation::

    x, a, b   the inputs        y   the result        g   dloss/dy, shaped like y

Elementwise ops broadcast like NumPy; their input gradients are summed back to each
input's shape (``unbroadcast``). Reductions put ``g`` back on the reduced axes
(``expand``). Inputs that are plain numbers or arrays (constants) get no gradient.
"""
import numpy

from ..backend import get_array_module


def unbroadcast(g, shape):
    """``g`` summed over the axes that broadcasting added or stretched, to ``shape``."""
    shape = tuple(shape)
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=stretched, keepdims=True) if stretched else g


def normalize_axes(axis, ndim):
    """Keras' ``axis`` (None, an int, or a list or tuple of ints) as a sorted tuple."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, numpy.integer)) else tuple(axis)
    return tuple(sorted(int(a) % ndim for a in axes)) if ndim else ()


def expand(g, ndim, axis, keepdims):
    """The gradient of a reduction's result, given back its reduced axes (size 1)."""
    if not keepdims:
        for a in normalize_axes(axis, ndim):
            g = get_array_module(g).expand_dims(g, a)
    return g


class Op:
    """One operation: ``name``, ``forward(*values)``, ``vjp(g, y, *values)``."""

    name = "op"

    def __repr__(self):
        return self.name


# ------------------------------------------------------------ elementwise, one input
# name: (forward(x), vjp(g, y, x)); y = forward(x)
UNARY = {
    "neg":    (lambda x: -x,                          lambda g, y, x: -g),
    "square": (lambda x: x * x,                       lambda g, y, x: 2 * x * g),
    # Keras 2's sqrt clips negative inputs to 0 first (TensorFlow's clip passes g on [0, inf))
    "sqrt":   (lambda x: _xp(x).sqrt(_xp(x).maximum(x, 0)),
               lambda g, y, x: _xp(x).where(x >= 0, g / (2 * y), 0)),
    "abs":    (lambda x: abs(x),                      lambda g, y, x: g * _xp(x).sign(x)),
    "exp":    (lambda x: _xp(x).exp(x),               lambda g, y, x: g * y),
    "log":    (lambda x: _xp(x).log(x),               lambda g, y, x: g / x),
}


class Unary(Op):
    def __init__(self, name):
        self.name = name
        self.forward, self._vjp = UNARY[name]

    def vjp(self, g, y, x):
        return (self._vjp(g, y, x),)


# ----------------------------------------------------------- elementwise, two inputs
# name: (forward(a, b), vjp for a, vjp for b); each vjp(g, y, a, b), before unbroadcasting
BINARY = {
    "add":     (lambda a, b: a + b,    lambda g, y, a, b: g,          lambda g, y, a, b: g),
    "sub":     (lambda a, b: a - b,    lambda g, y, a, b: g,          lambda g, y, a, b: -g),
    "mul":     (lambda a, b: a * b,    lambda g, y, a, b: g * b,      lambda g, y, a, b: g * a),
    "div":     (lambda a, b: a / b,    lambda g, y, a, b: g / b,
                lambda g, y, a, b: -g * a / (b * b)),
    "pow":     (lambda a, b: a ** b,   lambda g, y, a, b: g * b * a ** (b - 1),
                lambda g, y, a, b: g * y * _xp(a).log(a)),
    # TensorFlow's rule at ties: the first input takes the gradient
    "maximum": (lambda a, b: _xp(a, b).maximum(a, b), lambda g, y, a, b: g * (a >= b),
                lambda g, y, a, b: g * (a < b)),
    "minimum": (lambda a, b: _xp(a, b).minimum(a, b), lambda g, y, a, b: g * (a <= b),
                lambda g, y, a, b: g * (a > b)),
}


class Binary(Op):
    """``a <name> b``; ``wanted`` says which inputs are tensors (a constant gets ``None``)."""

    def __init__(self, name, wanted=(True, True)):
        self.name, self.wanted = name, tuple(wanted)
        self.forward, self._vjp_a, self._vjp_b = BINARY[name]

    def vjp(self, g, y, a, b):
        ga = unbroadcast(self._vjp_a(g, y, a, b), numpy.shape(a)) if self.wanted[0] else None
        gb = unbroadcast(self._vjp_b(g, y, a, b), numpy.shape(b)) if self.wanted[1] else None
        return ga, gb


class Clip(Op):
    """``clip(x, lo, hi)``; the gradient passes where ``lo <= x <= hi`` (TensorFlow's rule)."""

    name = "clip"

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        return _xp(x).clip(x, self.lo, self.hi)

    def vjp(self, g, y, x):
        return (g * ((x >= self.lo) & (x <= self.hi)),)


# ------------------------------------------------------------------- reductions
class Reduce(Op):
    """``sum``, ``mean``, ``max``, ``min`` over ``axis`` (``None``: all), ``keepdims``."""

    def __init__(self, name, axis=None, keepdims=False):
        self.name, self.axis, self.keepdims = name, axis, bool(keepdims)

    def forward(self, x):
        axes = normalize_axes(self.axis, x.ndim)
        return getattr(_xp(x), {"sum": "sum", "mean": "mean", "max": "amax", "min": "amin"}[
            self.name])(x, axis=axes, keepdims=self.keepdims)

    def vjp(self, g, y, x):
        g = expand(g, x.ndim, self.axis, self.keepdims)
        if self.name == "sum":
            return (g * _xp(x).ones_like(x),)
        if self.name == "mean":
            return (g * _xp(x).ones_like(x) * (y.size / x.size),)
        # max, min: shared equally by the entries that reach the extreme (TensorFlow's rule)
        hits = x == expand(y, x.ndim, self.axis, self.keepdims)
        count = hits.sum(axis=normalize_axes(self.axis, x.ndim), keepdims=True)
        return (g * hits / count,)


# ------------------------------------------------------------------- structure
class GetItem(Op):
    """``x[key]``: the gradient is ``g`` put back at ``key`` in zeros shaped like ``x``."""

    name = "getitem"

    def __init__(self, key):
        self.key = key

    def forward(self, x):
        return x[self.key]

    def vjp(self, g, y, x):
        dx = _xp(x).zeros(x.shape, dtype=g.dtype)
        if is_basic_key(self.key):
            dx[self.key] = g
        else:
            _xp(x).add.at(dx, self.key, g)    # an index array may name an entry twice
        return (dx,)


def is_basic_key(key):
    """Whether ``key`` holds only ints, slices, ``...`` and ``None`` (NumPy's basic indexing)."""
    parts = key if isinstance(key, tuple) else (key,)
    return all(k is None or k is Ellipsis or isinstance(k, (int, numpy.integer, slice))
               and not isinstance(k, bool) for k in parts)


class Reshape(Op):
    name = "reshape"

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(self.shape)

    def vjp(self, g, y, x):
        return (g.reshape(x.shape),)


class Shape(Op):
    """``K.shape(x)``: the sizes at run time, an int array; no gradient flows through it."""

    name = "shape"

    def forward(self, x):
        return numpy.asarray(numpy.shape(x), dtype="int32")

    def vjp(self, g, y, x):
        return (None,)


def _xp(*values):
    return get_array_module(*values)
