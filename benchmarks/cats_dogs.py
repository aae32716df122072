"""Throughput of the chapter's cats-vs-dogs convnet and its data pipeline (W2).

Two tables from one run:

1. The book's from-scratch net (listing 5-5: 150x150x3 input, 3,453,121
   parameters) at batch 32: training and inference images/s for minicnn and,
   if PyTorch is installed, the same net there (pinned: 2 threads,
   channels-last; eval + no_grad for inference), with the ratios. The batches
   are random arrays already in memory: this times the network alone.
2. The data pipeline of listing 5-14: ``flow_from_directory`` over a synthetic
   150x150 JPEG folder (``minicnn.datasets.shapes``) with the book's
   augmentation (rotation_range=40, width/height_shift_range=0.2,
   shear_range=0.2, zoom_range=0.2, horizontal_flip, rescale=1/255), batch 32,
   loading threads as by default: images/s of the batches alone, and of the
   training step fed by them (what ``fit_generator`` runs in
   ``examples/cats_dogs_augmented.py``).

Each engine runs in its own worker process and the rounds of all three are
interleaved (see harness.py): the pipeline is the third engine, whose two modes
are "training fed by the pipeline" and "the pipeline alone". Medians with
min-max over the rounds, with the load average beside the table: other busy
processes slow both engines.

    python benchmarks/cats_dogs.py             # 5 rounds (about 90 s on 2 cores)
    python benchmarks/cats_dogs.py --quick     # 3 shorter rounds (about 55 s)

Measured on 2 quiet cores (2026-11-28, --quick): minicnn trains about 83 images/s and
infers about 251, PyTorch about 89 and 315-395 (its inference varies most between
rounds); minicnn 0.93x and 0.64-0.8x. The augmenting pipeline gives about 2,600
images/s with 2 loading threads, so training fed by it runs at the network's own
speed (0.98x).
"""
import argparse
import contextlib
import importlib.util
import io
import os
import platform
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

BATCH = 32
THREADS = 2
BOOK_AUGMENTATION = dict(rescale=1. / 255, rotation_range=40, width_shift_range=0.2,
                         height_shift_range=0.2, shear_range=0.2, zoom_range=0.2,
                         horizontal_flip=True)


def book_model():
    """Listings 5-5 and 5-6: the chapter's cats-vs-dogs convnet, RMSprop(lr=1e-4)."""
    from minicnn import backend, layers, models, optimizers

    backend.set_seed(0)
    model = models.Sequential()
    model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(150, 150, 3)))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(128, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(128, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Flatten())
    model.add(layers.Dense(512, activation="relu"))
    model.add(layers.Dense(1, activation="sigmoid"))
    model.compile(optimizers.RMSprop(lr=1e-4), "binary_crossentropy", ["acc"])
    return model


def batches(n=4):
    rng = np.random.default_rng(0)
    x = [rng.random((BATCH, 150, 150, 3), dtype=np.float32) for _ in range(n)]
    y = [rng.integers(0, 2, BATCH).astype(np.float32) for _ in range(n)]
    return x, y


def setup(name, folder=None):
    """One engine in a worker process: ``'minicnn'``, ``'torch'`` or ``'pipeline'``."""
    if name == "torch":
        import torch
        from torch import nn

        torch.set_num_threads(THREADS)
        torch.manual_seed(0)
        net = nn.Sequential(
            nn.Conv2d(3, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(128, 128, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(6272, 512), nn.ReLU(), nn.Linear(512, 1)
        ).to(memory_format=torch.channels_last)
        opt = torch.optim.RMSprop(net.parameters(), lr=1e-4, alpha=0.9, eps=1e-7)
        x, y = batches()
        xs = [torch.from_numpy(b.transpose(0, 3, 1, 2).copy()).contiguous(
            memory_format=torch.channels_last) for b in x]
        ys = [torch.from_numpy(b[:, None]) for b in y]
        return dict(name=name, net=net, opt=opt, x=xs, y=ys, loss=nn.BCEWithLogitsLoss())
    engine = dict(name=name, model=book_model())
    if name == "pipeline":
        from minicnn.preprocessing.image import ImageDataGenerator

        with contextlib.redirect_stdout(io.StringIO()):    # "Found 640 images ..."
            engine["iterator"] = ImageDataGenerator(**BOOK_AUGMENTATION).flow_from_directory(
                folder, target_size=(150, 150), batch_size=BATCH, class_mode="binary", seed=0)
    else:
        engine["x"], engine["y"] = batches()
    return engine


def run(engine, mode, steps):
    """Seconds and images for ``steps`` batches of ``mode`` (``'train'`` or ``'infer'``).

    For the networks, a training step or a forward pass on in-memory batches. For
    the ``'pipeline'`` engine, ``'train'`` is a training step on each batch the
    augmenting iterator gives and ``'infer'`` only draws the batches.
    """
    start = time.perf_counter()
    if engine["name"] == "torch":
        harness.torch_steps(engine, mode, steps)
    elif engine["name"] == "pipeline":
        model, iterator = engine["model"], engine["iterator"]
        for _ in range(steps):
            xb, yb = next(iterator)
            if mode == "train":
                model.train_on_batch(xb, yb)
    else:
        model, x, y = engine["model"], engine["x"], engine["y"]
        for i in range(steps):
            if mode == "train":
                model.train_on_batch(x[i % len(x)], y[i % len(y)])
            else:
                model.predict_on_batch(x[i % len(x)])
    return time.perf_counter() - start, steps * BATCH


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds of fewer batches")
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args()
    rounds = args.rounds or (3 if args.quick else 5)
    scale = 1 if args.quick else 2
    net_steps = {"train": 3 * scale, "infer": 5 * scale}
    torch_steps = {"train": 6 * scale, "infer": 10 * scale}
    pipe_steps = {"train": 3 * scale, "infer": 10 * scale}
    from minicnn.datasets.shapes import make_shapes_folder

    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        root = make_shapes_folder(os.path.join(scratch, "shapes"), n_train=320,
                                  n_validation=0, n_test=0)
        print(f"synthetic folder: 640 JPEGs 150x150 in {time.perf_counter() - started:.1f} s")
        engines = [harness.Engine("minicnn", setup, run, steps=net_steps)]
        if importlib.util.find_spec("torch") is not None:
            engines.append(harness.Engine("torch", setup, run, steps=torch_steps))
        else:
            print("PyTorch is not installed: timing minicnn alone")
        pipeline = harness.Engine("pipeline", setup, run, steps=pipe_steps,
                                  options={"folder": os.path.join(root, "train")})
        load = os.getloadavg()[0]
        harness.interleave(engines + [pipeline], ("train", "infer"), rounds)
        load = max(load, os.getloadavg()[0])
        for engine in engines + [pipeline]:
            engine.close()

    import numba
    print(f"\nW2: the chapter's cats-vs-dogs convnet, 150x150x3, batch {BATCH}, float32, "
          f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), load "
          f"average up to {load:.1f}; numpy {np.__version__}, numba {numba.__version__}; "
          f"median (min-max) images/s over {rounds} rounds")
    harness.print_rates(engines)
    print(f"\ndata pipeline: flow_from_directory + the book's augmentation, batch {BATCH}, "
          f"{pipeline_workers()} loading threads")
    print(f"{'augmented batches alone':36s} {harness.summary(pipeline.rates['infer']):>24s}")
    print(f"{'minicnn training fed by them':36s} {harness.summary(pipeline.rates['train']):>24s}")
    print(f"training fed by the pipeline / on in-memory batches: "
          f"{harness.median(pipeline.rates['train']) / harness.median(engines[0].rates['train']):.2f}x")


def pipeline_workers():
    from minicnn.preprocessing.iterators import default_workers

    return default_workers()


if __name__ == "__main__":
    main()
