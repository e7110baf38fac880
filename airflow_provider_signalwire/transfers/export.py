"""The log export engine: list one family's records of a window and write them, page by page.

Nothing heavy is imported here at module level (no requests, aiohttp or fsspec): operator modules
import this when a DAG file is parsed.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from airflow_provider_signalwire.exceptions import SignalWirePaginationError
from airflow_provider_signalwire.times import iso_z
from airflow_provider_signalwire.transfers.encoders import CsvEncoder, JsonlEncoder
from airflow_provider_signalwire.transfers.log_families import REST_MARGIN, LogFamily

if TYPE_CHECKING:
    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

PROGRESS_EVERY = 10  # pages
# The narrowest window split off a busy one.  A new window's listing starts REST_MARGIN above its end,
# records some other window writes: at 4 margins wide, at most a quarter of its span is listed twice.
MIN_SPLIT = 4 * REST_MARGIN


@dataclass
class ExportStats:
    records: int = 0
    pages: int = 0
    bytes: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def rate(self) -> float:
        return self.records / max(time.monotonic() - self.started, 1e-9)


def _keep(family: LogFamily, start: datetime, end: datetime, items: list[Any]) -> Iterator[Any]:
    for item in items:
        if start <= family.record_time(item) < end:
            yield item


def export_window(
    hook: SignalWireHook,
    family: LogFamily,
    start: datetime,
    end: datetime,
    out: IO[bytes],
    *,
    encoder: JsonlEncoder | CsvEncoder,
    page_size: int,
    parallel_windows: int = 1,
    progress: Callable[[ExportStats], None] | None = None,
    enrich: Callable[[Any], Any] | None = None,
) -> ExportStats:
    """List ``family``'s records of [start, end) and write them to ``out``, page by page.

    The API is asked for a slightly wider window; only records whose own time is in [start, end) are
    written, in the API's order (newest first).  With ``parallel_windows`` > 1, [start, end) is cut
    into that many slices listed concurrently (at most ``MAX_CONCURRENT_WINDOWS`` at a time), each
    spooled to a local temporary file, and the slices are copied to ``out`` newest first: the bytes are
    those of a sequential export.  The cut adapts to where the records are (``/api/*`` families): while
    a worker is idle, a slice still getting full pages hands the part it has not listed yet to the idle
    workers, in equal parts, and stops where that part begins. ``enrich(record)``, if given, returns
    each kept record as it is written (e.g. with its events, fetched through the hook).
    """
    from airflow_provider_signalwire.transfers.windows import (
        Cancelled,
        Window,
        Windows,
        split_days,
        split_window,
    )

    stats = ExportStats()
    path = family.list_path(hook.settings.project_id)

    def write(data: bytes) -> None:
        out.write(data)
        stats.bytes += len(data)

    def report() -> None:
        if progress is not None:
            progress(stats)

    write(encoder.header())
    if parallel_windows <= 1:
        for items in hook.paginate_pages(path, params=family.server_params(start, end), page_size=page_size):
            stats.pages += 1
            # One write per page: ``out`` may be an ObjectStoragePath file, whose every write call
            # costs far more than encoding a record (its lineage wrapper).
            kept = _keep(family, start, end, items)
            lines = [encoder.encode(enrich(item) if enrich else item) for item in kept]
            write(b"".join(lines))
            stats.records += len(lines)
            if stats.pages % PROGRESS_EVERY == 0:
                report()
        return stats

    hook.session  # noqa: B018  # build the one session before the threads share it
    # Splitting a busy window needs a listing that can stop where the split falls: newest first by the
    # time that places a record, which holds for /api/* (created_at).  The Compatibility filters take
    # whole days and the order need not follow date_sent / start_time: those are cut at UTC midnights
    # only, never split again.
    adaptive = family.date_filter is None
    windows = Windows(
        split_window(start, end, parallel_windows) if adaptive else split_days(start, end, parallel_windows),
        concurrency=parallel_windows,
        min_split=MIN_SPLIT if adaptive else None,
    )
    tally = _Tally(progress, stats.started)

    def spool(window: Window, board: Windows) -> tuple[IO[bytes], int, int]:
        # Each window has its own encoder (the CSV one keeps a buffer) and its own local spool file.
        local = encoder.fork()
        records = pages = 0
        spooled: IO[bytes] = tempfile.TemporaryFile(prefix="signalwire-window-")  # noqa: SIM115  # returned open
        try:
            params = family.server_params(window.lo, window.hi)
            last: datetime | None = None
            for items in hook.paginate_pages(path, params=params, page_size=page_size):
                if board.cancelled.is_set():
                    raise Cancelled()
                pages += 1
                kept = 0
                for item in items:
                    moment = family.record_time(item)
                    if adaptive:
                        if last is not None and moment > last:
                            raise _out_of_order(family, path, moment, last)
                        last = moment
                    if window.lo <= moment < window.hi:  # window.lo as of now: only this thread moves it
                        spooled.write(local.encode(enrich(item) if enrich else item))
                        kept += 1
                records += kept
                tally.add(kept)
                if not adaptive or last is None:
                    continue
                if last < window.lo:
                    break  # newest first: the rest is older (another window's, or outside the export)
                if len(items) >= page_size:  # more pages follow: hand what is not listed yet to idle workers
                    for new in board.split(window, last):
                        hook.log.debug("%s logs: %s split off for an idle worker.", family.log_type, new)
        except BaseException:
            spooled.close()
            raise
        spooled.seek(0)
        return spooled, records, pages

    for spooled, records, pages in windows.run(spool, release=lambda result: result[0].close()):
        with spooled:
            shutil.copyfileobj(spooled, out, 1024 * 1024)
            stats.bytes += spooled.tell()
        stats.records += records
        stats.pages += pages
    if windows.splits:
        hook.log.info(
            "%s logs: listed in %d windows (%d splits of busy windows for idle workers).",
            family.log_type,
            windows.count,
            windows.splits,
        )
    return stats


class _Tally:
    """Pages and records listed by every window so far, reported every ``PROGRESS_EVERY`` pages."""

    def __init__(self, progress: Callable[[ExportStats], None] | None, started: float) -> None:
        self._lock = threading.Lock()
        self._progress = progress
        self._stats = ExportStats(started=started)

    def add(self, records: int) -> None:
        with self._lock:
            self._stats.pages += 1
            self._stats.records += records
            if self._progress is not None and self._stats.pages % PROGRESS_EVERY == 0:
                self._progress(ExportStats(self._stats.records, self._stats.pages, 0, self._stats.started))


def _out_of_order(family: LogFamily, path: str, moment: datetime, last: datetime) -> Exception:
    return SignalWirePaginationError(
        method="GET",
        url=path,
        reason=(
            f"{family.log_type} records came out of newest-first order ({iso_z(moment)} after "
            f"{iso_z(last)}): parallel windows rely on that order to stop at their bounds"
        ),
        hint="Export with parallel_windows=1, which does not depend on the order.",
    )
