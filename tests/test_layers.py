"""The layer contract, like Keras' ``layer_test``: shapes, weights, names, errors, initializers."""
import numpy as np
import pytest

from minicnn import backend, initializers, layers, models

CASES = [
    (lambda: layers.Conv2D(4, (3, 2), strides=(2, 1), padding="same", activation="relu"),
     (2, 9, 7, 3), (None, 5, 7, 4)),
    (lambda: layers.Conv2D(3, 3), (1, 5, 5, 2), (None, 3, 3, 3)),
    (lambda: layers.MaxPooling2D((2, 2)), (2, 15, 15, 3), (None, 7, 7, 3)),
    (lambda: layers.AveragePooling2D(3, strides=2, padding="same"), (1, 7, 8, 2), (None, 4, 4, 2)),
    (lambda: layers.Dense(5, activation="softmax"), (3, 8), (None, 5)),
    (lambda: layers.Flatten(), (2, 3, 4, 5), (None, 60)),
    (lambda: layers.Dropout(0.5), (2, 6), (None, 6)),
    (lambda: layers.Activation("tanh"), (2, 3, 3), (None, 3, 3)),
]


@pytest.mark.parametrize("make, x_shape, out_shape", CASES)
def test_layer_contract(make, x_shape, out_shape):
    layer = make()
    x = np.random.default_rng(0).standard_normal(x_shape).astype("float32")
    y = layer.forward(x)
    assert layer.built and y.dtype == np.float32
    assert layer.compute_output_shape((None,) + x_shape[1:]) == out_shape
    assert y.shape == (x_shape[0],) + out_shape[1:]
    dx = layer.backward(np.ones_like(y))
    assert dx.shape == x.shape
    for key, w in layer.params.items():           # a gradient for every weight, same shape
        assert layer.grads[key].shape == w.shape
    weights = [np.random.default_rng(1).standard_normal(w.shape) for w in layer.get_weights()]
    layer.set_weights(weights)
    for a, b in zip(weights, layer.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert layer.count_params() == sum(w.size for w in weights)
    model = models.Sequential([make()])           # runs inside a model too
    assert model.predict(x).shape == y.shape


def test_keras_argument_spellings():
    assert layers.Conv2D(8, 3).kernel_size == (3, 3) and layers.Conv2D(8, 3, strides=2).strides == (2, 2)
    assert layers.MaxPooling2D(3).strides == (3, 3)
    dense = layers.Dense(256, input_dim=8192)                    # listing 5-18
    assert models.Sequential([dense]).input_shape == (None, 8192)
    conv = layers.Conv2D(4, 3, batch_input_shape=(None, 10, 10, 2))
    assert models.Sequential([conv]).output_shape == (None, 8, 8, 4)
    assert layers.Conv2D(4, 3, name="my_conv").name == "my_conv"


def test_automatic_names_per_class():
    assert [layers.Conv2D(1, 1).name, layers.Conv2D(1, 1).name] == ["conv2d_1", "conv2d_2"]
    assert layers.MaxPooling2D().name == "max_pooling2d_1"
    assert layers.AveragePooling2D().name == "average_pooling2d_1"
    backend.clear_session()
    assert layers.Conv2D(1, 1).name == "conv2d_1"


def test_integer_input_is_cast_to_floatx():
    layer = layers.Conv2D(2, 3)
    y = layer.forward(np.ones((1, 5, 5, 1), dtype="uint8"))
    assert y.dtype == np.float32
    with backend.floatx_scope("float64"):
        assert layers.Dense(2).forward(np.ones((1, 3), dtype="int64")).dtype == np.float64


@pytest.mark.parametrize("call, match", [
    (lambda: layers.Conv2D(4, 3).forward(np.zeros((2, 28, 28))),
     r"Conv2D 'conv2d_1' expects a rank-4 input \(batch first\), got \(2, 28, 28\)"),
    (lambda: layers.Conv2D(4, 5).forward(np.zeros((1, 3, 3, 1))),
     r"Conv2D 'conv2d_1': a 5x5 window does not fit a 3x3 input with padding='valid'"),
    (lambda: layers.Conv2D(4, 3, strides=0), r"strides must be positive"),
    (lambda: layers.Conv2D(4, 3, padding="full"), r"padding must be 'valid' or 'same', got 'full'"),
    (lambda: layers.Conv2D(4, 3, activation="swish"), r"unknown activation 'swish'"),
    (lambda: layers.Conv2D(0, 3), r"filters must be a positive int"),
    (lambda: layers.Conv2D(4, (3, 3, 3)), r"kernel_size must be an int or a tuple of 2 ints"),
    (lambda: layers.Conv2D(4, 3, data_format="channels_first"), r"channels_last"),
    (lambda: layers.Conv2D(4, 3, dilation_rate=2), r"dilation_rate"),
    (lambda: layers.Dense(4, kernel_regularizer="l2"), r"unexpected argument"),
    (lambda: layers.Dropout(1.0), r"rate must be in \[0, 1\)"),
    (lambda: layers.MaxPooling2D(2, padding="causal"), r"padding must be"),
])
def test_bad_arguments_and_inputs_say_what_was_expected(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_a_built_layer_checks_channels_and_sizes():
    conv = layers.Conv2D(4, 3)
    conv.forward(np.zeros((1, 8, 8, 3)))
    conv.forward(np.zeros((2, 10, 12, 3)))              # any spatial size, like Keras
    with pytest.raises(ValueError, match=r"expects \(None, 8, 8, 3\), got \(1, 8, 8, 2\)"):
        conv.forward(np.zeros((1, 8, 8, 2)))
    dense = layers.Dense(2)
    dense.forward(np.zeros((1, 5)))
    with pytest.raises(ValueError, match=r"Dense 'dense_1' expects \(None, 5\), got \(1, 6\)"):
        dense.forward(np.zeros((1, 6)))
    with pytest.raises(ValueError, match=r"backward expects dy of shape \(1, 2\)"):
        dense.backward(np.zeros((1, 3)))


def test_glorot_uniform_and_he_normal_follow_keras():
    with backend.floatx_scope("float64"):
        w = initializers.get("glorot_uniform")((3, 3, 64, 128))
        limit = np.sqrt(6 / (3 * 3 * 64 + 3 * 3 * 128))
        assert np.abs(w).max() <= limit and np.abs(w).max() > 0.99 * limit
        assert abs(w.std() - limit / np.sqrt(3)) < 0.01 * limit
        h = initializers.HeNormal(seed=1)((500, 400))
        assert np.abs(h).max() <= 2 * np.sqrt(2 / 500) / 0.87962566103423978 + 1e-12
        assert abs(h.std() - np.sqrt(2 / 500)) < 0.02 * np.sqrt(2 / 500)
    np.testing.assert_array_equal(initializers.HeNormal(seed=3)((4, 4)),
                                  initializers.HeNormal(seed=3)((4, 4)))
    assert initializers.get("zeros")((2,)).sum() == 0 and initializers.get("ones")((2,)).sum() == 2
    with pytest.raises(ValueError, match="unknown initializer"):
        initializers.get("lecun_magic")


def test_seeding_makes_models_repeat():
    backend.set_seed(7)
    a = layers.Dense(3)
    a.build((None, 4))
    backend.set_seed(7)
    b = layers.Dense(3)
    b.build((None, 4))
    np.testing.assert_array_equal(a.params["kernel"], b.params["kernel"])
