"""Section 2 of the chapter end to end: the from-scratch convnet learns the synthetic
folder through ``flow_from_directory`` and ``fit``, and the section's scripts run.

The learning test is the proof that the whole pipeline works together (JPEG folder ->
DirectoryIterator -> generator fit -> evaluate_generator): the book's net, unchanged,
must go from chance to above 90% on held-out pictures within a bounded budget.
"""
import functools
import io
import os
import subprocess
import sys
import zipfile

import pytest
from PIL import Image

from minicnn import callbacks, layers, models, optimizers
from minicnn.datasets.shapes import make_shapes_folder
from minicnn.preprocessing.image import ImageDataGenerator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")

# The book trains with RMSprop(lr=1e-4). At 3e-4 the book's net learns the shapes sooner:
# this test's rule stops after 2,048-2,560 images (three initial seeds), against 3,584 at
# 1e-4 (one seed), so the test stays near a minute on 2 cores. With either rate RMSprop's
# steps are big enough that the decision threshold swings: the validation loss falls
# steadily while the validation accuracy of one epoch may read 0.5 (every picture on one
# side) and 1.0 the next. So the epochs are short (128 images), training stops at the
# first epoch whose validation accuracy reaches STOP_AT, and the verdict comes from the
# test split, which took no part in that choice.
LEARNING_RATE = 3e-4
BATCH_SIZE = 32
STEPS_PER_EPOCH = 4                      # 128 images per epoch
MAX_EPOCHS = 32                          # at most 4,096 training images
STOP_AT = 0.95


def book_convnet():
    """Listing 5-5, exactly."""
    model = models.Sequential()
    model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(150, 150, 3)))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(128, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(128, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Flatten())
    model.add(layers.Dense(512, activation="relu"))
    model.add(layers.Dense(1, activation="sigmoid"))
    return model


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    """A small synthetic folder in the chapter's layout: 500 / 64 / 100 images per class."""
    return make_shapes_folder(tmp_path_factory.mktemp("cats_dogs") / "shapes", n_train=500,
                              n_validation=64, n_test=100)


def test_book_convnet_summary():
    lines = []
    book_convnet().summary(print_fn=lines.append)
    text = "\n".join(lines)
    for shape in ("(None, 148, 148, 32)", "(None, 74, 74, 32)", "(None, 72, 72, 64)",
                  "(None, 36, 36, 64)", "(None, 34, 34, 128)", "(None, 17, 17, 128)",
                  "(None, 15, 15, 128)", "(None, 7, 7, 128)", "(None, 6272)",
                  "(None, 512)", "(None, 1)"):
        assert shape in text
    assert "Total params: 3,453,121" in text


def test_the_book_convnet_learns_the_synthetic_folder(shapes, capsys):
    model = book_convnet()
    model.compile(loss="binary_crossentropy", optimizer=optimizers.RMSprop(lr=LEARNING_RATE),
                  metrics=["acc"])
    datagen = ImageDataGenerator(rescale=1. / 255)
    train_generator = datagen.flow_from_directory(
        os.path.join(shapes, "train"), target_size=(150, 150), batch_size=BATCH_SIZE,
        class_mode="binary", seed=0)
    validation_generator = datagen.flow_from_directory(
        os.path.join(shapes, "validation"), target_size=(150, 150), batch_size=BATCH_SIZE,
        class_mode="binary", seed=0)
    test_generator = datagen.flow_from_directory(
        os.path.join(shapes, "test"), target_size=(150, 150), batch_size=50,
        class_mode="binary", shuffle=False)
    x, y = next(train_generator)
    assert x.shape == (BATCH_SIZE, 150, 150, 3) and y.shape == (BATCH_SIZE,)
    assert train_generator.class_indices == {"circles": 0, "squares": 1}

    def stop_when_learned(epoch, logs):
        model.stop_training = logs["val_acc"] >= STOP_AT

    history = model.fit(train_generator, steps_per_epoch=STEPS_PER_EPOCH, epochs=MAX_EPOCHS,
                        validation_data=validation_generator,
                        validation_steps=128 // BATCH_SIZE,      # the whole validation split
                        callbacks=[callbacks.LambdaCallback(on_epoch_end=stop_when_learned)],
                        verbose=0)
    test_loss, test_acc = model.evaluate_generator(test_generator, steps=4)   # all 200
    curve = history.history
    with capsys.disabled():
        print("\nsynthetic shapes, the book's convnet, RMSprop(3e-4), batch 32:")
        for epoch, (acc, val_acc, val_loss) in enumerate(
                zip(curve["acc"], curve["val_acc"], curve["val_loss"])):
            print(f"  {(epoch + 1) * STEPS_PER_EPOCH * BATCH_SIZE:5d} images: acc {acc:.3f}  "
                  f"val_acc {val_acc:.3f}  val_loss {val_loss:.3f}")
        print(f"  test_acc {test_acc:.3f}  test_loss {test_loss:.3f}")
    assert curve["val_acc"][0] < 0.8                     # it starts near chance ...
    assert curve["val_acc"][-1] > 0.9                    # ... and learns within the budget
    assert test_acc > 0.9                                # on pictures it never saw


def run_example(name, *args, cwd=None):
    return subprocess.run([sys.executable, os.path.join(EXAMPLES, name), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("name, outputs", [
    ("cats_dogs_from_scratch.py", ["cats_and_dogs_small_1.h5",
                                   "cats_and_dogs_small_1_accuracy.png",
                                   "cats_and_dogs_small_1_loss.png"]),
    ("cats_dogs_augmented.py", ["augmented_images.png", "cats_and_dogs_small_2.h5",
                                "cats_and_dogs_small_2_accuracy.png",
                                "cats_and_dogs_small_2_loss.png"])])
def test_examples_run(shapes, tmp_path, name, outputs):
    result = run_example(name, "--data", shapes, "--out", str(tmp_path), "--epochs", "1",
                         "--steps", "2", "--validation-steps", "1")
    assert result.returncode == 0, result.stderr
    assert "Total params: 3,453,121" in result.stdout
    assert "Found 1000 images belonging to 2 classes." in result.stdout
    for output in outputs:
        assert f"saved to {tmp_path / output}" in result.stdout
        assert (tmp_path / output).stat().st_size > 1000
    if name == "cats_dogs_from_scratch.py":
        assert "data batch shape: (20, 150, 150, 3)" in result.stdout
        assert "labels batch shape: (20,)" in result.stdout


# ------------------------------------------------------------ listing 5-4 (copying)
@functools.lru_cache(maxsize=None)
def tiny_jpeg():
    """The bytes of a 4x4 JPEG: every fake Kaggle image."""
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 100, 50)).save(buffer, format="JPEG")
    return buffer.getvalue()


def kaggle_names(count=2000):
    return [f"{animal}.{k}.jpg" for animal in ("cat", "dog") for k in range(count)]


def make_source(tmp_path, kind, names=None):
    """A fake Kaggle source: the ``train`` folder, ``train.zip`` or ``dogs-vs-cats.zip``."""
    names = kaggle_names() if names is None else names
    if kind == "folder":
        folder = tmp_path / "train"
        folder.mkdir()
        for name in names:
            (folder / name).write_bytes(tiny_jpeg())
        return folder
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in reversed(names):                     # storage order != copying order
            archive.writestr(f"train/{name}", tiny_jpeg())
    if kind == "train.zip":
        path = tmp_path / "train.zip"
        path.write_bytes(buffer.getvalue())
        return path
    path = tmp_path / "dogs-vs-cats.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("sampleSubmission.csv", "id,label\n")
        archive.writestr("train.zip", buffer.getvalue())
    return path


def listing(root):
    return sorted(os.path.relpath(os.path.join(d, n), root)
                  for d, _, names in os.walk(root) for n in names)


@pytest.mark.parametrize("kind", ["folder", "train.zip", "dogs-vs-cats.zip"])
def test_make_small_cats_dogs(tmp_path, kind):
    source = make_source(tmp_path, kind)
    dest = tmp_path / "small"
    result = run_example("make_small_cats_dogs.py", "--source", str(source), "--dest", str(dest))
    assert result.returncode == 0, result.stderr
    for line in ("total training cat images: 1000", "total validation dog images: 500",
                 "total test cat images: 500"):
        assert line in result.stdout
    files = listing(dest)
    assert len(files) == 4000
    for split, numbers in (("train", range(0, 1000)), ("validation", range(1000, 1500)),
                           ("test", range(1500, 2000))):
        for animal in ("cat", "dog"):
            names = sorted(os.listdir(dest / split / f"{animal}s"))
            assert names == sorted(f"{animal}.{k}.jpg" for k in numbers)
    assert (dest / "test" / "dogs" / "dog.1999.jpg").read_bytes() == tiny_jpeg()
    stamps = {f: os.stat(dest / f).st_mtime_ns for f in files}
    again = run_example("make_small_cats_dogs.py", "--source", str(source), "--dest", str(dest))
    assert again.returncode == 0 and "total test dog images: 500" in again.stdout
    assert {f: os.stat(dest / f).st_mtime_ns for f in listing(dest)} == stamps   # idempotent


def test_make_small_cats_dogs_without_source(tmp_path):
    env = dict(os.environ, MINICNN_HOME=str(tmp_path / "home"))
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES, "make_small_cats_dogs.py")],
                            cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode != 0
    assert "https://www.kaggle.com/c/dogs-vs-cats/data" in result.stderr
    assert "--synthetic" in result.stderr


def test_make_small_cats_dogs_missing_images(tmp_path):
    source = make_source(tmp_path, "folder", names=kaggle_names(1200))
    result = run_example("make_small_cats_dogs.py", "--source", str(source),
                         "--dest", str(tmp_path / "small"))
    assert result.returncode != 0
    assert "1600 images are missing" in result.stderr and "cat.1200.jpg" in result.stderr
    assert not [f for f in listing(tmp_path / "small") if f.endswith(".part")]


def test_make_small_cats_dogs_not_a_zip(tmp_path):
    bad = tmp_path / "train.zip"
    bad.write_bytes(b"not a zip")
    result = run_example("make_small_cats_dogs.py", "--source", str(bad),
                         "--dest", str(tmp_path / "small"))
    assert result.returncode != 0 and "is not a zip file" in result.stderr
