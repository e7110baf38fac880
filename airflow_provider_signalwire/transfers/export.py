"""The pieces of a log export that involve no Airflow: log families, windows, encoders, atomic writes.

Nothing heavy is imported here at module level (no requests, aiohttp or fsspec): operator modules
import this when a DAG file is parsed.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit, urlunsplit

from airflow_provider_signalwire.exceptions import SignalWireConfigError, SignalWirePaginationError

if TYPE_CHECKING:
    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

UTC = timezone.utc
# The window asked of the API is wider than [start, end) by this much on each side (whatever the
# server's boundary rule and rounding); records are then kept by their own timestamp.
REST_MARGIN = timedelta(minutes=1)
# The Compatibility date filters take whole UTC days.
COMPAT_MARGIN = timedelta(days=1)
FORMATS = ("jsonl", "csv")
# CSV column holding the fields a family's spec does not list (JSON text), so none is lost.
CSV_OTHER = "_other"
PROGRESS_EVERY = 10  # pages
# The narrowest window split off a busy one.  A new window's listing starts REST_MARGIN above its end,
# records some other window writes: at 4 margins wide, at most a quarter of its span is listed twice.
MIN_SPLIT = 4 * REST_MARGIN


@dataclass(frozen=True)
class LogFamily:
    """One exportable listing: its path, its CSV columns (the spec's field order), the record field
    that places a record in time, and how the API filters it by time."""

    log_type: str
    path: str  # ``{project_id}`` is filled in for the Compatibility API
    columns: tuple[str, ...]
    time_fields: tuple[str, ...]  # the first one present and not null places the record
    date_filter: str | None = None  # Compatibility: ``DateSent`` / ``StartTime`` (with ``>`` / ``<``)

    def list_path(self, project_id: str) -> str:
        return self.path.format(project_id=quote(project_id, safe=""))

    def server_params(self, start: datetime, end: datetime) -> dict[str, str]:
        """Filters for a window slightly wider than [start, end)."""
        if self.date_filter:
            return {
                f"{self.date_filter}>": (start - COMPAT_MARGIN).date().isoformat(),
                f"{self.date_filter}<": (end + COMPAT_MARGIN).date().isoformat(),
            }
        return {
            "created_after": _api_time(start - REST_MARGIN, floor=True),
            "created_before": _api_time(end + REST_MARGIN, floor=False),
        }

    def record_time(self, record: Mapping[str, Any]) -> datetime:
        """The moment that places ``record`` in a window; raises ValueError if it has none."""
        rid = record.get("id") or record.get("sid") if isinstance(record, Mapping) else None
        for name in self.time_fields:
            value = record.get(name) if isinstance(record, Mapping) else None
            if value:
                try:
                    return parse_record_time(str(value))
                except ValueError as err:
                    raise ValueError(
                        f"a {self.log_type} record ({_short(rid)}) has {name} {err}: it cannot be placed in "
                        "a window, so the export stopped instead of dropping or duplicating it"
                    ) from None
        raise ValueError(
            f"a {self.log_type} record ({rid!r}) has no {' or '.join(self.time_fields)}: it cannot be placed "
            "in a window, so the export stopped instead of dropping or duplicating it"
        )


def _fields(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Columns: each listing's item schema in SignalWire's OpenAPI specs, in the spec's order.
LOG_FAMILIES: dict[str, LogFamily] = {
    f.log_type: f
    for f in (
        LogFamily(
            "voice",
            "/api/voice/logs",
            _fields(
                "id from to source charge charge_details created_at type url direction status duration "
                "duration_ms billing_ms parent_id discarded_at"
            ),
            ("created_at",),
        ),
        LogFamily(
            "messaging",
            "/api/messaging/logs",
            _fields(
                "id from to status direction kind source type url number_of_segments charge charge_details "
                "created_at error_message error_code"
            ),
            ("created_at",),
        ),
        LogFamily(
            "fax",
            "/api/fax/logs",
            _fields(
                "id from to status direction source type url remote_station charge number_of_pages quality "
                "charge_details created_at error_code error_message"
            ),
            ("created_at",),
        ),
        LogFamily(
            "video",
            "/api/video/logs",
            _fields(
                "id source type url room_name status locked started_at ended_at charge created_at "
                "charge_details discarded_at"
            ),
            ("created_at",),
        ),
        LogFamily(
            "conferences",
            "/api/logs/conferences",
            _fields(
                "id created_at project_id region name status max_size current_participants updated_at type "
                "recording_url recording_duration recording_file_size source url room_name locked started_at "
                "ended_at charge charge_details"
            ),
            ("created_at",),
        ),
        LogFamily(
            "compat_messages",
            "/api/laml/2010-04-01/Accounts/{project_id}/Messages",
            _fields(
                "sid account_sid api_version body num_segments num_media date_created date_sent date_updated "
                "direction error_code error_message from price price_unit status to messaging_service_sid "
                "uri subresource_uris"
            ),
            # DateSent filters on the send time; a message not sent (yet) is placed by its creation.
            ("date_sent", "date_created"),
            date_filter="DateSent",
        ),
        LogFamily(
            "compat_calls",
            "/api/laml/2010-04-01/Accounts/{project_id}/Calls",
            _fields(
                "sid account_sid date_created date_updated parent_call_sid to formatted_to to_formatted from "
                "formatted_from from_formatted phone_number_sid status start_time end_time duration price "
                "price_unit direction answered_by api_version forwarded_from caller_name uri "
                "subresource_uris annotation group_sid audio_in_mos sip_result_code audio_rtt_avg "
                "audio_rtt_min audio_rtt_max audio_out_jitter_min audio_out_jitter_max "
                "audio_out_jitter_avg audio_out_lost"
            ),
            # StartTime filters on the start; a call never answered is placed by its creation.
            ("start_time", "date_created"),
            date_filter="StartTime",
        ),
    )
}
LOG_TYPES = tuple(LOG_FAMILIES)


# --------------------------------------------------------------------------- times and windows

_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|z|[+-]\d{2}:?\d{2})?"
)


def parse_record_time(text: str) -> datetime:
    """An ISO 8601 / RFC 3339 (``/api/*``) or RFC 2822 (Compatibility) timestamp, as aware UTC.

    Raises a short ``ValueError`` for anything else, including a date, time or UTC offset out of range
    (``+99:00``, ``9999-12-31T23:59:59-12:00``, which is past the year 9999 in UTC)."""
    text = text.strip()
    match = _ISO.fullmatch(text)
    if not match:
        try:
            moment = parsedate_to_datetime(text)
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
        except (TypeError, ValueError, IndexError):
            raise ValueError(f"{_short(text)} is not an ISO 8601 or RFC 2822 timestamp") from None
        except OverflowError:
            raise ValueError(f"{_short(text)} is out of range in UTC") from None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz = UTC
    try:
        if offset and offset not in ("Z", "z"):
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    except ValueError:
        raise ValueError(f"{_short(text)} has a UTC offset out of range ({offset})") from None
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro, tz
        )
        return moment.astimezone(UTC)
    except ValueError:
        raise ValueError(f"{_short(text)} is not a real date and time") from None
    except OverflowError:
        raise ValueError(f"{_short(text)} is out of range in UTC") from None


def _short(value: Any, limit: int = 60) -> str:
    """``repr`` of API data for a message: escaped (lone surrogates, control characters), and short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def as_utc(value: Any, name: str) -> datetime | None:
    """A window bound from a datetime, a date or a rendered template (ISO date or datetime); naive
    times are UTC.  None or an empty string: None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        m = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
        # A plain datetime (Airflow passes pendulum's, whose arithmetic differs).
        return datetime(m.year, m.month, m.day, m.hour, m.minute, m.second, m.microsecond, tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str) and _ISO.fullmatch(value.strip()):
        try:
            return parse_record_time(value)
        except ValueError:
            pass
    raise SignalWireConfigError(
        f"{name} is {value!r}: give an ISO 8601 date or datetime, e.g. '2026-11-27' or "
        "'2026-11-27T00:00:00Z'."
    )


def _api_time(moment: datetime, *, floor: bool) -> str:
    """Whole seconds, rounded outwards, so the window asked never shrinks."""
    moment = moment.astimezone(UTC)
    if moment.microsecond and not floor:
        moment += timedelta(seconds=1)
    return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_z(moment: datetime) -> str:
    """``2026-11-27T00:00:00Z`` (microseconds only when there are some)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


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


# --------------------------------------------------------------------------- encoders


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# What UTF-8 cannot encode: lone surrogates ("\ud800"), which JSON answers may carry as escapes.
_SURROGATE = re.compile("[\ud800-\udfff]")
# OWASP's CSV injection list: a cell starting with one of these is a formula to a spreadsheet.
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(CSV_FORMULA_STARTS)
CSV_FORMULAS = ("escape", "raw")
# A plain decimal number ("+15551234567", "-5", "1.5e3") is read as that number, never run: left alone.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class EncodeTally:
    """What the encoders of one export changed to write its records, for the task log: records with
    text UTF-8 cannot encode, and CSV cells neutralised as formulas. Shared by the encoders of the
    parallel windows (threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.unencodable = 0
        self.formulas = 0

    def add(self, *, unencodable: int = 0, formulas: int = 0) -> None:
        with self._lock:
            self.unencodable += unencodable
            self.formulas += formulas


class JsonlEncoder:
    """One JSON object per line, keys sorted, UTF-8; the file starts with nothing. Text UTF-8 cannot
    encode (a lone surrogate) is written as its JSON escape (``\\ud800``), which reads back the same."""

    def __init__(self, family: LogFamily, *, tally: EncodeTally | None = None) -> None:
        self.family = family
        self.tally = tally or EncodeTally()

    def fork(self) -> JsonlEncoder:
        """A new encoder with the same options and tally (one per parallel window)."""
        return JsonlEncoder(self.family, tally=self.tally)

    def header(self) -> bytes:
        return b""

    def encode(self, record: Any) -> bytes:
        text = _json(record) + "\n"
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            # In JSON text a lone surrogate can only sit inside a string, where its escape means it.
            self.tally.add(unencodable=1)
            return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode("utf-8")


class CsvEncoder:
    """CSV (RFC 4180 quoting, ``\\n`` line ends, UTF-8): a header of the family's fields in the spec's
    order plus ``_other`` (the fields the spec does not list, as JSON text).  Lists and objects are JSON
    text, null is an empty cell, booleans are ``true`` / ``false``.

    With ``formulas="escape"`` (the default) a text cell that a spreadsheet would read as a formula (it
    starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, and is not a plain number such
    as ``+15551234567``) is written with a leading ``'``; ``"raw"`` writes it as it is. Text UTF-8
    cannot encode (a lone surrogate) is written as U+FFFD."""

    def __init__(
        self, family: LogFamily, *, formulas: str = "escape", tally: EncodeTally | None = None
    ) -> None:
        if formulas not in CSV_FORMULAS:
            raise ValueError(f"formulas is {formulas!r}: use 'escape' or 'raw'")
        self.family = family
        self.formulas = formulas
        self.tally = tally or EncodeTally()
        self.columns = family.columns
        self._known = frozenset(family.columns)
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\n")
        # Python's writer quotes a field holding "\n" but not one holding a bare "\r", which readers take
        # for a line break: such rows are written with every field quoted.
        self._quoting_writer = csv.writer(self._buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def fork(self) -> CsvEncoder:
        """A new encoder with the same options and tally (one per parallel window)."""
        return CsvEncoder(self.family, formulas=self.formulas, tally=self.tally)

    def _row(self, row: Iterable[Any]) -> bytes:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow(row)
        text = self._buffer.getvalue()
        if "\r" in text:
            self._buffer.seek(0)
            self._buffer.truncate()
            self._quoting_writer.writerow(row)
            text = self._buffer.getvalue()
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            self.tally.add(unencodable=1)
            return _SURROGATE.sub("\ufffd", text).encode("utf-8")

    def header(self) -> bytes:
        return self._row([*self.columns, CSV_OTHER])

    def encode(self, record: Any) -> bytes:
        if not isinstance(record, Mapping):
            record = {"_value": record}
        other = {k: v for k, v in record.items() if k not in self._known}
        cells = [_cell(record.get(name)) for name in self.columns]
        if self.formulas == "escape":
            cells = self._neutralised(cells)
        return self._row([*cells, _json(other) if other else ""])

    def _neutralised(self, cells: list[str]) -> list[str]:
        # Cells of null, booleans, lists and objects never start so; a number (-5 from JSON, or text
        # such as "+15551234567") is read as that number, not run, so it is left as it is.
        out = []
        changed = 0
        for cell in cells:
            if cell[:1] in _FORMULA_FIRST and not (
                (cell[0] in "+-" and cell[1:].isdigit() and cell.isascii())  # the common case, no regex
                or _PLAIN_NUMBER.fullmatch(cell)
            ):
                cell = "'" + cell
                changed += 1
            out.append(cell)
        if changed:
            self.tally.add(formulas=changed)
        return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return _json(value)


ENCODERS: dict[str, Callable[[LogFamily], JsonlEncoder | CsvEncoder]] = {
    "jsonl": JsonlEncoder,
    "csv": CsvEncoder,
}


def make_encoder(
    format: str, family: LogFamily, *, csv_formulas: str = "escape"
) -> JsonlEncoder | CsvEncoder:
    """The encoder of ``format`` (``jsonl`` or ``csv``) for ``family``."""
    if format == "csv":
        return CsvEncoder(family, formulas=csv_formulas)
    return ENCODERS[format](family)


# --------------------------------------------------------------------------- the export


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
) -> ExportStats:
    """List ``family``'s records of [start, end) and write them to ``out``, page by page.

    The API is asked for a slightly wider window; only records whose own time is in [start, end) are
    written, in the API's order (newest first).  With ``parallel_windows`` > 1, [start, end) is cut
    into that many slices listed concurrently (at most ``MAX_CONCURRENT_WINDOWS`` at a time), each
    spooled to a local temporary file, and the slices are copied to ``out`` newest first: the bytes are
    those of a sequential export.  The cut adapts to where the records are (``/api/*`` families): while
    a worker is idle, a slice still getting full pages hands the part it has not listed yet to the idle
    workers, in equal parts, and stops where that part begins.
    """
    from airflow_provider_signalwire.transfers.paging import Cancelled, Window, Windows

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
            for item in _keep(family, start, end, items):
                write(encoder.encode(item))
                stats.records += 1
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
                        spooled.write(local.encode(item))
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


# --------------------------------------------------------------------------- storage


def storage_path(destination: Any, name: str = "destination") -> Any:
    """``destination`` as an ``ObjectStoragePath`` (``file://``, ``s3://``, ... or an absolute local
    path), refusing what cannot be a file to write: empty, relative, a folder (trailing ``/``), an
    ``http(s)://`` URL, or a scheme whose filesystem is not installed (the rules of
    :mod:`airflow_provider_signalwire.storage`, shared by every operator that writes files)."""
    from airflow_provider_signalwire.storage import destination_url, open_destination

    text = destination_url(destination, name)
    path = open_destination(text, name)
    if not path.name:
        raise SignalWireConfigError(f"{name} is {text!r}: that names no file.")
    return path


def public_uri(path: Any) -> str:
    """The path's URL without a connection id or credentials (for assets, lineage and XCom)."""
    parts = urlsplit(str(path))
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def write_atomically(path: Any, write: Callable[[IO[bytes]], Any]) -> Any:
    """Write through ``write(file)`` to a temporary object beside ``path``, then move it onto ``path``.

    The final name is untouched until the data is complete (a rerun replaces it, a failure leaves
    what was there, or nothing); the temporary object is removed on failure.
    """
    if path.protocol in ("file", "local", ""):
        path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / f".{path.name}.{uuid.uuid4().hex[:12]}.tmp"
    try:
        with temporary.open("wb") as fh:
            result = write(fh)
        # fsspec's move: os.replace on a local disk; copy then delete on object stores, where the final
        # object appears whole or not at all.
        temporary.fs.mv(temporary.path, path.path)
    except BaseException:
        try:
            if temporary.exists():
                temporary.unlink()
        except Exception:  # pragma: no cover - the original error matters more
            pass
        raise
    return result
