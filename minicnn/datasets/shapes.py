"""A SYNTHETIC stand-in for the chapter's small cats-vs-dogs folder: drawn shapes.

The chapter downloads Kaggle's "Dogs vs. Cats" (25,000 JPEGs named
``cat.N.jpg`` / ``dog.N.jpg``) and copies the first 1000 of each class to
``train/cats`` and ``train/dogs``, the next 500 to ``validation/...`` and the
next 500 to ``test/...``. That download needs a Kaggle account, so for tests,
examples and benchmarks ``make_shapes_folder`` draws a folder with the same
layout and sizes, made of pictures that are NOT photographs::

    <directory>/
        README.txt                      says it is synthetic, with the arguments
        train/circles/circles.0.jpg ... circles.999.jpg
        train/squares/squares.0.jpg ...
        validation/circles/circles.1000.jpg ... 1499
        test/circles/circles.1500.jpg ... 1999   (and the same for squares)

Each image holds 14 to 23 shapes of its class: ellipses ("circles") or upright
rectangles ("squares") of random size, aspect ratio and position, each in a
random light colour with mild shading, over a smooth dark two-colour background,
with pixel noise and JPEG compression. Both classes draw colours, counts and
areas from the same distributions (an ellipse and a rectangle drawn with the
same size have the same area), so mean colour, brightness and colour histograms
carry little signal: ``tests/test_shapes.py`` checks that such classifiers stay
under 70% (they score about 50-63%). The difference is in the outlines: curves
against straight edges and corners.

How hard, and why. The set must be learnable by the chapter's own convnet in a
test that runs in about a minute on 2 cores, yet not give itself away through
colour statistics. Light shapes on a dark background are what makes it quick to
learn: with the book's net at RMSprop(3e-4), batch 32, the validation accuracy
leaves 50% after about 1,000-2,000 images and first reaches 95-100% after
2,000-2,600 (``tests/test_cats_dogs.py``; three initial seeds); with the book's
own recipe (1e-4, batch 20) it reads 69% after the first epoch of 2,000 images
and 99% after the second (``examples/cats_dogs_from_scratch.py``). Version 1
of this module (5 to 9 shapes tilted up to 30 degrees, brighter backgrounds
crossed by lines) was much slower: at 1e-4, 3e-4 or 1e-3 the net stayed at 50%
for the first 2,000 images, and it reached about 65% after 13 epochs.
Near-black backgrounds with more, smaller and brighter shapes learn faster
still, but then the anti-aliased edge pixels alone fill the histogram bins
between background and shape colours, and a colour-histogram classifier tells
the classes apart (80-98%); the ranges below keep it near chance. Once learned,
the set is easy (about 100%): it proves that a pipeline learns, it is not a
benchmark of accuracy, and numbers measured on it say nothing about cats and
dogs.

Every file depends only on ``(seed, class, number, size)``: rerunning with the
same arguments writes nothing new and changes nothing.
"""
import io
import json
import os

import numpy as np
from PIL import Image, ImageDraw

VERSION = 2                    # bump when the drawing changes: old folders are refused
SPLITS = ("train", "validation", "test")
SHAPES = (14, 24)              # shapes per picture: 14 to 23
RADIUS = (0.045, 0.08)         # shape size: equal-area radius, a fraction of the image
TILT = 0                       # rotation of the shapes, up to +-TILT degrees (0: upright)
BACKGROUND = (0, 40)           # range of the two background colours (dark), per channel
FOREGROUND = (120, 255)        # range of the shape colours (light), per channel
CONTRAST = 200                 # a shape differs from what it covers by this much (sum of RGB)
NOISE = (3, 8)                 # range of the pixel noise's standard deviation
_README = """SYNTHETIC images drawn by minicnn.datasets.shapes.make_shapes_folder.

Not photographs, and not Kaggle's "Dogs vs. Cats": a stand-in with the chapter's
layout (train/, validation/, test/, one sub-folder per class). Class 0 are
ellipses, class 1 rectangles, several per picture, over noisy backgrounds.

Arguments: {arguments}
"""


def make_shapes_folder(directory, n_train=1000, n_validation=500, n_test=500, size=150,
                       seed=0, classes=("circles", "squares"), quality=90):
    """Write (or complete) a synthetic two-class image folder in the chapter's layout.

    Args:
        directory: root folder to create; ``train/``, ``validation/`` and
            ``test/`` go inside, with one sub-folder per class.
        n_train, n_validation, n_test: images *per class* in each split (the
            chapter's 1000 / 500 / 500).
        size: images are ``size x size`` RGB.
        seed: int; the same seed gives the same images, byte for byte, on the
            same Pillow version.
        classes: two folder names: the first holds ellipses, the second rectangles.
        quality: JPEG quality.

    Returns:
        ``directory`` as a str.

    Raises:
        ValueError: bad arguments, or ``directory`` was made with other arguments
            (its README.txt records them): choose another folder.
    """
    if len(classes) != 2 or len(set(classes)) != 2:
        raise ValueError(f"classes: expected two different names, got {classes!r}")
    for name, value in (("n_train", n_train), ("n_validation", n_validation),
                        ("n_test", n_test)):
        if not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"{name}: expected an int >= 0, got {value!r}")
    if not isinstance(size, (int, np.integer)) or size < 16:
        raise ValueError(f"size: expected an int >= 16, got {size!r}")
    directory = os.fspath(directory)
    arguments = json.dumps(dict(version=VERSION, n_train=int(n_train),
                                n_validation=int(n_validation), n_test=int(n_test),
                                size=int(size), seed=int(seed), classes=list(classes),
                                quality=int(quality)))
    os.makedirs(directory, exist_ok=True)
    readme = os.path.join(directory, "README.txt")
    text = _README.format(arguments=arguments)
    if os.path.exists(readme):
        with open(readme) as f:
            if f.read() != text:
                raise ValueError(f"directory: {directory!r} was made with other arguments "
                                 f"(see its README.txt); choose another folder")
    else:
        _write_atomic(readme, text.encode())

    counts = dict(zip(SPLITS, (n_train, n_validation, n_test)))
    first = 0
    for split in SPLITS:
        for label, name in enumerate(classes):
            folder = os.path.join(directory, split, name)
            os.makedirs(folder, exist_ok=True)
            for number in range(first, first + counts[split]):
                path = os.path.join(folder, f"{name}.{number}.jpg")
                if not os.path.exists(path):
                    pixels = draw_shape_image(label, size, (seed, label, number))
                    buffer = io.BytesIO()
                    Image.fromarray(pixels).save(buffer, format="JPEG", quality=quality)
                    _write_atomic(path, buffer.getvalue())
        first += counts[split]
    return directory


def draw_shape_image(label, size, seed):
    """One synthetic picture: 14 to 23 ellipses (``label`` 0) or rectangles (1), on a dark field.

    Args:
        label: 0 or 1.
        size: the picture is ``(size, size, 3)``.
        seed: anything ``np.random.default_rng`` takes.

    Returns:
        ``(size, size, 3)`` uint8 array.
    """
    rng = np.random.default_rng(seed)
    # smooth two-colour background: a coarse random field blown up bicubically
    coarse = (rng.random((4, 4)) * 255).astype(np.uint8)
    field = np.asarray(Image.fromarray(coarse).resize((size, size), Image.Resampling.BICUBIC),
                       dtype=np.float32)[:, :, None] / 255
    colours = rng.uniform(*BACKGROUND, size=(2, 3)).astype(np.float32)
    picture = colours[0] * (1 - field) + colours[1] * field

    rows, cols = np.mgrid[0:size, 0:size] / size - 0.5
    for _ in range(rng.integers(*SHAPES)):
        picture = _paint_shape(picture, label, size, rng, rows, cols)
    picture += rng.normal(0, rng.uniform(*NOISE), size=picture.shape).astype(np.float32)
    return np.clip(picture, 0, 255).astype(np.uint8)


def _paint_shape(picture, label, size, rng, rows, cols):
    """Paint one shaded shape of class ``label`` into ``picture`` (float32, H x W x 3)."""
    outline = np.array(_outline(label, size, rng, radius=RADIUS)).reshape(-1, 2)
    # work inside the shape's bounding box only: a soft mask drawn at twice the
    # resolution, then averaged down
    left, top = np.maximum(np.floor(outline.min(axis=0)).astype(int) - 1, 0)
    right, bottom = np.minimum(np.ceil(outline.max(axis=0)).astype(int) + 1, size)
    if right <= left or bottom <= top:
        return picture
    mask = Image.new("L", (2 * (right - left), 2 * (bottom - top)), 0)
    ImageDraw.Draw(mask).polygon([float(2 * v) for v in (outline - (left, top)).ravel()],
                                 fill=255)
    alpha = np.asarray(mask.resize((right - left, bottom - top), Image.Resampling.BOX),
                       dtype=np.float32)[:, :, None] / 255
    box = picture[top:bottom, left:right]
    under = (box * alpha).sum(axis=(0, 1)) / np.maximum(alpha.sum(), 1.0)
    colour = rng.uniform(*FOREGROUND, 3)
    for _ in range(20):                                       # keep it visible
        if np.abs(colour - under).sum() > CONTRAST:
            break
        colour = rng.uniform(*FOREGROUND, 3)
    direction = rng.normal(size=2)
    shading = 1 + rng.uniform(0.1, 0.3) * (rows[top:bottom, left:right] * direction[0]
                                           + cols[top:bottom, left:right] * direction[1])
    fill = colour.astype(np.float32) * shading[:, :, None].astype(np.float32)
    picture[top:bottom, left:right] = box * (1 - alpha) + fill * alpha
    return picture


def _outline(label, size, rng, radius):
    """Polygon ``[x0, y0, x1, y1, ...]`` of an ellipse (0) or a rectangle (1).

    Both have the same area ``pi * R**2`` for ``R`` drawn from ``radius``
    (fractions of ``size``), the same aspect ratios and rotations.
    """
    r = rng.uniform(*radius) * size
    aspect = rng.uniform(0.7, 1.0)
    angle = np.deg2rad(rng.uniform(-TILT, TILT))
    centre = rng.uniform(0.08 * size, 0.92 * size, 2)
    if label == 0:
        t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
        u, v = r / np.sqrt(aspect) * np.cos(t), r * np.sqrt(aspect) * np.sin(t)
    else:
        half = np.sqrt(np.pi) / 2 * r
        u = half / np.sqrt(aspect) * np.array([-1, 1, 1, -1])
        v = half * np.sqrt(aspect) * np.array([-1, -1, 1, 1])
    x = centre[0] + u * np.cos(angle) - v * np.sin(angle)
    y = centre[1] + u * np.sin(angle) + v * np.cos(angle)
    return [float(value) for pair in zip(x, y) for value in pair]


def _write_atomic(path, data):
    """Write bytes through a temporary file, so an interrupted run leaves no half file."""
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "wb") as f:
        f.write(data)
    os.replace(temporary, path)
