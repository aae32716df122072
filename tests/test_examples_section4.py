"""Section 4's example scripts run offline in their quick modes and write their pictures."""
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

EXAMPLES = pathlib.Path(__file__).parent.parent / "examples"


def run(script, tmp_path, *args):
    env = dict(os.environ, MINICNN_OFFLINE="1", MINICNN_HOME=str(tmp_path / "home"),
               MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, str(EXAMPLES / script), "--quick",
                           "--out", str(tmp_path / "out"), *args],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
def test_grad_cam_example_offline(tmp_path):
    out = run("grad_cam.py", tmp_path)
    assert "the model says" in out
    overlay = np.asarray(Image.open(tmp_path / "out" / "grad_cam.jpg"))
    heatmap = np.asarray(Image.open(tmp_path / "out" / "heatmap.png"))
    assert overlay.shape == (280, 280, 3) and heatmap.max() == 255


@pytest.mark.slow
def test_visualize_activations_example_offline(tmp_path):
    out = run("visualize_activations.py", tmp_path)
    assert "8 activations; the first has shape (1, 148, 148, 32)" in out
    assert (tmp_path / "out" / "conv2d_4.png").exists()
    assert (tmp_path / "out" / "first_layer_channel_7.png").exists()


@pytest.mark.slow
def test_visualize_filters_example_offline(tmp_path):
    out = run("visualize_filters.py", tmp_path)
    assert "conv2d_3: (61, 61, 1)" in out
    assert (tmp_path / "out" / "conv2d_1_filters.png").exists()
