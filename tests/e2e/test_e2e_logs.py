"""Incremental log exports under ``airflow standalone`` (Airflow 3.3): the export's asset events start the
downstream DAG, and a second run starts where the first ended, at the watermark in the asset's state store.

Reuses the session's ``standalone`` (the connection is created through the REST API, as in
test_e2e_standalone.py). ``signalwire_incremental_logs`` is unpaused (its scheduler run) and triggered;
each run writes a file named by its window and announces it on the ``signalwire-voice-logs`` asset;
``signalwire_logs_downstream``, scheduled on that asset, must run for every file and succeed (it reads
each file and checks it). Then a record lands exactly on the watermark and one more run exports it.
"""

from __future__ import annotations

import itertools
import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from e2e_support import CONN_ID, airflow_version, timed

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(airflow_version() < (3, 3), reason="incremental exports need Airflow 3.3"),
]

EXPORT = "signalwire_incremental_logs"
DOWNSTREAM = "signalwire_logs_downstream"
ASSET = "signalwire-voice-logs"
KEY = "signalwire.logs.voice"
DEADLINE_S = 180


def wait_until(check: Any, what: str, standalone: Any, deadline_s: float = DEADLINE_S) -> Any:
    deadline = time.monotonic() + deadline_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not after {deadline_s:.0f}s\n{standalone.log_tail(30)}")
        time.sleep(2)


def runs(standalone: Any, dag_id: str) -> list[dict[str, Any]]:
    return standalone.api("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100})["dag_runs"]


def all_finished(standalone: Any, dag_id: str, at_least: int) -> list[dict[str, Any]] | None:
    found = runs(standalone, dag_id)
    done = [r for r in found if r["state"] in ("success", "failed")]
    return found if len(found) >= at_least and len(done) == len(found) else None


def export_events(standalone: Any, asset_id: int) -> list[dict[str, Any]]:
    """The export's asset events (extra: path, records, window), oldest window first."""

    def listed() -> Any:
        # Airflow 3.3.2 answers 500 while an event's downstream run is queued (no start_date): retry.
        answer = standalone.api(
            "GET", "/assets/events", params={"asset_id": asset_id, "limit": 100}, ok=(200, 500)
        )
        return answer if isinstance(answer, dict) else None

    events = wait_until(listed, "the asset events", standalone, deadline_s=60)["asset_events"]
    return sorted((e["extra"] for e in events if e.get("extra", {}).get("path")), key=lambda x: x["window"])


def file_of(extra: dict[str, Any]) -> Path:
    assert extra["path"].startswith("file://"), extra
    return Path(extra["path"][len("file://") :])


def ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


def downstream_paths(standalone: Any) -> tuple[set[str], list[dict[str, Any]]]:
    """Files announced to finished asset-triggered downstream runs, and those runs."""
    triggered = [r for r in runs(standalone, DOWNSTREAM) if r.get("run_type") == "asset_triggered"]
    paths: set[str] = set()
    for run in triggered:
        if run["state"] in ("success", "failed"):  # 3.3.2 answers 500 for a queued run's events
            path = f"/dags/{DOWNSTREAM}/dagRuns/{quote(run['dag_run_id'], safe='')}/upstreamAssetEvents"
            paths |= {e["extra"].get("path") for e in standalone.api("GET", path)["asset_events"]}
    return paths, triggered


def test_incremental_exports_chain_and_start_the_downstream_dag(
    standalone: Any, conn_json: str, fake_space: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    exports = tmp_path_factory.mktemp("incremental-exports")
    conn = json.loads(conn_json)
    with timed("logs: connection, variable, DAGs parsed"):
        standalone.api("DELETE", f"/connections/{CONN_ID}", ok=(204, 404))
        body = {k: conn[k] for k in ("conn_type", "host", "login", "password")}
        standalone.api(
            "POST",
            "/connections",
            ok=(201,),
            json={"connection_id": CONN_ID, **body, "extra": json.dumps(conn["extra"])},
        )
        standalone.api("DELETE", "/variables/signalwire_exports", ok=(204, 404))
        standalone.api(
            "POST", "/variables", ok=(201,), json={"key": "signalwire_exports", "value": f"file://{exports}"}
        )
        standalone.wait_for_dag(EXPORT)
        standalone.wait_for_dag(DOWNSTREAM)
    now = datetime.now(timezone.utc)
    first_start = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    seeded = fake_space.seed_logs("voice", 6, first_start, now - timedelta(minutes=10))

    with timed("logs: first exports (scheduled + triggered) and downstream runs"):
        standalone.api("PATCH", f"/dags/{DOWNSTREAM}", json={"is_paused": False})
        standalone.api("PATCH", f"/dags/{EXPORT}", json={"is_paused": False})  # the scheduler's run
        standalone.api("POST", f"/dags/{EXPORT}/dagRuns", ok=(200, 201), json={"logical_date": None})
        first_runs = wait_until(lambda: all_finished(standalone, EXPORT, 2), "two export runs", standalone)
    assert all(r["state"] == "success" for r in first_runs), first_runs
    asset = standalone.api("GET", "/assets", params={"name_pattern": ASSET})["assets"]
    (asset_id,) = [a["id"] for a in asset if a["name"] == ASSET]
    events = export_events(standalone, asset_id)
    assert events, "no export announced a file"
    # One chain of windows from 00:00 UTC yesterday, each starting where the last ended.
    windows = [e["window"].split("/") for e in events]
    assert windows[0][0] == first_start.strftime("%Y-%m-%dT%H:%M:%SZ"), windows
    assert all(a[1] == b[0] for a, b in itertools.pairwise(windows)), windows
    exported = [i for e in events for i in ids(file_of(e))]
    assert [len(ids(file_of(e))) for e in events] == [e["records"] for e in events]
    assert len(exported) == len(set(exported)) and {r["id"] for r in seeded} <= set(exported)

    with timed("logs: a record on the watermark, one more export"):
        watermark = standalone.api("GET", f"/assets/{asset_id}/state-store/{KEY}")["value"]
        assert watermark == {"watermark": windows[-1][1]}, watermark
        end = datetime.fromisoformat(windows[-1][1].replace("Z", "+00:00"))
        on_the_watermark = fake_space.backends["logs"].add("voice", end).render()
        standalone.api("POST", f"/dags/{EXPORT}/dagRuns", ok=(200, 201), json={"logical_date": None})
        later = wait_until(
            lambda: all_finished(standalone, EXPORT, len(first_runs) + 1), "the next export run", standalone
        )
    assert all(r["state"] == "success" for r in later), later
    newest = export_events(standalone, asset_id)[-1]
    assert newest["window"].split("/")[0] == windows[-1][1], newest
    assert ids(file_of(newest)) == [on_the_watermark["id"]]
    stored = standalone.api("GET", f"/assets/{asset_id}/state-store/{KEY}")["value"]
    assert stored == {"watermark": newest["window"].split("/")[1]}

    with timed("logs: downstream runs for every file"):
        every = {e["path"] for e in export_events(standalone, asset_id)}

        def covered() -> Any:
            paths, triggered = downstream_paths(standalone)
            finished = all(r["state"] in ("success", "failed") for r in triggered)
            return triggered if every <= paths and finished else None

        triggered = wait_until(covered, "downstream runs for every exported file", standalone)
    assert all(r["state"] == "success" for r in triggered), [(r["dag_run_id"], r["state"]) for r in triggered]
