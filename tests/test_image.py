"""Single images: load_img / img_to_array / array_to_img / save_img, and the affine
transforms, checked against fixtures recorded from real Keras 3
(``tests/make_image_fixtures.py``)."""
import io
import json
import os
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from minicnn import backend
from minicnn.kernels import affine as affine_kernels
from minicnn.preprocessing import affine, image

FIXTURES = os.path.join(os.path.dirname(__file__), "data", "image_fixtures.npz")


@pytest.fixture(scope="module")
def keras():
    with np.load(FIXTURES) as data:
        return {key: data[key] for key in data.files}


def save(path, pixels, mode=None, **kwargs):
    Image.fromarray(pixels, mode).save(path, **kwargs) if mode else \
        Image.fromarray(pixels).save(path, **kwargs)
    return str(path)


# ------------------------------------------------------------------ load_img
def test_load_img_rgb_png_round_trip(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, (9, 13, 3), dtype=np.uint8)
    img = image.load_img(save(tmp_path / "a.png", pixels))
    assert img.mode == "RGB" and img.size == (13, 9)
    x = image.img_to_array(img)
    assert x.shape == (9, 13, 3) and x.dtype == np.float32
    np.testing.assert_array_equal(x, pixels)


@pytest.mark.parametrize("method", ["nearest", "bilinear", "bicubic", "hamming", "box",
                                    "lanczos"])
def test_load_img_resize_matches_keras(tmp_path, keras, method):
    path = save(tmp_path / "cat.png", keras["folder/pixels/1"])
    x = image.img_to_array(image.load_img(path, target_size=(6, 17), interpolation=method))
    assert x.shape == (6, 17, 3)
    np.testing.assert_array_equal(x, keras[f"load/{method}"])


def test_load_img_color_modes(tmp_path):
    pixels = np.random.default_rng(1).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    path = save(tmp_path / "a.png", pixels)
    grey = image.load_img(path, color_mode="grayscale")
    assert grey.mode == "L" and image.img_to_array(grey).shape == (5, 7, 1)
    assert image.load_img(path, color_mode="rgba").mode == "RGBA"
    with pytest.warns(UserWarning, match="deprecated"):
        assert image.load_img(path, grayscale=True).mode == "L"
    with open(path, "rb") as f:                          # file objects work too
        assert image.load_img(io.BytesIO(f.read())).size == (7, 5)


def test_16_bit_greyscale_is_scaled_not_clipped(tmp_path):
    values = np.array([[0, 257, 32896, 65535]], dtype=np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(values).save(path)
    assert Image.open(path).mode.startswith("I")
    for mode, channels in (("grayscale", 1), ("rgb", 3)):
        x = image.img_to_array(image.load_img(str(path), color_mode=mode))
        assert x.shape == (1, 4, channels)
        np.testing.assert_array_equal(x[0, :, 0], [0, 1, 128, 255])


@pytest.mark.parametrize("kind", ["P", "P+transparency", "LA", "RGBA", "CMYK", "1", "I"])
def test_other_pil_modes_convert_cleanly(tmp_path, kind):
    rgb = np.zeros((4, 6, 3), np.uint8)
    rgb[:, :3] = (200, 40, 10)
    base = Image.fromarray(rgb)
    if kind == "P":
        img, suffix = base.convert("P", palette=Image.Palette.ADAPTIVE), ".png"
    elif kind == "P+transparency":
        img, suffix = base.convert("P", palette=Image.Palette.ADAPTIVE), ".png"
        img.info["transparency"] = 0
    elif kind == "LA":
        img, suffix = base.convert("LA"), ".png"
    elif kind == "RGBA":
        img, suffix = base.convert("RGBA"), ".png"
    elif kind == "CMYK":
        img, suffix = base.convert("CMYK"), ".tif"
    elif kind == "1":
        img, suffix = base.convert("1"), ".bmp"
    else:
        img, suffix = Image.fromarray(np.full((4, 6), 65535 // 2, np.int32), "I"), ".tif"
    path = tmp_path / f"image{suffix}"
    img.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                   # no Pillow warnings either
        for mode, channels in (("rgb", 3), ("grayscale", 1), ("rgba", 4)):
            x = image.img_to_array(image.load_img(str(path), color_mode=mode))
            assert x.shape == (4, 6, channels) and x.min() >= 0 and x.max() <= 255
    if kind == "I":
        assert image.img_to_array(image.load_img(str(path)))[0, 0, 0] == 127


def test_unreadable_images_raise_naming_the_file(tmp_path):
    fake = tmp_path / "fake.jpg"
    fake.write_bytes(b"this is not a picture")
    with pytest.raises(OSError, match="fake.jpg"):
        image.load_img(str(fake))
    buffer = io.BytesIO()
    Image.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(buffer, format="JPEG")
    for suffix, data in ((".jpg", buffer.getvalue()),):
        cut = tmp_path / f"truncated{suffix}"
        cut.write_bytes(data[:len(data) // 2])
        with pytest.raises(OSError, match="truncated"):
            image.load_img(str(cut))
    png = tmp_path / "cut.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
                    ).save(png)
    png.write_bytes(png.read_bytes()[:300])
    with pytest.raises(OSError, match="cut.png"):
        image.load_img(str(png))
    with pytest.raises(FileNotFoundError):
        image.load_img(str(tmp_path / "missing.png"))


@pytest.mark.parametrize("kwargs, name", [
    (dict(color_mode="hsv"), "color_mode"), (dict(interpolation="cubic"), "interpolation"),
    (dict(target_size=(150,)), "target_size"), (dict(target_size=(0, 5)), "target_size"),
    (dict(target_size=(1.5, 2)), "target_size"), (dict(target_size=150), "target_size")])
def test_load_img_bad_arguments(tmp_path, kwargs, name):
    path = save(tmp_path / "a.png", np.zeros((3, 3, 3), np.uint8))
    with pytest.raises(ValueError, match=name):
        image.load_img(path, **kwargs)


# ------------------------------------------------------- arrays and files
def test_img_to_array_dtypes():
    img = Image.fromarray(np.arange(12, dtype=np.uint8).reshape(3, 4))
    assert image.img_to_array(img).dtype == np.float32
    assert image.img_to_array(img, dtype="uint8").dtype == np.uint8
    with backend.floatx_scope("float64"):
        assert image.img_to_array(img).dtype == np.float64
    with pytest.raises(ValueError, match="channels_last"):
        image.img_to_array(img, data_format="channels_first")


def test_array_to_img_matches_keras(keras):
    img = image.array_to_img(keras["array_to_img/in"])
    assert img.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(img), keras["array_to_img/out"])


def test_array_to_img_modes_and_errors():
    x = np.linspace(0, 1, 24, dtype=np.float32).reshape(2, 3, 4)
    assert image.array_to_img(x).mode == "RGBA"
    assert image.array_to_img(x[:, :, :1]).mode == "L"
    assert image.array_to_img(x[:, :, :1] * 1000, scale=False).mode == "I"
    clipped = image.array_to_img(np.full((1, 2, 3), 300.0), scale=False)
    assert np.asarray(clipped).max() == 255                # clipped, not wrapped
    flat = image.array_to_img(np.full((2, 2, 3), 7.0))     # constant: min -> 0
    assert np.asarray(flat).max() == 0
    with pytest.raises(ValueError, match="channels"):
        image.array_to_img(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match=r"\(H, W, C\)"):
        image.array_to_img(np.zeros((2, 2)))


def test_save_img_round_trip(tmp_path):
    x = np.random.default_rng(2).integers(0, 256, (6, 5, 3)).astype(np.float32)
    image.save_img(str(tmp_path / "a.png"), x, scale=False)
    np.testing.assert_array_equal(image.img_to_array(image.load_img(str(tmp_path / "a.png"))), x)
    with pytest.warns(UserWarning, match="alpha"):
        image.save_img(str(tmp_path / "b.jpg"), np.ones((4, 4, 4)) * 100, quality=95)
    assert Image.open(tmp_path / "b.jpg").mode == "RGB"
    image.save_img(str(tmp_path / "c.bin"), x, file_format="png")
    assert Image.open(tmp_path / "c.bin").format == "PNG"


# ------------------------------------------------------------ the geometry
def transform_cases(keras):
    cases, fills = json.loads(str(keras["cases"])), json.loads(str(keras["fills"]))
    for name in ("rgb", "grey"):
        for case, params in cases.items():
            for fill in (["nearest"] if case == "flips" else fills):
                yield name, case, fill, params, fills[fill]


@pytest.mark.parametrize("kernels", ["auto", "reference"])
def test_apply_transform_matches_keras(keras, kernels):
    """Every parameter set x fill mode x image, both resampling twins, vs Keras 3."""
    checked = 0
    with backend.kernels_scope(kernels):
        for name, case, fill, params, cval in transform_cases(keras):
            generator = image.ImageDataGenerator(fill_mode=fill, cval=cval)
            x = keras[f"image/{name}"].copy()
            out = generator.apply_transform(x, params)
            expected = keras[f"transform/{name}/{case}/{fill}"]
            assert out.shape == x.shape and out.dtype == np.float32
            np.testing.assert_allclose(out, expected, rtol=0, atol=1e-4,
                                       err_msg=f"{name} {case} {fill}")
            checked += 1
    assert checked == 2 * (8 * 4 + 1)


def test_identity_is_free_and_keras_axes():
    x = np.arange(16, dtype=np.float32).reshape(4, 4, 1)
    assert image.apply_affine_transform(x) is x
    np.testing.assert_allclose(image.apply_affine_transform(x, theta=90)[:, :, 0],
                               np.rot90(x[:, :, 0]), atol=1e-5)   # counter-clockwise
    # Keras' axis swap: tx (the "height" shift) moves columns, ty moves rows
    moved = image.apply_affine_transform(x, tx=1, fill_mode="constant", cval=-1)[:, :, 0]
    np.testing.assert_array_equal(moved[:, :3], x[:, 1:, 0])
    assert (moved[:, 3] == -1).all()
    moved = image.apply_affine_transform(x, ty=1, fill_mode="constant", cval=-1)[:, :, 0]
    np.testing.assert_array_equal(moved[:3], x[1:, :, 0])
    with pytest.raises(ValueError, match="fill_mode"):
        image.apply_affine_transform(x, theta=3, fill_mode="mirror")


@given(height=st.integers(1, 9), width=st.integers(1, 9), channels=st.integers(1, 4),
       theta=st.floats(-180, 180), tx=st.floats(-30, 30), ty=st.floats(-30, 30),
       shear=st.floats(-60, 60), zx=st.floats(0.3, 3), zy=st.floats(0.3, 3),
       fill=st.sampled_from(affine.FILL_MODES), dtype=st.sampled_from(["float32", "float64"]),
       seed=st.integers(0, 2**16))
def test_numba_twin_matches_scipy(height, width, channels, theta, tx, ty, shear, zx, zy,
                                  fill, dtype, seed):
    x = np.random.default_rng(seed).normal(size=(height, width, channels)).astype(dtype)
    matrix = affine.transform_matrix(height, width, theta, tx, ty, shear, zx, zy)
    fast = affine_kernels.resample_numba(x, matrix, fill, 0.5)
    slow = affine_kernels.resample_scipy(x, matrix, fill, 0.5)
    assert fast.dtype == slow.dtype == x.dtype
    np.testing.assert_allclose(fast, slow, rtol=1e-6, atol=1e-6)


@given(size=st.integers(2, 12), k=st.integers(1, 3), seed=st.integers(0, 100))
def test_quarter_turns_and_flips_are_exact(size, k, seed):
    x = np.random.default_rng(seed).random((size, size, 2)).astype(np.float32)
    np.testing.assert_allclose(image.apply_affine_transform(x, theta=90 * k),
                               np.rot90(x, k), atol=1e-5)
    generator = image.ImageDataGenerator()
    twice = generator.apply_transform(
        generator.apply_transform(x, {"flip_horizontal": True, "flip_vertical": True}),
        {"flip_horizontal": True, "flip_vertical": True})
    np.testing.assert_array_equal(twice, x)
