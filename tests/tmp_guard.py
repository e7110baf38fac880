"""Tests write only under pytest's own temporary folders, never in fixed places of the system temp dir.

For the session, ``TMPDIR`` and :data:`tempfile.tempdir` point into pytest's basetemp, so everything made
with :mod:`tempfile` (here and in subprocesses) lands there and goes with it. An audit hook
(:func:`sys.addaudithook`) sees every file opened for writing, folder made and file renamed in this
process; a test that writes into the real system temp dir outside the basetemp fails, naming the path
(e.g. a hard-coded ``/tmp/signalwire-exports`` default).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


class TempWrites:
    """The audit hook's state: where the system temp dir is, what is allowed, what was seen."""

    def __init__(self) -> None:
        self.system_tmp: str | None = None
        self.allowed: tuple[str, ...] = ()
        self.seen: list[str] = []

    def check(self, path: object) -> None:
        if self.system_tmp is None or isinstance(path, int):
            return
        try:
            text = os.fsdecode(path)  # type: ignore[arg-type]
            full = os.path.realpath(os.path.abspath(text))
        except (TypeError, ValueError):
            return
        if full.startswith(self.system_tmp) and not full.startswith(self.allowed):
            self.seen.append(full)

    def hook(self, event: str, args: tuple[object, ...]) -> None:
        if event == "open":
            path, mode, flags = args
            writes = any(c in mode for c in "wax+") if isinstance(mode, str) else bool(flags & _WRITE_FLAGS)
            if writes:
                self.check(path)
        elif event in ("os.mkdir", "os.rename", "shutil.copyfile", "os.symlink"):
            self.check(args[1] if event != "os.mkdir" else args[0])


TEMP_WRITES = TempWrites()


@pytest.fixture(scope="session", autouse=True)
def _temp_dir_of_the_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point TMPDIR into the basetemp and start watching writes to the real system temp dir."""
    system_tmp = os.path.realpath(tempfile.gettempdir())
    basetemp = tmp_path_factory.getbasetemp().resolve()
    root = basetemp.parent if basetemp.name.startswith("popen-gw") else basetemp  # xdist: one per worker
    session_tmp = basetemp / "tmp"
    session_tmp.mkdir(exist_ok=True)
    saved = (os.environ.get("TMPDIR"), tempfile.tempdir)
    os.environ["TMPDIR"] = str(session_tmp)
    tempfile.tempdir = str(session_tmp)
    if not TEMP_WRITES.allowed:  # the hook cannot be removed: add it once per process
        sys.addaudithook(TEMP_WRITES.hook)
    TEMP_WRITES.system_tmp = system_tmp + os.sep
    TEMP_WRITES.allowed = (str(root) + os.sep,)
    try:
        yield session_tmp
    finally:
        TEMP_WRITES.system_tmp = None
        if saved[0] is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved[0]
        tempfile.tempdir = saved[1]


@pytest.fixture(autouse=True)
def _no_writes_to_the_system_temp_dir(_temp_dir_of_the_session: Path) -> Iterator[None]:
    """Fail the test that wrote into the system temp dir outside pytest's basetemp."""
    del TEMP_WRITES.seen[:]
    yield
    seen, TEMP_WRITES.seen[:] = sorted(set(TEMP_WRITES.seen)), []
    if seen:
        pytest.fail(
            "wrote into the system temp dir outside pytest's basetemp (use tmp_path, or let the code take "
            f"its folder from an argument or an environment variable): {', '.join(seen[:5])}",
            pytrace=False,
        )
