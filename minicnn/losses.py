"""Losses with Keras' numerics; each gives its value and its gradient.

``loss.value_and_grad(y_true, y_pred) -> (loss, dy_pred)``: the mean loss over
the batch (a float) and its gradient with respect to ``y_pred`` (same shape).
``loss(y_true, y_pred)`` gives the value alone, as Keras' loss objects do.

Keras clips predictions to ``[1e-7, 1 - 1e-7]`` before taking logs, and the
categorical crossentropy first divides each row by its sum. Where a softmax
(sigmoid) output meets categorical (binary) crossentropy, the gradient with
respect to the *pre-activation* ``z`` simplifies to ``(p - y) / N`` (divided
also by the number of outputs for binary): ``fused_grad`` returns it, and
training uses it. It differs from the clipped expression only where
predictions saturate.
"""
from .backend import get_array_module

EPSILON = 1e-7


def _check_pair(name, y_true, y_pred):
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(f"{name}: labels of shape {tuple(y_true.shape)} do not match "
                         f"predictions of shape {tuple(y_pred.shape)}")


def _per_sample_mean(values):
    """Mean over all axes but the batch, then over the batch (Keras' reduction)."""
    return float(values.mean()) if values.size else 0.0


class Loss:
    """Base: ``value_and_grad(y_true, y_pred) -> (float, dy_pred)``.

    ``fused_activation`` names the output activation whose Jacobian this loss
    cancels (``'softmax'`` or ``'sigmoid'``), for ``fused_grad``.
    """

    name = None
    fused_activation = None

    def __call__(self, y_true, y_pred):
        return self.value_and_grad(y_true, y_pred)[0]

    def prepare(self, y_true, y_pred):
        """Check and cast the labels for ``y_pred``; returns ``y_true`` as an array."""
        xp = get_array_module(y_pred)
        y_true = xp.asarray(y_true, dtype=y_pred.dtype)
        _check_pair(self.name, y_true, y_pred)
        return y_true

    def get_config(self):
        return {"name": self.name}


class CategoricalCrossentropy(Loss):
    """``-sum(y * log(clip(p / sum(p))))`` per sample, mean over the batch.

    Shapes: ``y_true, y_pred: (N, K)``; ``y_true`` one-hot (use ``to_categorical``).
    """

    name = "categorical_crossentropy"
    fused_activation = "softmax"

    def prepare(self, y_true, y_pred):
        xp = get_array_module(y_pred)
        y_true = xp.asarray(y_true)
        if y_true.ndim == y_pred.ndim - 1 or (y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1
                                               and y_pred.shape[-1] > 1):
            raise ValueError(
                f"categorical_crossentropy expects one-hot labels of shape {tuple(y_pred.shape)}, "
                f"got integer labels of shape {tuple(y_true.shape)}: use "
                "minicnn.utils.to_categorical(labels), or loss='sparse_categorical_crossentropy'")
        return super().prepare(y_true, y_pred)

    def value_and_grad(self, y_true, y_pred):
        xp = get_array_module(y_pred)
        y_true = self.prepare(y_true, y_pred)
        M = y_pred.size // y_pred.shape[-1]                 # samples (positions) averaged
        total = y_pred.sum(axis=-1, keepdims=True)
        q = y_pred / total                                  # rows sum to 1
        inside = (q > EPSILON) & (q < 1 - EPSILON)          # where clipping is inactive
        qc = xp.clip(q, EPSILON, 1 - EPSILON)
        loss = _per_sample_mean(-(y_true * xp.log(qc)).sum(axis=-1))
        g = xp.where(inside, -y_true / qc, 0) / M           # dL/dq
        dy = (g - (g * q).sum(axis=-1, keepdims=True)) / total  # through q = p / sum(p)
        return loss, dy.astype(y_pred.dtype, copy=False)

    def fused_grad(self, y_true, y_pred):
        """Gradient w.r.t. the softmax's input: ``(p * sum(y) - y) / N``, ``(N, K)``."""
        y_true = self.prepare(y_true, y_pred)
        M = y_pred.size // y_pred.shape[-1]
        return (y_pred * y_true.sum(axis=-1, keepdims=True) - y_true) / M


class SparseCategoricalCrossentropy(Loss):
    """Categorical crossentropy with integer labels ``y_true: (N,)`` (or ``(N, 1)``)."""

    name = "sparse_categorical_crossentropy"
    fused_activation = "softmax"

    def prepare(self, y_true, y_pred):
        xp = get_array_module(y_pred)
        labels = xp.asarray(y_true)
        if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
            labels = labels.reshape(labels.shape[:-1])
        if tuple(labels.shape) != tuple(y_pred.shape[:-1]):
            raise ValueError(
                f"sparse_categorical_crossentropy expects integer labels of shape "
                f"{tuple(y_pred.shape[:-1])}, got {tuple(labels.shape)}")
        K = y_pred.shape[-1]
        labels = labels.astype("int64")
        if labels.size and (int(labels.min()) < 0 or int(labels.max()) >= K):
            raise ValueError(f"sparse_categorical_crossentropy: labels must lie in [0, {K}), "
                             f"got values from {int(labels.min())} to {int(labels.max())}")
        return (labels[..., None] == xp.arange(K)).astype(y_pred.dtype)

    value_and_grad = CategoricalCrossentropy.value_and_grad
    fused_grad = CategoricalCrossentropy.fused_grad


class BinaryCrossentropy(Loss):
    """``-(y log p + (1 - y) log(1 - p))`` with ``p`` clipped, mean over outputs and batch.

    Shapes: ``y_true, y_pred: (N, D)`` (``y_true`` of shape ``(N,)`` is taken as ``(N, 1)``).
    """

    name = "binary_crossentropy"
    fused_activation = "sigmoid"

    def prepare(self, y_true, y_pred):
        xp = get_array_module(y_pred)
        y_true = xp.asarray(y_true)
        if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
            y_true = y_true.reshape(y_true.shape + (1,))
        return super().prepare(y_true, y_pred)

    def value_and_grad(self, y_true, y_pred):
        xp = get_array_module(y_pred)
        y_true = self.prepare(y_true, y_pred)
        p = xp.clip(y_pred, EPSILON, 1 - EPSILON)
        inside = (y_pred > EPSILON) & (y_pred < 1 - EPSILON)
        loss = _per_sample_mean(-(y_true * xp.log(p) + (1 - y_true) * xp.log(1 - p)))
        dy = xp.where(inside, (p - y_true) / (p * (1 - p)), 0) / y_pred.size
        return loss, dy.astype(y_pred.dtype, copy=False)

    def fused_grad(self, y_true, y_pred):
        """Gradient w.r.t. the sigmoid's input: ``(p - y) / (N * D)``."""
        y_true = self.prepare(y_true, y_pred)
        return (y_pred - y_true) / y_pred.size


class MeanSquaredError(Loss):
    """``mean((p - y)**2)`` over outputs, then over the batch. Shapes: ``(N, D)``."""

    name = "mean_squared_error"

    def value_and_grad(self, y_true, y_pred):
        y_true = self.prepare(y_true, y_pred)
        diff = y_pred - y_true
        return _per_sample_mean(diff * diff), 2 * diff / y_pred.size


_BY_NAME = {
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
}
_CLASS_NAMES = {cls.__name__: cls for cls in _BY_NAME.values()}


def get(identifier):
    """A ``Loss`` from a Keras name (``'categorical_crossentropy'``, ``'mse'``...) or instance."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower()) or _CLASS_NAMES.get(identifier)
        if cls is not None:
            return cls()
    raise ValueError(f"unknown loss {identifier!r}; expected one of {sorted(_BY_NAME)}")


def categorical_crossentropy(y_true, y_pred):
    """``(loss, dy_pred)`` of the categorical crossentropy; ``(N, K)`` arrays."""
    return CategoricalCrossentropy().value_and_grad(y_true, y_pred)


def sparse_categorical_crossentropy(y_true, y_pred):
    """``(loss, dy_pred)`` with integer labels ``(N,)`` and predictions ``(N, K)``."""
    return SparseCategoricalCrossentropy().value_and_grad(y_true, y_pred)


def binary_crossentropy(y_true, y_pred):
    """``(loss, dy_pred)`` of the binary crossentropy; ``(N, D)`` arrays."""
    return BinaryCrossentropy().value_and_grad(y_true, y_pred)


def mean_squared_error(y_true, y_pred):
    """``(loss, dy_pred)`` of the mean squared error; ``(N, D)`` arrays."""
    return MeanSquaredError().value_and_grad(y_true, y_pred)


mse = mean_squared_error
