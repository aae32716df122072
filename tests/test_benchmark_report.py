"""The arithmetic behind docs/performance.md (benchmarks/chapter.py), checked without timing."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "benchmarks"))
chapter = pytest.importorskip("chapter")
import report  # noqa: E402


def test_vgg16_convolutions_match_the_network_and_its_flop_count():
    from minicnn.applications import VGG16

    convs = chapter.vgg16_convs(64)
    model = VGG16(weights=None, include_top=False, input_shape=(64, 64, 3))
    layers = [l for l in model.layers if type(l).__name__ == "Conv2D"]
    assert [(l.output_shape[1], l.input_shape[-1], l.filters) for l in layers] == convs
    seconds, gflop = chapter.gemm_seconds(convs, batch=2, repeats=1)
    assert seconds > 0
    assert gflop == pytest.approx(2 * chapter.vgg16.gflop_per_image(64))


def test_cats_dogs_convolutions_match_the_book_model():
    model = chapter.cats_dogs.book_model()
    layers = [l for l in model.layers if type(l).__name__ == "Conv2D"]
    assert [(l.output_shape[1], l.input_shape[-1], l.filters) for l in layers] == \
        list(chapter.W2_CONVS)
    # training: forward + kernel gradient for every layer, dx for all but the first
    _, infer = chapter.gemm_seconds(chapter.W2_CONVS[-1:], batch=1, repeats=1)
    _, train = chapter.gemm_seconds(chapter.W2_CONVS[-1:], batch=1, train=True, repeats=1)
    assert train == pytest.approx(2 * infer)


class FakeEngine:
    def __init__(self, rates):
        self.rates = rates


def fake_pass(label, speed):
    """Every workload with made-up rates: minicnn ``speed`` x PyTorch, im2col half of it."""
    results = chapter.workloads(quick=True)
    for w in results:
        w.engines = {"minicnn": FakeEngine({m: [speed * 10.0] * 2 for m in w.modes}),
                     "torch": FakeEngine({m: [9.0, 10.0, 11.0] for m in w.modes})}
        if w.winograd:
            w.engines[report.IM2COL] = FakeEngine({m: [speed * 5.0] for m in w.modes})
        w.peaks = dict.fromkeys(w.engines, 100.0)
    return label, results, ["load average 0.10, 0.10, 0.10"] * 2, 60.0


def test_long_runs_are_images_over_rates():
    _, results, _, _ = fake_pass("quiet", 2.0)
    by_key = {w.key: w for w in results}
    listing, _, steps = chapter.CHAPTER_RUNS[0]
    assert listing == "5-3"
    # 5 epochs of 60,000 + 10,000 test images, each at 20 images/s
    assert chapter.chapter_minutes(by_key, "minicnn", steps) == pytest.approx(310_000 / 20 / 60)
    # W1 has no Winograd layer: "Winograd off" is minicnn itself
    assert chapter.chapter_minutes(by_key, report.IM2COL, steps) == \
        chapter.chapter_minutes(by_key, "minicnn", steps)
    _, _, fine = chapter.CHAPTER_RUNS[-1]
    assert chapter.chapter_minutes(by_key, report.IM2COL, fine) == pytest.approx(
        2 * chapter.chapter_minutes(by_key, "minicnn", fine))
    assert chapter.chapter_minutes(by_key, "nobody", steps) is None


def test_report_marks_each_target_per_pass(tmp_path):
    passes = [fake_pass("quiet", 1.3), fake_pass("1 busy process beside", 0.7)]
    rows = report.targets(passes)
    w2 = next(r for r in rows if r.startswith("| W2") and "training" in r)
    assert "1.30x (met)" in w2 and "0.70x (missed)" in w2
    w1 = next(r for r in rows if r.startswith("| W1 MNIST net, batch 64") and "inference" in r)
    assert "1.30x (met)" in w1
    text = report.report(passes, 2, (0.5, 4.0), {("W2", "train"): (0.5, 30.0)},
                         [("W1", "a table")], 12, "figures/x.png")
    assert "5-23" in text and "## Every workload: 1 busy process beside" in text
    assert "(auto runs im2col)" in text          # W1: no Winograd-off twin
    report.scaling_figure(passes[0][1], str(tmp_path / "scaling.png"))
    assert (tmp_path / "scaling.png").stat().st_size > 0
