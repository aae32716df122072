"""Section 4's example scripts run offline in their quick modes and write their pictures
under ``runs/<script>/`` in the current folder, nowhere else."""
import importlib
import types

import numpy as np
import pytest
from PIL import Image

from example_runs import EXAMPLES, run_example, runs_folder, stray_files


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


def test_the_training_note_is_read_back_and_a_stale_or_missing_one_is_said(tmp_path,
                                                                           monkeypatch):
    """What visualize_activations.py prints as 'how it was trained' (examples/_common.py)."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    common = importlib.import_module("_common")
    model = tmp_path / "cats_and_dogs_small_2.h5"
    model.write_bytes(b"h5" * 500)
    history = types.SimpleNamespace(history={"acc": [0.5, 0.6], "val_acc": [0.5, 0.75]})
    common.save_training_note(str(model), "cats_dogs_augmented.py", str(tmp_path),
                              [common.SYNTHETIC_NOTE], history, quick=True, epochs=2,
                              steps_per_epoch=10, batch_size=32)
    how, synthetic = common.describe_training(str(model))
    assert synthetic and how.startswith("by examples/cats_dogs_augmented.py --quick on ")
    assert how.endswith(f": 2 epoch(s) of 10 steps of 32 images from {tmp_path} "
                        "(SYNTHETIC shapes); last epoch val_acc 0.75")
    model.write_bytes(b"another model")                        # saved over by other code
    assert common.describe_training(str(model)) == (
        "not known: cats_and_dogs_small_2.json beside it describes another "
        "cats_and_dogs_small_2.h5 (1,000 bytes, this one has 13)", False)
    (tmp_path / "cats_and_dogs_small_2.json").unlink()
    how, synthetic = common.describe_training(str(model))
    assert how.startswith("not recorded (no cats_and_dogs_small_2.json beside it") and not synthetic
