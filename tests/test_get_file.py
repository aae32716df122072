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


def test_a_wrong_cached_file_offline_says_what_is_wrong_with_it(home, monkeypatch):
    """Before: 'fails its hash check ... put the file at <the path it is already at>'."""
    (home / "datasets").mkdir(parents=True)
    (home / "datasets" / "file.bin").write_bytes(b"another file")
    monkeypatch.setenv("MINICNN_OFFLINE", "1")
    with pytest.raises(DownloadError) as info:
        get_file("file.bin", "http://127.0.0.1:9/file.bin", file_hash=sha256(PAYLOAD))
    message = str(info.value)
    found = sha256(b"another file")
    assert info.value.found_hash == "sha256:" + found
    assert f"its sha256 is {found}, expected {sha256(PAYLOAD)}" in message
    assert str(home / "datasets" / "file.bin") in message and "replace it by hand" in message
    assert "put the file at" not in message


def test_a_wrong_cached_file_is_fetched_again_saying_so(server, home, capsys):
    (server.root / "file.bin").write_bytes(PAYLOAD)
    (home / "datasets").mkdir(parents=True)
    (home / "datasets" / "file.bin").write_bytes(b"old")
    get_file("file.bin", server.url + "file.bin", file_hash=sha256(PAYLOAD))
    assert f"its sha256 is {sha256(b'old')}" in capsys.readouterr().out


def test_a_cache_folder_that_cannot_be_written_names_it(home, monkeypatch):
    """Before: a PermissionError ended with 'Check the network and retry'."""
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(home))

    monkeypatch.setattr(data_utils.os, "makedirs", refuse)
    with pytest.raises(DownloadError) as info:
        get_file("file.bin", refused_url(), file_hash=sha256(PAYLOAD))
    message = str(info.value)
    assert f"Cannot write to the cache folder {home / 'datasets'}" in message
    assert "PermissionError" in message and "permissions" in message
    assert "network" not in message and info.value.reason.startswith("cache folder not writable")


def test_a_file_in_place_of_the_cache_folder_names_it(tmp_path, monkeypatch):
    (tmp_path / "home").write_text("a file, not a folder")
    monkeypatch.setenv("MINICNN_HOME", str(tmp_path / "home"))
    with pytest.raises(DownloadError, match="Cannot write to the cache folder .*home.datasets"):
        get_file("file.bin", refused_url())


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs a POSIX user whom folder permissions bind (not root)")
def test_a_read_only_cache_folder_names_it(home):
    (home / "datasets").mkdir(parents=True)
    os.chmod(home / "datasets", 0o500)
    try:
        with pytest.raises(DownloadError, match="Check that folder's permissions"):
            get_file("file.bin", refused_url())
    finally:
        os.chmod(home / "datasets", 0o700)


def test_an_unreadable_cached_file_names_it(home):
    (home / "datasets" / "file.bin").mkdir(parents=True)     # a folder stands in its place
    with pytest.raises(DownloadError, match="Cannot read the cached file .*file.bin"):
        get_file("file.bin", refused_url(), file_hash=sha256(PAYLOAD))
