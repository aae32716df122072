"""The docs: every figure renders (quick mode) and the arrays behind it agree with the engine;
every Python block of ``docs/*.md`` runs (each page's exercise check included); every figure
is both generated and referenced."""
import importlib.util
import pathlib
import re

import numpy as np
import pytest

from minicnn import backend, kernels, layers

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"
# teaching pages; README.md is the index, performance.md the report benchmarks/run_all.py writes
PAGES = sorted(p for p in DOCS.glob("*.md") if p.name not in ("README.md", "performance.md"))


def _load_make_figures():
    """``docs/make_figures.py`` as a module (docs/ is not a package)."""
    spec = importlib.util.spec_from_file_location("make_figures", DOCS / "make_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


mf = _load_make_figures()


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    """Every figure rendered by the command line in quick mode: ``{name: arrays}``, folder."""
    out = tmp_path_factory.mktemp("figures")
    return mf.main(["--out", str(out), "--quick"]), out


def test_every_figure_is_written(figures):
    """Each name of ``FIGURES`` is a PNG in the output folder, in that order."""
    results, out = figures
    assert list(results) == list(mf.FIGURES)
    for name in mf.FIGURES:
        path = out / f"{name}.png"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert results[name]["path"] == str(path)


def test_im2col_figure_is_im2col_and_conv2d(figures):
    """``cols (676, 9)``: the reference im2col of the digit; ``maps (26, 26, 4)``: Conv2D's."""
    r = figures[0]["im2col"]
    x = mf.digit()                                                  # (1, 28, 28, 1)
    np.testing.assert_array_equal(r["digit"], x[0, :, :, 0])
    with backend.kernels_scope("reference"):                        # the readable loops
        np.testing.assert_array_equal(r["cols"], kernels.im2col(x, 3, 3, 1, 1, "valid"))
    oh, ow = r["window"]
    np.testing.assert_array_equal(r["cols"][r["row"]], x[0, oh:oh + 3, ow:ow + 3, 0].ravel())
    np.testing.assert_array_equal(r["kernel_matrix"], mf.sobel_kernel().reshape(9, 4))
    conv = layers.Conv2D(4, (3, 3))
    conv.build((None, 28, 28, 1))
    conv.set_weights([r["kernel_matrix"].reshape(3, 3, 1, 4), np.zeros(4, "float32")])
    np.testing.assert_allclose(r["maps"], conv.forward(x)[0], rtol=1e-6)
    np.testing.assert_allclose(r["z"].reshape(26, 26, 4), r["maps"], rtol=1e-5, atol=1e-6)


def test_geometry_figure_follows_conv_geometry(figures):
    """Each map ``(OH, OW)`` has the size ``conv_geometry`` gives: 26, 28, 13, 14."""
    r = figures[0]["conv_geometry"]
    sizes = {("valid", 1): 26, ("same", 1): 28, ("valid", 2): 13, ("same", 2): 14}
    for (padding, s), g, y in zip(r["configs"], r["geometry"], r["maps"]):
        assert g == kernels.conv_geometry(28, 28, 3, 3, s, s, padding)
        assert y.shape == (sizes[padding, s],) * 2 == g[:2]
    assert r["geometry"][3][2:4] == (0, 1)            # TensorFlow: the extra row at the bottom


def test_conv_backward_figure_is_cols_t_dy_and_col2im(figures):
    """``dW (3, 3, 1, 4) = cols.T @ dy``, ``db = sum(dy)``, ``dx = col2im(dy @ W.T)``."""
    r = figures[0]["conv_backward"]
    dz = r["dy"].reshape(-1, 4)                                     # linear layer: dz = dy
    K = r["kernel"].reshape(9, 4)
    np.testing.assert_allclose(r["dW"].reshape(9, 4), r["cols"].T @ dz, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(r["db"], dz.sum(axis=0), rtol=1e-4, atol=1e-6)
    with backend.kernels_scope("reference"):
        dx = kernels.col2im(dz @ K.T, (1, 28, 28, 1), 3, 3, 1, 1, "valid")
    np.testing.assert_allclose(r["dx"], dx, rtol=1e-5, atol=1e-6)
    oh, ow, f = r["onehot"]
    placed = np.zeros((28, 28), "float32")
    placed[oh:oh + 3, ow:ow + 3] = r["kernel"][:, :, 0, f]          # the filter, not flipped
    np.testing.assert_array_equal(r["dx_onehot"], placed)


def windows_covering(H, W, K, S, padding):
    """By hand: for each window of ``conv_geometry``, add 1 to the pixels it covers."""
    OH, OW, PT, _, PL, _ = kernels.conv_geometry(H, W, K, K, S, S, padding)
    counts = np.zeros((H, W))
    for oh in range(OH):
        for ow in range(OW):
            top, left = oh * S - PT, ow * S - PL
            counts[max(top, 0):top + K, max(left, 0):left + K] += 1
    return counts


def test_coverage_figure_counts_the_windows_over_each_pixel(figures):
    """``col2im(ones)`` ``(28, 28)`` equals the windows counted by hand."""
    r = figures[0]["col2im_coverage"]
    for (k, s, padding), counts in zip(r["configs"], r["counts"]):
        np.testing.assert_array_equal(counts, windows_covering(28, 28, k, s, padding))
    valid = r["counts"][0]
    assert (valid[0, 0], valid[0, 5], valid[5, 5]) == (1, 3, 9)


def test_pooling_figure_mask_marks_each_windows_max(figures):
    """The ``(26, 26)`` mask has one cell per 2x2 window, at its max; ``dx`` follows it."""
    r = figures[0]["maxpool"]
    x, mask = r["fmap"], r["mask"]
    windows = x.reshape(13, 2, 13, 2).transpose(0, 2, 1, 3)          # (13, 13, 2, 2)
    masks = mask.reshape(13, 2, 13, 2).transpose(0, 2, 1, 3)
    assert (masks.sum(axis=(2, 3)) == 1).all()                       # one cell per window
    np.testing.assert_array_equal(windows[masks].reshape(13, 13), windows.max(axis=(2, 3)))
    np.testing.assert_array_equal(r["pooled"], windows.max(axis=(2, 3)))
    first = windows.reshape(13, 13, 4).argmax(axis=2)                # ties: the first cell
    np.testing.assert_array_equal(r["argmax"], first)
    np.testing.assert_array_equal(r["dx"], mask.astype("float32"))  # dy = 1 lands on the mask
    by_hand = np.zeros((26, 26))
    for oh in range(12):
        for ow in range(12):
            i, j = divmod(int(x[2 * oh:2 * oh + 3, 2 * ow:2 * ow + 3].argmax()), 3)
            by_hand[2 * oh + i, 2 * ow + j] += 1
    np.testing.assert_array_equal(r["dx_overlap"], by_hand)


def test_softmax_figure_gradient_is_p_minus_y_over_n(figures):
    """``grad (8, 10) == (p - y) / 8``; the chained gradient agrees away from the clip."""
    r = figures[0]["softmax_crossentropy"]
    p, y = r["p"], r["y"]
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(y.argmax(axis=1), mf.sample()[1][r["indices"]])
    np.testing.assert_allclose(r["grad"], (p - y) / len(p), rtol=1e-6, atol=1e-8)
    inside = (p > 1e-6) & (p < 1 - 1e-6)
    np.testing.assert_allclose(r["chain"][inside.all(axis=1)], r["grad"][inside.all(axis=1)],
                               rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(r["fused_curve"], r["p_true"] - 1)
    saturated, ordinary = r["p_true"] < 1e-7, (r["p_true"] > 1e-6) & (r["p_true"] < .99)
    assert saturated.any() and (r["chain_curve"][saturated] == 0).all()
    np.testing.assert_allclose(r["chain_curve"][ordinary], r["fused_curve"][ordinary], rtol=1e-6)


def test_rmsprop_figure_steps_are_lr_g_over_sqrt_a_plus_eps(figures):
    """Recorded ``w_before - w_after == lr * g / sqrt(a + eps)``; the stats come from them."""
    r = figures[0]["rmsprop_steps"]
    B = -(-mf.QUICK_IMAGES // mf.BATCH_SIZE)
    assert r["stats"].shape == r["stats_keras22"].shape == (B, len(r["layers"]), 2)
    assert sorted(r["records"]) == [0, B - 1]
    for b, record in r["records"].items():
        per_layer = {name: [] for name in r["layers"]}
        for (name, key), d in record.items():
            step = mf.LR * d["g"] / np.sqrt(d["a"] + mf.EPS)
            np.testing.assert_allclose(d["w_before"] - d["w_after"], step, rtol=1e-3, atol=1e-8)
            per_layer[name].append(np.abs(step).ravel())
            if b == 0:                                               # a starts at zero
                np.testing.assert_allclose(d["a"], (1 - mf.RHO) * d["g"] ** 2, rtol=1e-5)
        for i, name in enumerate(r["layers"]):
            expected = np.percentile(np.concatenate(per_layer[name]), [50, 90])
            np.testing.assert_allclose(r["stats"][b, i], expected, rtol=1e-5)
    assert r["stats"][0, :, 1].min() > 2e-3                          # first step ~ lr * sqrt(10)


def test_gradcheck_figure(figures):
    """Analytic and numeric gradients agree; the error is smallest near the default eps."""
    r = figures[0]["gradcheck"]
    for key in ("x", "kernel", "bias"):
        assert r["numeric"][key].shape == r["analytic"][key].shape
        assert np.linalg.norm(r["numeric"][key] - r["analytic"][key]) < 1e-7 * (
            np.linalg.norm(r["analytic"][key]) + 1e-12)
    for errors in r["errors"].values():
        assert errors[list(r["eps"]).index(1e-6)] < 1e-8              # the default eps: the valley
        assert errors[0] > 100 * errors.min() and errors[-1] > 100 * errors.min()


def test_symbolic_graph_figure_is_the_graph_k_function_walks(figures):
    """Listing 5-42's nodes, exactly those ``K.function`` evaluates; the layer chains counted
    from the VGG16 (17 layers to block5_conv3, 5 more to the predictions)."""
    from minicnn.symbolic.function import graph

    r = figures[0]["symbolic_graph"]
    assert [kind for _, _, kind in r["nodes"]] == ["placeholder", "layer", "layer", "op",
                                                   "gradient", "op", "op"]
    order, leaves = graph(r["outputs"])
    placeholder = r["nodes"][0][0]
    assert {id(n) for n, _, _ in r["nodes"]} == {id(n) for n in order + leaves + [placeholder]}
    assert sorted(label for _, _, label in r["edges"] if "layer" in label) == [
        "17 layers", "5 layers"]
    assert sorted(label for _, _, label in r["edges"] if label in ("loss", "variable")) == [
        "loss", "variable"]


def python_blocks(page):
    """The ```python blocks of a markdown page, in order."""
    return re.findall(r"^```python\n(.*?)^```", page.read_text(), re.S | re.M)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_every_python_block_of_the_page_runs(page, capsys):
    """Every ```python block of the page runs (the exercise's check included) and passes."""
    text = page.read_text()
    assert "## Exercise" in text, f"{page.name} has no exercise"
    exercise = text[text.index("## Exercise"):]
    assert "```python" in exercise, f"{page.name}: the exercise has no check to run"
    assert "Deepens" in text and "**Code**" in text
    for i, block in enumerate(python_blocks(page)):
        backend.set_floatx("float32")
        backend.clear_session()
        try:
            exec(compile(block, f"{page.name}[block {i}]", "exec"), {"__name__": "docs"})
        finally:
            backend.set_floatx("float32")


def test_every_figure_is_generated_and_referenced():
    """Pages reference exactly the generated figures, all committed, under 1 MB together."""
    referenced = set()
    for page in DOCS.glob("*.md"):
        referenced |= set(re.findall(r"\]\(figures/([\w-]+)\.png\)", page.read_text()))
    committed = {p.stem for p in (DOCS / "figures").glob("*.png")}
    assert referenced == set(mf.FIGURES) == committed
    assert sum(p.stat().st_size for p in (DOCS / "figures").glob("*.png")) < 1_000_000


def test_pages_link_to_files_that_exist():
    """Every relative link to a ``.py`` or ``.md`` file from a page resolves."""
    for page in DOCS.glob("*.md"):
        for target in re.findall(r"\]\(((?:\.\./)?[\w/.-]+\.(?:py|md))(?:#[\w-]*)?\)",
                                 page.read_text()):
            assert (DOCS / target).resolve().exists(), (page.name, target)
