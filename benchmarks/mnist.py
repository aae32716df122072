"""Throughput of the chapter's MNIST convnet (W1): minicnn vs its reference kernels vs PyTorch.

Prints training and inference samples/s at batch 64 (median of several rounds, min-max
beside it) and the ratios. Each engine runs in its own worker process and the rounds are
interleaved (see harness.py). PyTorch is timed only if it is installed (pinned: 2 threads,
channels-last, eval + no_grad for inference, same batch); it is never required. Then one
full epoch of the 60k Fashion-MNIST training set through ``fit`` (Debian's
dataset-fashion-mnist), if it is installed.

    python benchmarks/mnist.py              # full run (about two minutes)
    python benchmarks/mnist.py --quick      # fewer rounds, no full epoch
"""
import argparse
import importlib.util
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

BATCH = 64
THREADS = 2


def book_model():
    """Listings 5-1 and 5-2: the chapter's MNIST convnet, compiled as in listing 5-3."""
    from minicnn import backend, layers, models, optimizers

    backend.set_seed(0)
    model = models.Sequential()
    model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(layers.Flatten())
    model.add(layers.Dense(64, activation="relu"))
    model.add(layers.Dense(10, activation="softmax"))
    model.compile(optimizers.RMSprop(1e-3), "categorical_crossentropy", ["accuracy"])
    return model


def batches(n=8, batch=BATCH):
    rng = np.random.default_rng(0)
    x = [rng.random((batch, 28, 28, 1), dtype=np.float32) for _ in range(n)]
    y = [np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch)] for _ in range(n)]
    return x, y


def setup(name, kernels="auto", array_backend="numpy", batch=BATCH):
    """One engine in a worker process: ``'minicnn'`` or ``'torch'``, batches of ``batch``."""
    x, y = batches(batch=batch)
    if name == "torch":
        import torch
        from torch import nn

        torch.set_num_threads(THREADS)
        torch.manual_seed(0)
        net = nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Flatten(),
            nn.Linear(576, 64), nn.ReLU(), nn.Linear(64, 10)).to(memory_format=torch.channels_last)
        opt = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
        xs = [torch.from_numpy(b.transpose(0, 3, 1, 2).copy()).contiguous(
            memory_format=torch.channels_last) for b in x]
        ys = [torch.from_numpy(b.argmax(1)) for b in y]
        return dict(name=name, net=net, opt=opt, x=xs, y=ys, loss=nn.CrossEntropyLoss())
    from minicnn import backend

    backend.set_backend(array_backend)
    backend.set_kernels(kernels)
    return dict(name=name, model=book_model(), x=[backend.to_device(b) for b in x], y=y)


def run(engine, mode, steps):
    """Seconds and samples for ``steps`` batches of ``mode`` ('train' or 'infer')."""
    x, y = engine["x"], engine["y"]
    start = time.perf_counter()
    if engine["name"] == "torch":
        harness.torch_steps(engine, mode, steps)
    else:  # each step returns host values (the loss, NumPy predictions): timings include the GPU
        model = engine["model"]
        for i in range(steps):
            if mode == "train":
                model.train_on_batch(x[i % len(x)], y[i % len(y)])
            else:
                model.predict_on_batch(x[i % len(x)])
    return time.perf_counter() - start, steps * len(x[0])


def full_epoch():
    """One epoch over the 60k Fashion-MNIST training images, as fit() runs it."""
    from minicnn.datasets import fashion_mnist
    from minicnn.utils import to_categorical

    try:
        (x, y), _ = fashion_mnist.load_data()
    except OSError as e:
        print(f"(no full-size Fashion-MNIST here: {e})")
        return
    x = (x.reshape(-1, 28, 28, 1) / np.float32(255)).astype("float32")
    model = book_model()
    start = time.perf_counter()
    model.fit(x, to_categorical(y, 10), batch_size=BATCH, epochs=1, verbose=0)
    seconds = time.perf_counter() - start
    print(f"one epoch of Fashion-MNIST through fit ({len(x):,} images, batch {BATCH}): "
          f"{seconds:.1f} s, {len(x) / seconds:,.0f} samples/s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--steps", type=int, default=30, help="batches per round")
    parser.add_argument("--backend", default="numpy", choices=("numpy", "cupy"),
                        help="minicnn's array backend (cupy: on the GPU)")
    args = parser.parse_args()
    rounds = args.rounds or (3 if args.quick else 7)
    steps = {"train": args.steps, "infer": args.steps}
    engines = [harness.Engine("minicnn", setup, run, options={"array_backend": args.backend},
                              steps=steps),
               harness.Engine("minicnn, reference kernels", setup, run,
                              options={"kernels": "reference"},
                              steps={"train": 1, "infer": 1})]
    if importlib.util.find_spec("torch") is not None:
        engines.append(harness.Engine("torch", setup, run, steps=steps))
    else:
        print("PyTorch is not installed: timing minicnn alone")
    harness.interleave(engines, ("train", "infer"), rounds)
    for engine in engines:
        engine.close()

    import numba
    print(f"\nW1: the chapter's MNIST convnet, batch {BATCH}, float32, {os.cpu_count()} CPUs "
          f"({platform.processor() or platform.machine()}); numpy {np.__version__}, "
          f"numba {numba.__version__}; median (min-max) samples/s over {rounds} rounds")
    harness.print_rates(engines)
    if not args.quick:
        full_epoch()


if __name__ == "__main__":
    main()
