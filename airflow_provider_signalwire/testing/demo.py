"""``python -m airflow_provider_signalwire.testing demo``: a real DAG run on the offline fake space.

Starts a fake space, makes a throwaway ``AIRFLOW_HOME`` with SQLite, runs ``airflow dags test`` on an
example DAG with the ``signalwire_default`` connection pointing at the fake, prints what happened in a
few lines (the tasks' return values read through Airflow's own XCom API, which works on 2.11 and 3.x),
says what to try next, and removes everything it made.

The example DAGs ship in the package as ``airflow_provider_signalwire.example_dags`` (``dags_examples/``
in the source tree, mapped in setup.cfg), so the demo runs the same from a checkout and from a wheel.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_DAG = "signalwire_video_rooms"
DATASPHERE_DAG = "signalwire_datasphere_sync"


EXAMPLE_DAGS_PACKAGE = "airflow_provider_signalwire.example_dags"
# Printed on a line of its own by the XCom reader, followed by the return values as JSON.
_XCOM_MARKER = "SIGNALWIRE_DEMO_XCOMS="


def default_dags_folder() -> Path | None:
    """The folder of the example DAGs shipped with the package (``dags_examples/`` in a checkout)."""
    try:
        spec = importlib.util.find_spec(EXAMPLE_DAGS_PACKAGE)
    except ImportError:
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


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
        if "room_name" in value:  # CreateVideoRoomTokenOperator without return_token: the settings only
            room = value["room_name"]
            return f"room token for {room!r} minted; not in XCom (return_token=True puts it there)"
        if "deleted" in value and "id" in value:  # the delete operators; by id, the name is not known
            what = f"{value['name']!r} (id {value['id']})" if value.get("name") else f"id {value['id']}"
            return f"deleted {what}" if value["deleted"] else f"{what} was already gone"
        if "name" in value and "id" in value:
            return f"room {value['name']!r} (id {value['id']})"
    return json.dumps(value)[:80]


def return_values(dag_id: str) -> dict[str, Any]:
    """
    The ``return_value`` XComs of the latest run of ``dag_id``, by task id, in the order they were pushed.

    Runs inside Airflow (the demo's ``AIRFLOW_HOME``) and uses Airflow's XCom API rather than SQL on its
    tables, whose schema changes between versions: ``XComModel.get_many`` (a select) on Airflow 3,
    ``XCom.get_many`` (a query) on 2.x.
    """
    from airflow.models import xcom as xcom_module
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    airflow3 = hasattr(xcom_module, "XComModel")
    xcom: Any = xcom_module.XComModel if airflow3 else xcom_module.XCom
    with create_session() as session:
        latest = select(DagRun.run_id).where(DagRun.dag_id == dag_id).order_by(DagRun.id.desc()).limit(1)
        run_id = session.scalar(latest)
        if run_id is None:
            return {}
        wanted = {"run_id": run_id, "dag_ids": dag_id, "key": "return_value"}
        if airflow3:
            rows = list(session.scalars(xcom.get_many(**wanted)))
        else:
            rows = list(xcom.get_many(session=session, **wanted))
        rows.sort(key=lambda row: row.timestamp)
        # Airflow 2 decodes ORM rows on load (BaseXCom.init_on_load); Airflow 3 leaves that to the caller.
        return {row.task_id: xcom.deserialize_value(row) if airflow3 else row.value for row in rows}


def _print_return_values(dag_id: str) -> None:
    """Entry point of the reader subprocess: one marked line of JSON on stdout."""
    print(_XCOM_MARKER + json.dumps(return_values(dag_id), default=str), flush=True)


def _read_return_values(python: list[str], env: dict[str, str], dag_id: str, log: Any) -> dict[str, Any]:
    code = f"from {__name__} import _print_return_values; _print_return_values({dag_id!r})"
    result = subprocess.run([*python, "-c", code], env=env, capture_output=True, text=True)
    log.write(result.stdout + result.stderr)
    for line in result.stdout.splitlines():
        if line.startswith(_XCOM_MARKER):
            values: dict[str, Any] = json.loads(line[len(_XCOM_MARKER) :])
            return values
    return {}


def _next_steps(dag_id: str, dags_folder: Path) -> str:
    dag_file = dags_folder / f"{dag_id}.py"
    return f"""
Next:
  - Your own DAG on the fake space: `python -m airflow_provider_signalwire.testing serve --seed demo`
    prints `export AIRFLOW_CONN_SIGNALWIRE_DEFAULT=...` and `export AIRFLOW__CORE__TEST_CONNECTION=Enabled`
    lines; paste them into another shell and run there `airflow db migrate` (once, for a fresh
    AIRFLOW_HOME), `airflow connections test signalwire_default` and `airflow dags test <your_dag_id>`.
  - A real space: copy {dag_file} into your DAGs folder, then
      export AIRFLOW_CONN_SIGNALWIRE_DEFAULT='signalwire://PROJECT_ID:API_TOKEN@example.signalwire.com'
      export AIRFLOW__CORE__TEST_CONNECTION=Enabled   # Airflow disables connection tests by default
      airflow connections test signalwire_default
      airflow dags test {dag_id}
  - The provider's own checks, in a source checkout: make test"""


def run_demo(dag_id: str = DEFAULT_DAG, dags_folder: Path | None = None, verbose: bool = False) -> int:
    from airflow_provider_signalwire.testing.space import FakeSignalWireSpace

    started = time.monotonic()
    dags_folder = dags_folder or default_dags_folder()
    if dags_folder is None or not dags_folder.is_dir():
        where = dags_folder or f"package {EXAMPLE_DAGS_PACKAGE}"
        print(f"No example DAGs at {where}: pass --dags-folder.", file=sys.stderr)
        return 2
    with (
        tempfile.TemporaryDirectory(prefix="signalwire-demo-") as home,
        FakeSignalWireSpace(seed="demo") as space,
        contextlib.ExitStack() as stack,
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
        if dag_id == DATASPHERE_DAG:
            env.update(_datasphere_files(Path(home), stack))
        airflow = _airflow_command()
        log_path = Path(home) / "airflow-output.log"
        with log_path.open("w") as log:
            print("Preparing a throwaway Airflow home (SQLite) ...", flush=True)
            migrate = subprocess.run(
                [*airflow, "db", "migrate"], env=env, stdout=log, stderr=subprocess.STDOUT
            )
            results: dict[str, Any] = {}
            tested = False
            if migrate.returncode == 0:
                print(f"Running: airflow dags test {dag_id}", flush=True)
                test = subprocess.run(
                    [*airflow, "dags", "test", dag_id], env=env, stdout=log, stderr=subprocess.STDOUT
                )
                tested = test.returncode == 0
                log.flush()
                results = _read_return_values([sys.executable], env, dag_id, log)
        output = log_path.read_text(errors="replace")
        ok = tested and "state=success" in output
        if verbose or not ok:
            print(output[-6000:])
        print("What the DAG asked of SignalWire:")
        for request in space.requests:
            print(f"  {request.method:<6} {request.path:<55} -> {request.status}")
        if results:
            print("What the tasks returned (XCom):")
            for task_id, value in results.items():
                print(f"  {task_id:<16} {_summarise(value)}")
        elif tested:
            print("What the tasks returned: could not be read (--verbose shows why).")
        left = [room["name"] for room in space.state.rooms.values()]
        demo_room_gone = not any(name.startswith("airflow-demo") for name in left)
        print(f"Rooms left in the space: {len(left)}; the DAG's room was cleaned up: {demo_room_gone}.")
        elapsed = time.monotonic() - started
        print(f"DAG run {dag_id}: {'success' if ok else 'FAILED'} in {elapsed:.1f} s.")
        if ok:
            print(_next_steps(dag_id, dags_folder))
        return 0 if ok else 1


def _datasphere_files(home: Path, stack: contextlib.ExitStack) -> dict[str, str]:
    """For ``signalwire_datasphere_sync``: a folder of sample documents, served on 127.0.0.1 (where the
    fake space fetches them) until the demo ends; the DAG finds both through these variables."""
    from airflow_provider_signalwire.testing.datasphere.samples import write_samples
    from airflow_provider_signalwire.testing.files import LocalFileHost

    folder = home / "knowledge-base"
    write_samples(folder)
    host = stack.enter_context(LocalFileHost(folder))
    return {
        "SIGNALWIRE_DATASPHERE_SOURCE": f"file://{folder}/",
        "SIGNALWIRE_DATASPHERE_FILE_HOST": host.base_url,
    }
