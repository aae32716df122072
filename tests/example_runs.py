"""Run an example script as a reader does: a fresh process, in a fresh current folder.

The examples write only under ``runs/<script>/`` in the current folder (or ``--out``);
``stray_files`` lists whatever a run left anywhere else in that folder.
"""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def run_example(name, cwd, *arguments, env=None, unset=(), timeout=600):
    """``python examples/<name> *arguments`` in ``cwd`` (made if missing), with the variables
    of ``env`` set and those named in ``unset`` removed; the finished
    ``subprocess.CompletedProcess`` (text output), whatever its return code."""
    os.makedirs(cwd, exist_ok=True)
    environment = dict(os.environ, MPLBACKEND="Agg", **(env or {}))
    for variable in unset:
        environment.pop(variable, None)
    return subprocess.run([sys.executable, str(EXAMPLES / name), *map(str, arguments)],
                          cwd=cwd, env=environment, capture_output=True, text=True,
                          timeout=timeout)


def runs_folder(cwd, name):
    """Where ``examples/<name>`` writes by default: ``cwd/runs/<name without .py>``."""
    return Path(cwd) / "runs" / Path(name).stem


def stray_files(cwd, *names):
    """Files and folders in ``cwd`` outside ``runs/<name>/`` for each script of ``names``."""
    allowed = {runs_folder(cwd, name) for name in names}
    stray = []
    for folder, subfolders, files in os.walk(cwd):
        here = Path(folder)
        if here in allowed:
            subfolders[:] = []                   # anything inside is the script's own
            continue
        keep = [d for d in subfolders if any(a.is_relative_to(here / d) for a in allowed)]
        stray += [str((here / e).relative_to(cwd)) for e in subfolders + files if e not in keep]
        subfolders[:] = keep                     # a stray folder is reported once, not walked
    return sorted(stray)
