"""The section 5.3 examples run: each one's ``--quick`` mode, in a fresh process.

Quick mode draws a tiny synthetic folder (32x32 images), never downloads, and falls back
to random VGG16 weights when Keras' file is not on disk, saying so. The processes get a
fresh ``$MINICNN_HOME``, home and working folder, so a weights file lying around on the
machine changes nothing here; they write nothing into the working folder.
"""
import importlib.util
import os

import pytest

import vgg16_files
from example_runs import run_example as run_script


def run_example(name, tmp_path, *arguments):
    env = {"MINICNN_HOME": str(tmp_path / "minicnn_home"), "HOME": str(tmp_path / "home")}
    result = run_script(name, tmp_path / "cwd", "--quick", *arguments, env=env,
                        unset=["MINICNN_OFFLINE"], timeout=300)       # as a reader runs it
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert os.listdir(tmp_path / "cwd") == []             # quick mode writes nothing here
    return result.stdout


AUGMENTED = ["vgg16 (Model)                (None, 1, 1, 512)         14714688",
             "before freezing the conv base: 30", "after freezing the conv base: 4"]


@pytest.mark.parametrize("name, lines", [
    ("feature_extraction.py", ["test_acc:"]),
    ("feature_extraction_augmented.py", ["validation accuracy:"] + AUGMENTED),
    ("fine_tuning.py", ["(4 trainable weights)", "(10 trainable weights)", "test acc:"]),
])
def test_quick_mode_runs_and_says_the_numbers_mean_nothing(name, lines, tmp_path):
    out = run_example(name, tmp_path)
    for line in lines:
        assert line in out
    assert "needs Keras' file vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5" in out
    assert "--quick never downloads" in out and "MINICNN_OFFLINE" not in out  # never set
    assert "NOTE: SYNTHETIC images" in out and "NOTE: RANDOM VGG16 weights" in out
    assert not (tmp_path / "minicnn_home" / "models").exists()       # nothing downloaded


@pytest.mark.slow
def test_a_weights_file_in_keras_layout_and_the_plots(tmp_path):
    weights = tmp_path / "notop.h5"
    vgg16_files.write_official(weights, include_top=False, how="random")
    arguments = ["--weights", str(weights)]
    plots = importlib.util.find_spec("minicnn.visualization") is not None
    if plots:
        arguments += ["--plot", str(tmp_path / "ft.png")]
    out = run_example("fine_tuning.py", tmp_path, *arguments)
    assert "NOTE: RANDOM VGG16 weights" not in out and "NOTE: SYNTHETIC images" in out
    assert "(10 trainable weights)" in out
    if plots:
        assert (tmp_path / "ft_accuracy.png").is_file() and (tmp_path / "ft_loss.png").is_file()
