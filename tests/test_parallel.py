"""kernels/parallel.py: products split among minicnn's threads equal NumPy's, every piece
runs once, BLAS runs on one thread inside and is restored after, errors come back."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from threadpoolctl import threadpool_info

from minicnn import kernels
from minicnn.kernels import parallel, threads


def blas_threads():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


@given(m=st.integers(1, 300), k=st.integers(1, 300), n=st.integers(1, 300),
       transposed=st.booleans(), seed=st.integers(0, 9))
def test_split_products_equal_numpys(m, k, n, transposed, seed, monkeypatch):
    monkeypatch.setattr(parallel, "MIN_WORK", 1000)          # split even these small ones
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((k, m)).T if transposed else rng.standard_normal((m, k))
    b = rng.standard_normal((k, n))
    np.testing.assert_allclose(kernels.matmul(a, b), a @ b, rtol=1e-10, atol=1e-10)
    out = np.empty((m, n))
    assert parallel.matmul(a, b, out=out) is out
    np.testing.assert_allclose(out, a @ b, rtol=1e-10, atol=1e-10)


def test_each_way_of_splitting(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_WORK", 1000)
    rng = np.random.default_rng(0)
    for shape_a, shape_b in [((4000, 30), (30, 20)),     # along M
                             ((20, 30), (30, 4000)),     # along N
                             ((20, 5000), (5000, 20))]:  # along K (the partial products added)
        a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
        np.testing.assert_allclose(parallel.matmul(a, b), a @ b, rtol=1e-10, atol=1e-9)


def test_for_each_runs_every_piece_once_on_one_blas_thread(monkeypatch):
    monkeypatch.setattr(threads, "THREADS", 2)
    before = blas_threads()
    seen, inside = [], []

    def body(i):
        seen.append(i)
        inside.append(blas_threads())
    parallel.for_each(17, body)
    assert sorted(seen) == list(range(17))
    assert all(all(n == 1 for n in value) for value in inside)
    assert blas_threads() == before                       # restored after the block


def test_for_each_passes_on_the_first_error_and_works_on_one_thread(monkeypatch):
    monkeypatch.setattr(threads, "THREADS", 2)

    def body(i):
        if i == 3:
            raise KeyError("piece 3")
    with pytest.raises(KeyError, match="piece 3"):
        parallel.for_each(8, body)
    threads.set_threads(1)
    order = []
    parallel.for_each(4, order.append)
    assert order == [0, 1, 2, 3]                          # the caller alone, in order
