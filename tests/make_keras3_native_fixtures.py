"""Make the Keras 3 native-format fixtures in tests/data/ with real Keras 3 (not minicnn).

Run with a Keras 3 environment (torch on CPU is the light backend)::

    python3 -m venv /tmp/kerasenv && /tmp/kerasenv/bin/pip install torch==2.13.0 keras h5py
    KERAS_BACKEND=torch /tmp/kerasenv/bin/python tests/make_keras3_native_fixtures.py

It writes, with Keras 3's own savers (``model.save('x.keras')``,
``model.save_weights('x.weights.h5')``):

- ``keras3_native_mnist.keras``: the chapter's MNIST convnet, compiled (RMSprop,
  categorical crossentropy, accuracy), untrained: Keras keeps only the optimizer's
  iteration count and learning rate then;
- ``keras3_native_cats.keras``: the chapter's cats-vs-dogs convnet (listing 5-5 + Dropout:
  four conv/pool pairs, Flatten, Dropout, Dense, Dense) at 48x48x3 with a quarter of the
  book's widths (8-16-32-32 filters, Dense(128)) to stay small, trained one RMSprop step;
- ``keras3_native_vgg.keras`` and ``keras3_native_vgg.weights.h5``: the 5.3 pattern, a
  functional base named ``vgg16`` (two VGG blocks, 16x16x3 input) inside a Sequential with
  Flatten/Dense/Dense; block 1 frozen, trained two Adam steps, so the optimizer holds two
  slots per trainable weight;
- ``keras3_native_branch.keras`` and ``.weights.h5``: a functional model whose Dense layers
  branch (``x -> a -> b`` and ``a -> c -> d``, outputs ``[b, d]``), where Keras' layer order
  (``x, a, c, b, d``) is not the order of definition;
- ``keras3_native_io.npz``: inputs, Keras' predictions (and, for vgg, the predictions after
  one more Adam step on ``vgg_x, vgg_labels``), and the Keras version.

About 910 kB in all (the MNIST convnet alone: 410 kB).
"""
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras  # noqa: E402
from keras import layers  # noqa: E402

DATA = Path(__file__).parent / "data"
PREFIX = "keras3_native_"


def mnist_convnet():
    """Listings 5-1 and 5-2, written for Keras 3 (an explicit Input)."""
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.Flatten(), layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax")])


def cats_convnet(size=48, widths=(8, 16, 32, 32), units=128):
    """Listing 5-5 with Dropout (section 5.2.5); the book: size 150, (32, 64, 128, 128), 512."""
    return keras.Sequential([
        keras.Input(shape=(size, size, 3)),
        layers.Conv2D(widths[0], (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(widths[1], (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(widths[2], (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(widths[3], (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Flatten(), layers.Dropout(0.5),
        layers.Dense(units, activation="relu"), layers.Dense(1, activation="sigmoid")])


def vgg_like(size=16):
    """A VGG16-shaped base (``block1_conv1``... named as in Keras' VGG16) in a Sequential."""
    inputs = keras.Input(shape=(size, size, 3))
    x = inputs
    for block, filters in ((1, 4), (2, 8)):
        for i in (1, 2):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                              name=f"block{block}_conv{i}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    base = keras.Model(inputs, x, name="vgg16")
    for layer in base.layers:
        layer.trainable = not layer.name.startswith("block1")
    return keras.Sequential([base, layers.Flatten(), layers.Dense(16, activation="relu"),
                             layers.Dense(1, activation="sigmoid")])


def branch():
    x = keras.Input(shape=(4,), name="x")
    a = layers.Dense(3, activation="relu", name="a")(x)
    b = layers.Dense(2, name="b")(a)
    d = layers.Dense(1, name="d")(layers.Dense(5, activation="tanh", name="c")(a))
    return keras.Model(x, [b, d], name="branch")


def main():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    out = {"keras_version": keras.__version__}

    model = mnist_convnet()
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    x = np.load(DATA / "mnist_convnet_keras2_io.npz")["x"]
    out["mnist_x"], out["mnist_y0"] = x, model.predict(x, verbose=0)
    model.save(DATA / f"{PREFIX}mnist.keras")

    model = cats_convnet()
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-4),
                  loss="binary_crossentropy", metrics=["acc"])
    x = rng.random((2, 48, 48, 3)).astype("float32")
    model.train_on_batch(x, np.array([[0], [1]], "float32"))
    out["cats_x"], out["cats_y0"] = x, model.predict(x, verbose=0)
    model.save(DATA / f"{PREFIX}cats.keras")

    model = vgg_like()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2),
                  loss="binary_crossentropy", metrics=["accuracy"])
    x = rng.random((4, 16, 16, 3)).astype("float32")
    labels = np.array([[0], [1], [1], [0]], "float32")
    for _ in range(2):
        model.train_on_batch(x, labels)
    out["vgg_x"], out["vgg_labels"], out["vgg_y0"] = x, labels, model.predict(x, verbose=0)
    model.save(DATA / f"{PREFIX}vgg.keras")
    model.save_weights(DATA / f"{PREFIX}vgg.weights.h5")
    model.train_on_batch(x, labels)
    out["vgg_next"] = model.predict(x, verbose=0)

    model = branch()
    x = rng.random((3, 4)).astype("float32")
    out["branch_x"] = x
    out["branch_y0"], out["branch_y1"] = model.predict(x, verbose=0)
    out["branch_order"] = np.array([layer.name for layer in model.layers])
    model.save(DATA / f"{PREFIX}branch.keras")
    model.save_weights(DATA / f"{PREFIX}branch.weights.h5")

    np.savez_compressed(DATA / f"{PREFIX}io.npz", **out)
    total = 0
    for path in sorted(DATA.glob(f"{PREFIX}*")):
        total += path.stat().st_size
        print(f"{path.name}: {path.stat().st_size} bytes")
    print(f"total: {total} bytes")


if __name__ == "__main__":
    main()
