"""VGG16 (section 5.3): architecture, Keras' ImageNet weight files, freezing, fine-tuning.

The real weight files cannot be downloaded here, so ``vgg16_files.write_official`` writes
files in their exact layout (Keras 1 names, groups at the root, ``layer_names`` only). The
top variant is written for ``classes=10`` at 32x32 (fc1 512x4096): Keras allows that for a
weights path, and the 25088x4096 fc1 of the real file would cost 411 MB and seconds per
test without reaching any other code. Images are 32x32 throughout (VGG16's smallest).
"""
import json
import os
import tracemalloc
import warnings

import h5py
import numpy as np
import pytest

from minicnn import backend, initializers, layers, models, optimizers
from minicnn.applications import VGG16, imagenet_utils, vgg16
from minicnn.io import H5FormatError, WeightMismatchError
from minicnn.layers import conv as conv_module
from minicnn.preprocessing.image import ImageDataGenerator
from minicnn.utils.data_utils import DownloadError

import vgg16_files
from helpers import book_mnist_convnet

S = (32, 32, 3)
CONV_NAMES = [f"block{b}_conv{i}" for b, (_, n) in enumerate(vgg16_files.BLOCKS, 1)
              for i in range(1, n + 1)]
NOTOP = vgg16.WEIGHTS[False].fname


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Weight files in Keras' layouts (ramp-filled), written once for the module."""
    root = tmp_path_factory.mktemp("vgg16_files")
    paths = {"notop": root / NOTOP, "top": root / "top_10_classes_32.h5",
             "notop_kernel_first": root / "kernel_first.h5"}
    vgg16_files.write_official(paths["notop"], include_top=False)
    vgg16_files.write_official(paths["top"], include_top=True, classes=10, input_size=32)
    vgg16_files.write_official(paths["notop_kernel_first"], include_top=False,
                               naming="keras2", input_layer="input_1")
    return paths


def expected(include_top, **kwargs):
    return vgg16_files.fill(vgg16_files.vgg16_layers(include_top, **kwargs), "ramp")


def assert_weights_equal(model, values):
    loaded = [l for l in model.layers if l.get_weights()]
    assert [l.name for l in loaded] == list(values)
    for layer in loaded:
        got = layer.get_weights()
        assert len(got) == len(values[layer.name])
        for a, b in zip(got, values[layer.name]):
            assert a.dtype == np.float32 and np.array_equal(a, b), layer.name


def images(n, seed=0, shape=S):
    return (np.random.default_rng(seed).random((n,) + shape) * 255 - 120).astype("float32")


# ------------------------------------------------------------------ architecture
def test_architecture_names_shapes_and_counts(monkeypatch, capsys):
    conv_base = VGG16(weights=None, include_top=False, input_shape=(150, 150, 3))
    assert conv_base.name == "vgg16" and type(conv_base) is models.Model
    names = [l.name for l in conv_base.layers]
    assert names[0] == "input_1" and names[-1] == "block5_pool"
    assert [n for n in names if "conv" in n] == CONV_NAMES
    assert [n for n in names if "pool" in n] == [f"block{b}_pool" for b in range(1, 6)]
    assert conv_base.output_shape == (None, 4, 4, 512) and conv_base.count_params() == 14714688
    conv = conv_base.get_layer("block3_conv2")
    assert (conv.kernel_size, conv.padding, conv.activation.name) == ((3, 3), "same", "relu")
    conv_base.summary()
    out = capsys.readouterr().out
    assert "input_1 (InputLayer)         (None, 150, 150, 3)       0" in out
    assert "block5_pool (MaxPooling2D)   (None, 4, 4, 512)         0" in out
    assert "Total params: 14,714,688" in out
    any_size = VGG16(weights=None, include_top=False)
    assert any_size.input.shape == (None, None, None, 3) and any_size.layers[0].name == "input_2"
    assert any_size.predict(images(1, shape=(40, 72, 3))).shape == (1, 1, 2, 512)
    # the full classifier at 224x224: weights made lazily (zero pages) to spare 550 MB
    monkeypatch.setattr(initializers.GlorotUniform, "sample",
                        lambda self, shape, rng: np.zeros(shape, np.float32))
    full = VGG16(weights=None)
    assert [l.name for l in full.layers][-4:] == ["flatten", "fc1", "fc2", "predictions"]
    assert full.input.shape == (None, 224, 224, 3) and full.output_shape == (None, 1000)
    assert full.get_layer("fc1").params["kernel"].shape == (25088, 4096)
    assert full.count_params() == 138357544
    assert full.get_layer("predictions").activation.name == "softmax"


def test_keras_file_names_urls_and_hashes():
    base = "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
    top, notop = vgg16.WEIGHTS[True], vgg16.WEIGHTS[False]
    assert top.origin == base + "vgg16_weights_tf_dim_ordering_tf_kernels.h5"
    assert top.md5 == "64373286793e3c8b2b4e3219cbf3544b"
    assert notop.origin == base + "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
    assert notop.md5 == "6d6bbae143d832006294945121d1f1fc"


def test_the_three_import_paths_and_keras_signature():
    import minicnn.applications
    import minicnn.applications.vgg16 as module

    assert minicnn.applications.VGG16 is module.VGG16 is VGG16
    assert module.decode_predictions is imagenet_utils.decode_predictions
    top = VGG16(include_top=True, weights=None, input_shape=S, classes=7,
                classifier_activation=None)
    assert top.output_shape == (None, 7)
    assert top.get_layer("predictions").activation.name == "linear"
    inputs = layers.Input(shape=S)
    scaled = layers.Activation("linear", name="pre")(inputs)
    model = VGG16(include_top=False, weights=None, input_tensor=scaled)
    assert model.input is inputs and model.layers[1].name == "pre"
    assert model.output_shape == (None, 1, 1, 512)


# ------------------------------------------------------------- weight files
def test_notop_file_loads_layer_by_layer_exactly(files):
    model = VGG16(include_top=False, weights=str(files["notop"]), input_shape=S)
    assert_weights_equal(model, expected(False))
    any_size = VGG16(include_top=False, weights=files["notop"])       # a Path works too
    assert_weights_equal(any_size, expected(False))


def test_top_file_loads_layer_by_layer_exactly(files):
    model = VGG16(include_top=True, weights=str(files["top"]), classes=10, input_shape=S)
    assert_weights_equal(model, expected(True, classes=10, input_size=32))


def test_the_loader_follows_weight_names_not_alphabetical_order(files):
    with h5py.File(files["notop_kernel_first"], "r") as f:
        group = f["block1_conv1/block1_conv1"]
        assert list(group) == ["bias:0", "kernel:0"]                 # h5py: alphabetical
        assert [n.decode() for n in f["block1_conv1"].attrs["weight_names"]] == [
            "block1_conv1/kernel:0", "block1_conv1/bias:0"]          # the file's order
        assert f.attrs["layer_names"][0] == b"input_1"                # a weightless input layer
    model = VGG16(include_top=False, weights=str(files["notop_kernel_first"]), input_shape=S)
    assert_weights_equal(model, expected(False))


def test_saved_vgg16_files_load_back(files, tmp_path):
    model = VGG16(include_top=False, weights=str(files["notop"]), input_shape=S)
    model.save(tmp_path / "vgg16.h5")
    again = models.load_model(tmp_path / "vgg16.h5")
    assert again.name == "vgg16"
    assert [l.name for l in again.layers] == [l.name for l in model.layers]
    assert_weights_equal(again, expected(False))
    model.save_weights(tmp_path / "weights.h5")
    from_weights = VGG16(include_top=False, weights=str(tmp_path / "weights.h5"), input_shape=S)
    assert_weights_equal(from_weights, expected(False))
    from_model_file = VGG16(include_top=False, weights=str(tmp_path / "vgg16.h5"))
    assert_weights_equal(from_model_file, expected(False))


# ------------------------------------------------- weights='imagenet': where from
@pytest.fixture
def places(tmp_path, home, monkeypatch, files):
    """A fresh $MINICNN_HOME, ~ and working folder, and the fake notop file's MD5."""
    user = tmp_path / "user"
    work = tmp_path / "work"
    user.mkdir(), work.mkdir()
    monkeypatch.setenv("HOME", str(user))
    monkeypatch.chdir(work)
    spec = vgg16.WEIGHTS[False]
    monkeypatch.setitem(vgg16.WEIGHTS, False,
                        spec._replace(md5=vgg16_files.md5(files["notop"])))
    folders = {"minicnn": home / "models", "keras": user / ".keras" / "models",
               "repo": work / "weights"}
    assert vgg16.weights_folders() == [str(p) for p in folders.values()]
    return folders


def put(folder, source):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / NOTOP).symlink_to(source)


def test_imagenet_looks_in_minicnn_home_then_keras_then_weights(places, files, monkeypatch):
    monkeypatch.setenv("MINICNN_OFFLINE", "1")
    for name in ("repo", "keras", "minicnn"):                        # each one wins over the last
        put(places[name], files["notop"])
        assert vgg16.imagenet_weights(False) == str(places[name] / NOTOP)
    model = VGG16(include_top=False, weights="imagenet", input_shape=S)
    assert_weights_equal(model, expected(False))


def test_a_file_failing_its_md5_is_passed_over_with_a_warning(places, files, monkeypatch):
    monkeypatch.setenv("MINICNN_OFFLINE", "1")
    put(places["keras"], files["notop_kernel_first"])                 # another file, same name
    put(places["repo"], files["notop"])
    with pytest.warns(UserWarning, match=r"fail the MD5 check and were not used:\n.*\.keras"):
        assert vgg16.imagenet_weights(False) == str(places["repo"] / NOTOP)


@pytest.mark.parametrize("offline", [True, False])
def test_without_the_file_or_network_one_error_says_it_all(places, files, monkeypatch, offline,
                                                            recwarn):
    """No warning first, no chained tracebacks: which file, where it looked, what was wrong
    with the copy found there, how to get it, weights=None."""
    if offline:
        monkeypatch.setenv("MINICNN_OFFLINE", "1")
    else:                                   # a real failed download: nothing listens there
        spec = vgg16.WEIGHTS[False]
        monkeypatch.setitem(vgg16.WEIGHTS, False, spec._replace(
            origin="http://127.0.0.1:9/" + NOTOP))
    put(places["keras"], files["notop_kernel_first"])                 # another file, same name
    with pytest.raises(DownloadError) as error:
        VGG16(include_top=False, weights="imagenet", input_shape=S)
    message = str(error.value)
    assert error.value.__cause__ is None and error.value.__suppress_context__
    assert f"{places['keras'] / NOTOP}: " in message and "truncated, or another file" in message
    assert vgg16.md5(files["notop_kernel_first"]) in message
    assert "weights=None" in message and "none of these folders" not in message
    assert not [w for w in recwarn if "MD5" in str(w.message)]


def test_imagenet_downloads_once_into_minicnn_home(places, files, server, monkeypatch):
    (server.root / NOTOP).symlink_to(files["notop"])
    spec = vgg16.WEIGHTS[False]
    monkeypatch.setitem(vgg16.WEIGHTS, False, spec._replace(origin=server.url + NOTOP))
    model = VGG16(include_top=False, weights="imagenet", input_shape=S)
    assert_weights_equal(model, expected(False))
    assert server.requests == ["/" + NOTOP]
    assert (places["minicnn"] / NOTOP).is_file() and not (places["minicnn"] / NOTOP).is_symlink()
    VGG16(include_top=False, weights="imagenet", input_shape=S)
    assert server.requests == ["/" + NOTOP]                          # the cache served it


def test_offline_error_names_the_file_the_url_and_the_folders(places, monkeypatch):
    monkeypatch.setenv("MINICNN_OFFLINE", "1")
    with pytest.raises(DownloadError) as error:
        VGG16(include_top=False, weights="imagenet", input_shape=S)
    message = str(error.value)
    spec = vgg16.WEIGHTS[False]
    for text in (spec.fname, spec.origin, spec.md5, "weights/README.md", "weights=None",
                 *map(str, places.values())):
        assert text in message
    assert error.value.url == spec.origin and not places["minicnn"].exists()


def test_a_corrupt_download_is_refused(places, files, server, monkeypatch):
    (server.root / NOTOP).write_bytes(b"not the weights")
    spec = vgg16.WEIGHTS[False]
    monkeypatch.setitem(vgg16.WEIGHTS, False, spec._replace(origin=server.url + NOTOP))
    with pytest.raises(DownloadError, match="hash"):
        VGG16(include_top=False, weights="imagenet", input_shape=S)
    assert not (places["minicnn"] / NOTOP).exists()


def test_the_top_file_is_looked_up_by_its_own_name_and_hash(places, tmp_path, monkeypatch):
    monkeypatch.setenv("MINICNN_OFFLINE", "1")
    spec = vgg16.WEIGHTS[True]
    assert spec.fname == "vgg16_weights_tf_dim_ordering_tf_kernels.h5"
    assert spec.md5 == "64373286793e3c8b2b4e3219cbf3544b"
    places["keras"].mkdir(parents=True)
    (places["keras"] / spec.fname).write_bytes(b"stand-in")
    monkeypatch.setitem(vgg16.WEIGHTS, True, spec._replace(md5=vgg16_files.md5(
        places["keras"] / spec.fname)))
    assert vgg16.imagenet_weights(True) == str(places["keras"] / spec.fname)


# ------------------------------------------------------------------ bad input
def test_the_other_variants_file_is_named(files):
    with pytest.raises(WeightMismatchError, match="include_top=True file"):
        VGG16(include_top=False, weights=str(files["top"]), input_shape=S)
    with pytest.raises(WeightMismatchError, match="include_top=False file"):
        VGG16(include_top=True, weights=str(files["notop"]), classes=10, input_shape=S)
    with pytest.raises(WeightMismatchError, match=r"predictions.*\(4096, 5\).*\(4096, 10\)"):
        VGG16(include_top=True, weights=str(files["top"]), classes=5, input_shape=S)


def test_truncated_alien_and_missing_files(files, tmp_path):
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(files["notop"].read_bytes()[:100000])
    with pytest.raises(H5FormatError, match="truncated.h5"):
        VGG16(include_top=False, weights=str(truncated), input_shape=S)
    (tmp_path / "text.h5").write_text("hello")
    with pytest.raises(H5FormatError, match="not an HDF5 file"):
        VGG16(include_top=False, weights=str(tmp_path / "text.h5"), input_shape=S)
    book_mnist_convnet().save_weights(tmp_path / "mnist.h5")
    with pytest.raises(WeightMismatchError, match="does not look like a VGG16"):
        VGG16(include_top=False, weights=str(tmp_path / "mnist.h5"), input_shape=S)
    with pytest.raises(ValueError, match="no such file"):
        VGG16(include_top=False, weights=str(tmp_path / "nowhere.h5"))
    with pytest.raises(ValueError, match="it is a folder"):
        VGG16(include_top=False, weights=str(tmp_path))
    with pytest.raises(ValueError, match="weights must be None"):
        VGG16(include_top=False, weights=3)


def test_arguments_keras_refuses_are_refused_before_any_file_is_read():
    with pytest.raises(ValueError, match=r"must be \(224, 224, 3\)"):
        VGG16(include_top=True, weights="imagenet", input_shape=(150, 150, 3))
    with pytest.raises(ValueError, match="classes must be 1000"):
        VGG16(include_top=True, weights="imagenet", classes=2)
    with pytest.raises(ValueError, match="at least 32x32"):
        VGG16(include_top=False, weights=None, input_shape=(31, 64, 3))
    with pytest.raises(ValueError, match="3 input channels"):
        VGG16(include_top=False, weights="imagenet", input_shape=(64, 64, 1))
    with pytest.raises(ValueError, match="fixed image size"):
        VGG16(include_top=True, weights=None, input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="three ints"):
        VGG16(include_top=False, weights=None, input_shape=(64, 64))
    with pytest.raises(ValueError, match="GlobalAveragePooling2D"):
        VGG16(include_top=False, weights=None, pooling="avg")
    with pytest.raises(ValueError, match="classifier_activation"):
        VGG16(include_top=True, weights="imagenet", classifier_activation="sigmoid")
    with pytest.raises(TypeError, match="input_tensor"):
        VGG16(include_top=False, weights=None, input_tensor=np.zeros((1, 32, 32, 3)))
    with pytest.warns(UserWarning, match="1 or 3 input channels"):
        VGG16(include_top=False, weights=None, input_shape=(32, 32, 4))


# ----------------------------------------------------- preprocess and decode
def test_preprocess_input_is_caffe_and_returns_a_new_array():
    x = np.random.default_rng(0).random((2, 5, 4, 3)).astype("float32") * 255
    before = x.copy()
    out = vgg16.preprocess_input(x)
    assert out is not x and np.array_equal(x, before)               # the input is untouched
    want = x[..., ::-1] - np.array([103.939, 116.779, 123.68], dtype="float32")
    np.testing.assert_array_equal(out, want)
    assert out.dtype == np.float32
    assert imagenet_utils.preprocess_input(x[0]).shape == (5, 4, 3)
    assert vgg16.preprocess_input(x.astype(np.uint8)).dtype == np.float32
    assert vgg16.preprocess_input(x.astype(np.float64)).dtype == np.float64
    np.testing.assert_allclose(imagenet_utils.preprocess_input(x, mode="tf"), x / 127.5 - 1,
                               rtol=1e-6)
    torch_mode = imagenet_utils.preprocess_input(x, mode="torch")
    np.testing.assert_allclose(torch_mode[..., 0], (x[..., 0] / 255 - 0.485) / 0.229, rtol=1e-5)
    for bad, match in ((np.zeros((2, 5, 5, 4)), "RGB images"), (np.zeros((5, 3)), "RGB images")):
        with pytest.raises(ValueError, match=match):
            vgg16.preprocess_input(bad)
    with pytest.raises(ValueError, match="channels_last"):
        vgg16.preprocess_input(x, data_format="channels_first")
    with pytest.raises(ValueError, match="mode"):
        imagenet_utils.preprocess_input(x, mode="inception")


def test_decode_predictions_names_the_top_classes_in_order():
    preds = np.full((2, 1000), 1e-4, dtype="float32")
    preds[0, [386, 101, 385]] = [0.9, 0.07, 0.02]
    preds[1, 1] = 0.5
    decoded = vgg16.decode_predictions(preds, top=3)
    assert decoded[0] == [("n02504458", "African_elephant", pytest.approx(0.9)),
                          ("n01871265", "tusker", pytest.approx(0.07)),
                          ("n02504013", "Indian_elephant", pytest.approx(0.02))]
    assert decoded[1][0][:2] == ("n01443537", "goldfish")
    assert len(imagenet_utils.decode_predictions(preds)[0]) == 5
    assert all(isinstance(score, float) for *_, score in decoded[0])
    with open(imagenet_utils.CLASS_INDEX_FILE, "rb") as f:
        import hashlib

        assert hashlib.md5(f.read()).hexdigest() == "c2c37ea517e94d9795004a39431a14cb"
    for bad in (np.zeros(1000), np.zeros((2, 10)), np.zeros((2, 1000, 1))):
        with pytest.raises(ValueError, match=r"shape \(samples, 1000\)"):
            vgg16.decode_predictions(bad)
    with pytest.raises(ValueError, match="preds\\[None\\]"):
        vgg16.decode_predictions(np.zeros(1000))
    with pytest.raises(ValueError, match="top must be"):
        vgg16.decode_predictions(preds, top=0)


# ------------------------------------------------ models as layers, freezing
def book_model(conv_base):
    """Listing 5-20: the conv base as a layer, then a densely connected classifier."""
    model = models.Sequential()
    model.add(conv_base)
    model.add(layers.Flatten())
    model.add(layers.Dense(256, activation="relu"))
    model.add(layers.Dense(1, activation="sigmoid"))
    return model


def fine_tune(conv_base):
    """Listing 5-22: only block5 stays trainable."""
    conv_base.trainable = True
    set_trainable = False
    for layer in conv_base.layers:
        if layer.name == "block5_conv1":
            set_trainable = True
        layer.trainable = set_trainable


def test_the_book_model_summary_and_trainable_weights(capsys):
    conv_base = VGG16(weights=None, include_top=False, input_shape=(150, 150, 3))
    model = book_model(conv_base)
    model.summary()
    out = capsys.readouterr().out
    assert "vgg16 (Model)                (None, 4, 4, 512)         14714688" in out
    assert "Total params: 16,812,353" in out and "Trainable params: 16,812,353" in out
    assert len(model.trainable_weights) == 30
    conv_base.trainable = False
    assert len(model.trainable_weights) == 4
    model.summary()
    out = capsys.readouterr().out
    assert "Trainable params: 2,097,665" in out and "Non-trainable params: 14,714,688" in out
    fine_tune(conv_base)
    assert len(model.trainable_weights) == 10
    assert [l.name for l in conv_base.layers if l.trainable] == [
        "block5_conv1", "block5_conv2", "block5_conv3", "block5_pool"]


def test_fine_tuning_updates_block5_and_the_classifier_only():
    conv_base = VGG16(weights=None, include_top=False, input_shape=S)
    model = book_model(conv_base)
    fine_tune(conv_base)
    model.compile(optimizer=optimizers.RMSprop(learning_rate=1e-5), loss="binary_crossentropy",
                  metrics=["acc"])
    x, y = images(4), np.array([0, 1, 1, 0], dtype="float32")
    weighted = [l for l in model.walk_layers() if l.params]         # the layers, not vgg16
    before = {l.name: l.get_weights() for l in weighted}
    model.train_on_batch(x, y)
    assert len(weighted) == 15
    for layer in weighted:
        changed = [not np.array_equal(a, b)
                   for a, b in zip(layer.get_weights(), before[layer.name])]
        frozen = layer.name.startswith(("block1", "block2", "block3", "block4"))
        assert not any(changed) if frozen else all(changed), layer.name
        if frozen:                                  # and no weight-gradient work was done
            assert all(not g.any() for g in layer.grads.values()), layer.name


def test_gradients_reach_a_trainable_layer_through_frozen_ones():
    conv_base = VGG16(weights=None, include_top=False, input_shape=S)
    model = book_model(conv_base)
    for layer in conv_base.layers:
        layer.trainable = layer.name == "block1_conv1"    # the first conv only, the rest frozen
    model.layers[2].trainable = model.layers[3].trainable = False
    model.compile(optimizer=optimizers.RMSprop(learning_rate=1e-3), loss="binary_crossentropy")
    first = conv_base.get_layer("block1_conv1").get_weights()[0]
    frozen = conv_base.get_layer("block5_conv3").get_weights()[0]
    model.train_on_batch(images(2) / 255, np.array([0, 1], dtype="float32"))
    assert not np.array_equal(conv_base.get_layer("block1_conv1").get_weights()[0], first)
    assert np.array_equal(conv_base.get_layer("block5_conv3").get_weights()[0], frozen)
    assert not conv_base.get_layer("block5_conv3").grads["kernel"].any()


def test_trainable_changes_apply_at_once_without_recompiling():
    """Keras applies a changed ``trainable`` at the next compile; minicnn at the next step."""
    conv_base = VGG16(weights=None, include_top=False, input_shape=S)
    model = book_model(conv_base)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy")
    x, y = images(2) / 255, np.array([0, 1], dtype="float32")
    conv_base.trainable = False                                      # after compile
    base_before = conv_base.get_weights()
    dense_before = model.layers[2].get_weights()
    model.train_on_batch(x, y)
    assert all(np.array_equal(a, b) for a, b in zip(conv_base.get_weights(), base_before))
    assert not np.array_equal(model.layers[2].get_weights()[0], dense_before[0])
    conv_base.trainable = True                                       # unfreeze: trains at once
    model.train_on_batch(x, y)
    assert not np.array_equal(conv_base.get_layer("block1_conv1").get_weights()[0],
                              base_before[0])


def test_gradients_flow_through_a_frozen_base_to_the_input(float64):
    """A directional derivative of the model output against the input gradient."""
    backend.set_seed(3)
    conv_base = VGG16(weights=None, include_top=False, input_shape=S)
    model = book_model(conv_base)
    conv_base.trainable = False
    x = np.random.default_rng(0).random((1,) + S)
    v = np.random.default_rng(1).standard_normal(x.shape)
    grad = model.gradients(x, model.layers[-1], np.ones((1, 1)))
    eps = 1e-6                                   # small enough that no ReLU or max switches
    numeric = (model.predict(x + eps * v) - model.predict(x - eps * v)).item() / (2 * eps)
    assert abs(numeric) > 1e-8
    assert abs((grad * v).sum() - numeric) <= 1e-4 * abs(numeric)
    conv_base.trainable = True                                       # frozen or not: the same
    np.testing.assert_allclose(model.gradients(x, model.layers[-1], np.ones((1, 1))), grad,
                               rtol=1e-12)


def test_the_fine_tuned_book_model_saves_in_keras_2s_nested_layout(tmp_path):
    conv_base = VGG16(weights=None, include_top=False, input_shape=S)
    model = book_model(conv_base)
    fine_tune(conv_base)
    model.compile(optimizer=optimizers.RMSprop(learning_rate=1e-5), loss="binary_crossentropy",
                  metrics=["acc"])
    model.save(tmp_path / "book.h5")
    with h5py.File(tmp_path / "book.h5", "r") as f:
        config = json.loads(f.attrs["model_config"])
        assert config["class_name"] == "Sequential"
        inner = config["config"]["layers"][1]
        assert (inner["class_name"], inner["config"]["name"]) == ("Functional", "vgg16")
        names = [n.decode() if isinstance(n, bytes) else n
                 for n in f["model_weights/vgg16"].attrs["weight_names"]]
        # Keras 2's order for a nested model: the trainable weights first, then the frozen
        assert names[:6] == [f"block5_conv{i}/{k}:0" for i in (1, 2, 3) for k in ("kernel", "bias")]
        assert names[6:8] == ["block1_conv1/kernel:0", "block1_conv1/bias:0"] and len(names) == 26
        np.testing.assert_array_equal(f["model_weights/vgg16/block1_conv1/kernel:0"][()],
                                      conv_base.layers[1].get_weights()[0])
    again = models.load_model(tmp_path / "book.h5")
    x = images(2)
    np.testing.assert_array_equal(again.predict(x), model.predict(x))
    assert [l.trainable for l in again.layers[0].layers[1:]] == \
        [l.trainable for l in conv_base.layers[1:]]
    assert len(again.trainable_weights) == 10


@pytest.mark.slow
def test_the_crosscheck_halves_run_on_minicnns_own_files(tmp_path):
    """CI runs the Keras half between these two (``tests/vgg16_crosscheck.py``)."""
    import shutil

    import vgg16_crosscheck

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        vgg16_crosscheck.write(tmp_path)
    # stand in for Keras' files with minicnn's own, to run the reading half here
    shutil.copy(tmp_path / "book.h5", tmp_path / "keras_book.h5")
    shutil.copy(tmp_path / "book.npz", tmp_path / "keras_book.npz")
    conv_base = models.load_model(tmp_path / "book.h5").layers[0]
    conv_base.save(tmp_path / "keras_vgg16.h5")
    io = np.load(tmp_path / "notop.npz")
    np.savez(tmp_path / "keras_vgg16.npz", x=io["x"], y=conv_base.predict(io["x"]))
    vgg16_crosscheck.read(tmp_path)


# ------------------------------------------------------- feature extraction
def test_predict_over_a_directory_generator_matches_arrays(tmp_path):
    from minicnn.datasets.shapes import make_shapes_folder

    folder = make_shapes_folder(tmp_path / "shapes", n_train=3, n_validation=0, n_test=0,
                                size=40)
    conv_base = VGG16(weights=None, include_top=False, input_shape=S)
    datagen = ImageDataGenerator(rescale=1. / 255)
    # listing 5-17's loop
    generator = datagen.flow_from_directory(os.path.join(folder, "train"), target_size=(32, 32),
                                            batch_size=4, class_mode="binary", shuffle=False)
    features, labels, i = np.zeros((6, 1, 1, 512)), np.zeros(6), 0
    for inputs_batch, labels_batch in generator:
        features_batch = conv_base.predict(inputs_batch)
        features[i * 4:(i + 1) * 4] = features_batch
        labels[i * 4:(i + 1) * 4] = labels_batch
        i += 1
        if i * 4 >= 6:
            break
    generator.reset()
    xs = np.concatenate([next(generator)[0] for _ in range(2)])[:6]
    np.testing.assert_allclose(features, conv_base.predict(xs, batch_size=5), rtol=1e-5, atol=1e-6)
    assert labels.tolist() == [0, 0, 0, 1, 1, 1]
    generator.reset()
    np.testing.assert_allclose(conv_base.predict_generator(generator, steps=2)[:6], features,
                               rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_predict_memory_is_bounded_by_the_batch_and_the_workspace(monkeypatch):
    conv_base = VGG16(weights=None, include_top=False, input_shape=S)
    x = images(64)
    conv_base.predict(x[:8], batch_size=8)

    def peak(n, batch_size):
        tracemalloc.start()
        try:
            conv_base.predict(x[:n], batch_size=batch_size)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    assert peak(64, 8) < peak(8, 8) + 2**20              # more images: the same peak
    largest = 64 * 32 * 32 * 64 * 4                     # block1's output at batch 64: 16 MiB
    monkeypatch.setattr(conv_module, "WORKSPACE_BYTES", 4 * 2**20)
    assert peak(64, 64) < 3 * largest + 4 * 2**20 + 2**20   # input, output, a pool: no cols
