"""The guard of tests/tmp_guard.py sees a write into the system temp dir outside pytest's basetemp."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import pytest

from tests.tmp_guard import TEMP_WRITES


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A fresh path in the real system temp dir (not the basetemp), removed afterwards."""
    assert TEMP_WRITES.system_tmp is not None
    path = Path(TEMP_WRITES.system_tmp) / f"signalwire-guard-probe-{uuid.uuid4().hex}"
    assert not str(path).startswith(TEMP_WRITES.allowed)
    yield path
    if path.is_dir():
        for child in path.iterdir():
            child.unlink()
        path.rmdir()
    elif path.exists():
        path.unlink()


def _caught(path: Path) -> bool:
    """Whether the guard saw ``path``; the sighting is taken back, so this test itself passes."""
    seen = [p for p in TEMP_WRITES.seen if p.startswith(os.path.realpath(path))]
    TEMP_WRITES.seen[:] = [p for p in TEMP_WRITES.seen if p not in seen]
    return bool(seen)


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda p: p.write_text("x"), id="open-w"),
        pytest.param(lambda p: open(p, "ab").close(), id="open-a"),
        pytest.param(lambda p: os.close(os.open(p, os.O_WRONLY | os.O_CREAT)), id="os-open"),
        pytest.param(lambda p: p.mkdir(), id="mkdir"),
    ],
)
def test_a_write_to_the_system_temp_dir_is_seen(outside, write):
    write(outside)
    assert _caught(outside)


def test_reads_and_writes_under_the_basetemp_are_not_flagged(tmp_path, tmp_path_factory):
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "a.txt").read_text()
    (tmp_path / "d").mkdir()
    with tempfile.NamedTemporaryFile() as f:  # tempfile is pointed into the basetemp for the session
        f.write(b"x")
        assert Path(f.name).resolve().is_relative_to(tmp_path_factory.getbasetemp().resolve())
    assert TEMP_WRITES.seen == []
    assert os.environ["TMPDIR"] == tempfile.gettempdir()  # subprocesses get the same folder
