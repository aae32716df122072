"""Execute the chapter's notebooks and save them with their outputs.

    python notebooks/run.py                # build from source/, run in quick mode, and
                                           #   write notebooks/*.ipynb (what is committed)
    python notebooks/run.py --out DIR      # write the executed notebooks to DIR (CI)
    python notebooks/run.py 5.2 5.4        # only these
    python notebooks/run.py --book         # the chapter's sizes and epochs (hours)

The notebooks run in order, in one working folder (a temporary one unless ``--workdir``
is given), so section 5.4 finds the model that section 5.2 saved, as in the chapter. Each
runs in a fresh Jupyter kernel of this Python (``ipykernel``), with
``MINICNN_NOTEBOOK_QUICK=1`` (or 0 with ``--book``). A cell that raises stops the run:
the error is printed and the exit status is 1, and nothing is written for that notebook.

What is saved is what JupyterLab would show: consecutive stream outputs are merged and
the progress bar's ``\\r`` redraws are settled as a terminal settles them (``settle``),
so each epoch keeps one line; timings are not recorded in the cells' metadata. Needs
the ``notebooks`` extra: ``pip install -e ".[notebooks]"``.
"""
import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import build  # noqa: E402

CELL_TIMEOUT = 3600               # seconds; book mode trains for a long while in one cell


def settle(text):
    """``text`` as a terminal (and JupyterLab) shows it: ``\\b`` deletes the character
    before it, ``\\r`` returns to the start of the line and the text after it overwrites
    what was there; trailing spaces (a redraw's padding) are dropped."""
    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        while "\b" in line:
            at = line.index("\b")
            line = line[:max(at - 1, 0)] + line[at + 1:]
        shown = ""
        for part in line.split("\r"):
            shown = part + shown[len(part):]
        lines.append(shown.rstrip(" "))
    return "\n".join(lines)


def clean_outputs(notebook):
    """Merge each cell's consecutive stream outputs of one name and ``settle`` them."""
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        merged = []
        for output in cell["outputs"]:
            if (output["output_type"] == "stream" and merged
                    and merged[-1]["output_type"] == "stream"
                    and merged[-1]["name"] == output["name"]):
                merged[-1]["text"] += output["text"]
            else:
                merged.append(output)
        for output in merged:
            if output["output_type"] == "stream":
                output["text"] = settle(output["text"])
        cell["outputs"] = merged
    return notebook


def execute(name, workdir, quick=True):
    """Run notebook ``name`` in ``workdir``; returns the executed ``NotebookNode``.

    Raises:
        nbclient.exceptions.CellExecutionError: a cell raised (its traceback in the message).
    """
    import nbclient
    import nbformat

    notebook = nbformat.from_dict(build.build(name))
    os.environ["MINICNN_NOTEBOOK_QUICK"] = "1" if quick else "0"
    client = nbclient.NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     record_timing=False,
                                     resources={"metadata": {"path": workdir}})
    client.execute()
    return clean_outputs(notebook)


def write(notebook, path):
    import nbformat

    nbformat.validate(notebook)
    with open(path, "w", encoding="utf-8") as f:
        nbformat.write(notebook, f)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="5.1 ... 5.4 (default: all four)")
    parser.add_argument("--out", help="folder for the executed notebooks (default: notebooks/)")
    parser.add_argument("--workdir", help="folder the notebooks run in (default: a temporary "
                                          "one); keeps the models and files they write")
    parser.add_argument("--book", action="store_true",
                        help="the chapter's sizes and epochs instead of quick mode")
    args = parser.parse_args(argv)
    names = [build.resolve(n) for n in args.names] or list(build.NAMES)
    out = args.out or build.HERE
    os.makedirs(out, exist_ok=True)
    scratch = None if args.workdir else tempfile.TemporaryDirectory(prefix="notebooks-")
    workdir = args.workdir or scratch.name
    os.makedirs(workdir, exist_ok=True)
    total = time.time()
    try:
        for name in names:
            start = time.time()
            try:
                notebook = execute(name, workdir, quick=not args.book)
            except Exception as error:           # CellExecutionError, a dead kernel, ...
                print(f"{name}: FAILED after {time.time() - start:.0f} s\n{error}")
                return 1
            path = os.path.join(out, name + ".ipynb")
            write(notebook, path)
            print(f"{name}: {time.time() - start:.1f} s -> {os.path.relpath(path)}", flush=True)
    finally:
        if scratch is not None:
            scratch.cleanup()
    print(f"{len(names)} notebook(s) in {time.time() - total:.1f} s "
          f"({'book' if args.book else 'quick'} mode)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
