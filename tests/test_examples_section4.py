"""Section 4's example scripts run offline in their quick modes and write their pictures
under ``runs/<script>/`` in the current folder, nowhere else."""
import numpy as np
import pytest
from PIL import Image

from example_runs import run_example, runs_folder, stray_files


def run(script, tmp_path, *args):
    """``script --quick`` offline in a fresh folder; its stdout, after checking that it wrote
    only under ``runs/<script>/``."""
    cwd = tmp_path / "cwd"
    done = run_example(script, cwd, "--quick", *args,
                       env={"MINICNN_OFFLINE": "1", "MINICNN_HOME": str(tmp_path / "home")})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert stray_files(cwd, script) == []
    return done.stdout, runs_folder(cwd, script)


@pytest.mark.slow
def test_grad_cam_example_offline(tmp_path):
    out, folder = run("grad_cam.py", tmp_path)
    assert "the model says" in out and "Writing to runs/grad_cam/" in out
    overlay = np.asarray(Image.open(folder / "grad_cam.jpg"))
    heatmap = np.asarray(Image.open(folder / "heatmap.png"))
    assert overlay.shape == (280, 280, 3) and heatmap.max() == 255


@pytest.mark.slow
def test_visualize_activations_example_offline(tmp_path):
    out, folder = run("visualize_activations.py", tmp_path)
    assert "No saved cats-vs-dogs model" in out and "for 3 steps on the SYNTHETIC shapes" in out
    assert "8 activations; the first has shape (1, 148, 148, 32)" in out
    assert "NOTE: the model was trained here for 3 steps on SYNTHETIC images" in out
    assert (folder / "conv2d_4.png").exists()
    assert (folder / "first_layer_channel_7.png").exists()


@pytest.mark.slow
def test_visualize_filters_example_offline(tmp_path):
    out, folder = run("visualize_filters.py", tmp_path)
    assert "conv2d_3: (61, 61, 1)" in out
    assert (folder / "conv2d_1_filters.png").exists()
