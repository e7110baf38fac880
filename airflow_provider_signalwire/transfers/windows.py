"""Time windows of the log exports: how [start, end) is cut (:func:`split_window`, :func:`split_days`),
and :class:`Windows`, which lists several windows of one log family at once, on the hook's one
session (one connection pool), each listing with its own retries (``SignalWireHook.paginate_pages``),
and hands their results back newest window first.

The split adapts to where the records are: while a worker is idle, a window still getting full pages
hands the part it has not listed yet to the idle workers (:meth:`Windows.split`).  Windows always cut
[start, end) into adjacent half-open pieces, so every moment belongs to exactly one of them.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

# Worker threads for concurrent windows.  requests' default pool keeps 10 connections per host:
# staying below it lets every window reuse a kept-alive connection.
MAX_CONCURRENT_WINDOWS = 8
# Splits stop while this many windows are listed or spooled but not yet copied: each holds a temporary
# file open until its turn comes.
MAX_OPEN_WINDOWS = 64

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"


class Cancelled(Exception):
    """Raised inside a window's listing when another window failed (the export is abandoned)."""


@dataclass(eq=False)
class Window:
    """[lo, hi) of the export.  ``hi`` never changes; ``lo`` rises when the window's older part is split
    off (only by the worker listing it, through :meth:`Windows.split`)."""

    lo: datetime
    hi: datetime
    state: str = PENDING
    result: Any = None
    error: BaseException | None = None

    def __str__(self) -> str:
        return f"[{self.lo.isoformat()}, {self.hi.isoformat()})"


def split_window(start: datetime, end: datetime, parts: int) -> list[tuple[datetime, datetime]]:
    """[start, end) cut into ``parts`` adjacent half-open slices (exact, to the microsecond), newest first
    (the order SignalWire lists records in).  Slices too thin to exist are dropped."""
    total = (end - start) // timedelta(microseconds=1)
    bounds = [start + timedelta(microseconds=total * k // parts) for k in range(parts + 1)]
    slices = [(a, b) for a, b in itertools.pairwise(bounds) if a < b] or [(start, end)]
    return slices[::-1]


def split_days(start: datetime, end: datetime, parts: int) -> list[tuple[datetime, datetime]]:
    """[start, end) cut at UTC midnights into at most ``parts`` slices of whole days (the first and last
    may be partial), newest first.  The Compatibility date filters take whole days: slices within one
    day would each list that day (and its margins) again, so a window inside one UTC day stays whole."""
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    cuts = []
    while midnight < end:
        cuts.append(midnight)
        midnight += timedelta(days=1)
    pieces = len(cuts) + 1
    chosen = [cuts[pieces * k // parts - 1] for k in range(1, parts)] if pieces > parts else cuts
    bounds = [start, *dict.fromkeys(chosen), end]
    return [(a, b) for a, b in itertools.pairwise(bounds) if a < b][::-1] or [(start, end)]


def cut(lo: datetime, hi: datetime, parts: int) -> list[datetime]:
    """``parts + 1`` increasing bounds from ``lo`` to ``hi``, equal steps, inner ones on whole seconds
    when the steps are wide enough to keep them apart."""
    width = hi - lo
    inner = []
    for k in range(1, parts):
        bound = lo + width * k / parts
        whole = bound.replace(microsecond=0)
        inner.append(whole if whole > lo else bound)
    return sorted({lo, *(b for b in inner if lo < b < hi), hi})


class Windows:
    """The windows of one export and the workers listing them.

    ``bounds``: adjacent half-open windows, newest first.  ``min_split``: the narrowest window
    :meth:`split` may create, or None never to split (listings that cannot stop early).
    """

    def __init__(
        self,
        bounds: Sequence[tuple[datetime, datetime]],
        *,
        concurrency: int,
        min_split: timedelta | None = None,
    ) -> None:
        if not bounds or any(a[0] != b[1] for a, b in itertools.pairwise(bounds)):
            raise ValueError("bounds must be adjacent windows, newest first")
        self.cancelled = threading.Event()
        self.workers = max(1, min(concurrency, MAX_CONCURRENT_WINDOWS))
        self._min_split = min_split
        self._cond = threading.Condition()
        self._all = [Window(lo, hi) for lo, hi in bounds]
        self._pending = list(self._all)
        self._by_hi = {w.hi: w for w in self._all}
        self._top, self._bottom = bounds[0][1], bounds[-1][0]
        self._running = 0
        self._handed = 0  # windows whose results run() has handed out
        self._failed = False
        self.splits = 0

    @property
    def count(self) -> int:
        """How many windows there are (more after splits)."""
        with self._cond:
            return len(self._all)

    # ------------------------------------------------------------------ called by work

    def split(self, window: Window, frontier: datetime) -> list[Window]:
        """Called by the worker listing ``window``, between pages, once it has listed everything newer
        than ``frontier`` (the oldest time seen).  If workers are idle, [window.lo, frontier) is cut into
        equal parts: the older ones become new windows for them, ``window.lo`` rises to the newest
        part's start, and the worker must then stop once its listing passes below ``window.lo``.
        Returns the new windows (none when no worker is idle or the rest is too narrow)."""
        if self._min_split is None or self.cancelled.is_set():
            return []
        with self._cond:
            idle = self.workers - self._running - len(self._pending)
            idle = min(idle, MAX_OPEN_WINDOWS - (len(self._all) - self._handed))
            top = min(frontier, window.hi)
            if idle <= 0 or top <= window.lo:
                return []
            parts = min(idle + 1, (top - window.lo) // self._min_split)
            if parts < 2:
                return []
            bounds = cut(window.lo, top, parts)
            new = [Window(lo, hi) for lo, hi in itertools.pairwise(bounds[:-1])]
            if not new:
                return []
            for w in new:
                self._by_hi[w.hi] = w
            self._all += new
            self._pending += new
            window.lo = new[-1].hi
            self.splits += 1
            self._cond.notify_all()
            return new

    # ------------------------------------------------------------------ the workers

    def _take(self) -> Window | None:
        with self._cond:
            # A running window may still split: wait for it rather than leave.
            while not self._pending and self._running and not self.cancelled.is_set():
                self._cond.wait()
            if self.cancelled.is_set() or not self._pending:
                return None
            # Newest first: the file is written in that order.
            window = max(self._pending, key=lambda w: w.hi)
            self._pending.remove(window)
            window.state = RUNNING
            self._running += 1
            return window

    def _worker(self, work: Callable[[Window, Windows], Any]) -> None:
        while (window := self._take()) is not None:
            try:
                result = work(window, self)
            except BaseException as err:  # handed to the consumer, raised there
                with self._cond:
                    self._running -= 1
                    window.state, window.error = FAILED, err
                    if not isinstance(err, Cancelled):
                        self._cancel(failed=True)
                    self._cond.notify_all()
            else:
                with self._cond:
                    self._running -= 1
                    window.state, window.result = DONE, result
                    self._cond.notify_all()

    def _cancel(self, *, failed: bool = False) -> None:
        with self._cond:
            self._failed = self._failed or failed
            self.cancelled.set()
            self._pending.clear()
            self._cond.notify_all()

    # ------------------------------------------------------------------ the consumer

    def run(
        self, work: Callable[[Window, Windows], Any], release: Callable[[Any], None] | None = None
    ) -> Iterator[Any]:
        """Run ``work(window, self)`` for every window (at most ``workers`` at a time) and yield the
        results newest window first, each as soon as it and all newer ones are done.

        When one fails, ``cancelled`` is set for the others (``work`` should check it between pages),
        windows not yet started never start, and the failure of the newest failed window is raised once
        every worker has stopped.  Results not handed out are passed to ``release``.
        """
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="signalwire-window")
        loops = [pool.submit(self._worker, work) for _ in range(self.workers)]
        finished = False
        try:
            cursor = self._top
            while True:
                with self._cond:
                    window = self._by_hi[cursor]
                    while window.state in (PENDING, RUNNING) and not self._failed:
                        self._cond.wait()
                    if window.state != DONE or self._failed:
                        break
                    result, window.result = window.result, None
                    self._handed += 1
                yield result
                if window.lo <= self._bottom:
                    finished = True
                    break
                cursor = window.lo
        finally:
            if not finished:
                self._cancel()
            pool.shutdown(wait=True)
            for window in self._all:
                if window.result is not None and release is not None:
                    release(window.result)
                window.result = None
            for loop in loops:
                loop.result()  # a fault of the scheduler itself
        if not finished:
            newest_first = sorted(self._all, key=lambda w: w.hi, reverse=True)
            errors = [w.error for w in newest_first if w.error is not None]
            real = [e for e in errors if not isinstance(e, Cancelled)]
            raise (real or errors or [Cancelled()])[0]
