"""SignalWireLogsToStorageOperator on the offline fake space: windows, formats, atomic writes, parallelism."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.transfers.log_families import LOG_FAMILIES
from airflow_provider_signalwire.transfers.logs import SignalWireLogsToStorageOperator

UTC = timezone.utc
DAY0 = datetime(2026, 11, 1, tzinfo=UTC)
DAY = timedelta(days=1)
REPO = Path(__file__).resolve().parents[3]


def interval(start: datetime, end: datetime) -> dict[str, Any]:
    return {"data_interval_start": start, "data_interval_end": end}


def export(dest: Path | str, context: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("log_type", "voice")
    op = SignalWireLogsToStorageOperator(task_id="export", destination=str(dest), **kwargs)
    op.hook._sleep = lambda _s: None  # retries without waiting
    return op.execute(context if context is not None else interval(DAY0, DAY0 + DAY))


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def fail_on_request(op_or_hook: Any, space: Any, number: int, kind: str = "500", count: int = 1) -> None:
    """Inject ``count`` faults into the space just before the hook sends its ``number``-th request."""
    hook = op_or_hook
    send = hook._send
    calls = {"n": 0}

    def _send(method: str, url: str, **kw: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == number:
            space.inject_fault("/api/voice/logs", kind, count=count)
        return send(method, url, **kw)

    hook._send = _send


# ------------------------------------------------------------------------------------------ windows


def test_consecutive_intervals_hold_every_record_exactly_once(signalwire_space, tmp_path):
    # One record every 3 hours from DAY0 00:00: records sit exactly on each midnight boundary.
    seeded = signalwire_space.seed_logs("voice", 24, DAY0, DAY0 + 3 * DAY)
    late = signalwire_space.seed_logs("voice", 1, DAY0 + 3 * DAY, DAY0 + 3 * DAY + timedelta(hours=1))
    early = signalwire_space.seed_logs("voice", 1, DAY0 - timedelta(seconds=1), DAY0)
    seen: list[str] = []
    for k in range(3):
        start = DAY0 + k * DAY
        out = tmp_path / f"day{k}.jsonl"
        result = export(out, interval(start, start + DAY), page_size=5)
        rows = lines(out)
        assert result["records"] == len(rows) == 8
        assert all(
            start <= datetime.fromisoformat(r["created_at"].replace("Z", "+00:00")) < start + DAY
            for r in rows
        )
        # The record exactly at this interval's start is here, not in the previous file.
        assert (start.strftime("%Y-%m-%dT%H:%M:%SZ")) in {r["created_at"] for r in rows}
        seen += [r["id"] for r in rows]
    assert sorted(seen) == sorted(r["id"] for r in seeded)
    assert late[0]["id"] not in seen and early[0]["id"] not in seen


def test_the_api_is_asked_a_wider_window(signalwire_space, tmp_path):
    export(tmp_path / "v.jsonl")
    (request,) = signalwire_space.requests
    assert request.query["created_after"] == "2026-10-31T23:59:00Z"
    assert request.query["created_before"] == "2026-11-02T00:01:00Z"


def test_explicit_window_overrides_the_data_interval(signalwire_space, tmp_path):
    signalwire_space.seed_logs("fax", 10, DAY0, DAY0 + DAY)
    result = export(
        tmp_path / "f.jsonl",
        interval(DAY0 + 5 * DAY, DAY0 + 6 * DAY),
        log_type="fax",
        created_after="2026-11-01T12:00:00Z",
        created_before="2026-11-02",
    )
    assert result["window"] == ["2026-11-01T12:00:00Z", "2026-11-02T00:00:00Z"]
    assert result["records"] == 5


def test_no_data_interval_exports_the_utc_day_before_the_run_was_due(signalwire_space, tmp_path):
    signalwire_space.seed_logs("video", 4, DAY0, DAY0 + DAY)
    signalwire_space.seed_logs("video", 3, DAY0 + DAY, DAY0 + 2 * DAY)
    run = SimpleNamespace(run_after=DAY0 + DAY + timedelta(hours=5, minutes=3))
    result = export(tmp_path / "v.jsonl", {"dag_run": run}, log_type="video")
    assert result["window"] == ["2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"]
    assert result["records"] == 4


def test_zero_width_data_interval_is_no_interval(signalwire_space, tmp_path):
    """A single-point run (schedule=None, `airflow dags test`): the day before it, like no interval
    (tests/unit/operators/test_windows.py has the table across every windowed operator)."""
    signalwire_space.seed_logs("voice", 4, DAY0 - DAY, DAY0)
    run = SimpleNamespace(run_after=DAY0 + timedelta(hours=5))
    point = {**interval(DAY0 + timedelta(hours=5), DAY0 + timedelta(hours=5)), "dag_run": run}
    result = export(tmp_path / "v.jsonl", point)
    assert result["window"] == ["2026-10-31T00:00:00Z", "2026-11-01T00:00:00Z"]
    assert result["records"] == 4
    assert export(tmp_path / "w.jsonl", {"dag_run": run})["window"] == result["window"]


def test_empty_interval_writes_an_empty_file(signalwire_space, tmp_path):
    signalwire_space.seed_logs("messaging", 5, DAY0 + 3 * DAY, DAY0 + 4 * DAY)
    result = export(tmp_path / "m.jsonl", log_type="messaging")
    assert (tmp_path / "m.jsonl").read_bytes() == b""
    assert result == {
        "path": f"file://{tmp_path}/m.jsonl",
        "records": 0,
        "pages": 1,
        "bytes": 0,
        "window": ["2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"],
    }
    export(tmp_path / "m.csv", log_type="messaging", format="csv")
    header = (tmp_path / "m.csv").read_text().splitlines()
    assert header == [",".join([*LOG_FAMILIES["messaging"].columns, "_other"])]


# ------------------------------------------------------------------------------------------ formats


def test_jsonl_round_trip_matches_the_api(signalwire_space, tmp_path):
    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

    signalwire_space.seed_logs("conferences", 30, DAY0, DAY0 + DAY)
    result = export(tmp_path / "c.jsonl", log_type="conferences", page_size=7)
    listed = list(SignalWireHook().paginate("/api/logs/conferences"))
    assert lines(tmp_path / "c.jsonl") == listed
    assert result["pages"] == 5 and result["records"] == 30
    assert result["bytes"] == (tmp_path / "c.jsonl").stat().st_size


def test_csv_round_trip_stable_columns_nested_as_json(signalwire_space, tmp_path):
    logs = signalwire_space.backends["logs"]
    logs.add("voice", DAY0 + timedelta(hours=1), surprise={"a": [1, 2]}, parent_id=None)
    logs.add("voice", DAY0 + timedelta(hours=2), status='with "quotes", commas\nand a newline')
    export(tmp_path / "v.csv", format="csv")
    text = (tmp_path / "v.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    columns = [*LOG_FAMILIES["voice"].columns, "_other"]
    assert text.splitlines()[0] == ",".join(columns)
    assert [list(r) for r in rows] == [columns, columns]
    newest, oldest = rows
    assert newest["status"] == 'with "quotes", commas\nand a newline'
    assert json.loads(oldest["charge_details"]) == [{"charge": 0.0035, "description": "Outbound call"}]
    assert oldest["parent_id"] == "" and oldest["url"] == ""
    assert json.loads(oldest["_other"]) == {"surprise": {"a": [1, 2]}}
    assert newest["_other"] == ""
    assert oldest["charge"] == "0.0035" and oldest["duration"] == "42"


@pytest.mark.parametrize(
    ("log_type", "seed"), [("compat_messages", "seed_messages"), ("compat_calls", "seed_calls")]
)
def test_compatibility_lists_with_their_date_filters(signalwire_space, tmp_path, log_type, seed):
    getattr(signalwire_space, seed)(12, DAY0 - DAY, DAY0 + 2 * DAY)  # one every 6 hours
    result = export(tmp_path / "x.csv", log_type=log_type, format="csv", page_size=5)
    assert result["records"] == 4
    name = "DateSent" if log_type == "compat_messages" else "StartTime"
    first = signalwire_space.requests[0]
    assert first.query[f"{name}>"] == "2026-10-31" and first.query[f"{name}<"] == "2026-11-03"
    rows = list(csv.DictReader(io.StringIO((tmp_path / "x.csv").read_text())))
    assert len(rows) == 4 and all(r["account_sid"] == signalwire_space.project_id for r in rows)


# ------------------------------------------------------------------------------------ atomic writes


def test_a_page_failing_for_good_leaves_nothing_and_a_rerun_replaces(signalwire_space, tmp_path, monkeypatch):
    signalwire_space.seed_logs("voice", 40, DAY0, DAY0 + DAY)
    out = tmp_path / "deep" / "v.jsonl"
    op = SignalWireLogsToStorageOperator(task_id="t", log_type="voice", destination=str(out), page_size=10)
    op.hook._sleep = lambda _s: None
    fail_on_request(op.hook, signalwire_space, number=3, count=10)  # page 3 fails on every retry
    with pytest.raises(SignalWireAPIError):
        op.execute(interval(DAY0, DAY0 + DAY))
    assert not out.exists()
    assert leftovers(out.parent) == []
    # A stale file from an earlier run is replaced, not appended to.
    out.write_text("stale\n")
    signalwire_space.reset()
    signalwire_space.seed_logs("voice", 40, DAY0, DAY0 + DAY)
    result = export(out, page_size=10)
    assert result["records"] == 40 and len(lines(out)) == 40
    assert leftovers(out.parent) == []


def test_a_retried_page_adds_no_duplicates(signalwire_space, tmp_path):
    signalwire_space.seed_logs("voice", 40, DAY0, DAY0 + DAY)
    op = SignalWireLogsToStorageOperator(
        task_id="t", log_type="voice", destination=f"{tmp_path}/v.jsonl", page_size=10
    )
    op.hook._sleep = lambda _s: None
    fail_on_request(op.hook, signalwire_space, number=2, kind="503", count=1)
    result = op.execute(interval(DAY0, DAY0 + DAY))
    ids = [r["id"] for r in lines(tmp_path / "v.jsonl")]
    assert result["records"] == len(ids) == len(set(ids)) == 40
    assert [r.status for r in signalwire_space.requests].count(503) == 1


def test_works_on_other_filesystems(signalwire_space):
    """An object store (fsspec's memory filesystem, attached as Airflow attaches provider filesystems)."""
    from airflow.providers.common.compat.sdk import ObjectStoragePath
    from fsspec.implementations.memory import MemoryFileSystem

    try:
        from airflow.sdk.io.store import attach
    except ImportError:  # Airflow 2
        from airflow.io.store import attach  # type: ignore[no-redef]

    attach("memory", fs=MemoryFileSystem())
    signalwire_space.seed_logs("voice", 3, DAY0, DAY0 + DAY)
    result = export("memory://exports/2026-11-01/voice.jsonl")
    path = ObjectStoragePath("memory://exports/2026-11-01/voice.jsonl")
    assert len(path.read_bytes().splitlines()) == result["records"] == 3
    assert [p.name for p in path.parent.iterdir()] == ["voice.jsonl"]


# ------------------------------------------------------------------------------------ parallel windows


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_parallel_windows_write_the_sequential_bytes(signalwire_space, tmp_path, fmt):
    # Records only in the first 5 hours, with some exactly on slice boundaries: most slices are empty.
    signalwire_space.seed_logs("voice", 300, DAY0, DAY0 + timedelta(hours=5))
    signalwire_space.seed_logs("voice", 3, DAY0 + timedelta(hours=3), DAY0 + timedelta(hours=3, seconds=3))
    sequential = export(tmp_path / f"seq.{fmt}", format=fmt, page_size=50)
    for n in (2, 6, 24):
        parallel = export(tmp_path / f"par{n}.{fmt}", format=fmt, page_size=50, parallel_windows=n)
        assert (tmp_path / f"par{n}.{fmt}").read_bytes() == (tmp_path / f"seq.{fmt}").read_bytes()
        assert parallel["records"] == sequential["records"] == 303
        assert parallel["bytes"] == sequential["bytes"]


def test_a_failing_window_fails_the_export_and_leaves_nothing(signalwire_space, tmp_path):
    signalwire_space.seed_logs("voice", 200, DAY0, DAY0 + DAY)
    op = SignalWireLogsToStorageOperator(
        task_id="t", log_type="voice", destination=f"{tmp_path}/v.jsonl", page_size=10, parallel_windows=4
    )
    op.hook._sleep = lambda _s: None
    fail_on_request(op.hook, signalwire_space, number=3, count=50)
    with pytest.raises(SignalWireAPIError):
        op.execute(interval(DAY0, DAY0 + DAY))
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------ refused inputs


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"log_type": "sms"}, "log_type is 'sms'"),
        ({"format": "parquet"}, "format is 'parquet'"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 1001}, "page_size"),
        ({"parallel_windows": 0}, "parallel_windows"),
        ({"parallel_windows": True}, "parallel_windows"),
        ({"destination": None}, "destination"),
    ],
)
def test_bad_arguments_are_refused_when_the_dag_is_parsed(kwargs, message):
    args = {"log_type": "voice", "destination": "file:///tmp/x.jsonl", **kwargs}
    with pytest.raises(SignalWireConfigError, match=message):
        SignalWireLogsToStorageOperator(task_id="t", **args)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"created_after": "2026-11-02", "created_before": "2026-11-01"}, "ends .* before it starts"),
        ({"created_after": "yesterday"}, "created_after is 'yesterday'"),
        ({"created_before": "2026-13-45"}, "created_before"),
        ({"destination": ""}, "destination"),
        ({"destination": "exports/voice.jsonl"}, "relative path"),
        ({"destination": "/data/exports/"}, "folder"),
        ({"destination": "https://example.com/voice.jsonl"}, "http"),
        ({"destination": "no such scheme://x/y"}, "scheme"),
        ({"destination": "nosuchfs://bucket/voice.jsonl"}, "no filesystem"),
    ],
)
def test_bad_rendered_arguments_are_refused_before_any_request(signalwire_space, tmp_path, kwargs, message):
    dest = kwargs.pop("destination", f"{tmp_path}/v.jsonl")
    with pytest.raises(SignalWireConfigError, match=message):
        export(dest, interval(DAY0, DAY0 + DAY), **kwargs)
    assert signalwire_space.requests == []
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------ memory


MEMORY_PROBE = textwrap.dedent(
    """
    import os, sys, tracemalloc
    from datetime import datetime, timezone
    from airflow_provider_signalwire.transfers.logs import SignalWireLogsToStorageOperator

    def operator(**kwargs):
        return SignalWireLogsToStorageOperator(task_id="t", log_type="voice", destination=sys.argv[1],
                                               page_size=int(sys.argv[2]), parallel_windows=int(sys.argv[3]),
                                               **kwargs)

    # Warm up on an empty window: lazy imports and first-call caches are not what is measured.
    operator(created_after="2026-01-01", created_before="2026-01-01").execute({})
    op = operator()
    tracemalloc.start()
    result = op.execute({"data_interval_start": datetime(2026, 11, 1, tzinfo=timezone.utc),
                         "data_interval_end": datetime(2026, 11, 2, tzinfo=timezone.utc)})
    print("PEAK", tracemalloc.get_traced_memory()[1], result["records"])
    """
)


def peak_memory(space: Any, dest: Path, page_size: int, parallel_windows: int) -> tuple[int, int]:
    # A child process: the fake space (in this process) renders whole listings; only the client is measured.
    import os

    env = {**os.environ, "AIRFLOW_CONN_SIGNALWIRE_DEFAULT": space.airflow_conn_json()}
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(dest), str(page_size), str(parallel_windows)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=REPO,
    )
    line = [x for x in out.stdout.splitlines() if x.startswith("PEAK ")]
    assert line, out.stdout[-3000:] + out.stderr[-3000:]
    _, peak, records = line[-1].split()
    return int(peak), int(records)


@pytest.mark.parametrize("parallel_windows", [1, 4])
def test_memory_stays_flat_whatever_the_record_count(signalwire_space, tmp_path, parallel_windows):
    signalwire_space.seed_logs("voice", 2_000, DAY0, DAY0 + DAY)
    small, n_small = peak_memory(signalwire_space, tmp_path / "small.jsonl", 200, parallel_windows)
    signalwire_space.seed_logs("voice", 18_000, DAY0, DAY0 + DAY)
    large, n_large = peak_memory(signalwire_space, tmp_path / "large.jsonl", 200, parallel_windows)
    assert (n_small, n_large) == (2_000, 20_000)
    # Ten times the records: the peak grows by far less than the data (a page or so), not tenfold.
    # Holding the records would add at least the 6.7 MB of JSON that the 18k more records make.
    added = (tmp_path / "large.jsonl").stat().st_size - (tmp_path / "small.jsonl").stat().st_size
    if parallel_windows == 1:
        # A page at a time: the parse of one 74 kB page and its records dominate the peak, flat in the count.
        assert large - small < added / 10, (small, large, added)
    else:
        # A page per busy window plus the copy buffer; the slices are spooled to disk.  The peak levels
        # off once all 4 windows are busy, which 2k records (10 pages) do not always reach: seen (with
        # json) 2.1-2.4 MB for 2k, 3.1 MB for 20k and 3.6 MB for 80k, and 3.8 MB for 20k on Airflow 2.11.
        assert large - small < added / 3, (small, large, added)


# ------------------------------------------------------------------------------------ assets


def test_the_file_written_is_announced_on_asset_outlets(signalwire_space, tmp_path):
    from collections import defaultdict

    from airflow.providers.common.compat.sdk import Asset, AssetAlias

    signalwire_space.seed_logs("voice", 2, DAY0, DAY0 + DAY)
    alias, fixed = AssetAlias("signalwire-log-exports"), Asset("signalwire-voice")
    added: list[tuple[Any, dict[str, Any]]] = []
    events: Any = defaultdict(
        lambda: SimpleNamespace(extra={}, add=lambda a, extra: added.append((a, extra)))
    )
    op = SignalWireLogsToStorageOperator(
        task_id="t", log_type="voice", destination=f"{tmp_path}/v.jsonl", outlets=[alias, fixed]
    )
    op.execute({**interval(DAY0, DAY0 + DAY), "outlet_events": events})
    extra = {"records": 2, "window": "2026-11-01T00:00:00Z/2026-11-02T00:00:00Z"}
    assert [(a.uri, e) for a, e in added] == [(f"file://{tmp_path}/v.jsonl", extra)]
    assert events[fixed].extra == {**extra, "path": f"file://{tmp_path}/v.jsonl"}


# ------------------------------------------------------------------------------- voice log events
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_voice_logs_with_their_events(signalwire_space, tmp_path, fmt):
    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

    seeded = signalwire_space.seed_logs("voice", 4, DAY0, DAY0 + DAY)
    result = export(tmp_path / f"v.{fmt}", format=fmt, include_events=True, page_size=3)
    hook = SignalWireHook()
    expected = {s["id"]: hook.request("GET", f"/api/voice/logs/{s['id']}/events")["data"] for s in seeded}
    if fmt == "jsonl":
        records = lines(tmp_path / "v.jsonl")
        assert {r["id"]: r["events"] for r in records} == expected
    else:
        rows = list(csv.DictReader(io.StringIO((tmp_path / "v.csv").read_text(encoding="utf-8"))))
        assert list(rows[0])[-2:] == ["events", "_other"]
        assert {r["id"]: json.loads(r["events"]) for r in rows} == expected
    assert result["records"] == 4 and all(len(events) == 3 for events in expected.values())
    asked = [r.path for r in signalwire_space.requests if r.path.endswith("/events")]
    assert sorted(asked) == sorted([f"/api/voice/logs/{i}/events" for i in expected] * 2)  # export, check


def test_voice_events_with_parallel_windows_write_the_sequential_bytes(signalwire_space, tmp_path):
    signalwire_space.seed_logs("voice", 40, DAY0, DAY0 + DAY)
    export(tmp_path / "one.jsonl", include_events=True, page_size=5)
    export(tmp_path / "four.jsonl", include_events=True, page_size=5, parallel_windows=4)
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "four.jsonl").read_bytes()


def test_include_events_is_for_voice_logs_only():
    with pytest.raises(SignalWireConfigError, match="include_events is for log_type='voice'"):
        SignalWireLogsToStorageOperator(
            task_id="e", destination="/tmp/x.jsonl", log_type="messaging", include_events=True
        )
    with pytest.raises(SignalWireConfigError, match="include_events is 'yes'"):
        SignalWireLogsToStorageOperator(
            task_id="e", destination="/tmp/x.jsonl", log_type="voice", include_events="yes"
        )
