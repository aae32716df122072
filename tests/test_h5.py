"""Keras .h5 files: exact round trips, Keras 2 and Keras 3 files, Keras 1 weight files,
ModelCheckpoint, and clear errors on bad input (``tests/test_h5_fuzz.py`` fuzzes the reader)."""
import json
import os
import warnings

import h5py
import numpy as np
import pytest

from helpers import DATA, book_mnist_convnet
from minicnn import backend, callbacks, layers, models, optimizers
from minicnn.io import H5FormatError, UnsupportedLayerError, WeightMismatchError
from minicnn.io import h5_format, optimizer_state

TRACE = np.load(DATA / "mnist_convnet_keras2_trace.npz")


def trained_book_convnet(optimizer="rmsprop", steps=2):
    model = book_mnist_convnet()
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["acc"])
    for _ in range(steps):
        model.train_on_batch(TRACE["x"], TRACE["y"])
    return model


def tapped_functional():
    """Input -> conv -> nested Sequential -> nested functional -> dense; two outputs."""
    inputs = layers.Input(shape=(12, 12, 2), name="image")
    t = layers.Conv2D(4, 3, strides=2, padding="same", activation="relu",
                      kernel_initializer="he_normal")(inputs)
    t = models.Sequential([layers.Conv2D(6, 2, activation="tanh", input_shape=(6, 6, 4)),
                           layers.AveragePooling2D(2, padding="same")], name="block")(t)
    inner = layers.Input(shape=(3, 3, 6))
    maps = models.Model(inner, layers.MaxPooling2D(2, strides=1)(inner), name="inner")(t)
    t = layers.Dropout(0.25, seed=3)(layers.Flatten()(maps))
    probs = layers.Activation("softmax")(layers.Dense(5, use_bias=False)(t))
    return models.Model(inputs, [probs, maps], name="tapped")


def same_weights(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(np.array_equal(x, y) for x, y in zip(wa, wb))


def rewrite_attrs(path, node="/", **attrs):
    """Set (value) or delete (None) attributes of ``node`` in an existing file."""
    with h5py.File(path, "r+") as f:
        for key, value in attrs.items():
            if value is None:
                del f[node].attrs[key]
            else:
                f[node].attrs[key] = json.dumps(value) if isinstance(value, dict) else value


# ------------------------------------------------------------------ round trips
def test_compiled_trained_model_round_trips_exactly_and_resumes_training(tmp_path):
    model = trained_book_convnet()
    model.save(tmp_path / "m.h5")
    loaded = models.load_model(tmp_path / "m.h5")
    assert type(loaded) is models.Sequential and loaded.name == model.name
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    assert loaded.get_config() == model.get_config()
    assert same_weights(model, loaded)
    assert type(loaded.optimizer) is optimizers.RMSprop
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert (loaded.loss, loaded.metrics, loaded.optimizer.iterations) == \
        ("categorical_crossentropy", ["acc"], 2)
    np.testing.assert_array_equal(loaded.predict(TRACE["x"]), model.predict(TRACE["x"]))
    # the optimizer state came back: one more step is the same step
    assert loaded.train_on_batch(TRACE["x"], TRACE["y"]) == \
        model.train_on_batch(TRACE["x"], TRACE["y"])
    assert same_weights(model, loaded)


@pytest.mark.parametrize("optimizer", [optimizers.SGD(0.01, momentum=0.9, nesterov=True),
                                       optimizers.Adam(1e-3), optimizers.SGD(0.1)])
def test_every_optimizer_round_trips_with_its_state(tmp_path, optimizer):
    model = trained_book_convnet(optimizer, steps=1)
    model.save(tmp_path / "m.h5")
    loaded = models.load_model(tmp_path / "m.h5")
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    loaded.train_on_batch(TRACE["x"], TRACE["y"])
    model.train_on_batch(TRACE["x"], TRACE["y"])
    assert same_weights(model, loaded)


def test_functional_model_with_taps_and_nested_models_round_trips(tmp_path):
    model = tapped_functional()
    model.save(tmp_path / "f.h5")
    loaded = models.load_model(tmp_path / "f.h5")
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    assert loaded.get_config() == model.get_config() and same_weights(model, loaded)
    x = np.random.default_rng(0).random((3, 12, 12, 2)).astype("float32")
    for got, want in zip(loaded.predict(x), model.predict(x)):
        np.testing.assert_array_equal(got, want)


def test_taps_of_the_book_convnet_round_trip(tmp_path):
    model = trained_book_convnet(steps=1)
    taps = models.Model(inputs=model.input, outputs=[l.output for l in model.layers[:4]])
    taps.save(tmp_path / "taps.h5")
    loaded = models.load_model(tmp_path / "taps.h5")
    for got, want in zip(loaded.predict(TRACE["x"][:2]), taps.predict(TRACE["x"][:2])):
        np.testing.assert_array_equal(got, want)


def test_frozen_layers_keep_their_flag_and_keras_weight_order(tmp_path):
    inputs = layers.Input(shape=(8, 8, 3))
    t = layers.Conv2D(4, 3, name="frozen_conv")(inputs)
    base = models.Model(inputs, layers.Conv2D(2, 3, name="open_conv")(t), name="base")
    model = models.Sequential([base, layers.Flatten(), layers.Dense(1, activation="sigmoid")])
    base.layers[1].trainable = False
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:   # Keras saves trainable weights first
        assert list(f["model_weights/base"].attrs["weight_names"]) == [
            "open_conv/kernel:0", "open_conv/bias:0", "frozen_conv/kernel:0", "frozen_conv/bias:0"]
    loaded = models.load_model(tmp_path / "m.h5")
    assert not loaded.layers[0].layers[1].trainable and loaded.layers[0].layers[2].trainable
    assert same_weights(model, loaded)


def test_save_weights_and_load_weights_round_trip_exactly(tmp_path):
    model = trained_book_convnet(steps=1)
    model.save_weights(tmp_path / "w.h5")
    fresh = book_mnist_convnet()
    assert not same_weights(model, fresh)
    fresh.load_weights(tmp_path / "w.h5")
    assert same_weights(model, fresh)
    with h5py.File(tmp_path / "w.h5", "r") as f:          # Keras 2's save_weights layout
        assert "model_weights" not in f and "model_config" not in f.attrs
        assert list(f.attrs["layer_names"])[0] == "conv2d_1"
        assert list(f["conv2d_1"].attrs["weight_names"]) == ["conv2d_1/kernel:0",
                                                             "conv2d_1/bias:0"]
        assert f["conv2d_1/conv2d_1/kernel:0"].shape == (3, 3, 1, 32)


def test_uncompiled_model_saves_without_training_config(tmp_path):
    book_mnist_convnet().save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f
        config = json.loads(f.attrs["model_config"])
    first = config["config"]["layers"][0]          # tf.keras 2.x: an explicit InputLayer
    assert first == {"class_name": "InputLayer", "config": {
        "batch_input_shape": [None, 28, 28, 1], "dtype": "float32", "sparse": False,
        "name": "conv2d_1_input"}}
    assert "batch_input_shape" not in config["config"]["layers"][1]["config"]
    assert not hasattr(models.load_model(tmp_path / "m.h5"), "optimizer")


def test_compile_false_leaves_the_model_uncompiled(tmp_path):
    trained_book_convnet(steps=1).save(tmp_path / "m.h5")
    assert not models.load_model(tmp_path / "m.h5", compile=False)._compiled


# ------------------------------------------------------------- Keras' own files
def test_keras_2_file_loads_and_predicts_keras_outputs():
    io = np.load(DATA / "mnist_convnet_keras2_io.npz")
    model = models.load_model(DATA / "mnist_convnet_keras2.h5")
    np.testing.assert_allclose(model.predict(io["x"]), io["y_tfkeras"], rtol=1e-4, atol=1e-7)
    # training_config: "Custom>RMSprop" and a MeanMetricWrapper metric
    assert type(model.optimizer) is optimizers.RMSprop
    assert model.optimizer.learning_rate == pytest.approx(1e-3)
    assert (model.loss, model.metrics) == ("categorical_crossentropy", ["accuracy"])
    # optimizer state: tf.keras 2.11+ names (iteration:0, RMSprop/velocity/conv2d_1/kernel:0)
    assert model.optimizer.iterations == 3
    with h5py.File(DATA / "mnist_convnet_keras2.h5", "r") as f:
        saved = f["optimizer_weights/RMSprop/velocity/dense_2/bias:0"][()]
    np.testing.assert_array_equal(
        model.optimizer.state_for(model.layers[-1].params["bias"])["velocity"], saved)


def test_keras_2_weights_load_into_the_book_listing_by_order_and_by_name():
    io = np.load(DATA / "mnist_convnet_keras2_io.npz")
    for by_name in (False, True):
        backend.clear_session()     # by name needs Keras' names: conv2d_1, ...
        model = book_mnist_convnet()
        model.load_weights(DATA / "mnist_convnet_keras2.h5", by_name=by_name)
        np.testing.assert_allclose(model.predict(io["x"]), io["y_tfkeras"], rtol=1e-4, atol=1e-7)


def test_keras_3_sequential_file_loads_compiled_and_predicts_keras_outputs():
    io = np.load(DATA / "keras3_io.npz")
    model = models.load_model(DATA / "keras3_mnist_convnet.h5")
    assert [l.name for l in model.layers][:2] == ["conv2d", "max_pooling2d"]
    np.testing.assert_allclose(model.predict(io["mnist_x"]), io["mnist_y"], rtol=1e-4, atol=1e-6)
    assert type(model.optimizer) is optimizers.RMSprop and model.metrics == ["accuracy"]


def test_keras_3_functional_file_predicts_both_outputs_and_says_why_it_is_uncompiled():
    io = np.load(DATA / "keras3_io.npz")
    with pytest.warns(UserWarning, match="losses for 2 outputs"):
        model = models.load_model(DATA / "keras3_functional.h5")
    assert not model._compiled and model.layers[3].name == "block"
    y0, y1 = model.predict(io["functional_x"])
    np.testing.assert_allclose(y0, io["functional_y0"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(y1, io["functional_y1"], rtol=1e-4, atol=1e-6)


def test_keras_3_optimizer_state_names_are_matched(tmp_path):
    model = models.load_model(DATA / "keras3_functional.h5", compile=False)
    single = models.Model(model.input, model.outputs[0])
    single.compile(optimizer="adam", loss="categorical_crossentropy")
    with h5py.File(DATA / "keras3_functional.h5", "r") as f:
        iterations, plan = optimizer_state.read(f, single, "keras3_functional.h5")
        expected = f["optimizer_weights/adam/block_conv2d_1_kernel_velocity"][()]
    assert iterations == 2 and len(plan) == 10
    kernel = model.get_layer("block").layers[0].params["kernel"]
    assert any(p is kernel and s == "v" and np.array_equal(v, expected) for p, s, v in plan)


def test_keras_1_imagenet_style_weight_file_loads(tmp_path):
    """VGG16's weight files: layer groups at the root, byte-string names, no input layer."""
    model = models.Sequential([
        layers.Conv2D(4, 3, padding="same", activation="relu", input_shape=(8, 8, 3),
                      name="block1_conv1"),
        layers.MaxPooling2D(2, name="block1_pool"),
        layers.Conv2D(2, 3, padding="same", name="block2_conv1")])
    rng = np.random.default_rng(1)
    values = [rng.standard_normal(w.shape).astype("float32") for w in model.get_weights()]
    with h5py.File(tmp_path / "vgg.h5", "w") as f:
        f.attrs["layer_names"] = np.array([b"block1_conv1", b"block1_pool", b"block2_conv1"])
        for k, name in enumerate((b"block1_conv1", b"block2_conv1")):
            group = f.create_group(name.decode())
            group.attrs["weight_names"] = np.array([name + b"_W_1:0", name + b"_b_1:0"])
            group[(name + b"_W_1:0").decode()] = values[2 * k]
            group[(name + b"_b_1:0").decode()] = values[2 * k + 1]
        f.create_group("block1_pool").attrs["weight_names"] = np.array([], dtype="S1")
    model.load_weights(tmp_path / "vgg.h5")
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), values))


def test_long_name_lists_split_in_chunks_are_read(tmp_path):
    model = book_mnist_convnet()
    model.save_weights(tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5", "r+") as f:
        names = list(f.attrs["layer_names"])
        del f.attrs["layer_names"]
        f.attrs["layer_names0"], f.attrs["layer_names1"] = names[:3], names[3:]
    fresh = book_mnist_convnet()
    fresh.load_weights(tmp_path / "w.h5")
    assert same_weights(model, fresh)


def test_keras_2_2_configs_load(tmp_path):
    """The book's Keras: Sequential config as a bare list, the input shape on the first
    layer, and ``lr``/``decay`` in the optimizer config."""
    model = trained_book_convnet(steps=1)
    model.save(tmp_path / "m.h5")
    config = model.get_config()
    old_layers = config["layers"][1:]
    old_layers[0]["config"]["batch_input_shape"] = [None, 28, 28, 1]
    training = {"optimizer_config": {"class_name": "RMSprop", "config": {
        "lr": 0.002, "rho": 0.9, "epsilon": None, "decay": 0.0}},
        "loss": "categorical_crossentropy", "metrics": ["acc"], "sample_weight_mode": None,
        "loss_weights": None}
    rewrite_attrs(tmp_path / "m.h5", model_config={"class_name": "Sequential",
                                                   "config": old_layers},
                  training_config=training, keras_version="2.2.4")
    loaded = models.load_model(tmp_path / "m.h5")
    assert same_weights(model, loaded) and loaded.layers[0].input_shape == (None, 28, 28, 1)
    assert loaded.optimizer.learning_rate == 0.002 and loaded.metrics == ["acc"]


def test_sequential_config_with_only_a_build_input_shape_loads(tmp_path):
    """Keras 3 and tf.keras write ``build_input_shape`` for a Sequential built by a call."""
    model = book_mnist_convnet()
    model.save(tmp_path / "m.h5")
    config = model.get_config()
    config["layers"] = config["layers"][1:]
    config["build_input_shape"] = [None, 28, 28, 1]
    rewrite_attrs(tmp_path / "m.h5", model_config={"class_name": "Sequential", "config": config})
    assert same_weights(model, models.load_model(tmp_path / "m.h5"))
    del config["build_input_shape"]
    rewrite_attrs(tmp_path / "m.h5", model_config={"class_name": "Sequential", "config": config})
    with pytest.raises(H5FormatError, match="gives no input shape"):
        models.load_model(tmp_path / "m.h5")


def test_unknown_initializer_warns_and_loads(tmp_path):
    model = book_mnist_convnet()
    model.save(tmp_path / "m.h5")
    config = model.get_config()
    config["layers"][1]["config"]["kernel_initializer"] = {
        "class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_in"}}
    rewrite_attrs(tmp_path / "m.h5", model_config={"class_name": "Sequential", "config": config})
    with pytest.warns(UserWarning, match="VarianceScaling"):
        assert same_weights(model, models.load_model(tmp_path / "m.h5"))


# ------------------------------------------------------------------ bad input
def test_not_an_hdf5_file(tmp_path):
    (tmp_path / "m.h5").write_text("hello")
    with pytest.raises(H5FormatError, match="not an HDF5 file"):
        models.load_model(tmp_path / "m.h5")
    with pytest.raises(FileNotFoundError):
        models.load_model(tmp_path / "missing.h5")


def test_truncated_file(tmp_path):
    book_mnist_convnet().save(tmp_path / "m.h5")
    data = (tmp_path / "m.h5").read_bytes()
    (tmp_path / "m.h5").write_bytes(data[:len(data) // 2])
    with pytest.raises(H5FormatError, match="damaged"):
        models.load_model(tmp_path / "m.h5")


def test_weights_only_file_given_to_load_model_says_use_load_weights(tmp_path):
    book_mnist_convnet().save_weights(tmp_path / "w.h5")
    with pytest.raises(H5FormatError, match="load_weights"):
        models.load_model(tmp_path / "w.h5")


@pytest.mark.parametrize("class_name", ["Lambda", "MyCustomLayer", "BatchNormalization"])
def test_a_layer_class_minicnn_lacks_is_named_and_never_run(tmp_path, class_name):
    model = book_mnist_convnet()
    model.save(tmp_path / "m.h5")
    config = model.get_config()
    # Keras 2's Lambda config: marshalled bytecode (base64); minicnn must never touch it
    config["layers"][6] = {"class_name": class_name, "config": {
        "name": "odd_one", "function": ["4wEAAAAAAAAAAQAAAAQAAABTAAAAcw==", None, None],
        "function_type": "lambda"}}
    rewrite_attrs(tmp_path / "m.h5", model_config={"class_name": "Sequential", "config": config})
    with pytest.raises(UnsupportedLayerError, match=f"'odd_one'.*{class_name}"):
        models.load_model(tmp_path / "m.h5")


def test_unsupported_options_are_named(tmp_path):
    model = book_mnist_convnet()
    model.save(tmp_path / "m.h5")
    config = model.get_config()
    config["layers"][1]["config"]["kernel_regularizer"] = {"class_name": "L2",
                                                           "config": {"l2": 0.01}}
    rewrite_attrs(tmp_path / "m.h5", model_config={"class_name": "Sequential", "config": config})
    with pytest.raises(UnsupportedLayerError, match="Conv2D 'conv2d_1'.*kernel_regularizer"):
        models.load_model(tmp_path / "m.h5")


def test_layer_count_mismatch_names_both_counts(tmp_path):
    book_mnist_convnet().save_weights(tmp_path / "w.h5")
    small = book_mnist_convnet(classifier=False)
    with pytest.raises(WeightMismatchError, match="weights for 5 layers.*has 3 layers"):
        small.load_weights(tmp_path / "w.h5")


def test_shape_mismatch_names_the_layer_and_both_shapes_and_changes_nothing(tmp_path):
    book_mnist_convnet().save_weights(tmp_path / "w.h5")
    other = models.Sequential([
        layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        layers.MaxPooling2D((2, 2)), layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)), layers.Conv2D(64, (3, 3), activation="relu"),
        layers.Flatten(), layers.Dense(64, activation="relu"), layers.Dense(7)])
    before = other.get_weights()
    with pytest.raises(WeightMismatchError, match=r"'dense_4'.*\(64, 7\).*\(64, 10\)"):
        other.load_weights(tmp_path / "w.h5")
    assert all(np.array_equal(a, b) for a, b in zip(before, other.get_weights()))
    with pytest.warns(UserWarning, match="skipped"):       # all but the last layer load
        other.load_weights(tmp_path / "w.h5", skip_mismatch=True)
    assert np.array_equal(other.get_weights()[-1], before[-1])
    assert not np.array_equal(other.get_weights()[0], before[0])


def test_by_name_loads_matching_layers_only(tmp_path):
    model = book_mnist_convnet()
    model.save_weights(tmp_path / "w.h5")
    head = models.Sequential([layers.Dense(64, activation="relu", input_shape=(576,),
                                           name="dense_1"), layers.Dense(3, name="new")])
    before = head.layers[1].get_weights()
    head.load_weights(tmp_path / "w.h5", by_name=True)
    np.testing.assert_array_equal(head.layers[0].get_weights()[0], model.layers[6].get_weights()[0])
    assert all(np.array_equal(a, b) for a, b in zip(before, head.layers[1].get_weights()))


def test_save_is_atomic_and_respects_overwrite(tmp_path, monkeypatch):
    model = book_mnist_convnet()
    model.save(tmp_path / "m.h5")
    good = (tmp_path / "m.h5").read_bytes()

    def crash(*args):
        raise KeyboardInterrupt("interrupted while writing")
    monkeypatch.setattr(h5_format, "write_layout", crash)
    with pytest.raises(KeyboardInterrupt):
        trained_book_convnet(steps=1).save(tmp_path / "m.h5")
    assert (tmp_path / "m.h5").read_bytes() == good
    assert sorted(os.listdir(tmp_path)) == ["m.h5"]           # no temporary file left
    monkeypatch.undo()
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "m.h5", overwrite=False)


def test_unbuilt_and_unwritable_models_say_why(tmp_path):
    with pytest.raises(ValueError, match="not built"):
        models.Sequential([layers.Dense(3)]).save(tmp_path / "m.h5")

    class Custom(layers.Dense):
        pass
    model = models.Sequential([Custom(2, input_shape=(3,))])
    with pytest.raises(NotImplementedError, match="save_weights"):
        model.save(tmp_path / "m.h5")
    model.save_weights(tmp_path / "w.h5")
    assert not (tmp_path / "m.h5").exists()


# ------------------------------------------------------------- ModelCheckpoint
def _tiny_run(tmp_path, epochs=3, **kwargs):
    model = models.Sequential([layers.Dense(2, activation="softmax", input_shape=(4,))])
    model.compile(optimizer=optimizers.SGD(0.5), loss="categorical_crossentropy",
                  metrics=["acc"])
    rng = np.random.default_rng(0)
    x = rng.random((32, 4)).astype("float32")
    y = np.eye(2, dtype="float32")[(x.sum(1) > 2).astype(int)]
    checkpoint = callbacks.ModelCheckpoint(**kwargs)
    history = model.fit(x, y, epochs=epochs, batch_size=8, verbose=0, validation_split=0.25,
                        callbacks=[checkpoint])
    return model, history, checkpoint


def test_checkpoint_formats_keras_filepaths(tmp_path):
    model, history, _ = _tiny_run(tmp_path, filepath=str(tmp_path / "w.{epoch:02d}-{val_loss:.2f}.h5"))
    names = sorted(os.listdir(tmp_path))
    assert names == [f"w.{e + 1:02d}-{v:.2f}.h5" for e, v in enumerate(history.history["val_loss"])]
    assert same_weights(model, models.load_model(tmp_path / names[-1]))


def test_checkpoint_saves_only_the_best_weights(tmp_path):
    model, history, checkpoint = _tiny_run(
        tmp_path, epochs=4, filepath=tmp_path / "best.h5", monitor="val_acc",
        save_best_only=True, save_weights_only=True)
    assert checkpoint.mode == "max" and checkpoint.best == max(history.history["val_acc"])
    with h5py.File(tmp_path / "best.h5", "r") as f:
        assert "model_config" not in f.attrs


def test_checkpoint_every_n_batches_and_bad_arguments(tmp_path):
    _tiny_run(tmp_path, epochs=2, filepath=str(tmp_path / "b{epoch}-{batch}.h5"), save_freq=3)
    assert sorted(os.listdir(tmp_path)) == ["b1-2.h5", "b2-2.h5"]   # batches 3 and 6 of 3+3
    with pytest.raises(ValueError, match="mode"):
        callbacks.ModelCheckpoint("x.h5", mode="best")
    with pytest.raises(KeyError, match="val_auc"):
        _tiny_run(tmp_path, filepath=str(tmp_path / "{val_auc}.h5"))


# ----------------------------------------------- the minicnn half of the Keras check
def test_the_keras_crosscheck_files_are_written_and_reload_in_minicnn(tmp_path):
    """CI loads these files into real Keras 3 (``tests/keras_crosscheck.py``, ``.ci/run``)."""
    import keras_crosscheck

    with warnings.catch_warnings():
        warnings.simplefilter("error")        # minicnn's own files load without a warning
        keras_crosscheck.write(tmp_path)
        for case in keras_crosscheck.CASES:
            io = np.load(tmp_path / f"{case}.npz")
            out = models.load_model(tmp_path / f"{case}.h5").predict(io["x"])
            for got, want in zip(out if isinstance(out, list) else [out],
                                 [io[k] for k in sorted(io.files) if k.startswith("y")]):
                np.testing.assert_array_equal(got, want)
