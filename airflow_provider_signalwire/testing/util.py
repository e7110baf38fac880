"""Small helpers shared by the fake's modules (time formats, ids, phone numbers)."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Generic, TypeVar

from airflow_provider_signalwire.protocol.permissions import TOKEN_PERMISSIONS

T = TypeVar("T")

E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")  # ASCII digits only: \d would match any script's digits
ROOM_NAME = re.compile(r"^[A-Za-z0-9_\-]+$")
# The API token permissions (the spec's list), plus ``voice``: a Voice-only test token of the fake's own.
ALL_SCOPES = (*TOKEN_PERMISSIONS, "voice")
COMPAT_PREFIX = "/api/laml/2010-04-01"


def new_id() -> str:
    return str(uuid.uuid4())


def iso(dt: datetime | None) -> str | None:
    """RFC 3339 with a ``Z`` suffix, as the ``/api/*`` families answer."""
    if dt is None:
        return None
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc2822(dt: datetime | None) -> str | None:
    """RFC 2822 (``Sat, 15 Sep 2018 10:00:00 +0000``), as the Compatibility API answers."""
    if dt is None:
        return None
    return dt.astimezone(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")


# Dates the fake accepts in filters and bodies: a margin inside datetime's range, so that adding
# a day (a whole-day filter) or converting time zones can never overflow.
EARLIEST = datetime(1, 1, 3, tzinfo=timezone.utc)
LATEST = datetime(9999, 12, 29, tzinfo=timezone.utc)


def parse_when(value: str) -> tuple[datetime, bool]:
    """Parse a date filter value; returns (UTC datetime, whether it was a bare date).

    Accepts ``YYYY-MM-DD``, ISO 8601 / RFC 3339 datetimes (naive = UTC), RFC 2822 and
    Unix timestamps.  Raises ValueError otherwise, also for dates outside years 1..9999.
    """
    value = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            d = date.fromisoformat(value)
            when, is_date = datetime(d.year, d.month, d.day, tzinfo=timezone.utc), True
        elif re.fullmatch(r"\d{1,20}(\.\d{1,9})?", value):
            when, is_date = datetime.fromtimestamp(float(value), tz=timezone.utc), False
        else:
            try:
                dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                dt = parsedate_to_datetime(value)
            if dt.tzinfo is None:
                dt = dt.replace(tzinfo=timezone.utc)
            when, is_date = dt.astimezone(timezone.utc), False
    except (TypeError, ValueError, IndexError, OverflowError, OSError) as exc:
        raise ValueError(f"invalid date: {value!r}") from exc
    if not EARLIEST <= when <= LATEST:
        raise ValueError(f"date out of range: {value!r}")
    return when, is_date


class LockedList(Generic[T]):
    """A list shared by the server thread and the test thread (request logs, pending faults)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[T] = []

    def append(self, item: T) -> None:
        with self._lock:
            self._items.append(item)

    def snapshot(self) -> list[T]:
        """A copy, oldest first."""
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
