"""Parallel log exports split where the records are: bursty days, ties at split points, failures, compat.

Two kinds of test: on the fake space (real HTTP, real threads; the request log shows which windows
were listed and how many pages each took), and on a stub hook whose listings can be held back, so a
split falls exactly where a test wants it.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_signalwire.exceptions import SignalWireAPIError
from airflow_provider_signalwire.times import iso_z, parse_record_time
from airflow_provider_signalwire.transfers.encoders import JsonlEncoder
from airflow_provider_signalwire.transfers.export import MIN_SPLIT, export_window
from airflow_provider_signalwire.transfers.log_families import LOG_FAMILIES
from airflow_provider_signalwire.transfers.logs import SignalWireLogsToStorageOperator
from airflow_provider_signalwire.transfers.windows import (
    Cancelled,
    Window,
    Windows,
    cut,
    split_days,
    split_window,
)

UTC = timezone.utc
DAY0 = datetime(2026, 11, 1, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
VOICE = LOG_FAMILIES["voice"]


def export(dest: Path, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("log_type", "voice")
    op = SignalWireLogsToStorageOperator(task_id="export", destination=str(dest), **kwargs)
    op.hook._sleep = lambda _s: None  # retries without waiting
    return op.execute({"data_interval_start": DAY0, "data_interval_end": DAY0 + DAY})


def listings(requests: list[Any]) -> Counter[tuple[str, str]]:
    """Pages per listing: every page of a listing carries the listing's window filters."""
    return Counter((r.query["created_after"], r.query["created_before"]) for r in requests)


def ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


# ------------------------------------------------------------------------------ on the fake space


def test_split_window_is_exact_and_newest_first():
    parts = split_window(DAY0, DAY0 + DAY, 7)
    assert parts[0][1] == DAY0 + DAY and parts[-1][0] == DAY0
    assert all(a[0] == b[1] for a, b in itertools.pairwise(parts))
    assert split_window(DAY0, DAY0, 4) == [(DAY0, DAY0)]
    tiny = split_window(DAY0, DAY0 + timedelta(microseconds=2), 5)
    assert len(tiny) == 2


def test_split_days_cuts_at_utc_midnights_only():
    start = DAY0 + timedelta(hours=6)
    parts = split_days(start, start + 3 * DAY, 2)
    assert parts[0][1] == start + 3 * DAY and parts[-1][0] == start
    assert all(a[0] == b[1] for a, b in itertools.pairwise(parts))
    assert all(b.hour == 0 for b in (p[0] for p in parts[:-1]))
    assert split_days(start, start + timedelta(hours=2), 4) == [(start, start + timedelta(hours=2))]


def test_a_bursty_day_is_spread_over_the_workers(signalwire_space, tmp_path):
    # 7,200 of 7,580 calls between 10:00 and 11:00, two (or three) in every second there: every split
    # point in the burst falls on records sharing a timestamp.
    seeded = signalwire_space.seed_logs_burst(
        "voice", 7_580, DAY0, DAY0 + DAY, DAY0 + 10 * HOUR, DAY0 + 11 * HOUR, share=7_200 / 7_580
    )
    sequential = export(tmp_path / "seq.jsonl", page_size=50)
    before = len(signalwire_space.requests)
    parallel = export(tmp_path / "par.jsonl", page_size=50, parallel_windows=8)
    assert (tmp_path / "par.jsonl").read_bytes() == (tmp_path / "seq.jsonl").read_bytes()
    assert parallel["records"] == sequential["records"] == len(seeded)

    pages = listings(signalwire_space.requests[before:])
    total = sum(pages.values())
    # Equal slices: the 09:00-12:00 slice lists 145 of the 152 pages, one after another.  Split where
    # the records are, no listing does more than a fraction of them (seen: at most 30 of ~180).
    assert max(pages.values()) <= total / 3, pages
    assert len(pages) > 8  # busy slices were split for idle workers
    # The price (seen: ~180 pages, not 152): a page past each split, the REST_MARGIN above each new
    # window (a minute of the burst, ~2 pages), the first page of each new window.
    assert total <= sequential["pages"] * 1.5 + 2 * len(pages), (total, sequential["pages"], len(pages))

    # Some split fell inside the burst, on a second holding two records (both written, once, in order).
    split_points = {parse_record_time(after) + timedelta(minutes=1) for after, _ in pages}
    in_burst = [p for p in split_points if DAY0 + 10 * HOUR < p < DAY0 + 11 * HOUR]
    assert in_burst
    times = Counter(r["created_at"] for r in seeded)
    assert all(times[iso_z(p)] >= 2 for p in in_burst)
    written = ids(tmp_path / "par.jsonl")
    assert len(written) == len(set(written)) == len(seeded)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_records_on_every_bound_are_written_once(signalwire_space, tmp_path, fmt):
    # Records exactly on the window's start and on every equal slice's bound, a burst between them
    # (split at whole seconds, where the bounds of further windows fall), and some just outside.
    logs = signalwire_space.backends["logs"]
    bounds = sorted({b for s in split_window(DAY0, DAY0 + DAY, 8) for b in s})
    for bound in bounds:
        for _ in range(3):
            logs.add("voice", bound)
    signalwire_space.seed_logs_burst(
        "voice", 3_000, DAY0, DAY0 + DAY, DAY0 + 5 * HOUR, DAY0 + 6 * HOUR, share=0.9
    )
    logs.add("voice", DAY0 - timedelta(seconds=1))
    export(tmp_path / f"seq.{fmt}", format=fmt, page_size=40)
    result = export(tmp_path / f"par.{fmt}", format=fmt, page_size=40, parallel_windows=8)
    assert (tmp_path / f"par.{fmt}").read_bytes() == (tmp_path / f"seq.{fmt}").read_bytes()
    assert result["records"] == 3_000 + 3 * (len(bounds) - 1)  # the end bound is the next window's


def test_an_empty_window_lists_each_slice_once(signalwire_space, tmp_path):
    signalwire_space.seed_logs("voice", 50, DAY0 + 3 * DAY, DAY0 + 4 * DAY)
    result = export(tmp_path / "v.jsonl", page_size=10, parallel_windows=8)
    assert (tmp_path / "v.jsonl").read_bytes() == b""
    assert result["records"] == 0 and result["pages"] == 8
    assert sorted(listings(signalwire_space.requests).values()) == [1] * 8


def test_a_failing_window_raises_and_leaves_no_file(signalwire_space, tmp_path):
    signalwire_space.seed_logs_burst("voice", 3_000, DAY0, DAY0 + DAY, DAY0 + 9 * HOUR, DAY0 + 10 * HOUR)
    op = SignalWireLogsToStorageOperator(
        task_id="t", log_type="voice", destination=f"{tmp_path}/v.jsonl", page_size=25, parallel_windows=8
    )
    op.hook._sleep = lambda _s: None
    send, calls = op.hook._send, {"n": 0}

    def _send(method: str, url: str, **kw: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 20:  # past the first split: every retry of whatever comes next fails
            signalwire_space.inject_fault("/api/voice/logs", "500", count=100)
        return send(method, url, **kw)

    op.hook._send = _send
    with pytest.raises(SignalWireAPIError, match="500"):
        op.execute({"data_interval_start": DAY0, "data_interval_end": DAY0 + DAY})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("log_type", "seed", "name"),
    [("compat_messages", "seed_messages", "DateSent"), ("compat_calls", "seed_calls", "StartTime")],
)
def test_compatibility_families_are_cut_at_utc_midnights_only(
    signalwire_space, tmp_path, log_type, seed, name
):
    # Their filters take whole days and their order need not follow the time that places a record: a
    # window inside one UTC day is listed once, a longer one per whole days, never split again; the
    # bytes are the sequential ones either way.
    getattr(signalwire_space, seed)(300, DAY0 - DAY, DAY0 + 4 * DAY)
    getattr(signalwire_space, seed)(200, DAY0 + 10 * HOUR, DAY0 + 11 * HOUR)
    one_day = {"data_interval_start": DAY0, "data_interval_end": DAY0 + DAY}
    four_days = {"data_interval_start": DAY0, "data_interval_end": DAY0 + 4 * DAY}
    for window, listed in (
        (one_day, ["2026-10-31"]),
        (four_days, ["2026-11-02", "2026-11-01", "2026-10-31", "2026-11-03"]),
    ):
        results = {}
        for parallel in (1, 4):
            op = SignalWireLogsToStorageOperator(
                task_id="export",
                destination=str(tmp_path / f"{parallel}.csv"),
                log_type=log_type,
                format="csv",
                page_size=20,
                parallel_windows=parallel,
            )
            before = len(signalwire_space.requests)
            results[parallel] = op.execute(window)
        assert (tmp_path / "4.csv").read_bytes() == (tmp_path / "1.csv").read_bytes()
        assert results[4]["records"] == results[1]["records"] > 0
        first_pages = [r for r in signalwire_space.requests[before:] if "PageToken" not in r.query]
        assert sorted(r.query[f"{name}>"] for r in first_pages) == sorted(listed)


# ------------------------------------------------------------------------------ on a stub hook


class Out(io.BytesIO):
    """The export's file; ``copied`` is set once window data reaches it (that window is done)."""

    def __init__(self) -> None:
        super().__init__()
        self.copied = threading.Event()

    def write(self, data: Any) -> int:
        if len(data):
            self.copied.set()
        return super().write(data)


class StubHook:
    """``paginate_pages`` over in-memory voice logs, newest first, filtered as the API filters
    (``created_after`` <=, ``created_before`` >); ``gates[created_before]`` runs before a listing's
    first page (to hold it back or fail it)."""

    def __init__(self, moments: list[datetime]) -> None:
        self.settings = SimpleNamespace(project_id="p")
        self.session = object()
        self.log = logging.getLogger(__name__)
        self.rows = [{"id": f"r{k:04d}", "created_at": iso_z(m)} for k, m in enumerate(moments)]
        self.gates: dict[str, Callable[[], None]] = {}
        self.listed: list[dict[str, Any]] = []
        self.ended: dict[str, threading.Event] = {}

    def paginate_pages(self, path: str, *, params: dict[str, str], page_size: int) -> Iterator[list[Any]]:
        after, before = (parse_record_time(params[k]) for k in ("created_after", "created_before"))
        rows = [(parse_record_time(r["created_at"]), k, r) for k, r in enumerate(self.rows)]
        rows = sorted((x for x in rows if after <= x[0] < before), key=lambda x: x[:2], reverse=True)
        entry = {"after": params["created_after"], "before": params["created_before"], "pages": 0}
        self.listed.append(entry)
        ended = self.ended.setdefault(params["created_before"], threading.Event())
        try:
            if params["created_before"] in self.gates:
                self.gates[params["created_before"]]()
            for start in range(0, max(len(rows), 1), page_size):
                entry["pages"] += 1
                yield [r for _, _, r in rows[start : start + page_size]]
        finally:
            ended.set()


def run(hook: StubHook, start: datetime, end: datetime, parallel: int, page_size: int) -> Out:
    out = Out()
    export_window(
        hook,  # type: ignore[arg-type]
        VOICE,
        start,
        end,
        out,
        encoder=JsonlEncoder(VOICE),
        page_size=page_size,
        parallel_windows=parallel,
    )
    return out


def at(hours: float, seconds: float = 0) -> datetime:
    return DAY0 + timedelta(hours=hours, seconds=seconds)


def wait(event: threading.Event) -> None:
    assert event.wait(10), "the listing was never released"


def test_a_split_on_a_tie_keeps_the_whole_tie_in_one_window():
    # [DAY0, DAY0 + 2 days) in two slices.  The older slice's first page (50 records) ends at 12:00,
    # in the middle of three records at 12:00; the newer slice is done by then, so its worker is idle
    # and the rest, [00:00, 12:00), is halved at 06:00, where 25 records share one timestamp.
    moments = [
        DAY0 + 2 * DAY,  # the end: outside
        DAY0 + 2 * DAY - timedelta(microseconds=1),
        at(29),
        DAY0 + DAY,  # on the slices' bound: the newer slice's, listed (and skipped) by the older one too
        *(at(12) + timedelta(minutes=10 * k) for k in range(1, 49)),
        at(12),
        at(12),
        at(12),
        *(at(h) for h in (11, 10, 9, 8, 7)),
        at(6, 1),
        *[at(6)] * 25,
        at(6, -1),
        *(at(h) for h in (5, 4, 3, 2, 1)),
        DAY0,  # the start: inside
        at(0, -1),  # outside
    ]
    sequential = run(StubHook(moments), DAY0, DAY0 + 2 * DAY, parallel=1, page_size=50).getvalue()

    hook = StubHook(moments)
    out = Out()
    older, split_off = "2026-11-02T00:01:00Z", "2026-11-01T06:01:00Z"
    hook.gates[older] = lambda: wait(out.copied)  # the older slice starts once the newer one is written
    hook.gates[split_off] = lambda: wait(hook.ended[older])  # and nothing splits twice
    export_window(
        hook,  # type: ignore[arg-type]
        VOICE,
        DAY0,
        DAY0 + 2 * DAY,
        out,
        encoder=JsonlEncoder(VOICE),
        page_size=50,
        parallel_windows=2,
    )
    assert out.getvalue() == sequential
    assert sorted((e["after"], e["before"]) for e in hook.listed) == [
        ("2026-10-31T23:59:00Z", split_off),
        ("2026-10-31T23:59:00Z", older),
        ("2026-11-01T23:59:00Z", "2026-11-03T00:01:00Z"),
    ]
    written = [json.loads(line)["created_at"] for line in out.getvalue().splitlines()]
    assert written.count("2026-11-01T06:00:00Z") == 25 and written.count("2026-11-01T12:00:00Z") == 3
    assert len(written) == len(moments) - 2


def test_the_newest_failure_is_raised_and_the_others_are_cancelled():
    # Three slices: the newest fails (after the middle one did), the oldest would list forever.
    endless_at = at(2)

    class Hook(StubHook):
        def paginate_pages(self, path: str, *, params: dict[str, str], page_size: int) -> Iterator[list[Any]]:
            before = params["created_before"]
            self.listed.append({"before": before})
            if before == "2026-11-01T08:01:00Z":  # the oldest: full pages of one moment, never ending
                try:
                    while True:
                        oldest_listing.set()
                        yield [{"id": "x", "created_at": iso_z(endless_at)}] * page_size
                finally:
                    self.ended.setdefault(before, threading.Event()).set()
            if before == "2026-11-01T16:01:00Z":
                wait(oldest_listing)  # else the oldest might be cancelled before it starts
                middle_failed.set()
                raise SignalWireAPIError(method="GET", url=path, status_code=500, reason="middle")
            wait(middle_failed)
            raise SignalWireAPIError(method="GET", url=path, status_code=503, reason="newest")
            yield []  # a generator

    middle_failed, oldest_listing = threading.Event(), threading.Event()
    hook = Hook([])
    with pytest.raises(SignalWireAPIError, match="newest"):
        run(hook, DAY0, DAY0 + DAY, parallel=3, page_size=10)
    assert hook.ended["2026-11-01T08:01:00Z"].is_set()


def test_one_failure_stops_a_listing_that_would_never_end():
    class Hook(StubHook):
        def paginate_pages(self, path: str, *, params: dict[str, str], page_size: int) -> Iterator[list[Any]]:
            if params["created_before"] == "2026-11-02T00:01:00Z":
                raise SignalWireAPIError(method="GET", url=path, status_code=500, reason="newest")
            while True:
                yield [{"id": "x", "created_at": iso_z(at(3))}] * page_size

    with pytest.raises(SignalWireAPIError, match="newest"):
        run(Hook([]), DAY0, DAY0 + DAY, parallel=2, page_size=10)


def test_a_listing_out_of_time_order_is_refused():
    hook = StubHook([])
    oldest_first = [{"id": "a", "created_at": iso_z(at(1))}, {"id": "b", "created_at": iso_z(at(2))}]
    hook.paginate_pages = lambda path, *, params, page_size: iter([oldest_first])  # type: ignore[method-assign]
    with pytest.raises(SignalWireAPIError, match="newest-first order"):
        run(hook, DAY0, DAY0 + DAY, parallel=2, page_size=10)


# ------------------------------------------------------------------------------ the scheduler


def test_cut_is_exact_and_on_whole_seconds():
    assert cut(at(0), at(12), 3) == [at(0), at(4), at(8), at(12)]
    odd = cut(at(0, 0.5), at(1), 4)
    assert odd[0] == at(0, 0.5) and odd[-1] == at(1)
    assert all(b.microsecond == 0 for b in odd[1:-1])
    assert cut(at(0), at(0, 0.000003), 2) == [at(0), at(0, 0.0000015), at(0, 0.000003)]


def test_split_only_for_idle_workers_and_never_too_thin():
    windows = Windows([(at(0), at(24))], concurrency=4, min_split=MIN_SPLIT)
    (window,) = windows._all
    windows._pending.clear()  # as if a worker had taken it
    windows._running = 1
    new = windows.split(window, at(12))  # three idle workers: [0, 12) in four parts
    assert [(w.lo, w.hi) for w in new] == [(at(0), at(3)), (at(3), at(6)), (at(6), at(9))]
    assert window.lo == at(9) and windows.splits == 1 and windows.count == 4
    assert windows.split(window, at(10)) == []  # the three new windows are pending: nobody is idle
    windows._pending.clear()
    assert windows.split(window, at(9, 7 * 60)) == []  # seven minutes left: under two MIN_SPLITs
    assert windows.split(window, at(9)) == []  # nothing left
    assert [(w.lo, w.hi) for w in windows.split(window, at(9, 8 * 60))] == [(at(9), at(9, 4 * 60))]
    assert Windows([(at(0), at(24))], concurrency=4).split(window, at(20)) == []  # splitting off


def test_splits_stop_while_too_many_windows_wait_for_their_turn(monkeypatch):
    from airflow_provider_signalwire.transfers import windows as windows_module

    monkeypatch.setattr(windows_module, "MAX_OPEN_WINDOWS", 3)
    windows = Windows([(at(0), at(24))], concurrency=8, min_split=MIN_SPLIT)
    (window,) = windows._all
    windows._pending.clear()
    windows._running = 1
    assert len(windows.split(window, at(12))) == 2  # seven idle workers, but three windows at most
    windows._pending.clear()
    assert windows.split(window, at(10)) == []


def test_windows_must_be_adjacent_and_newest_first():
    with pytest.raises(ValueError, match="adjacent"):
        Windows([(at(0), at(1)), (at(1), at(2))], concurrency=2)
    with pytest.raises(ValueError, match="adjacent"):
        Windows([], concurrency=2)


def test_results_come_newest_first_and_unused_ones_are_released():
    released: list[Any] = []
    windows = Windows(split_window(at(0), at(8), 4), concurrency=4)
    together = threading.Barrier(4, timeout=10)  # all four run: none is cancelled before it starts

    def both(window: Window, board: Windows) -> Any:
        together.wait()
        return (window.lo, window.hi)

    results = windows.run(both, release=released.append)
    assert next(results) == (at(6), at(8))
    results.close()  # the consumer stops early: the rest is released, nothing left running
    assert sorted(released) == [(at(0), at(2)), (at(2), at(4)), (at(4), at(6))]

    def work(window: Window, board: Windows) -> Any:
        if window.hi == at(4):
            raise Cancelled()
        return window.hi

    with pytest.raises(Cancelled):
        list(Windows(split_window(at(0), at(8), 4), concurrency=2).run(work))
