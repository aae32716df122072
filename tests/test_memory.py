"""Bounded memory: chunked im2col, no caches in predict, no backward through frozen bases."""
import numpy as np
import pytest

from minicnn import layers, models
from minicnn.kernels import conv_algorithm
from minicnn.layers import conv as conv_module


@pytest.mark.parametrize("padding, strides", [("valid", 1), ("same", 2)])
def test_chunked_convolution_equals_the_one_shot_version(float64, monkeypatch, padding, strides):
    """im2col's workspace: one matrix when it fits, chunks of samples when it does not."""
    monkeypatch.setattr(conv_algorithm, "ALGORITHM", "im2col")   # whatever the environment says
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 9, 8, 3))
    layer = layers.Conv2D(4, 3, strides=strides, padding=padding, activation="tanh")
    y = layer.forward(x, training=True)
    assert layer._cache[1] is not None                      # cols kept: they fit
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    dW = layer.grads["kernel"].copy()
    per_sample = layer._cache[1].nbytes // 5
    monkeypatch.setattr(conv_module, "WORKSPACE_BYTES", 2 * per_sample)  # 2 samples a chunk
    y2 = layer.forward(x, training=True)
    assert layer._cache[1] is None                          # cols rebuilt by backward instead
    np.testing.assert_allclose(y2, y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.backward(dy), dx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.grads["kernel"], dW, rtol=1e-12, atol=1e-12)


def test_predict_keeps_nothing_for_backward():
    model = models.Sequential([layers.Conv2D(2, 3, activation="relu", input_shape=(6, 6, 1)),
                               layers.MaxPooling2D(), layers.Flatten(), layers.Dense(2)])
    model.predict(np.zeros((3, 6, 6, 1)))
    assert all(layer._cache is None for layer in model.layers if not isinstance(layer, layers.Flatten))
    with pytest.raises(RuntimeError, match="backward needs a forward pass first"):
        model.layers[0].backward(np.zeros((3, 4, 4, 2)))
    model.forward(np.zeros((3, 6, 6, 1)))                   # a plain forward keeps them again
    assert model.layers[0]._cache is not None


def test_training_skips_backward_through_a_frozen_base():
    base = models.Sequential([layers.Conv2D(3, 3, activation="relu", input_shape=(8, 8, 1)),
                              layers.MaxPooling2D()], name="base")
    model = models.Sequential([base, layers.Flatten(), layers.Dense(1, activation="sigmoid")])
    model.compile("rmsprop", "binary_crossentropy")
    calls = []
    original = base.backward
    base.backward = lambda dy, need_dx=True: calls.append(need_dx) or original(dy, need_dx)
    x, y = np.random.default_rng(0).random((4, 8, 8, 1)), np.ones(4)
    model.train_on_batch(x, y)
    assert calls == [False]                  # trainable base: weight gradients, no input grad
    base.trainable = False
    model.train_on_batch(x, y)
    assert calls == [False]                  # frozen base first in the model: not visited at all
    assert base.layers[0]._cache[1] is None  # and its forward kept no im2col matrix
