"""minicnn.memory: freed arrays stay in the process, so the next step does not fault them in."""
import os
import subprocess
import sys

import pytest

from minicnn import memory

PROBE = """
import resource
import numpy as np
import minicnn

def step():                                   # what a training step does: big arrays, freed
    arrays = [np.ones((size << 20) // 8) for size in (3, 30, 70)]   # MiB; every page written
    return sum(float(a[-1]) for a in arrays)

step(); step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(3):
    step()
print(minicnn.KEEPS_FREED_MEMORY, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def page_faults(keep):
    env = dict(os.environ, MINICNN_KEEP_FREED_MEMORY="1" if keep else "0")
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    return out[0] == "True", int(out[1])


@pytest.mark.skipif(not sys.platform.startswith("linux") or not memory.keep_freed_memory(),
                    reason="glibc's mallopt is Linux-only")
def test_freed_memory_is_reused_without_page_faults():
    kept, faults = page_faults(keep=True)
    default, faults_default = page_faults(keep=False)
    assert kept and not default
    # 3 steps x 103 MiB given back and faulted in again: thousands of faults (4 KiB or 2 MiB
    # pages); the 70 MiB array is above any mmap threshold glibc can be given
    assert faults_default > 500, faults_default
    assert faults < faults_default / 10, (faults, faults_default)


def test_the_switch_turns_it_off(monkeypatch):
    monkeypatch.setenv("MINICNN_KEEP_FREED_MEMORY", "0")
    assert memory.keep_freed_memory() is False
