"""im2col against Winograd F(2x2, 3x3) and F(4x4, 3x3) on every convolution of the chapter.

For each conv layer of the chapter's nets (the MNIST net at batch 16, 64 and 256; the
cats-vs-dogs net at batch 32 on 150x150; VGG16's base at 150x150 batch 20 and 224x224
batch 8), this times a float32 ``Conv2D`` (ReLU, bias) with each algorithm forced
(``backend.conv_algorithm_scope``), pass by pass, as training runs them:

- ``fwd``: ``forward(x, training=True)``: im2col keeps its matrix when it fits the workspace;
- ``dx``: the input gradient alone (``backward_preactivation`` with weight gradients off);
- ``dW``: the kernel (and bias) gradient alone, after that forward: im2col's is one
  product with the kept matrix where it fits, else rebuilt a chunk at a time;
- ``dW-``: im2col's kernel gradient with no kept matrix (what runs when the forward pass
  was Winograd's): the matrix rebuilt.

Every (layer, algorithm, pass) is timed once per repeat, repeats interleaved; a cell is
the median in ms and the spread (min-max). ``auto`` is what ``'auto'`` picks for that pass
(``kernels.conv_algorithm.choose``, whose rule came from this table), ``best`` what was
fastest here. The machine (CPU model, ``OPENBLAS_CORETYPE``, thread settings) and how busy
other processes kept it are printed first and last: on a shared machine the figures are
loaded ones.

    python benchmarks/conv_algorithms.py                  # 5 repeats, every net (~5 min, 2 cores)
    python benchmarks/conv_algorithms.py --quick          # 2 repeats
    python benchmarks/conv_algorithms.py --nets mnist vgg150 --repeats 3
"""
import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

from minicnn import backend, layers  # noqa: E402
from minicnn.kernels.conv_algorithm import conv_algorithm_scope  # noqa: E402
from minicnn.kernels import conv_algorithm, threads  # noqa: E402

ALGORITHMS = ("im2col", "winograd2", "winograd4")
PASSES = ("fwd", "dx", "dW", "dW-")
VGG16 = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))      # (filters, convolutions)


def vgg16_layers(size, batch):
    """VGG16's 13 convolutions (all 'same') on ``size x size`` images."""
    rows, C, side = [], 3, size
    for block, (F, convs) in enumerate(VGG16, 1):
        for i in range(1, convs + 1):
            rows.append((f"block{block}_conv{i}", batch, side, side, C, F, "same"))
            C = F
        side //= 2
    return rows


NETS = {
    "mnist": [(f"conv{i}", n, h, h, c, f, "valid") for n in (16, 64, 256)
              for i, (h, c, f) in enumerate(((28, 1, 32), (13, 32, 64), (5, 64, 64)), 1)],
    "cats_dogs": [(f"conv{i}", 32, h, h, c, f, "valid") for i, (h, c, f) in
                  enumerate(((150, 3, 32), (74, 32, 64), (36, 64, 128), (17, 128, 128)), 1)],
    "vgg150": vgg16_layers(150, 20),
    "vgg224": vgg16_layers(224, 8),
}


def machine():
    """The CPU model, core count, BLAS core type and thread settings, on one line."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f
                         if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    env = {name: os.environ.get(name, "(unset)") for name in
           ("OPENBLAS_CORETYPE", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    return (f"{model}, {os.cpu_count()} CPUs; "
            + ", ".join(f"{k}={v}" for k, v in env.items())
            + f"; numba kernel threads {threads.THREADS}; numpy {np.__version__}")


class Job:
    """One layer shape: its Conv2D, input and upstream gradient."""

    def __init__(self, N, H, W, C, F, padding, seed=0):
        rng = np.random.default_rng(seed)
        self.shape = (N, H, W, C)
        self.x = np.maximum(rng.standard_normal(self.shape, dtype=np.float32), 0)
        self.layer = layers.Conv2D(F, 3, padding=padding, activation="relu")
        self.layer.build((None, H, W, C))
        OH, OW = self.layer.compute_output_shape((None, H, W, C))[1:3]
        self.dz = rng.standard_normal((N, OH, OW, F), dtype=np.float32)

    def time(self, algorithm):
        """Seconds of each pass with ``algorithm`` forced: ``{pass: s}``."""
        layer, out = self.layer, {}
        with backend.conv_algorithm_scope(algorithm):
            out["fwd"] = _seconds(lambda: layer.forward(self.x, training=True))
            out["dW"] = _seconds(lambda: layer.backward_preactivation(self.dz, need_dx=False))
            if algorithm == "im2col":
                x, _, y = layer._cache
                layer._cache = (x, None, y)                   # no kept matrix: rebuilt
                out["dW-"] = _seconds(lambda: layer.backward_preactivation(self.dz, False))
            layer._weight_grads_off = True
            try:
                out["dx"] = _seconds(lambda: layer.backward_preactivation(self.dz))
            finally:
                layer._weight_grads_off = False
            layer._cache = None                               # free x, cols, y
        return out


def _seconds(call):
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def cell(seconds):
    """``'median (min-max)'`` in ms."""
    ms = [s * 1e3 for s in seconds]
    digits = 0 if statistics.median(ms) >= 100 else 1
    return f"{statistics.median(ms):.{digits}f} ({min(ms):.{digits}f}-{max(ms):.{digits}f})"


def auto_pick(step, N, H, W, C, F, padding):
    """What ``'auto'`` runs for pass ``step`` ('fwd', 'dx', 'dW') of this layer."""
    with conv_algorithm_scope("auto"):
        return conv_algorithm.choose({"fwd": "forward"}.get(step, step), (N, H, W, C), F,
                                     (3, 3), (1, 1), padding)


def best(times, step):
    """The fastest algorithm for ``step`` (im2col's ``dW`` counted as it would run after a
    forward pass of the fastest forward algorithm: kept matrix or rebuilt)."""
    med = {a: {p: statistics.median(v) for p, v in t.items()} for a, t in times.items()}
    if step != "dW":
        return min(ALGORITHMS, key=lambda a: med[a][step])
    fwd = min(ALGORITHMS, key=lambda a: med[a]["fwd"])
    kept = "dW" if fwd == "im2col" else "dW-"
    return min(ALGORITHMS, key=lambda a: med[a][kept if a == "im2col" else "dW"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nets", nargs="+", choices=list(NETS), default=list(NETS))
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="2 repeats")
    args = parser.parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 5)
    print(f"machine: {machine()}")
    print(f"before: {harness.load()}", flush=True)
    rows = [(net, *row) for net in args.nets for row in NETS[net]]
    jobs = {}
    for _, _, *shape in rows:
        jobs.setdefault(tuple(shape), None)
    times = {shape: {a: {p: [] for p in PASSES if p != "dW-" or a == "im2col"}
                     for a in ALGORITHMS} for shape in jobs}
    busy0, mine0 = harness._busy_jiffies(os.getpid())
    started = time.perf_counter()
    for r in range(-1, repeats):                               # repeat -1: warm-up (numba)
        for shape in jobs:
            job = Job(*shape)
            for algorithm in ALGORITHMS:
                for step, s in job.time(algorithm).items():
                    if r >= 0:
                        times[shape][algorithm][step].append(s)
            del job
        print(f"  repeat {r + 1}/{repeats} done ({time.perf_counter() - started:.0f} s)",
              flush=True)
    seconds = time.perf_counter() - started
    busy1, mine1 = harness._busy_jiffies(os.getpid())
    others = ((busy1 - busy0) - (mine1 - mine0)) / (os.sysconf("SC_CLK_TCK") * seconds
                                                    * (os.cpu_count() or 1))
    print(f"after:  {harness.load()}; other processes used {others:.0%} of the CPUs "
          f"during the {seconds:.0f} s")
    print(f"\nms per call, float32, median (min-max) over {repeats} interleaved repeats; "
          f"'auto': what the 'auto' setting picks, 'best': the fastest here")
    head = (f"{'net':9s} {'layer':13s} {'N':>3s} {'input -> F':18s} {'pass':4s} "
            + " ".join(f"{a:>19s}" for a in ALGORITHMS) + f" {'best':>9s} {'auto':>9s}")
    print(head)
    agree = total = 0
    for net, name, N, H, W, C, F, padding in rows:
        t = times[(N, H, W, C, F, padding)]
        for step in PASSES:
            cells = [cell(t[a][step]) if step in t[a] else "" for a in ALGORITHMS]
            if step == "dW-":
                print(f"{'':9s} {'':13s} {'':>3s} {'':18s} {step:4s} {cells[0]:>19s}")
                continue
            pick = auto_pick(step, N, H, W, C, F, padding)
            fastest = best(t, step)
            agree, total = agree + (pick == fastest), total + 1
            label = f"{H}x{W}x{C} -> {F}" + ("" if padding == "same" else " v")
            print(f"{net:9s} {name:13s} {N:3d} {label:18s} {step:4s} "
                  + " ".join(f"{c:>19s}" for c in cells) + f" {fastest:>9s} {pick:>9s}")
    print(f"\nauto picked the fastest algorithm in {agree} of {total} (layer, pass) cells")
    for net in args.nets:
        for step in ("fwd", "dx", "dW"):
            total_ms = {}
            for a in ALGORITHMS + ("auto",):
                ms = 0.0
                for _, _, N, H, W, C, F, padding in (r for r in rows if r[0] == net):
                    t = times[(N, H, W, C, F, padding)]
                    alg = a if a != "auto" else auto_pick(step, N, H, W, C, F, padding)
                    ms += statistics.median(t[alg][step]) * 1e3
                total_ms[a] = ms
            print(f"{net:9s} {step:4s} sum over layers, ms: "
                  + ", ".join(f"{a} {v:.0f}" for a, v in total_ms.items()))


if __name__ == "__main__":
    main()
