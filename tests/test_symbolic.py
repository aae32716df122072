"""``K.*``: every op's VJP against central differences (float64), alone and chained; the
symbolic tensors' shapes; ``K.gradients`` and ``K.function`` on real nets; the errors."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from minicnn import backend as K, gradcheck, layers, models

from helpers import book_mnist_convnet


def vjp_error(build, x, seed=0):
    """``build(placeholder) -> expression``; the relative error between ``K.gradients`` of
    ``sum(expression * w)`` (random ``w``) and its central differences at ``x``."""
    inp = layers.Input(shape=x.shape[1:])
    expr = build(inp)
    value = K.function([inp], [expr])([x])[0]
    w = np.random.default_rng(seed).standard_normal(np.shape(value))
    loss = K.sum(expr * w)
    grads = K.gradients(loss, inp)
    assert grads[0] is not None and K.int_shape(grads[0]) == K.int_shape(inp)
    loss_value, analytic = K.function([inp], [loss, grads[0]])([x])
    f = K.function([inp], [loss])
    numeric = gradcheck.numeric_grad(lambda v: f([v])[0], x)
    assert np.isclose(loss_value, f([x])[0])
    return gradcheck.norm_rel_error(analytic, numeric)


shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)
UNARY = {"square": K.square, "sqrt": K.sqrt, "abs": K.abs, "exp": K.exp, "log": K.log,
         "neg": lambda t: -t}
BINARY = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
          "div": lambda a, b: a / b, "pow": lambda a, b: a ** b, "maximum": K.maximum,
          "minimum": K.minimum}


def positive(shape, seed):
    """Values in [0.5, 1.5] with a batch axis of 2: safe for sqrt, log and pow."""
    return np.random.default_rng(seed).random((2,) + shape) + 0.5


@pytest.mark.usefixtures("float64")
@given(shape=shapes, name=st.sampled_from(sorted(UNARY)), seed=st.integers(0, 99))
def test_each_unary_vjp(shape, name, seed):
    assert vjp_error(UNARY[name], positive(shape, seed), seed) < 1e-7


@pytest.mark.usefixtures("float64")
@given(shape=shapes, name=st.sampled_from(sorted(BINARY)), seed=st.integers(0, 99),
       broadcast=st.booleans(), constant=st.sampled_from([None, "left", "right"]))
def test_each_binary_vjp_with_broadcasting_and_constants(shape, name, seed, broadcast,
                                                          constant):
    op = BINARY[name]
    c = np.random.default_rng(seed + 1).random(shape[-1:]) + 0.5

    def build(t):
        a, b = t[0], t[1]
        if broadcast:
            b = b[..., :1]                       # (..., 1) against (..., n)
        if constant == "left":
            return op(c, b)
        if constant == "right":
            return op(a, c if name != "pow" else 1.7)
        return op(a, b)
    assert vjp_error(build, positive(shape, seed), seed) < 1e-7


@pytest.mark.usefixtures("float64")
@given(shape=shapes, name=st.sampled_from(["sum", "mean", "max", "min"]),
       keepdims=st.booleans(), seed=st.integers(0, 99), data=st.data())
def test_each_reduction_vjp(shape, name, keepdims, seed, data):
    ndim = len(shape) + 1
    axis = data.draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1),
                               st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                                        unique=True).map(tuple)))
    reduce = getattr(K, name)
    assert vjp_error(lambda t: reduce(t, axis=axis, keepdims=keepdims),
                     positive(shape, seed), seed) < 1e-7


@pytest.mark.usefixtures("float64")
@pytest.mark.parametrize("build", [
    lambda t: K.clip(t, 0.7, 1.2),
    lambda t: K.reshape(t, (-1,)),
    lambda t: K.l2_normalize(t, axis=-1),
    lambda t: K.l2_normalize(t),
    lambda t: t[:, 1:, ::2] * 3 + t[0, :1, :2] / 2,
    lambda t: K.mean(K.square(t - K.mean(t, axis=0, keepdims=True))) ** 0.5,
    lambda t: K.pow(t, 2.5) - K.exp(-t) + abs(t[..., 0:1]),
    lambda t: 1.0 / (K.sqrt(K.mean(K.square(t))) + 1e-5) * t,    # listing 5-34's RMS
], ids=["clip", "reshape", "l2_normalize_axis", "l2_normalize_all", "slices", "std",
        "chained", "rms"])
def test_chained_and_structural_vjps(build):
    x = positive((3, 4), 0) + np.linspace(0, 0.2, 24).reshape(2, 3, 4)
    assert vjp_error(build, x) < 1e-7


def test_ops_on_arrays_return_numpy_results():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(K.mean(x, axis=0), x.mean(axis=0))
    np.testing.assert_array_equal(K.max(x, axis=1, keepdims=True), x.max(axis=1, keepdims=True))
    assert K.sum(x) == 15 and K.min(x) == 0
    np.testing.assert_array_equal(K.sqrt(K.square(x)), x)
    np.testing.assert_array_equal(K.maximum(x, 2.5), np.maximum(x, 2.5))
    np.testing.assert_array_equal(K.clip(x, 1, None), np.clip(x, 1, np.inf))
    np.testing.assert_allclose(K.l2_normalize(np.array([3.0, 4.0])), [0.6, 0.8])
    np.testing.assert_array_equal(K.reshape(x, (3, -1)), x.reshape(3, 2))
    np.testing.assert_array_equal(K.shape(x), [2, 3])
    assert K.int_shape(x) == (2, 3) and K.ndim(x) == 2
    assert K.constant([1, 2]).dtype == np.float32 and K.constant(0, shape=(2, 2)).shape == (2, 2)
    assert K.epsilon() == 1e-7 and K.floatx() == "float32"
    assert K.image_data_format() == "channels_last"


def test_symbolic_shapes_follow_keras():
    base = models.Model(*_vgg_like())
    t = base.output
    assert K.int_shape(t) == (None, None, None, 8)
    assert K.int_shape(t[:, :, :, 3]) == (None, None, None)
    assert K.int_shape(t[0]) == (None, None, 8)
    assert K.int_shape(t[..., :2]) == (None, None, None, 2)
    assert K.int_shape(K.mean(t, axis=(0, 1, 2))) == (8,)
    assert K.int_shape(K.sum(t, axis=-1, keepdims=True)) == (None, None, None, 1)
    model = book_mnist_convnet()
    assert K.int_shape(model.output[:, 3]) == (None,)
    assert K.int_shape(model.layers[0].output[None, 0, 5:, ::2]) == (1, 21, 13, 32)
    assert K.int_shape(np.ones(10) + model.output) == (None, 10)
    g = K.gradients(K.mean(model.output), model.layers[2].output)[0]
    assert K.int_shape(g) == (None, 11, 11, 64) and K.int_shape(K.shape(g)) == (4,)


def _vgg_like(shape=(None, None, 3), activation="relu"):
    """A VGG16-shaped base (unknown spatial size by default): 3x3 'same' convs, 2x2 pools.
    Gradient checks use tanh: ReLU zeros tie in the pools, where differences are one-sided."""
    x = inp = layers.Input(shape=shape)
    x = layers.Conv2D(4, 3, padding="same", activation=activation, name="b1c1")(x)
    x = layers.Conv2D(4, 3, padding="same", activation=activation, name="b1c2")(x)
    x = layers.MaxPooling2D(name="b1p")(x)
    x = layers.Conv2D(8, 3, padding="same", activation=activation, name="b2c1")(x)
    return inp, layers.MaxPooling2D(name="b2p")(x)


@pytest.mark.usefixtures("float64")
def test_gradients_wrt_the_input_and_an_inner_layer_of_a_vgg_shaped_net():
    model = models.Model(*_vgg_like(activation="tanh"))
    x = np.random.default_rng(0).random((1, 8, 8, 3))
    loss = K.mean(model.get_layer("b2c1").output[:, :, :, 1])
    grads = K.gradients(loss, [model.input, model.get_layer("b1c2").output])
    f = K.function([model.input], [loss] + grads)
    value, g_input, g_inner = f([x])
    numeric = gradcheck.numeric_grad(lambda v: f([v])[0], x.copy())
    assert gradcheck.norm_rel_error(g_input, numeric) < 1e-7
    inner = K.function([model.input], [model.get_layer("b1c2").output])([x])[0]
    tail = [model.get_layer(n) for n in ("b1p", "b2c1")]

    def from_inner(a):
        for layer in tail:
            a = layer.forward(a)
        return a[..., 1].mean()
    assert gradcheck.norm_rel_error(g_inner, gradcheck.numeric_grad(from_inner, inner)) < 1e-7
    big = np.random.default_rng(1).random((2, 20, 12, 3))   # another size, same graph
    assert f([big])[1].shape == (2, 20, 12, 3)


@pytest.mark.usefixtures("float64")
def test_gradients_on_the_mnist_net_wrt_the_input_and_an_inner_layer():
    model = book_mnist_convnet()
    rng = np.random.default_rng(2)
    x = rng.random((1, 28, 28, 1))
    score = model.output[:, 7]
    conv2 = model.layers[2].output
    g_x, g_conv = K.gradients(score, [model.input, conv2])
    f = K.function([model.input], [score, g_x, g_conv, conv2])
    _, gx, gc, conv_value = f([x])
    for point, grad, run in [(x, gx, lambda v: f([v])[0]),
                             (conv_value, gc, lambda a: _tail(model, 3, a)[:, 7])]:
        # a directional derivative suffices; ReLU's zeros (ties in the pools) stay put
        direction = rng.standard_normal(point.shape) * (point > 0)
        eps = 1e-5
        numeric = (run(point + eps * direction) - run(point - eps * direction)).sum() / (2 * eps)
        assert np.isclose((grad * direction).sum(), numeric, rtol=1e-6)
    np.testing.assert_allclose(gx, model.gradients(x, model.layers[-1], np.eye(10)[[7]]))


def _tail(model, start, a):
    for layer in model.layers[start:]:
        a = layer.forward(a)
    return a


def test_gradients_reach_through_nested_frozen_models_and_dropout():
    base = models.Model(*_vgg_like((8, 8, 3)), name="base")
    model = models.Sequential([base, layers.Flatten(), layers.Dropout(0.5),
                               layers.Dense(3, activation="softmax")])
    base.trainable = False
    x = np.random.default_rng(3).random((2, 8, 8, 3)).astype("float32")
    inner = base.get_layer("b2c1").output                 # a tensor of the nested graph
    g_input, g_inner = K.gradients(model.output[:, 0], [model.input, inner])
    f = K.function([model.input], [g_input, g_inner, inner])
    gi, gn, value = f([x])
    expected = model.gradients(x, model.layers[-1], np.tile([1.0, 0, 0], (2, 1)))
    np.testing.assert_allclose(gi, expected, rtol=1e-5, atol=1e-7)   # Dropout is off
    assert gn.shape == value.shape == (2, 4, 4, 8) and np.abs(gn).sum() > 0
    mean_inner = K.mean(inner)
    assert K.gradients(mean_inner, model.input)[0] is not None   # the outer input feeds it


def test_a_variable_the_loss_does_not_depend_on_gets_none_as_in_keras():
    model = book_mnist_convnet()
    loss = K.mean(model.layers[2].output)
    later = model.layers[4].output
    other = book_mnist_convnet()
    assert K.gradients(loss, [later, other.input, model.input])[:2] == [None, None]
    with pytest.raises(TypeError, match=r"output 1 must be a symbolic tensor, got None "
                                        r"\(K.gradients gives None"):
        K.function([model.input], [loss, K.gradients(loss, later)[0]])


def test_a_gradient_of_a_gradient_and_other_misuse_are_refused():
    model = book_mnist_convnet()
    g = K.gradients(K.mean(model.output), model.input)[0]
    with pytest.raises(ValueError, match="a gradient of a gradient is not supported"):
        K.gradients(K.sum(g * g), model.input)
    with pytest.raises(TypeError, match="loss must be a symbolic tensor"):
        K.gradients(np.ones(3), model.input)
    with pytest.raises(TypeError, match="variable 0 must be a symbolic tensor"):
        K.gradients(K.mean(model.output), [np.ones(3)])
    other = book_mnist_convnet()
    with pytest.raises(ValueError, match="K.function: the outputs need a tensor that the "
                                         "input cannot give"):
        K.function([model.input], [K.mean(other.output)])
    with pytest.raises(TypeError, match="inputs must be a list of placeholders"):
        K.function(model.input, [g])
    with pytest.raises(TypeError, match="each input must be a model's input placeholder"):
        K.function([model.output], [g])
    with pytest.raises(TypeError, match="no values to iterate over"):
        list(model.output)
    with pytest.raises(TypeError, match="no value to test"):
        bool(model.output)


def test_function_inputs_are_checked_by_name_and_shape():
    model = book_mnist_convnet()
    f = K.function([model.input], [K.mean(model.output)])
    name = model.input.layer.name
    with pytest.raises(ValueError, match=rf"input '{name}' has shape \(None, 28, 28, 1\), "
                                         r"got an array of shape \(28, 28, 1\)"):
        f([np.zeros((28, 28, 1))])
    with pytest.raises(ValueError, match=r"expected 1 input array\(s\)"):
        f([])
    with pytest.raises(TypeError, match=r"call it with a list of arrays"):
        f(np.zeros((1, 28, 28, 1)))
    out = f([np.zeros((1, 28, 28, 1), dtype="float64")])    # float64 in, float32 out
    assert isinstance(out, list) and np.asarray(out[0]).dtype == np.float32


def test_one_forward_and_one_backward_per_call_shared_by_all_outputs(monkeypatch):
    model = book_mnist_convnet()
    conv = model.layers[4]
    calls = {"forward": 0, "backward": 0}
    for name in calls:
        original = getattr(conv, name)

        def counted(*args, _original=original, _name=name, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)
        monkeypatch.setattr(conv, name, counted)
    grads = K.gradients(model.output[:, 3], conv.output)[0]
    pooled = K.mean(grads, axis=(0, 1, 2))
    f = K.function([model.input], [pooled, conv.output[0], grads, K.max(model.output)])
    f([np.random.default_rng(4).random((1, 28, 28, 1))])
    assert calls == {"forward": 1, "backward": 0}     # the gradient starts above conv
    loss = K.mean(conv.output)
    f = K.function([model.input], [loss, K.gradients(loss, model.input)[0],
                                   K.gradients(loss, model.layers[2].output)[0]])
    f([np.zeros((1, 28, 28, 1))])
    assert calls == {"forward": 2, "backward": 1}


def test_function_outputs_are_the_callers_to_change():
    model = book_mnist_convnet()
    f = K.function([model.input], [model.layers[0].output[0]])
    x = np.random.default_rng(5).random((1, 28, 28, 1))
    first = f([x])[0]
    expected = first.copy()
    first *= 0                                            # listing 5-42 scales in place
    np.testing.assert_array_equal(f([x])[0], expected)
    assert expected.any()
