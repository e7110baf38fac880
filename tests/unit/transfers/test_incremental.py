"""Incremental log exports (Airflow 3.3): the window starts at the watermark in the Asset outlet's state
store and ends at now minus ``settle``; the watermark moves only once the file is in place."""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.transfers import logs
from airflow_provider_signalwire.transfers.logs import SignalWireLogsToStorageOperator, window_stamp

UTC = timezone.utc
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
KEY = "signalwire.logs.voice"
DEST = "{window_start}_{window_end}.jsonl"
AIRFLOW_3_3 = logs._airflow_version() >= (3, 3)
needs_3_3 = pytest.mark.skipif(not AIRFLOW_3_3, reason="incremental exports need Airflow 3.3")


def asset() -> Any:
    from airflow.providers.common.compat.sdk import Asset

    return Asset("signalwire-voice-logs")


class Store:
    """An asset's state store as a task sees it (``get`` / ``set`` of JSON values)."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.writes: list[Any] = []
        self.fail_on_write: int | None = None

    def get(self, key: str, default: Any = None) -> Any:
        return copy.deepcopy(self.data.get(key, default))

    def set(self, key: str, value: Any) -> None:
        if self.fail_on_write is not None and len(self.writes) + 1 == self.fail_on_write:
            self.fail_on_write = None
            raise RuntimeError("the API server is gone")
        self.writes.append(json.loads(json.dumps(value)))
        self.data[key] = json.loads(json.dumps(value))


class Run:
    """One incremental export task across runs: the same store, a clock the test moves."""

    def __init__(self, folder: Path, **kwargs: Any) -> None:
        self.folder = folder
        self.store = Store()
        self.now = NOW
        self.asset = asset()
        self.kwargs = {"created_after": "2026-11-01", **kwargs}
        self.events: Any = None

    def operator(self) -> SignalWireLogsToStorageOperator:
        kwargs = {"log_type": "voice", "destination": f"{self.folder}/{DEST}", "outlets": [self.asset]}
        op = SignalWireLogsToStorageOperator(task_id="export", incremental=True, **{**kwargs, **self.kwargs})
        op.hook._sleep = lambda _s: None
        op._now = lambda: self.now  # type: ignore[method-assign]
        return op

    def context(self) -> dict[str, Any]:
        self.events = defaultdict(lambda: SimpleNamespace(extra={}, add=lambda *a, **k: None))
        return {
            "asset_state_store": {self.asset: self.store},
            "outlet_events": self.events,
            "dag_run": SimpleNamespace(run_after=self.now),
        }

    def __call__(self, op: SignalWireLogsToStorageOperator | None = None) -> dict[str, Any]:
        return (op or self.operator()).execute(self.context())

    @property
    def watermark(self) -> str | None:
        return (self.store.data.get(KEY) or {}).get("watermark")


def ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@needs_3_3
def test_second_run_starts_at_the_watermark_and_holds_each_record_once(signalwire_space, tmp_path):
    seeded = signalwire_space.seed_logs("voice", 48, datetime(2026, 11, 1, tzinfo=UTC), NOW)  # every 45 min
    recent = signalwire_space.backends["logs"].add("voice", NOW - timedelta(minutes=3)).render()
    on_the_watermark = signalwire_space.backends["logs"].add("voice", NOW - timedelta(minutes=5)).render()
    seeded += [recent, on_the_watermark]
    run = Run(tmp_path)
    first = run()
    assert first["window"] == ["2026-11-01T00:00:00Z", "2026-11-02T11:55:00Z"]
    assert run.watermark == "2026-11-02T11:55:00Z"
    assert first["path"] == f"file://{tmp_path}/20261101T000000Z_20261102T115500Z.jsonl"
    run.now = NOW + timedelta(minutes=15)
    second = run()
    assert second["window"] == ["2026-11-02T11:55:00Z", "2026-11-02T12:10:00Z"]
    assert run.watermark == "2026-11-02T12:10:00Z"
    assert files(tmp_path) == [
        "20261101T000000Z_20261102T115500Z.jsonl",
        "20261102T115500Z_20261102T121000Z.jsonl",
    ]
    exported = [i for name in files(tmp_path) for i in ids(tmp_path / name)]
    assert sorted(exported) == sorted(r["id"] for r in seeded)  # each once
    assert (first["records"], second["records"]) == (48, 2)
    assert set(ids(tmp_path / files(tmp_path)[1])) == {recent["id"], on_the_watermark["id"]}
    # The asset event says which file and window (downstream DAGs read the file from it).
    assert run.events[run.asset].extra == {
        "records": 2,
        "window": "2026-11-02T11:55:00Z/2026-11-02T12:10:00Z",
        "path": second["path"],
    }
    # The created_after given is only where the first run starts: the stored watermark wins.
    assert signalwire_space.requests[-1].query["created_after"] == "2026-11-02T11:54:00Z"


@needs_3_3
def test_settle_delay_leaves_recent_records_for_the_next_run(signalwire_space, tmp_path):
    late = signalwire_space.backends["logs"].add("voice", NOW - timedelta(minutes=7))
    run = Run(tmp_path, settle="600")  # a rendered template: seconds
    assert run()["records"] == 0
    assert run.watermark == "2026-11-02T11:50:00Z"
    run.now = NOW + timedelta(minutes=4)
    result = run()
    assert result["window"] == ["2026-11-02T11:50:00Z", "2026-11-02T11:54:00Z"]
    assert ids(Path(result["path"][len("file://") :])) == [late.id]


@needs_3_3
def test_first_run_without_created_after_starts_at_the_data_interval_or_when_due(signalwire_space, tmp_path):
    run = Run(tmp_path, created_after=None)
    context = {**run.context(), "data_interval_start": NOW - timedelta(minutes=20)}
    assert run.operator().execute(context)["window"] == ["2026-11-02T11:40:00Z", "2026-11-02T11:55:00Z"]
    # No data interval (a run triggered without a logical date): from when the run was due on. The first
    # window is empty, so nothing is written or asked; the watermark records the start for the next run.
    from airflow.providers.common.compat.sdk import AirflowSkipException

    fresh = Run(tmp_path / "fresh", created_after=None)
    before = len(signalwire_space.requests)
    with pytest.raises(AirflowSkipException, match="Nothing to export yet"):
        fresh()
    assert len(signalwire_space.requests) == before
    assert fresh.watermark == "2026-11-02T12:00:00Z"
    assert not (tmp_path / "fresh").exists()
    fresh.now = NOW + timedelta(minutes=20)
    assert fresh()["window"] == ["2026-11-02T12:00:00Z", "2026-11-02T12:15:00Z"]


@needs_3_3
def test_a_failing_page_leaves_no_file_and_the_watermark_where_it_was(signalwire_space, tmp_path):
    seeded = signalwire_space.seed_logs("voice", 40, datetime(2026, 11, 2, tzinfo=UTC), NOW)
    run = Run(tmp_path, page_size=10)
    op = run.operator()
    signalwire_space.inject_fault("/api/voice/logs", "500", count=4)  # the first try and 3 retries
    with pytest.raises(SignalWireAPIError):
        run(op)
    assert files(tmp_path) == []
    assert run.watermark is None
    assert run.store.data[KEY] == {"pending": ["2026-11-01T00:00:00Z", "2026-11-02T11:55:00Z"]}
    # The retry, later: the same window (so the same file), then the watermark moves.
    assert [r.status for r in signalwire_space.requests] == [500] * 4
    run.now = NOW + timedelta(hours=1)
    result = run()
    assert result["window"] == ["2026-11-01T00:00:00Z", "2026-11-02T11:55:00Z"]
    assert sorted(ids(tmp_path / files(tmp_path)[0])) == sorted(
        r["id"] for r in seeded if r["created_at"] < "2026-11-02T11:55"
    )
    assert run.watermark == "2026-11-02T11:55:00Z" and KEY in run.store.data
    assert "pending" not in run.store.data[KEY]


@needs_3_3
def test_a_failing_write_leaves_no_file_and_the_watermark_where_it_was(signalwire_space, tmp_path):
    signalwire_space.seed_logs("voice", 5, datetime(2026, 11, 2, tzinfo=UTC), NOW)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the export's folder should be")
    run = Run(blocker, created_after="2026-11-02")
    with pytest.raises(OSError):
        run()
    assert run.watermark is None
    assert files(tmp_path) == ["not-a-folder"]


@needs_3_3
def test_a_watermark_lost_after_the_write_replaces_the_same_file(signalwire_space, tmp_path):
    seeded = signalwire_space.seed_logs("voice", 6, datetime(2026, 11, 2, tzinfo=UTC), NOW)
    run = Run(tmp_path, created_after="2026-11-02")
    run.store.fail_on_write = 2  # 1: the pending window, 2: the watermark after the file is written
    with pytest.raises(RuntimeError):
        run()
    assert run.watermark is None and len(files(tmp_path)) == 1
    run.now = NOW + timedelta(minutes=30)
    run()  # the retry: the same window into the same file, then the watermark
    assert files(tmp_path) == ["20261102T000000Z_20261102T115500Z.jsonl"]
    assert sorted(ids(tmp_path / files(tmp_path)[0])) == sorted(r["id"] for r in seeded)
    assert run.watermark == "2026-11-02T11:55:00Z"


@needs_3_3
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"outlets": []}, "has 0: pass outlets="),
        ({"outlets": "two"}, "has 2"),
        ({"created_before": "2026-11-02"}, "remove created_before"),
        ({"destination": "/data/voice.jsonl"}, "same file for every run"),
        ({"settle": -1}, "settle is -1"),
        ({"settle": "five minutes"}, "settle is 'five minutes'"),
        ({"incremental": "yes"}, "incremental is 'yes'"),
    ],
)
def test_bad_arguments_are_refused_when_the_dag_is_parsed(kwargs, message):
    from airflow.providers.common.compat.sdk import Asset

    if kwargs.get("outlets") == "two":
        kwargs["outlets"] = [Asset("a"), Asset("b")]
    args = {"log_type": "voice", "destination": f"/data/{DEST}", "outlets": [asset()], "incremental": True}
    with pytest.raises(SignalWireConfigError, match=message):
        SignalWireLogsToStorageOperator(task_id="t", **{**args, **kwargs})


@needs_3_3
def test_more_than_one_active_run_is_refused(signalwire_space, tmp_path):
    from airflow.providers.common.compat.sdk import DAG

    with (
        DAG("incremental_twice", schedule=None, start_date=NOW, max_active_runs=2),
        pytest.raises(SignalWireConfigError, match="set max_active_runs=1"),
    ):
        Run(tmp_path).operator()
    with DAG("incremental_once", schedule=None, start_date=NOW, max_active_runs=1):
        Run(tmp_path).operator()


@needs_3_3
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"settle": "{{ 'soon' }}"}, "settle is 'soon'"),
        ({"created_after": "{{ 'monday' }}"}, "created_after is 'monday'"),
        ({"destination": "{{ 'relative/{window_start}.jsonl' }}"}, "relative path"),
    ],
)
def test_bad_rendered_arguments_are_refused_before_any_request(signalwire_space, tmp_path, kwargs, message):
    run = Run(tmp_path, **kwargs)
    op = run.operator()
    for name in op.template_fields:
        value = getattr(op, name)
        if isinstance(value, str) and "{{" in value:
            setattr(op, name, value.split("'")[1])  # as Jinja would render it
    with pytest.raises(SignalWireConfigError, match=message):
        run(op)
    assert signalwire_space.requests == []
    assert run.store.writes == []


@needs_3_3
def test_a_templated_destination_is_judged_before_rendering(signalwire_space, tmp_path):
    # Unique per run through a template (ts_nodash here): accepted, and not refused once rendered.
    run = Run(tmp_path, destination=f"{tmp_path}/voice-{{{{ ts_nodash }}}}.jsonl")
    op = run.operator()
    op.destination = f"{tmp_path}/voice-20261102T120000.jsonl"  # as Jinja renders it
    assert run(op)["path"] == f"file://{tmp_path}/voice-20261102T120000.jsonl"


@needs_3_3
def test_no_state_store_in_the_context_is_refused(signalwire_space, tmp_path):
    run = Run(tmp_path)
    with pytest.raises(SignalWireConfigError, match="asset_state_store"):
        run.operator().execute({"dag_run": SimpleNamespace(run_after=NOW)})
    assert signalwire_space.requests == []


def test_airflow_before_3_3_is_refused_with_the_alternative(monkeypatch):
    if AIRFLOW_3_3:
        monkeypatch.setattr(logs, "_airflow_version", lambda: (2, 11))
    with pytest.raises(
        SignalWireConfigError, match=r"needs Airflow 3.3 or later .* CronDataIntervalTimetable"
    ):
        SignalWireLogsToStorageOperator(
            task_id="t", log_type="voice", destination=f"/d/{DEST}", outlets=[asset()], incremental=True
        )


def test_window_placeholders_work_in_any_export(signalwire_space, tmp_path):
    signalwire_space.seed_logs("voice", 3, datetime(2026, 11, 1, tzinfo=UTC), NOW)
    op = SignalWireLogsToStorageOperator(
        task_id="t",
        log_type="voice",
        destination=f"{tmp_path}/{DEST}",
        created_after="2026-11-01",
        created_before="2026-11-01T12:00:00.5Z",
    )
    result = op.execute({})
    assert result["path"] == f"file://{tmp_path}/20261101T000000Z_20261101T120000.500000Z.jsonl"
    assert window_stamp(NOW) == "20261102T120000Z"
