"""Every layer's backward pass against central differences (float64), driven by hypothesis.

These are the property tests the README points readers to: ``gradcheck.check_layer``
on random small shapes, strides, paddings and activations.
"""
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from minicnn import backend, gradcheck, layers

ACTIVATIONS = ["linear", "relu", "sigmoid", "tanh", "softmax"]
TOL = 1e-6  # gradcheck.norm_rel_error; a wrong backward gives ~1


def distinct_values(rng, shape):
    """Values spaced at least 0.01 apart, so no max-pool tie or ReLU kink is within eps."""
    values = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.01
    return values - values.mean()


@st.composite
def conv_cases(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    padding = draw(st.sampled_from(["valid", "same"]))
    h = draw(st.integers(kh if padding == "valid" else 1, 8))
    w = draw(st.integers(kw if padding == "valid" else 1, 8))
    return dict(n=draw(st.integers(1, 2)), h=h, w=w, c=draw(st.integers(1, 3)),
                filters=draw(st.integers(1, 3)), kernel=(kh, kw), strides=(sh, sw),
                padding=padding, activation=draw(st.sampled_from(ACTIVATIONS)),
                use_bias=draw(st.booleans()), seed=draw(st.integers(0, 2**16)))


@given(conv_cases())
@example(dict(n=2, h=8, w=8, c=1, filters=3, kernel=(3, 3), strides=(1, 1), padding="valid",
              activation="relu", use_bias=True, seed=1))      # the book's first conv, smaller
@example(dict(n=1, h=5, w=5, c=3, filters=2, kernel=(3, 3), strides=(1, 1), padding="same",
              activation="relu", use_bias=True, seed=2))      # a VGG16 conv, smaller
def test_conv2d_gradients(float64, case):
    backend.set_seed(case["seed"])  # the weights too: a failure must replay
    rng = np.random.default_rng(case["seed"])
    layer = layers.Conv2D(case["filters"], case["kernel"], strides=case["strides"],
                          padding=case["padding"], activation=case["activation"],
                          use_bias=case["use_bias"])
    x = rng.standard_normal((case["n"], case["h"], case["w"], case["c"]))
    errors = gradcheck.check_layer(layer, x, seed=case["seed"])
    assert set(errors) == {"x", "kernel"} | ({"bias"} if case["use_bias"] else set())
    assert max(errors.values()) < TOL, errors


@st.composite
def pool_cases(draw):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    padding = draw(st.sampled_from(["valid", "same"]))
    return dict(n=draw(st.integers(1, 2)), h=draw(st.integers(kh, 7)), w=draw(st.integers(kw, 7)),
                c=draw(st.integers(1, 3)), pool=(kh, kw), padding=padding,
                strides=draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3)))),
                seed=draw(st.integers(0, 2**16)))


@pytest.mark.parametrize("cls", [layers.MaxPooling2D, layers.AveragePooling2D])
@given(case=pool_cases())
@example(case=dict(n=1, h=6, w=6, c=2, pool=(2, 2), strides=None, padding="valid", seed=0))
@example(case=dict(n=1, h=5, w=5, c=2, pool=(2, 2), strides=None, padding="valid", seed=0))
def test_pooling_gradients(float64, cls, case):
    rng = np.random.default_rng(case["seed"])
    layer = cls(case["pool"], strides=case["strides"], padding=case["padding"])
    x = distinct_values(rng, (case["n"], case["h"], case["w"], case["c"]))
    errors = gradcheck.check_layer(layer, x, seed=case["seed"])
    assert errors["x"] < TOL, errors


@given(n=st.integers(1, 3), d=st.integers(1, 6), units=st.integers(1, 5),
       activation=st.sampled_from(ACTIVATIONS), use_bias=st.booleans(),
       extra_axis=st.booleans(), seed=st.integers(0, 2**16))
def test_dense_gradients(float64, n, d, units, activation, use_bias, extra_axis, seed):
    backend.set_seed(seed)
    rng = np.random.default_rng(seed)
    layer = layers.Dense(units, activation=activation, use_bias=use_bias)
    shape = (n, 2, d) if extra_axis else (n, d)
    errors = gradcheck.check_layer(layer, rng.standard_normal(shape), seed=seed)
    assert max(errors.values()) < TOL, errors


@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4), seed=st.integers(0, 2**16),
       activation=st.sampled_from(ACTIVATIONS))
def test_shape_layers_gradients(float64, shape, seed, activation):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    for layer in (layers.Flatten(), layers.Activation(activation), layers.Dropout(0.5)):
        errors = gradcheck.check_layer(layer, x, seed=seed)
        assert errors["x"] < TOL, (layer, errors)


def test_dropout_training_backward_uses_the_forward_mask():
    layer = layers.Dropout(0.25, seed=3)
    x = np.ones((400, 50), dtype="float32")
    y = layer.forward(x, training=True)
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.01                       # drops about `rate`
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)   # inverted scaling
    dy = np.random.default_rng(0).standard_normal(x.shape).astype("float32")
    np.testing.assert_allclose(layer.backward(dy), dy * y, rtol=1e-6)
    np.testing.assert_array_equal(layer.forward(x, training=False), x)  # inference: identity
    again = layers.Dropout(0.25, seed=3).forward(x, training=True)
    np.testing.assert_array_equal(again, y)                       # a seed makes masks repeat


def test_gradcheck_catches_a_wrong_backward(float64):
    """The checker itself must fail on a layer whose backward is wrong."""
    class WrongDense(layers.Dense):
        def backward_preactivation(self, dz, need_dx=True):
            return 2 * super().backward_preactivation(dz, need_dx)

    x = np.random.default_rng(0).standard_normal((2, 3))
    errors = gradcheck.check_layer(WrongDense(2), x)
    assert errors["x"] > 0.1


def test_gradcheck_refuses_float32():
    layer = layers.Dense(2)
    with pytest.raises(ValueError, match="float64"):
        gradcheck.check_layer(layer, np.zeros((1, 3)))


@pytest.mark.parametrize("twin", ["xp", "reference"])
def test_layers_agree_across_kernel_twins(float64, twin):
    """The same conv + pool layers give the same outputs and gradients on each kernel twin."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 7, 6, 3))
    conv = layers.Conv2D(4, (3, 2), strides=(2, 1), padding="same", activation="relu")
    pool = layers.MaxPooling2D((2, 2), padding="same")
    results = {}
    for mode in ("cpu", twin):
        with backend.kernels_scope(mode):
            y = pool.forward(conv.forward(x))
            dy = np.linspace(-1, 1, y.size).reshape(y.shape)
            dx = conv.backward(pool.backward(dy))
            results[mode] = (y, dx, conv.grads["kernel"].copy())
    for a, b in zip(results["cpu"], results[twin]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
