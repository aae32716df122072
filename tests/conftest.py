"""Shared test set-up: hypothesis profiles and backend/kernel fixtures.

Hypothesis profiles (choose with ``HYPOTHESIS_PROFILE``):

- ``ci``: derandomized (the same examples every run), few examples, no deadline;
- ``dev`` (default): random, a moderate number of examples;
- ``thorough``: many examples, for a reader hunting a bug in their own layer.
"""
import os

import pytest
from hypothesis import HealthCheck, settings

from minicnn import backend

from helpers import Server

# float64 and the other session fixtures hold for every generated example alike
SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]
settings.register_profile(
    "ci", derandomize=True, max_examples=25, deadline=None, print_blob=True,
    suppress_health_check=SUPPRESS)
settings.register_profile(
    "dev", max_examples=40, deadline=None, print_blob=True,
    suppress_health_check=SUPPRESS)
settings.register_profile(
    "thorough", max_examples=400, deadline=None, print_blob=True,
    suppress_health_check=SUPPRESS)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def _fresh_session():
    """Every test starts with float32, automatic kernels and fresh layer names."""
    backend.set_floatx("float32")
    backend.set_backend("numpy")   # GPU runs come from the each_backend fixture
    backend.set_kernels(os.environ.get("MINICNN_KERNELS", "auto"))
    backend.clear_session()
    backend.set_seed(1234)
    yield
    backend.set_floatx("float32")
    backend.set_kernels(os.environ.get("MINICNN_KERNELS", "auto"))


@pytest.fixture
def float64():
    """Run the test in float64 (gradient checks)."""
    with backend.floatx_scope("float64"):
        yield


@pytest.fixture
def server(tmp_path):
    """A local HTTP server over ``tmp_path / 'www'``."""
    root = tmp_path / "www"
    root.mkdir()
    srv = Server(root)
    yield srv
    srv.close()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh ``$MINICNN_HOME``, online: tests never touch ~/.minicnn."""
    path = tmp_path / "home"
    monkeypatch.setenv("MINICNN_HOME", str(path))
    monkeypatch.delenv("MINICNN_OFFLINE", raising=False)
    return path


BACKENDS = ["numpy", "numpy-xp", "cupy"]


@pytest.fixture(params=BACKENDS)
def each_backend(request):
    """Run a test on every array backend: NumPy with the numba kernels, NumPy through the
    vectorised ``xp`` kernels (the code CuPy runs), and CuPy where a GPU is present."""
    name = request.param
    if name == "cupy" and "cupy" not in backend.available_backends():
        pytest.skip("CuPy with a GPU is not available here")
    backend.set_backend("cupy" if name == "cupy" else "numpy")
    backend.set_kernels("xp" if name == "numpy-xp" else "auto")
    yield name
    backend.set_backend("numpy")
    backend.set_kernels(os.environ.get("MINICNN_KERNELS", "auto"))
