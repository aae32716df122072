"""model.gradients: backward to the input or to an inner layer, checked by central differences."""
import numpy as np
import pytest

from minicnn import gradcheck, layers, models


def small_convnet():
    return models.Sequential([
        layers.Conv2D(3, 3, activation="relu", input_shape=(8, 8, 2), name="c1"),
        layers.MaxPooling2D(name="p1"),
        layers.Conv2D(4, 2, padding="same", activation="relu", name="c2"),
        layers.Flatten(name="f"),
        layers.Dense(5, activation="softmax", name="out")])


def mean_of_channel(k):
    """output_grad for "mean of channel k": 1/(N*H*W) on that channel, 0 elsewhere."""
    def grad(out):
        g = np.zeros_like(out)
        g[..., k] = 1.0 / (out.size // out.shape[-1])
        return g
    return grad


def test_gradient_of_a_filter_mean_wrt_the_input(float64):
    model = small_convnet()
    x = np.random.default_rng(0).standard_normal((1, 8, 8, 2))
    g = model.gradients(x, "c2", mean_of_channel(1))
    sub = models.Model(model.input, model.get_layer("c2").output)
    numeric = gradcheck.numeric_grad(lambda v: sub.forward(v)[..., 1].mean(), x.copy())
    assert g.shape == x.shape
    assert gradcheck.norm_rel_error(g, numeric) < 1e-6


def test_gradient_of_a_class_score_wrt_an_inner_layer(float64):
    """Grad-CAM's question: d(score of class 3) / d(output of c2)."""
    model = small_convnet()
    x = np.random.default_rng(1).standard_normal((1, 8, 8, 2))
    onehot = np.eye(5)[[3]]
    g = model.gradients(x, "out", onehot, wrt="c2")
    taps = models.Model(model.input, model.get_layer("c2").output)
    a = taps.forward(x).copy()
    tail = model.layers[3:]

    def score(act):
        for layer in tail:
            act = layer.forward(act)
        return act[0, 3]

    numeric = gradcheck.numeric_grad(score, a)
    assert g.shape == a.shape
    assert gradcheck.norm_rel_error(g, numeric) < 1e-6


def test_gradients_reach_inside_nested_and_frozen_models(float64):
    base = models.Sequential([layers.Conv2D(3, 3, activation="tanh", input_shape=(6, 6, 1),
                                            name="inner_conv"),
                              layers.MaxPooling2D(name="inner_pool")], name="base")
    model = models.Sequential([base, layers.Flatten(), layers.Dense(2, activation="sigmoid")])
    base.trainable = False
    x = np.random.default_rng(2).standard_normal((1, 6, 6, 1))
    g = model.gradients(x, model.layers[-1], np.array([[1.0, 0.0]]))
    numeric = gradcheck.numeric_grad(lambda v: model.forward(v)[0, 0], x.copy())
    assert gradcheck.norm_rel_error(g, numeric) < 1e-6
    # from a layer inside the nested model, and to a layer inside it
    g_inner = model.gradients(x, "inner_pool", mean_of_channel(0))
    numeric = gradcheck.numeric_grad(lambda v: base.forward(v)[..., 0].mean(), x.copy())
    assert gradcheck.norm_rel_error(g_inner, numeric) < 1e-6
    g_wrt = model.gradients(x, model.layers[-1], np.array([[1.0, 0.0]]), wrt="inner_conv")
    assert g_wrt.shape == (1, 4, 4, 3) and np.abs(g_wrt).sum() > 0


def test_no_weight_gradient_is_computed_or_changed():
    model = small_convnet()
    x = np.random.default_rng(3).random((1, 8, 8, 2)).astype("float32")
    conv = model.get_layer("c1")
    conv.grads["kernel"][...] = 7.0
    model.gradients(x, "out", np.ones((1, 5)))
    assert np.all(conv.grads["kernel"] == 7.0)


def test_gradient_errors_are_plain():
    model = small_convnet()
    x = np.zeros((1, 8, 8, 2), dtype="float32")
    with pytest.raises(ValueError, match=r"no layer 'conv9'; its layers are \['c1', 'p1'"):
        model.gradients(x, "conv9", np.ones((1, 5)))
    with pytest.raises(ValueError, match=r"must have its output's shape \(1, 5\), got \(1, 4\)"):
        model.gradients(x, "out", np.ones((1, 4)))
    with pytest.raises(ValueError, match="does not lie between the input and layer 'c1'"):
        model.gradients(x, "c1", np.ones((1, 6, 6, 3)), wrt="c2")
