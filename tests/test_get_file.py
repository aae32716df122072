"""get_file against a real HTTP server on 127.0.0.1 (no outside network), in a tmp cache."""
import hashlib
import os
import socket
import time

import pytest

from minicnn.utils import data_utils, get_file
from minicnn.utils.data_utils import DownloadError

from helpers import refused_url, sha256

PAYLOAD = b"minicnn test payload\n" * 100


def test_downloads_into_minicnn_home_and_then_uses_the_cache(server, home, monkeypatch):
    (server.root / "file.bin").write_bytes(PAYLOAD)
    path = get_file("file.bin", server.url + "file.bin", file_hash=sha256(PAYLOAD))
    assert path == str(home / "datasets" / "file.bin")
    assert open(path, "rb").read() == PAYLOAD
    assert server.requests == ["/file.bin"]
    assert get_file("file.bin", server.url + "file.bin", file_hash=sha256(PAYLOAD)) == path
    monkeypatch.setenv("MINICNN_OFFLINE", "1")
    assert get_file("file.bin", server.url + "file.bin", file_hash=sha256(PAYLOAD)) == path
    assert server.requests == ["/file.bin"]  # the cached copy needed no network


def test_md5_auto_explicit_algorithm_and_no_hash(server, home):
    (server.root / "file.bin").write_bytes(PAYLOAD)
    md5 = hashlib.md5(PAYLOAD).hexdigest()
    assert open(get_file("a.bin", server.url + "file.bin", file_hash=md5), "rb").read() == PAYLOAD
    get_file("b.bin", server.url + "file.bin", file_hash=md5.upper(), hash_algorithm="md5")
    get_file("c.bin", server.url + "file.bin")
    assert sorted(os.listdir(home / "datasets")) == ["a.bin", "b.bin", "c.bin"]
    with pytest.raises(ValueError, match="32 .md5. or 64 .sha256."):
        get_file("d.bin", server.url + "file.bin", file_hash="abc")
    with pytest.raises(ValueError, match="hash_algorithm"):
        get_file("d.bin", server.url + "file.bin", file_hash=md5, hash_algorithm="sha1")


def test_cache_dir_and_cache_subdir(server, tmp_path, home):
    (server.root / "file.bin").write_bytes(PAYLOAD)
    path = get_file("file.bin", server.url + "file.bin", cache_subdir="models",
                    cache_dir=str(tmp_path / "elsewhere"))
    assert path == str(tmp_path / "elsewhere" / "models" / "file.bin")
    assert not home.exists()


def test_a_corrupt_cached_file_is_downloaded_again(server, home):
    (server.root / "file.bin").write_bytes(PAYLOAD)
    (home / "datasets").mkdir(parents=True)
    (home / "datasets" / "file.bin").write_bytes(b"truncated")
    path = get_file("file.bin", server.url + "file.bin", file_hash=sha256(PAYLOAD))
    assert open(path, "rb").read() == PAYLOAD
    assert server.requests == ["/file.bin"]


def test_bad_hash_raises_and_leaves_no_file(server, home):
    (server.root / "file.bin").write_bytes(PAYLOAD)
    url = server.url + "file.bin"
    with pytest.raises(DownloadError, match="does not match the expected hash") as info:
        get_file("file.bin", url, file_hash="0" * 64)
    message = str(info.value)
    assert url in message and str(home / "datasets" / "file.bin") in message
    assert "by hand" in message and "0" * 64 in message
    assert info.value.reason == "hash mismatch"
    assert os.listdir(home / "datasets") == []  # neither the file nor pooch's temporary


def test_server_down_raises_a_clear_oserror(home):
    url = refused_url()
    with pytest.raises(DownloadError, match="Could not download") as info:
        get_file("file.bin", url, file_hash=sha256(PAYLOAD))
    assert isinstance(info.value, OSError)
    assert url in str(info.value) and "by hand" in str(info.value)
    assert info.value.url == url and info.value.path == str(home / "datasets" / "file.bin")
    assert not (home / "datasets" / "file.bin").exists()


def test_http_404_raises(server, home):
    with pytest.raises(DownloadError, match="HTTPError"):
        get_file("missing.bin", server.url + "missing.bin")
    assert os.listdir(home / "datasets") == []


def test_offline_raises_without_touching_the_network(server, home, monkeypatch):
    (server.root / "file.bin").write_bytes(PAYLOAD)
    monkeypatch.setenv("MINICNN_OFFLINE", "1")
    with pytest.raises(DownloadError, match="MINICNN_OFFLINE=1") as info:
        get_file("file.bin", server.url + "file.bin", file_hash=sha256(PAYLOAD))
    assert "by hand" in str(info.value) and info.value.reason.startswith("offline")
    assert server.requests == []


def test_a_silent_server_times_out(home, monkeypatch):
    monkeypatch.setattr(data_utils, "TIMEOUT", 0.5)
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/file.bin"
        start = time.perf_counter()
        with pytest.raises(DownloadError, match="Timeout"):
            get_file("file.bin", url)
    assert time.perf_counter() - start < 10
    assert os.listdir(home / "datasets") == []


def test_rejects_non_http_origins(home):
    with pytest.raises(ValueError, match="http"):
        get_file("file.bin", "ftp://example.org/file.bin")
