"""The chapter's workloads as ``run_all.py`` times them, and the arithmetic around them.

- ``workloads(quick)``: W1 (the MNIST net, listings 5-1 to 5-3) at batch 16, 64, 256;
  W2 (the cats-vs-dogs net, listing 5-5) at batch 32; W3 (VGG16's base, listing 5-17) at
  112, 150 and 224 pixels; W4 (section 5.3's training steps through VGG16 at 150x150,
  batch 20): the frozen base plus its dense head (listing 5-21) and fine-tuning with
  block 5 trainable (listing 5-23).
- ``CHAPTER_RUNS``: the chapter's long runs at book size, as counts of images through
  each workload, for the minutes ``report.py`` extrapolates from measured rates.
- ``gemm_seconds``: how long the im2col matrix products of a net take alone in NumPy.
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import cats_dogs  # noqa: E402
import harness  # noqa: E402
import mnist  # noqa: E402
import transfer  # noqa: E402
import vgg16  # noqa: E402

LOADED_TARGET = 0.8     # the same with one busy process beside both engines
RSS_TARGET = 1.5        # minicnn / PyTorch peak RSS on W3


class Workload:
    """One table row group: a benchmark module's ``setup``/``run`` with fixed options.

    ``winograd``: whether ``'auto'`` runs Winograd on some layer of it (then minicnn is
    also timed with ``MINICNN_CONV_ALGORITHM=im2col``, Winograd off).
    """

    def __init__(self, key, title, module, options, modes, steps, unit, winograd=True):
        self.key, self.title, self.module = key, title, module
        self.options, self.modes, self.steps, self.unit = options, modes, steps, unit
        self.winograd = winograd
        self.engines = {}            # engine label -> harness.Engine
        self.peaks = {}              # engine label -> peak RSS, MiB

    def rate(self, engine, mode):
        return harness.median(self.engines[engine].rates[mode])

    def ratio(self, mode, engine="minicnn"):
        """minicnn / PyTorch, medians; ``None`` without both."""
        if "torch" not in self.engines or engine not in self.engines:
            return None
        return self.rate(engine, mode) / self.rate("torch", mode)


def workloads(quick):
    scale = 2 if quick else 1
    # every MNIST layer is im2col's under 'auto' (few channels, small maps): no im2col twin
    w = [Workload(f"W1 b{b}", f"W1 MNIST net, batch {b}", mnist, dict(batch=b),
                  ("train", "infer"), max(2, steps // scale), "samples/s", winograd=False)
         for b, steps in ((16, 60), (64, 30), (256, 8))]
    w.append(Workload("W2", "W2 cats-vs-dogs net, 150x150, batch 32", cats_dogs, {},
                      ("train", "infer"), 3 if not quick else 2, "img/s"))
    for size, batch in ((112, 20), (150, 20), (224, 8)):
        w.append(Workload(f"W3 {size}", f"W3 VGG16 base, {size}x{size}, batch {batch}", vgg16,
                          dict(size=size, batch=batch), ("infer",), 1 if quick else 2, "img/s"))
    for job, title in (("frozen", "frozen VGG16 base + dense head (5-21)"),
                       ("finetune", "fine-tuning, block5 trainable (5-23)")):
        w.append(Workload(f"W4 {job}", f"W4 {title}, 150x150, batch 20", transfer,
                          dict(job=job), transfer.JOBS[job], 1 if quick else 2, "img/s"))
    return w


# (listing, what runs at book size, [(workload, mode, images)])
CHAPTER_RUNS = (
    ("5-3", "MNIST: `fit` 5 epochs of 60,000 at batch 64, `evaluate` on 10,000",
     (("W1 b64", "train", 5 * 60_000), ("W1 b64", "infer", 10_000))),
    ("5-8", "cats vs dogs from scratch: 30 epochs of 100 steps of 20, validation 50 x 20",
     (("W2", "train", 30 * 100 * 20), ("W2", "infer", 30 * 50 * 20))),
    ("5-14", "with augmentation and dropout: 100 epochs of 100 steps of 32, validation 50 x 32",
     (("W2", "train", 100 * 100 * 32), ("W2", "infer", 100 * 50 * 32))),
    ("5-17", "feature extraction: `conv_base.predict` on 2,000 + 1,000 + 1,000 images",
     (("W3 150", "infer", 4_000),)),
    ("5-21", "frozen base + dense head: 30 epochs of 100 steps of 20, validation 50 x 20",
     (("W4 frozen", "train", 30 * 100 * 20), ("W4 frozen", "infer", 30 * 50 * 20))),
    ("5-23", "fine-tuning block 5: 100 epochs of 100 steps of 20, validation 50 x 20",
     (("W4 finetune", "train", 100 * 100 * 20), ("W4 frozen", "infer", 100 * 50 * 20))),
)


def chapter_minutes(by_key, engine, steps):
    """Minutes of one long run for ``engine``: each count of images over its measured rate.

    ``None`` when a workload lacks that engine; Winograd off is minicnn itself where
    ``'auto'`` runs im2col anyway (W1).
    """
    seconds = 0.0
    for key, mode, images in steps:
        w = by_key[key]
        name = "minicnn" if engine == "minicnn, im2col" and not w.winograd else engine
        if name not in w.engines:
            return None
        seconds += images / w.rate(name, mode)
    return seconds / 60


W2_CONVS = ((148, 3, 32), (72, 32, 64), (34, 64, 128), (15, 128, 128))  # (OH=OW, C, F)


def vgg16_convs(size):
    """VGG16's 13 convolutions as ``(OH=OW, C, F)``: 3x3 ``same``, halved by each pool."""
    convs, channels = [], 3
    for filters, count in vgg16.BLOCKS:
        for _ in range(count):
            convs.append((size, channels, filters))
            channels = filters
        size //= 2
    return convs


def gemm_seconds(convs, batch, train=False, repeats=3):
    """Seconds the 3x3 convolutions' im2col matrix products take alone in NumPy (float32).

    Inference: ``cols @ kernel`` per layer. Training adds ``cols.T @ dz`` (the kernel's
    gradient) and ``dz @ kernel.T`` (dx, skipped for the first layer, as minicnn does).
    Returns ``(seconds, GFLOP)``.
    """
    rng = np.random.default_rng(0)
    seconds = flop = 0.0
    for i, (side, channels, filters) in enumerate(convs):
        m, k = batch * side * side, 9 * channels
        cols = rng.random((m, k), dtype=np.float32)
        kernel = rng.random((k, filters), dtype=np.float32)
        products = [(cols, kernel)]
        if train:
            dz = rng.random((m, filters), dtype=np.float32)
            products.append((cols.T, dz))
            if i > 0:
                products.append((dz, kernel.T))
        for a, b in products:
            a @ b
            seconds += min(_timed_matmul(a, b) for _ in range(repeats))
            flop += 2 * m * k * filters / 1e9
    return seconds, flop


def _timed_matmul(a, b):
    start = time.perf_counter()
    a @ b
    return time.perf_counter() - start
