"""``python -m airflow_provider_signalwire.testing demo``: a real DAG run on the offline fake space.

Starts a fake space, makes a throwaway ``AIRFLOW_HOME`` with SQLite, runs ``airflow dags test`` on an
example DAG with the ``signalwire_default`` connection pointing at the fake, prints what happened in a
few lines, and removes everything it made.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_DAG = "signalwire_video_rooms"


def default_dags_folder() -> Path:
    """``dags_examples/`` of the source checkout (the package is installed from it), else of the cwd."""
    checkout = Path(__file__).resolve().parents[2] / "dags_examples"
    return checkout if checkout.is_dir() else Path.cwd() / "dags_examples"


def _airflow_command() -> list[str]:
    airflow = Path(sys.executable).with_name("airflow")
    return [str(airflow)] if airflow.exists() else [sys.executable, "-m", "airflow"]


def _summarise(value: Any) -> str:
    if isinstance(value, list):
        names = [str(v.get("name", v.get("id", "?"))) for v in value if isinstance(v, dict)]
        shown = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
        return f"{len(value)} items: {shown}"
    if isinstance(value, dict):
        if "token" in value:
            token = str(value["token"])
            return f"room token {token[:16]}... ({token.count('.') + 1}-part JWT, {len(token)} chars)"
        if "name" in value and "id" in value:
            return f"room {value['name']!r} (id {value['id']})"
    return json.dumps(value)[:80]


def _xcoms(db: Path, dag_id: str) -> dict[str, Any]:
    try:
        with sqlite3.connect(db) as conn:
            rows = conn.execute(
                "SELECT task_id, value FROM xcom WHERE dag_id = ? AND key = 'return_value'", (dag_id,)
            ).fetchall()
    except sqlite3.Error:
        return {}
    result = {}
    for task_id, value in rows:
        try:
            result[task_id] = json.loads(value)
        except (TypeError, ValueError):
            continue
    return result


def run_demo(dag_id: str = DEFAULT_DAG, dags_folder: Path | None = None, verbose: bool = False) -> int:
    from airflow_provider_signalwire.testing.space import FakeSignalWireSpace

    started = time.monotonic()
    dags_folder = dags_folder or default_dags_folder()
    if not (dags_folder / f"{dag_id}.py").exists() and not dags_folder.is_dir():
        print(f"No DAG folder at {dags_folder}: run the demo from the source checkout.", file=sys.stderr)
        return 2
    with (
        tempfile.TemporaryDirectory(prefix="signalwire-demo-") as home,
        FakeSignalWireSpace(seed="demo") as space,
    ):
        print(f"Fake SignalWire space on {space.base_url} (project {space.project_id}, 3 demo rooms).")
        env = {
            **os.environ,
            "AIRFLOW_HOME": home,
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW_CONN_SIGNALWIRE_DEFAULT": space.airflow_conn_json(),
        }
        airflow = _airflow_command()
        log_path = Path(home) / "airflow-output.log"
        with log_path.open("w") as log:
            print("Preparing a throwaway Airflow home (SQLite) ...", flush=True)
            migrate = subprocess.run(
                [*airflow, "db", "migrate"], env=env, stdout=log, stderr=subprocess.STDOUT
            )
            if migrate.returncode == 0:
                print(f"Running: airflow dags test {dag_id}", flush=True)
                test = subprocess.run(
                    [*airflow, "dags", "test", dag_id], env=env, stdout=log, stderr=subprocess.STDOUT
                )
        output = log_path.read_text(errors="replace")
        ok = migrate.returncode == 0 and test.returncode == 0 and "state=success" in output
        if verbose or not ok:
            print(output[-6000:])
        print("What the DAG asked of SignalWire:")
        for request in space.requests:
            print(f"  {request.method:<6} {request.path:<55} -> {request.status}")
        results = _xcoms(Path(home) / "airflow.db", dag_id)
        if results:
            print("What the tasks returned (XCom):")
            for task_id, value in results.items():
                print(f"  {task_id:<16} {_summarise(value)}")
        left = [room["name"] for room in space.state.rooms.values()]
        demo_room_gone = not any(name.startswith("airflow-demo") for name in left)
        print(f"Rooms left in the space: {len(left)}; the DAG's room was cleaned up: {demo_room_gone}.")
        elapsed = time.monotonic() - started
        print(f"DAG run {dag_id}: {'success' if ok else 'FAILED'} in {elapsed:.1f} s.")
        return 0 if ok else 1
