"""dags_examples/signalwire_nightly_logs.py by ``dag.test()`` on the fake space: three nights in a row
(as catchup runs them) hold every record exactly once in files named by ``{{ ds }}``, and a run without
a logical date exports the day before it was due, into that day's folder.  Asset events: the alias
outlet takes an asset per file (the runs would fail otherwise)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
DAG_FILE = REPO / "dags_examples" / "signalwire_nightly_logs.py"
FAMILIES = ("voice", "messaging", "fax", "video", "conferences")

RUNNER = textwrap.dedent(
    """
    import importlib.util, inspect, json, sys
    from datetime import datetime

    spec = importlib.util.spec_from_file_location("nightly", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = module.nightly_logs
    takes_logical_date = "logical_date" in inspect.signature(dag.test).parameters
    results = []
    for when in json.loads(sys.argv[2]):
        if when is None:
            if not takes_logical_date:
                continue  # Airflow 2: every run has a logical date
            kwargs = {"logical_date": None}
        else:
            when = datetime.fromisoformat(when)
            kwargs = {"logical_date": when} if takes_logical_date else {"execution_date": when}
        run = dag.test(**kwargs)
        results.append([str(getattr(run.state, "value", run.state)),
                        sorted(str(getattr(t.state, "value", t.state)) for t in run.get_task_instances())])
    print("RESULTS " + json.dumps(results), flush=True)
    """
)


def test_nightly_example_exports_each_day_exactly_once(signalwire_space, tmp_path):
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    days = [today - timedelta(days=k) for k in (3, 2, 1)]
    seeded = {f: signalwire_space.seed_logs(f, 9, days[0], today) for f in FAMILIES}  # 8-hour steps
    home = tmp_path / "home"
    (home / "dags").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(DAG_FILE.parent),
        AIRFLOW_CONN_SIGNALWIRE_DEFAULT=signalwire_space.airflow_conn_json(),
        AIRFLOW_VAR_SIGNALWIRE_EXPORTS=f"file://{tmp_path}/exports",
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
    runner = tmp_path / "runner.py"
    runner.write_text(RUNNER)
    # A manual run with logical date D exports the interval that ends at D (CronDataIntervalTimetable).
    whens = [(d + timedelta(days=1)).isoformat() for d in days] + [None]
    result = subprocess.run(
        [sys.executable, str(runner), str(DAG_FILE), json.dumps(whens)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    lines = [x for x in result.stdout.splitlines() if x.startswith("RESULTS ")]
    assert result.returncode == 0 and lines, result.stdout[-4000:] + result.stderr[-4000:]
    for state, tasks in json.loads(lines[-1][len("RESULTS ") :]):
        assert state == "success" and set(tasks) == {"success"}, result.stdout[-4000:]

    exports = tmp_path / "exports"
    for family in FAMILIES:
        ids: list[str] = []
        for day in days:
            path = exports / day.strftime("%Y-%m-%d") / f"{family}.jsonl"
            records = [json.loads(x) for x in path.read_text().splitlines()]
            assert len(records) == 3, (path, records)
            ids += [r["id"] for r in records]
        assert sorted(ids) == sorted(r["id"] for r in seeded[family])
    assert sorted(p.name for p in exports.iterdir()) == [d.strftime("%Y-%m-%d") for d in days]
    assert not [p for p in exports.rglob("*") if p.name.endswith(".tmp")]
