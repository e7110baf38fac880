"""A ``schedule=None`` DAG on the fake space, run as ``airflow dags test`` runs it (a logical date of now,
so a data interval of zero width) and, on Airflow 3, without a logical date (no data interval):
``ListCallsOperator`` lists the call made a minute earlier and the one the same run just made, and the
log export exports the UTC day before the run instead of failing."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

DAG_FILE = textwrap.dedent(
    """
    import json
    import os
    from datetime import datetime
    from pathlib import Path

    from airflow.providers.common.compat.sdk import DAG, task

    from airflow_provider_signalwire.operators.voice import ListCallsOperator, MakeCallOperator
    from airflow_provider_signalwire.transfers.logs import SignalWireLogsToStorageOperator

    with DAG("signalwire_windows", schedule=None, start_date=datetime(2026, 1, 1), catchup=False) as dag:
        made = MakeCallOperator(
            task_id="call",
            to="+12025550131",
            from_="+12025550150",
            twiml="<Response><Say>Hi</Say></Response>",
        )
        listed = ListCallsOperator(task_id="list_calls")
        exported = SignalWireLogsToStorageOperator(
            task_id="export",
            log_type="compat_calls",
            destination=os.environ["WINDOWS_EXPORTS"] + "/{{ run_id | replace(':', '_') }}.jsonl",
        )

        @task
        def record(made, listed, exported, run_id=None):
            out = Path(os.environ["WINDOWS_RESULTS"]) / (run_id.replace(":", "_") + ".json")
            out.write_text(json.dumps({"made": made["sid"], "listed": [c["sid"] for c in listed],
                                       "window": exported["window"]}))

        made >> listed
        record(made.output, listed.output, exported.output)
    """
)

RUNNER = textwrap.dedent(
    """
    import importlib.util, inspect, json, sys
    from datetime import datetime, timezone

    spec = importlib.util.spec_from_file_location("windows_dag", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = module.dag
    takes_logical_date = "logical_date" in inspect.signature(dag.test).parameters
    runs = []
    # `airflow dags test` passes a logical date of now (cli/commands/dag_command.py), so schedule=None
    # gives the run an interval of zero width; Airflow 3 also runs without a logical date (no interval).
    modes = ["now", "none"] if takes_logical_date else ["now"]
    for mode in modes:
        when = datetime.now(timezone.utc) if mode == "now" else None
        kwargs = {"logical_date": when} if takes_logical_date else {"execution_date": when}
        run = dag.test(**kwargs)
        tasks = {t.task_id: str(getattr(t.state, "value", t.state)) for t in run.get_task_instances()}
        runs.append({"mode": mode, "run_id": run.run_id, "tasks": tasks,
                     "data_interval": [str(run.data_interval_start), str(run.data_interval_end)],
                     "state": str(getattr(run.state, "value", run.state))})
    print("RUNS " + json.dumps(runs), flush=True)
    """
)


def _env(tmp_path: Path, space: Any) -> dict[str, str]:
    home = tmp_path / "home"
    (home / "dags").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(home / "dags"),
        AIRFLOW_CONN_SIGNALWIRE_DEFAULT=space.airflow_conn_json(),
        WINDOWS_EXPORTS=f"file://{tmp_path}/exports",
        WINDOWS_RESULTS=str(tmp_path / "results"),
        PYTHONPATH=os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]),
    )
    migrate = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]
    return env


def test_a_schedule_none_run_lists_the_call_made_a_minute_earlier(signalwire_space, tmp_path):
    now = datetime.now(timezone.utc)
    (earlier,) = signalwire_space.seed_calls(1, now - timedelta(minutes=1), now - timedelta(seconds=59))
    yesterday = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    (of_yesterday,) = signalwire_space.seed_calls(
        1, yesterday + timedelta(hours=12), yesterday + timedelta(hours=13)
    )
    env = _env(tmp_path, signalwire_space)
    (tmp_path / "results").mkdir()
    dag_file = Path(env["AIRFLOW__CORE__DAGS_FOLDER"]) / "signalwire_windows.py"
    dag_file.write_text(DAG_FILE)
    runner = tmp_path / "runner.py"
    runner.write_text(RUNNER)
    out = subprocess.run(
        [sys.executable, str(runner), str(dag_file)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    lines = [x for x in out.stdout.splitlines() if x.startswith("RUNS ")]
    assert out.returncode == 0 and lines, out.stdout[-4000:] + out.stderr[-4000:]
    runs = json.loads(lines[-1][len("RUNS ") :])
    for run in runs:
        assert run["state"] == "success" and set(run["tasks"].values()) == {"success"}, (
            run,
            out.stdout[-6000:],
        )
        if run["mode"] == "now":
            start, end = run["data_interval"]
            assert start == end, run  # what `airflow dags test` gives a schedule=None DAG
        result = json.loads((tmp_path / "results" / (run["run_id"].replace(":", "_") + ".json")).read_text())
        # Not silently empty: the call made a minute before, and the one this very run made.
        assert {earlier["sid"], result["made"]} <= set(result["listed"]), result
        # The export covers the UTC day before the run (not the empty point, not refused).
        assert result["window"] == [
            f"{yesterday:%Y-%m-%dT%H:%M:%SZ}",
            f"{yesterday + timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}",
        ]
        exported = tmp_path / "exports" / (run["run_id"].replace(":", "_") + ".jsonl")
        assert [json.loads(x)["sid"] for x in exported.read_text().splitlines()] == [of_yesterday["sid"]]
    # The window is logged, with where it came from, in the words of this DAG (schedule=None).
    empty = (
        r"this run's data interval is empty \(\S+ to itself\), as in every run of a DAG with schedule=None"
    )
    assert re.search(
        r"Listed 3 calls of \[any time, now\) from no data interval: no date filter; " + empty, out.stdout
    )
    assert re.search(
        r"Export window: \[\S+, \S+\) from no data interval: "
        r"the UTC day before the run's logical date \(\S+\); " + empty,
        out.stdout,
    )
