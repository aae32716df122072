"""The chapter's notebooks (notebooks/): the progress bar in Jupyter, and more below."""
import io
import sys
import types

from minicnn.utils import progbar


def kernel_stream():
    """A stand-in for ipykernel's ``OutStream``: not a tty, its class from ``ipykernel``."""
    cls = type("OutStream", (io.StringIO,), {"__module__": "ipykernel.iostream"})
    return cls()


def test_the_bar_redraws_in_a_jupyter_kernel(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    stream = kernel_stream()
    assert not stream.isatty() and progbar.dynamic_display(stream)
    bar = progbar.Progbar(100, verbose=1, interval=0, stream=stream)
    for i in (10, 50, 90):
        bar.update(i, [("loss", 1.0 / i)])
    bar.update(100, [("loss", 0.01)])
    text = stream.getvalue()
    assert text.count("\r") == 4 and "ETA" in text and text.count("\n") == 1


def test_the_bar_prints_only_finished_lines_elsewhere(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    stream = io.StringIO()                          # a log file, a pipe: not a kernel
    assert not progbar.dynamic_display(stream)
    bar = progbar.Progbar(100, verbose=1, interval=0, stream=stream)
    for i in (10, 50, 100):
        bar.update(i, [("loss", 1.0 / i)])
    assert stream.getvalue().count("\n") == 1 and "\r" not in stream.getvalue()
    monkeypatch.delitem(sys.modules, "ipykernel")
    assert not progbar.dynamic_display(kernel_stream())   # no kernel loaded: no redraws


# ------------------------------------------------------------------ the notebooks themselves
import importlib.util  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402

import pytest  # noqa: E402

NOTEBOOKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         "notebooks")
# figures each notebook must show (PNG outputs): 5.1 digits, im2col; 5.2 a batch, two
# curves, four augmented copies, two curves; 5.3 three pairs of curves; 5.4 a picture,
# two channels, eight grids, a pattern, two filter grids, a heatmap, an overlay
PNG_AT_LEAST = {"5.1": 2, "5.2": 9, "5.3": 6, "5.4": 16}


def load(module):
    """``notebooks/<module>.py`` as a module (the folder is not a package)."""
    spec = importlib.util.spec_from_file_location(f"notebooks_{module}",
                                                  os.path.join(NOTEBOOKS, module + ".py"))
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


build = load("build")


def check_executed(notebook, short):
    """What a notebook executed by ``notebooks/run.py`` in quick mode must look like."""
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1)), \
        f"{short}: cells not run once each, in order, from a fresh kernel"
    pngs = 0
    for index, cell in enumerate(code, start=1):
        kinds = [o["output_type"] for o in cell["outputs"]]
        assert "error" not in kinds, f"{short} cell [{index}] holds an error"
        silent = build.NO_OUTPUT in cell.get("metadata", {}).get("tags", [])
        assert bool(cell["outputs"]) != silent, \
            f"{short} cell [{index}]: {'output' if silent else 'no output'} where none expected"
        for output in cell["outputs"]:
            if output["output_type"] == "stream":
                text = "".join(output["text"])
                assert "\r" not in text and "\b" not in text, f"{short} [{index}]: unsettled"
                assert "Traceback" not in text
            pngs += "image/png" in output.get("data", {})
    assert pngs >= PNG_AT_LEAST[short], f"{short}: {pngs} figures"
    first = "".join(code[0]["outputs"][0]["text"])
    assert "quick mode" in first, f"{short} was not run in quick mode"


@pytest.mark.parametrize("name", build.NAMES)
def test_committed_notebooks_match_their_sources(name):
    assert build.stale(name) == ""


@pytest.mark.parametrize("name", build.NAMES)
def test_committed_notebooks_carry_a_clean_quick_run(name):
    with open(build.notebook_path(name), encoding="utf-8") as f:
        notebook = json.load(f)
    assert notebook["nbformat"] == 4 and notebook["metadata"]["kernelspec"]["name"] == "python3"
    check_executed(notebook, name.split("-")[0])


def test_sources_in_the_chapter_order_and_each_chooses_quick_or_book():
    assert [n.split("-")[0] for n in build.NAMES] == ["5.1", "5.2", "5.3", "5.4"]
    assert sorted(os.listdir(build.SOURCE_DIR)) == sorted(n + ".py" for n in build.NAMES)
    for name in build.NAMES:
        cells = build.build(name)["cells"]
        assert cells[0]["cell_type"] == "markdown" and "Quick or book" in cells[0]["source"]
        setup = cells[1]["source"]
        assert 'QUICK = os.environ.get("MINICNN_NOTEBOOK_QUICK", "1") == "1"' in setup
        assert '"MINICNN_OFFLINE"' in setup and "%matplotlib inline" in setup
        assert all("import keras" not in c["source"] and "from keras" not in c["source"]
                   for c in cells)


def test_the_percent_format():
    cells = build.parse('# header, in no cell\n\n# %% [markdown]\n# # Title\n#\n# text\n\n'
                        '# %%\nimport os\n# %matplotlib inline\n# a comment\n\n'
                        '# %% tags=["no-output"]\nx = 1\n')
    assert [(c["cell_type"], c["source"], c["tags"]) for c in cells] == [
        ("markdown", "# Title\n\ntext", []),
        ("code", "import os\n%matplotlib inline\n# a comment", []),
        ("code", "x = 1", ["no-output"])]
    with pytest.raises(ValueError, match="must start with '# '"):
        build.parse("# %% [markdown]\nnot a comment\n")


def test_settle_keeps_what_a_terminal_shows():
    run = load("run")
    first, last = " 10/100 [==>...] - ETA: 9s - loss: 0.9", "100/100 [======] - 1s"
    padded = last + " " * (len(first) - len(last))         # as Progbar pads a shorter redraw
    raw = f"Epoch 1/2\n\r{first}\r{padded}\nEpoch 2/2\nab\bc\n"
    assert run.settle(raw) == "Epoch 1/2\n100/100 [======] - 1s\nEpoch 2/2\nac\n"
    assert run.settle("longer line\rshort") == "shortr line"     # overwritten, not erased
    notebook = {"cells": [{"cell_type": "code", "outputs": [
        {"output_type": "stream", "name": "stdout", "text": "a\r"},
        {"output_type": "stream", "name": "stdout", "text": "b\n"},
        {"output_type": "stream", "name": "stderr", "text": "w\n"},
        {"output_type": "stream", "name": "stdout", "text": "c\n"}]}]}
    outputs = run.clean_outputs(notebook)["cells"][0]["outputs"]
    assert [(o["name"], o["text"]) for o in outputs] == [
        ("stdout", "b\n"), ("stderr", "w\n"), ("stdout", "c\n")]


@pytest.mark.slow
def test_every_notebook_executes_in_quick_mode(tmp_path):
    """The four notebooks, run as CI runs them: in order, in quick mode, offline.

    Skipped without the notebooks extra, except in CI (``CI=true``), which must have it.
    """
    for module in ("nbclient", "nbformat", "ipykernel"):
        if os.environ.get("CI"):
            importlib.import_module(module)
        else:
            pytest.importorskip(module, reason='the notebooks extra: pip install -e ".[notebooks]"')
    run = load("run")
    assert run.main(["--out", str(tmp_path), "--workdir", str(tmp_path / "work")]) == 0
    for name in build.NAMES:
        with open(tmp_path / f"{name}.ipynb", encoding="utf-8") as f:
            check_executed(json.load(f), name.split("-")[0])
