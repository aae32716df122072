"""Record what real Keras 3 does with images, for ``tests/test_image*.py``.

Run with a Keras 3 environment (the torch backend is enough)::

    KERAS_BACKEND=torch /path/to/kerasenv/bin/python tests/make_image_fixtures.py

It writes ``tests/data/image_fixtures.npz`` (commit it): small deterministic test
images, Keras' ``apply_transform`` outputs for several parameter sets and every
fill mode, ``get_random_transform`` draws for a few seeds and settings, seeded
``flow`` batches, and ``flow_from_directory`` listings and batches over a tiny
folder of PNGs whose pixels are stored too, so the tests can rebuild it.
Everything is built from fixed formulas and fixed seeds; rerunning with the
same Keras, NumPy, SciPy and Pillow gives the same file.
"""
import json
import os
import sys
import tempfile

import numpy as np
from PIL import Image

from keras.src.legacy.preprocessing.image import ImageDataGenerator  # noqa: I001
from keras.src.utils import image_utils

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "image_fixtures.npz")

BOOK = dict(rotation_range=40, width_shift_range=0.2, height_shift_range=0.2,
            shear_range=0.2, zoom_range=0.2, horizontal_flip=True, fill_mode="nearest")

# parameter sets for apply_transform (Keras' keys); "flips" only under 'nearest'
CASES = {
    "rotate": dict(theta=30.0),
    "rotate_back": dict(theta=-75.0),
    "shift_tx": dict(tx=3.5),
    "shift_ty": dict(ty=-4.25),
    "shear": dict(shear=25.0),
    "zoom_xy": dict(zx=0.7, zy=1.3),
    "book_like": dict(theta=-31.2, tx=-3.1, ty=4.4, shear=0.17, zx=0.86, zy=1.15,
                      flip_horizontal=True),
    "combo": dict(theta=12.0, tx=2.0, ty=-1.0, shear=10.0, zx=1.2, zy=0.9,
                  flip_vertical=True),
    "flips": dict(flip_horizontal=True, flip_vertical=True),
}
FILLS = {"nearest": 0.0, "constant": 17.5, "reflect": 0.0, "wrap": 0.0}

# generator settings for get_random_transform
SETTINGS = [
    BOOK,
    dict(rotation_range=10, width_shift_range=5, height_shift_range=[-3, 2.5, 7],
         zoom_range=[0.5, 1.5], vertical_flip=True),
    dict(width_shift_range=6.0, height_shift_range=2.5, shear_range=30),
    dict(zoom_range=0.3, horizontal_flip=True, vertical_flip=True),
]
SEEDS = [0, 1, 42, 2024]
SHAPES = [(150, 150, 3), (20, 24, 3)]
KEYS = ["theta", "tx", "ty", "shear", "zx", "zy", "flip_horizontal", "flip_vertical"]


def test_images():
    """A 20x24 RGB and a 17x11 greyscale float32 pattern (ramps, products, checks)."""
    r, c = np.mgrid[0:20, 0:24].astype(np.float32)
    rgb = np.stack([r * 10 + c, (r * c) % 17 * 7, 255 * ((r // 4 + c // 5) % 2)], axis=2)
    r, c = np.mgrid[0:17, 0:11].astype(np.float32)
    grey = ((r * 13 + c * 29) % 41 * 6)[:, :, None]
    return {"rgb": rgb.astype(np.float32), "grey": grey.astype(np.float32)}


def folder_images():
    """(relative path, uint8 pixels) of the tiny class folder; plus a text file."""
    random = np.random.RandomState(7)
    files = []
    sizes = {"cats": [(9, 13), (16, 16), (12, 8), (10, 10), (14, 9)],
             "dogs": [(8, 8), (13, 17), (11, 12), (15, 10)],
             "zebras": [(12, 12), (9, 14), (10, 11)]}
    for cls, shapes in sizes.items():
        for k, (h, w) in enumerate(shapes):
            files.append((f"{cls}/{cls[:-1]}.{k}.png",
                          random.randint(0, 256, size=(h, w, 3)).astype(np.uint8)))
    files.append(("dogs/extra/dog.9.png", random.randint(0, 256, (10, 9, 3)).astype(np.uint8)))
    return files


def write_folder(root, files):
    for rel, pixels in files:
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        Image.fromarray(pixels).save(path)
    with open(os.path.join(root, "cats", "notes.txt"), "w") as f:
        f.write("not an image\n")


def main():
    data = {}
    images = test_images()
    for name, x in images.items():
        data[f"image/{name}"] = x
        for case, params in CASES.items():
            fills = ["nearest"] if case == "flips" else list(FILLS)
            for fill in fills:
                gen = ImageDataGenerator(fill_mode=fill, cval=FILLS[fill])
                data[f"transform/{name}/{case}/{fill}"] = gen.apply_transform(x.copy(), params)
    data["cases"] = np.array(json.dumps(CASES))
    data["fills"] = np.array(json.dumps(FILLS))

    draws = np.zeros((len(SETTINGS), len(SEEDS), len(SHAPES), len(KEYS)))
    for i, settings in enumerate(SETTINGS):
        gen = ImageDataGenerator(**settings)
        for j, seed in enumerate(SEEDS):
            for k, shape in enumerate(SHAPES):
                params = gen.get_random_transform(shape, seed=seed)
                draws[i, j, k] = [float(params[key]) for key in KEYS]
    data["random/settings"] = np.array(json.dumps(SETTINGS))
    data["random/seeds"] = np.array(SEEDS)
    data["random/shapes"] = np.array(SHAPES)
    data["random/draws"] = draws

    # seeded flow(): 7 samples, batches of 3, across two epochs, then __getitem__
    x = np.stack([np.roll(images["rgb"][4:16, 6:16], k, axis=1) + 3 * k for k in range(7)])
    data["flow/x"] = x
    gen = ImageDataGenerator(rescale=1.0 / 255, **BOOK)
    it = gen.flow(x, np.arange(7), batch_size=3, seed=11)
    for b in range(6):
        bx, by = next(it)
        data[f"flow/next/{b}/x"], data[f"flow/next/{b}/y"] = bx, by
    it = gen.flow(x, np.arange(7), batch_size=3, seed=5)
    for b, idx in enumerate([0, 2, 1]):
        bx, by = it[idx]
        data[f"flow/getitem/{b}/x"], data[f"flow/getitem/{b}/y"] = bx, by

    # flow_from_directory over a tiny folder of PNGs
    files = folder_images()
    data["folder/names"] = np.array(json.dumps([rel for rel, _ in files]))
    for k, (_, pixels) in enumerate(files):
        data[f"folder/pixels/{k}"] = pixels
    with tempfile.TemporaryDirectory() as root:
        write_folder(root, files)
        gen = ImageDataGenerator(rescale=1.0 / 255, validation_split=0.34, **BOOK)
        it = gen.flow_from_directory(root, target_size=(10, 12), class_mode="binary",
                                     batch_size=4, seed=3, interpolation="bilinear")
        data["folder/filenames"] = np.array(json.dumps(it.filenames))
        data["folder/classes"] = np.asarray(it.classes)
        data["folder/class_indices"] = np.array(json.dumps(it.class_indices))
        for b in range(5):
            bx, by = next(it)
            data[f"folder/next/{b}/x"], data[f"folder/next/{b}/y"] = bx, by
        for subset in ("training", "validation"):
            it = gen.flow_from_directory(root, target_size=(10, 12), subset=subset)
            data[f"folder/{subset}/filenames"] = np.array(json.dumps(it.filenames))
        plain = ImageDataGenerator()
        it = plain.flow_from_directory(root, target_size=(7, 9), color_mode="grayscale",
                                       batch_size=13, shuffle=False)
        data["folder/grey/x"], data["folder/grey/y"] = next(it)
        for method in ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos"):
            img = image_utils.load_img(os.path.join(root, files[1][0]), target_size=(6, 17),
                                       interpolation=method)
            data[f"load/{method}"] = image_utils.img_to_array(img)
    data["array_to_img/in"] = images["rgb"] * 0.01 - 1.3
    data["array_to_img/out"] = np.asarray(image_utils.array_to_img(data["array_to_img/in"]))

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    np.savez_compressed(OUT, **data)
    print(f"wrote {OUT}: {len(data)} arrays, {os.path.getsize(OUT) / 1024:.0f} KiB "
          f"(numpy {np.__version__}, python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
