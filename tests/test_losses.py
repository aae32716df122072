"""Losses: Keras' values, exact gradients (central differences), the fused shortcut."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minicnn import activations, gradcheck, losses
from minicnn.utils import to_categorical


def softmax_rows(rng, n, k, scale=2.0):
    z = rng.standard_normal((n, k)) * scale
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True), z


def test_categorical_crossentropy_value_is_keras():
    y = np.array([[0, 1, 0], [0, 0, 1]], dtype="float32")
    p = np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]], dtype="float32")
    # Keras: -mean(log(clip(p_true))) after dividing rows by their sums
    expected = -(np.log(0.95) + np.log(0.1)) / 2
    assert losses.categorical_crossentropy(y, p)[0] == pytest.approx(expected, rel=1e-6)
    # rows not summing to 1 are normalised first
    assert losses.categorical_crossentropy(y, 2 * p)[0] == pytest.approx(expected, rel=1e-6)
    # a zero probability on the true class is clipped to 1e-7, not -log(0)
    assert losses.categorical_crossentropy(y[:1], np.array([[0.5, 0, 0.5]]))[0] == \
        pytest.approx(-np.log(1e-7), rel=1e-6)


def test_binary_crossentropy_and_mse_values():
    y = np.array([[1.0], [0.0], [1.0]])
    p = np.array([[0.9], [0.2], [0.6]])
    expected = -np.mean([np.log(0.9), np.log(0.8), np.log(0.6)])
    assert losses.binary_crossentropy(y, p)[0] == pytest.approx(expected)
    assert losses.binary_crossentropy(y[:, 0], p)[0] == pytest.approx(expected)  # (N,) labels
    assert losses.mean_squared_error(y, p)[0] == pytest.approx(np.mean((y - p) ** 2))


@given(n=st.integers(1, 4), k=st.integers(2, 6), seed=st.integers(0, 2**16))
def test_categorical_gradients(n, k, seed):
    rng = np.random.default_rng(seed)
    # rows that do not sum to 1, entries away from 0 (central differences of log need it)
    p = rng.uniform(0.05, 1.0, size=(n, k))
    y = to_categorical(rng.integers(0, k, n), k).astype("float64")
    assert gradcheck.check_loss(losses.CategoricalCrossentropy(), y, p) < 1e-7
    labels = rng.integers(0, k, n)
    assert gradcheck.check_loss(losses.SparseCategoricalCrossentropy(), labels, p) < 1e-7


@given(n=st.integers(1, 4), d=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_binary_and_mse_gradients(n, d, seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.95, size=(n, d))
    y = rng.integers(0, 2, size=(n, d)).astype("float64")
    assert gradcheck.check_loss(losses.BinaryCrossentropy(), y, p) < 1e-7
    assert gradcheck.check_loss(losses.MeanSquaredError(), y, rng.standard_normal((n, d))) < 1e-7


@given(n=st.integers(1, 4), k=st.integers(2, 6), seed=st.integers(0, 2**16))
def test_fused_softmax_gradient_equals_the_chain_rule(n, k, seed):
    """(p - y) / N equals softmax's Jacobian applied to the loss gradient (no saturation)."""
    rng = np.random.default_rng(seed)
    p, _ = softmax_rows(rng, n, k, scale=1.0)
    y = to_categorical(rng.integers(0, k, n), k).astype("float64")
    loss = losses.CategoricalCrossentropy()
    chained = activations.Softmax().backward(loss.value_and_grad(y, p)[1], p)
    np.testing.assert_allclose(loss.fused_grad(y, p), chained, atol=1e-12)
    np.testing.assert_allclose(loss.fused_grad(y, p), (p - y) / n, atol=1e-15)


@given(n=st.integers(1, 4), d=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_fused_sigmoid_gradient_equals_the_chain_rule(n, d, seed):
    rng = np.random.default_rng(seed)
    p = activations.sigmoid(rng.standard_normal((n, d)))
    y = rng.integers(0, 2, size=(n, d)).astype("float64")
    loss = losses.BinaryCrossentropy()
    chained = activations.Sigmoid().backward(loss.value_and_grad(y, p)[1], p)
    np.testing.assert_allclose(loss.fused_grad(y, p), chained, atol=1e-12)


def test_loss_errors_are_plain():
    p = np.full((4, 10), 0.1)
    with pytest.raises(ValueError, match="to_categorical"):
        losses.categorical_crossentropy(np.arange(4), p)       # integer labels
    with pytest.raises(ValueError, match=r"\(4, 3\)"):
        losses.categorical_crossentropy(np.zeros((4, 3)), p)   # wrong width
    with pytest.raises(ValueError, match=r"\[0, 10\)"):
        losses.sparse_categorical_crossentropy(np.array([0, 1, 2, 12]), p)
    with pytest.raises(ValueError, match="unknown loss"):
        losses.get("hinge_of_doom")


def test_loss_lookup_by_keras_names():
    assert isinstance(losses.get("mse"), losses.MeanSquaredError)
    assert isinstance(losses.get("CategoricalCrossentropy"), losses.CategoricalCrossentropy)
    assert losses.get("binary_crossentropy").fused_activation == "sigmoid"
