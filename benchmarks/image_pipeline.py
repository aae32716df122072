"""Images per second of ``flow_from_directory`` with the chapter's augmentation.

The folder is the synthetic 150x150 JPEG one (``minicnn.datasets.shapes``); the
generator is the book's: ``rescale=1/255, rotation_range=40,
width_shift_range=0.2, height_shift_range=0.2, shear_range=0.2, zoom_range=0.2,
horizontal_flip=True``; batches of 32. Each configuration reads ``--batches``
batches per round, after one warm-up batch (numba's compile time and the first
thread start are excluded); the table gives the median over ``--rounds``
rounds and the spread (min-max), then the speed-up over the synchronous scipy
pipeline, which is what Keras runs in one thread.

Rows:

- ``workers=0``: everything in the calling thread;
- ``workers=N``: N loading threads, two batches prepared ahead;
- ``resampler``: ``scipy`` (one ``ndimage.affine_transform`` per channel, holds
  the GIL) or ``numba`` (one nogil pass for all channels; the default).

A first table times the resampling of one 150x150x3 image alone.

Run::

    python benchmarks/image_pipeline.py              # about 10 s on 2 cores
    python benchmarks/image_pipeline.py --quick
    python benchmarks/image_pipeline.py --folder /tmp/shapes --rounds 9

Expected on a 2-core machine: resampling ~1.4 ms (scipy) vs ~0.25 ms (numba)
per image; the pipeline ~600 images/s synchronous with scipy, ~1900 with numba,
~1050 with scipy and 2 threads (JPEG decoding overlaps, the resampling does
not), ~2600 with numba and 2 threads. The chapter's training step on 32 images
takes far longer than the ~12 ms a batch costs here.
"""
import argparse
import contextlib
import io
import os
import tempfile
import time

import numpy as np

from minicnn import backend
from minicnn.datasets.shapes import make_shapes_folder
from minicnn.kernels import affine as affine_kernels
from minicnn.preprocessing import affine, image

BOOK = dict(rescale=1.0 / 255, rotation_range=40, width_shift_range=0.2,
            height_shift_range=0.2, shear_range=0.2, zoom_range=0.2, horizontal_flip=True,
            fill_mode="nearest")


def time_resampling(repeats):
    """Median ms per 150x150x3 image for each twin, on the book's random transforms."""
    rng = np.random.default_rng(0)
    x = (rng.random((150, 150, 3)) * 255).astype(np.float32)
    generator = image.ImageDataGenerator(**BOOK)
    matrices = []
    for seed in range(repeats):
        p = generator.get_random_transform(x.shape, seed=seed)
        matrices.append(affine.transform_matrix(150, 150, p["theta"], p["tx"], p["ty"],
                                                p["shear"], p["zx"], p["zy"]))
    out = {}
    for name, twin in (("scipy", affine_kernels.resample_scipy), ("numba", affine_kernels.resample_numba)):
        twin(x, matrices[0], "nearest", 0.0)             # warm-up (compiles numba)
        times = []
        for matrix in matrices:
            start = time.perf_counter()
            twin(x, matrix, "nearest", 0.0)
            times.append(time.perf_counter() - start)
        out[name] = 1e3 * float(np.median(times))
    return out


def time_pipeline(folder, workers, resampler, batches, rounds, batch_size=32):
    """Images/s per round for one configuration: a list of ``rounds`` numbers."""
    kernels = "reference" if resampler == "scipy" else "auto"
    rates = []
    with backend.kernels_scope(kernels):
        generator = image.ImageDataGenerator(**BOOK)
        with contextlib.redirect_stdout(io.StringIO()):  # "Found N images ..."
            iterator = generator.flow_from_directory(
                folder, target_size=(150, 150), batch_size=batch_size, class_mode="binary",
                seed=0, workers=workers)
        with iterator:
            next(iterator)                               # warm-up
            for _ in range(rounds):
                start = time.perf_counter()
                for _ in range(batches):
                    next(iterator)
                rates.append(batches * batch_size / (time.perf_counter() - start))
    return rates


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folder", help="where the synthetic images are (made if needed)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="3 rounds of 4 batches")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.batches = 3, 4
    cores = os.cpu_count() or 1

    print("resampling one 150x150x3 image (book augmentation), median of 50")
    resampling = time_resampling(50)
    print(f"{'twin':<8}{'ms/image':>10}")
    for name, ms in resampling.items():
        print(f"{name:<8}{ms:>10.3f}")
    print(f"numba is {resampling['scipy'] / resampling['numba']:.1f}x faster\n")

    with tempfile.TemporaryDirectory() as scratch:
        root = args.folder or os.path.join(scratch, "shapes")
        start = time.perf_counter()
        make_shapes_folder(root, n_train=320, n_validation=0, n_test=0, size=150)
        print(f"synthetic folder: 640 JPEGs 150x150 ready in {time.perf_counter() - start:.1f} s"
              f" ({cores} cores)\n")
        folder = os.path.join(root, "train")
        configs = [(0, "scipy"), (0, "numba"), (cores, "scipy"), (cores, "numba")]
        if cores > 2:
            configs.insert(3, (2, "numba"))
        print(f"flow_from_directory, batch 32, {args.batches} batches x {args.rounds} rounds")
        print(f"{'workers':>7}  {'resampler':<9}{'images/s':>10}{'min-max':>16}{'speed-up':>10}")
        base = None
        for workers, resampler in configs:
            rates = time_pipeline(folder, workers, resampler, args.batches, args.rounds)
            median = float(np.median(rates))
            base = base or median
            spread = f"{min(rates):.0f}-{max(rates):.0f}"
            print(f"{workers:>7}  {resampler:<9}{median:>10.0f}{spread:>16}"
                  f"{median / base:>9.2f}x")


if __name__ == "__main__":
    main()
