"""The arithmetic behind docs/performance.md (benchmarks/run_all.py), checked without timing."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "benchmarks"))
run_all = pytest.importorskip("run_all")


def test_vgg16_convolutions_match_the_network_and_its_flop_count():
    from minicnn.applications import VGG16

    convs = run_all.vgg16_convs(64)
    model = VGG16(weights=None, include_top=False, input_shape=(64, 64, 3))
    layers = [l for l in model.layers if type(l).__name__ == "Conv2D"]
    assert [(l.output_shape[1], l.input_shape[-1], l.filters) for l in layers] == convs
    seconds, gflop = run_all.gemm_seconds(convs, batch=2, repeats=1)
    assert seconds > 0
    assert gflop == pytest.approx(2 * run_all.vgg16.gflop_per_image(64))


def test_cats_dogs_convolutions_match_the_book_model():
    model = run_all.cats_dogs.book_model()
    layers = [l for l in model.layers if type(l).__name__ == "Conv2D"]
    assert [(l.output_shape[1], l.input_shape[-1], l.filters) for l in layers] == \
        list(run_all.W2_CONVS)
    # training: forward + kernel gradient for every layer, dx for all but the first
    _, infer = run_all.gemm_seconds(run_all.W2_CONVS[-1:], batch=1, repeats=1)
    _, train = run_all.gemm_seconds(run_all.W2_CONVS[-1:], batch=1, train=True, repeats=1)
    assert train == pytest.approx(2 * infer)
