"""Feature extraction with VGG16's convolutional base: minicnn vs PyTorch, images/s and memory.

What it times is listing 5-17's inner step, ``conv_base.predict(batch)`` on the chapter's
base (``VGG16(include_top=False)``, 13 convolutions, ~13.2 GFLOP per 150x150 image, ~30.7
per 224x224 one), at 150x150 batch 20 (the chapter) and 224x224 batch 8 (ImageNet size).
The weights are random: speed does not depend on them, and no download is needed.

Each (engine, size) pair runs in its own fresh worker process (see harness.py), so the
peak resident memory printed is that job's alone, imports included (``import torch``
alone is ~220 MiB). The rounds are interleaved; the table gives the median images/s over
the rounds and the spread (min-max), then the ratios minicnn / PyTorch.

PyTorch, when installed, runs the same 13 convolutions written out by hand (torchvision
is not needed): channels-last tensors, 2 threads, ``eval()`` and ``no_grad()``.

    python benchmarks/vgg16.py             # 5 rounds (a few minutes on 2 cores)
    python benchmarks/vgg16.py --quick     # 2 rounds of one batch

Timings on a shared machine are noisy: the load average is printed before and after, and
a round during which other processes took more than ``--others`` (10%) of the CPUs is run
again (up to 3 times); the table shows the largest share left in a kept round.
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

THREADS = 2
JOBS = {"150x150, batch 20": (150, 20), "224x224, batch 8": (224, 8)}
BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))   # VGG16: (filters, convolutions)


def gflop_per_image(size):
    """Multiply-adds x 2 of VGG16's 13 convolutions on one ``size x size`` image."""
    total, channels, side = 0, 3, size
    for filters, convs in BLOCKS:
        for _ in range(convs):
            total += 2 * side * side * 9 * channels * filters
            channels = filters
        side //= 2
    return total / 1e9


def images(size, batch):
    """A batch of preprocessed random RGB images, NHWC float32."""
    from minicnn.applications.imagenet_utils import preprocess_input

    rng = np.random.default_rng(0)
    return preprocess_input((rng.random((batch, size, size, 3)) * 255).astype(np.float32))


def torch_vgg16_features():
    """VGG16's convolutional base in PyTorch, by hand (what torchvision's ``features`` is)."""
    from torch import nn

    stack, channels = [], 3
    for filters, convs in BLOCKS:
        for _ in range(convs):
            stack += [nn.Conv2d(channels, filters, 3, padding=1), nn.ReLU(inplace=True)]
            channels = filters
        stack.append(nn.MaxPool2d(2, 2))
    return nn.Sequential(*stack)


def setup(name, size, batch):
    """One engine in a worker process: ``'minicnn'`` or ``'torch'``, for one job."""
    x = images(size, batch)
    if name == "torch":
        import torch

        torch.set_num_threads(THREADS)
        torch.manual_seed(0)
        net = torch_vgg16_features().eval().to(memory_format=torch.channels_last)
        # NHWC memory seen as NCHW: already channels-last, no copy
        return dict(name=name, net=net, x=torch.from_numpy(x).permute(0, 3, 1, 2))
    from minicnn.applications import VGG16

    conv_base = VGG16(weights=None, include_top=False, input_shape=(size, size, 3))
    return dict(name=name, model=conv_base, x=x)


def run(engine, mode, steps):
    """Seconds and images for ``steps`` batches through the convolutional base."""
    x = engine["x"]
    start = time.perf_counter()
    if engine["name"] == "torch":
        import torch

        with torch.no_grad():
            for _ in range(steps):
                out = engine["net"](x)
        assert out.shape[1] == 512
    else:
        for _ in range(steps):
            out = engine["model"].predict(x, batch_size=len(x))
        assert out.shape[-1] == 512
    return time.perf_counter() - start, steps * len(x)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds of one batch")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None, help="batches per round")
    parser.add_argument("--no-torch", action="store_true", help="time minicnn alone")
    parser.add_argument("--others", type=float, default=0.10,
                        help="rerun a round (up to 3 times) when other processes used more "
                             "than this share of the CPUs during it (default 0.10)")
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 5)
    steps = args.steps or (1 if args.quick else 2)
    names = ["minicnn"]
    if args.no_torch:
        pass
    elif importlib.util.find_spec("torch") is not None:
        names.append("torch")
    else:
        print("PyTorch is not installed: timing minicnn alone")
    print(f"before: {harness.load()}", flush=True)
    engines = {}
    for job, (size, batch) in JOBS.items():
        for name in names:
            engines[job, name] = harness.Engine(name, setup, run, steps={job: steps},
                                                options=dict(size=size, batch=batch))
    started = time.perf_counter()
    for engine in engines.values():               # one warm-up batch each (numba, caches)
        (job,) = engine.steps
        engine.time(job, 1)
        engine.rates[job] = []
    others = {key: [] for key in engines}
    for _ in range(rounds):
        for key, engine in engines.items():
            (job,) = engine.steps
            others[key].append(harness.timed(engine, job, steps, args.others))
    peaks = {key: engine.close() for key, engine in engines.items()}
    seconds = time.perf_counter() - started

    import numba
    print(f"after:  {harness.load()}  ({seconds:.0f} s)")
    print(f"\nVGG16 convolutional base, forward only (feature extraction), float32, "
          f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}); numpy "
          f"{np.__version__}, numba {numba.__version__}; median (min-max) over {rounds} rounds "
          f"of {steps} batch(es); peak RSS of each job's own process; 'others': the largest "
          f"share of the CPUs other processes took during a kept round")
    print(f"{'job':18s} {'engine':42s} {'images/s':>17s} {'GFLOP/s':>7s} {'peak RSS':>9s} "
          f"{'others':>6s}")
    for (job, name), engine in engines.items():
        label = f"pytorch {harness.torch_version()} (2 threads, channels-last)" if name == "torch" \
            else "minicnn"
        rate = harness.median(engine.rates[job])
        print(f"{job:18s} {label:42s} {harness.summary(engine.rates[job]):>17s} "
              f"{rate * gflop_per_image(JOBS[job][0]):7.0f} {peaks[job, name]:5.0f} MiB "
              f"{max(others[job, name]):6.0%}")
    if "torch" in names:
        print()
        for job in JOBS:
            ours, theirs = engines[job, "minicnn"], engines[job, "torch"]
            print(f"{job:18s} minicnn / pytorch: speed "
                  f"{harness.median(ours.rates[job]) / harness.median(theirs.rates[job]):.2f}x, "
                  f"peak RSS {peaks[job, 'minicnn'] / peaks[job, 'torch']:.2f}x")


if __name__ == "__main__":
    main()
