"""Gradient checking: compare a backward pass with central differences.

The tool readers use on their own layers (NumPy only, float64)::

    from minicnn import backend, gradcheck, layers
    backend.set_floatx('float64')
    errors = gradcheck.check_layer(layers.Conv2D(4, 3, padding='same'),
                                   np.random.randn(2, 7, 7, 3))
    # {'x': 3e-10, 'kernel': 2e-10, 'bias': 1e-11}: all tiny, the backward is right

How it works (cs231n's recipe): pick a random upstream gradient ``dy`` of the
output's shape; the scalar ``L = sum(f(x) * dy)`` then has gradient
``backward(dy)``. Nudge each input value by ``+-eps``, take
``(L(x + eps) - L(x - eps)) / (2 eps)``, and compare with ``rel_error``.
Use float64 and small shapes: in float32 the differences drown in rounding.
"""
import numpy

from . import backend


def rel_error(a, b):
    """Largest elementwise ``|a - b| / max(1e-8, |a| + |b|)``: ~1e-7 or less means equal."""
    a, b = numpy.asarray(a, dtype="float64"), numpy.asarray(b, dtype="float64")
    if a.shape != b.shape:
        raise ValueError(f"rel_error: shapes differ, {a.shape} vs {b.shape}")
    if a.size == 0:
        return 0.0
    return float(numpy.max(numpy.abs(a - b) / numpy.maximum(1e-8, numpy.abs(a) + numpy.abs(b))))


def norm_rel_error(a, b):
    """``||a - b|| / (||a|| + ||b||)``: robust to tiny entries; below ~1e-7 means equal.

    The elementwise ``rel_error`` blows up on entries near zero, where central
    differences keep ~1e-10 of rounding noise; this whole-array form does not,
    and a wrong backward still shows as an error near 1.
    """
    a, b = numpy.asarray(a, dtype="float64"), numpy.asarray(b, dtype="float64")
    if a.shape != b.shape:
        raise ValueError(f"norm_rel_error: shapes differ, {a.shape} vs {b.shape}")
    denominator = numpy.linalg.norm(a) + numpy.linalg.norm(b)
    return float(numpy.linalg.norm(a - b) / denominator) if denominator > 1e-12 else 0.0


def numeric_grad(f, x, dy=None, eps=1e-6):
    """Central-difference gradient of ``sum(f(x) * dy)`` with respect to ``x``.

    Args:
        f: function called as ``f(x)``; it may also read ``x`` from elsewhere (a
            layer's weight, say): ``x`` is changed in place, one value at a time,
            and restored.
        x: float64 array, any shape.
        dy: upstream gradient of ``f``'s output shape (``None``: all ones).
        eps: the nudge.

    Returns:
        Array of ``x``'s shape.
    """
    if x.dtype != numpy.float64:
        raise ValueError(f"numeric_grad needs a float64 array, got {x.dtype}: "
                         "call backend.set_floatx('float64') before building the layer")

    def scalar():
        out = backend.to_numpy(f(x))
        return float(numpy.sum(out * (1.0 if dy is None else backend.to_numpy(dy))))

    grad = numpy.zeros(x.shape)
    flat_x, flat_grad = x.reshape(-1), grad.reshape(-1)
    for i in range(flat_x.size):
        old = flat_x[i]
        flat_x[i] = old + eps
        plus = scalar()
        flat_x[i] = old - eps
        minus = scalar()
        flat_x[i] = old
        flat_grad[i] = (plus - minus) / (2 * eps)
    return grad


def layer_gradients(layer, x, dy, training=False):
    """Analytic gradients from one forward and backward: ``{'x': dx, key: grads[key]...}``."""
    layer.forward(x, training=training)
    result = {"x": backend.to_numpy(layer.backward(dy))}
    for key in layer.params:
        if layer._trains(key):
            result[key] = backend.to_numpy(layer.grads[key]).copy()
    return result


def check_layer(layer, x, dy=None, training=False, eps=1e-6, seed=0):
    """Relative errors of a layer's backward pass, for its input and every trainable weight.

    Args:
        layer: a layer (built or not) whose weights are float64.
        x: float64 input, e.g. ``(N, H, W, C)``.
        dy: upstream gradient of the output's shape; random when ``None``.
        training: forward mode (stochastic layers such as Dropout need ``False``
            here: their mask would change between evaluations).

    Returns:
        ``{'x': error, 'kernel': error, 'bias': error, ...}``, each ``norm_rel_error``.
    """
    x = numpy.array(x, dtype="float64")
    y = layer.forward(x, training=training)
    if numpy.dtype(layer.dtype) != numpy.float64:
        raise ValueError(f"check_layer: layer '{layer.name}' computes in {layer.dtype}; build "
                         "it in float64 (backend.set_floatx('float64') before creating it)")
    if dy is None:
        dy = numpy.random.default_rng(seed).standard_normal(y.shape)
    analytic = layer_gradients(layer, x, dy, training)
    errors = {"x": norm_rel_error(analytic["x"], numeric_grad(
        lambda _: layer.forward(x, training=training), x, dy, eps))}
    for key in analytic:
        if key != "x":
            numeric = numeric_grad(lambda _: layer.forward(x, training=training),
                                   layer.params[key], dy, eps)
            errors[key] = norm_rel_error(analytic[key], numeric)
    return errors


def check_loss(loss, y_true, y_pred, eps=1e-6):
    """``norm_rel_error`` of ``loss.value_and_grad``'s gradient w.r.t. ``y_pred`` (float64)."""
    y_pred = numpy.array(y_pred, dtype="float64")
    _, analytic = loss.value_and_grad(y_true, y_pred)
    numeric = numeric_grad(lambda p: loss.value_and_grad(y_true, p)[0], y_pred, None, eps)
    return norm_rel_error(analytic, numeric)
