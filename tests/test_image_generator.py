"""ImageDataGenerator, flow and flow_from_directory, against real Keras 3 fixtures
(``tests/make_image_fixtures.py``) and for their own promises: epochs, seeds,
threads, class modes, subsets and clear errors."""
import json
import os
import threading

import numpy as np
import pytest
from PIL import Image

from minicnn.preprocessing import image

FIXTURES = os.path.join(os.path.dirname(__file__), "data", "image_fixtures.npz")
KEYS = ["theta", "tx", "ty", "shear", "zx", "zy", "flip_horizontal", "flip_vertical"]
BOOK = dict(rotation_range=40, width_shift_range=0.2, height_shift_range=0.2,
            shear_range=0.2, zoom_range=0.2, horizontal_flip=True, fill_mode="nearest")


@pytest.fixture(scope="module")
def keras():
    with np.load(FIXTURES) as data:
        return {key: data[key] for key in data.files}


@pytest.fixture
def folder(tmp_path, keras):
    """The fixtures' tiny class folder: cats (5), dogs (4 + 1 nested), zebras (3), a .txt."""
    names = json.loads(str(keras["folder/names"]))
    for k, rel in enumerate(names):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(keras[f"folder/pixels/{k}"]).save(path)
    (tmp_path / "cats" / "notes.txt").write_text("not an image\n")
    return str(tmp_path)


def make_folder(root, counts, size=(8, 10)):
    rng = np.random.default_rng(0)
    for cls, n in counts.items():
        os.makedirs(os.path.join(root, cls), exist_ok=True)
        for k in range(n):
            pixels = rng.integers(0, 256, size + (3,), dtype=np.uint8)
            Image.fromarray(pixels).save(os.path.join(root, cls, f"{cls}.{k}.png"))
    return str(root)


# ------------------------------------------------------------ the generator
def test_get_random_transform_matches_keras_draws(keras):
    settings = json.loads(str(keras["random/settings"]))
    draws = keras["random/draws"]
    for i, kwargs in enumerate(settings):
        generator = image.ImageDataGenerator(**kwargs)
        for j, seed in enumerate(keras["random/seeds"]):
            for k, shape in enumerate(keras["random/shapes"]):
                params = generator.get_random_transform(tuple(shape), seed=int(seed))
                got = [float(params[key]) for key in KEYS]
                np.testing.assert_array_equal(got, draws[i, j, k], err_msg=f"{kwargs} {seed}")
                assert params["channel_shift_intensity"] is None and params["brightness"] is None


def test_unseeded_draws_use_numpys_global_generator():
    generator = image.ImageDataGenerator(**BOOK)
    np.random.seed(3)
    assert generator.get_random_transform((30, 40, 3)) == \
        generator.get_random_transform((30, 40, 3), seed=3)


def test_random_transform_and_standardize_order():
    x = np.random.default_rng(0).random((12, 10, 3)).astype(np.float32) * 255
    generator = image.ImageDataGenerator(**BOOK)
    out = generator.random_transform(x, seed=4)
    expected = generator.apply_transform(x, generator.get_random_transform(x.shape, seed=4))
    np.testing.assert_array_equal(out, expected)
    generator = image.ImageDataGenerator(rescale=0.5, preprocessing_function=lambda v: v - 100)
    np.testing.assert_allclose(generator.standardize(x.copy()), (x - 100) * 0.5, rtol=1e-6)
    as_int = image.ImageDataGenerator(rescale=0.5).standardize(np.full((2, 2, 1), 9, np.uint8))
    assert as_int.dtype == np.float32 and as_int[0, 0, 0] == 4.5


@pytest.mark.parametrize("kwargs, name", [
    (dict(fill_mode="mirror"), "fill_mode"), (dict(validation_split=1.0), "validation_split"),
    (dict(validation_split=-0.1), "validation_split"), (dict(zoom_range=[1, 2, 3]), "zoom_range"),
    (dict(rotation_range=-5), "rotation_range"), (dict(width_shift_range="x"), "width_shift"),
    (dict(preprocessing_function=3), "preprocessing_function"),
    (dict(data_format="channels_first"), "channels_last")])
def test_generator_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        image.ImageDataGenerator(**kwargs)


def test_unsupported_keras_keys_are_refused():
    with pytest.raises(ValueError, match="brightness"):
        image.ImageDataGenerator().apply_transform(np.zeros((2, 2, 1)), {"brightness": 1.2})


# ------------------------------------------------------------------- flow
def test_flow_matches_keras_batches(keras):
    generator = image.ImageDataGenerator(rescale=1.0 / 255, **BOOK)
    x = keras["flow/x"]
    iterator = generator.flow(x, np.arange(7), batch_size=3, seed=11)
    for b in range(6):                                   # two epochs: 3, 3, 1, 3, 3, 1
        bx, by = next(iterator)
        np.testing.assert_array_equal(by, keras[f"flow/next/{b}/y"])
        np.testing.assert_allclose(bx, keras[f"flow/next/{b}/x"], atol=1e-6)
    iterator = generator.flow(x, np.arange(7), batch_size=3, seed=5)
    for b, idx in enumerate([0, 2, 1]):
        bx, by = iterator[idx]
        np.testing.assert_array_equal(by, keras[f"flow/getitem/{b}/y"])
        np.testing.assert_allclose(bx, keras[f"flow/getitem/{b}/x"], atol=1e-6)


def test_flow_epochs_lengths_and_shapes():
    x = np.random.default_rng(0).random((10, 6, 5, 3)).astype(np.float64)
    iterator = image.ImageDataGenerator().flow(x, np.arange(10), batch_size=4, seed=1)
    assert len(iterator) == 3 and iterator.n == 10 and iterator.batch_size == 4
    epochs = [[next(iterator) for _ in range(3)] for _ in range(3)]
    for epoch in epochs:
        assert [len(by) for _, by in epoch] == [4, 4, 2]
        assert sorted(np.concatenate([by for _, by in epoch])) == list(range(10))
        bx, by = epoch[0]
        assert bx.dtype == np.float32 and bx.shape == (4, 6, 5, 3)
        np.testing.assert_allclose(bx, x[by], rtol=1e-6)  # no augmentation: the samples
    orders = {tuple(np.concatenate([by for _, by in epoch])) for epoch in epochs}
    assert len(orders) == 3                              # reshuffled every epoch
    plain = image.ImageDataGenerator().flow(x, batch_size=4, shuffle=False)
    assert isinstance(next(plain), np.ndarray)           # no y: images only
    np.testing.assert_allclose(next(plain), x[4:8], rtol=1e-6)


def test_flow_sample_weight_subset_and_errors():
    x, y = np.zeros((10, 4, 4, 1)), np.tile([0, 1], 5)
    generator = image.ImageDataGenerator(validation_split=0.3)
    bx, by, bw = next(generator.flow(x, y, sample_weight=np.arange(10.0), batch_size=10,
                                     shuffle=False))
    np.testing.assert_array_equal(bw, np.arange(10.0))
    assert generator.flow(x, y, subset="validation").n == 3
    assert generator.flow(x, y, subset="training").n == 7
    with pytest.raises(ValueError, match="different classes"):
        generator.flow(x, np.sort(y), subset="training")
    with pytest.raises(ValueError, match="subset"):
        generator.flow(x, y, subset="test")
    with pytest.raises(ValueError, match="validation_split"):
        image.ImageDataGenerator().flow(x, y, subset="training")
    with pytest.raises(ValueError, match=r"\(N, H, W, C\)"):
        generator.flow(np.zeros((10, 4, 4)))
    with pytest.raises(ValueError, match="same length"):
        generator.flow(x, y[:5])
    with pytest.raises(ValueError, match="batch_size"):
        generator.flow(x, y, batch_size=0)


def test_threads_do_not_change_the_batches():
    """Seeded streams are identical with 0, 1 or 3 workers and any queue size, through
    reset(), __getitem__ and on_epoch_end."""
    x = np.random.default_rng(0).random((11, 9, 7, 3)).astype(np.float32)
    generator = image.ImageDataGenerator(**BOOK)

    def run(workers, queue):
        iterator = generator.flow(x, np.arange(11), batch_size=4, seed=9, workers=workers,
                                  max_queue_size=queue)
        out = [next(iterator) for _ in range(4)]
        iterator.reset()
        out += [next(iterator) for _ in range(2)]
        out.append(iterator[1])
        iterator.on_epoch_end()
        out += [iterator[0], next(iterator)]
        iterator.close()
        return out

    reference = run(0, 0)
    for workers, queue in ((1, 1), (3, 4)):
        for (ax, ay), (bx, by) in zip(reference, run(workers, queue)):
            np.testing.assert_array_equal(ay, by)
            np.testing.assert_array_equal(ax, bx)


def test_close_stops_the_threads_and_next_restarts_them():
    x = np.zeros((6, 4, 4, 1), np.float32)
    with image.ImageDataGenerator().flow(x, batch_size=2, workers=2) as iterator:
        next(iterator)
        assert any(t.name.startswith("minicnn-image") for t in threading.enumerate())
    assert iterator._executor is None
    assert next(iterator).shape == (2, 4, 4, 1)
    iterator.close()


# ------------------------------------------------------- flow_from_directory
def test_flow_from_directory_matches_keras(folder, keras, capsys):
    generator = image.ImageDataGenerator(rescale=1.0 / 255, validation_split=0.34, **BOOK)
    iterator = generator.flow_from_directory(folder, target_size=(10, 12), class_mode="binary",
                                             batch_size=4, seed=3, interpolation="bilinear")
    assert capsys.readouterr().out == "Found 13 images belonging to 3 classes.\n"
    assert iterator.filenames == json.loads(str(keras["folder/filenames"]))
    assert iterator.class_indices == json.loads(str(keras["folder/class_indices"]))
    np.testing.assert_array_equal(iterator.classes, keras["folder/classes"])
    assert iterator.samples == iterator.n == 13 and iterator.num_classes == 3
    assert iterator.filepaths[0] == os.path.join(folder, "cats", "cat.0.png")
    for b in range(5):
        bx, by = next(iterator)
        assert bx.shape[1:] == (10, 12, 3) and bx.dtype == np.float32 and by.dtype == np.float32
        np.testing.assert_array_equal(by, keras[f"folder/next/{b}/y"])
        np.testing.assert_allclose(bx, keras[f"folder/next/{b}/x"], atol=1e-6)
    for subset in ("training", "validation"):
        part = generator.flow_from_directory(folder, target_size=(10, 12), subset=subset)
        assert part.filenames == json.loads(str(keras[f"folder/{subset}/filenames"]))
    grey = image.ImageDataGenerator().flow_from_directory(
        folder, target_size=(7, 9), color_mode="grayscale", batch_size=13, shuffle=False)
    bx, by = next(grey)
    np.testing.assert_array_equal(bx, keras["folder/grey/x"])
    np.testing.assert_array_equal(by, keras["folder/grey/y"])


@pytest.mark.parametrize("class_mode", ["categorical", "binary", "sparse", "input", None])
def test_class_modes(tmp_path, class_mode):
    root = make_folder(tmp_path, {"cats": 3, "dogs": 2})
    iterator = image.ImageDataGenerator(rescale=1 / 255).flow_from_directory(
        root, target_size=(5, 6), class_mode=class_mode, batch_size=5, shuffle=False,
        workers=0)
    batch = next(iterator)
    x = batch if class_mode is None else batch[0]
    assert isinstance(x, np.ndarray) and x.shape == (5, 5, 6, 3) and x.max() <= 1
    if class_mode == "categorical":
        np.testing.assert_array_equal(batch[1], np.eye(2, dtype=np.float32)[[0, 0, 0, 1, 1]])
    elif class_mode in ("binary", "sparse"):
        assert batch[1].dtype == np.float32
        np.testing.assert_array_equal(batch[1], [0, 0, 0, 1, 1])
    elif class_mode == "input":
        np.testing.assert_array_equal(batch[1], x)
        assert batch[1] is not x


def test_directory_classes_links_and_bad_files(tmp_path):
    root = make_folder(tmp_path / "data", {"a": 2, "b": 2, "c": 1})
    (tmp_path / "data" / "b" / "skip.gif").write_bytes(b"GIF89a")   # not in Keras' list
    (tmp_path / "data" / "b" / "UPPER.JPG").write_bytes(b"")         # in it, any case
    generator = image.ImageDataGenerator()
    picked = generator.flow_from_directory(root, classes=["c", "a"], target_size=(4, 4))
    assert picked.class_indices == {"c": 0, "a": 1}
    assert picked.filenames == ["c/c.0.png", "a/a.0.png", "a/a.1.png"]
    os.symlink(os.path.join(root, "c"), os.path.join(root, "a", "linked"))
    assert generator.flow_from_directory(root, target_size=(4, 4)).samples == 6
    followed = generator.flow_from_directory(root, target_size=(4, 4), follow_links=True)
    assert "a/linked/c.0.png" in followed.filenames and followed.samples == 7
    iterator = generator.flow_from_directory(root, classes=["b"], target_size=(4, 4),
                                             batch_size=3, shuffle=False)
    assert iterator.filenames[0] == "b/UPPER.JPG"
    with pytest.raises(OSError, match="UPPER.JPG"):
        next(iterator)


@pytest.mark.parametrize("kwargs, name", [
    (dict(class_mode="multi"), "class_mode"), (dict(color_mode="hsv"), "color_mode"),
    (dict(interpolation="area"), "interpolation"), (dict(target_size=(150,)), "target_size"),
    (dict(target_size=(150, -1)), "target_size"), (dict(subset="training"), "validation_split"),
    (dict(classes=["cats", "horses"]), "horses")])
def test_directory_bad_arguments(tmp_path, kwargs, name):
    root = make_folder(tmp_path, {"cats": 1, "dogs": 1})
    with pytest.raises(ValueError, match=name):
        image.ImageDataGenerator().flow_from_directory(root, **kwargs)


def test_directory_missing_or_empty(tmp_path):
    generator = image.ImageDataGenerator()
    with pytest.raises(ValueError, match="does not exist"):
        generator.flow_from_directory(str(tmp_path / "nowhere"))
    with pytest.raises(ValueError, match="no class sub-folders"):
        generator.flow_from_directory(str(tmp_path))
    (tmp_path / "cats").mkdir()
    (tmp_path / "cats" / "readme.md").write_text("no pictures here")
    with pytest.raises(ValueError, match="no image files"):
        generator.flow_from_directory(str(tmp_path))


def test_directory_threads_and_seeds(tmp_path):
    root = make_folder(tmp_path, {"cats": 7, "dogs": 6}, size=(12, 12))
    generator = image.ImageDataGenerator(rescale=1 / 255, **BOOK)

    def run(workers, seed):
        iterator = generator.flow_from_directory(root, target_size=(10, 10), batch_size=5,
                                                 seed=seed, workers=workers)
        return [next(iterator) for _ in range(6)]      # two epochs and a bit

    reference = run(0, 1)
    for (ax, ay), (bx, by) in zip(reference, run(3, 1)):
        np.testing.assert_array_equal(ax, bx)
        np.testing.assert_array_equal(ay, by)
    other = run(3, 2)
    assert not all(np.array_equal(a[0], b[0]) for a, b in zip(reference, other))
