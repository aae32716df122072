"""A newcomer's path: an edit in this checkout reaches what runs.

The README installs with ``pip install -e .``: the package then is this checkout's
``minicnn/`` folder, so a change to ``minicnn/layers/conv.py`` is what the tests and the
examples run next. A plain ``pip install .`` copies the package into site-packages, and
both would go on running the copy; this test fails then, and says what to do.
"""
import subprocess
import sys
from pathlib import Path

import minicnn
import minicnn.layers.conv

ROOT = Path(__file__).resolve().parent.parent
FIX = ("minicnn is imported from {where}, not from this checkout ({root}): edits here would "
       "not reach what runs. Install it editable: pip install -e \".[test]\"")


def test_the_tests_import_this_checkout():
    where = Path(minicnn.layers.conv.__file__).resolve()
    assert where == ROOT / "minicnn" / "layers" / "conv.py", FIX.format(where=where, root=ROOT)


def test_the_examples_import_this_checkout(tmp_path):
    """As ``python examples/x.py`` runs: a fresh interpreter, another current folder, the
    script's own folder first on ``sys.path``."""
    probe = tmp_path / "probe.py"
    probe.write_text("import minicnn.layers.conv\nprint(minicnn.layers.conv.__file__)\n")
    done = subprocess.run([sys.executable, str(probe)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    where = Path(done.stdout.strip()).resolve()
    assert where == ROOT / "minicnn" / "layers" / "conv.py", FIX.format(where=where, root=ROOT)


def test_nothing_cites_files_a_clone_does_not_have():
    """The README, the docs, the notebooks and the code cite the chapter's sections, never
    the design notes that lived beside the repository (a user's clone has none of them)."""
    missing = ("BOOK" + ".md", "STYLE" + ".md", "../" + "shared")
    offenders = []
    for path in ROOT.rglob("*"):
        parts = path.relative_to(ROOT).parts
        if (path.suffix not in (".md", ".py", ".ipynb", ".toml", ".txt") or not path.is_file()
                or parts[0].startswith(".") or parts[0] in ("runs", "build")):
            continue
        text = path.read_text(errors="replace")
        offenders += [f"{path.relative_to(ROOT)}: {m}" for m in missing if m in text]
    assert not offenders, "cite the chapter's sections instead: " + "; ".join(offenders)


def test_the_readme_is_ordered_for_a_reader():
    """The two commands first (editable installs), then the notebooks, the chapter table and
    the tour before the reference sections; details live in linked pages, so it stays short."""
    text = (ROOT / "README.md").read_text()
    lines = text.splitlines()
    assert len(lines) <= 260, f"README.md has {len(lines)} lines: move details to docs/"
    first_block = text[:text.index("```", text.index("```") + 3)]
    assert "pip install -e . && python examples/mnist_convnet.py" in first_block
    assert 'pip install -e ".[test]" && pytest' in first_block
    headings = [line for line in lines if line.startswith("## ")]
    order = ["## The chapter as notebooks", "## The chapter, step by step", "## Read the code"]
    assert [h for h in headings if h.startswith(tuple(order))] == headings[:3], headings
    assert 'pip install -e ".[notebooks]"' in text and "jupyter lab notebooks/" in text
    for page in ("docs/file_formats.md", "docs/performance.md", "examples/README.md"):
        assert f"]({page})" in text, page
        assert (ROOT / page).exists(), page
