"""datasets.mnist and datasets.fashion_mnist: bundled sample, IDX parser, local-server downloads,
and Debian's Fashion-MNIST. Every test runs in a tmp ``$MINICNN_HOME``."""
import gzip
import hashlib
import io
import os
import struct
import warnings

import numpy
import pytest

from minicnn.datasets import _idx, fashion_mnist, mnist
from minicnn.utils.data_utils import DownloadError
from helpers import refused_url, sha256

SAMPLE_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
SAMPLE_SHA256 = {
    "train-10k-images-idx3-ubyte.gz":
        "482d0ab0c2b7987820c25cbffb6db950d6642a9b6db171b2d31d276021bbd096",
    "train-10k-labels-idx1-ubyte.gz":
        "c430a78202b7db42d5d2b515fe7d7471b85cb64d70ffc172afcc4955bd0d52fa",
}


def idx_gz(array):
    """Gzip-compressed IDX bytes of a uint8 array."""
    header = struct.pack(f">I{array.ndim}I", 0x0800 | array.ndim, *array.shape)
    return gzip.compress(header + array.astype(numpy.uint8).tobytes())


def fake_digits(n, seed):
    rng = numpy.random.default_rng(seed)
    return (rng.integers(0, 256, (n, 28, 28), dtype=numpy.uint8),
            rng.integers(0, 10, n, dtype=numpy.uint8))


def fake_npz():
    """A small stand-in for mnist.npz: the right keys, 6 train and 4 test digits."""
    (x_train, y_train), (x_test, y_test) = fake_digits(6, 0), fake_digits(4, 1)
    buffer = io.BytesIO()
    numpy.savez(buffer, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return buffer.getvalue(), ((x_train, y_train), (x_test, y_test))


def assert_same(actual, expected):
    for a, e in zip(actual, expected):
        for a_array, e_array in zip(a, e):
            assert a_array.dtype == numpy.uint8
            numpy.testing.assert_array_equal(a_array, e_array)


# ---------------------------------------------------------------- bundled MNIST sample

def test_bundled_sample_is_the_documented_real_mnist():
    for name, digest in SAMPLE_SHA256.items():
        with open(os.path.join(mnist.SAMPLE_DIR, name), "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == digest
    assert os.path.exists(os.path.join(mnist.SAMPLE_DIR, "README.md"))


def test_offline_mnist_is_the_bundled_sample_with_a_warning(home, monkeypatch):
    monkeypatch.setenv("MINICNN_OFFLINE", "1")
    with pytest.warns(UserWarning, match="8,000 train / 2,000 test") as record:
        (x_train, y_train), (x_test, y_test) = mnist.load_data()
    message = str(record[0].message)
    assert "\n" not in message and str(home / "datasets" / "mnist.npz") in message
    assert "MINICNN_OFFLINE" in message
    assert x_train.shape == (8000, 28, 28) and x_test.shape == (2000, 28, 28)
    assert y_train.shape == (8000,) and y_test.shape == (2000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {numpy.dtype("uint8")}
    assert numpy.bincount(numpy.concatenate([y_train, y_test])).tolist() == SAMPLE_COUNTS
    assert x_train.max() == 255 and x_train.min() == 0
    assert y_train[:8].tolist() == [5, 0, 4, 1, 9, 2, 1, 3]  # MNIST's famous first digits
    assert not (home / "datasets").exists()


def test_load_sample_needs_no_network_and_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x_train, _), (x_test, _) = mnist.load_sample()
    assert (len(x_train), len(x_test)) == (8000, 2000)


# ---------------------------------------------------------------- IDX parser

def test_idx_round_trip(tmp_path):
    x, y = fake_digits(3, 2)
    (tmp_path / "x.gz").write_bytes(idx_gz(x))
    (tmp_path / "y").write_bytes(gzip.decompress(idx_gz(y)))  # plain, not gzipped
    got_x, got_y = _idx.read_pair(tmp_path / "x.gz", tmp_path / "y")
    numpy.testing.assert_array_equal(got_x, x)
    numpy.testing.assert_array_equal(got_y, y)
    got_x[0, 0, 0] = 7  # a writable copy, like numpy.load's arrays


def test_idx_checks_the_magic_number(tmp_path):
    x, y = fake_digits(3, 3)
    (tmp_path / "x.gz").write_bytes(idx_gz(x))
    with pytest.raises(ValueError, match="expected magic 0x00000801, got magic 0x00000803"):
        _idx.read_idx(tmp_path / "x.gz", 1)  # an images file read as labels
    (tmp_path / "junk.gz").write_bytes(gzip.compress(b"PK\x03\x04 not idx at all"))
    with pytest.raises(ValueError, match="not a uint8 IDX file"):
        _idx.read_idx(tmp_path / "junk.gz", 3)
    (tmp_path / "empty.gz").write_bytes(gzip.compress(b"\x00\x00"))
    with pytest.raises(ValueError, match="too short"):
        _idx.read_idx(tmp_path / "empty.gz", 3)


def test_idx_reports_truncated_and_over_long_files(tmp_path):
    x, _ = fake_digits(3, 4)
    raw = gzip.decompress(idx_gz(x))
    (tmp_path / "short.gz").write_bytes(gzip.compress(raw[:-10]))
    with pytest.raises(ValueError, match=r"truncated: header says shape \(3, 28, 28\)"):
        _idx.read_idx(tmp_path / "short.gz", 3)
    (tmp_path / "long.gz").write_bytes(gzip.compress(raw + b"\x00"))
    with pytest.raises(ValueError, match="too long"):
        _idx.read_idx(tmp_path / "long.gz", 3)
    (tmp_path / "header.gz").write_bytes(gzip.compress(raw[:10]))
    with pytest.raises(ValueError, match="truncated header"):
        _idx.read_idx(tmp_path / "header.gz", 3)
    (tmp_path / "cut.gz").write_bytes(idx_gz(x)[:-20])  # a cut-off download
    with pytest.raises(ValueError, match="corrupt or truncated gzip"):
        _idx.read_idx(tmp_path / "cut.gz", 3)
    (tmp_path / "notgz.gz").write_bytes(raw)
    with pytest.raises(ValueError, match="corrupt or truncated gzip"):
        _idx.read_idx(tmp_path / "notgz.gz", 3)


def test_idx_pair_counts_must_agree(tmp_path):
    x, y = fake_digits(3, 5)
    (tmp_path / "x.gz").write_bytes(idx_gz(x))
    (tmp_path / "y.gz").write_bytes(idx_gz(y[:2]))
    with pytest.raises(ValueError, match="3 images but .* 2 labels"):
        _idx.read_pair(tmp_path / "x.gz", tmp_path / "y.gz")


# ---------------------------------------------------------------- MNIST download

@pytest.fixture
def mnist_server(server, monkeypatch):
    """The local server holds a fake mnist.npz; mnist's URL and hash point at it."""
    data, arrays = fake_npz()
    (server.root / "mnist.npz").write_bytes(data)
    monkeypatch.setattr(mnist, "ORIGIN", server.url + "mnist.npz")
    monkeypatch.setattr(mnist, "FILE_HASH", sha256(data))
    return server, arrays


def test_mnist_downloads_the_full_file_once(mnist_server, home, monkeypatch):
    server, arrays = mnist_server
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_same(mnist.load_data(), arrays)
        assert (home / "datasets" / "mnist.npz").exists()
        monkeypatch.setenv("MINICNN_OFFLINE", "1")  # a hand-placed or cached file works offline
        assert_same(mnist.load_data(), arrays)
    assert server.requests == ["/mnist.npz"]


def test_mnist_path_names_the_cached_file(mnist_server, home):
    _, arrays = mnist_server
    assert_same(mnist.load_data(path="digits.npz"), arrays)
    assert os.listdir(home / "datasets") == ["digits.npz"]


def test_mnist_bad_hash_falls_back_and_keeps_nothing(mnist_server, home, monkeypatch):
    monkeypatch.setattr(mnist, "FILE_HASH", "0" * 64)
    with pytest.warns(UserWarning, match=r"hash mismatch.*bundled sample"):
        (x_train, _), _ = mnist.load_data()
    assert x_train.shape == (8000, 28, 28)
    assert os.listdir(home / "datasets") == []


@pytest.mark.parametrize("offline", [True, False])
def test_mnist_wrong_cached_file_says_what_is_wrong_and_what_to_do(home, monkeypatch, offline):
    """Before: the warning never named the hash and said to put the file where it was."""
    cached = home / "datasets" / "mnist.npz"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"not the real mnist.npz")
    if offline:
        monkeypatch.setenv("MINICNN_OFFLINE", "1")
    else:
        monkeypatch.setattr(mnist, "ORIGIN", refused_url())
    with pytest.warns(UserWarning, match="fails its sha256 check") as record:
        (x_train, _), _ = mnist.load_data()
    message = str(record[0].message)
    assert f"expected {mnist.FILE_HASH}, found {sha256(b'not the real mnist.npz')}" in message
    assert str(cached) in message and "replace that file with the genuine" in message
    assert "put mnist.npz at" not in message and "8,000 train / 2,000 test" in message
    assert x_train.shape == (8000, 28, 28) and cached.exists()


def test_mnist_server_down_falls_back_to_the_sample(home, monkeypatch):
    monkeypatch.setattr(mnist, "ORIGIN", refused_url())
    with pytest.warns(UserWarning, match=r"download failed.*8,000 train / 2,000 test"):
        (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert (x_train.shape, x_test.shape) == ((8000, 28, 28), (2000, 28, 28))
    assert not (home / "datasets" / "mnist.npz").exists()


# ---------------------------------------------------------------- Fashion-MNIST

@pytest.mark.skipif(not os.path.isdir(fashion_mnist.DEBIAN_DIR),
                    reason="Debian's Fashion-MNIST is not installed: "
                           "apt-get install -y dataset-fashion-mnist")
def test_fashion_mnist_reads_debians_full_set_offline(home, monkeypatch):
    monkeypatch.setenv("MINICNN_OFFLINE", "1")
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {numpy.dtype("uint8")}
    assert numpy.bincount(y_train).tolist() == [6000] * 10
    assert numpy.bincount(y_test).tolist() == [1000] * 10
    assert not home.exists()


def fake_fashion(folder):
    """Write small fake Fashion-MNIST gzip files; return their arrays and sha256s."""
    arrays = (fake_digits(5, 6), fake_digits(3, 7))
    (x_train, y_train), (x_test, y_test) = arrays
    names = {"train-images-idx3-ubyte.gz": x_train, "train-labels-idx1-ubyte.gz": y_train,
             "t10k-images-idx3-ubyte.gz": x_test, "t10k-labels-idx1-ubyte.gz": y_test}
    hashes = {}
    for name, array in names.items():
        data = idx_gz(array)
        (folder / name).write_bytes(data)
        hashes[name] = sha256(data)
    return arrays, hashes


def test_fashion_mnist_downloads_without_debians_copy(server, home, tmp_path, monkeypatch):
    arrays, hashes = fake_fashion(server.root)
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", str(tmp_path / "no-debian"))
    monkeypatch.setattr(fashion_mnist, "BASE", server.url)
    monkeypatch.setattr(fashion_mnist, "FILE_HASHES", hashes)
    assert_same(fashion_mnist.load_data(), arrays)
    assert sorted(os.listdir(home / "datasets" / "fashion-mnist")) == sorted(hashes)
    assert len(server.requests) == 4
    assert_same(fashion_mnist.load_data(), arrays)  # now from the cache
    assert len(server.requests) == 4


def test_fashion_mnist_prefers_debians_copy_to_the_network(server, home, tmp_path, monkeypatch):
    debian = tmp_path / "debian"
    debian.mkdir()
    arrays, _ = fake_fashion(debian)
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", str(debian))
    monkeypatch.setattr(fashion_mnist, "BASE", server.url)
    assert_same(fashion_mnist.load_data(), arrays)
    assert server.requests == [] and not home.exists()


def test_fashion_mnist_offline_without_debian_says_how_to_get_it(home, tmp_path, monkeypatch):
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", str(tmp_path / "no-debian"))
    monkeypatch.setenv("MINICNN_OFFLINE", "1")
    with pytest.raises(DownloadError, match="apt-get install -y dataset-fashion-mnist") as info:
        fashion_mnist.load_data()
    assert "MINICNN_OFFLINE" in str(info.value) and isinstance(info.value, OSError)


def test_fashion_mnist_server_down_without_debian_raises(home, tmp_path, monkeypatch):
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", str(tmp_path / "no-debian"))
    monkeypatch.setattr(fashion_mnist, "BASE", refused_url().rsplit("/", 1)[0] + "/")
    with pytest.raises(DownloadError, match="Could not download"):
        fashion_mnist.load_data()
    assert os.listdir(home / "datasets" / "fashion-mnist") == []
