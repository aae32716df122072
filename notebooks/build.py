"""The chapter's notebooks, built from their readable sources in ``notebooks/source/``.

Each source is a Python file in the "percent" format that Jupytext, VS Code and Spyder
read as cells, so a review shows plain Python and Markdown instead of notebook JSON:

    # %% [markdown]            a Markdown cell: the comment lines that follow, '# ' removed
                               (blank lines around a cell are not part of it)
    # %%                       a code cell: the lines that follow
    # %% tags=["no-output"]    a code cell that is expected to print nothing
    # %matplotlib inline       (inside a code cell) the IPython magic, commented out so
                               that the source stays a valid Python file

``build(name)`` returns the notebook (nbformat 4.5 JSON as dicts, without outputs);
``notebooks/run.py`` executes it and saves it with its outputs, and
``tests/test_notebooks.py`` checks that every committed notebook's cells are the ones
its source gives now. This module needs nothing beyond the standard library.

    python notebooks/build.py --check     # exit 1 if a committed notebook's cells are stale
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.join(HERE, "source")
NAMES = ("5.1-introduction-to-convnets",        # the companion notebooks' names, in order
         "5.2-using-convnets-with-small-datasets",
         "5.3-using-a-pretrained-convnet",
         "5.4-visualizing-what-convnets-learn")
NO_OUTPUT = "no-output"
_MARKER = re.compile(r"^# %%(?: \[(?P<kind>markdown)\]| tags=(?P<tags>\[.*\]))?\s*$")
_MAGIC = re.compile(r"^# (%[A-Za-z].*)$")
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def notebook_path(name):
    """``notebooks/<name>.ipynb``."""
    return os.path.join(HERE, name + ".ipynb")


def source_path(name):
    """``notebooks/source/<name>.py``."""
    return os.path.join(SOURCE_DIR, name + ".py")


def resolve(short):
    """``'5.2'`` or a full name -> the full name."""
    found = [n for n in NAMES if n == short or n.split("-")[0] == short]
    if not found:
        raise SystemExit(f"no notebook {short!r}; expected one of {', '.join(NAMES)} "
                         "(or 5.1 ... 5.4)")
    return found[0]


def parse(text, where="source"):
    """The cells of a percent-format source: ``[{'cell_type', 'source', 'tags'}]``.

    Lines before the first ``# %%`` (the file's header comment) belong to no cell.
    """
    cells, current = [], None
    for number, line in enumerate(text.splitlines(), start=1):
        match = _MARKER.match(line)
        if match:
            tags = json.loads(match["tags"]) if match["tags"] else []
            current = {"cell_type": "markdown" if match["kind"] else "code", "lines": [],
                       "tags": tags}
            cells.append(current)
        elif current is None:
            continue
        elif current["cell_type"] == "markdown":
            if line.strip() and line != "#" and not line.startswith("# "):
                raise ValueError(f"{where}:{number}: a Markdown cell's lines must start with "
                                 f"'# ' (or be '#'), got {line!r}")
            current["lines"].append(line[2:] if line.strip() else "")
        else:
            magic = _MAGIC.match(line)
            current["lines"].append(magic[1] if magic else line)
    for cell in cells:
        lines = cell.pop("lines")
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        if not lines:
            raise ValueError(f"{where}: an empty {cell['cell_type']} cell")
        cell["source"] = "\n".join(lines)
    return cells


def build(name):
    """The notebook ``name`` as nbformat 4.5 JSON (dicts), without outputs."""
    with open(source_path(name), encoding="utf-8") as f:
        cells = parse(f.read(), where=os.path.relpath(source_path(name)))
    built = []
    for index, cell in enumerate(cells):
        metadata = {"tags": cell["tags"]} if cell["tags"] else {}
        cell_id = f"s{name.split('-')[0].replace('.', '-')}-{index:02d}"   # s5-1-00
        entry = {"cell_type": cell["cell_type"], "id": cell_id,
                 "metadata": metadata, "source": cell["source"]}
        if cell["cell_type"] == "code":
            entry.update(execution_count=None, outputs=[])
        built.append(entry)
    return {"cells": built, "metadata": {"kernelspec": dict(KERNELSPEC),
                                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def cell_sources(notebook):
    """``[(cell_type, source, tags)]``: what a notebook's cells say, outputs aside."""
    def text(source):
        return "".join(source) if isinstance(source, list) else source
    return [(c["cell_type"], text(c["source"]), c.get("metadata", {}).get("tags", []))
            for c in notebook["cells"]]


def stale(name):
    """Why the committed ``notebooks/<name>.ipynb`` does not match its source, or ''."""
    path = notebook_path(name)
    if not os.path.isfile(path):
        return f"{os.path.relpath(path)} is missing"
    with open(path, encoding="utf-8") as f:
        committed = cell_sources(json.load(f))
    wanted = cell_sources(build(name))
    if committed == wanted:
        return ""
    for index, (a, b) in enumerate(zip(committed, wanted)):
        if a != b:
            return f"{os.path.relpath(path)}: cell {index} differs from its source"
    return f"{os.path.relpath(path)}: {len(committed)} cells, its source has {len(wanted)}"


def main(argv):
    if argv[:1] != ["--check"]:
        raise SystemExit("usage: python notebooks/build.py --check   (python notebooks/run.py "
                         "builds, executes and writes the notebooks)")
    problems = [p for p in (stale(name) for name in NAMES) if p]
    for problem in problems:
        print(problem)
    if problems:
        print("run: python notebooks/run.py")
        return 1
    print(f"{len(NAMES)} notebooks match their sources")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
