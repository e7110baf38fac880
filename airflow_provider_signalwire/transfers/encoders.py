"""Encoders of the log exports: JSON Lines and CSV, one record at a time, to UTF-8 bytes."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from airflow_provider_signalwire.lazy import LazyPattern
from airflow_provider_signalwire.transfers.log_families import LogFamily

FORMATS = ("jsonl", "csv")
# CSV column holding the fields a family's spec does not list (JSON text), so none is lost.
CSV_OTHER = "_other"


# json.dumps with these options builds a new JSONEncoder on every call; one shared instance gives the
# same text (it keeps no state between calls) for a fraction of the per-record cost.
_JSON_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _json(value: Any) -> str:
    return _JSON_ENCODER.encode(value)


# What UTF-8 cannot encode: lone surrogates ("\ud800"), which JSON answers may carry as escapes.
_SURROGATE = LazyPattern("[\ud800-\udfff]")
# OWASP's CSV injection list: a cell starting with one of these is a formula to a spreadsheet.
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(CSV_FORMULA_STARTS)
CSV_FORMULAS = ("escape", "raw")
# A plain decimal number ("+15551234567", "-5", "1.5e3") is read as that number, never run: left alone.
_PLAIN_NUMBER = LazyPattern(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


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
