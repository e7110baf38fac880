"""Masking the credentials in whatever a server sends back, and shortening text for messages."""

from __future__ import annotations

import bisect
import re
from typing import Any

from airflow_provider_signalwire.lazy import LazyPattern

# How one character may come back encoded in an answer: JSON and Python escapes, percent-encoding, HTML
# character references. Decoded (below) only to find a secret; the text shown keeps its own form.
_ESCAPE = LazyPattern(
    r"\\u[0-9a-fA-F]{4}|\\x[0-9a-fA-F]{2}|\\[\\/\"']|%[0-9a-fA-F]{2}|&#[0-9]{1,7};|&#[xX][0-9a-fA-F]{1,6};"
    r"|&(?:amp|lt|gt|quot|apos);"
)
# The same without percent-encoding, for a secret that holds a literal "%41" inside JSON or HTML.
_ESCAPE_NO_PERCENT = LazyPattern(_ESCAPE.pattern.replace("|%[0-9a-fA-F]{2}", ""))
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'"}


def _unescape(unit: str) -> str:
    if unit in _ENTITIES:
        return _ENTITIES[unit]
    if unit[0] == "\\" and len(unit) == 2:
        return unit[1]
    if unit[0] == "%":
        return chr(int(unit[1:], 16))
    if unit.startswith(("\\u", "\\x")):
        return chr(int(unit[2:], 16))
    code = int(unit[3:-1], 16) if unit[2] in "xX" else int(unit[2:-1])
    return chr(code) if code <= 0x10FFFF else "\ufffd"


def _decoded(text: str, escape: LazyPattern) -> tuple[str, list[tuple[int, int, int]]] | None:
    """``text`` with every escape undone, and where each escape was: ``(decoded index, raw start, raw
    end)``. None when there is nothing to undo."""
    units = [(m.start(), m.end(), _unescape(m.group())) for m in escape.finditer(text)]
    if not units:
        return None
    parts: list[str] = []
    where: list[tuple[int, int, int]] = []
    raw = length = 0
    for start, end, char in units:
        parts.append(text[raw:start])
        length += start - raw
        where.append((length, start, end))
        parts.append(char)
        length += 1
        raw = end
    parts.append(text[raw:])
    return "".join(parts), where


class Redactor:
    """Replaces every form of the credentials in text (and in parsed JSON) with ``***``.

    Applied to whatever a server sends back before it is put into an exception, a log line or a
    return value, so an answer that echoes the token cannot carry it out, whether or not Airflow's
    secrets masker runs in this process. It runs on the whole text, before anything is shortened.

    Besides each secret as given, every piece of ``FRAGMENT`` characters or more of a ``fragments``
    string is masked, as written or encoded (JSON ``\\uXXXX``/``\\/`` escapes, ``%XX``, HTML character
    references): a cut or encoded echo of the token carries no usable part of it.
    """

    MASK = "***"
    FRAGMENT = 12

    def __init__(self, secrets: tuple[str, ...], fragments: tuple[str, ...] = ()) -> None:
        self._secrets = tuple(s for s in secrets if s)
        self._pattern = re.compile("|".join(re.escape(s) for s in self._secrets)) if self._secrets else None
        # Tiles of FRAGMENT/2 characters at every FRAGMENT/2-th position: any FRAGMENT characters of a
        # secret hold a whole tile, so only the tiles are searched for, and each hit is grown to the
        # full run of the secret around it (a secret shorter than FRAGMENT is one tile, found whole).
        self._pieces: dict[str, list[tuple[str, int]]] = {}
        half = self.FRAGMENT // 2
        for secret in (f for f in fragments if f):
            starts = range(0, len(secret) - half + 1, half) if len(secret) >= self.FRAGMENT else [0]
            for start in starts:
                tile = secret[start : start + half] if len(secret) >= self.FRAGMENT else secret
                self._pieces.setdefault(tile, []).append((secret, start))

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"

    def __call__(self, value: Any) -> Any:
        """Redact a string, or every string inside lists and dicts (keys too); other values pass."""
        if self._pattern is None and not self._pieces:
            return value
        if isinstance(value, str):
            if self._pattern is not None:
                value = self._pattern.sub(self.MASK, value)
            return self._mask_pieces(value) if self._pieces else value
        if isinstance(value, bytes):
            return self(value.decode("utf-8", "replace"))
        if isinstance(value, list | tuple):
            return [self(v) for v in value]
        if isinstance(value, dict):
            return {self(k): self(v) for k, v in value.items()}
        return value

    def _mask_pieces(self, text: str) -> str:
        spans = self._spans(text)
        has_escape = "\\" in text or "&" in text
        for escape in (_ESCAPE, _ESCAPE_NO_PERCENT) if has_escape or "%" in text else ():
            if escape is _ESCAPE_NO_PERCENT and not has_escape:
                continue
            decoded = _decoded(text, escape)
            if decoded is None:
                continue
            view, where = decoded
            starts = [w[0] for w in where]
            spans += [
                (_raw_index(s, where, starts, False), _raw_index(e - 1, where, starts, True))
                for s, e in self._spans(view)
            ]
        if not spans:
            return text
        spans.sort()
        out: list[str] = []
        done = 0
        for start, end in spans:
            if end <= done:
                continue
            if start > done:
                out.append(text[done:start])
                out.append(self.MASK)
            elif not out or out[-1] != self.MASK:
                out.append(self.MASK)
            done = end
        out.append(text[done:])
        return "".join(out)

    def _spans(self, text: str) -> list[tuple[int, int]]:
        """Where runs of a secret of FRAGMENT characters or more (or a whole shorter secret) are in
        ``text``: a str.find per tile (C scans), then a character loop only around a hit."""
        spans: list[tuple[int, int]] = []
        for tile, places in self._pieces.items():
            at = text.find(tile)
            while at != -1:
                for secret, start in places:
                    left = 0
                    while left < start and left < at and text[at - left - 1] == secret[start - left - 1]:
                        left += 1
                    end, right = at + len(tile), start + len(tile)
                    while right < len(secret) and end < len(text) and text[end] == secret[right]:
                        end, right = end + 1, right + 1
                    if end - (at - left) >= min(self.FRAGMENT, len(secret)):
                        spans.append((at - left, end))
                at = text.find(tile, at + 1)
        return spans


def _raw_index(index: int, where: list[tuple[int, int, int]], starts: list[int], end: bool) -> int:
    """Where decoded character ``index`` starts in the raw text (ends, when ``end``); see :func:`_decoded`."""
    i = bisect.bisect_right(starts, index) - 1
    if i >= 0 and where[i][0] == index:  # an escape: all of it
        return where[i][2] if end else where[i][1]
    # A plain character: as far from the last escape before it as in the decoded text.
    raw = index if i < 0 else where[i][2] + (index - where[i][0] - 1)
    return raw + 1 if end else raw


def no_redaction(value: Any) -> Any:
    return value


def _plain_text(text: str) -> bool:
    """No whitespace and no control or other unprintable characters (one C pass, not a per-character loop:
    every whitespace character but " " is unprintable)."""
    return text.isprintable() and " " not in text


def shorten(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
