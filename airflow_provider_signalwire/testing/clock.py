"""A controllable clock for the fake space."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone


class FakeClock:
    """The fake space's notion of "now" (timezone-aware UTC).

    By default it starts at the real current time and runs at real speed, so a fake
    served for a demo behaves like a real space.  Tests usually want determinism:

    * ``clock.freeze()`` stops it; ``clock.advance(seconds)`` moves it forward;
    * ``clock.rate = 50`` makes it run 50 times faster than real time;
    * ``clock.set(datetime)`` jumps to an absolute (aware) time.

    Message and call statuses are derived from this clock on every read, so advancing
    it makes a queued message become sent, then delivered.
    """

    def __init__(self, start: datetime | None = None, *, rate: float = 1.0) -> None:
        self._lock = threading.Lock()
        self._base = (start or datetime.now(timezone.utc)).astimezone(timezone.utc)
        self._mono = time.monotonic()
        self._rate = rate

    def now(self) -> datetime:
        """The current fake time (aware, UTC)."""
        with self._lock:
            elapsed = (time.monotonic() - self._mono) * self._rate
            return self._base + timedelta(seconds=elapsed)

    def _rebase(self) -> None:
        elapsed = (time.monotonic() - self._mono) * self._rate
        self._base += timedelta(seconds=elapsed)
        self._mono = time.monotonic()

    @property
    def rate(self) -> float:
        """How many fake seconds pass per real second (0 means frozen)."""
        return self._rate

    @rate.setter
    def rate(self, value: float) -> None:
        with self._lock:
            self._rebase()
            self._rate = float(value)

    def freeze(self) -> None:
        """Stop the clock; it moves only through :meth:`advance` / :meth:`set`."""
        self.rate = 0.0

    def resume(self, rate: float = 1.0) -> None:
        """Let the clock run again (at ``rate`` fake seconds per real second)."""
        self.rate = rate

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward by ``seconds`` and return the new time."""
        with self._lock:
            self._base += timedelta(seconds=seconds)
        return self.now()

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (a naive datetime is taken as UTC)."""
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        with self._lock:
            self._base = when.astimezone(timezone.utc)
            self._mono = time.monotonic()
