"""SignalWireNewItemsTrigger driven in an event loop against the offline fake space."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

try:
    from airflow.triggers.base import BaseEventTrigger  # noqa: F401
except ImportError:  # Airflow 2.11
    pytest.skip("asset watchers (BaseEventTrigger) need Airflow 3", allow_module_level=True)

from airflow_provider_signalwire.testing import FakeSignalWireSpace
from airflow_provider_signalwire.triggers.events import (
    LISTINGS,
    SignalWireNewItemsTrigger,
    SignalWireWatchError,
    Watermark,
)

RECORDINGS = "/api/video/room_recordings"
FAST = 0.1  # seconds between polls in these tests


class FakeStateStore:
    """What the triggerer gives a watcher on Airflow 3.3: aget/aset of JSON values, kept by key."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.writes = 0

    async def aget(self, key: str, default: Any = None) -> Any:
        return copy.deepcopy(self.values.get(key, default))

    async def aset(self, key: str, value: Any) -> None:
        json.dumps(value)  # the real store keeps JSON
        self.values[key] = copy.deepcopy(value)
        self.writes += 1


@pytest.fixture(autouse=True)
def no_persist_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SignalWireNewItemsTrigger, "persist_delay", 0.0)


class Watcher:
    """Runs one trigger in the background and collects its events."""

    def __init__(self, trigger: SignalWireNewItemsTrigger, stream: AsyncIterator[Any] | None = None) -> None:
        self.trigger = trigger
        self.events: list[dict[str, Any]] = []
        self.error: BaseException | None = None
        source = trigger.run() if stream is None else trigger.filter_shared_stream(stream)
        self.task = asyncio.ensure_future(self._collect(source))

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
        await asyncio.sleep(0.02)


def gets(space: FakeSignalWireSpace, path: str) -> int:
    return sum(1 for r in space.requests if r.method == "GET" and r.path == path)


async def first_poll_done(space: FakeSignalWireSpace, path: str, store: FakeStateStore | None = None) -> None:
    await until(lambda: gets(space, path) >= 1 and (store is None or store.writes >= 1))


def stored_seen(store: FakeStateStore, key: str = "signalwire.new_items.recordings") -> dict[str, Any]:
    return dict((store.values.get(key) or {}).get("seen") or {})


def recordings_trigger(store: FakeStateStore | None, **kwargs: Any) -> SignalWireNewItemsTrigger:
    trigger = SignalWireNewItemsTrigger(
        kind="recordings", poll_interval=kwargs.pop("poll_interval", FAST), **kwargs
    )
    trigger.asset_state_store = store
    return trigger


# ------------------------------------------------------------------------------------------ events


async def test_one_event_per_new_completed_recording(signalwire_space: FakeSignalWireSpace) -> None:
    space = signalwire_space
    old = space.add_completed_recording()
    store = FakeStateStore()
    watcher = Watcher(recordings_trigger(store))
    await first_poll_done(space, RECORDINGS, store)
    new = [space.add_completed_recording() for _ in range(3)]
    await until(lambda: len(watcher.events) == 3)
    polls = gets(space, RECORDINGS)
    await until(lambda: gets(space, RECORDINGS) >= polls + 3)  # a few more polls: nothing repeats
    await watcher.stop()

    assert sorted(watcher.ids) == sorted(r["id"] for r in new)
    assert old["id"] not in watcher.ids  # it existed before the watcher started
    for event in watcher.events:
        assert event["kind"] == "recordings"
        assert event["item"]["status"] == "completed"
        assert event["item"]["id"] == event["id"]
        assert datetime.fromisoformat(event["timestamp"]) == datetime.fromisoformat(
            event["item"]["finished_at"].replace("Z", "+00:00")
        )
    mark = Watermark.from_json(store.values["signalwire.new_items.recordings"])
    assert mark is not None and set(mark.seen) >= {r["id"] for r in new}


async def test_a_recording_still_in_progress_fires_when_it_completes(
    signalwire_space: FakeSignalWireSpace,
) -> None:
    from airflow_provider_signalwire.testing.video.models import VideoBackend

    space = signalwire_space
    video = space.backends["video"]
    assert isinstance(video, VideoBackend)
    store = FakeStateStore()
    watcher = Watcher(recordings_trigger(store))
    await first_poll_done(space, RECORDINGS, store)
    session = video.create_session(video.seed_rooms(1)[0], in_progress=True)
    polls = gets(space, RECORDINGS)
    await until(lambda: gets(space, RECORDINGS) >= polls + 2)
    assert watcher.events == []  # status "recording": not yet
    recording = video.recordings.find(lambda r: r.room_session_id == session.id)
    assert recording is not None
    recording.end = space.clock.now()
    await until(lambda: len(watcher.events) == 1)
    await watcher.stop()
    assert watcher.ids == [recording.id]


async def test_items_sharing_a_timestamp_each_fire_once(signalwire_space: FakeSignalWireSpace) -> None:
    space = signalwire_space
    store = FakeStateStore()
    watcher = Watcher(recordings_trigger(store, overlap=0))  # only the ids at the newest timestamp
    await first_poll_done(space, RECORDINGS, store)
    same = space.clock.now().replace(microsecond=0) + timedelta(seconds=1)
    first = [space.add_completed_recording(finished_at=same) for _ in range(3)]
    await until(lambda: len(watcher.events) == 3)
    # More recordings finishing in that same second, listed after the watermark reached it.
    later = [space.add_completed_recording(finished_at=same) for _ in range(2)]
    await until(lambda: len(watcher.events) == 5)
    polls = gets(space, RECORDINGS)
    await until(lambda: gets(space, RECORDINGS) >= polls + 3)
    await watcher.stop()

    assert sorted(watcher.ids) == sorted(r["id"] for r in first + later)
    stored = store.values["signalwire.new_items.recordings"]
    assert datetime.fromisoformat(stored["after"]) == same
    assert set(stored["seen"]) == {r["id"] for r in first + later}


async def test_watermark_survives_a_restart_nothing_missed_or_repeated(
    signalwire_space: FakeSignalWireSpace,
) -> None:
    space = signalwire_space
    store = FakeStateStore()
    first = recordings_trigger(store)
    watcher = Watcher(first)
    await first_poll_done(space, RECORDINGS, store)
    before = [space.add_completed_recording() for _ in range(2)]
    await until(lambda: len(watcher.events) == 2)
    # The watermark is written once the events are handed over (persist_delay later): then stop.
    await until(lambda: set(stored_seen(store)) >= {r["id"] for r in before})
    await watcher.stop()  # the triggerer stops

    while_down = [space.add_completed_recording() for _ in range(2)]
    classpath, kwargs = first.serialize()
    assert classpath == "airflow_provider_signalwire.triggers.events.SignalWireNewItemsTrigger"
    restarted = SignalWireNewItemsTrigger(**kwargs)  # as the triggerer rebuilds it
    restarted.asset_state_store = store
    again = Watcher(restarted)
    await until(lambda: len(again.events) == 2)
    after = space.add_completed_recording()
    await until(lambda: len(again.events) == 3)
    polls = gets(space, RECORDINGS)
    await until(lambda: gets(space, RECORDINGS) >= polls + 3)
    await again.stop()

    assert sorted(watcher.ids) == sorted(r["id"] for r in before)
    assert sorted(again.ids[:2]) == sorted(r["id"] for r in while_down)
    assert again.ids[2] == after["id"]


async def test_without_a_state_store_it_starts_from_now(signalwire_space: FakeSignalWireSpace) -> None:
    space = signalwire_space
    watcher = Watcher(recordings_trigger(None))
    await first_poll_done(space, RECORDINGS)
    await watcher.stop()
    missed = space.add_completed_recording()  # while no trigger runs: not seen without a store
    watcher = Watcher(recordings_trigger(None))
    await first_poll_done(space, RECORDINGS)
    polls = gets(space, RECORDINGS)
    await until(lambda: gets(space, RECORDINGS) >= polls + 1)
    new = space.add_completed_recording()
    await until(lambda: len(watcher.events) == 1)
    await watcher.stop()
    assert watcher.ids == [new["id"]] and missed["id"] not in watcher.ids


async def test_inbound_messages_only_and_filters(signalwire_space: FakeSignalWireSpace) -> None:
    space = signalwire_space
    path = f"/api/laml/2010-04-01/Accounts/{space.project_id}/Messages"
    to_a, to_b = "+15551110001", "+15551110002"
    every = Watcher(SignalWireNewItemsTrigger(kind="inbound_messages", poll_interval=FAST))
    only_a = Watcher(
        SignalWireNewItemsTrigger(kind="inbound_messages", poll_interval=FAST, filters={"to": to_a})
    )
    await until(lambda: gets(space, path) >= 2)
    space.seed_messages(2, start=space.clock.now(), end=space.clock.now())  # outbound: never
    a = space.receive_message(to=to_a, body="for a")
    b = space.receive_message(to=to_b, body="for b")
    await until(lambda: len(every.events) == 2 and len(only_a.events) == 1)
    polls = gets(space, path)
    await until(lambda: gets(space, path) >= polls + 4)
    await every.stop()
    await only_a.stop()
    assert sorted(every.ids) == sorted([a["sid"], b["sid"]])
    assert only_a.ids == [a["sid"]]
    assert only_a.events[0]["item"]["body"] == "for a"
    assert {e["item"]["direction"] for e in every.events} == {"inbound"}
    asked = [r for r in space.requests if r.path == path]
    assert all(r.query.get("Status") == "received" for r in asked), asked[0].query


@pytest.mark.parametrize("family", ["voice", "messaging", "fax", "video"])
async def test_new_log_records(signalwire_space: FakeSignalWireSpace, family: str) -> None:
    space = signalwire_space
    path = f"/api/{family}/logs"
    now = space.clock.now()
    space.seed_logs(family, 2, now - timedelta(hours=1), now - timedelta(minutes=30))
    watcher = Watcher(SignalWireNewItemsTrigger(kind=f"{family}_logs", poll_interval=FAST))
    await until(lambda: gets(space, path) >= 1)
    later = space.clock.now() + timedelta(seconds=1)
    new = space.seed_logs(family, 3, later, later)  # three records created in the same second
    await until(lambda: len(watcher.events) == 3)
    polls = gets(space, path)
    await until(lambda: gets(space, path) >= polls + 3)
    await watcher.stop()
    assert sorted(watcher.ids) == sorted(e["id"] for e in new)
    asked = [r for r in space.requests if r.path == path]
    assert all("created_after" in r.query for r in asked)


# ------------------------------------------------------------------------------------ shared stream


async def test_ten_watchers_share_one_poll_per_interval(signalwire_space: FakeSignalWireSpace) -> None:
    """Airflow's own SharedStreamManager runs ten watchers (different numbers) on one poll loop."""
    from airflow.triggers.shared_stream import SharedStreamManager

    space = signalwire_space
    path = f"/api/laml/2010-04-01/Accounts/{space.project_id}/Messages"
    interval = 0.25
    numbers = [f"+1555222{k:04d}" for k in range(10)]
    triggers = [
        SignalWireNewItemsTrigger(kind="inbound_messages", poll_interval=interval, filters={"to": number})
        for number in numbers
    ]
    stores = [FakeStateStore() for _ in triggers]
    for trigger, store in zip(triggers, stores, strict=True):
        trigger.asset_state_store = store
    keys = {t.shared_stream_key() for t in triggers}
    assert len(keys) == 1
    manager = SharedStreamManager()
    watchers = [
        Watcher(t, manager.subscribe(trigger_id=i, trigger=t, key=t.shared_stream_key()))
        for i, t in enumerate(triggers)
    ]
    await until(lambda: all(s.writes for s in stores))  # every watcher took its first poll
    sent = {number: space.receive_message(to=number, body=number) for number in numbers}
    await until(lambda: all(len(w.events) == 1 for w in watchers))
    started, polls_before = time.monotonic(), gets(space, path)
    await asyncio.sleep(interval * 8)
    polls = gets(space, path) - polls_before
    elapsed = time.monotonic() - started
    for i, watcher in enumerate(watchers):
        await watcher.stop()
        await manager.unsubscribe(i, watcher.trigger.shared_stream_key())
    await manager.stop_all()

    for number, watcher in zip(numbers, watchers, strict=True):
        assert watcher.ids == [sent[number]["sid"]]
    # One request per interval for all ten (not ten), and no faster than the interval.
    assert 1 <= polls <= elapsed / interval + 1, (polls, elapsed)
    # Each watcher keeps its own watermark, under a key of its own filters.
    assert len({next(iter(s.values)) for s in stores}) == 10


def test_shared_stream_key_groups_by_listing_connection_and_cadence() -> None:
    def key(**kw: Any) -> Any:
        base = {"kind": "recordings", "poll_interval": 60}
        return SignalWireNewItemsTrigger(**{**base, **kw}).shared_stream_key()

    assert key() == key(filters={"room_session_id": "x"})
    assert key() != key(poll_interval=30)
    assert key() != key(kind="voice_logs")
    assert key() != key(signalwire_conn_id="other")
    assert key() != key(overlap=0)


# ----------------------------------------------------------------------------------- serialization


def test_serialize_round_trip_carries_no_secret(signalwire_space: FakeSignalWireSpace) -> None:
    trigger = SignalWireNewItemsTrigger(
        kind="inbound_messages", poll_interval=30, filters={"to": "+15551230000"}, overlap=10
    )
    classpath, kwargs = trigger.serialize()
    again = SignalWireNewItemsTrigger(**json.loads(json.dumps(kwargs)))
    assert again.serialize() == (classpath, kwargs)
    assert kwargs == {
        "kind": "inbound_messages",
        "signalwire_conn_id": "signalwire_default",
        "poll_interval": 30.0,
        "filters": {"to": "+15551230000"},
        "overlap": 10.0,
    }
    text = json.dumps(kwargs) + repr(trigger)
    assert signalwire_space.api_token not in text and signalwire_space.project_id not in text


def test_airflow_serializes_the_trigger_for_an_asset_watcher() -> None:
    from airflow.sdk import Asset, AssetWatcher
    from airflow.serialization.encoders import encode_trigger

    trigger = SignalWireNewItemsTrigger(kind="recordings", poll_interval=60)
    asset = Asset("signalwire_recordings", watchers=[AssetWatcher(name="w", trigger=trigger)])
    encoded = encode_trigger(asset.watchers[0].trigger)
    assert encoded["classpath"] == "airflow_provider_signalwire.triggers.events.SignalWireNewItemsTrigger"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "calls"}, "kind: unknown kind 'calls'"),
        ({"kind": "recordings", "poll_interval": 0}, "poll_interval: must be at least"),
        ({"kind": "recordings", "overlap": -1}, "overlap: must be 0 or more"),
        ({"kind": "recordings", "filters": ["to"]}, "filters: expected a dict"),
        ({"kind": "recordings", "signalwire_conn_id": ""}, "signalwire_conn_id"),
    ],
)
def test_bad_arguments_say_which(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SignalWireNewItemsTrigger(**kwargs)


def test_every_kind_is_documented() -> None:
    doc = SignalWireNewItemsTrigger.__doc__ or ""
    for kind in LISTINGS:
        assert f'"{kind}"' in doc


# ------------------------------------------------------------------------------------------ errors


async def test_transient_errors_keep_polling_at_the_interval(
    signalwire_space: FakeSignalWireSpace, make_conn: Callable[..., str]
) -> None:
    space = signalwire_space
    conn_id = make_conn(space=space, retries=False)
    interval = 0.2
    store = FakeStateStore()
    watcher = Watcher(recordings_trigger(store, poll_interval=interval, signalwire_conn_id=conn_id))
    await first_poll_done(space, RECORDINGS, store)
    space.inject_fault(RECORDINGS, "503", count=4)
    started = time.monotonic()
    new = space.add_completed_recording()
    await until(lambda: len(watcher.events) == 1)
    elapsed = time.monotonic() - started
    await watcher.stop()
    assert watcher.error is None
    assert watcher.ids == [new["id"]]
    statuses = [r.status for r in space.requests if r.path == RECORDINGS]
    assert statuses.count(503) == 4
    assert elapsed >= 4 * interval * 0.9  # a failed poll waits for the next interval: no spinning


async def test_401_stops_with_a_clear_error_and_no_secret(
    signalwire_space: FakeSignalWireSpace, make_conn: Callable[..., str]
) -> None:
    space = signalwire_space
    conn = json.loads(space.airflow_conn_json())
    wrong = "PT" + "0badc0ffee" * 4
    conn_id = make_conn(host=conn["host"], login=conn["login"], password=wrong, extra=conn["extra"])
    watcher = Watcher(recordings_trigger(FakeStateStore(), signalwire_conn_id=conn_id))
    await until(lambda: watcher.task.done())
    assert isinstance(watcher.error, SignalWireWatchError)
    text = str(watcher.error)
    assert "Watching SignalWire recordings stopped" in text and "401" in text
    assert "API Token" in text or "token" in text.lower()
    assert wrong not in text and wrong not in repr(watcher.error)
    assert [r.status for r in space.requests if r.path == RECORDINGS] == [401]  # no retry, no loop


async def test_poll_interval_is_respected(signalwire_space: FakeSignalWireSpace) -> None:
    space = signalwire_space
    interval = 0.3
    watcher = Watcher(recordings_trigger(FakeStateStore(), poll_interval=interval))
    await first_poll_done(space, RECORDINGS)
    started, before = time.monotonic(), gets(space, RECORDINGS)
    await asyncio.sleep(interval * 5)
    polls, elapsed = gets(space, RECORDINGS) - before, time.monotonic() - started
    await watcher.stop()
    assert elapsed / interval - 2 <= polls <= elapsed / interval + 1, (polls, elapsed)


# --------------------------------------------------------------------------------------- watermark


def test_watermark_rules() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    mark = Watermark(t0)
    items = [(t0 + timedelta(seconds=s), f"id{s}", {}) for s in (0, 5, 5, 10)]
    assert all(mark.is_new(w, i) for w, i, _ in items)
    mark.advance(t0, items, overlap=5)
    assert mark.after == t0 + timedelta(seconds=5)
    assert set(mark.seen) == {"id5", "id10"}
    assert not mark.is_new(t0 + timedelta(seconds=4), "late-but-too-old")
    assert mark.is_new(t0 + timedelta(seconds=6), "late-within-overlap")
    assert not mark.is_new(t0 + timedelta(seconds=10), "id10")
    assert Watermark.from_json(json.loads(json.dumps(mark.to_json()))) == mark
    assert Watermark.from_json({"version": 2}) is None and Watermark.from_json(None) is None


async def test_a_restart_catches_up_on_what_the_shared_poll_no_longer_lists(
    signalwire_space: FakeSignalWireSpace,
) -> None:
    """Items that completed while the triggerer was down, older than what a fresh poll covers, are
    found by the restarted trigger's own catch-up poll from its stored watermark."""
    space = signalwire_space
    now = space.clock.now().replace(microsecond=0)
    store = FakeStateStore()
    watcher = Watcher(recordings_trigger(store, overlap=0))
    await first_poll_done(space, RECORDINGS, store)
    later = space.add_completed_recording(finished_at=now + timedelta(seconds=2))
    await until(lambda: len(watcher.events) == 1 and later["id"] in stored_seen(store))
    await watcher.stop()
    down = [space.add_completed_recording(finished_at=now + timedelta(seconds=3)) for _ in range(2)]
    await asyncio.sleep(4.1 - (space.clock.now() - now).total_seconds())  # the restart comes later
    before = gets(space, RECORDINGS)
    again = Watcher(recordings_trigger(store, overlap=0))
    await until(lambda: len(again.events) == 2)
    await again.stop()
    assert watcher.ids == [later["id"]]
    assert sorted(again.ids) == sorted(r["id"] for r in down)
    assert gets(space, RECORDINGS) - before >= 2  # the shared poll, then the catch-up poll


async def test_stopped_before_the_watermark_is_written_it_repeats_rather_than_loses(
    signalwire_space: FakeSignalWireSpace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed between handing events over and writing their watermark: the items come again."""
    monkeypatch.setattr(SignalWireNewItemsTrigger, "persist_delay", 30.0)
    space = signalwire_space
    store = FakeStateStore()
    watcher = Watcher(recordings_trigger(store))
    await first_poll_done(space, RECORDINGS, store)
    new = space.add_completed_recording()
    await until(lambda: len(watcher.events) == 1)
    await watcher.stop()  # within persist_delay
    assert new["id"] not in stored_seen(store)
    monkeypatch.setattr(SignalWireNewItemsTrigger, "persist_delay", 0.0)
    again = Watcher(recordings_trigger(store))
    await until(lambda: len(again.events) == 1)
    await again.stop()
    assert again.ids == [new["id"]]


# ------------------------------------------------------- call recordings, transcriptions, received faxes
def _new_items(space: FakeSignalWireSpace, kind: str, n: int, start: Any) -> list[str]:
    """``n`` items of ``kind`` made from ``start`` on (a second apart at most); their ids."""
    end = start + timedelta(seconds=1)
    if kind == "received_faxes":
        return [f["sid"] for f in space.seed_faxes(n, start, end)]
    recordings = space.seed_recordings(n, start, end, transcribe=kind == "transcriptions")
    if kind == "call_recordings":
        return [r["sid"] for r in recordings]
    sids = {r["sid"] for r in recordings}
    return [sid for sid, t in space.state.transcriptions.items() if t["recording_sid"] in sids]


@pytest.mark.parametrize(
    ("kind", "resource"),
    [("call_recordings", "Recordings"), ("transcriptions", "Transcriptions"), ("received_faxes", "Faxes")],
)
async def test_new_compatibility_items_once_each_across_a_restart(
    signalwire_space: FakeSignalWireSpace, kind: str, resource: str
) -> None:
    space = signalwire_space
    path = f"/api/laml/2010-04-01/Accounts/{space.project_id}/{resource}"
    key = f"signalwire.new_items.{kind}"
    old = _new_items(space, kind, 2, space.clock.now() - timedelta(hours=3))  # before the watch: never
    if kind == "received_faxes":  # a sent fax is not a received one
        from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

        SignalWireHook().request(
            "POST", path, data={"To": "+12025550101", "From": "+12025550150", "MediaUrl": "https://e.x/a.pdf"}
        )
    store = FakeStateStore()
    first = SignalWireNewItemsTrigger(kind=kind, poll_interval=FAST)
    first.asset_state_store = store
    watcher = Watcher(first)
    await first_poll_done(space, path, store)
    new = _new_items(space, kind, 2, space.clock.now())
    await until(lambda: len(watcher.events) == 2)
    await until(lambda: set(stored_seen(store, key)) >= set(new))
    await watcher.stop()

    restarted = SignalWireNewItemsTrigger(**first.serialize()[1])  # as the triggerer rebuilds it
    restarted.asset_state_store = store
    again = Watcher(restarted)
    later = _new_items(space, kind, 1, space.clock.now())
    await until(lambda: len(again.events) >= 1)
    polls = gets(space, path)
    await until(lambda: gets(space, path) >= polls + 3)  # more polls: nothing repeated
    await again.stop()

    assert sorted(watcher.ids) == sorted(new) and again.ids == later
    assert set(old).isdisjoint(watcher.ids + again.ids)
    assert {e["kind"] for e in watcher.events + again.events} == {kind}
    if kind == "received_faxes":
        assert {e["item"]["direction"] for e in watcher.events} == {"inbound"}
