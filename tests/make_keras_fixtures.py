"""Make the Keras 3 fixtures in tests/data/ with real Keras 3 (not minicnn).

Run with a Keras 3 environment (any backend; torch on CPU is the light one)::

    python3 -m venv /tmp/kerasenv && /tmp/kerasenv/bin/pip install torch==2.13.0 keras h5py
    KERAS_BACKEND=torch /tmp/kerasenv/bin/python tests/make_keras_fixtures.py

It writes, with Keras 3's legacy ``.h5`` saver (``model.save('x.h5')``):

- ``keras3_mnist_convnet.h5``: the chapter's MNIST convnet, compiled
  (RMSprop, categorical crossentropy, accuracy), untrained, no optimizer state;
- ``keras3_functional.h5``: a small functional model with two outputs (a tap)
  and a nested Sequential, trained two Adam steps (so it has optimizer weights
  under Keras 3's names);
- ``keras3_io.npz``: the inputs and Keras' predictions for both
  (``mnist_x``, ``mnist_y``, ``functional_x``, ``functional_y0``, ``functional_y1``),
  and the Keras version that made them.

The MNIST inputs are the 8 digits of ``mnist_convnet_keras2_io.npz``. About 480 kB in all.
"""
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras  # noqa: E402
from keras import layers  # noqa: E402

DATA = Path(__file__).parent / "data"


def mnist_convnet():
    """Listing 5-1 + 5-2, written for Keras 3 (an explicit Input instead of input_shape)."""
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


def functional():
    """Input -> conv (stride 2, same) -> max pool -> nested Sequential -> flatten ->
    dropout -> dense (no bias) -> softmax; outputs: the probabilities and the block's maps."""
    inputs = keras.Input(shape=(12, 12, 2), name="image")
    x = layers.Conv2D(4, 3, strides=2, padding="same", activation="relu",
                      kernel_initializer="he_normal")(inputs)
    x = layers.MaxPooling2D(2, strides=1, padding="same")(x)
    block = keras.Sequential([layers.Conv2D(3, 2, activation="tanh"),
                              layers.AveragePooling2D(2)], name="block")
    maps = block(x)
    x = layers.Flatten()(maps)
    x = layers.Dropout(0.25)(x)
    x = layers.Dense(5, use_bias=False)(x)
    probs = layers.Activation("softmax")(x)
    return keras.Model(inputs, [probs, maps], name="tapped")


def main():
    keras.utils.set_random_seed(0)
    out = {"keras_version": keras.__version__}

    keras.backend.clear_session()
    model = mnist_convnet()
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    x = np.load(DATA / "mnist_convnet_keras2_io.npz")["x"]
    out["mnist_x"], out["mnist_y"] = x, model.predict(x, verbose=0)
    model.save(DATA / "keras3_mnist_convnet.h5")

    keras.backend.clear_session()
    model = functional()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2),
                  loss=["categorical_crossentropy", "mse"], metrics=[["accuracy"], []])
    rng = np.random.default_rng(0)
    x = rng.random((6, 12, 12, 2)).astype("float32")
    y0 = np.eye(5, dtype="float32")[rng.integers(0, 5, 6)]
    y1 = np.zeros((6, 2, 2, 3), "float32")
    for _ in range(2):
        model.train_on_batch(x, [y0, y1])
    out["functional_x"] = x
    out["functional_y0"], out["functional_y1"] = model.predict(x, verbose=0)
    model.save(DATA / "keras3_functional.h5")

    np.savez_compressed(DATA / "keras3_io.npz", **out)
    for name in ("keras3_mnist_convnet.h5", "keras3_functional.h5", "keras3_io.npz"):
        print(f"{name}: {(DATA / name).stat().st_size} bytes")


if __name__ == "__main__":
    main()
