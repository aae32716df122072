"""The chapter's small cats-vs-dogs folder: listing 5-4 of Deep Learning with Python.

What it shows: from Kaggle's "Dogs vs. Cats" training images (``cat.N.jpg`` and
``dog.N.jpg``), the first 1,000 of each class go to ``train/cats`` and
``train/dogs``, the next 500 to ``validation/...`` and the next 500 to
``test/...``: 2,000 / 1,000 / 1,000 images, the folder that
``examples/cats_dogs_from_scratch.py`` and ``cats_dogs_augmented.py`` read.

The source is any of (``--source``, or looked for in the current folder and in
``$MINICNN_HOME/datasets/``, default ``~/.minicnn/datasets/``):

- the competition's ``dogs-vs-cats.zip`` (it holds ``train.zip``),
- ``train.zip``,
- the unpacked ``train/`` folder.

Get it from https://www.kaggle.com/c/dogs-vs-cats/data (a free Kaggle account
accepts the competition's rules), e.g. ``kaggle competitions download -c
dogs-vs-cats``. Nothing is unpacked beyond the 4,000 files copied.

Offline, ``--synthetic`` writes the SYNTHETIC stand-in instead: drawn ellipses
("circles") against rectangles ("squares") in the same layout and sizes
(``minicnn.datasets.shapes``), in ``synthetic_shapes_small/``. It is not a photo
set; accuracies on it say nothing about cats and dogs.

Expected result: the three totals per class (1000, 500, 500), about 90 MB, in
under a minute (the synthetic set: about 20 s). Running it again copies nothing.

    python examples/make_small_cats_dogs.py                       # looks for the Kaggle files
    python examples/make_small_cats_dogs.py --source ~/Downloads/dogs-vs-cats.zip
    python examples/make_small_cats_dogs.py --synthetic           # offline stand-in
"""
import argparse
import os
import sys
import zipfile

from minicnn.datasets.shapes import make_shapes_folder
from minicnn.utils.data_utils import minicnn_home

DATA_HOME = os.path.join(minicnn_home(), "datasets")
BASE_DIR = os.path.join(DATA_HOME, "cats_and_dogs_small")
SYNTHETIC_DIR = os.path.join(DATA_HOME, "synthetic_shapes_small")
SOURCE_NAMES = ("dogs-vs-cats.zip", "train.zip", "train")
KAGGLE_URL = "https://www.kaggle.com/c/dogs-vs-cats/data"
# (split, first number, count): listing 5-4's ranges, the same for both classes
SPLITS = (("train", 0, 1000), ("validation", 1000, 500), ("test", 1500, 500))
WORDS = {"train": "training", "validation": "validation", "test": "test"}

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--source", help="dogs-vs-cats.zip, train.zip or the train/ folder")
parser.add_argument("--dest", help=f"the folder to fill (default {BASE_DIR}, "
                                   f"or {SYNTHETIC_DIR} with --synthetic)")
parser.add_argument("--synthetic", action="store_true",
                    help="write the SYNTHETIC shapes stand-in instead (offline)")
args = parser.parse_args()


def find_source():
    """The Kaggle source to read: ``--source``, else the first one found."""
    if args.source:
        if not os.path.exists(args.source):
            sys.exit(f"--source {args.source!r} does not exist")
        return args.source
    for folder in (os.getcwd(), DATA_HOME):
        for name in SOURCE_NAMES:
            path = os.path.join(folder, name)
            if os.path.exists(path):
                return path
    sys.exit(f"No Kaggle 'Dogs vs. Cats' images found: looked for {', '.join(SOURCE_NAMES)} "
             f"in {os.getcwd()} and {DATA_HOME}.\nDownload dogs-vs-cats.zip (or train.zip) "
             f"from {KAGGLE_URL} and pass --source PATH, or run with --synthetic for the "
             "offline stand-in (drawn shapes, not photos).")


def wanted(base_dir):
    """Listing 5-4's files not yet in ``base_dir``: ``{'cat.0.jpg': destination, ...}``."""
    out = {}
    for split, first, count in SPLITS:
        for animal in ("cat", "dog"):
            folder = os.path.join(base_dir, split, animal + "s")
            os.makedirs(folder, exist_ok=True)
            for number in range(first, first + count):
                name = f"{animal}.{number}.jpg"
                if not os.path.exists(os.path.join(folder, name)):
                    out[name] = os.path.join(folder, name)
    return out


def read_images(path, names):
    """``(name, bytes)`` for each of ``names``, in the order the source stores them.

    A zip is read in storage order, so that ``train.zip`` inside the competition's
    zip is decompressed in one forward pass instead of once per image.
    """
    if os.path.isdir(path):
        for name in names:
            source = os.path.join(path, name)
            if os.path.exists(source):
                with open(source, "rb") as f:
                    yield name, f.read()
        return
    try:
        outer = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        sys.exit(f"{path!r} is not a zip file: expected dogs-vs-cats.zip, train.zip or the "
                 f"train/ folder from {KAGGLE_URL}")
    with outer:
        inner = outer
        if "train.zip" in outer.namelist():             # the competition's zip holds train.zip
            inner = zipfile.ZipFile(outer.open("train.zip"))
        with inner:
            members = [info for info in inner.infolist()
                       if os.path.basename(info.filename) in names]
            for info in sorted(members, key=lambda info: info.header_offset):
                yield os.path.basename(info.filename), inner.read(info)


def copy_images(source, base_dir):
    """Listing 5-4: copy every missing file of the three splits from ``source``."""
    missing = wanted(base_dir)
    for name, data in read_images(source, set(missing)):
        if name not in missing:                         # a second copy in another folder
            continue
        temporary = missing[name] + ".part"
        with open(temporary, "wb") as f:
            f.write(data)
        os.replace(temporary, missing.pop(name))        # no half-written image survives
    if missing:
        sys.exit(f"{len(missing)} images are missing from {source!r}, e.g. "
                 f"{sorted(missing)[0]}; expected Kaggle's training images cat.0.jpg ... "
                 f"cat.12499.jpg and dog.0.jpg ... dog.12499.jpg ({KAGGLE_URL})")


if args.synthetic:
    base_dir = args.dest or SYNTHETIC_DIR
    print(f"Writing the SYNTHETIC stand-in (drawn shapes, not photos) to {base_dir}")
    make_shapes_folder(base_dir)
    labels = ("circles", "squares")
else:
    base_dir = args.dest or BASE_DIR
    source = find_source()
    print(f"Copying from {source} to {base_dir}")
    copy_images(source, base_dir)
    labels = ("cats", "dogs")

for split, _, _ in SPLITS:
    for label in labels:
        total = len([n for n in os.listdir(os.path.join(base_dir, split, label))
                     if not n.endswith(".part")])
        print(f"total {WORDS[split]} {label[:-1]} images: {total}")
