"""Activation functions, each a forward and a backward written from the output.

Every activation here has a derivative that can be written from its output
``y`` alone, so layers keep only ``y`` for the backward pass::

    relu      y = max(z, 0)             dz = dy * (y > 0)
    sigmoid   y = 1 / (1 + exp(-z))     dz = dy * y * (1 - y)
    tanh      y = tanh(z)               dz = dy * (1 - y**2)
    softmax   y = exp(z) / sum(exp(z))  dz = y * (dy - sum(dy * y))   (over the last axis)
    linear    y = z                     dz = dy

``forward`` may overwrite ``z`` (pass ``inplace=True`` when ``z`` is a fresh
temporary, as inside ``Dense`` and ``Conv2D``): it saves a copy per layer.
``forward_biased(z, bias)`` is what those layers call on their matrix product: the
bias, then the activation, in place; ReLU does both in one pass over ``z`` and its
backward in one pass too (``kernels.bias_relu``, ``kernels.relu_backward``).
"""
from . import kernels
from .backend import get_array_module


class Activation:
    """One activation: ``forward(z) -> y`` and ``backward(dy, y) -> dz``, same shapes."""

    name = None  # each subclass defines forward(z, inplace=False) and backward(dy, y)

    def __call__(self, z):
        return self.forward(z)

    def __repr__(self):
        return f"<activation {self.name}>"

    def forward_biased(self, z, bias):
        """``forward(z + bias)`` in place on a fresh matrix product ``z: (M, F)``.

        ``bias``: ``(F,)``, or ``None`` for a layer without one. Returns ``y`` (``z``).
        """
        if bias is not None:
            z += bias
        return self.forward(z, inplace=True)


class Linear(Activation):
    name = "linear"

    def forward(self, z, inplace=False):
        return z

    def backward(self, dy, y):
        return dy


class ReLU(Activation):
    name = "relu"

    def forward(self, z, inplace=False):
        xp = get_array_module(z)
        return xp.maximum(z, 0, out=z if inplace else None)

    def forward_biased(self, z, bias):
        if bias is None:
            return self.forward(z, inplace=True)
        return kernels.bias_relu(z, bias)          # one pass: z = max(z + bias, 0)

    def backward(self, dy, y):
        return kernels.relu_backward(dy, y)        # dy * (y > 0), one pass


class Sigmoid(Activation):
    name = "sigmoid"

    def forward(self, z, inplace=False):
        xp = get_array_module(z)
        # 1 / (1 + exp(-z)), written so that no exp overflows for large |z|
        e = xp.exp(-xp.abs(z))
        y = xp.where(z >= 0, 1 / (1 + e), e / (1 + e))
        if inplace:
            z[...] = y
            return z
        return y

    def backward(self, dy, y):
        return dy * y * (1 - y)


class Tanh(Activation):
    name = "tanh"

    def forward(self, z, inplace=False):
        xp = get_array_module(z)
        return xp.tanh(z, out=z if inplace else None)

    def backward(self, dy, y):
        return dy * (1 - y * y)


class Softmax(Activation):
    name = "softmax"

    def forward(self, z, inplace=False):
        xp = get_array_module(z)
        y = z if inplace else z.copy()
        y -= y.max(axis=-1, keepdims=True)  # shift for stability: same result
        xp.exp(y, out=y)
        y /= y.sum(axis=-1, keepdims=True)
        return y

    def backward(self, dy, y):
        return y * (dy - (dy * y).sum(axis=-1, keepdims=True))


_BY_NAME = {cls.name: cls for cls in (Linear, ReLU, Sigmoid, Tanh, Softmax)}
NAMES = tuple(sorted(_BY_NAME))   # what a file or a config may name


def get(identifier):
    """An ``Activation`` from a name (``'relu'``...), an instance, or ``None`` (linear)."""
    if identifier is None:
        return Linear()
    if isinstance(identifier, Activation):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        return _BY_NAME[identifier.lower()]()
    raise ValueError(
        f"unknown activation {identifier!r}; expected one of {sorted(_BY_NAME)} or None")


def relu(z):
    """``max(z, 0)`` elementwise; any shape."""
    return ReLU().forward(z)


def sigmoid(z):
    """``1 / (1 + exp(-z))`` elementwise; any shape."""
    return Sigmoid().forward(z)


def tanh(z):
    """``tanh(z)`` elementwise; any shape."""
    return Tanh().forward(z)


def softmax(z):
    """Softmax over the last axis: ``(..., K)`` -> ``(..., K)`` rows summing to 1."""
    return Softmax().forward(z)


def linear(z):
    """The identity."""
    return z
