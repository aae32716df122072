"""Every workload, minicnn beside PyTorch, quiet and under load, in one command.

The workloads are the chapter's (``chapter.py``): W1 the MNIST net at batch 16, 64, 256
(and at 64 on minicnn's reference kernels, the naive loops, for scale); W2 the
cats-vs-dogs net; W3 VGG16's base at 112, 150 and 224 pixels; W4 section 5.3's training
steps through VGG16 (frozen base + dense head, fine-tuning block 5). Where ``'auto'``
runs Winograd on some layer (W2-W4), minicnn is timed twice: as it is (``auto``) and with
Winograd off (``MINICNN_CONV_ALGORITHM=im2col``).

Each (workload, engine) pair runs in its own fresh worker process (``harness.py``), so
the peak resident memory printed is that job's alone. Within a workload the rounds of
all engines are interleaved, so machine drift hits them alike, and a round during which
other processes took more than 10% of the CPUs (beyond the busy ones started on
purpose) is run again. PyTorch is timed when it is installed (``pip install
torch==2.13.0``; never required), pinned to 2 threads, channels-last, ``eval()`` +
``no_grad()`` for inference, the same batches.

The whole set runs twice: quiet, then with ``--busy`` (default 1) CPU-bound processes
beside it (``python -c 'while True: pass'``), what a reader's machine with other
programs open looks like. Then, quiet: the first training step after ``import
minicnn`` with numba's cache warm and cold, the im2col products alone, and
``model.profile`` tables, layer by layer, of the chapter's nets.

Writes ``docs/performance.md`` and ``docs/figures/performance/scaling.png`` (``--out``
for another folder).

    python benchmarks/run_all.py            # 5 rounds of W1, 3 of the rest (about 15 minutes)
    python benchmarks/run_all.py --quick    # 2 rounds, fewer steps (about 7 minutes)
    python benchmarks/run_all.py --busy 0   # quiet only
"""
import argparse
import contextlib
import importlib.util
import io
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import chapter  # noqa: E402
import harness  # noqa: E402
import report  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE, IM2COL = report.REFERENCE, report.IM2COL      # engine labels in the tables


def engines_of(workload, torch, reference):
    """``{label: (engine name, options, env)}`` for one workload."""
    out = {"minicnn": ("minicnn", {}, {})}
    if workload.winograd:
        out[IM2COL] = ("minicnn", {}, {"MINICNN_CONV_ALGORITHM": "im2col"})
    if torch:
        out["torch"] = ("torch", {}, {})
    if reference and workload.key == "W1 b64":
        out[REFERENCE] = ("minicnn", {"kernels": "reference"}, {})
    return out


def measure(workload, engines, rounds, threshold):
    """Start one worker per engine, warm up, time interleaved rounds, close (peak RSS)."""
    for label, (name, extra, env) in engines.items():
        steps = dict.fromkeys(workload.modes, 1 if label == REFERENCE else workload.steps)
        workload.engines[label] = harness.Engine(name, workload.module.setup,
                                                 workload.module.run,
                                                 {**workload.options, **extra}, steps, env)
    for engine in workload.engines.values():
        for mode in workload.modes:
            engine.time(mode, 1)                     # numba, BLAS and allocator warm-up
            engine.rates[mode] = []
    for _ in range(rounds):
        for engine in workload.engines.values():
            for mode in workload.modes:
                harness.timed(engine, mode, engine.steps[mode], threshold)
    workload.peaks = {label: e.close() for label, e in workload.engines.items()}


@contextlib.contextmanager
def busy(count):
    """``count`` CPU-bound processes running beside the block."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(count)]
    try:
        yield
    finally:
        for p in spinners:
            p.kill()
            p.wait()


def condition(label, quick, rounds, torch, extra_busy, reference):
    """Every workload once; returns ``(label, workloads, loads, seconds)``."""
    loads, started = [harness.load()], time.perf_counter()
    print(f"\n== {label} ==  before: {loads[0]}", flush=True)
    # the busy processes take extra_busy CPUs; rounds are rerun only for anything beyond
    threshold = 0.10 + extra_busy / (os.cpu_count() or 1)
    results = chapter.workloads(quick)
    for w in results:
        print(f"timing {w.title} ...", flush=True)
        measure(w, engines_of(w, torch, reference),
                rounds if w.key.startswith("W1") else max(2, rounds - 2), threshold)
        print("  " + "; ".join(f"{label} {mode} {harness.summary(e.rates[mode])}"
                               for label, e in w.engines.items() for mode in w.modes), flush=True)
    loads.append(harness.load())
    return label, results, loads, time.perf_counter() - started


FIRST_STEP = """
import time
start = time.perf_counter()
import sys
sys.path.insert(0, {bench!r})
import mnist
model = mnist.book_model()
x, y = mnist.batches(n=1)
model.train_on_batch(x[0], y[0])
print(time.perf_counter() - start)
"""


def first_step(cold):
    """Seconds from ``import minicnn`` to the end of the first MNIST training step."""
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as cache:
        if cold:
            env["NUMBA_CACHE_DIR"] = cache         # an empty cache: everything compiles
        code = FIRST_STEP.format(bench=os.path.dirname(os.path.abspath(__file__)))
        out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                             capture_output=True, text=True).stdout
    return float(out.split()[-1])


# (title, benchmark module, the model, one batch as ([x], [y])), built in a fresh process
PROFILES = (
    ("W1: the MNIST net, one training step at batch 64", "mnist", "m.book_model()",
     "m.batches(n=1, batch=64)"),
    ("W2: the cats-vs-dogs net, one training step at batch 32", "cats_dogs", "m.book_model()",
     "m.batches(n=1)"),
    ("W3: VGG16's base, inference at 150x150, batch 20", "vgg16",
     "VGG16(weights=None, include_top=False, input_shape=(150, 150, 3))",
     "([m.images(150, 20)], [None])"),
    ("W4: fine-tuning block 5 (listing 5-23), one training step at 150x150, batch 20",
     "transfer", "m.book_model('finetune')", "m.batches(n=1)"),
)

PROFILE = """
import sys
sys.path.insert(0, {bench!r})
import {module} as m
from minicnn.applications import VGG16
model = {model}
(x,), (y,) = {batch}
model.profile(x, y, steps=2)
"""


def profiles():
    """``model.profile``'s table for each of ``PROFILES``, each in a fresh process."""
    out = []
    for title, module, model, batch in PROFILES:
        code = PROFILE.format(bench=os.path.dirname(os.path.abspath(__file__)), module=module,
                              model=model, batch=batch)
        text = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                              text=True).stdout
        out.append((title, text.rstrip()))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds, fewer steps")
    parser.add_argument("--rounds", type=int, default=None, help="rounds of W1 (the rest: 2 fewer)")
    parser.add_argument("--busy", type=int, default=1,
                        help="busy processes beside the second pass (0: quiet only)")
    parser.add_argument("--no-torch", action="store_true", help="time minicnn alone")
    parser.add_argument("--out", default=os.path.join(ROOT, "docs"),
                        help="folder for performance.md and figures/performance/scaling.png")
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 5)
    torch = not args.no_torch and importlib.util.find_spec("torch") is not None
    if not torch and not args.no_torch:
        print("PyTorch is not installed: timing minicnn alone")
    started = time.perf_counter()
    passes = [condition("quiet", args.quick, rounds, torch, 0, reference=True)]
    if args.busy:
        with busy(args.busy):
            passes.append(condition(f"{args.busy} busy process{'es' * (args.busy > 1)} beside",
                                    args.quick, rounds, torch, args.busy, reference=False))
    firsts = (first_step(cold=False), first_step(cold=True))
    with contextlib.redirect_stdout(io.StringIO()):
        gemm = {("W2", "train"): chapter.gemm_seconds(chapter.W2_CONVS, 32, train=True),
                ("W3 150", "infer"): chapter.gemm_seconds(chapter.vgg16_convs(150), 20)}
    tables = profiles()
    minutes = (time.perf_counter() - started) / 60

    os.makedirs(os.path.join(args.out, "figures", "performance"), exist_ok=True)
    figure = os.path.join(args.out, "figures", "performance", "scaling.png")
    report.scaling_figure(passes[0][1], figure)
    text = report.report(passes, rounds, firsts, gemm, tables, minutes,
                         os.path.relpath(figure, args.out))
    path = os.path.join(args.out, "performance.md")
    with open(path, "w") as f:
        f.write(text)
    print("\n".join(report.targets(passes)))
    print(f"\nfirst step: {firsts[0]:.1f} s warm, {firsts[1]:.1f} s cold; {minutes:.0f} min"
          f"\nwrote {path} and {figure}")


if __name__ == "__main__":
    main()
