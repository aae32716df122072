"""The graph's public face: io, summary, visualization, taps/gradients and the symbolic
backend read only public names of the objects and modules they use (issue: a graph with a
public face), and ``import minicnn`` stays light."""
import ast
import pathlib
import subprocess
import sys

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "minicnn"
READERS = sorted([*PACKAGE.glob("io/*.py"), *PACKAGE.glob("visualization/*.py"),
                  *PACKAGE.glob("symbolic/*.py"), PACKAGE / "models" / "summary.py",
                  PACKAGE / "models" / "gradients.py"])


def private_reads(path):
    """``(line, text)`` of each private name read from another object or module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") \
                and not node.attr.startswith("__"):
            owner = node.value
            if not (isinstance(owner, ast.Name) and owner.id in ("self", "cls")):
                found.append((node.lineno, ast.unparse(node)))
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    module = "." * node.level + (node.module or "")
                    found.append((node.lineno, f"from {module} import {alias.name}"))
    return sorted(found)


@pytest.mark.parametrize("path", READERS, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_reads_only_public_names(path):
    assert private_reads(path) == []


def test_the_check_finds_a_private_read(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f(model):\n    return model._nodes, self._ok\nfrom .x import _y\n")
    assert private_reads(probe) == [(2, "model._nodes"), (3, "from .x import _y")]


def test_import_minicnn_loads_neither_io_nor_h5py():
    code = ("import sys, minicnn; print(sorted(m for m in ('h5py', 'minicnn.io', 'PIL', "
            "'matplotlib', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_subpackages_are_attributes_loaded_on_first_use():
    import minicnn

    assert minicnn.datasets.mnist.load_data and minicnn.visualization.grad_cam
    assert minicnn.preprocessing.image.ImageDataGenerator and minicnn.applications.VGG16
    assert {"datasets", "io", "visualization"} <= set(dir(minicnn))
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        minicnn.nonsense
