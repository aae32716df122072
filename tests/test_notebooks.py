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
