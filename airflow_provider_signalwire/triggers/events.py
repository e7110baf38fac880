"""Event triggers for DAGs that run on SignalWire events (Airflow 3 ``AssetWatcher``).

:class:`SignalWireNewItemsTrigger` watches one SignalWire listing (completed room recordings, inbound
messages, completed call recordings and transcriptions, received faxes, the log records of a family)
and fires one ``TriggerEvent`` per new item, carrying the item.

How "new" is decided, and kept across triggerer restarts:

* Each item has an id and a timestamp (a recording's ``finished_at``, a message's ``date_sent``, a
  log record's ``created_at``). The trigger's **watermark** is ``after`` (every item older than this is
  done) plus ``seen`` (the ids of items at or after ``after`` that are done). An item is new when its
  timestamp is not older than ``after`` and its id is not in ``seen``; ``after`` trails the newest
  timestamp by ``overlap`` seconds, so an item that shows up in the listing a little late (with a
  timestamp slightly older than the newest one) is still caught, and items sharing a timestamp are
  told apart by id.
* On Airflow 3.3 the watermark is kept in the watched asset's state store (``asset_state_store``), so
  a restarted triggerer resumes where it stopped. Without a state store (Airflow 3.0-3.2, or a
  trigger run outside a triggerer) it starts from now.
* All triggers of the same listing, connection, poll interval and overlap share one poll through
  Airflow 3.3's shared streams (``shared_stream_key`` / ``open_shared_stream`` /
  ``filter_shared_stream``): ten watchers cost one request per interval. A trigger whose watermark
  is older than what the shared poll covers (after a restart) catches up once with a poll of its own.

The async hook (and aiohttp) are imported only when a poll starts, so DAG files stay light.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import TriggerEvent

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.exceptions import SignalWireWatchError as SignalWireWatchError
from airflow_provider_signalwire.protocol import FAILURE_WORDS, RETRYABLE_STATUSES
from airflow_provider_signalwire.times import api_time, iso_utc, parse_timestamp

if TYPE_CHECKING:
    from airflow.triggers.base import BaseEventTrigger

    from airflow_provider_signalwire.hooks.signalwire_async import SignalWireAsyncHook
else:
    try:
        from airflow.triggers.base import BaseEventTrigger
    except ImportError:  # Airflow 2.11: no event triggers; importable, but AssetWatcher needs Airflow 3
        from airflow.triggers.base import BaseTrigger as BaseEventTrigger

log = logging.getLogger(__name__)

MIN_POLL_INTERVAL = 0.1  # seconds; never a busy loop
STATE_KEY_PREFIX = "signalwire.new_items"
PAGE_SIZE = 200
# An item dated more than this ahead of now is still announced, but does not move the watermark: one
# record dated 9999 must not hide every later one. Below the default overlaps (120 s, 300 s), so an
# item just inside it cannot push the watermark past items dated now either.
FUTURE_SKEW = timedelta(seconds=60)
# Paging a newest-first list stops after this many items in a row older than what is looked for: one
# record with a wrong old date does not end the listing before the newer records after it.
OLD_RUN = 3
MAX_NOTICES = 10_000  # bad items remembered per poll loop, so each is logged once


def _shown(value: Any, limit: int = 60) -> str:
    """``repr`` of API data for a log line: escaped (lone surrogates, control characters), and short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Notices:
    """What was already logged about which item: a bad item listed at every poll is logged once."""

    def __init__(self) -> None:
        self._keys: set[Hashable] = set()

    def first(self, key: Hashable) -> bool:
        if key in self._keys:
            return False
        if len(self._keys) >= MAX_NOTICES:
            self._keys.clear()
        self._keys.add(key)
        return True


# ------------------------------------------------------------------------------------ the listings


@dataclass(frozen=True)
class Listing:
    """One watchable SignalWire list: where it is, which field dates an item, how to page it."""

    kind: str
    path: str  # ``{project_id}`` is filled from the connection
    time_field: str
    id_field: str
    default_overlap: float  # seconds
    keep: Callable[[Mapping[str, Any]], bool] = lambda item: True
    # Server-side filter for "items from ``lower`` on" (None: the list has no such filter).
    params: Callable[[datetime], dict[str, Any]] | None = None
    # The list is ordered newest first by this field: paging stops once it is older than lower - margin.
    order_field: str | None = None
    order_margin: timedelta = timedelta(0)
    description: str = ""

    async def fetch(
        self, hook: SignalWireAsyncHook, lower: datetime, notices: _Notices | None = None
    ) -> list[tuple[datetime, str, Any]]:
        """Kept items timestamped ``lower`` or later, as ``(timestamp, id, item)``, oldest first.

        An item whose timestamp cannot be read (or is out of range) is skipped with a warning, once per
        item for the same ``notices``; it never stops the watch."""
        path = self.path
        if "{project_id}" in path:
            path = path.format(project_id=(await hook.get_settings()).project_id)
        params = self.params(lower) if self.params else None
        found: dict[str, tuple[datetime, str, Any]] = {}
        old_run = 0
        async for item in hook.paginate(path, params=params, page_size=PAGE_SIZE):
            if not isinstance(item, Mapping):
                continue
            if self.order_field is not None:
                ordered = parse_timestamp(item.get(self.order_field))
                if ordered is not None:
                    old_run = old_run + 1 if ordered < lower - self.order_margin else 0
                    if old_run >= OLD_RUN:
                        break
            raw = item.get(self.time_field)
            when = parse_timestamp(raw)
            item_id = item.get(self.id_field)
            if not item_id or not self.keep(item):
                continue
            if when is None:
                if notices is None or notices.first(("time", str(item_id), _shown(raw))):
                    log.warning(
                        "Skipping SignalWire %s item %s: its %s %s is not a timestamp that can be read.",
                        self.kind,
                        _shown(item_id),
                        self.time_field,
                        _shown(raw),
                    )
                continue
            if when < lower:
                continue
            found[str(item_id)] = (when, str(item_id), dict(item))
        return sorted(found.values(), key=lambda entry: (entry[0], entry[1]))


def _logs(family: str) -> Listing:
    return Listing(
        kind=f"{family}_logs",
        path=f"/api/{family}/logs",
        time_field="created_at",
        id_field="id",
        default_overlap=120.0,
        # "after" may be exclusive: ask from a second earlier and filter here.
        params=lambda lower: {"created_after": api_time(lower - timedelta(seconds=1))},
        order_field="created_at",
        description=f"new records of /api/{family}/logs (by created_at)",
    )


def _completed_compat(kind: str, resource: str, what: str) -> Listing:
    """A Compatibility API list of items that complete (call recordings, transcriptions), by
    ``date_updated``. ``DateCreated>`` is a whole UTC day, on the item's start; one that started more
    than a day before it completed is not looked for."""
    return Listing(
        kind=kind,
        path=f"/api/laml/2010-04-01/Accounts/{{project_id}}/{resource}",
        time_field="date_updated",
        id_field="sid",
        default_overlap=300.0,
        keep=lambda item: item.get("status") == "completed",
        params=lambda lower: {"DateCreated>": (lower - timedelta(days=1)).date().isoformat()},
        order_field="date_created",
        order_margin=timedelta(hours=24),
        description=f"Compatibility API {what} that completed (by date_updated)",
    )


LISTINGS: dict[str, Listing] = {
    listing.kind: listing
    for listing in (
        Listing(
            kind="recordings",
            path="/api/video/room_recordings",
            time_field="finished_at",
            id_field="id",
            default_overlap=300.0,
            keep=lambda item: item.get("status") == "completed",
            # No date filter; the list is newest first by created_at. A recording that started more
            # than a day before it finished is not looked for.
            order_field="created_at",
            order_margin=timedelta(hours=24),
            description="room recordings that completed (by finished_at)",
        ),
        Listing(
            kind="inbound_messages",
            path="/api/laml/2010-04-01/Accounts/{project_id}/Messages",
            time_field="date_sent",
            id_field="sid",
            default_overlap=120.0,
            keep=lambda item: str(item.get("direction", "")).startswith("inbound"),
            # DateSent> is a whole UTC day; a day earlier is safe whether "after" includes the day or not.
            params=lambda lower: {
                "Status": "received",
                "DateSent>": (lower - timedelta(days=1)).date().isoformat(),
            },
            order_field="date_sent",
            description="Compatibility API messages received by the space's numbers (by date_sent)",
        ),
        _completed_compat("call_recordings", "Recordings", "call recordings"),
        _completed_compat("transcriptions", "Transcriptions", "recording transcriptions"),
        Listing(
            kind="received_faxes",
            path="/api/laml/2010-04-01/Accounts/{project_id}/Faxes",
            time_field="date_updated",
            id_field="sid",
            default_overlap=300.0,
            keep=lambda item: item.get("direction") == "inbound" and item.get("status") == "received",
            # DateCreatedAfter is strictly after: ask from a second earlier (a fax received over a long
            # line is created when it starts arriving: a day of margin, as for recordings).
            params=lambda lower: {"DateCreatedAfter": api_time(lower - timedelta(days=1, seconds=1))},
            order_field="date_created",
            order_margin=timedelta(hours=24),
            description="Compatibility API faxes received by the space's numbers (by date_updated)",
        ),
        *(_logs(family) for family in ("voice", "messaging", "fax", "video")),
    )
}


def listing_named(kind: str) -> Listing:
    if kind not in LISTINGS:
        raise ValueError(f"kind: unknown kind {kind!r}; expected one of {sorted(LISTINGS)}")
    return LISTINGS[kind]


def poll_failure(err: BaseException) -> str | None:
    """None when a failed poll should be repeated at the next interval (429, 5xx, network failures that
    survived the hook's retries); otherwise why watching cannot go on (401, 403, 404, TLS, config)."""
    if isinstance(err, SignalWireConfigError):
        return str(err)
    if isinstance(err, SignalWireAPIError):
        if err.status_code in RETRYABLE_STATUSES:
            return None
        if err.status_code is None:
            reason = str(err.reason or "")
            return str(err) if reason.startswith((FAILURE_WORDS["tls"], FAILURE_WORDS["invalid"])) else None
        return str(err)
    return f"{type(err).__name__}: {err}"


def _stop_if_fatal(kind: str, err: BaseException) -> None:
    """Raise :class:`SignalWireWatchError` when ``err`` ends the watch (:func:`poll_failure`)."""
    fatal = poll_failure(err)
    if fatal is not None:
        raise SignalWireWatchError(f"Watching SignalWire {kind} stopped: {fatal}") from None


# ------------------------------------------------------------------------------------ the watermark


@dataclass
class Watermark:
    """Every item older than ``after`` is done; ``seen`` holds the done items at or after it (id: time)."""

    after: datetime
    seen: dict[str, datetime] = field(default_factory=dict)

    def is_new(self, when: datetime, item_id: str) -> bool:
        return when >= self.after and item_id not in self.seen

    def advance(
        self,
        covered_from: datetime,
        items: list[tuple[datetime, str, Any]],
        overlap: float,
        now: datetime | None = None,
    ) -> None:
        """Mark ``items`` done (a complete listing from ``covered_from`` on) and move ``after`` up.

        Items dated more than ``FUTURE_SKEW`` after ``now`` are marked done (kept in ``seen`` with their
        own time, so they are not announced again) but do not move ``after``."""
        for when, item_id, _ in items:
            if when >= self.after:
                self.seen[item_id] = when
        newest = max((when for when, _, _ in items if not _ahead(when, now)), default=None)
        candidates = [self.after, covered_from]
        if newest is not None:
            candidates.append(newest - timedelta(seconds=overlap))
        self.after = max(candidates)
        self.seen = {i: w for i, w in self.seen.items() if w >= self.after}

    def rewind(self, now: datetime) -> bool:
        """Bring ``after`` back to ``now`` if it is more than ``FUTURE_SKEW`` ahead of it (kept by an
        earlier version after an item dated far ahead, or by a clock that was wrong), so the watch is
        not blind until then. ``seen`` is kept: nothing is announced twice."""
        if not _ahead(self.after, now):
            return False
        self.after = now
        return True

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "after": iso_utc(self.after),
            "seen": {i: iso_utc(w) for i, w in sorted(self.seen.items())},
        }

    @classmethod
    def from_json(cls, value: Any) -> Watermark | None:
        if not isinstance(value, Mapping) or value.get("version") != 1:
            return None
        after = parse_timestamp(value.get("after"))
        seen_raw = value.get("seen")
        if after is None or not isinstance(seen_raw, Mapping):
            return None
        seen = {str(i): w for i, raw in seen_raw.items() if (w := parse_timestamp(raw)) is not None}
        return cls(after, seen)


def _ahead(when: datetime, now: datetime | None) -> bool:
    """Dated more than ``FUTURE_SKEW`` after ``now``."""
    return now is not None and when > now + FUTURE_SKEW


class _StateStore:
    """The watched asset's state store, or nothing. A trigger that watches several assets (identical
    watchers on different assets are one trigger in Airflow) keeps the watermark in each of them."""

    def __init__(self, store: Any, key: str) -> None:
        self._store, self.key = store, key

    @property
    def available(self) -> bool:
        return self._store is not None

    def _accessors(self) -> list[Any]:
        store = self._store
        inner = [*getattr(store, "_by_name", {}).values(), *getattr(store, "_by_uri", {}).values()]
        return inner if len(inner) > 1 else [store]

    async def load(self) -> Watermark | None:
        if self._store is None:
            return None
        marks = [Watermark.from_json(await accessor.aget(self.key)) for accessor in self._accessors()]
        if not marks or any(mark is None for mark in marks):
            return None  # one asset without a watermark: start from now for all
        # The least advanced one, so no asset misses an item.
        return min((m for m in marks if m is not None), key=lambda m: m.after)

    async def save(self, mark: Watermark) -> None:
        if self._store is None:
            return
        value = mark.to_json()
        for accessor in self._accessors():
            await accessor.aset(self.key, value)


# ------------------------------------------------------------------------------------ the trigger


class SignalWireNewItemsTrigger(BaseEventTrigger):
    """
    Fire one event per new item of a SignalWire list: for ``AssetWatcher`` (Airflow 3).

    ::

        Asset("signalwire_recordings", watchers=[AssetWatcher(
            name="signalwire_recordings_watcher",
            trigger=SignalWireNewItemsTrigger(kind="recordings", poll_interval=60),
        )])

    :param kind: What to watch: ``"recordings"`` (room recordings that completed, by ``finished_at``),
        ``"inbound_messages"`` (Compatibility API messages received by the space's numbers, by
        ``date_sent``), ``"call_recordings"`` and ``"transcriptions"`` (Compatibility API call recordings
        and transcriptions that completed, by ``date_updated``), ``"received_faxes"`` (faxes received by
        the space's numbers, by ``date_updated``), ``"voice_logs"``, ``"messaging_logs"``,
        ``"fax_logs"`` or ``"video_logs"`` (new records of ``/api/<family>/logs``, by ``created_at``).
    :param signalwire_conn_id: The SignalWire connection; only its id is serialized, never a secret.
    :param poll_interval: Seconds between polls (default 60).
    :param filters: Fire only for items whose fields equal these values, e.g. ``{"to": "+15551234567"}``
        for the messages to one number. Triggers that differ only in ``filters`` share one poll.
    :param overlap: Seconds an item may show up late in the listing (its timestamp older than the newest
        one already seen) and still be caught. Default per kind: 300 for recordings, transcriptions and
        faxes, 120 otherwise.

    Each event's payload: ``{"kind", "id", "timestamp" (RFC 3339), "item" (the item as the API listed
    it)}``. In a DAG scheduled on the asset, the events are ``triggering_asset_events[asset]``, each
    with ``extra["payload"]``; several events that arrive together may start one run.

    The watermark is kept in the watched asset's state store (Airflow 3.3) under
    ``signalwire.new_items.<kind>`` (plus a hash of ``filters``), so a triggerer restart neither misses
    nor repeats items. It is written a few seconds after the events it covers (once the triggerer has
    stored them): a triggerer killed within those seconds delivers those items again rather than losing
    them. Without a state store it starts from now, and items that arrive while no triggerer runs are
    not seen.

    An item dated more than ``FUTURE_SKEW`` (a minute) after now is announced once but does not move the
    watermark, so later items are still seen; an item whose timestamp cannot be read or is out of range
    is skipped with a warning.
    """

    # Seconds between yielding events and writing the watermark that covers them: the triggerer hands
    # events to Airflow's database about once a second, so after this they are stored.
    persist_delay: float = 3.0

    def __init__(
        self,
        *,
        kind: str,
        signalwire_conn_id: str = "signalwire_default",
        poll_interval: float = 60.0,
        filters: Mapping[str, Any] | None = None,
        overlap: float | None = None,
    ) -> None:
        super().__init__()
        listing = listing_named(kind)
        if not signalwire_conn_id or not isinstance(signalwire_conn_id, str):
            raise ValueError("signalwire_conn_id: give the id of a SignalWire connection")
        poll = float(poll_interval)
        if not poll >= MIN_POLL_INTERVAL:
            raise ValueError(
                f"poll_interval: must be at least {MIN_POLL_INTERVAL} seconds, got {poll_interval!r}"
            )
        if filters is not None and not isinstance(filters, Mapping):
            raise ValueError(f"filters: expected a dict of field -> value, got {type(filters).__name__}")
        slack = listing.default_overlap if overlap is None else float(overlap)
        if not slack >= 0:
            raise ValueError(f"overlap: must be 0 or more seconds, got {overlap!r}")
        self.kind = kind
        self.signalwire_conn_id = signalwire_conn_id
        self.poll_interval = poll
        self.filters = dict(filters) if filters else None
        self.overlap = slack
        if not hasattr(self, "asset_state_store"):  # Airflow 2.11's BaseTrigger
            self.asset_state_store = None

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "kind": self.kind,
                "signalwire_conn_id": self.signalwire_conn_id,
                "poll_interval": self.poll_interval,
                "filters": self.filters,
                "overlap": self.overlap,
            },
        )

    @property
    def state_key(self) -> str:
        """The key of this trigger's watermark in the asset state store."""
        key = f"{STATE_KEY_PREFIX}.{self.kind}"
        if self.filters:
            digest = hashlib.sha256(
                json.dumps(self.filters, sort_keys=True, default=str).encode()
            ).hexdigest()
            key += f".{digest[:16]}"
        return key

    def shared_stream_key(self) -> Hashable | None:
        """Triggers of the same listing, connection, interval and overlap share one poll."""
        return ("signalwire-new-items", self.signalwire_conn_id, self.kind, self.poll_interval, self.overlap)

    @classmethod
    async def open_shared_stream(cls, kwargs: dict[str, Any]) -> AsyncIterator[Any]:
        """Poll the listing forever; each raw event is ``{"lower", "items"}``: every kept item with a
        timestamp of ``lower`` or later, oldest first. Transient failures skip one interval; 401, 403,
        404 and configuration errors end the stream (every watcher of it fails with that message)."""
        from airflow_provider_signalwire.hooks.signalwire_async import SignalWireAsyncHook

        trigger = cls(**kwargs)
        listing = listing_named(trigger.kind)
        hook = SignalWireAsyncHook(signalwire_conn_id=trigger.signalwire_conn_id)
        cursor = datetime.now(timezone.utc)  # the newest timestamp seen, or when the stream opened
        notices = _Notices()
        while True:
            lower = cursor - timedelta(seconds=trigger.overlap)
            try:
                items = await listing.fetch(hook, lower, notices)
            except Exception as err:
                _stop_if_fatal(listing.kind, err)
                log.warning(
                    "Polling SignalWire %s failed (%s); next poll in %ss.",
                    listing.kind,
                    err,
                    trigger.poll_interval,
                )
            else:
                now = datetime.now(timezone.utc)
                for when, item_id, _ in items:
                    if _ahead(when, now) and notices.first(("ahead", item_id)):
                        log.warning(
                            "SignalWire %s item %s is dated %s, more than %ss after now: it is announced, "
                            "but the watermark does not move there.",
                            listing.kind,
                            _shown(item_id),
                            iso_utc(when),
                            FUTURE_SKEW.total_seconds(),
                        )
                # An item dated far ahead does not move the cursor: the next poll still asks from now on.
                cursor = max([cursor, *(when for when, _, _ in items if not _ahead(when, now))])
                yield {"lower": lower, "items": items}
            await asyncio.sleep(trigger.poll_interval)

    async def filter_shared_stream(self, shared_stream: AsyncIterator[Any]) -> AsyncIterator[TriggerEvent]:
        """Turn the shared polls into this trigger's events, keeping its watermark."""
        store = _StateStore(self.asset_state_store, self.state_key)
        mark = await store.load()
        listing = listing_named(self.kind)
        if mark is None:
            why = "no watermark stored yet" if store.available else "no asset state store (Airflow < 3.3)"
            self.log.info("Watching SignalWire %s from its first poll (%s).", listing.kind, why)
        else:
            ahead = iso_utc(mark.after)
            if mark.rewind(datetime.now(timezone.utc)):
                self.log.warning(
                    "The stored watermark of SignalWire %s is %s, more than %ss after now: watching from "
                    "now instead (the ids already announced are kept).",
                    listing.kind,
                    ahead,
                    FUTURE_SKEW.total_seconds(),
                )
            self.log.info(
                "Watching SignalWire %s from the stored watermark %s.", listing.kind, iso_utc(mark.after)
            )
        hook: SignalWireAsyncHook | None = None
        notices = _Notices()
        async for snapshot in shared_stream:
            lower: datetime = snapshot["lower"]
            items: list[tuple[datetime, str, Any]] = snapshot["items"]
            if mark is None:
                # Starting from now: whatever the first poll lists already existed.
                mark = Watermark(lower, {item_id: when for when, item_id, _ in items})
                await store.save(mark)
                continue
            if mark.after < lower:
                # The shared poll starts later than this watermark (a restart, or a late joiner):
                # catch up once with a poll of our own, which covers everything the shared one does.
                if hook is None:
                    from airflow_provider_signalwire.hooks.signalwire_async import SignalWireAsyncHook

                    hook = SignalWireAsyncHook(signalwire_conn_id=self.signalwire_conn_id)
                try:
                    items = await listing.fetch(hook, mark.after, notices)
                except Exception as err:
                    _stop_if_fatal(listing.kind, err)
                    self.log.warning(
                        "Catching up on SignalWire %s failed (%s); trying again.", listing.kind, err
                    )
                    continue
            before = mark.to_json()
            fired = 0
            for when, item_id, item in items:
                if mark.is_new(when, item_id) and self._matches(item):
                    mark.seen[item_id] = when
                    fired += 1
                    yield TriggerEvent(
                        {"kind": self.kind, "id": item_id, "timestamp": iso_utc(when), "item": item}
                    )
            mark.advance(lower, items, self.overlap, datetime.now(timezone.utc))
            if mark.to_json() != before:
                if fired:
                    await asyncio.sleep(self.persist_delay)
                await store.save(mark)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Without Airflow's shared-stream manager (before 3.3, unit tests): a poll of its own."""
        kwargs = self.serialize()[1]
        async for event in self.filter_shared_stream(type(self).open_shared_stream(kwargs)):
            yield event

    def _matches(self, item: Mapping[str, Any]) -> bool:
        return not self.filters or all(item.get(k) == v for k, v in self.filters.items())
