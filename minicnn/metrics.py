"""Metrics: functions of ``(y_true, y_pred)`` giving a float averaged over the batch.

``'acc'`` and ``'accuracy'`` pick the right accuracy from the loss and the
output, as Keras 2 does: binary for one output unit or binary crossentropy,
sparse for integer labels, categorical (argmax) otherwise. The metric keeps
the name it was asked by, so ``history.history`` has ``'acc'`` for
``metrics=['acc']`` and ``'accuracy'`` for ``metrics=['accuracy']``.

Keras 3 (and tf.keras) choose from the shapes alone, so binary crossentropy on
several sigmoid units is scored with categorical accuracy there;
``keras3_differences`` names such a model, and ``compile`` warns about it once.
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
    """Fraction of outputs where ``y_true`` equals ``y_pred > threshold`` (as 0 or 1).

    Keras' rule (Keras 2: ``mean(equal(y_true, round(y_pred)))``, Keras 3:
    ``equal(y_true, y_pred > threshold)``): only the prediction is thresholded, so a
    label that is neither 0 nor 1 (a soft label, a regression target) never matches.
    The two agree for predictions in ``[0, 1]`` (``round(0.5)`` is 0, half to even);
    beyond, from a linear unit, minicnn thresholds as Keras 3 (and Keras 2.3's
    ``threshold``) do: 1.6 counts as 1, not as Keras 2.0's 2.

    Args:
        y_true: ``(N, D)`` labels (``(N,)`` is taken as ``(N, 1)``).
        y_pred: ``(N, D)`` probabilities.
    """
    y_true = _labels_like(y_true, y_pred)
    return float((y_true == (y_pred > threshold)).mean())


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


def _accuracy(loss_name, output_shape):
    """Keras 2's choice for ``'acc'``: by the loss first, then by the output shape."""
    if loss_name == "binary_crossentropy" or (output_shape and output_shape[-1] == 1):
        return binary_accuracy
    if loss_name == "sparse_categorical_crossentropy":
        return sparse_categorical_accuracy
    return categorical_accuracy


def _keras3_accuracy(loss_name, output_shape):
    """Keras 3's choice, from the shapes alone (``compile_utils.get_metric``): binary for
    one unit, sparse for labels of lower rank (the sparse loss's), categorical otherwise."""
    if output_shape and output_shape[-1] == 1:
        return binary_accuracy
    if loss_name == "sparse_categorical_crossentropy":
        return sparse_categorical_accuracy
    return categorical_accuracy


def keras3_differences(identifiers, loss_name, output_shape):
    """Where Keras 3 would score a model compiled with these metrics differently.

    Args:
        identifiers: ``compile``'s ``metrics`` list.
        loss_name: the loss's Keras name, e.g. ``'binary_crossentropy'``.
        output_shape: the model's output shape, e.g. ``(None, 3)``.

    Returns:
        list of messages, one per metric that Keras 3 (and tf.keras 2.x) would compute
        otherwise; empty when every score carries over.
    """
    notes = []
    for identifier in identifiers:
        if identifier not in ("acc", "accuracy"):
            continue
        ours, theirs = _accuracy(loss_name, output_shape), _keras3_accuracy(loss_name, output_shape)
        if ours is not theirs:
            notes.append(
                f"metrics=[{identifier!r}] with {loss_name} on {output_shape[-1]} output units is "
                f"{ours.__name__} here, as in Keras 2 (the book's rule), but Keras 3 and tf.keras "
                f"choose it from the shapes and score this model, and a file saved from it, with "
                f"{theirs.__name__}. Ask for metrics=[{ours.__name__!r}] (or "
                f"[{theirs.__name__!r}]) to get the same score everywhere")
    return notes


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
        return Metric(_accuracy(loss_name, output_shape), identifier)
    if isinstance(identifier, str) and identifier in _FUNCTIONS:
        return Metric(_FUNCTIONS[identifier], identifier)
    raise ValueError(f"unknown metric {identifier!r}; expected 'acc', 'accuracy' or one of "
                     f"{sorted(_FUNCTIONS)}")
