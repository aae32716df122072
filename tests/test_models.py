"""Sequential, Model (functional API), summary, weights, freezing, Keras' numerics."""
import h5py
import numpy as np
import pytest

from minicnn import backend, layers, models, optimizers
from minicnn.utils import to_categorical

from helpers import DATA, book_mnist_convnet

BOOK_SUMMARY = """\
_________________________________________________________________
Layer (type)                 Output Shape              Param #   
=================================================================
conv2d_1 (Conv2D)            (None, 26, 26, 32)        320       
_________________________________________________________________
max_pooling2d_1 (MaxPooling2 (None, 13, 13, 32)        0         
_________________________________________________________________
conv2d_2 (Conv2D)            (None, 11, 11, 64)        18496     
_________________________________________________________________
max_pooling2d_2 (MaxPooling2 (None, 5, 5, 64)          0         
_________________________________________________________________
conv2d_3 (Conv2D)            (None, 3, 3, 64)          36928     
_________________________________________________________________
flatten_1 (Flatten)          (None, 576)               0         
_________________________________________________________________
dense_1 (Dense)              (None, 64)                36928     
_________________________________________________________________
dense_2 (Dense)              (None, 10)                650       
=================================================================
Total params: 93,322
Trainable params: 93,322
Non-trainable params: 0
_________________________________________________________________
"""


def keras_weights(path):
    """The weights of a Keras 2 full-model .h5, in layer order (read with h5py)."""
    weights = []
    with h5py.File(path, "r") as f:
        group = f["model_weights"]
        for name in group.attrs["layer_names"]:
            layer = group[name]
            weights += [layer[w][()] for w in layer.attrs["weight_names"]]
    return weights


def test_book_summaries_come_out_exactly(capsys):
    model = book_mnist_convnet(classifier=False)
    model.summary()
    base = capsys.readouterr().out
    assert "conv2d_3 (Conv2D)            (None, 3, 3, 64)          36928" in base
    assert "Total params: 55,744\n" in base
    for layer in (layers.Flatten(), layers.Dense(64, activation="relu"),
                  layers.Dense(10, activation="softmax")):
        model.add(layer)
    model.summary()
    assert capsys.readouterr().out == BOOK_SUMMARY


def test_without_pooling_the_maps_shrink_by_two(capsys):
    model = models.Sequential([
        layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.Conv2D(64, (3, 3), activation="relu")])
    assert [l.output_shape for l in model.layers] == [
        (None, 26, 26, 32), (None, 24, 24, 64), (None, 22, 22, 64)]


def test_automatic_names_count_per_process_until_clear_session():
    book_mnist_convnet()
    second = models.Sequential([layers.Conv2D(8, 3, input_shape=(9, 9, 1))])
    assert second.layers[0].name == "conv2d_4" and second.name == "sequential_2"
    backend.clear_session()
    assert layers.Conv2D(8, 3).name == "conv2d_1"


def test_keras_2_file_predicts_what_keras_predicted():
    model = book_mnist_convnet()
    model.set_weights(keras_weights(DATA / "mnist_convnet_keras2.h5"))
    io = np.load(DATA / "mnist_convnet_keras2_io.npz")
    np.testing.assert_allclose(model.predict(io["x"]), io["y_tfkeras"], rtol=1e-4, atol=1e-7)


def test_three_rmsprop_steps_reproduce_keras_training_trace():
    """Losses to rtol 1e-5 and weights to atol 1e-5 after Keras' own three train_on_batch."""
    trace = np.load(DATA / "mnist_convnet_keras2_trace.npz")
    model = book_mnist_convnet()
    model.set_weights(keras_weights(DATA / "mnist_convnet_keras2.h5"))
    model.compile(optimizer=optimizers.RMSprop(learning_rate=float(trace["learning_rate"])),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    got = [model.train_on_batch(trace["x"], trace["y"])[0] for _ in range(3)]
    np.testing.assert_allclose(got, trace["losses"], rtol=1e-5)
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, trace[f"w3_{i}"], atol=1e-5, err_msg=f"weight {i}")


def test_functional_taps_return_every_layer_output():
    model = book_mnist_convnet()
    taps = models.Model(inputs=model.input, outputs=[l.output for l in model.layers[:8]])
    assert taps.layers[0].__class__.__name__ == "InputLayer"
    x = np.random.default_rng(0).random((3, 28, 28, 1)).astype("float32")
    outs = taps.predict(x)
    assert len(outs) == 8 and outs[0].shape == (3, 26, 26, 32)
    expected = x
    for layer, out in zip(model.layers, outs):
        expected = layer.forward(expected)
        np.testing.assert_array_equal(out, expected)


def test_functional_model_built_from_input():
    inp = layers.Input(shape=(12, 12, 2))
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(inp)
    x = layers.MaxPooling2D()(x)
    out = layers.Dense(3, activation="softmax")(layers.Flatten()(x))
    model = models.Model(inp, out, name="tiny")
    assert [l.name for l in model.layers][0].startswith("input")
    assert model.output_shape == (None, 3) and model.count_params() == 4 * 18 + 4 + 144 * 3 + 3
    assert model.predict(np.zeros((2, 12, 12, 2))).shape == (2, 3)


def test_model_nested_as_a_layer_and_frozen():
    base = models.Sequential([layers.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)),
                              layers.MaxPooling2D()], name="base")
    model = models.Sequential([base, layers.Flatten(), layers.Dense(1, activation="sigmoid")])
    assert len(model.trainable_weights) == 4
    base.trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    assert all(not l.trainable for l in base.layers)
    model.compile(optimizers.RMSprop(1e-2), "binary_crossentropy", ["acc"])
    before = base.get_weights()
    x = np.random.default_rng(1).random((16, 8, 8, 1))
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype("float32")
    dense_before = model.layers[-1].get_weights()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for a, b in zip(before, base.get_weights()):
        np.testing.assert_array_equal(a, b)                        # frozen: untouched
    assert not np.allclose(dense_before[0], model.layers[-1].get_weights()[0])
    frozen_ids = {id(w) for w in base.weights}
    assert not frozen_ids & set(model.optimizer._slots)           # and no optimizer state


def test_gradients_flow_through_frozen_layers(float64):
    model = models.Sequential([layers.Conv2D(2, 3, input_shape=(5, 5, 1)), layers.Flatten(),
                               layers.Dense(1)])
    model.layers[0].trainable = False
    x = np.random.default_rng(0).standard_normal((1, 5, 5, 1))
    model.forward(x)
    dx = model.backward(np.ones((1, 1)))
    assert np.abs(dx).sum() > 0


def test_get_and_set_weights_round_trip_and_check_shapes():
    model = book_mnist_convnet()
    weights = [np.random.default_rng(i).standard_normal(w.shape).astype("float32")
               for i, w in enumerate(model.get_weights())]
    model.set_weights(weights)
    for a, b in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    bad = list(weights)
    bad[-1] = np.zeros(11)
    with pytest.raises(ValueError, match="dense_2"):
        model.set_weights(bad)
    np.testing.assert_array_equal(model.get_weights()[0], weights[0])  # nothing changed
    with pytest.raises(ValueError, match="10 weight arrays, got a list of 9"):
        model.set_weights(weights[:-1])


def test_get_layer_and_errors():
    model = book_mnist_convnet()
    assert model.get_layer("dense_1") is model.layers[6]
    assert model.get_layer(index=0) is model.layers[0]
    with pytest.raises(ValueError, match="no layer named 'nope'.*conv2d_1"):
        model.get_layer("nope")


def test_history_keys_follow_metric_names_and_validation():
    rng = np.random.default_rng(0)
    x = rng.random((40, 6)).astype("float32")
    y = to_categorical((x[:, 0] > 0.5).astype(int), 2)
    for metric in ("acc", "accuracy"):
        model = models.Sequential([layers.Dense(2, activation="softmax", input_shape=(6,))])
        model.compile("rmsprop", "categorical_crossentropy", [metric])
        history = model.fit(x, y, epochs=2, batch_size=10, validation_split=0.25, verbose=0)
        assert set(history.history) == {"loss", metric, "val_loss", "val_" + metric}
        assert all(len(v) == 2 for v in history.history.values())
        loss, acc = model.evaluate(x[30:], y[30:], verbose=0)
        assert loss == pytest.approx(history.history["val_loss"][-1], rel=1e-5)
    model.compile("sgd", "categorical_crossentropy")
    assert isinstance(model.evaluate(x, y, verbose=0), float)


def test_train_on_batch_returns_the_loss_before_the_update():
    model = models.Sequential([layers.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile("sgd", "categorical_crossentropy")
    x = np.eye(4, dtype="float32")[:3]
    y = np.eye(3, dtype="float32")
    before = model.test_on_batch(x, y)
    assert model.train_on_batch(x, y) == pytest.approx(before)
    assert model.test_on_batch(x, y) < before


def test_predict_in_batches_equals_one_forward():
    model = book_mnist_convnet()
    x = np.random.default_rng(0).random((70, 28, 28, 1)).astype("float32")
    np.testing.assert_allclose(model.predict(x, batch_size=32), model.forward(x), rtol=1e-6)


def test_a_model_without_input_shape_builds_on_first_data(capsys):
    model = models.Sequential([layers.Dense(4, activation="relu"), layers.Dense(1, activation="sigmoid")])
    model.compile("rmsprop", "binary_crossentropy", ["acc"])       # compile before build, as Keras
    x = np.random.default_rng(0).random((8, 5)).astype("float32")
    history = model.fit(x, (x[:, 0] > 0.5).astype("float32"), epochs=1, verbose=0)
    assert model.input_shape == (None, 5) and "acc" in history.history
    assert model.metric_functions[0].fn.__name__ == "binary_accuracy"
    model.summary()
    assert "Total params: 29" in capsys.readouterr().out
