"""VGG16 both ways between minicnn and real Keras 3: weight files, predictions, saved models.

Three halves in two virtual environments (CI runs them, see ``.ci/run``)::

    # 1. minicnn: write VGG16 weight files in Keras' ImageNet layout (random weights), the
    #    book's model (VGG16 base fine-tuned from block5_conv1, in a Sequential) saved as
    #    .h5, and minicnn's predictions
    python tests/vgg16_crosscheck.py write /tmp/xc
    # 2. Keras 3: keras.applications.VGG16(weights=file) predicts what minicnn predicted,
    #    keras.models.load_model reads minicnn's file; then Keras saves its own VGG16 models
    MINICNN_CROSSCHECK_DIR=/tmp/xc KERAS_BACKEND=torch python -m pytest tests/vgg16_crosscheck.py
    # 3. minicnn: load what Keras saved, predict what Keras predicted
    python tests/vgg16_crosscheck.py read /tmp/xc

Images are 32x32 (Keras' smallest for VGG16) to keep it fast; the top variant is tested
with ``classes=10`` at that size, which Keras allows for a weights path (fc1 is then
512x4096 instead of 25088x4096). Like ``keras_crosscheck.py`` the file is not named
``test_*.py``: the minicnn environment's pytest does not collect it; ``tests/test_vgg16.py``
runs halves 1 and 3 on minicnn's own output. Half 2 fails, never skips, on missing files.
"""
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import vgg16_files  # noqa: E402  (h5py and numpy only: both environments have them)

SIZE, CLASSES = 32, 10
RTOL, ATOL = 1e-4, 1e-5     # ATOL relative to the largest output: 13 float32 layers differ
NOTOP, TOP = "vgg16_notop_layout.h5", "vgg16_top_layout_10_classes.h5"


def assert_close(got, want):
    """Equal up to float32 rounding, which grows with the outputs' size (~100 here)."""
    want = np.asarray(want)
    np.testing.assert_allclose(np.asarray(got), want, rtol=RTOL,
                               atol=ATOL * max(1.0, float(np.abs(want).max())))


def _images(n=4, seed=0):
    """Preprocessed-looking inputs: BGR pixels minus the ImageNet mean."""
    rng = np.random.default_rng(seed)
    return (rng.random((n, SIZE, SIZE, 3)) * 255 - 120).astype("float32")


# ------------------------------------------------------ half 1: minicnn writes
def book_model(conv_base, units=16):
    """Listing 5-20's model on a conv base, fine-tuned from block5_conv1 (listing 5-22)."""
    from minicnn import layers, models

    model = models.Sequential()
    model.add(conv_base)
    model.add(layers.Flatten())
    model.add(layers.Dense(units, activation="relu"))
    model.add(layers.Dense(1, activation="sigmoid"))
    conv_base.trainable = True
    set_trainable = False
    for layer in conv_base.layers:
        if layer.name == "block5_conv1":
            set_trainable = True
        layer.trainable = set_trainable
    return model


def write(folder):
    """Weight files, minicnn's predictions, and the book's model saved by minicnn."""
    from minicnn import backend, optimizers
    from minicnn.applications import VGG16

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    x = _images()
    vgg16_files.write_official(folder / NOTOP, include_top=False, how="random", seed=1)
    vgg16_files.write_official(folder / TOP, include_top=True, how="random", seed=2,
                               classes=CLASSES, input_size=SIZE)
    backend.clear_session()
    conv_base = VGG16(weights=str(folder / NOTOP), include_top=False,
                      input_shape=(SIZE, SIZE, 3))
    np.savez(folder / "notop.npz", x=x, y=conv_base.predict(x))
    top = VGG16(weights=str(folder / TOP), include_top=True, classes=CLASSES,
                input_shape=(SIZE, SIZE, 3))
    np.savez(folder / "top.npz", x=x, y=top.predict(x))

    backend.set_seed(0)
    model = book_model(conv_base)
    model.compile(optimizer=optimizers.RMSprop(learning_rate=1e-5), loss="binary_crossentropy",
                  metrics=["acc"])
    labels = np.array([[0], [1], [1], [0]], dtype="float32")
    for _ in range(2):
        model.train_on_batch(x, labels)
    model.save(folder / "book.h5")
    np.savez(folder / "book.npz", x=x, y=model.predict(x), labels=labels,
             evaluate=np.array(model.evaluate(x, labels, verbose=0)),
             trainable=json.dumps([l.trainable for l in conv_base.layers[1:]]))
    print(f"wrote VGG16 weight files, predictions and the book's model to {folder}")


# ------------------------------------------------ half 3: minicnn reads Keras
def read(folder):
    """Load the models Keras saved in half 2; assert minicnn predicts what Keras did."""
    from minicnn import models

    folder = Path(folder)
    for case in ("keras_vgg16", "keras_book"):
        path = folder / f"{case}.h5"
        assert path.is_file(), f"{path} is missing: run the Keras half first"
        io = np.load(folder / f"{case}.npz")
        model = models.load_model(path)
        assert_close(model.predict(io["x"]), io["y"])
        if case == "keras_book":
            base = model.layers[0]
            assert base.name == "vgg16"
            assert [l.trainable for l in base.layers[1:]] == json.loads(str(io["trainable"]))
            assert len(model.trainable_weights) == 10
            assert type(model.optimizer).__name__ == "RMSprop"   # compiled, as Keras saved it
    print(f"minicnn loaded Keras' VGG16 files from {folder} and predicts the same")


# ----------------------------------------------------- half 2: Keras 3 checks
def _folder():
    folder = os.environ.get("MINICNN_CROSSCHECK_DIR")
    assert folder, "set MINICNN_CROSSCHECK_DIR to the folder the minicnn half wrote"
    folder = Path(folder)
    assert (folder / NOTOP).is_file(), f"{folder / NOTOP} is missing: run the minicnn half first"
    return folder


def test_keras_vgg16_reads_the_notop_layout_and_predicts_like_minicnn():
    import keras

    folder = _folder()
    model = keras.applications.VGG16(weights=str(folder / NOTOP), include_top=False,
                                     input_shape=(SIZE, SIZE, 3))
    expected = vgg16_files.fill(vgg16_files.vgg16_layers(False), "random", seed=1)
    for layer in model.layers[1:]:
        for got, want in zip(layer.get_weights(), expected.get(layer.name, [])):
            np.testing.assert_array_equal(got, want)
    io = np.load(folder / "notop.npz")
    assert_close(model.predict(io["x"], verbose=0), io["y"])


def test_keras_vgg16_reads_the_top_layout_and_predicts_like_minicnn():
    import keras

    folder = _folder()
    model = keras.applications.VGG16(weights=str(folder / TOP), include_top=True,
                                     classes=CLASSES, input_shape=(SIZE, SIZE, 3))
    assert [l.name for l in model.layers][-4:] == ["flatten", "fc1", "fc2", "predictions"]
    io = np.load(folder / "top.npz")
    assert_close(model.predict(io["x"], verbose=0), io["y"])


def test_keras_loads_the_book_model_saved_by_minicnn():
    import keras

    folder = _folder()
    model = keras.models.load_model(folder / "book.h5")
    io = np.load(folder / "book.npz")
    base = model.layers[0]
    assert base.name == "vgg16" and base.count_params() == 14714688
    assert [l.trainable for l in base.layers[1:]] == json.loads(str(io["trainable"]))
    assert len(model.trainable_weights) == 10
    assert_close(model.predict(io["x"], verbose=0), io["y"])
    assert_close(model.evaluate(io["x"], io["labels"], verbose=0), io["evaluate"])


def test_keras_saves_vgg16_models_for_minicnn():
    """Keras writes its own VGG16 files; half 3 (minicnn) loads them."""
    import keras
    from keras import layers

    folder = _folder()
    x = _images(seed=1)
    conv_base = keras.applications.VGG16(weights=str(folder / NOTOP), include_top=False,
                                         input_shape=(SIZE, SIZE, 3))
    conv_base.save(folder / "keras_vgg16.h5")
    np.savez(folder / "keras_vgg16.npz", x=x, y=conv_base.predict(x, verbose=0))
    model = keras.Sequential([conv_base, layers.Flatten(), layers.Dense(16, activation="relu"),
                              layers.Dense(1, activation="sigmoid")])
    conv_base.trainable = True
    set_trainable = False
    for layer in conv_base.layers:
        if layer.name == "block5_conv1":
            set_trainable = True
        layer.trainable = set_trainable
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-5),
                  loss="binary_crossentropy", metrics=["acc"])
    model.train_on_batch(x, np.array([[1], [0], [0], [1]], dtype="float32"))
    model.save(folder / "keras_book.h5")
    np.savez(folder / "keras_book.npz", x=x, y=model.predict(x, verbose=0),
             trainable=json.dumps([l.trainable for l in conv_base.layers[1:]]))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("write", "read"):
        sys.exit(f"usage: python {sys.argv[0]} write|read FOLDER   (the minicnn halves)")
    (write if sys.argv[1] == "write" else read)(sys.argv[2])
