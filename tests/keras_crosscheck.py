"""Real Keras 3 loads the .h5 files minicnn saves and predicts what minicnn predicted.

Two halves, two virtual environments (CI runs both, see ``.ci/run``)::

    # 1. with minicnn: train, save, and write the inputs and minicnn's outputs
    python tests/keras_crosscheck.py /tmp/xc
    # 2. with Keras 3 (pip install torch==2.13.0 keras h5py pytest): load and compare
    MINICNN_CROSSCHECK_DIR=/tmp/xc KERAS_BACKEND=torch python -m pytest tests/keras_crosscheck.py

The file is not named ``test_*.py``, so the minicnn environment's plain ``pytest`` does not
collect it (keras is absent there); ``tests/test_h5.py`` runs the first half. The second half
fails, never skips, when the folder or a case is missing.

Cases: the chapter's MNIST convnet trained a few RMSprop steps and compiled (whole model, and
weights only into a Sequential written in Keras); the book's 5.3 pattern (a functional conv
base nested in a Sequential, frozen in part, trained with Adam); and a functional model with
two outputs around a nested Sequential and a nested functional block.
"""
import json
import os
import sys
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data"
CASES = ("mnist", "nested_base", "tapped")
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


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: python {sys.argv[0]} FOLDER   (the minicnn half)")
    write(sys.argv[1])
