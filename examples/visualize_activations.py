"""Every channel of every layer for one picture: listings 5-25 to 5-31 of Deep Learning with Python.

What it shows: the cats-vs-dogs convnet saved by section 2 (``cats_and_dogs_small_2.h5``,
else ``..._1.h5``) loaded with ``models.load_model``; one test picture preprocessed to
(1, 150, 150, 3) / 255; an activation model ``Model(inputs=model.input,
outputs=[layer.output for layer in model.layers[:8]])`` whose ``predict`` gives 8 arrays
(the first is (1, 148, 148, 32)); channels 4 and 7 of the first layer drawn with the
viridis map, and a grid of every channel of every layer, 16 per row (paths printed).

Expected result: early layers keep almost all of the picture (edge detectors); deeper
ones grow abstract and sparser, more channels blank. Without a saved model (run
examples/cats_dogs_from_scratch.py first) it trains the chapter's net briefly on the
SYNTHETIC shapes folder: the pictures then show shapes, not cats. A few seconds with a
saved model; about a minute when it must train one.

    python examples/visualize_activations.py [--model cats_and_dogs_small_2.h5] [--image PATH]
"""
import argparse
import glob
import os

import numpy as np

from minicnn import layers, models, optimizers
from minicnn.datasets.shapes import make_shapes_folder
from minicnn.preprocessing import image
from minicnn.preprocessing.image import ImageDataGenerator
from minicnn.utils.data_utils import minicnn_home
from minicnn.visualization.activations import (activation_model, save_activation_grids,
                                               save_channel)

MODELS = ["cats_and_dogs_small_2.h5", "cats_and_dogs_small_1.h5"]
KAGGLE_TEST = os.path.join(minicnn_home(), "datasets", "cats_and_dogs_small", "test", "cats")
SYNTHETIC_DIR = os.path.join(minicnn_home(), "datasets", "synthetic_shapes_small")

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--model", help="a saved model (default: section 2's, if present)")
parser.add_argument("--image", help="a picture (default: the first test cat, or a synthetic one)")
parser.add_argument("--out", default="activations", help="folder for the pictures")
parser.add_argument("--quick", action="store_true", help="train a stand-in model for a few steps")
args = parser.parse_args()


def stand_in_model():
    """The chapter's from-scratch net, trained briefly on the synthetic shapes."""
    print("no saved cats-vs-dogs model: training the chapter's net on the SYNTHETIC shapes")
    make_shapes_folder(SYNTHETIC_DIR)
    model = models.Sequential([
        layers.Conv2D(32, (3, 3), activation="relu", input_shape=(150, 150, 3)),
        layers.MaxPooling2D((2, 2)), layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)), layers.Conv2D(128, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)), layers.Conv2D(128, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)), layers.Flatten(), layers.Dense(512, activation="relu"),
        layers.Dense(1, activation="sigmoid")])
    model.compile(optimizers.RMSprop(lr=1e-4), "binary_crossentropy", ["acc"])
    train = ImageDataGenerator(rescale=1. / 255).flow_from_directory(
        os.path.join(SYNTHETIC_DIR, "train"), target_size=(150, 150), batch_size=20,
        class_mode="binary")
    model.fit(train, steps_per_epoch=3 if args.quick else 30, epochs=1, verbose=2)
    return model


path = args.model or next((m for m in MODELS if os.path.exists(m)), None)
model = models.load_model(path) if path else stand_in_model()       # listing 5-25
model.summary()

img_path = args.image or next(iter(sorted(glob.glob(os.path.join(KAGGLE_TEST, "*.jpg")))), None)
if img_path is None:
    make_shapes_folder(SYNTHETIC_DIR)
    img_path = sorted(glob.glob(os.path.join(SYNTHETIC_DIR, "test", "*", "*")))[0]
img = image.load_img(img_path, target_size=(150, 150))               # listing 5-26
img_tensor = np.expand_dims(image.img_to_array(img), axis=0) / 255.
print("picture:", img_path, img_tensor.shape)

activation_net = activation_model(model)                             # listing 5-28
activations = activation_net.predict(img_tensor)                     # listing 5-29
print(len(activations), "activations; the first has shape", activations[0].shape)
os.makedirs(args.out, exist_ok=True)
for channel in (4, 7):                                               # listings 5-30
    where = os.path.join(args.out, f"first_layer_channel_{channel}.png")
    save_channel(activations[0], channel, where)
    print("channel", channel, "of the first layer:", where)
for name, grid, where in save_activation_grids(model, img_tensor, args.out):  # listing 5-31
    print(f"{name:16s} grid {grid.shape}: {where}")
