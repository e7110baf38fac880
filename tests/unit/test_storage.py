"""storage.py: the one atomic write shared by the log export and the recording download, the checked
copy, and the destination helpers (the name and destination rules: security/test_file_targets.py)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from airflow.providers.common.compat.sdk import ObjectStoragePath

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.storage import (
    asset_classes,
    copy_checked,
    download_destination,
    is_local,
    progress_text,
    public_uri,
    rate_text,
    storage_path,
    write_atomically,
)


class TooLong(Exception):
    pass


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("suffix", [".tmp", ".part"])
def test_write_atomically_moves_a_complete_file_onto_the_name(tmp_path, suffix):
    path = ObjectStoragePath(f"file://{tmp_path}/deep/er/out.bin")
    seen = []

    def write(out):
        out.write(b"hello")
        seen.extend(p.name for p in (tmp_path / "deep" / "er").iterdir())
        return 5

    assert write_atomically(path, write, suffix=suffix) == 5
    assert (tmp_path / "deep/er/out.bin").read_bytes() == b"hello"
    assert len(seen) == 1 and seen[0].startswith(".out.bin.") and seen[0].endswith(suffix)
    assert _leftovers(tmp_path / "deep/er") == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    (tmp_path / "out.bin").write_bytes(b"old")
    path = ObjectStoragePath(f"file://{tmp_path}/out.bin")

    def write(out):
        out.write(b"new, half")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        write_atomically(path, write)
    assert (tmp_path / "out.bin").read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_copy_checked_hashes_and_never_writes_past_the_limit():
    out = io.BytesIO()
    assert copy_checked([b"ab", b"cd"], out, limit=4, too_long=TooLong) == (
        4,
        hashlib.sha256(b"abcd").hexdigest(),
    )
    out = io.BytesIO()
    with pytest.raises(TooLong) as caught:
        copy_checked([b"ab", b"cd", b"e"], out, limit=4, too_long=TooLong)
    assert caught.value.args == (5,) and out.getvalue() == b"abcd"
    assert copy_checked([b"x" * 10], io.BytesIO(), limit=None, too_long=TooLong)[0] == 10


def test_copy_checked_reports_progress_at_most_every_interval():
    reports = []
    copy_checked([b"a"] * 3, io.BytesIO(), limit=None, too_long=TooLong, report=lambda *a: reports.append(a))
    assert reports == []  # 10 s by default
    copy_checked(
        [b"a"] * 3,
        io.BytesIO(),
        limit=None,
        too_long=TooLong,
        report=lambda s, t: reports.append(s),
        report_every=0,
    )
    assert reports == [1, 2, 3]


def test_storage_path_and_public_uri(tmp_path):
    path = storage_path(f"{tmp_path}/x.jsonl")
    assert is_local(path) and public_uri(path) == f"file://{tmp_path}/x.jsonl"
    assert public_uri("s3://conn_id@bucket/a/x.jsonl") == "s3://bucket/a/x.jsonl"
    with pytest.raises(SignalWireConfigError, match="names a folder"):
        storage_path(f"{tmp_path}/")


def test_download_destination_tells_folders_from_files(tmp_path):
    path, folder = download_destination("t", f"{tmp_path}/")
    assert folder and is_local(path)
    path, folder = download_destination("t", ObjectStoragePath(f"file://{tmp_path}"))
    assert folder  # an existing local folder
    with pytest.raises(SignalWireConfigError, match="an existing folder"):
        download_destination("t", str(tmp_path))


def test_helpers_for_the_log_lines_and_assets():
    assert progress_text(1_500_000, 3_000_000) == "1.5 MB of 3.0 MB (50%)"
    assert progress_text(1_500_000, None) == "1.5 MB"
    assert rate_text(2_000_000, 2.0) == "1.0 MB/s" and rate_text(5, 0) == "instant"
    asset, alias = asset_classes()
    assert alias("a").name == "a" and asset("file:///x").uri.endswith("/x")
