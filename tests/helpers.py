"""Shared test helpers: the book's models and where the test data lives."""
from pathlib import Path

from minicnn import layers, models

DATA = Path(__file__).parent / "data"


def book_mnist_convnet(classifier=True):
    """Listing 5-1 (and 5-2 with ``classifier``): the chapter's MNIST convnet."""
    model = models.Sequential()
    model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    if classifier:
        model.add(layers.Flatten())
        model.add(layers.Dense(64, activation="relu"))
        model.add(layers.Dense(10, activation="softmax"))
    return model
