"""The text of docs/performance.md and its figure, from ``run_all.py``'s measurements.

A *pass* is ``(label, workloads, loads, seconds)``: every workload timed once under one
condition (quiet, or with busy processes beside). Nothing here times anything.
"""
import datetime
import os
import platform

import numpy as np

import chapter
import harness
import vgg16

IM2COL = "minicnn, im2col"
REFERENCE = "minicnn, reference kernels"

# (workload, mode, target ratio when quiet): issue 16's targets
TARGETS = [(f"W1 b{b}", mode, 1.0) for b in (16, 64, 256) for mode in ("train", "infer")] + [
    ("W2", "train", 1.2), ("W2", "infer", 1.2), ("W3 150", "infer", 1.0),
    ("W3 224", "infer", 1.0), ("W4 frozen", "train", 1.0), ("W4 finetune", "train", 1.0)]


def machine():
    import numba

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    blas = os.environ.get("OPENBLAS_CORETYPE")
    return (f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, numpy "
            f"{np.__version__}, numba {numba.__version__}, PyTorch "
            f"{harness.torch_version() or 'not installed'}; OPENBLAS_CORETYPE="
            f"{blas or '(unset)'}")


def _by_key(results):
    return {w.key: w for w in results}


def _ratio_text(r, target=None):
    if r is None:
        return ""
    return f"{r:.2f}x" + ("" if target is None else (" (met)" if r >= target else " (missed)"))


def targets(passes):
    """A markdown table: each target's ratio in every pass."""
    head = "| workload | mode | target | " + " | ".join(p[0] for p in passes) + " |"
    lines = [head, "|---|---|---|" + "---|" * len(passes)]
    for key, mode, target in TARGETS:
        cells = []
        for i, (_, results, _, _) in enumerate(passes):
            w = _by_key(results)[key]
            cells.append(_ratio_text(w.ratio(mode), target if i == 0 else chapter.LOADED_TARGET))
        lines.append(f"| {_by_key(passes[0][1])[key].title} | {_mode(mode)} | {target:.1f}x quiet, "
                     f"{chapter.LOADED_TARGET}x loaded | " + " | ".join(cells) + " |")
    return lines


def _mode(mode):
    return "training" if mode == "train" else "inference"


def _cell(w, engine, mode):
    e = w.engines.get(engine)
    return harness.summary(e.rates[mode]) if e else ""


def table(results):
    """Markdown rows: every workload and mode, each engine's rate, the ratios, peak RSS."""
    lines = ["| workload | mode | minicnn (auto) | minicnn, Winograd off | PyTorch | auto / "
             "PyTorch | Winograd off / PyTorch | peak RSS minicnn / PyTorch (MiB) |",
             "|---|---|---|---|---|---|---|---|"]
    for w in results:
        for mode in w.modes:
            peaks = f"{w.peaks['minicnn']:.0f}" + (f" / {w.peaks['torch']:.0f}"
                                                   if "torch" in w.peaks else "")
            ref = ""
            if REFERENCE in w.engines:
                ref = (f"; reference kernels {_cell(w, REFERENCE, mode)} "
                       f"({w.rate('minicnn', mode) / w.rate(REFERENCE, mode):,.0f}x slower)")
            off = _cell(w, IM2COL, mode) or "(auto runs im2col)"
            lines.append(f"| {w.title} | {_mode(mode)} | {_cell(w, 'minicnn', mode)} {w.unit}"
                         f"{ref} | {off} | {_cell(w, 'torch', mode)} | "
                         f"{_ratio_text(w.ratio(mode))} | {_ratio_text(w.ratio(mode, IM2COL))} "
                         f"| {peaks} |")
    return lines


def chapter_runs(passes):
    """Markdown rows: the chapter's long runs at book size, in minutes, per engine and pass."""
    head = ["| listing | what runs |"]
    engines = [("minicnn", "minicnn"), (IM2COL, "Winograd off"), ("torch", "PyTorch")]
    for label, _, _, _ in passes:
        head.append(" | ".join(f"{name}, {label}" for _, name in engines) + " |")
    lines = [" ".join(head), "|---|---|" + "---|" * (len(engines) * len(passes))]
    for listing, what, steps in chapter.CHAPTER_RUNS:
        cells = []
        for _, results, _, _ in passes:
            for engine, _ in engines:
                m = chapter.chapter_minutes(_by_key(results), engine, steps)
                cells.append("" if m is None else _minutes(m))
        lines.append(f"| {listing} | {what} | " + " | ".join(cells) + " |")
    return lines


def _minutes(m):
    return f"{m:,.0f} min" if m >= 10 else f"{m:.1f} min"


def scaling_figure(results, path):
    """W1 training samples/s against batch size; W3 GFLOP/s against image size."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4))
    left, right = fig.subplots(1, 2)
    w1 = [w for w in results if w.key.startswith("W1")]
    w3 = [w for w in results if w.key.startswith("W3")]
    for engine, style in (("minicnn", "o-"), (IM2COL, "^:"), ("torch", "s--")):
        name = {"torch": "PyTorch", IM2COL: "minicnn, Winograd off"}.get(engine, engine)
        if engine in w1[0].engines:
            left.plot([w.options["batch"] for w in w1], [w.rate(engine, "train") for w in w1],
                      style, label=f"{name}, training")
            left.plot([w.options["batch"] for w in w1], [w.rate(engine, "infer") for w in w1],
                      style, alpha=0.5, label=f"{name}, inference")
        if engine in w3[0].engines:
            right.plot([w.options["size"] for w in w3],
                       [w.rate(engine, "infer") * vgg16.gflop_per_image(w.options["size"])
                        for w in w3], style, label=name)
    left.set(xscale="log", xlabel="batch size", ylabel="samples/s", ylim=(0, None),
             title="W1 MNIST net: throughput vs batch")
    left.set_xticks([16, 64, 256], ["16", "64", "256"])
    left.minorticks_off()
    right.set(xlabel="image side (pixels)", ylabel="effective GFLOP/s (direct convolution's count)",
              ylim=(0, None), title="W3 VGG16 base: speed vs image size")
    right.set_xticks([112, 150, 224])
    for ax in (left, right):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def report(passes, rounds, firsts, gemm, profiles, minutes, figure):
    """The text of docs/performance.md; ``figure`` is the PNG's path relative to it."""
    quiet = _by_key(passes[0][1])
    w3 = quiet["W3 150"]
    lines = [
        "# Performance: minicnn beside PyTorch",
        "",
        f"Written by `python benchmarks/run_all.py` on {datetime.date.today().isoformat()}, "
        f"{machine()}. Float32. minicnn as installed: convolutions by `'auto'` (im2col or "
        f"Winograd per layer, [winograd.md](winograd.md)), its products on its own threads "
        f"(one per CPU) with BLAS on one thread each; \"Winograd off\" is the same engine with "
        f"`MINICNN_CONV_ALGORITHM=im2col`. PyTorch on 2 threads, channels-last, `eval()` + "
        f"`no_grad()` for inference. Median (min-max) over {rounds} interleaved rounds (W2-W4: "
        f"{max(2, rounds - 2)}); each engine in its own process, whose peak RSS is the last "
        f"column. {minutes:.0f} minutes in all.",
        "",
    ]
    for label, _, loads, seconds in passes:
        lines.append(f"- **{label}**: load average before / after {loads[0][13:]} / "
                     f"{loads[1][13:]}; {seconds / 60:.0f} minutes.")
    lines += ["", "## Targets (issue 16)", "",
              "minicnn / PyTorch throughput, same run; W3's peak RSS at most "
              f"{chapter.RSS_TARGET}x PyTorch's and the first training step under 2 s with "
              "numba's cache warm.", "", *targets(passes), ""]
    if "torch" in w3.peaks:
        lines.append(f"Peak RSS of W3 at 150x150: {w3.peaks['minicnn']:.0f} MiB against "
                     f"PyTorch's {w3.peaks['torch']:.0f} "
                     f"(**{w3.peaks['minicnn'] / w3.peaks['torch']:.2f}x**).")
    lines += [f"First training step after `import minicnn` (import, build, compile or load the "
              f"kernels, one W1 step): **{firsts[0]:.1f} s** with numba's cache warm, "
              f"{firsts[1]:.1f} s cold (an empty `NUMBA_CACHE_DIR`: every kernel compiles, once "
              f"per checkout).", ""]
    for label, results, _, _ in passes:
        lines += [f"## Every workload: {label}", "", *table(results), ""]
    lines += ["## The chapter's long runs, at book size", "",
              "Minutes on this machine, extrapolated from the measured steps above (images "
              "over images/s; W2's batch of 32 stands in for listing 5-8's 20). The data "
              "pipeline is not counted: the augmenting `flow_from_directory` gives about "
              "2,600 images/s on its loading threads (`benchmarks/cats_dogs.py`), and it "
              "shares the CPUs with training.", "", *chapter_runs(passes), "",
              f"![scaling]({figure})", "", "## Why Winograd: im2col's products alone", "",
              "The im2col matrix products of one batch, timed alone with NumPy's BLAS on the "
              "same shapes (matrix times kernel; for training also the kernel gradient and "
              "dx), against minicnn's whole step (quiet pass): an im2col engine can go no "
              "faster than these.", ""]
    for (key, mode), (secs, flop) in gemm.items():
        w = quiet[key]
        batch = w.options.get("batch", 32)
        vs = f", {batch / secs / w.rate('torch', mode):.2f}x PyTorch" if "torch" in w.engines else ""
        lines.append(f"- {w.title}, {_mode(mode)}: the products alone {secs:.2f} s per batch "
                     f"({flop / secs:.0f} GFLOP/s), at most {batch / secs:.1f} {w.unit}{vs}; "
                     f"minicnn with auto: {w.rate('minicnn', mode):.1f} {w.unit}.")
    lines += ["", "## Layer by layer: `model.profile`", "",
              "What `model.profile(x, y)` prints (quiet, 2 steps after a warm-up, each in a "
              "fresh process): every layer's forward and backward time and the algorithm "
              "`auto` chose for each convolution pass.", ""]
    for title, text in profiles:
        lines += [f"### {title}", "", "```", text, "```", ""]
    with open(os.path.join(os.path.dirname(__file__), "performance_notes.md")) as f:
        lines.append(f.read().rstrip())
    return "\n".join(lines) + "\n"
