"""Time the kernel twins on the chapter's layer shapes: numba (cpu) vs vectorised (xp).

For every convolution of the chapter's MNIST net at batch 64 (and the first
layer of the cats-vs-dogs net at batch 4) this times ``im2col`` and ``col2im``;
for every pooling layer, max and average pooling forward and backward. All
twins run in the same process, on the same float32 inputs, after a warm-up call
(so numba's compile time is excluded), interleaved repeat by repeat. The
reference loops are timed with fewer repeats, and only where one call takes
seconds at most.

The table gives the median time in ms and, in brackets, the interquartile range;
then ``xp/cpu`` and ``ref/cpu``: how many times slower than numba each twin is.
NumPy's element-wise functions run on one core; numba uses ``--threads`` (default:
minicnn's own setting, ``MINICNN_THREADS`` or every CPU; see ``minicnn/kernels/threads.py``).

Run::

    python benchmarks/kernels.py            # about 15 s on 2 cores
    python benchmarks/kernels.py --quick    # about 3 s
    python benchmarks/kernels.py --repeats 50 --threads 2 --no-reference

Other busy processes disturb the timings (with 2 threads, they stall numba's OpenMP
threads for milliseconds per call): run it on an idle machine (rows timed while other
processes were busy are marked ``!``). Measured figures are in the README's
*Benchmarks* section.
"""
import argparse
import os
import time

import numpy as np

from minicnn.kernels.geometry import conv_geometry

REFERENCE_MAX_STEPS = 2_000_000  # loop iterations above which the reference is skipped

# (net, layer, kind, N, H, W, C, KH, KW, SH, SW, padding): the chapter's shapes
LAYERS = [
    ("mnist", "conv1", "conv", 64, 28, 28, 1, 3, 3, 1, 1, "valid"),
    ("mnist", "pool1", "pool", 64, 26, 26, 32, 2, 2, 2, 2, "valid"),
    ("mnist", "conv2", "conv", 64, 13, 13, 32, 3, 3, 1, 1, "valid"),
    ("mnist", "pool2", "pool", 64, 11, 11, 64, 2, 2, 2, 2, "valid"),
    ("mnist", "conv3", "conv", 64, 5, 5, 64, 3, 3, 1, 1, "valid"),
    ("cats", "conv1", "conv", 4, 150, 150, 3, 3, 3, 1, 1, "valid"),
    ("cats", "pool1", "pool", 4, 148, 148, 32, 2, 2, 2, 2, "valid"),
]


def jobs(layer, rng):
    """``(kernel name, steps, make)`` for one layer; ``make(twin)`` returns the call to time.

    ``steps`` counts the reference's Python loop iterations, to decide whether to run it.
    """
    net, name, kind, N, H, W, C, KH, KW, SH, SW, padding = layer
    g = (KH, KW, SH, SW, padding)
    OH, OW = conv_geometry(H, W, *g)[:2]
    x = rng.standard_normal((N, H, W, C)).astype(np.float32)
    dy = rng.standard_normal((N, OH, OW, C)).astype(np.float32)
    windows = N * OH * OW * KH * KW
    if kind == "conv":
        dcols = rng.standard_normal((N * OH * OW, KH * KW * C)).astype(np.float32)
        return [
            ("im2col", windows, lambda t: lambda: t.im2col(x, *g)),
            ("col2im", windows, lambda t: lambda: t.col2im(dcols, x.shape, *g)),
        ]

    def maxpool_backward(t):
        argmax = t.maxpool_forward(x, *g)[1]
        return lambda: t.maxpool_backward(dy, argmax, x.shape, *g)

    return [
        ("maxpool_forward", windows, lambda t: lambda: t.maxpool_forward(x, *g)),
        ("maxpool_backward", N * OH * OW * C, maxpool_backward),
        ("avgpool_forward", windows, lambda t: lambda: t.avgpool_forward(x, *g)),
        ("avgpool_backward", windows, lambda t: lambda: t.avgpool_backward(dy, x.shape, *g)),
    ]


def results_agree(a, b):
    """Compare two kernel results (arrays, or tuples of arrays)."""
    a, b = (a if isinstance(a, tuple) else (a,)), (b if isinstance(b, tuple) else (b,))
    return all(np.allclose(u, v, rtol=1e-5, atol=1e-5) for u, v in zip(a, b))


def cpu_seconds():
    """``(all processes' busy CPU seconds, this process's)``, or None off Linux."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    busy = sum(ticks) - ticks[3] - ticks[4]  # less idle and iowait
    return busy / os.sysconf("SC_CLK_TCK"), sum(os.times()[:2])


def others_busy(before, after, seconds):
    """How many CPUs other processes kept busy between two ``cpu_seconds()``."""
    if before is None or after is None:
        return 0.0
    return ((after[0] - before[0]) - (after[1] - before[1])) / seconds


def measure(calls, repeats):
    """Time each call ``repeats[name]`` times, interleaved; milliseconds per call."""
    times = {name: [] for name in calls}
    for r in range(max(repeats.values())):
        for name, call in calls.items():
            if r < repeats[name]:
                start = time.perf_counter()
                call()
                times[name].append((time.perf_counter() - start) * 1e3)
    return times


def summary(ms):
    """``median (q1-q3)`` of a list of milliseconds, or ``-``."""
    if not ms:
        return "-"
    q1, median, q3 = np.percentile(ms, [25, 50, 75])
    if len(ms) < 4:
        return f"{median:.3f} (1 run)" if len(ms) == 1 else f"{median:.3f} ({len(ms)} runs)"
    return f"{median:.3f} ({q1:.3f}-{q3:.3f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 repeats, 1 reference run")
    parser.add_argument("--repeats", type=int, default=30, help="timed calls per fast twin")
    parser.add_argument("--threads", type=int, default=None,
                        help="numba threads (default: minicnn's, MINICNN_THREADS or every CPU)")
    parser.add_argument("--layer", choices=["default", "omp", "workqueue", "tbb"],
                        default="default", help="numba threading layer")
    parser.add_argument("--no-reference", action="store_true", help="skip the Python loops")
    args = parser.parse_args()
    repeats = 5 if args.quick else args.repeats
    ref_repeats = 1 if args.quick else min(3, repeats)

    import numba

    from minicnn.kernels import cpu, reference, xp

    if args.layer != "default":
        numba.config.THREADING_LAYER = args.layer
    if args.threads is not None:
        cpu.set_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    cpu.im2col(np.zeros((1, 2, 2, 1), np.float32), 1, 1, 1, 1, "valid")  # starts the threads
    print(f"numpy {np.__version__}, numba {numba.__version__} with "
          f"{numba.get_num_threads()} {numba.threading_layer()} threads, "
          f"{os.cpu_count()} CPUs; float32; "
          f"median ms (IQR) of {repeats} calls, reference {ref_repeats}")
    header = (f"{'kernel':<17} {'layer':<12} {'shape N,H,W,C  window':<27} "
              f"{'cpu (numba)':>22} {'xp':>22} {'reference':>22} {'xp/cpu':>7} {'ref/cpu':>8}")
    print(header)
    print("-" * len(header))
    rng = np.random.default_rng(0)
    wall, disturbed = time.perf_counter(), 0
    for layer in LAYERS:
        net, name, kind, N, H, W, C, KH, KW, SH, SW, padding = layer
        shape = f"{N}x{H}x{W}x{C}  {KH}x{KW}/{SH} {padding}"
        for kernel, steps, make in jobs(layer, rng):
            calls = {"cpu": make(cpu), "xp": make(xp)}
            counts = {"cpu": repeats, "xp": repeats}
            if not args.no_reference and steps <= REFERENCE_MAX_STEPS:
                calls["reference"], counts["reference"] = make(reference), ref_repeats
            warm = {twin: call() for twin, call in calls.items()}  # compiles numba
            if not all(results_agree(warm["cpu"], out) for out in warm.values()):
                print(f"WARNING: the twins disagree on {kernel} {shape}")
            before, start = cpu_seconds(), time.perf_counter()
            ms = measure(calls, counts)
            others = others_busy(before, cpu_seconds(), time.perf_counter() - start)
            disturbed += others > 0.25
            cpu_ms = np.median(ms["cpu"])
            ratio = {t: f"{np.median(ms[t]) / cpu_ms:.1f}" if ms.get(t) else "-"
                     for t in ("xp", "reference")}
            print(f"{kernel:<17} {net + ' ' + name:<12} {shape:<27} {summary(ms['cpu']):>22} "
                  f"{summary(ms['xp']):>22} {summary(ms.get('reference')):>22} "
                  f"{ratio['xp']:>7} {ratio['reference']:>8}" + ("  !" if others > 0.25 else ""))
    print(f"total {time.perf_counter() - wall:.1f} s")
    if disturbed:
        print(f"! {disturbed} rows ran while other processes kept CPUs busy: a numba parallel "
              "loop waits for its slowest thread, so these stall for ms (rerun when idle, "
              "or try --threads 1)")


if __name__ == "__main__":
    main()
