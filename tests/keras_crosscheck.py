"""Real Keras 3 loads the files minicnn saves and predicts what minicnn predicted, and back.

Three halves, two virtual environments (CI runs them all, see ``.ci/run``)::

    # 1. with minicnn: train, save (.h5, .keras, .weights.h5), write inputs and outputs
    python tests/keras_crosscheck.py /tmp/xc
    # 2. with Keras 3 (pip install torch==2.13.0 keras h5py pytest): load and compare;
    #    then Keras saves its own .keras and .weights.h5 files of the same models
    MINICNN_CROSSCHECK_DIR=/tmp/xc KERAS_BACKEND=torch python -m pytest tests/keras_crosscheck.py
    # 3. with minicnn: load what Keras saved, predict and train what Keras did
    python tests/keras_crosscheck.py read /tmp/xc

The file is not named ``test_*.py``, so the minicnn environment's plain ``pytest`` does not
collect it (keras is absent there); ``tests/test_h5.py`` and ``tests/test_keras3_format.py``
run halves 1 and 3 on minicnn's own files. Half 2 fails, never skips, when the folder or a
case is missing.

Keras 2 ``.h5`` cases: the chapter's MNIST convnet trained a few RMSprop steps and compiled
(whole model, and weights only into a Sequential written in Keras); the book's 5.3 pattern (a
functional conv base nested in a Sequential, frozen in part, trained with Adam); and a
functional model with two outputs around a nested Sequential and a nested functional block.

Keras 3 native cases (``.keras`` and ``.weights.h5``, both directions): the MNIST convnet;
the cats-vs-dogs convnet of section 5.2 (the book's layers and widths, 48x48 images instead
of 150x150: the smallest even size its four conv/pool pairs take); and section 5.3's model,
``VGG16(weights=None, include_top=False)`` at 32x32 frozen inside a Sequential. For MNIST and
VGG16 the other side also takes one more training step from the saved optimizer state and
must land on the same predictions: the state crossed too.
"""
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data"
CASES = ("mnist", "nested_base", "tapped")
NATIVE = ("mnist", "cats", "vgg16")       # Keras 3 native files, written by either side
RTOL, ATOL = 1e-4, 1e-6


# ------------------------------------------------------ half 1: minicnn writes
def write(folder):
    """Save the cases with minicnn into ``folder``: ``<case>.h5`` and ``<case>.npz``."""
    from minicnn import backend, layers, models, optimizers

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    backend.set_seed(0)
    trace = np.load(DATA / "mnist_convnet_keras2_trace.npz")
    x, y = trace["x"], trace["y"]

    backend.clear_session()
    model = models.Sequential([
        layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax")])
    model.compile(optimizer=optimizers.RMSprop(lr=1e-3), loss="categorical_crossentropy",
                  metrics=["acc"])
    for _ in range(3):
        model.train_on_batch(x, y)
    model.save(folder / "mnist.h5")
    model.save(folder / "mnist_no_optimizer.h5", include_optimizer=False)
    model.save_weights(folder / "mnist_weights.h5")
    _outputs(folder / "mnist.npz", model, x, y)

    backend.clear_session()
    inputs = layers.Input(shape=(16, 16, 3))
    t = layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    t = layers.MaxPooling2D(2)(t)
    t = layers.Conv2D(8, 3, padding="same", activation="relu")(t)
    base = models.Model(inputs, layers.MaxPooling2D(2)(t), name="conv_base")
    model = models.Sequential([base, layers.Flatten(), layers.Dense(16, activation="relu"),
                               layers.Dropout(0.5), layers.Dense(1, activation="sigmoid")])
    base.layers[1].trainable = False          # freeze the first conv: saved after the rest
    model.compile(optimizer=optimizers.Adam(learning_rate=1e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])
    rng = np.random.default_rng(0)
    xb = rng.random((10, 16, 16, 3)).astype("float32")
    yb = (rng.random((10, 1)) > 0.5).astype("float32")
    for _ in range(2):
        model.train_on_batch(xb, yb)
    model.save(folder / "nested_base.h5")
    _outputs(folder / "nested_base.npz", model, xb, yb)

    backend.clear_session()
    inputs = layers.Input(shape=(12, 12, 2), name="image")
    t = layers.Conv2D(4, 3, strides=2, padding="same", activation="relu",
                      kernel_initializer="he_normal")(inputs)
    block = models.Sequential([layers.Conv2D(6, 2, activation="tanh", input_shape=(6, 6, 4)),
                               layers.AveragePooling2D(2, padding="same")], name="block")
    t = block(t)
    inner = layers.Input(shape=(3, 3, 6))
    pooled = layers.MaxPooling2D(2, strides=1)(layers.Activation("sigmoid")(inner))
    maps = models.Model(inner, pooled, name="inner")(t)
    t = layers.Dropout(0.25)(layers.Flatten()(maps))
    probs = layers.Activation("softmax")(layers.Dense(5, use_bias=False)(t))
    model = models.Model(inputs, [probs, maps], name="tapped")
    xt = rng.random((6, 12, 12, 2)).astype("float32")
    model.save(folder / "tapped.h5")
    _outputs(folder / "tapped.npz", model, xt)
    print(f"wrote {', '.join(CASES)} to {folder}")


# ------------------------------------ the native cases' models, in minicnn or in Keras
def mnist_layers(layers):
    """Listings 5-1 and 5-2 after the input."""
    return [layers.Conv2D(32, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"), layers.Flatten(),
            layers.Dense(64, activation="relu"), layers.Dense(10, activation="softmax")]


def cats_layers(layers):
    """Listing 5-5 with section 5.2.5's Dropout, after the input."""
    return [layers.Conv2D(32, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
            layers.Conv2D(128, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
            layers.Conv2D(128, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
            layers.Flatten(), layers.Dropout(0.5), layers.Dense(512, activation="relu"),
            layers.Dense(1, activation="sigmoid")]


def top_layers(layers):
    """Listing 5-17's classifier on the conv base."""
    return [layers.Flatten(), layers.Dense(256, activation="relu"),
            layers.Dense(1, activation="sigmoid")]


SHAPES = {"mnist": (28, 28, 1), "cats": (48, 48, 3), "vgg16": (32, 32, 3)}


def branch_model(library):
    """A functional model whose Dense layers branch (``x -> a -> b``, ``a -> c -> d``,
    outputs ``[b, d]``): Keras places their weights in its own layer order, x a c b d."""
    if library == "keras":
        import keras
        from keras import layers
        x = keras.Input(shape=(4,), name="x")
        model = keras.Model
    else:
        from minicnn import layers, models
        x = layers.Input(shape=(4,), name="x")
        model = models.Model
    a = layers.Dense(3, activation="relu", name="a")(x)
    d = layers.Dense(1, name="d")(layers.Dense(5, activation="tanh", name="c")(a))
    return model(x, [layers.Dense(2, name="b")(a), d], name="branch")


def native_model(case, library):
    """The case's model built with ``library`` ('minicnn' or 'keras'), uncompiled."""
    if library == "keras":
        import keras
        from keras import layers

        if case == "vgg16":
            base = keras.applications.VGG16(weights=None, include_top=False,
                                             input_shape=SHAPES[case])
            base.trainable = False
            return keras.Sequential([base] + top_layers(layers))
        builder = mnist_layers if case == "mnist" else cats_layers
        return keras.Sequential([keras.Input(shape=SHAPES[case])] + builder(layers))
    from minicnn import layers, models
    from minicnn.applications import VGG16

    if case == "vgg16":
        base = VGG16(weights=None, include_top=False, input_shape=SHAPES[case])
        base.trainable = False
        return models.Sequential([base] + top_layers(layers))
    model = models.Sequential((mnist_layers if case == "mnist" else cats_layers)(layers))
    model.build((None,) + SHAPES[case])
    return model


def native_data(case, seed):
    """``(x, labels, compile settings)`` for a native case."""
    rng = np.random.default_rng(seed)
    if case == "mnist":
        trace = np.load(DATA / "mnist_convnet_keras2_trace.npz")
        return trace["x"], trace["y"], ("RMSprop", 1e-3, "categorical_crossentropy")
    x = (rng.random((4,) + SHAPES[case]) * (255 if case == "vgg16" else 1)).astype("float32")
    if case == "vgg16":
        x -= 120                                     # like preprocessed ImageNet pixels
    labels = np.array([[0], [1], [1], [0]], "float32")
    return x, labels, ("RMSprop", 1e-4 if case == "cats" else 2e-5, "binary_crossentropy")


def write_native(folder):
    """Half 1 for Keras 3's formats: ``native_<case>.keras``, ``.weights.h5`` and ``.npz``
    (inputs, predictions, labels, ``evaluate`` and, where the model has no Dropout, the
    predictions after one more training step: ``next``)."""
    from minicnn import backend, optimizers

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for case in NATIVE:
        backend.clear_session()
        backend.set_seed(0)
        model = native_model(case, "minicnn")
        x, labels, (optimizer, learning_rate, loss) = native_data(case, seed=0)
        model.compile(optimizer=getattr(optimizers, optimizer)(learning_rate=learning_rate),
                      loss=loss, metrics=["acc"])
        for _ in range(3 if case == "mnist" else 1):
            model.train_on_batch(x, labels)
        model.save(folder / f"native_{case}.keras")
        model.save_weights(folder / f"native_{case}.weights.h5")
        arrays = {"x": x, "y0": model.predict(x), "labels": labels,
                  "evaluate": np.array(model.evaluate(x, labels, verbose=0)),
                  "iterations": model.optimizer.iterations}
        if case != "cats":
            model.train_on_batch(x, labels)
            arrays["next"] = model.predict(x)
        np.savez(folder / f"native_{case}.npz", **arrays)
    backend.clear_session()
    model = branch_model("minicnn")
    model.save(folder / "native_branch.keras")
    model.save_weights(folder / "native_branch.weights.h5")
    _outputs(folder / "native_branch.npz", model,
             np.random.default_rng(0).random((3, 4)).astype("float32"))
    print(f"wrote {', '.join(NATIVE)} and a branching model as .keras and .weights.h5 "
          f"to {folder}")


# ------------------------------------------------ half 3: minicnn reads Keras
def read_native(folder, prefix="keras_native_"):
    """Load what Keras saved in half 2; assert minicnn predicts (and trains) as Keras did."""
    from minicnn import models

    folder = Path(folder)
    for case in NATIVE:
        path = folder / f"{prefix}{case}.keras"
        assert path.is_file(), f"{path} is missing: run the Keras half first"
        io = np.load(folder / f"{prefix}{case}.npz")
        model = models.load_model(path)
        close(model.predict(io["x"]), io["y0"])
        assert type(model.optimizer).__name__ == native_data(case, 0)[2][0]
        assert model.optimizer.iterations == int(io["iterations"])
        close(model.evaluate(io["x"], io["labels"], verbose=0), io["evaluate"])
        if "next" in io.files:
            model.train_on_batch(io["x"], io["labels"])
            close(model.predict(io["x"]), io["next"])
        fresh = native_model(case, "minicnn")
        fresh.load_weights(folder / f"{prefix}{case}.weights.h5")
        close(fresh.predict(io["x"]), io["y0"])
    print(f"minicnn loaded Keras' {', '.join(NATIVE)} .keras and .weights.h5 files from "
          f"{folder} and predicts (and trains on) as Keras did")


def close(got, want):
    """Equal up to float32 rounding, which grows with the outputs' size."""
    want = np.asarray(want)
    np.testing.assert_allclose(np.asarray(got), want, rtol=RTOL,
                               atol=ATOL * max(1.0, float(np.abs(want).max())))


def _outputs(path, model, x, y=None):
    out = model.predict(x)
    arrays = {"x": x, **({f"y{i}": o for i, o in enumerate(out)} if isinstance(out, list)
                         else {"y0": out})}
    if y is not None:
        arrays["labels"] = y
        arrays["evaluate"] = np.array(model.evaluate(x, y, verbose=0))
        arrays["compile"] = json.dumps({"optimizer": type(model.optimizer).__name__,
                                        "learning_rate": model.optimizer.learning_rate,
                                        "loss": model.loss})
    np.savez(path, **arrays)


# ----------------------------------------------------- half 2: Keras 3 reads
def _folder():
    folder = os.environ.get("MINICNN_CROSSCHECK_DIR")
    assert folder, "set MINICNN_CROSSCHECK_DIR to the folder the minicnn half wrote"
    return Path(folder)


def _load(case):
    import keras

    path = _folder() / f"{case}.h5"
    assert path.is_file(), f"{path} is missing: run the minicnn half first"
    return keras.models.load_model(path), np.load(_folder() / f"{case}.npz")


def _predicts_the_same(model, io):
    out = model.predict(io["x"], verbose=0)
    out = out if isinstance(out, list) else [out]
    expected = [io[k] for k in sorted(io.files) if k.startswith("y")]
    assert len(out) == len(expected)
    for got, want in zip(out, expected):
        np.testing.assert_allclose(np.asarray(got), want, rtol=RTOL, atol=ATOL)


def _compiled_the_same(model, io):
    settings = json.loads(str(io["compile"]))
    assert type(model.optimizer).__name__ == settings["optimizer"]
    np.testing.assert_allclose(float(model.optimizer.learning_rate), settings["learning_rate"],
                               rtol=1e-6)
    got = model.evaluate(io["x"], io["labels"], verbose=0)
    np.testing.assert_allclose(got, io["evaluate"], rtol=RTOL, atol=ATOL)


def test_keras_loads_the_mnist_convnet():
    model, io = _load("mnist")
    assert [type(l).__name__ for l in model.layers] == [
        "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Conv2D", "Flatten", "Dense", "Dense"]
    assert model.count_params() == 93322
    _predicts_the_same(model, io)
    _compiled_the_same(model, io)


def test_keras_trains_on_a_model_saved_without_optimizer_state():
    """Keras 3 cannot train a legacy .h5 it loaded with optimizer weights, its own files
    included ('Unknown variable'), hence include_optimizer=False for a move to Keras 3."""
    import keras

    model = keras.models.load_model(_folder() / "mnist_no_optimizer.h5")
    io = np.load(_folder() / "mnist.npz")
    _compiled_the_same(model, io)
    before = model.evaluate(io["x"], io["labels"], verbose=0)[0]
    for _ in range(3):
        model.train_on_batch(io["x"], io["labels"])
    assert model.evaluate(io["x"], io["labels"], verbose=0)[0] < before


def test_keras_loads_minicnn_weights_into_the_book_listing():
    import keras
    from keras import layers

    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"), layers.Flatten(),
        layers.Dense(64, activation="relu"), layers.Dense(10, activation="softmax")])
    model.load_weights(_folder() / "mnist_weights.h5")
    _predicts_the_same(model, np.load(_folder() / "mnist.npz"))


def test_keras_loads_a_partly_frozen_base_nested_in_a_sequential():
    model, io = _load("nested_base")
    base = model.layers[0]
    assert base.name == "conv_base" and not base.layers[1].trainable
    _predicts_the_same(model, io)
    _compiled_the_same(model, io)


def test_keras_loads_a_functional_model_with_taps_and_nested_models():
    model, io = _load("tapped")
    assert [l.name for l in model.layers][:3] == ["image", "conv2d_1", "block"]
    _predicts_the_same(model, io)


# --------------------------------------------- half 2: Keras 3's native formats
def _native(case):
    import keras

    path = _folder() / f"native_{case}.keras"
    assert path.is_file(), f"{path} is missing: run the minicnn half first"
    return keras.models.load_model(path), np.load(_folder() / f"native_{case}.npz")


@pytest.mark.parametrize("case", NATIVE)
def test_keras_loads_minicnn_keras_archives_compiled_with_their_state(case):
    model, io = _native(case)
    reference = native_model(case, "keras")
    assert [type(l).__name__ for l in model.layers] == [type(l).__name__ for l in
                                                       reference.layers]
    assert model.count_params() == reference.count_params()
    close(model.predict(io["x"], verbose=0), io["y0"])
    optimizer, learning_rate, _ = native_data(case, 0)[2]
    assert type(model.optimizer).__name__ == optimizer
    np.testing.assert_allclose(float(model.optimizer.learning_rate), learning_rate, rtol=1e-6)
    assert int(model.optimizer.iterations.numpy()) == int(io["iterations"])
    close(model.evaluate(io["x"], io["labels"], verbose=0), io["evaluate"])
    if "next" in io.files:              # the optimizer state crossed: the same next step
        model.train_on_batch(io["x"], io["labels"])
        close(model.predict(io["x"], verbose=0), io["next"])


@pytest.mark.parametrize("case", NATIVE)
def test_keras_loads_minicnn_weights_h5_into_models_built_in_keras(case):
    model = native_model(case, "keras")
    model.load_weights(_folder() / f"native_{case}.weights.h5")
    close(model.predict(np.load(_folder() / f"native_{case}.npz")["x"], verbose=0),
          np.load(_folder() / f"native_{case}.npz")["y0"])


def test_keras_places_the_weights_of_branching_functional_models_as_minicnn_does():
    import keras

    io = np.load(_folder() / "native_branch.npz")
    loaded = keras.models.load_model(_folder() / "native_branch.keras")
    built = branch_model("keras")
    built.load_weights(_folder() / "native_branch.weights.h5")
    for model in (loaded, built):
        assert [l.name for l in model.layers] == ["x", "a", "c", "b", "d"]
        _predicts_the_same(model, io)


def test_keras_saves_native_files_for_minicnn():
    """Keras writes ``keras_native_<case>.keras``, ``.weights.h5`` and ``.npz``; half 3
    (``python tests/keras_crosscheck.py read FOLDER``) loads them in minicnn."""
    import keras

    folder = _folder()
    for case in NATIVE:
        keras.utils.set_random_seed(1)
        model = native_model(case, "keras")
        x, labels, (optimizer, learning_rate, loss) = native_data(case, seed=1)
        model.compile(optimizer=getattr(keras.optimizers, optimizer)(learning_rate),
                      loss=loss, metrics=["acc"])
        for _ in range(2 if case == "mnist" else 1):
            model.train_on_batch(x, labels)
        model.save(folder / f"keras_native_{case}.keras")
        model.save_weights(folder / f"keras_native_{case}.weights.h5")
        arrays = {"x": x, "y0": model.predict(x, verbose=0), "labels": labels,
                  "evaluate": np.array(model.evaluate(x, labels, verbose=0)),
                  "iterations": int(model.optimizer.iterations.numpy())}
        if case != "cats":
            model.train_on_batch(x, labels)
            arrays["next"] = model.predict(x, verbose=0)
        np.savez(folder / f"keras_native_{case}.npz", **arrays)


if __name__ == "__main__":
    if len(sys.argv) == 2:
        write(sys.argv[1])
        write_native(sys.argv[1])
    elif len(sys.argv) == 3 and sys.argv[1] == "read":
        read_native(sys.argv[2])
    else:
        sys.exit(f"usage: python {sys.argv[0]} FOLDER       (half 1: minicnn writes)\n"
                 f"       python {sys.argv[0]} read FOLDER  (half 3: minicnn reads Keras)")
