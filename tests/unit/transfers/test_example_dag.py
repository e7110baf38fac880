"""dags_examples/signalwire_nightly_logs.py by ``dag.test()`` on the fake space: three nights in a row
(as catchup runs them) hold every record exactly once in files named by ``{{ ds }}``, and a run without
a logical date exports the day before it was due, into that day's folder.  Asset events: the alias
outlet takes an asset per file (the runs would fail otherwise).

dags_examples/signalwire_incremental_logs.py (Airflow 3.3): two runs in one Airflow home, the second
starting at the watermark the first stored; signalwire_logs_downstream.py's check on those files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

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
    env = _airflow_home(tmp_path, signalwire_space, DAG_FILE.parent)
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


# ------------------------------------------------------------------ incremental export and downstream

INCREMENTAL = REPO / "dags_examples" / "signalwire_incremental_logs.py"
DOWNSTREAM = REPO / "dags_examples" / "signalwire_logs_downstream.py"
ONE_RUN = textwrap.dedent(
    """
    import importlib.util, json, sys

    spec = importlib.util.spec_from_file_location("incremental", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    run = module.incremental_logs.test(logical_date=None)
    print("RESULT " + json.dumps([str(run.state), [str(t.state) for t in run.get_task_instances()]]))
    """
)


def _airflow_3_3() -> bool:
    from airflow_provider_signalwire.transfers.logs import _airflow_version

    return _airflow_version() >= (3, 3)


def _load(path: Path) -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not _airflow_3_3(), reason="incremental exports need Airflow 3.3")
def test_incremental_example_continues_where_the_last_run_ended(signalwire_space, tmp_path):
    """Two runs of signalwire_incremental_logs by dag.test() in one Airflow home: the second starts at
    the watermark the first stored; every record lands once; the downstream check accepts both files."""
    now = datetime.now(timezone.utc)
    yesterday = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    seeded = signalwire_space.seed_logs("voice", 12, yesterday, now - timedelta(minutes=10))
    env = _airflow_home(tmp_path, signalwire_space, INCREMENTAL.parent)
    runner = tmp_path / "runner.py"
    runner.write_text(ONE_RUN)
    folder = tmp_path / "exports" / "incremental" / "voice"

    def run_once() -> None:
        out = subprocess.run(
            [sys.executable, str(runner), str(INCREMENTAL)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )
        lines = [x for x in out.stdout.splitlines() if x.startswith("RESULT ")]
        assert out.returncode == 0 and lines, out.stdout[-4000:] + out.stderr[-4000:]
        state, tasks = json.loads(lines[-1][len("RESULT ") :])
        assert "success" in state and all("success" in t for t in tasks), out.stdout[-4000:]

    run_once()
    (first,) = sorted(folder.iterdir())
    first_start, first_end = first.stem.split("_")
    assert first_start == yesterday.strftime("%Y%m%dT%H%M%SZ")
    # A record exactly at the watermark (it reached the listing late): the next window starts there.
    end = datetime.strptime(first_end, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    on_the_watermark = signalwire_space.backends["logs"].add("voice", end).render()
    run_once()
    first_again, second = sorted(folder.iterdir())
    assert first_again == first and second.stem.split("_")[0] == first_end
    records = {f: [json.loads(x) for x in f.read_text().splitlines()] for f in (first, second)}
    assert [r["id"] for r in records[second]] == [on_the_watermark["id"]]
    assert sorted(r["id"] for r in records[first]) == sorted(r["id"] for r in seeded)

    # The downstream DAG's check, on what the events announced: passes, and catches a tampered file.
    downstream = _load(DOWNSTREAM)
    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

    hook = SignalWireHook()
    windows = {
        path: "/".join(
            datetime.strptime(b, "%Y%m%dT%H%M%SZ").strftime("%Y-%m-%dT%H:%M:%SZ")
            for b in path.stem.split("_")
        )
        for path in (first, second)
    }
    for path, window in windows.items():
        checked = downstream.check_export(hook, f"file://{path}", len(records[path]), window)
        assert checked["records"] == len(records[path])
    with pytest.raises(ValueError, match="announced 99"):
        downstream.check_export(hook, f"file://{first}", 99, windows[first])
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text(first.read_text().replace(seeded[0]["created_at"], "2020-01-01T00:00:00Z"))
    with pytest.raises(ValueError, match="outside"):
        downstream.check_export(
            hook,
            f"file://{tampered}",
            len(seeded),
            f"{yesterday:%Y-%m-%dT%H:%M:%SZ}/{now:%Y-%m-%dT%H:%M:%SZ}",
        )


def test_downstream_reads_the_files_its_triggering_events_announced():
    from types import SimpleNamespace

    downstream = _load(DOWNSTREAM)
    event = lambda path, window: SimpleNamespace(extra={"path": path, "records": 1, "window": window})  # noqa: E731
    context = {
        "triggering_asset_events": {
            "signalwire-voice-logs": [event("file:///b", "2026-11-02T00:00:00Z/2026-11-03T00:00:00Z")],
            "other": [
                event("file:///a", "2026-11-01T00:00:00Z/2026-11-02T00:00:00Z"),
                SimpleNamespace(extra={}),
            ],
        }
    }
    assert [f["path"] for f in downstream.announced_files(context)] == ["file:///a", "file:///b"]
    assert downstream.announced_files({}) == []


def _airflow_home(tmp_path: Path, signalwire_space: Any, dags_folder: Path) -> dict[str, str]:
    """A migrated throwaway AIRFLOW_HOME under ``tmp_path`` (no ambient AIRFLOW_* settings), the fake
    space as ``signalwire_default`` and exports under ``tmp_path/exports``: the environment to run in."""
    home = tmp_path / "home"
    (home / "dags").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(dags_folder),
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
    return env
