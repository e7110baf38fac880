"""Reading error answers and successful ones: error bodies, JSON, request ids, status hints."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from airflow_provider_signalwire.lazy import LazyPattern
from airflow_provider_signalwire.protocol.constants import MAX_DESCRIBED_ERRORS, REQUEST_ID_HEADERS
from airflow_provider_signalwire.protocol.redaction import no_redaction, shorten
from airflow_provider_signalwire.protocol.urls import scope_for_path

_ERROR_FIELDS = ("code", "message", "attribute", "type", "url", "detail", "title", "status", "more_info")


def parse_error_body(
    text: str | bytes | None, redact: Callable[[Any], Any] = no_redaction
) -> list[dict[str, Any]]:
    """Normalise every error body shape in the specs to a list of dicts.

    ``{"error": "..."}``; ``{"errors": [{type, code, message, attribute, url}]}``; relay
    ``{"errors": [{detail, status, title, code}]}``; Compatibility ``{code, message, more_info,
    status}``; or plain text. Each dict keeps only the known fields that are present. Every text is
    passed through ``redact`` whole, then shortened (the body as sent and each decoded string).
    """
    text = redact(text)
    if text is None:
        return []
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = text.strip()
    if not text:
        return []
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        return [{"message": shorten(text)}]
    if isinstance(body, dict):
        if isinstance(body.get("errors"), list):
            return [
                _pick(e, redact) if isinstance(e, dict) else {"message": shorten(redact(str(e)))}
                for e in body["errors"]
            ]
        if "error" in body:
            error = body["error"]
            if isinstance(error, dict):
                return [_pick(error, redact)]
            return [{"message": shorten(redact(str(error)))}]
        picked = _pick(body, redact)
        if picked:
            return [picked]
    return [{"message": shorten(text)}]


def _pick(entry: Mapping[str, Any], redact: Callable[[Any], Any] = no_redaction) -> dict[str, Any]:
    """The known fields of one error entry; strings redacted then shortened, anything odd turned into
    short text."""
    picked: dict[str, Any] = {}
    for key in _ERROR_FIELDS:
        value = entry.get(key)
        if value in (None, ""):
            continue
        if isinstance(value, str):
            value = shorten(redact(value))
        elif not isinstance(value, int | float | bool):
            value = shorten(redact(json.dumps(value, default=str)))
        picked[key] = value
    return picked


def describe_errors(errors: list[dict[str, Any]], omitted: int = 0) -> str:
    """One short readable line for the parsed errors (the first few; the count of the rest)."""
    parts = []
    for e in errors[:MAX_DESCRIBED_ERRORS]:
        message = str(e.get("message") or e.get("detail") or e.get("title") or "")
        if e.get("attribute"):
            message = f"{e['attribute']}: {message}"
        if e.get("code") not in (None, ""):
            message = f"{message} (code {e['code']})"
        if message:
            parts.append(shorten(message, 200))
    rest = max(0, len(errors) - MAX_DESCRIBED_ERRORS) + omitted
    if rest:
        parts.append(f"and {rest} more error{'s' if rest != 1 else ''}")
    return "; ".join(parts)


def parse_json_answer(content: bytes, content_type: str | None) -> Any:
    """The parsed body of a successful answer: JSON when labelled or shaped so, else text.

    Raises ``ValueError`` with a short reason when a JSON answer does not parse (or nests too deep),
    so a broken answer fails the call instead of passing as a string.
    """
    if not content:
        return None
    if "json" in (content_type or "").lower() or content.lstrip()[:1] in (b"{", b"["):
        # msgspec (which Airflow itself depends on) reads a page of records about three times as fast
        # as json, integers of any size exactly, and holds less memory while it reads. What it refuses
        # (NaN, Infinity, numbers past the float range, lone surrogates, UTF-16/32, a BOM, very deep
        # nesting, broken JSON) json reads or explains, so answers parse exactly as json reads them
        # (tests/unit/protocol/test_errors.py holds the cases and compares the two on generated documents).
        import msgspec  # imported here, not when a DAG file imports an operator

        try:
            return msgspec.json.decode(content)
        except (ValueError, RecursionError):  # msgspec.DecodeError is a ValueError, as is bad UTF-8
            pass
        try:
            return json.loads(content)
        except RecursionError:
            raise ValueError("the JSON answer is nested too deep to read") from None
        except ValueError as err:
            raise ValueError(
                f"the answer is labelled JSON but does not parse ({shorten(str(err), 80)})"
            ) from None
    return content.decode("utf-8", "replace")


def request_id_from(headers: Mapping[str, str], redact: Callable[[Any], Any] = no_redaction) -> str | None:
    """The answer's request id (redacted whole, then shortened)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in REQUEST_ID_HEADERS:
        if lowered.get(name):
            return shorten(redact(str(lowered[name])), 120)
    return None


_ROOM_BY_KEY = LazyPattern(r"/api/video/rooms/([^/]+)/?")
_UUID = LazyPattern(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def _room_name_in(path: str) -> str | None:
    """The room name in ``/api/video/rooms/{name}`` (SignalWire looks rooms up by id or by name), or
    None when the path is anything else or its segment is an id (SignalWire's ids are UUIDs)."""
    match = _ROOM_BY_KEY.fullmatch(path)
    if match is None:
        return None
    key = unquote(match.group(1))
    return None if _UUID.fullmatch(key) else shorten(key, 100)


def status_hint(status: int, path: str, host: str, location: str | None = None) -> str | None:
    """What to check after an error status, in words a user can act on."""
    if 300 <= status < 400:
        return (
            f"SignalWire answered with a redirect to {location!r}, which is not followed with credentials; "
            "check the Space URL"
        )
    if status in (401, 403):
        scope = scope_for_path(path)
        scope_text = f"that the token has the '{scope}' scope" if scope else "the token's scopes"
        if status == 401:
            return (
                f"Check the connection's Project ID (login) and API Token (password) for {host}, and "
                f"{scope_text} (space > API > tokens)."
            )
        return f"The token is valid but not allowed here: check {scope_text} (space > API > tokens)."
    if status == 404:
        name = _room_name_in(path)
        if name is not None:
            return (
                f"No room named {name!r} in this space: check the name, or list rooms with "
                "ListVideoRoomsOperator"
            )
        return "Check the path and the id in it"
    if status == 429:
        return "Rate limited by SignalWire; lower the call rate or raise max_retries"
    return None
