"""A DAG scheduled on a SignalWire-watched asset runs once per new recording, across a triggerer restart.

``airflow standalone`` cannot restart one of its components, so this runs them as separate processes
(``api-server``, ``scheduler``, ``dag-processor``, ``triggerer``), each in its own process group, in a
throwaway AIRFLOW_HOME whose DAGs folder holds only ``dags_examples/signalwire_new_recordings.py``
(polling every 2 s). The fake space gains a completed recording; the DAG must get a run carrying it.
Then the triggerer is stopped (SIGTERM, as a deploy does), a recording completes while none runs, and
a new triggerer is started: it must resume from the watermark in the asset's state store, so that
recording gets exactly one run, and one more recording afterwards exactly one more. No recording may
start two runs or appear in two asset events. Airflow 3.3 only.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Standalone
from e2e_support import (
    DAGS_FOLDER,
    VENV_BIN,
    airflow,
    airflow_env,
    airflow_version,
    free_port,
    kill_group,
    timed,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        airflow_version() < (3, 3), reason="asset state stores and shared streams need Airflow 3.3"
    ),
]

DAG_ID = "signalwire_new_recordings"
ASSET = "signalwire_completed_recordings"
POLL_S = 2
DEADLINE_S = 120


class Components(Standalone):
    """Airflow 3.3's components as separate processes; the triggerer can be stopped and started alone."""

    def __init__(self, home: Path, port: int, dags_folder: Path, conn_json: str) -> None:
        super().__init__(home, port, dags_folder)
        self.env.update(
            {
                "AIRFLOW_CONN_SIGNALWIRE_DEFAULT": conn_json,
                "SIGNALWIRE_RECORDINGS_POLL_INTERVAL": str(POLL_S),
                # A stopped triggerer's watchers go to the next one after this many seconds.
                "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "10",
                "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            }
        )
        self.procs: dict[str, subprocess.Popen] = {}
        self.triggerer_starts = 0

    def _spawn(self, name: str, *args: str) -> None:
        log = open(self.home / f"{name}.log", "a")  # noqa: SIM115 - closed by the child's exit
        self.procs[name] = subprocess.Popen(
            [str(VENV_BIN / "airflow"), *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()

    def start(self, deadline_s: float = 120) -> None:
        import json

        import requests

        result = airflow("db", "migrate", env=self.env, timeout=180)
        assert result.returncode == 0, str(result)
        self._spawn("api-server", "api-server", "--host", "127.0.0.1", "--port", str(self.port))
        self._spawn("scheduler", "scheduler")
        self._spawn("dag-processor", "dag-processor")
        self.start_triggerer()
        deadline = time.monotonic() + deadline_s
        while True:
            dead = {n: p.returncode for n, p in self.procs.items() if p.poll() is not None}
            assert not dead, f"exited: {dead}\n{self.log_tail()}"
            try:
                if requests.get(f"{self.base_url}/api/v2/monitor/health", timeout=3).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, f"api-server not healthy:\n{self.log_tail()}"
            time.sleep(1)
        pw_file = self.home / "simple_auth_manager_passwords.json.generated"
        while not pw_file.exists():
            assert time.monotonic() < deadline, f"{pw_file} never appeared"
            time.sleep(0.5)
        password = json.loads(pw_file.read_text())["admin"]
        answer = requests.post(
            f"{self.base_url}/auth/token", json={"username": "admin", "password": password}, timeout=10
        )
        assert answer.status_code in (200, 201), answer.text
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def start_triggerer(self) -> None:
        self.triggerer_starts += 1
        self._spawn("triggerer", "triggerer")

    def stop_triggerer(self) -> None:
        kill_group(self.procs.pop("triggerer"), grace=30)

    def stop(self) -> None:
        for proc in self.procs.values():
            kill_group(proc, grace=10)

    def log_tail(self, lines: int = 40) -> str:
        parts = []
        for name in ("api-server", "scheduler", "dag-processor", "triggerer"):
            path = self.home / f"{name}.log"
            text = path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else []
            parts.append(f"--- {name}\n" + "\n".join(text))
        return "\n".join(parts)

    def triggerer_log(self) -> str:
        return (self.home / "triggerer.log").read_text(errors="replace")


@pytest.fixture(scope="module")
def components(
    tmp_path_factory: pytest.TempPathFactory, fake_space: Any, conn_json: str
) -> Iterator[Components]:
    home = tmp_path_factory.mktemp("airflow-components-home")
    dags = tmp_path_factory.mktemp("asset-watcher-dags")
    shutil.copy(DAGS_FOLDER / f"{DAG_ID}.py", dags / f"{DAG_ID}.py")
    env_port = free_port()
    server = Components(home, env_port, dags, conn_json)
    assert airflow_env(home)["AIRFLOW_HOME"] == str(home)
    try:
        with timed("asset watcher: components up"):
            server.start()
        yield server
    finally:
        with timed("asset watcher: components stop"):
            server.stop()


def runs_with_events(components: Components) -> list[dict[str, Any]]:
    """The DAG's asset-triggered runs, each with the recording ids of its triggering events."""
    runs = components.api("GET", f"/dags/{DAG_ID}/dagRuns", params={"limit": 100})["dag_runs"]
    out = []
    for run in runs:
        if run.get("run_type") != "asset_triggered":
            continue
        run["recording_ids"] = []
        if run["state"] in ("success", "failed"):
            # Only finished runs: Airflow 3.3.2 answers 500 here while a run is queued (no start_date).
            path = f"/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}/upstreamAssetEvents"
            events = components.api("GET", path)["asset_events"]
            run["recording_ids"] = [e["extra"]["payload"]["id"] for e in events]
        out.append(run)
    return out


def asset_event_ids(components: Components) -> list[str]:
    events = components.api("GET", "/assets/events", params={"limit": 100})["asset_events"]
    return [e["extra"]["payload"]["id"] for e in events if e.get("extra", {}).get("from_trigger")]


def wait_until(
    check: Callable[[], Any], what: str, components: Components, deadline_s: float = DEADLINE_S
) -> Any:
    deadline = time.monotonic() + deadline_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not after {deadline_s:.0f}s\n{components.log_tail()}")
        time.sleep(1)


def recording_polls(fake_space: Any) -> int:
    return sum(1 for r in fake_space.requests if r.path == "/api/video/room_recordings" and r.status == 200)


def test_one_run_per_new_recording_across_a_triggerer_restart(
    components: Components, fake_space: Any
) -> None:
    with timed("asset watcher: DAG parsed and unpaused"):
        components.wait_for_dag(DAG_ID)
        components.api("PATCH", f"/dags/{DAG_ID}", json={"is_paused": False})
    with timed("asset watcher: the triggerer polls"):
        started = "Watching SignalWire recordings from its first poll"
        wait_until(lambda: started in components.triggerer_log(), "the watcher starts", components)
        # Three polls: at least two are this triggerer's (other e2e modules' watchers poll every 60 s).
        before = recording_polls(fake_space)
        wait_until(lambda: recording_polls(fake_space) >= before + 3, "the watcher polls", components)

    def finished_run_for(recording_id: str) -> Callable[[], Any]:
        def check() -> Any:
            runs = [r for r in runs_with_events(components) if recording_id in r["recording_ids"]]
            return runs if runs and all(r["state"] in ("success", "failed") for r in runs) else None

        return check

    with timed("asset watcher: a new recording starts a run"):
        first = fake_space.add_completed_recording()
        wait_until(finished_run_for(first["id"]), "a run for the first recording", components)

    with timed("asset watcher: triggerer restarted, a recording completed meanwhile"):
        components.stop_triggerer()
        while_down = fake_space.add_completed_recording()
        polls = recording_polls(fake_space)
        components.start_triggerer()
        wait_until(finished_run_for(while_down["id"]), "a run for the recording made while down", components)
        assert recording_polls(fake_space) > polls
    with timed("asset watcher: one more recording after the restart"):
        after = fake_space.add_completed_recording()
        wait_until(finished_run_for(after["id"]), "a run for the recording after the restart", components)
    # Several more polls: nothing is delivered twice.
    polls = recording_polls(fake_space)
    wait_until(lambda: recording_polls(fake_space) >= polls + 3, "three more polls", components)
    time.sleep(POLL_S * 2)

    runs = runs_with_events(components)
    expected = [first["id"], while_down["id"], after["id"]]
    assert sorted(i for r in runs for i in r["recording_ids"]) == sorted(expected), runs
    assert len(runs) == 3, [(r["dag_run_id"], r["recording_ids"]) for r in runs]
    assert all(r["state"] == "success" for r in runs), runs
    assert sorted(asset_event_ids(components)) == sorted(expected)
    log = components.triggerer_log()
    assert "Watching SignalWire recordings from the stored watermark" in log, log[-3000:]
    assert fake_space.api_token not in log
