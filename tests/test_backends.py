"""One suite for every array backend (the ``each_backend`` fixture): results equal NumPy's.

On a machine without a GPU this still proves the seam: the ``numpy-xp`` backend runs
every layer through the vectorised kernels CuPy would run, and the static test below
checks that no engine module does array math with NumPy directly.
"""
import ast
import pathlib

import numpy as np
import pytest

from minicnn import backend, layers, losses, models, optimizers

from helpers import book_mnist_convnet

LAYERS = [
    (lambda: layers.Conv2D(4, 3, strides=2, padding="same", activation="relu"), (2, 9, 8, 3)),
    (lambda: layers.Conv2D(3, (2, 3), activation="tanh"), (2, 6, 7, 2)),
    (lambda: layers.MaxPooling2D((2, 2)), (2, 7, 7, 3)),
    (lambda: layers.AveragePooling2D(3, strides=2, padding="same"), (2, 7, 8, 2)),
    (lambda: layers.Dense(5, activation="softmax"), (3, 7)),
    (lambda: layers.Flatten(), (2, 3, 4, 2)),
    (lambda: layers.Activation("sigmoid"), (2, 5)),
]


def run_layer(make, x, dy, weights):
    layer = make()
    layer.build((None,) + x.shape[1:])
    if weights:
        layer.set_weights(weights)
    y = layer.forward(backend.to_device(x))
    dx = layer.backward(backend.to_device(dy))
    return ([backend.to_numpy(y), backend.to_numpy(dx)]
            + [backend.to_numpy(g) for g in layer.grads.values()], y, dx)


@pytest.mark.parametrize("make, shape", LAYERS)
def test_every_layer_matches_numpy(each_backend, make, shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype("float32")
    with backend.kernels_scope("cpu"):                     # the reference: NumPy and numba
        backend.set_backend("numpy")
        probe = make()
        probe.build((None,) + shape[1:])
        weights = probe.get_weights()
        dy = rng.standard_normal(probe.compute_output_shape((shape[0],) + shape[1:])).astype("float32")
        expected, _, _ = run_layer(make, x, dy, weights)
    backend.set_backend("cupy" if each_backend == "cupy" else "numpy")
    got, y, dx = run_layer(make, x, dy, weights)
    xp = backend.array_module()
    assert backend.get_array_module(y) is xp and backend.get_array_module(dx) is xp
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("loss, labels", [
    (losses.CategoricalCrossentropy(), lambda rng: np.eye(4, dtype="float32")[rng.integers(0, 4, 5)]),
    (losses.SparseCategoricalCrossentropy(), lambda rng: rng.integers(0, 4, 5)),
    (losses.BinaryCrossentropy(), lambda rng: rng.integers(0, 2, (5, 4)).astype("float32")),
    (losses.MeanSquaredError(), lambda rng: rng.random((5, 4), dtype=np.float32)),
])
def test_losses_match_numpy(each_backend, loss, labels):
    rng = np.random.default_rng(1)
    p = rng.uniform(0.05, 0.95, (5, 4)).astype("float32")
    y = labels(rng)
    value, grad = loss.value_and_grad(y, p)
    value_d, grad_d = loss.value_and_grad(y, backend.to_device(p))   # labels may stay on host
    assert backend.get_array_module(grad_d) is backend.array_module()
    assert value_d == pytest.approx(value, rel=1e-6)
    np.testing.assert_allclose(backend.to_numpy(grad_d), grad, rtol=1e-5)


@pytest.mark.parametrize("make_optimizer", [
    lambda: optimizers.RMSprop(1e-2), lambda: optimizers.SGD(1e-2, momentum=0.9, nesterov=True),
    lambda: optimizers.Adam(1e-2)])
def test_training_steps_match_numpy_and_keep_state_on_the_device(each_backend, make_optimizer):
    rng = np.random.default_rng(2)
    x = rng.random((8, 28, 28, 1), dtype=np.float32)
    y = np.eye(10, dtype="float32")[rng.integers(0, 10, 8)]

    def train(name):
        backend.set_backend(name)
        backend.set_seed(0)
        model = book_mnist_convnet()
        model.compile(make_optimizer(), "categorical_crossentropy", ["acc"])
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        return model

    expected = train("numpy").get_weights()
    model = train("cupy" if each_backend == "cupy" else "numpy")
    xp = backend.array_module()
    for param, state in model.optimizer._slots.values():
        assert all(backend.get_array_module(s) is xp for s in state.values())
    for a, b in zip(model.get_weights(), expected):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    out = model.predict(x)
    assert type(out) is np.ndarray and out.shape == (8, 10)          # predict returns NumPy


def test_dropout_masks_are_drawn_where_the_data_lives(each_backend):
    x = backend.to_device(np.ones((200, 50), dtype="float32"))
    y = layers.Dropout(0.5, seed=0).forward(x, training=True)
    assert backend.get_array_module(y) is backend.array_module()
    assert abs(float((y != 0).mean()) - 0.5) < 0.03


def test_mixing_numpy_and_gpu_arrays_is_an_error_naming_both():
    class FakeCupyArray:            # a stand-in: its module says cupy, as CuPy's arrays do
        __module__ = "cupy._core.core"
        shape = (2, 2)

    with pytest.raises(ValueError, match="NumPy and CuPy arrays are mixed"):
        backend.get_array_module(np.zeros(2), FakeCupyArray())
    layer = layers.Dense(2)
    layer.build((None, 2))
    layer.params["kernel"] = FakeCupyArray()
    with pytest.raises(ValueError, match=r"input is a numpy.ndarray but the weights are cupy"):
        layer.forward(np.zeros((1, 2), dtype="float32"))


def test_switching_to_cupy_without_it_says_what_is_missing(monkeypatch):
    if "cupy" in backend.available_backends():
        pytest.skip("CuPy and a GPU are present here")
    with pytest.raises(RuntimeError, match="cupy-cuda12x|NVIDIA GPU"):
        backend.set_backend("cupy")
    assert backend.backend() == "numpy"
    with pytest.raises(ValueError, match="expected 'numpy' or 'cupy'"):
        backend.set_backend("jax")


# Engine modules may use NumPy only for what is not array math on model data: host-side
# work named here, with the reason. Anything else must go through get_array_module(x).
ENGINE = pathlib.Path(backend.__file__).parent
ALLOWED = {
    "initializers.py": {"zeros", "ones", "abs"},    # values drawn on the host, then moved
    "models/training.py": {"full", "shape", "concatenate"},  # label probe; predict's host output
    "models/sequential.py": {"shape"},
    "callbacks.py": {"isfinite", "inf"},              # on logged Python floats
}
ENGINE_MODULES = ["activations.py", "callbacks.py", "initializers.py", "losses.py", "metrics.py",
                  "optimizers.py", "layers/*.py", "models/*.py"]


def numpy_uses(path):
    tree = ast.parse(path.read_text())
    names = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names if alias.name == "numpy"}
    return {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name) and node.value.id in names}


def test_engine_modules_do_no_array_math_with_numpy_directly():
    files = [f for pattern in ENGINE_MODULES for f in sorted(ENGINE.glob(pattern))]
    assert len(files) > 15
    for path in files:
        key = str(path.relative_to(ENGINE))
        extra = numpy_uses(path) - ALLOWED.get(key, set())
        assert not extra, f"{key} calls numpy.{sorted(extra)}: use get_array_module(x)"
