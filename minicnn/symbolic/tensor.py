"""Symbolic tensors you can compute with: ``model.output[:, 386]``, ``grads / rms``, ``-loss``.

Three kinds of node make up a ``K.*`` expression graph:

- a layer's output or a model input (``layers.SymbolicTensor``: ``model.input``,
  ``layer.output``), whose values the model's layers compute;
- an ``Expression``: an op (``minicnn.symbolic.ops``) applied to tensors and constants;
- a ``Gradient``: what ``K.gradients(loss, variable)`` returns, the gradient of the
  summed ``loss`` with respect to ``variable``, shaped like it.

``TensorOps`` gives all three Python's operators and indexing. Shapes use ``None`` for a
size known only at run time (the batch, or VGG16's height and width without an
``input_shape``), as Keras prints them.
"""
import numpy

from . import ops


class TensorOps:
    """Indexing and arithmetic on symbolic tensors; each builds an ``Expression``."""

    __array_ufunc__ = None        # ``array + tensor`` comes here, not to NumPy's loops

    @property
    def ndim(self):
        return len(self.shape)

    def __getitem__(self, key):
        return Expression(ops.GetItem(key), [self], getitem_shape(self.shape, key))

    def __add__(self, other): return binary("add", self, other)
    def __radd__(self, other): return binary("add", other, self)
    def __sub__(self, other): return binary("sub", self, other)
    def __rsub__(self, other): return binary("sub", other, self)
    def __mul__(self, other): return binary("mul", self, other)
    def __rmul__(self, other): return binary("mul", other, self)
    def __truediv__(self, other): return binary("div", self, other)
    def __rtruediv__(self, other): return binary("div", other, self)
    def __pow__(self, other): return binary("pow", self, other)
    def __rpow__(self, other): return binary("pow", other, self)
    def __neg__(self): return unary("neg", self)
    def __pos__(self): return self
    def __abs__(self): return unary("abs", self)

    def __iter__(self):
        raise TypeError(f"{self!r} has no values to iterate over until K.function runs it; "
                        "index it (t[0]) instead")

    def __bool__(self):
        raise TypeError(f"{self!r} has no value to test until K.function runs it")


class Expression(TensorOps):
    """``op`` applied to ``inputs`` (tensors, numbers or arrays); ``shape`` with ``None``."""

    def __init__(self, op, inputs, shape):
        self.op, self.inputs, self.shape = op, list(inputs), tuple(shape)

    @property
    def name(self):
        return self.op.name

    def __repr__(self):
        return f"<Expression {self.op.name} shape={_format(self.shape)}>"


class Gradient(TensorOps):
    """``K.gradients(loss, variable)``'s entry: d sum(loss) / d variable, shaped like it."""

    def __init__(self, loss, variable):
        self.loss, self.variable, self.shape = loss, variable, tuple(variable.shape)
        self.inputs = []

    @property
    def name(self):
        return f"gradients/{getattr(self.variable, 'name', 'tensor')}"

    def __repr__(self):
        return f"<Gradient of {self.loss!r} w.r.t. {self.variable!r}>"


def is_symbolic(x):
    return isinstance(x, TensorOps)


def unary(name, x):
    return Expression(ops.Unary(name), [x], x.shape)


def binary(name, a, b):
    """``a <op> b`` where at least one is symbolic (the other may be a number or array)."""
    if not (is_symbolic(a) or _is_constant(a)) or not (is_symbolic(b) or _is_constant(b)):
        return NotImplemented
    return Expression(ops.Binary(name, (is_symbolic(a), is_symbolic(b))), [a, b],
                      broadcast_shapes(shape_of(a), shape_of(b)))


def _is_constant(x):
    return isinstance(x, (int, float, numpy.number, numpy.ndarray)) and not isinstance(x, bool)


def shape_of(x):
    """A symbolic tensor's shape (``None`` where unknown) or a constant's."""
    return tuple(x.shape) if is_symbolic(x) else numpy.shape(x)


# ----------------------------------------------------------------- shape rules
def broadcast_shapes(a, b):
    """NumPy's broadcasting with ``None`` for unknown sizes."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x == 1 or x == y:
            out.append(y)
        elif y == 1:
            out.append(x)
        elif x is None or y is None:
            out.append(x if y is None else y)
        else:
            raise ValueError(f"shapes {_format(a)} and {_format(b)} do not broadcast")
    return tuple(out)


def reduced_shape(shape, axis, keepdims):
    """The shape left by a reduction over ``axis`` (``None``: every axis)."""
    axes = ops.normalize_axes(axis, len(shape)) if shape else ()
    return tuple(1 if i in axes else s for i, s in enumerate(shape)) if keepdims else \
        tuple(s for i, s in enumerate(shape) if i not in axes)


def getitem_shape(shape, key):
    """The shape of ``t[key]`` for a basic key; unknown sizes stay ``None``."""
    if not ops.is_basic_key(key):
        if all(s is not None for s in shape):
            return numpy.broadcast_to(numpy.float32(0), shape)[key].shape
        raise TypeError(f"indexing a tensor of unknown sizes {_format(shape)} with an "
                        f"index array ({key!r}) is not supported; use ints and slices")
    parts = list(key) if isinstance(key, tuple) else [key]
    if sum(p is Ellipsis for p in parts) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    consumed = sum(p is not None and p is not Ellipsis for p in parts)
    if consumed > len(shape):
        raise IndexError(f"too many indices for a tensor of shape {_format(shape)}")
    if Ellipsis in parts:
        i = parts.index(Ellipsis)
        parts[i:i + 1] = [slice(None)] * (len(shape) - consumed)
    parts += [slice(None)] * (len(shape) - sum(p is not None for p in parts))
    out, dim = [], 0
    for p in parts:
        if p is None:
            out.append(1)
            continue
        size = shape[dim]
        dim += 1
        if isinstance(p, slice):
            out.append(None if size is None else len(range(*p.indices(size))))
        elif size is not None and not -size <= p < size:
            raise IndexError(f"index {p} is out of bounds for axis {dim - 1} with size {size}")
    return tuple(out)


def reshape_shape(shape, target):
    """``K.reshape``'s result shape; a ``-1`` is worked out when every size is known."""
    target = tuple(int(t) for t in target)
    if target.count(-1) > 1:
        raise ValueError(f"reshape: at most one -1 in the shape, got {target}")
    if -1 not in target:
        return target
    if any(s is None for s in shape):
        return tuple(None if t == -1 else t for t in target)
    known = int(numpy.prod([t for t in target if t != -1]))
    return tuple(int(numpy.prod(shape)) // known if t == -1 else t for t in target)


def _format(shape):
    return "(" + ", ".join("None" if s is None else str(s) for s in shape) + \
        ("," if len(shape) == 1 else "") + ")"
