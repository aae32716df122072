"""Small helpers the examples share (not part of the chapter's listings).

Where they write: ``output_folder`` gives each script ``runs/<script>/`` under the current
folder (``--out`` to change), so the clone stays clean. What a saved model is:
``save_training_note`` writes a JSON note beside each ``.h5`` the section-2 scripts save
(script, data, epochs, synthetic or not), and ``describe_training`` reads it back for
section 4's ``visualize_activations.py``.
"""
import datetime
import json
import os
import tempfile

import numpy as np

import minicnn
from minicnn import layers, models
from minicnn.applications import vgg16
from minicnn.datasets import mnist
from minicnn.datasets.shapes import make_shapes_folder
from minicnn.utils import to_categorical
from minicnn.utils.data_utils import minicnn_home

KAGGLE_DIR = os.path.join(minicnn_home(), "datasets", "cats_and_dogs_small")  # listing 5-4's
SYNTHETIC_DIR = os.path.join(minicnn_home(), "datasets", "synthetic_shapes_small")
RUNS_DIR = "runs"                                # every example's outputs, under the cwd
SYNTHETIC_NOTE = "SYNTHETIC images (ellipses vs rectangles), not the chapter's cats and dogs"
_scratch = []                                    # temporary folders, removed at exit


def output_folder(out, script):
    """The folder a script writes to: ``out`` (``--out``) if given, else
    ``runs/<script name>/`` under the current folder; made, and printed."""
    folder = out or os.path.join(RUNS_DIR, os.path.splitext(os.path.basename(script))[0])
    os.makedirs(folder, exist_ok=True)
    print(f"Writing to {folder}{os.sep} (--out DIR to change)")
    return folder


def note_path(model_path):
    """``runs/x/cats_and_dogs_small_2.h5`` -> ``runs/x/cats_and_dogs_small_2.json``."""
    return os.path.splitext(model_path)[0] + ".json"


def save_training_note(model_path, script, data, notes, history, **settings):
    """Write how ``model_path`` was trained as JSON beside it; returns the note's path.

    ``settings`` are the run's numbers (``epochs``, ``steps_per_epoch``, ``batch_size``,
    ``quick``, ...); ``notes`` those of ``cats_dogs_folder`` (synthetic images or not).
    """
    record = {"model": os.path.basename(model_path), "bytes": os.path.getsize(model_path),
              "script": f"examples/{os.path.basename(script)}",
              "data": os.path.abspath(data), "synthetic": SYNTHETIC_NOTE in notes,
              **settings,
              "last_epoch": {k: round(float(v[-1]), 4) for k, v in history.history.items()},
              "saved": datetime.datetime.now().isoformat(timespec="seconds"),
              "minicnn": minicnn.__version__}
    path = note_path(model_path)
    with open(path, "w") as f:
        json.dump(record, f, indent=1)
    return path


def describe_training(model_path):
    """``(one line on how the model was trained, whether on synthetic images)``; the line
    says when no note lies beside the file (a model saved by other code)."""
    path = note_path(model_path)
    if not os.path.isfile(path):
        return (f"not recorded (no {os.path.basename(path)} beside it: a model saved by other "
                "code, e.g. the chapter's own Keras run)"), False
    try:
        with open(path) as f:
            note = json.load(f)
        if note["bytes"] != os.path.getsize(model_path):
            return (f"not known: {os.path.basename(path)} beside it describes another "
                    f"{note['model']} ({note['bytes']:,} bytes, this one has "
                    f"{os.path.getsize(model_path):,})"), False
        how = (f"by {note['script']}{' --quick' if note.get('quick') else ''} on "
               f"{note['saved']}: {note['epochs']} epoch(s) of {note['steps_per_epoch']} steps "
               f"of {note['batch_size']} images from {note['data']}")
    except (ValueError, KeyError, TypeError) as error:        # not the scripts' JSON
        return f"not known: {path} is not a training note ({error!r})", False
    if note.get("synthetic"):
        how += " (SYNTHETIC shapes)"
    last = note.get("last_epoch", {})
    if "val_acc" in last:
        how += f"; last epoch val_acc {last['val_acc']}"
    return how, bool(note.get("synthetic"))


def cats_dogs_folder(data, quick, notes):
    """The folder holding ``train/``, ``validation/``, ``test/`` for the section-2 and 3 examples.

    ``data`` (``--data``) if given; with ``quick`` a tiny temporary 32x32 synthetic one;
    else the Kaggle folder of listing 5-4 if it exists, else the SYNTHETIC shapes folder.
    Appends to ``notes`` when the images are synthetic.
    """
    base_dir = data
    if base_dir is None and quick:
        _scratch.append(tempfile.TemporaryDirectory())
        base_dir = make_shapes_folder(os.path.join(_scratch[-1].name, "shapes"), 10, 5, 5,
                                      size=32)
    elif base_dir is None:
        if os.path.isdir(os.path.join(KAGGLE_DIR, "train")):
            base_dir = KAGGLE_DIR
        else:
            print(f"No Kaggle folder at {KAGGLE_DIR} (examples/make_small_cats_dogs.py makes "
                  f"it).\nUsing the SYNTHETIC shapes folder {SYNTHETIC_DIR} instead: ellipses "
                  "against rectangles, not photos; the accuracies below say nothing about cats "
                  "and dogs.")
            base_dir = make_shapes_folder(SYNTHETIC_DIR)
    if is_synthetic(base_dir):
        notes.append(SYNTHETIC_NOTE)
    return base_dir


def is_synthetic(path, levels=0):
    """Whether ``path`` is a SYNTHETIC shapes folder, or lies up to ``levels`` folders
    inside one (``test/circles/x.png``: 3); the folder's README.txt says so."""
    folder = os.path.abspath(path)
    for _ in range(levels + 1):
        readme = os.path.join(folder, "README.txt")
        if os.path.isfile(readme):
            with open(readme) as f:
                return f.read().startswith("SYNTHETIC")
        folder = os.path.dirname(folder)
    return False


def vgg16_base(weights, size, notes, download=True):
    """Listing 5-16's ``VGG16(include_top=False)`` at ``size x size``.

    ``weights`` is ``--weights``: ``'imagenet'``, ``'none'`` or a file. Without the
    ImageNet file and without network (or with ``download=False``, as ``--quick`` asks,
    when the file is not on this machine) it goes on with random weights, says so, and
    appends that to ``notes``.
    """
    weights = None if weights.lower() == "none" else weights
    if weights == "imagenet" and not download and local_vgg16_weights(False) is None:
        spec = vgg16.WEIGHTS[False]
        print(f"\n--quick never downloads: VGG16(weights='imagenet', include_top=False) needs "
              f"Keras' file {spec.fname}, which is in none of "
              f"{', '.join(vgg16.weights_folders())} (see weights/README.md)."
              "\n\n*** Continuing with RANDOM weights. ***\n")
        weights = None
    try:
        conv_base = vgg16.VGG16(weights=weights, include_top=False, input_shape=(size, size, 3))
    except OSError as error:                          # DownloadError: no file, no network
        print(f"\n{error}\n\n*** Continuing with RANDOM weights. ***\n")
        conv_base = vgg16.VGG16(weights=None, include_top=False, input_shape=(size, size, 3))
        weights = None
    if weights is None:
        notes.append("RANDOM VGG16 weights, not ImageNet's")
    return conv_base


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
