"""minicnn.applications.random_weights: random VGG16 files in Keras' ImageNet layout.

The layout is compared with ``vgg16_files.write_official``, the tests' own h5py-only copy
of Keras' files, so the stand-in cannot drift from what ``VGG16(weights='imagenet')``
reads; then ``VGG16(weights=path)`` must load exactly the values in the file.
"""
import h5py
import numpy as np
import pytest

from minicnn.applications import VGG16
from minicnn.applications.random_weights import vgg16_layout, write_vgg16_weights
from minicnn.io import WeightMismatchError

import vgg16_files


def layout_of(path):
    """``[(layer, [(weight_name, shape, dtype)])]`` as a reader following the attrs sees it."""
    with h5py.File(path, "r") as f:
        names = [n.decode() for n in f.attrs["layer_names"]]
        return [(name, [(w.decode(), f[name][w.decode()].shape, f[name][w.decode()].dtype)
                        for w in f[name].attrs["weight_names"]]) for name in names]


@pytest.mark.parametrize("include_top", [False, True])
def test_the_layout_is_keras_official_one(tmp_path, include_top):
    ours = write_vgg16_weights(tmp_path / "ours.h5", include_top, input_size=32, classes=10)
    vgg16_files.write_official(tmp_path / "official.h5", include_top, classes=10,
                               input_size=32)
    assert layout_of(ours) == layout_of(tmp_path / "official.h5")
    assert vgg16_layout(include_top, 32, 10) == vgg16_files.vgg16_layers(include_top, 10, 32)


def test_vgg16_loads_exactly_the_file(tmp_path):
    path = write_vgg16_weights(tmp_path / "notop.h5", include_top=False, seed=3)
    model = VGG16(weights=path, include_top=False, input_shape=(32, 32, 3))
    with h5py.File(path, "r") as f:
        for layer in model.layers:
            if layer.get_weights():
                kernel, bias = layer.get_weights()
                np.testing.assert_array_equal(kernel, f[layer.name][f"{layer.name}_W_1:0"][()])
                np.testing.assert_array_equal(bias, f[layer.name][f"{layer.name}_b_1:0"][()])
    # He-normal kernels, zero biases; the first layer divided by the input's RMS (64)
    kernel, bias = model.get_layer("block4_conv1").get_weights()
    assert abs(kernel.std() / np.sqrt(2 / (3 * 3 * 256)) - 1) < 0.02 and not bias.any()
    first = model.get_layer("block1_conv1").get_weights()[0]
    assert abs(first.std() * 64 / np.sqrt(2 / 27) - 1) < 0.1


@pytest.mark.slow
def test_activations_stay_of_order_one_and_the_softmax_is_not_saturated(tmp_path):
    from minicnn.applications.vgg16 import preprocess_input
    path = write_vgg16_weights(tmp_path / "top.h5", include_top=True, input_size=32)
    model = VGG16(weights=path, include_top=True, input_shape=(32, 32, 3))
    rng = np.random.default_rng(0)
    pictures = preprocess_input(rng.uniform(0, 255, (4, 32, 32, 3)).cumsum(1) % 255)
    features = models_features(model, pictures)
    assert 0.05 < features.std() < 20, features.std()
    preds = model.predict(pictures)
    assert preds.max() < 0.5, preds.max()                  # not all mass on one class


def models_features(model, x):
    from minicnn import models
    return models.Model(model.input, model.get_layer("block5_pool").output).predict(x)


@pytest.mark.slow
def test_top_file_for_a_small_input_and_seeds(tmp_path):
    a = write_vgg16_weights(tmp_path / "a.h5", include_top=True, input_size=64, classes=10)
    b = write_vgg16_weights(tmp_path / "b.h5", include_top=True, input_size=64, classes=10)
    c = write_vgg16_weights(tmp_path / "c.h5", include_top=True, input_size=64, classes=10,
                            seed=1)
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb, h5py.File(c, "r") as fc:
        assert fa["fc1"]["fc1_W_1:0"].shape == (2 * 2 * 512, 4096)
        np.testing.assert_array_equal(fa["fc2"]["fc2_W_1:0"][()], fb["fc2"]["fc2_W_1:0"][()])
        assert not np.array_equal(fa["fc2"]["fc2_W_1:0"][()], fc["fc2"]["fc2_W_1:0"][()])
    model = VGG16(weights=a, include_top=True, classes=10, input_shape=(64, 64, 3))
    preds = model.predict(np.zeros((1, 64, 64, 3)))
    assert preds.shape == (1, 10) and abs(preds.sum() - 1) < 1e-5


def test_wrong_variant_and_bad_size_are_refused(tmp_path):
    notop = write_vgg16_weights(tmp_path / "notop.h5", include_top=False)
    with pytest.raises(WeightMismatchError, match="include_top=False file"):
        VGG16(weights=notop, include_top=True, input_shape=(32, 32, 3))
    with pytest.raises(ValueError, match="input_size must be an int >= 32"):
        write_vgg16_weights(tmp_path / "x.h5", include_top=True, input_size=16)
    with pytest.raises(ValueError, match="input_scale must be > 0"):
        write_vgg16_weights(tmp_path / "x.h5", input_scale=0)
