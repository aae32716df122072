"""Small helpers the section-4 examples share (not part of the chapter's listings)."""
import os

import numpy as np

from minicnn import layers, models
from minicnn.applications import vgg16
from minicnn.datasets import mnist
from minicnn.utils import to_categorical


def local_vgg16_weights(include_top):
    """The path of Keras' ImageNet VGG16 file if it is already on this machine, else None."""
    spec = vgg16.WEIGHTS[bool(include_top)]
    for folder in vgg16.weights_folders():
        path = os.path.join(folder, spec.fname)
        if os.path.isfile(path):
            return path
    return None


def trained_mnist_convnet(epochs=1, images=8000):
    """The chapter's MNIST convnet (listings 5-1, 5-2) trained briefly on the MNIST data.

    Returns:
        ``(model, x_test, y_test)`` with ``x_test: (N, 28, 28, 1)`` float32 in [0, 1].
    """
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    prep = lambda x: (x.reshape(-1, 28, 28, 1) / np.float32(255)).astype("float32")  # noqa: E731
    model = models.Sequential([
        layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(prep(x_train[:images]), to_categorical(y_train[:images], 10), epochs=epochs,
              batch_size=64, verbose=2)
    return model, prep(x_test), y_test
