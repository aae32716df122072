"""The section 5.3 examples run: each one's ``--quick`` mode, in a fresh process.

Quick mode draws a tiny synthetic folder (32x32 images), never downloads, and falls back
to random VGG16 weights when Keras' file is not on disk, saying so. The processes get a
fresh ``$MINICNN_HOME``, home and working folder, so a weights file lying around on the
machine changes nothing here.
"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import vgg16_files

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name, tmp_path, *arguments):
    env = dict(os.environ, MINICNN_HOME=str(tmp_path / "minicnn_home"),
               HOME=str(tmp_path / "home"), MPLBACKEND="Agg")
    env.pop("MINICNN_OFFLINE", None)
    result = subprocess.run([sys.executable, str(EXAMPLES / name), "--quick", *arguments],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
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
    assert "NOTE: SYNTHETIC images" in out and "NOTE: RANDOM VGG16 weights" in out
    assert not (tmp_path / "minicnn_home" / "models").exists()       # nothing downloaded


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
