"""minicnn.visualization.curves: listing 5-10's figures and section 5.3's smoothing.

The checks read the arrays behind the figures (the plotted lines' data, their
styles, titles and legends), not only that a PNG appeared.
"""
import os

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from PIL import Image

from minicnn import callbacks
from minicnn.visualization import plot_history, smooth_curve

HISTORY = {"acc": [0.50, 0.61, 0.70, 0.78], "val_acc": [0.55, 0.63, 0.66, 0.65],
           "loss": [0.69, 0.64, 0.55, 0.46], "val_loss": [0.68, 0.63, 0.61, 0.64]}


def lines(figure):
    """``{label: (x, y, rgba, linestyle, marker)}`` of the figure's only axes."""
    (axes,) = figure.axes
    return {line.get_label(): (list(line.get_xdata()), list(line.get_ydata()),
                               to_rgba(line.get_color()), line.get_linestyle(),
                               line.get_marker())
            for line in axes.get_lines()}


def legend_texts(figure):
    return [text.get_text() for text in figure.axes[0].get_legend().get_texts()]


def test_the_two_figures_of_listing_5_10():
    accuracy, loss = plot_history(HISTORY)
    assert isinstance(accuracy, Figure) and isinstance(loss, Figure)
    assert accuracy.axes[0].get_title() == "Training and validation accuracy"
    assert loss.axes[0].get_title() == "Training and validation loss"
    epochs, blue = [1, 2, 3, 4], (0.0, 0.0, 1.0, 1.0)
    # 'bo': blue dots for training; 'b': a blue line for validation
    assert lines(accuracy) == {
        "Training acc": (epochs, HISTORY["acc"], blue, "None", "o"),
        "Validation acc": (epochs, HISTORY["val_acc"], blue, "-", "None")}
    assert lines(loss) == {
        "Training loss": (epochs, HISTORY["loss"], blue, "None", "o"),
        "Validation loss": (epochs, HISTORY["val_loss"], blue, "-", "None")}
    assert legend_texts(accuracy) == ["Training acc", "Validation acc"]
    assert legend_texts(loss) == ["Training loss", "Validation loss"]


def test_a_history_from_fit_and_the_accuracy_spelling():
    history = callbacks.History()
    for epoch in range(3):
        history.on_epoch_end(epoch, {"loss": 1.0 - 0.1 * epoch, "accuracy": 0.5 + 0.1 * epoch,
                                     "val_loss": 1.1 - 0.1 * epoch,
                                     "val_accuracy": 0.4 + 0.1 * epoch})
    accuracy, loss = plot_history(history)
    got = lines(accuracy)
    np.testing.assert_allclose(got["Training acc"][1], [0.5, 0.6, 0.7])
    np.testing.assert_allclose(got["Validation acc"][1], [0.4, 0.5, 0.6])
    np.testing.assert_allclose(lines(loss)["Validation loss"][1], [1.1, 1.0, 0.9])


def test_without_validation_or_metrics():
    (loss,) = plot_history({"loss": [3.0, 2.0]})          # no accuracy: only the loss figure
    assert list(lines(loss)) == ["Training loss"]
    accuracy, _ = plot_history({"acc": [0.1, 0.2], "loss": [3.0, 2.0]})
    assert list(lines(accuracy)) == ["Training acc"]


def test_saved_pngs_and_the_paths(tmp_path):
    paths = plot_history(HISTORY, tmp_path / "curves.png")
    assert paths == [str(tmp_path / "curves_accuracy.png"), str(tmp_path / "curves_loss.png")]
    for path in paths:
        with Image.open(path) as img:
            assert img.format == "PNG" and img.size == (640, 480)
            assert np.asarray(img.convert("L")).std() > 5        # something was drawn
    assert plot_history(HISTORY, str(tmp_path / "no_extension")) == [
        str(tmp_path / "no_extension_accuracy.png"), str(tmp_path / "no_extension_loss.png")]
    assert sorted(os.listdir(tmp_path)) == ["curves_accuracy.png", "curves_loss.png",
                                            "no_extension_accuracy.png",
                                            "no_extension_loss.png"]


def test_no_display_and_no_pyplot_state():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plot_history(HISTORY)
    assert plt.get_fignums() == before                  # figures never enter pyplot


def test_smooth_curve_by_hand():
    # smoothed[0] = p0; smoothed[i] = 0.8 * smoothed[i-1] + 0.2 * p[i]
    points = [1.0, 0.0, 0.5, 2.0]
    s1 = 1.0
    s2 = 0.8 * s1 + 0.2 * 0.0                               # 0.8
    s3 = 0.8 * s2 + 0.2 * 0.5                               # 0.74
    s4 = 0.8 * s3 + 0.2 * 2.0                               # 0.992
    assert smooth_curve(points) == pytest.approx([s1, s2, s3, s4], abs=1e-12)
    assert smooth_curve(points) == pytest.approx([1.0, 0.8, 0.74, 0.992], abs=1e-12)
    assert smooth_curve(points, factor=0.5) == pytest.approx([1.0, 0.5, 0.5, 1.25])
    assert smooth_curve(points, factor=0) == points
    assert smooth_curve([]) == []
    assert smooth_curve(np.array([3, 3, 3], dtype=np.int64)) == [3.0, 3.0, 3.0]


def test_smooth_curve_is_the_books_loop():
    """Against the chapter's own code, on a long random curve."""
    def book(points, factor=0.8):
        smoothed_points = []
        for point in points:
            if smoothed_points:
                previous = smoothed_points[-1]
                smoothed_points.append(previous * factor + point * (1 - factor))
            else:
                smoothed_points.append(point)
        return smoothed_points

    points = list(np.random.default_rng(0).random(100))
    for factor in (0.0, 0.5, 0.8, 0.95):
        assert smooth_curve(points, factor) == pytest.approx(book(points, factor), abs=1e-12)


def test_smoothed_figures():
    accuracy, _ = plot_history(HISTORY, smooth=0.8)
    got = lines(accuracy)
    assert got["Smoothed training acc"][1] == pytest.approx(smooth_curve(HISTORY["acc"]))
    assert got["Smoothed validation acc"][1] == pytest.approx(smooth_curve(HISTORY["val_acc"]))


@pytest.mark.parametrize("factor", [1.0, -0.1, "0.8", True])
def test_bad_factor(factor):
    with pytest.raises(ValueError, match="factor"):
        smooth_curve([1.0], factor)
    with pytest.raises(ValueError, match="factor"):
        plot_history(HISTORY, smooth=factor)


@pytest.mark.parametrize("history, match", [
    ({"val_acc": [0.5]}, "no 'acc'"),
    ({"acc": [], "loss": []}, "no values"),
    ({"acc": [0.5, 0.6], "val_acc": [0.5], "loss": [1, 1]}, "validation curve has 1"),
])
def test_bad_histories(history, match):
    with pytest.raises(ValueError, match=match):
        plot_history(history)


def test_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="History"):
        plot_history([0.5, 0.6])
    with pytest.raises(ValueError, match=".png"):
        plot_history(HISTORY, tmp_path / "curves.jpg")
