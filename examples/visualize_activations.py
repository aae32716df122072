"""Every channel of every layer for one picture: listings 5-25 to 5-31 of Deep Learning with Python.

What it shows: the cats-vs-dogs convnet saved by section 2 loaded with
``models.load_model``; one test picture preprocessed to (1, 150, 150, 3) / 255; an
activation model ``Model(inputs=model.input, outputs=[layer.output for layer in
model.layers[:8]])`` whose ``predict`` gives 8 arrays (the first is (1, 148, 148, 32));
channels 4 and 7 of the first layer drawn with the viridis map, and a grid of every
channel of every layer, 16 per row, in ``runs/visualize_activations/`` (``--out`` to
change; paths printed).

Which model: ``--model FILE``, else the first of ``runs/cats_dogs_augmented/
cats_and_dogs_small_2.h5``, ``runs/cats_dogs_from_scratch/cats_and_dogs_small_1.h5``
(where examples/cats_dogs_augmented.py and cats_dogs_from_scratch.py save them), then
the chapter's ``cats_and_dogs_small_2.h5`` and ``_1.h5`` in the current folder. It prints
the file it loaded and how that model was trained, from the JSON note the section-2
scripts save beside it (script, data, epochs; "not recorded" for a file without one).
Without any model it trains the chapter's net briefly on the SYNTHETIC shapes folder.
A model trained on the synthetic shapes, or a synthetic picture, is marked "NOTE:
SYNTHETIC" at the end: the pictures then show shapes, not cats.

Expected result: early layers keep almost all of the picture (edge detectors); deeper
ones grow abstract and sparser, more channels blank. A few seconds with a saved model;
about a minute when it must train one.

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
from minicnn.visualization.activations import (activation_model, save_activation_grids,
                                               save_channel)

from _common import (KAGGLE_DIR, SYNTHETIC_DIR, SYNTHETIC_NOTE, describe_training, is_synthetic,
                     output_folder)

MODELS = [os.path.join("runs", "cats_dogs_augmented", "cats_and_dogs_small_2.h5"),
          os.path.join("runs", "cats_dogs_from_scratch", "cats_and_dogs_small_1.h5"),
          "cats_and_dogs_small_2.h5", "cats_and_dogs_small_1.h5"]    # the chapter's names
KAGGLE_TEST = os.path.join(KAGGLE_DIR, "test", "cats")

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--model", help="a saved model (default: section 2's, if present)")
parser.add_argument("--image", help="a picture (default: the first test cat, or a synthetic one)")
parser.add_argument("--out", help="folder for the pictures (default: runs/visualize_activations/)")
parser.add_argument("--quick", action="store_true",
                    help="without a saved model, train the stand-in for 3 steps, not 30")
args = parser.parse_args()
out = output_folder(args.out, __file__)
notes = []


def stand_in_model():
    """The chapter's from-scratch net, trained briefly on the synthetic shapes."""
    steps = 3 if args.quick else 30
    print(f"No saved cats-vs-dogs model (looked for {', '.join(MODELS)}): training the "
          f"chapter's net for {steps} steps on the SYNTHETIC shapes in {SYNTHETIC_DIR}")
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
    model.fit(train, steps_per_epoch=steps, epochs=1, verbose=2)
    notes.append(f"the model was trained here for {steps} steps on {SYNTHETIC_NOTE}")
    return model


path = args.model or next((m for m in MODELS if os.path.exists(m)), None)
if path:
    model = models.load_model(path)                                  # listing 5-25
    how, synthetic = describe_training(path)
    print(f"model: {path}")
    print(f"how it was trained: {how}")
    if synthetic:
        notes.append(f"the model {path} was trained on {SYNTHETIC_NOTE}")
else:
    model = stand_in_model()
model.summary()

img_path = args.image or next(iter(sorted(glob.glob(os.path.join(KAGGLE_TEST, "*.jpg")))), None)
if img_path is None:
    make_shapes_folder(SYNTHETIC_DIR)
    img_path = sorted(glob.glob(os.path.join(SYNTHETIC_DIR, "test", "*", "*")))[0]
if is_synthetic(img_path, levels=3):
    notes.append("the picture is a SYNTHETIC shape, not a cat")
img = image.load_img(img_path, target_size=(150, 150))               # listing 5-26
img_tensor = np.expand_dims(image.img_to_array(img), axis=0) / 255.
print("picture:", img_path, img_tensor.shape)

activation_net = activation_model(model)                             # listing 5-28
activations = activation_net.predict(img_tensor)                     # listing 5-29
print(len(activations), "activations; the first has shape", activations[0].shape)
for channel in (4, 7):                                               # listings 5-30
    where = os.path.join(out, f"first_layer_channel_{channel}.png")
    save_channel(activations[0], channel, where)
    print("channel", channel, "of the first layer:", where)
for name, grid, where in save_activation_grids(model, img_tensor, out):  # listing 5-31
    print(f"{name:16s} grid {grid.shape}: {where}")
for note in notes:
    print(f"NOTE: {note}: these pictures show what that net sees, not the chapter's.")
