"""Label helpers."""
import numpy


def to_categorical(y, num_classes=None, dtype="float32"):
    """One-hot encode integer labels, as Keras' ``to_categorical``.

    Args:
        y: integer labels, shape ``(N,)`` (or ``(N, 1)``, or any shape ``S``).
        num_classes: number of classes; ``max(y) + 1`` when ``None``.
        dtype: dtype of the result.

    Returns:
        ``(N, num_classes)`` array (``S + (num_classes,)`` in general, a trailing
        axis of size 1 dropped as Keras does) with a 1 in each label's column.
    """
    y = numpy.asarray(y)
    if y.size and not numpy.issubdtype(y.dtype, numpy.integer):
        if not numpy.all(numpy.mod(y, 1) == 0):
            raise ValueError("to_categorical expects integer class labels, got non-integer values")
    y = y.astype("int64")
    shape = y.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    y = y.reshape(-1)
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(
            f"to_categorical: labels must lie in [0, {num_classes}), "
            f"got values from {y.min()} to {y.max()}")
    out = numpy.zeros((y.size, num_classes), dtype=dtype)
    out[numpy.arange(y.size), y] = 1
    return out.reshape(shape + (num_classes,))
