"""Section 2 of the chapter end to end: the from-scratch convnet learns the synthetic
folder through ``flow_from_directory`` and ``fit``, and the section's scripts run.

The learning test is the proof that the whole pipeline works together (JPEG folder ->
DirectoryIterator -> generator fit -> evaluate_generator): the book's net, unchanged,
must go from chance to above 90% on held-out pictures within a bounded budget.
"""
import functools
import io
import json
import os
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from example_runs import run_example, runs_folder, stray_files
from minicnn import callbacks, layers, models, optimizers
from minicnn.datasets.shapes import make_shapes_folder
from minicnn.preprocessing.image import ImageDataGenerator

# The book trains with RMSprop(lr=1e-4). At 3e-4 the book's net learns the shapes sooner:
# this test's rule stops after 2,048-2,560 images (three initial seeds), against 3,584 at
# 1e-4 (one seed), so the test stays near a minute on 2 cores. With either rate RMSprop's
# steps are big enough that the decision threshold swings: the validation loss falls
# steadily while the validation accuracy of one epoch may read 0.5 (every picture on one
# side) and 1.0 the next. So the epochs are short (128 images), training stops at the
# first epoch whose validation accuracy reaches STOP_AT, and the verdict comes from the
# test split, which took no part in that choice. It trains for minutes of CPU: marked slow.
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


@pytest.fixture(scope="module")
def few_shapes(tmp_path_factory):
    """The same layout with 10 / 5 / 5 images per class: enough for the scripts to run."""
    return Path(make_shapes_folder(tmp_path_factory.mktemp("cats_dogs") / "few_shapes",
                                   n_train=10, n_validation=5, n_test=5))


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


@pytest.mark.slow
def test_the_book_convnet_learns_the_synthetic_folder(shapes):
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
    trace = "\n".join(                           # shown only when an assertion fails
        [f"synthetic shapes, the book's convnet, RMSprop({LEARNING_RATE}), batch {BATCH_SIZE}:"]
        + [f"  {(epoch + 1) * STEPS_PER_EPOCH * BATCH_SIZE:5d} images: acc {acc:.3f}  "
           f"val_acc {val_acc:.3f}  val_loss {val_loss:.3f}"
           for epoch, (acc, val_acc, val_loss) in enumerate(
               zip(curve["acc"], curve["val_acc"], curve["val_loss"]))]
        + [f"  test_acc {test_acc:.3f}  test_loss {test_loss:.3f}"])
    assert curve["val_acc"][0] < 0.8, trace              # it starts near chance ...
    assert curve["val_acc"][-1] > 0.9, trace             # ... and learns within the budget
    assert test_acc > 0.9, trace                         # on pictures it never saw


TINY_RUN = ("--epochs", "1", "--steps", "2", "--validation-steps", "1")


def check_training_run(result, cwd, folder, outputs):
    """The run printed its folder and each output's path (``folder`` as given or default)."""
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "Total params: 3,453,121" in out
    assert "Found 20 images belonging to 2 classes." in out
    assert f"Writing to {folder}{os.sep}" in out
    for output in outputs:
        assert f"saved to {folder / output}" in out
        assert (cwd / folder / output).stat().st_size > 100
    assert "NOTE: SYNTHETIC images (ellipses vs rectangles)" in out


def test_from_scratch_example_writes_where_out_says(few_shapes, tmp_path):
    cwd, elsewhere = tmp_path / "cwd", tmp_path / "elsewhere"
    result = run_example("cats_dogs_from_scratch.py", cwd, "--data", few_shapes,
                         "--out", elsewhere, *TINY_RUN)
    check_training_run(result, cwd, elsewhere, [
        "cats_and_dogs_small_1.h5", "cats_and_dogs_small_1.json",
        "cats_and_dogs_small_1_accuracy.png", "cats_and_dogs_small_1_loss.png"])
    assert "data batch shape: (20, 150, 150, 3)" in result.stdout
    assert "labels batch shape: (20,)" in result.stdout
    assert os.listdir(cwd) == []                          # --out: nothing in the cwd


def test_augmented_example_writes_under_runs_and_section_4_says_what_it_loaded(few_shapes,
                                                                              tmp_path):
    """The chain a reader follows: section 2 saves ``cats_and_dogs_small_2.h5`` under runs/,
    section 4's visualize_activations.py finds it there, says which file it loaded, how it
    was trained (the JSON note beside it) and that the images were synthetic."""
    cwd = tmp_path / "cwd"
    result = run_example("cats_dogs_augmented.py", cwd, "--data", few_shapes, *TINY_RUN)
    folder = runs_folder(cwd, "cats_dogs_augmented.py")
    check_training_run(result, cwd, folder.relative_to(cwd), [
        "augmented_images.png", "cats_and_dogs_small_2.h5", "cats_and_dogs_small_2.json",
        "cats_and_dogs_small_2_accuracy.png", "cats_and_dogs_small_2_loss.png"])
    note = json.loads((folder / "cats_and_dogs_small_2.json").read_text())
    assert note["script"] == "examples/cats_dogs_augmented.py" and note["synthetic"] is True
    assert (note["epochs"], note["steps_per_epoch"], note["batch_size"]) == (1, 2, 32)
    assert note["data"] == str(few_shapes) and set(note["last_epoch"]) >= {"acc", "val_acc"}

    picture = sorted((few_shapes / "test" / "circles").iterdir())[0]
    shown = run_example("visualize_activations.py", cwd, "--image", picture,
                        env={"MINICNN_HOME": str(tmp_path / "home")})
    assert shown.returncode == 0, shown.stdout[-3000:] + shown.stderr[-3000:]
    out = shown.stdout
    model = os.path.join("runs", "cats_dogs_augmented", "cats_and_dogs_small_2.h5")
    assert f"model: {model}\n" in out
    assert ("how it was trained: by examples/cats_dogs_augmented.py on "
            f"{note['saved']}: 1 epoch(s) of 2 steps of 32 images from {few_shapes} "
            "(SYNTHETIC shapes); last epoch val_acc") in out
    assert f"NOTE: the model {model} was trained on SYNTHETIC images" in out
    assert "NOTE: the picture is a SYNTHETIC shape, not a cat" in out
    assert "8 activations; the first has shape (1, 148, 148, 32)" in out
    assert (runs_folder(cwd, "visualize_activations.py") / "conv2d_4.png").is_file()
    assert stray_files(cwd, "cats_dogs_augmented.py", "visualize_activations.py") == []


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
    result = run_example("make_small_cats_dogs.py", tmp_path / "cwd", "--source", source,
                         "--dest", dest)
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
    again = run_example("make_small_cats_dogs.py", tmp_path / "cwd", "--source", source,
                        "--dest", dest)
    assert again.returncode == 0 and "total test dog images: 500" in again.stdout
    assert {f: os.stat(dest / f).st_mtime_ns for f in listing(dest)} == stamps   # idempotent


def test_make_small_cats_dogs_without_source(tmp_path):
    result = run_example("make_small_cats_dogs.py", tmp_path / "cwd",
                         env={"MINICNN_HOME": str(tmp_path / "home")})
    assert result.returncode != 0
    assert "https://www.kaggle.com/c/dogs-vs-cats/data" in result.stderr
    assert "--synthetic" in result.stderr


def test_make_small_cats_dogs_missing_images(tmp_path):
    source = make_source(tmp_path, "folder", names=kaggle_names(1200))
    result = run_example("make_small_cats_dogs.py", tmp_path / "cwd", "--source", str(source),
                         "--dest", str(tmp_path / "small"))
    assert result.returncode != 0
    assert "1600 images are missing" in result.stderr and "cat.1200.jpg" in result.stderr
    assert not [f for f in listing(tmp_path / "small") if f.endswith(".part")]


def test_make_small_cats_dogs_not_a_zip(tmp_path):
    bad = tmp_path / "train.zip"
    bad.write_bytes(b"not a zip")
    result = run_example("make_small_cats_dogs.py", tmp_path / "cwd", "--source", str(bad),
                         "--dest", str(tmp_path / "small"))
    assert result.returncode != 0 and "is not a zip file" in result.stderr
