"""Metrics: functions of ``(y_true, y_pred)`` giving a float averaged over the batch.

``'acc'`` and ``'accuracy'`` pick the right accuracy from the loss and the
output, as Keras 2 does: binary (threshold 0.5) for one output unit or binary
crossentropy, sparse for integer labels, categorical (argmax) otherwise. The
metric keeps the name it was asked by, so ``history.history`` has ``'acc'``
for ``metrics=['acc']`` and ``'accuracy'`` for ``metrics=['accuracy']``.
"""
from .backend import get_array_module


def _labels_like(y_true, y_pred):
    xp = get_array_module(y_pred)
    y_true = xp.asarray(y_true)
    if y_true.ndim == y_pred.ndim - 1:
        y_true = y_true.reshape(y_true.shape + (1,))
    return y_true


def check_integer_labels(y_true, who):
    """Refuse sparse labels that are not whole numbers (``1.0`` is fine, ``1.5`` is not).

    Args:
        y_true: ``(N,)`` or ``(N, 1)`` class indices, any numeric dtype.
        who: the caller named in the error, e.g. ``'fit'``.

    Raises:
        ValueError: naming the first label that is not a class index (NaN included),
            rather than truncating it to a class as ``astype(int)`` would.
    """
    xp = get_array_module(y_true)
    y = xp.asarray(y_true)
    if y.dtype.kind in "biu":
        return
    bad = (y != xp.floor(y)).ravel()          # NaN differs from itself: caught too
    if bool(bad.any()):
        i = int(bad.argmax())
        raise ValueError(
            f"{who}: sparse labels must be whole class indices (0, 1, 2, ...), got "
            f"{float(y.ravel()[i])!r} at sample {i}; such a label is not truncated to a class. "
            "Give integer labels, or a regression loss such as 'mse' for continuous targets")


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Fraction of outputs on the right side of ``threshold``; ``(N, D)`` arrays."""
    y_true = _labels_like(y_true, y_pred)
    return float(((y_pred > threshold) == (y_true > 0.5)).mean())


def categorical_accuracy(y_true, y_pred):
    """Fraction of rows whose argmax matches the one-hot label's; ``(N, K)`` arrays."""
    return float((y_pred.argmax(axis=-1) == get_array_module(y_pred).asarray(y_true)
                  .argmax(axis=-1)).mean())


def sparse_categorical_accuracy(y_true, y_pred):
    """Fraction of rows whose argmax equals the integer label; ``(N,)`` and ``(N, K)``."""
    check_integer_labels(y_true, "sparse_categorical_accuracy")
    labels = get_array_module(y_pred).asarray(y_true).reshape(y_pred.shape[:-1])
    return float((y_pred.argmax(axis=-1) == labels).mean())


def mean_squared_error(y_true, y_pred):
    diff = y_pred - _labels_like(y_true, y_pred)
    return float((diff * diff).mean())


def mean_absolute_error(y_true, y_pred):
    return float(abs(y_pred - _labels_like(y_true, y_pred)).mean())


class Metric:
    """A named metric function: ``metric(y_true, y_pred) -> float``."""

    def __init__(self, fn, name):
        self.fn, self.name = fn, name

    def __call__(self, y_true, y_pred):
        return self.fn(y_true, y_pred)

    def __repr__(self):
        return f"<metric {self.name}: {self.fn.__name__}>"


_FUNCTIONS = {f.__name__: f for f in (
    binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    mean_squared_error, mean_absolute_error)}
_FUNCTIONS.update(mse=mean_squared_error, mae=mean_absolute_error)


def get(identifier, loss_name=None, output_shape=None):
    """A ``Metric`` from a name or function; ``'acc'``/``'accuracy'`` resolved by the loss.

    Args:
        identifier: ``'acc'``, ``'accuracy'``, a function name above, or a callable.
        loss_name: the compiled loss's name, to resolve accuracy.
        output_shape: the model's output shape, to resolve accuracy.
    """
    if isinstance(identifier, Metric):
        return identifier
    if callable(identifier):
        return Metric(identifier, identifier.__name__)
    if identifier in ("acc", "accuracy"):
        if loss_name == "binary_crossentropy" or (output_shape and output_shape[-1] == 1):
            fn = binary_accuracy
        elif loss_name == "sparse_categorical_crossentropy":
            fn = sparse_categorical_accuracy
        else:
            fn = categorical_accuracy
        return Metric(fn, identifier)
    if isinstance(identifier, str) and identifier in _FUNCTIONS:
        return Metric(_FUNCTIONS[identifier], identifier)
    raise ValueError(f"unknown metric {identifier!r}; expected 'acc', 'accuracy' or one of "
                     f"{sorted(_FUNCTIONS)}")
