"""Fixtures for the end-to-end tests (run by tests/e2e/run_e2e.sh and run_airflow2.sh).

Everything here is marked ``e2e``: ``make unit`` (``-m "not e2e"``) collects and deselects it.
Heavy imports (the fake space, requests, selenium) happen inside fixtures only.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import (
    DAGS_FOLDER,
    SCREENSHOTS,
    TIMINGS,
    VENV_BIN,
    airflow,
    airflow_env,
    free_port,
    kill_group,
    timed,
)

HERE = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: end-to-end test in real Airflow (slow; run by make e2e / make test-airflow2)"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Belt and braces: every test under tests/e2e is e2e even if a module forgets its pytestmark.
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TIMINGS:
        terminalreporter.section("e2e timings")
        for name, seconds in TIMINGS:
            terminalreporter.write_line(f"{seconds:7.1f}s  {name}")


# -------------------------------------------------------------------------------- fake space


@pytest.fixture(scope="session")
def fake_space() -> Iterator[Any]:
    """One offline SignalWire space in this pytest process, up for the whole session."""
    from airflow_provider_signalwire.testing import FakeSignalWireSpace

    with timed("fake space: start"):
        space = FakeSignalWireSpace()
        space.__enter__()
    try:
        yield space
    finally:
        with timed("fake space: stop"):
            space.__exit__(None, None, None)


@pytest.fixture(scope="session", autouse=True)
def datasphere_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The folder ``signalwire_datasphere_sync`` syncs (sample documents), served on 127.0.0.1 so the fake
    space can fetch its files; the DAG finds both through ``SIGNALWIRE_DATASPHERE_*`` (set here, before
    any Airflow environment is built from this process's)."""
    from airflow_provider_signalwire.testing.datasphere.samples import write_samples
    from airflow_provider_signalwire.testing.files import LocalFileHost

    folder = tmp_path_factory.mktemp("datasphere-kb")
    write_samples(folder)
    with LocalFileHost(folder) as host:
        os.environ["SIGNALWIRE_DATASPHERE_SOURCE"] = f"file://{folder}/"
        os.environ["SIGNALWIRE_DATASPHERE_FILE_HOST"] = host.base_url
        try:
            yield host
        finally:
            os.environ.pop("SIGNALWIRE_DATASPHERE_SOURCE", None)
            os.environ.pop("SIGNALWIRE_DATASPHERE_FILE_HOST", None)


@pytest.fixture(scope="session")
def conn_json(fake_space: Any) -> str:
    """The signalwire_default connection (JSON) pointing at the fake space."""
    text = fake_space.airflow_conn_json()
    conn = json.loads(text)
    assert conn["conn_type"] == "signalwire", conn
    return text


# -------------------------------------------------------------------------------- airflow home


def make_airflow_home(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    home = tmp_path_factory.mktemp(name)
    # The metadata database in WAL mode (a property of the file, kept by Airflow's migrations): in SQLite's
    # default mode a reader blocks a writer, and under CI load the standalone scheduler, DAG processor
    # and API server held the lock past SQLite's 5 s wait; the scheduler died on "database is locked" and
    # every later run stayed queued. A longer wait alone made it worse (requests stalled behind it), and
    # still does in WAL mode: with a 60 s wait (tried 2026-12-04) the API server stalled 63 s behind a held
    # write lock and every task's API call and every REST call timed out. So SQLite's 5 s stays; a
    # scheduler can still die on it (seen once in a local run the same evening).
    with contextlib.closing(sqlite3.connect(home / "airflow.db")) as db:
        assert db.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    return home


@pytest.fixture(scope="session")
def cli_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway AIRFLOW_HOME with a migrated SQLite DB, for the CLI checks."""
    home = make_airflow_home(tmp_path_factory, "airflow-cli-home")
    with timed("cli: airflow db migrate"):
        result = airflow("db", "migrate", env=airflow_env(home), timeout=180)
    assert result.returncode == 0, str(result)
    return home


@pytest.fixture(scope="session")
def cli_env(cli_home: Path) -> dict[str, str]:
    return airflow_env(cli_home)


# -------------------------------------------------------------------------------- standalone


class Standalone:
    """A running ``airflow standalone`` and a logged-in REST client for it."""

    def __init__(self, home: Path, port: int, dags_folder: Path) -> None:
        self.home = home
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.log_path = home / "standalone.log"
        self.env = airflow_env(
            home,
            {
                "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(port),
                "AIRFLOW__API__BASE_URL": self.base_url,
                "AIRFLOW__API__WORKERS": "1",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base_url}/execution/",
                "AIRFLOW__CORE__PARALLELISM": "4",
                "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "4",
                "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
                # Free ports for the log servers too, so a second Airflow on this machine can't clash.
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            },
        )
        self.proc: subprocess.Popen | None = None
        self.token = ""
        self._session: Any = None

    # -- lifecycle

    def start(self, deadline_s: float = 120) -> None:
        import requests

        log = open(self.log_path, "w")  # noqa: SIM115 - closed by the child's exit
        self.proc = subprocess.Popen(
            # start_new_session=True is setsid(): its own session and process group, ended as a whole.
            # (Not the setsid(1) command: run from a group leader it forks and exits, losing the pid.)
            [str(VENV_BIN / "airflow"), "standalone"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + deadline_s
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"airflow standalone exited with {self.proc.returncode}:\n{self.log_tail()}"
                )
            try:
                if requests.get(f"{self.base_url}/api/v2/monitor/health", timeout=3).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"airflow standalone not healthy after {deadline_s:.0f}s:\n{self.log_tail()}"
                )
            time.sleep(1)
        pw_file = self.home / "simple_auth_manager_passwords.json.generated"
        while not pw_file.exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{pw_file} never appeared:\n{self.log_tail()}")
            time.sleep(0.5)
        self.password = json.loads(pw_file.read_text())["admin"]
        answer = requests.post(
            f"{self.base_url}/auth/token",
            json={"username": "admin", "password": self.password},
            timeout=10,
        )
        assert answer.status_code in (200, 201), answer.text
        self.token = answer.json()["access_token"]
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {self.token}"

    def stop(self) -> None:
        if self.proc is not None:
            kill_group(self.proc, grace=10)

    def log_tail(self, lines: int = 80) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def component_tail(self, component: str, lines: int = 25) -> str:
        """The last lines one component (``scheduler``, ``triggerer``, ...) wrote to the standalone log."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        mine = [line for line in text.splitlines() if line.startswith(f"{component} ")]
        return "\n".join(mine[-lines:])

    def component_lines(self, component: str, *needles: str, lines: int = 12) -> str:
        """The last lines of one component containing every one of ``needles``, cut to 500 characters."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        mine = [
            line[:500]
            for line in text.splitlines()
            if line.startswith(f"{component} ") and all(n in line for n in needles)
        ]
        return "\n".join(mine[-lines:]) or "(none)"

    def scheduler_healthy(self) -> bool:
        """False when the scheduler stopped heartbeating (``airflow standalone`` keeps the other
        components running when the scheduler dies, so queued runs would wait for ever)."""
        health = self.api("GET", "/monitor/health")
        return (health.get("scheduler") or {}).get("status") == "healthy"

    # -- REST

    def api(self, method: str, path: str, *, ok: tuple[int, ...] = (200,), **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", 20)
        for attempt in range(6):
            response = self._session.request(method, f"{self.base_url}/api/v2{path}", **kwargs)
            # Seen twice on CI (PATCH /dags/<id>, POST /dags/<id>/dagRuns): 500 "Database error" because
            # the API server's audit-log INSERT failed at commit (the driver's error is hidden; on this
            # SQLite home the scheduler and DAG processor write at the same moments). That INSERT is in
            # the request's own transaction, which was rolled back (no run was created), so the request
            # is sent again rather than failing the whole standalone suite.
            busy = response.status_code == 500 and "Database error" in response.text
            if not busy or 500 in ok:
                break
            time.sleep(0.5 * 2**attempt)
        if response.status_code not in ok:
            raise AssertionError(f"{method} /api/v2{path} -> {response.status_code}: {response.text[:2000]}")
        if not response.content:
            return None
        if "json" in response.headers.get("content-type", ""):
            return response.json()
        return response.text

    def wait_for_dag(self, dag_id: str, deadline_s: float = 120) -> dict[str, Any]:
        """Poll until the DAG processor has parsed ``dag_id``."""
        deadline = time.monotonic() + deadline_s
        while True:
            dag = self.api("GET", f"/dags/{dag_id}", ok=(200, 404))
            if isinstance(dag, dict) and dag.get("dag_id") == dag_id:
                return dag
            if time.monotonic() > deadline:
                errors = self.api("GET", "/importErrors")
                raise AssertionError(
                    f"DAG {dag_id} not parsed after {deadline_s:.0f}s; import errors: {errors}"
                )
            time.sleep(2)


def standalone_dags_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dags_examples/ plus the e2e-only probe DAGs in tests/e2e/dags/ (masking checks)."""
    folder = tmp_path_factory.mktemp("standalone-dags")
    shutil.copytree(DAGS_FOLDER, folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    for path in (HERE / "dags").glob("*.py"):
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture(scope="session")
def standalone(tmp_path_factory: pytest.TempPathFactory, fake_space: Any) -> Iterator[Standalone]:
    """``airflow standalone`` on 127.0.0.1:<free port>, stopped (whole process group) at the end."""
    home = make_airflow_home(tmp_path_factory, "airflow-standalone-home")
    server = Standalone(home, free_port(), standalone_dags_folder(tmp_path_factory))

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    # A CI timeout sends SIGTERM: turn it into KeyboardInterrupt so pytest still runs the teardown below.
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        with timed("standalone: start until healthy + token"):
            server.start()
        yield server
    finally:
        with timed("standalone: stop"):
            server.stop()
        signal.signal(signal.SIGTERM, previous)
        if os.environ.get("E2E_SHOW_STANDALONE_LOG"):
            print(server.log_tail(200))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    profile = tempfile.mkdtemp(prefix="e2e-chromium-")
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1100",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(arg)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with timed("ui: start chromium"):
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
