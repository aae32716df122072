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

Each image holds 5 to 9 shapes of its class: ellipses ("circles") or
rectangles ("squares") of random size, aspect ratio, position and tilt
(up to +-30 degrees), each in a random light colour with shading, over a
smooth darker two-colour background crossed by a few random lines, with pixel
noise and JPEG compression. Both classes draw colours, counts and areas from
the same distributions (an ellipse and a rectangle drawn with the same size
have the same area), so mean colour, brightness and colour histograms carry no
signal: ``tests/test_shapes.py`` checks that such classifiers stay near
chance. The difference is in the outlines, curves against straight edges and
corners. The chapter's small convnet with its settings (RMSprop 1e-4, batch 20,
2000 training images, no augmentation; measured with a PyTorch twin of it)
stays near 50% on validation for about 8 epochs, then reaches about 60-65%
by epoch 13 while training accuracy passes 85%: it learns, and overfits, much
as on the real photographs (about 71%).

Every file depends only on ``(seed, class, number, size)``: rerunning with the
same arguments writes nothing new and changes nothing.
"""
import io
import json
import os

import numpy as np
from PIL import Image, ImageDraw

VERSION = 1                    # bump when the drawing changes: old folders are refused
SPLITS = ("train", "validation", "test")
RADIUS = (0.06, 0.11)          # shape size: equal-area radius, a fraction of the image
TILT = 30                      # shapes are rotated by up to +-TILT degrees
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
    """One synthetic picture: 5 to 9 ellipses (``label`` 0) or rectangles (1) over clutter.

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
    colours = rng.uniform(0, 160, size=(2, 3)).astype(np.float32)  # darker than shapes
    background = colours[0] * (1 - field) + colours[1] * field
    canvas = Image.fromarray(background.astype(np.uint8))
    draw = ImageDraw.Draw(canvas)
    for _ in range(rng.integers(1, 5)):                       # clutter: lines
        ends = rng.uniform(0, size, 4)
        draw.line(list(ends), fill=_colour(rng), width=int(rng.integers(1, 3)))
    picture = np.array(canvas, dtype=np.float32)

    rows, cols = np.mgrid[0:size, 0:size] / size - 0.5
    for _ in range(rng.integers(5, 10)):                      # 5 to 9 shapes of the class
        picture = _paint_shape(picture, label, size, rng, rows, cols)
    picture += rng.normal(0, rng.uniform(5, 15), size=picture.shape).astype(np.float32)
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
    colour = rng.uniform(100, 255, 3)
    for _ in range(20):                                       # keep it visible
        if np.abs(colour - under).sum() > 120:
            break
        colour = rng.uniform(100, 255, 3)
    direction = rng.normal(size=2)
    shading = 1 + rng.uniform(0.1, 0.3) * (rows[top:bottom, left:right] * direction[0]
                                           + cols[top:bottom, left:right] * direction[1])
    fill = colour.astype(np.float32) * shading[:, :, None].astype(np.float32)
    picture[top:bottom, left:right] = box * (1 - alpha) + fill * alpha
    return picture


def _colour(rng):
    return tuple(int(v) for v in rng.integers(0, 256, 3))


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
