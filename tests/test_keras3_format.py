"""Keras 3's native formats: ``.keras`` archives and ``.weights.h5``, read and written.

Round trips in minicnn, files real Keras 3 wrote (``tests/make_keras3_native_fixtures.py``),
the format chosen by the file name, and clear errors on bad input
(``tests/test_keras3_fuzz.py`` fuzzes the readers; CI loads minicnn's files into real Keras:
``tests/keras_crosscheck.py``).
"""
import io
import json
import os
import warnings
import zipfile

import h5py
import numpy as np
import pytest

from helpers import DATA, book_mnist_convnet
from minicnn import callbacks, layers, models, optimizers
from minicnn.io import (H5FormatError, KerasArchiveError, UnsupportedLayerError,
                        WeightMismatchError, keras3_weights)

TRACE = np.load(DATA / "mnist_convnet_keras2_trace.npz")
KERAS = np.load(DATA / "keras3_native_io.npz")
FIXTURE = "keras3_native_{}"


def trained_book_convnet(optimizer="rmsprop", steps=2):
    model = book_mnist_convnet()
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["acc"])
    for _ in range(steps):
        model.train_on_batch(TRACE["x"], TRACE["y"])
    return model


def vgg_like(size=16, names=True):
    """The fixture's model in minicnn: a functional 'vgg16' base in a Sequential."""
    inputs = layers.Input(shape=(size, size, 3))
    x = inputs
    for block, filters in ((1, 4), (2, 8)):
        for i in (1, 2):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                              name=f"block{block}_conv{i}" if names else None)(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2))(x)
    base = models.Model(inputs, x, name="vgg16")
    for layer in base.layers[1:3]:
        layer.trainable = False
    return models.Sequential([base, layers.Flatten(), layers.Dense(16, activation="relu"),
                              layers.Dense(1, activation="sigmoid")])


def tapped_functional():
    """Input -> conv -> nested Sequential -> nested functional -> dense; two outputs."""
    inputs = layers.Input(shape=(12, 12, 2), name="image")
    t = layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")(inputs)
    t = models.Sequential([layers.Conv2D(6, 2, activation="tanh", input_shape=(6, 6, 4)),
                           layers.AveragePooling2D(2, padding="same")], name="block")(t)
    inner = layers.Input(shape=(3, 3, 6))
    maps = models.Model(inner, layers.MaxPooling2D(2, strides=1)(inner), name="inner")(t)
    t = layers.Dropout(0.25, seed=3)(layers.Flatten()(maps))
    probs = layers.Activation("softmax")(layers.Dense(5, use_bias=False)(t))
    return models.Model(inputs, [probs, maps], name="tapped")


def branch():
    x = layers.Input(shape=(4,), name="x")
    a = layers.Dense(3, activation="relu", name="a")(x)
    b = layers.Dense(2, name="b")(a)
    d = layers.Dense(1, name="d")(layers.Dense(5, activation="tanh", name="c")(a))
    return models.Model(x, [b, d], name="branch")


def same_weights(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(np.array_equal(x, y) for x, y in zip(wa, wb))


def predictions(model, x):
    out = model.predict(x)
    return out if isinstance(out, list) else [out]


def rezip(path, replace=None, drop=(), add=None):
    """Rewrite a .keras archive with some members replaced, dropped or added."""
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    members = {k: v for k, v in {**members, **(replace or {})}.items() if k not in drop}
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in {**members, **(add or {})}.items():
            zf.writestr(name, data)


def edit_config(path, change):
    with zipfile.ZipFile(path) as zf:
        config = json.loads(zf.read("config.json"))
    change(config)
    rezip(path, {"config.json": json.dumps(config)})


def edit_weights(path, change):
    """Change ``model.weights.h5`` inside an archive with ``change(h5py.File)``."""
    with zipfile.ZipFile(path) as zf:
        buffer = io.BytesIO(zf.read("model.weights.h5"))
    with h5py.File(buffer, "r+") as f:
        change(f)
    rezip(path, {"model.weights.h5": buffer.getvalue()})


# ------------------------------------------------------------------ round trips
def test_trained_model_round_trips_through_keras_archive_and_resumes_exactly(tmp_path):
    model = trained_book_convnet()
    model.save(tmp_path / "m.keras")
    assert zipfile.is_zipfile(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        assert zf.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        config = json.loads(zf.read("config.json"))
    assert (config["module"], config["class_name"]) == ("keras", "Sequential")
    assert config["config"]["layers"][0]["config"]["batch_shape"] == [None, 28, 28, 1]
    assert config["compile_config"]["optimizer"]["class_name"] == "RMSprop"
    loaded = models.load_model(tmp_path / "m.keras")
    assert type(loaded) is models.Sequential and loaded.get_config() == model.get_config()
    assert same_weights(model, loaded)
    assert (type(loaded.optimizer), loaded.loss, loaded.metrics, loaded.optimizer.iterations) \
        == (optimizers.RMSprop, "categorical_crossentropy", ["acc"], 2)
    assert loaded.train_on_batch(TRACE["x"], TRACE["y"]) == \
        model.train_on_batch(TRACE["x"], TRACE["y"])
    assert same_weights(model, loaded)


@pytest.mark.parametrize("optimizer", [optimizers.SGD(0.01, momentum=0.9, nesterov=True),
                                       optimizers.Adam(1e-3), optimizers.SGD(0.1)])
def test_every_optimizer_state_round_trips_in_both_keras_3_files(tmp_path, optimizer):
    model = trained_book_convnet(optimizer, steps=1)
    model.save(tmp_path / "m.keras")
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5") as f:
        slots = len(optimizer.state_names) if optimizer.get_config().get("momentum", 1) else 0
        assert len(f["optimizer/vars"]) == 2 + slots * 10        # 5 layers with 2 weights
    loaded = models.load_model(tmp_path / "m.keras")
    again = trained_book_convnet(type(optimizer)(**{k: v for k, v in optimizer.get_config()
                                                    .items() if k != "name"}), steps=0)
    again.load_weights(tmp_path / "w.weights.h5")
    for other in (loaded, again):
        assert other.optimizer.get_config() == model.optimizer.get_config()
        assert other.optimizer.iterations == 1
    step = model.train_on_batch(TRACE["x"], TRACE["y"])
    for other in (loaded, again):
        assert other.train_on_batch(TRACE["x"], TRACE["y"]) == step
        assert same_weights(model, other)


def test_functional_model_with_taps_and_nested_models_round_trips(tmp_path):
    model = tapped_functional()
    model.save(tmp_path / "m.keras")
    model.save_weights(tmp_path / "w.weights.h5")
    loaded = models.load_model(tmp_path / "m.keras")
    assert loaded.get_config() == model.get_config() and same_weights(model, loaded)
    x = np.random.default_rng(0).random((3, 12, 12, 2)).astype("float32")
    for got, want in zip(predictions(loaded, x), predictions(model, x)):
        np.testing.assert_array_equal(got, want)
    fresh = tapped_functional()
    fresh.load_weights(tmp_path / "w.weights.h5")
    assert same_weights(model, fresh)
    with h5py.File(tmp_path / "w.weights.h5") as f:
        groups = []
        f.visit(lambda name: groups.append(name) if name.endswith("/vars") else None)
    assert "layers/sequential/layers/conv2d/vars" in groups          # Keras 3's places
    assert "layers/functional/layers/input_layer/vars" in groups
    assert "layers/sequential/layers/input_layer/vars" not in groups  # a Sequential lists none


def test_frozen_layers_and_layer_names_do_not_decide_the_places(tmp_path):
    model = vgg_like()
    model.save_weights(tmp_path / "w.weights.h5")
    other = vgg_like(names=False)                # other names, nothing frozen
    for layer in other.layers[0].layers:
        layer.trainable = True
    other.load_weights(tmp_path / "w.weights.h5")
    assert same_weights(model, other)
    model.save(tmp_path / "m.keras")
    loaded = models.load_model(tmp_path / "m.keras")
    assert [l.trainable for l in loaded.layers[0].layers] == \
        [l.trainable for l in model.layers[0].layers]


def test_include_optimizer_false_and_uncompiled_models(tmp_path):
    model = trained_book_convnet()
    model.save(tmp_path / "m.keras", include_optimizer=False)
    loaded = models.load_model(tmp_path / "m.keras")
    assert loaded.optimizer.iterations == 0 and loaded.loss == "categorical_crossentropy"
    book_mnist_convnet().save(tmp_path / "u.keras")
    assert not models.load_model(tmp_path / "u.keras")._compiled
    assert not models.load_model(tmp_path / "m.keras", compile=False)._compiled
    with zipfile.ZipFile(tmp_path / "u.keras") as zf:
        assert json.loads(zf.read("config.json"))["compile_config"] == {}


# ------------------------------------------------------------- files by real Keras 3
@pytest.mark.parametrize("case", ["mnist", "cats", "vgg", "branch"])
def test_keras_3_archives_load_and_predict_keras_outputs(case):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = models.load_model(DATA / f"{FIXTURE.format(case)}.keras")
    expected = [KERAS[k] for k in sorted(KERAS.files) if k.startswith(f"{case}_y")]
    for got, want in zip(predictions(model, KERAS[f"{case}_x"]), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_keras_3_mnist_archive_is_the_chapter_convnet_compiled():
    model = models.load_model(DATA / "keras3_native_mnist.keras")
    assert model.count_params() == 93322
    assert [type(l).__name__ for l in model.layers] == [
        type(l).__name__ for l in book_mnist_convnet().layers]
    assert (type(model.optimizer), model.loss, model.metrics) == \
        (optimizers.RMSprop, "categorical_crossentropy", ["accuracy"])
    assert model.optimizer.iterations == 0            # Keras kept only its two counters
    np.testing.assert_allclose(model.optimizer.learning_rate, 1e-3, rtol=1e-6)


def test_keras_3_nested_base_resumes_keras_adam_state_exactly():
    model = models.load_model(DATA / "keras3_native_vgg.keras")
    base = model.layers[0]
    assert type(base) is models.Model and base.name == "vgg16"
    assert [l.trainable for l in base.layers[1:]] == [False, False, False, True, True, True]
    assert (type(model.optimizer), model.optimizer.iterations) == (optimizers.Adam, 2)
    model.train_on_batch(KERAS["vgg_x"], KERAS["vgg_labels"])
    np.testing.assert_allclose(model.predict(KERAS["vgg_x"]), KERAS["vgg_next"],
                               rtol=1e-5, atol=1e-6)


def test_keras_3_weights_file_loads_into_a_model_built_in_code():
    model = vgg_like(names=False)
    model.compile(optimizer=optimizers.Adam(1e-2), loss="binary_crossentropy")
    model.load_weights(DATA / "keras3_native_vgg.weights.h5")
    np.testing.assert_allclose(model.predict(KERAS["vgg_x"]), KERAS["vgg_y0"], rtol=1e-5,
                               atol=1e-6)
    assert model.optimizer.iterations == 2              # the optimizer state came along
    model.train_on_batch(KERAS["vgg_x"], KERAS["vgg_labels"])
    np.testing.assert_allclose(model.predict(KERAS["vgg_x"]), KERAS["vgg_next"],
                               rtol=1e-5, atol=1e-6)
    from_archive = vgg_like(names=False)
    from_archive.load_weights(DATA / "keras3_native_vgg.keras")   # Keras 3 allows this too
    np.testing.assert_allclose(from_archive.predict(KERAS["vgg_x"]), KERAS["vgg_y0"],
                               rtol=1e-5, atol=1e-6)


def test_functional_layers_are_placed_in_keras_order_not_definition_order(tmp_path):
    model = branch()
    assert [l.name for l in model.layers] == ["x", "a", "b", "c", "d"]
    assert [l.name for l in keras3_weights.keras_layers(model)] == list(KERAS["branch_order"])
    model.load_weights(DATA / "keras3_native_branch.weights.h5")
    for got, want in zip(predictions(model, KERAS["branch_x"]),
                         [KERAS["branch_y0"], KERAS["branch_y1"]]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5") as f, \
            h5py.File(DATA / "keras3_native_branch.weights.h5") as k:
        for group in ("a", "b", "c", "d"):
            place = f"layers/dense{['', '_1', '_2', '_3'][['a', 'c', 'b', 'd'].index(group)]}"
            assert k[place + "/vars"].attrs["name"] == group
            assert f[place + "/vars"].attrs["name"] == group
            np.testing.assert_array_equal(f[place + "/vars/0"], k[place + "/vars/0"])


# ------------------------------------------------------------ the format and the name
def test_the_format_follows_the_name_when_writing_and_the_contents_when_reading(tmp_path):
    model = book_mnist_convnet()
    model.save_weights(tmp_path / "k3.weights.h5")
    model.save_weights(tmp_path / "k2.h5")
    with h5py.File(tmp_path / "k3.weights.h5") as f3, h5py.File(tmp_path / "k2.h5") as f2:
        assert "layers" in f3 and "layer_names" not in f3.attrs
        assert "layer_names" in f2.attrs and "layers" not in f2
    model.save(tmp_path / "m.keras")
    os.rename(tmp_path / "m.keras", tmp_path / "renamed.bin")
    assert same_weights(model, models.load_model(tmp_path / "renamed.bin"))
    with pytest.raises(ValueError, match="weights-only"):
        model.save(tmp_path / "m.weights.h5")
    with pytest.raises(ValueError, match="model.weights.h5"):
        model.save_weights(tmp_path / "w.keras")
    with pytest.raises(ValueError, match="follows the file name"):
        model.save(tmp_path / "m.keras", save_format="h5")
    model.save(tmp_path / "m.keras", save_format="keras")
    with pytest.raises(H5FormatError, match="load_weights"):
        models.load_model(tmp_path / "k3.weights.h5")
    with pytest.raises(H5FormatError, match="by layer class and order"):
        model.load_weights(tmp_path / "k3.weights.h5", by_name=True)


def test_keras_save_is_atomic_and_respects_overwrite(tmp_path, monkeypatch):
    model = book_mnist_convnet()
    model.save(tmp_path / "m.keras")
    before = (tmp_path / "m.keras").read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(zipfile.ZipFile, "writestr", broken)
    with pytest.raises(OSError, match="disk full"):
        trained_book_convnet().save(tmp_path / "m.keras")
    monkeypatch.undo()
    assert (tmp_path / "m.keras").read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m.keras"]          # no temporary file left
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "m.keras", overwrite=False)
    model.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(FileExistsError):
        model.save_weights(tmp_path / "w.weights.h5", overwrite=False)


def test_unbuilt_and_unwritable_models_say_why(tmp_path):
    with pytest.raises(ValueError, match="not built"):
        models.Sequential([layers.Dense(3)]).save(tmp_path / "m.keras")

    class Custom(layers.Dense):
        pass
    model = models.Sequential([Custom(2, input_shape=(3,))])
    with pytest.raises(NotImplementedError, match="save_weights"):
        model.save(tmp_path / "m.keras")
    model.save_weights(tmp_path / "w.weights.h5")            # Keras names its group 'custom'
    with h5py.File(tmp_path / "w.weights.h5") as f:
        assert "layers/custom/vars/0" in f
    assert not (tmp_path / "m.keras").exists()


# ------------------------------------------------------------------ bad input
def test_not_a_zip_a_truncated_zip_and_a_zip_without_config(tmp_path):
    (tmp_path / "m.keras").write_text("hello")
    with pytest.raises(KerasArchiveError, match="not a zip archive"):
        models.load_model(tmp_path / "m.keras")
    book_mnist_convnet().save(tmp_path / "m.keras")
    data = (tmp_path / "m.keras").read_bytes()
    (tmp_path / "t.keras").write_bytes(data[:len(data) // 2])
    with pytest.raises(KerasArchiveError, match="damaged"):
        models.load_model(tmp_path / "t.keras")
    rezip(tmp_path / "m.keras", drop=["config.json"])
    with pytest.raises(KerasArchiveError, match="no config.json"):
        models.load_model(tmp_path / "m.keras")
    assert issubclass(KerasArchiveError, H5FormatError)


def test_missing_weights_member_and_npz_weights_are_named(tmp_path):
    book_mnist_convnet().save(tmp_path / "m.keras")
    rezip(tmp_path / "m.keras", drop=["model.weights.h5"], add={"model.weights.npz": b"x"})
    with pytest.raises(KerasArchiveError, match="npz or sharded"):
        models.load_model(tmp_path / "m.keras")


def test_members_with_absurd_sizes_or_twice_are_refused_unread(tmp_path):
    model = models.Sequential([layers.Dense(2, input_shape=(3,))])
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    with zipfile.ZipFile(tmp_path / "bomb.keras", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", members["config.json"])
        zf.writestr("model.weights.h5", members["model.weights.h5"] + bytes(20 << 20))
    with pytest.raises(KerasArchiveError, match="zip bomb"):
        models.load_model(tmp_path / "bomb.keras")
    with zipfile.ZipFile(tmp_path / "big.keras", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", members["config.json"] + b" " * (5 << 20))
    with pytest.raises(KerasArchiveError, match="config.json declares"):
        models.load_model(tmp_path / "big.keras")
    with zipfile.ZipFile(tmp_path / "m.keras", "a") as zf, \
            pytest.warns(UserWarning, match="Duplicate name"):
        zf.writestr("config.json", members["config.json"])
    with pytest.raises(KerasArchiveError, match="2 members named config.json"):
        models.load_model(tmp_path / "m.keras")


@pytest.mark.parametrize("entry, named", [
    ({"module": "keras.layers", "class_name": "Lambda", "config": {
        "name": "lambda", "function": {"class_name": "__lambda__", "config": {
            "code": "not bytecode at all", "defaults": None, "closure": None}}},
      "registered_name": None}, "Lambda layer"),
    ({"module": None, "class_name": "MyLayer", "config": {"name": "my_layer"},
      "registered_name": "mypkg>MyLayer"}, "'MyLayer' named 'my_layer'.*'mypkg>MyLayer'"),
    ({"module": "my_project.layers", "class_name": "Dense", "config": {"name": "dense_9",
                                                                       "units": 2},
      "registered_name": "Dense"}, "'Dense' named 'dense_9'.*'my_project.layers'"),
    ({"module": "keras.layers", "class_name": "BatchNormalization",
      "config": {"name": "bn"}, "registered_name": None}, "BatchNormalization"),
])
def test_classes_minicnn_lacks_are_named_and_never_run(tmp_path, entry, named):
    model = models.Sequential([layers.Dense(2, input_shape=(3,))])
    model.save(tmp_path / "m.keras")
    edit_config(tmp_path / "m.keras", lambda c: c["config"]["layers"].insert(1, entry))
    with pytest.raises(UnsupportedLayerError, match=named):
        models.load_model(tmp_path / "m.keras")


def test_a_custom_object_in_the_compile_settings_leaves_the_model_uncompiled(tmp_path):
    trained_book_convnet().save(tmp_path / "m.keras")
    edit_config(tmp_path / "m.keras", lambda c: c["compile_config"].update(loss={
        "module": "my_losses", "class_name": "FocalLoss", "config": {},
        "registered_name": "my>FocalLoss"}))
    with pytest.warns(UserWarning, match="FocalLoss.*not restored|not restored.*FocalLoss"):
        model = models.load_model(tmp_path / "m.keras")
    assert not model._compiled


def test_weights_with_a_missing_or_extra_layer_or_shape_change_nothing(tmp_path):
    model = trained_book_convnet()
    model.save(tmp_path / "m.keras")
    model.save_weights(tmp_path / "w.weights.h5")
    target = book_mnist_convnet()
    before = target.get_weights()
    cases = {
        "missing": (lambda f: f.__delitem__("layers/dense_1"), "no group 'layers/dense_1/vars'"),
        "extra": (lambda f: f.create_dataset("layers/dense_2/vars/0", data=np.ones(3)),
                  r"weights at \['layers/dense_2'\]"),
        "shape": (lambda f: (f.__delitem__("layers/conv2d_1/vars/1"),
                             f.create_dataset("layers/conv2d_1/vars/1", data=np.ones(63))),
                  r"\(64,\).*\(63,\)"),
        "count": (lambda f: f.create_dataset("layers/conv2d/vars/2", data=np.ones(3)),
                  "has 2 weights, the file's layers/conv2d.*has 3"),
        "link": (lambda f: (f.__delitem__("layers/dense/vars/1"),
                            f.__setitem__("layers/dense/vars/1",
                                          h5py.ExternalLink("/etc/passwd", "/x"))),
                 "a link to another place or file"),
    }
    for name, (change, message) in cases.items():
        for suffix in (".keras", ".weights.h5"):
            path = tmp_path / f"{name}{suffix}"
            path.write_bytes((tmp_path / ("m.keras" if suffix == ".keras" else
                                          "w.weights.h5")).read_bytes())
            if suffix == ".keras":
                edit_weights(path, change)
            else:
                with h5py.File(path, "r+") as f:
                    change(f)
            with pytest.raises(H5FormatError, match=message):
                target.load_weights(path)
            assert all(np.array_equal(a, b) for a, b in zip(before, target.get_weights()))
            if suffix == ".keras" and name != "link":
                with pytest.raises(WeightMismatchError, match=message):
                    models.load_model(path)


def test_skip_mismatch_loads_the_layers_that_fit(tmp_path):
    model = book_mnist_convnet()
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5", "r+") as f:
        del f["layers/dense_1/vars/1"]
        f["layers/dense_1/vars/1"] = np.ones(11, "float32")
    target = book_mnist_convnet()
    with pytest.warns(UserWarning, match=r"skipped: layer 'dense_\d+'.*\('dense_2' in the file\)"):
        target.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights()[:-2],
                                                      target.get_weights()[:-2]))


def test_optimizer_state_of_another_optimizer_is_warned_and_left_fresh(tmp_path):
    trained_book_convnet("adam", steps=1).save_weights(tmp_path / "w.weights.h5")
    target = trained_book_convnet(optimizers.SGD(0.1, momentum=0.5), steps=0)
    with pytest.warns(UserWarning, match="optimizer state was not restored.*Adam"):
        target.load_weights(tmp_path / "w.weights.h5")
    assert target.optimizer.iterations == 0


# ----------------------------------------- the minicnn halves of the Keras check
@pytest.mark.slow
def test_the_native_crosscheck_halves_run_on_minicnn_files(tmp_path):
    """CI loads ``native_*`` into real Keras 3 and reads Keras' ``keras_native_*`` back
    (``tests/keras_crosscheck.py``, ``.ci/run``); here half 3 reads minicnn's own files."""
    import keras_crosscheck

    with warnings.catch_warnings():
        warnings.simplefilter("error")        # minicnn's own files load without a warning
        keras_crosscheck.write_native(tmp_path)
        for path in tmp_path.glob("native_*"):
            os.link(path, tmp_path / f"keras_{path.name}")
        keras_crosscheck.read_native(tmp_path)


def test_model_checkpoint_writes_keras_3_files(tmp_path):
    model = models.Sequential([layers.Dense(2, activation="softmax", input_shape=(4,))])
    model.compile(optimizer=optimizers.SGD(0.5), loss="categorical_crossentropy",
                  metrics=["acc"])
    x = np.random.default_rng(0).random((16, 4)).astype("float32")
    y = np.eye(2, dtype="float32")[(x.sum(1) > 2).astype(int)]
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[
        callbacks.ModelCheckpoint(str(tmp_path / "m.{epoch:02d}.keras")),
        callbacks.ModelCheckpoint(tmp_path / "w.weights.h5", save_weights_only=True)])
    assert sorted(os.listdir(tmp_path)) == ["m.01.keras", "m.02.keras", "w.weights.h5"]
    assert same_weights(model, models.load_model(tmp_path / "m.02.keras"))
