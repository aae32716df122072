"""Section 4's pictures: the arrays behind each figure, not just that a file appeared."""
import numpy as np
import pytest
from PIL import Image

from minicnn import backend, layers, models
from minicnn.visualization import activations, gradcam, patterns

from helpers import book_mnist_convnet


def test_activation_model_outputs_equal_a_plain_forward_pass(tmp_path):
    model = book_mnist_convnet()
    path = tmp_path / "m.h5"
    model.save(path)
    loaded = models.load_model(path)                       # a loaded .h5 model taps too
    x = np.random.default_rng(0).random((1, 28, 28, 1)).astype("float32")
    outs = activations.activation_model(loaded).predict(x)
    assert len(outs) == 8 and outs[0].shape == (1, 26, 26, 32)
    a = x
    for layer, out in zip(loaded.layers, outs):
        a = layer.forward(a)
        np.testing.assert_array_equal(out, a)


def test_a_grid_tile_is_the_standardised_channel_it_shows(tmp_path):
    rng = np.random.default_rng(1)
    act = rng.standard_normal((1, 5, 6, 20)).astype("float32")
    act[..., 3] = 2.0                                      # a constant (dead) channel
    grid = activations.channel_grid(act)
    assert grid.shape == (2 * 5, 16 * 6) and grid.dtype == np.uint8
    c = act[0, :, :, 17].astype("float64")
    expected = np.clip((c - c.mean()) / c.std() * 64 + 128, 0, 255).astype("uint8")
    np.testing.assert_array_equal(grid[5:10, 6:12], expected)     # row 1, column 1: channel 17
    assert (grid[0:5, 18:24] == 128).all()                        # the constant channel: grey
    assert (grid[5:10, 4 * 6:] == 0).all()                        # blank tiles after channel 19
    model = book_mnist_convnet()
    saved = activations.save_activation_grids(model, act[:1, :, :, :1].repeat(28, 1)[:, :28]
                                              .repeat(5, 2)[:, :, :28], tmp_path)
    assert [name for name, _, _ in saved] == ["conv2d_1", "max_pooling2d_1", "conv2d_2",
                                              "max_pooling2d_2", "conv2d_3"]
    assert all((tmp_path / f"{name}.png").stat().st_size > 0 for name, _, _ in saved)
    channel = activations.save_channel(
        activations.activation_model(model).predict(np.zeros((1, 28, 28, 1)))[0], 4,
        tmp_path / "channel.png")
    assert channel.shape == (26, 26)


def test_deprocess_image_follows_the_book():
    x = np.random.default_rng(2).standard_normal((4, 4, 3)) * 30 + 7
    y = (x - x.mean()) / (x.std() + 1e-5) * 0.1 + 0.5
    expected = (np.clip(y, 0, 1) * 255).astype("uint8")
    np.testing.assert_array_equal(patterns.deprocess_image(x), expected)


def test_gradient_ascent_raises_the_filters_mean_activation(tmp_path):
    backend.set_seed(0)
    model = models.Sequential([
        layers.Conv2D(8, 3, activation="relu", input_shape=(None, None, 3), name="c1"),
        layers.Conv2D(4, 3, activation="relu", name="c2")])
    image, losses = patterns.pattern_ascent(model, "c2", 2, size=20, steps=15, step=1.0, seed=0)
    assert image.shape == (20, 20, 3) and len(losses) == 15
    assert losses[-1] > losses[0] + 1.0 and np.all(np.diff(losses) > -1e-3)
    pattern = patterns.generate_pattern(model, "c2", 2, size=20, steps=15, seed=0)
    np.testing.assert_array_equal(pattern, patterns.deprocess_image(image))
    grid = patterns.filter_grid(model, "c2", rows=2, size=12, margin=3, steps=2)
    assert grid.shape == (27, 27, 3)
    np.testing.assert_array_equal(grid[15:27, 0:12], patterns.generate_pattern(model, "c2", 2, 12, 2, seed=0))
    assert (grid[12:15] == 0).all()                               # the black margin
    assert patterns.save_image(grid, tmp_path / "grid.png") == tmp_path / "grid.png"


def test_gradient_ascent_starts_from_the_given_grey_noise():
    """start=(grey, spread): zero steps leave exactly grey + [0, spread) noise."""
    model = models.Sequential([layers.Conv2D(2, 3, input_shape=(None, None, 1), name="c")])
    image, losses = patterns.pattern_ascent(model, "c", 0, size=6, steps=0, seed=3,
                                            start=(0.5, 0.1))
    np.random.seed(3)                                  # the listing's own np.random.random
    expected = np.random.random((1, 6, 6, 1)) * 0.1 + 0.5
    np.testing.assert_array_equal(image, expected[0])
    assert losses == []


def patch_model():
    """Class 0 = brightness in the left half, class 1 = in the right half, by construction."""
    model = models.Sequential([
        layers.Conv2D(1, 1, activation="relu", input_shape=(8, 8, 1), name="detector",
                      kernel_initializer="ones"),
        layers.Flatten(), layers.Dense(2, name="scores")])
    left = np.zeros((8, 8))
    left[:, :4] = 1
    model.get_layer("scores").set_weights([np.stack([left.ravel(), 1 - left.ravel()], 1) / 32,
                                           np.zeros(2)])
    return model


@pytest.mark.parametrize("column, cls", [(1, 0), (6, 1)])
def test_grad_cam_peaks_where_the_evidence_is(column, cls):
    model = patch_model()
    x = np.zeros((1, 8, 8, 1), dtype="float32")
    x[0, 3:5, column:column + 2] = 1.0                 # a bright patch
    heatmap = gradcam.grad_cam(model, x, cls, "detector")
    assert heatmap.shape == (8, 8) and heatmap.max() == 1.0 and heatmap.min() >= 0
    assert heatmap[3:5, column:column + 2].min() == 1.0   # the patch, and only it
    assert heatmap.sum() == 4.0


def test_overlay_blends_the_jet_heatmap_over_the_picture(tmp_path):
    from matplotlib import colormaps

    image = np.full((6, 4, 3), 100, dtype="uint8")
    heatmap = np.zeros((3, 2))
    heatmap[0, 0] = 1.0
    out = gradcam.overlay_heatmap(image, heatmap, tmp_path / "cam.png")
    resized = np.asarray(Image.fromarray(np.uint8(heatmap * 255)).resize((4, 6), Image.BILINEAR))
    expected = np.clip(colormaps["jet"](resized)[..., :3] * 255 * 0.4 + 100, 0, 255).astype("uint8")
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "cam.png")), out)


def test_visualization_errors_are_plain():
    model = patch_model()
    x = np.zeros((1, 8, 8, 1), dtype="float32")
    with pytest.raises(ValueError, match=r"no layer 'block5_conv3'; its layers are \['detector'"):
        gradcam.grad_cam(model, x, 0, "block5_conv3")
    with pytest.raises(ValueError, match=r"class_index 2 is out of range: the model has 2"):
        gradcam.grad_cam(model, x, 2, "detector")
    with pytest.raises(ValueError, match="spatial output"):
        gradcam.grad_cam(model, x, 0, "scores")
    with pytest.raises(ValueError, match=r"filter_index 1 is out of range: layer 'detector' has 1"):
        patterns.generate_pattern(model, "detector", 1, size=8)
