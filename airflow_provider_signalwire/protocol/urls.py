"""Paths, bodies, headers and the origin checks every request passes before it leaves the process."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_signalwire.protocol.constants import COMPATIBILITY_PREFIX, METHODS
from airflow_provider_signalwire.protocol.redaction import _plain_text, shorten
from airflow_provider_signalwire.protocol.settings import is_loopback

# Token scope of each API family, by path prefix (from the specs' security sections).
_SCOPES = (
    ("/api/video", "Video"),
    ("/api/messaging", "Messaging"),
    ("/api/voice", "Voice"),
    ("/api/calling", "Voice"),
    ("/api/fax", "Fax"),
    ("/api/chat", "Chat"),
    ("/api/pubsub", "PubSub"),
    ("/api/datasphere", "DataSphere"),
    ("/api/project", "Management"),
    ("/api/relay/rest", "Numbers or Voice"),
    ("/api/fabric", "Voice, Messaging, Fax or Video"),
    ("/api/logs/conferences", "Voice or Video"),
    ("/api/ai", "Chat"),
)
_COMPAT_SCOPES = {"Messages": "Messaging", "Calls": "Voice", "Faxes": "Fax", "Conferences": "Voice"}


@lru_cache(maxsize=256)
def is_compatibility_path(path: str) -> bool:
    return urlsplit(path).path.startswith(COMPATIBILITY_PREFIX)


class UnsafeURLError(ValueError):
    """A URL or path would take the request (and the credentials) away from the configured space."""


def validate_path(path: Any) -> str:
    """Return ``path`` as an absolute API path; refuse anything that could change the origin.

    Full URLs, protocol-relative ``//host`` forms, backslashes, control characters and ``..``
    segments (also percent-encoded) are refused: the host always comes from the connection.
    """
    if not isinstance(path, str) or not path.strip():
        raise ValueError("path is empty: give an API path such as '/api/video/rooms'.")
    return _validated_path(path)


@lru_cache(maxsize=4096)
def _validated_path(path: str) -> str:
    """:func:`validate_path` for a non-empty ``str``; a pure function of the text, so a poller's same
    path is checked once (a refused path raises each time: exceptions are not cached)."""
    path = path.strip()
    shown = shorten(path, 120)
    head = path.split("?", 1)[0]
    if "://" in head or path.startswith("//") or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", path):
        raise ValueError(
            f"path {shown!r} is a full URL: give only the path (e.g. '/api/video/rooms'); the host "
            "always comes from the connection, so credentials are never sent elsewhere."
        )
    if "\\" in path or not _plain_text(path):
        raise ValueError(f"path {shown!r} contains a backslash, a space or a control character: remove it.")
    if not path.startswith("/"):
        path = "/" + path
    if _has_dot_segment(path.split("?", 1)[0]):
        raise ValueError(f"path {shown!r} contains '.' or '..' segments: give the path without them.")
    if not path.startswith("/api/"):
        raise ValueError(f"path {shown!r} must start with '/api/' (every SignalWire endpoint does).")
    return path


def _has_dot_segment(path: str) -> bool:
    decoded = re.sub(r"%2e", ".", path, flags=re.IGNORECASE)
    return any(segment in (".", "..") for segment in re.split(r"/|%2f", decoded, flags=re.IGNORECASE))


_HEADER_NAME = r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$"


def check_headers(headers: Mapping[str, Any]) -> None:
    """Refuse headers a client library would refuse mid-send, so the request fails before it is sent."""
    for name, value in headers.items():
        if not re.match(_HEADER_NAME, str(name)):
            raise ValueError(f"header name {shorten(str(name), 60)!r} is not a valid HTTP header name")
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        if any(ch in text for ch in "\r\n\x00"):
            raise ValueError(f"header {name!r} contains a line break")
        try:
            text.encode("latin-1")
        except UnicodeEncodeError:
            raise ValueError(f"header {name!r} has characters HTTP headers cannot carry") from None


def check_download_url(url: Any) -> str:
    """A file host URL (a recording's ``uri``) that may be fetched, without credentials: https only
    (http to a loopback host), no user info, no control characters. Returns it."""
    shown = shorten(str(url), 120)
    ok = isinstance(url, str) and _plain_text(url) and "\\" not in url
    try:
        parts = urlsplit(url) if ok else None
    except ValueError:
        parts = None
    if parts is None or not parts.hostname or parts.username is not None or parts.password is not None:
        raise UnsafeURLError(
            f"download URL {shown!r} is not a plain https:// URL: give the file's URL as the API returned it."
        )
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and is_loopback(parts.hostname)):
        raise UnsafeURLError(f"download URL {shown!r} is not https://: files are fetched over HTTPS only.")
    return url


def check_origin(url: str, base_url: str) -> str:
    """The last check before a request leaves the process: ``url`` must be on the configured space.

    ``url`` is the final URL as the transport will send it. Its scheme, host and port must equal the
    space's, with no user info; otherwise :class:`UnsafeURLError` is raised and nothing is sent.
    Returns ``url``.
    """
    # The authority ends at the first "/" after "//", so a URL that starts with the space's own
    # ``scheme://host[:port]/`` has exactly the space's scheme, host, port and no user info, provided the
    # space URL itself parses so (checked once per space).
    ok = (
        isinstance(url, str)
        and url.startswith(base_url + "/")
        and "\\" not in url
        and _plain_text(url)
        and _space_url_is_an_origin(base_url)
    )
    if not ok:
        raise UnsafeURLError(
            f"refusing to send a request to {shorten(str(url), 120)!r}: it is not on the configured "
            f"space {base_url}, and the connection's credentials go nowhere else."
        )
    return url


def encode_value(value: Any) -> Any:
    """A query or form value as SignalWire reads it: ``true``/``false``, RFC 3339 times, lists repeated."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [encode_value(v) for v in value]
    return value


def encode_fields(fields: Mapping[str, Any] | None) -> dict[str, Any]:
    """Query parameters or Compatibility form fields, encoded; None values are left out."""
    return {k: encode_value(v) for k, v in (fields or {}).items() if v is not None}


def check_method(method: Any) -> str:
    text = str(method or "").strip().upper()
    if text not in METHODS:
        raise ValueError(f"method is {method!r}: use one of {', '.join(sorted(METHODS))}.")
    return text


def encode_body(path: str, *, json: Any, data: Any) -> dict[str, Any]:
    """The body as the API family expects: ``{"json": ...}`` for /api/*, ``{"data": form}`` for Compatibility.

    A ``str``/``bytes`` body (e.g. a rendered ``tojson`` template) is sent as it is, labelled with the
    family's content type (``headers`` in the result).
    """
    if json is not None and data is not None:
        raise ValueError("give either json or data as the request body, not both.")
    body = json if json is not None else data
    if body is None:
        return {}
    if isinstance(body, str | bytes):
        content_type = (
            "application/x-www-form-urlencoded" if is_compatibility_path(path) else "application/json"
        )
        return {"data": body, "headers": {"Content-Type": content_type}}
    if is_compatibility_path(path):
        if not isinstance(body, Mapping):
            raise ValueError(
                f"the Compatibility API takes form fields: give a dict body, not {type(body).__name__}."
            )
        return {"data": encode_fields(body)}
    return {"json": body}


def scope_for_path(path: str) -> str | None:
    path = urlsplit(path).path
    if path.startswith(COMPATIBILITY_PREFIX):
        for segment in path.split("/"):
            segment = segment.removesuffix(".json")
            if segment in _COMPAT_SCOPES:
                return _COMPAT_SCOPES[segment]
        return None
    for prefix, scope in _SCOPES:
        if path.startswith(prefix):
            return scope
    return None


def _origin(scheme: str, hostname: str | None, port: int | None) -> tuple[str, str, int]:
    scheme = scheme.lower()
    return scheme, (hostname or "").lower(), port or (443 if scheme == "https" else 80)


@lru_cache(maxsize=32)
def _space_url_is_an_origin(base_url: str) -> bool:
    """Whether ``base_url + "/..."`` parses to the space's own origin without user info."""
    try:
        parts = urlsplit(base_url + "/")
        return (
            _origin(parts.scheme, parts.hostname, parts.port) == _space_origin(base_url)[0]
            and parts.username is None
            and parts.password is None
        )
    except ValueError:
        return False


@lru_cache(maxsize=32)
def _space_origin(base_url: str) -> tuple[tuple[str, str, int], str]:
    """The configured space's origin and ``scheme://netloc``, parsed once per space, not per request."""
    base = urlsplit(base_url)
    return _origin(base.scheme, base.hostname, base.port), f"{base.scheme}://{base.netloc}"
