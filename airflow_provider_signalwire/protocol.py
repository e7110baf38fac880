"""SignalWire's HTTP rules, shared by the sync hook (requests) and async code (aiohttp).

Everything here is pure: no I/O, no HTTP client imports. The transports map their own responses and
exceptions onto these functions, so URL normalisation, retry decisions, ``Retry-After``, next-page
links and error parsing are decided in one place.
"""

from __future__ import annotations

import ipaddress
import json
import math
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from airflow_provider_signalwire import __version__

USER_AGENT = f"airflow-provider-signalwire/{__version__}"
COMPATIBILITY_PREFIX = "/api/laml/"
SIGNALWIRE_DOMAIN = "signalwire.com"

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 3
DEFAULT_BACKOFF = 1.0  # seconds before the first retry; doubles each time
MAX_BACKOFF = 30.0  # cap of one computed backoff
MAX_RETRY_AFTER = 300.0  # cap of one server-requested wait
MAX_PAGE_SIZE = 1000
MAX_RETRIES_LIMIT = 20
MAX_EMPTY_PAGES = 10  # consecutive empty pages that still link onwards: a broken listing

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# Statuses that say the server did not act on the request, so even a POST may be sent again.
NOT_ACTED_STATUSES = frozenset({429, 503})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "POST", "PATCH"})

# Response headers that may carry a request id, most specific first.
REQUEST_ID_HEADERS = ("x-request-id", "x-signalwire-request-id", "request-id", "x-correlation-id", "cf-ray")

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


class ConnectionConfigError(ValueError):
    """A connection field is missing or malformed; the message names the field and the fix."""


# --------------------------------------------------------------------------- connection settings


@dataclass(frozen=True)
class SpaceSettings:
    """What a ``signalwire`` connection resolves to. The token is kept out of ``repr``."""

    base_url: str
    project_id: str
    api_token: str = field(repr=False)
    timeout: float = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    verify: bool | str = True

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc


def is_loopback(hostname: str) -> bool:
    """127.0.0.0/8, ::1 (also as ::ffff:127.x.x.x) and ``localhost``: where plain http is allowed."""
    hostname = hostname.strip("[]").lower()
    if hostname == "localhost":
        return True
    try:
        address = ipaddress.ip_address(hostname)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


_HOST_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$")


def normalize_space_url(value: Any, port: int | None = None) -> str:
    """Turn what users type as "Space URL" into ``https://host[:port]`` (no trailing slash).

    ``acme``, ``acme.signalwire.com``, ``https://Acme.SignalWire.com/dashboard/...`` all become
    ``https://acme.signalwire.com``. Other hosts are used as given over https. ``http://`` is refused
    unless the host is loopback (local fakes). ``port`` is the connection's port field, used when the
    URL itself has none.
    """
    fix = "set Space URL (the connection's host) to your space, e.g. 'https://example.signalwire.com'"
    raw = "" if value is None else str(value).strip()
    if not raw:
        raise ConnectionConfigError(f"Space URL is empty: {fix}.")
    if "@" in raw:
        # Checked first and never echoed: a pasted "project:token@host" must not reach a log or the UI.
        raise ConnectionConfigError(
            "Space URL must not contain credentials ('@'): put the Project ID in 'Project ID' (login) and "
            "the token in 'API Token' (password)."
        )
    if any(ch.isspace() for ch in raw):
        raise ConnectionConfigError(f"Space URL {raw!r} contains spaces: {fix}.")
    if _is_ip(raw) and ":" in raw and not raw.startswith("["):
        raw = f"[{raw}]"  # a bare IPv6 address, as Airflow's URI parser leaves it
    if "://" not in raw:
        raw = "https://" + raw
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise ConnectionConfigError(f"Space URL {value!r} has scheme {parts.scheme!r}: use https:// ({fix}).")
    try:
        hostname = (parts.hostname or "").lower()
        url_port = parts.port
    except ValueError as err:
        raise ConnectionConfigError(f"Space URL {value!r} has an invalid port: {fix}.") from err
    if not hostname:
        raise ConnectionConfigError(f"Space URL {value!r} has no host name: {fix}.")
    is_ip = _is_ip(hostname)
    if not is_ip and not _HOST_RE.match(hostname):
        raise ConnectionConfigError(f"Space URL {value!r} is not a valid host name: {fix}.")
    if scheme == "http" and not is_loopback(hostname):
        raise ConnectionConfigError(
            f"Space URL {value!r} uses plain http://: use https:// (SignalWire accepts only HTTPS; plain "
            "http is allowed only for a local test server on 127.0.0.1 or localhost)."
        )
    if "." not in hostname and not is_ip and hostname != "localhost":
        hostname = f"{hostname}.{SIGNALWIRE_DOMAIN}"
    effective_port = url_port or port
    if effective_port is not None and not 0 < int(effective_port) < 65536:
        raise ConnectionConfigError(f"Port {effective_port} is out of range: {fix}.")
    host = f"[{hostname}]" if ":" in hostname else hostname
    default_port = 443 if scheme == "https" else 80
    if effective_port and int(effective_port) != default_port:
        host = f"{host}:{int(effective_port)}"
    return f"{scheme}://{host}"


def _is_ip(hostname: str) -> bool:
    try:
        ipaddress.ip_address(hostname.strip("[]"))
    except ValueError:
        return False
    return True


def _extra_value(extra: Mapping[str, Any], name: str) -> Any:
    """Extras are read unprefixed (Airflow 3 UI) and as ``extra__signalwire__<name>`` (older UIs)."""
    value = extra.get(name)
    if value in (None, ""):
        value = extra.get(f"extra__signalwire__{name}")
    return None if value == "" else value


def parse_verify(value: Any) -> bool | str:
    if value is None:
        return True
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.lower() in ("true", "1", "yes", "on", ""):
        return True
    if text.lower() in ("false", "0", "no", "off"):
        return False
    return text  # a CA bundle path; checked by the transport when it is used


def build_settings(
    host: Any,
    login: Any,
    password: Any,
    extra: Mapping[str, Any] | None = None,
    port: int | None = None,
) -> SpaceSettings:
    """Validate a connection's fields and return :class:`SpaceSettings` (before any request)."""
    extra = extra or {}
    base_url = normalize_space_url(host, port)
    project = "" if login is None else str(login).strip()
    if not project:
        raise ConnectionConfigError(
            "Project ID is empty: set the connection's 'Project ID' (login) to your SignalWire "
            "project's ID (the space's API page shows it)."
        )
    if any(ch.isspace() for ch in project) or ":" in project:
        raise ConnectionConfigError(
            "Project ID contains spaces or ':': copy it exactly from your space's API page into "
            "'Project ID' (login)."
        )
    token = "" if password is None else str(password)
    if not token.strip():
        raise ConnectionConfigError(
            "API Token is empty: set the connection's 'API Token' (password) to a token from your "
            "space's API page."
        )
    if token != token.strip() or any(ch.isspace() for ch in token):
        raise ConnectionConfigError(
            "API Token contains spaces or line breaks: paste the token again into 'API Token' "
            "(password) without surrounding blanks."
        )
    return SpaceSettings(
        base_url=base_url,
        project_id=project,
        api_token=token,
        timeout=_number(extra, "timeout", DEFAULT_TIMEOUT, minimum=0.001, maximum=3600, kind=float),
        max_retries=int(
            _number(extra, "max_retries", DEFAULT_MAX_RETRIES, minimum=0, maximum=MAX_RETRIES_LIMIT, kind=int)
        ),
        verify=parse_verify(_extra_value(extra, "verify")),
    )


def _number(
    extra: Mapping[str, Any],
    name: str,
    default: float,
    *,
    minimum: float,
    kind: type,
    maximum: float | None = None,
) -> Any:
    value = _extra_value(extra, name)
    if value is None:
        return default
    try:
        number = kind(float(value)) if kind is int else kind(value)
        if kind is int and float(value) != int(float(value)):
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise ConnectionConfigError(
            f"Extra field '{name}' is {value!r}: it must be a {'whole ' if kind is int else ''}number "
            f"(default {default:g})."
        ) from None
    if not math.isfinite(number) or number < minimum or (maximum is not None and number > maximum):
        limits = f"at least {minimum:g}" + (f" and at most {maximum:g}" if maximum is not None else "")
        raise ConnectionConfigError(f"Extra field '{name}' is {value!r}: it must be {limits}.")
    return number


# --------------------------------------------------------------------------- paths and bodies


def is_compatibility_path(path: str) -> bool:
    return urlsplit(path).path.startswith(COMPATIBILITY_PREFIX)


def validate_path(path: Any) -> str:
    """Return ``path`` as an absolute API path; refuse full URLs so credentials stay on the space."""
    if not isinstance(path, str) or not path.strip():
        raise ValueError("path is empty: give an API path such as '/api/video/rooms'.")
    path = path.strip()
    if "://" in path.split("?", 1)[0] or path.startswith("//"):
        raise ValueError(
            f"path {path!r} is a full URL: give only the path (e.g. '/api/video/rooms'); the host "
            "always comes from the connection, so credentials are never sent elsewhere."
        )
    if not path.startswith("/"):
        path = "/" + path
    if not path.startswith("/api/"):
        raise ValueError(f"path {path!r} must start with '/api/' (every SignalWire endpoint does).")
    return path


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


# --------------------------------------------------------------------------- retries


@dataclass(frozen=True)
class Failure:
    """A transport failure, classified so sync and async code decide retries alike.

    ``sent`` is False only when the request certainly never reached the server (connection refused,
    DNS failure, connect timeout); a reset or read timeout after sending leaves it True.
    """

    kind: str  # "connect", "timeout", "dropped", "tls"
    sent: bool


def should_retry(method: str, *, status: int | None = None, failure: Failure | None = None) -> bool:
    """Whether one failed attempt may be sent again.

    Idempotent methods are retried on 429/5xx and transport failures. POST and PATCH only when the
    server certainly did not act: 429 or 503, or a connection that was never established. Never
    after a 500 or a read timeout, so a retry cannot create a second room or send a second SMS.
    """
    method = method.upper()
    idempotent = method in IDEMPOTENT_METHODS
    if status is not None:
        if status not in RETRYABLE_STATUSES:
            return False
        return idempotent or status in NOT_ACTED_STATUSES
    if failure is not None:
        if failure.kind == "tls":
            return False  # a certificate problem does not go away by retrying
        return idempotent or not failure.sent
    return False


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def retry_delay(
    attempt: int,
    retry_after: str | None = None,
    *,
    backoff: float = DEFAULT_BACKOFF,
    cap: float = MAX_BACKOFF,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based).

    A server's ``Retry-After`` wins (capped at :data:`MAX_RETRY_AFTER`); otherwise exponential
    backoff ``backoff * 2**(attempt-1)``, capped, with "equal jitter" (half fixed, half random) so
    many workers hitting one limit do not come back in step.
    """
    server_says = parse_retry_after(retry_after)
    if server_says is not None:
        return min(server_says, MAX_RETRY_AFTER)
    base = min(cap, backoff * (2 ** max(0, attempt - 1)))
    return base / 2 + (rng or random).uniform(0, base / 2)


# --------------------------------------------------------------------------- paging


_PAGE_META_KEYS = frozenset(
    {"uri", "first_page_uri", "next_page_uri", "previous_page_uri", "page", "page_size", "start", "end"}
)


def page_items(body: Any, path: str) -> list[Any]:
    """The items of one list page: ``data`` for ``/api/*``, the resource key for Compatibility."""
    if not isinstance(body, dict):
        raise ValueError(f"expected a JSON object for a list page of {path}, got {type(body).__name__}")
    if not is_compatibility_path(path):
        items = body.get("data")
        if not isinstance(items, list):
            raise ValueError(f"list page of {path} has no 'data' array")
        return items
    lists = [k for k, v in body.items() if isinstance(v, list) and k not in _PAGE_META_KEYS]
    if len(lists) != 1:
        raise ValueError(f"cannot tell the resource key of Compatibility list {path}: {sorted(lists)}")
    return body[lists[0]]


def next_page_link(body: Any, path: str) -> str | None:
    """The raw next-page link of a list page, or None on the last page."""
    if not isinstance(body, dict):
        return None
    if is_compatibility_path(path):
        link = body.get("next_page_uri")
    else:
        links = body.get("links")
        link = links.get("next") if isinstance(links, dict) else None
    return link or None


def rebase_link(link: str, base_url: str, current_url: str) -> tuple[str, bool]:
    """Resolve a next-page link and put its path and query onto the configured space.

    Returns ``(url, moved)``; ``moved`` is True when the link named another host, whose path we
    then ask of the configured space instead: credentials never go to a host the link names.
    """
    absolute = urljoin(current_url, link)
    parts = urlsplit(absolute)
    base = urlsplit(base_url)
    moved = _origin(parts.scheme, parts.hostname, parts.port) != _origin(
        base.scheme, base.hostname, base.port
    )
    url = f"{base.scheme}://{base.netloc}{parts.path}"
    if parts.query:
        url += f"?{parts.query}"
    return url, moved


def _origin(scheme: str, hostname: str | None, port: int | None) -> tuple[str, str, int]:
    scheme = scheme.lower()
    return scheme, (hostname or "").lower(), port or (443 if scheme == "https" else 80)


# --------------------------------------------------------------------------- errors


_ERROR_FIELDS = ("code", "message", "attribute", "type", "url", "detail", "title", "status", "more_info")


def parse_error_body(text: str | bytes | None) -> list[dict[str, Any]]:
    """Normalise every error body shape in the specs to a list of dicts.

    ``{"error": "..."}``; ``{"errors": [{type, code, message, attribute, url}]}``; relay
    ``{"errors": [{detail, status, title, code}]}``; Compatibility ``{code, message, more_info,
    status}``; or plain text. Each dict keeps only the known fields that are present.
    """
    if text is None:
        return []
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = text.strip()
    if not text:
        return []
    try:
        body = json.loads(text)
    except ValueError:
        return [{"message": _shorten(text)}]
    if isinstance(body, dict):
        if isinstance(body.get("errors"), list):
            return [_pick(e) if isinstance(e, dict) else {"message": str(e)} for e in body["errors"]]
        if "error" in body:
            error = body["error"]
            if isinstance(error, dict):
                return [_pick(error)]
            return [{"message": str(error)}]
        picked = _pick(body)
        if picked:
            return [picked]
    return [{"message": _shorten(text)}]


def _pick(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {k: entry[k] for k in _ERROR_FIELDS if entry.get(k) not in (None, "")}


def _shorten(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_errors(errors: list[dict[str, Any]]) -> str:
    """One readable line for the parsed errors."""
    parts = []
    for e in errors:
        message = e.get("message") or e.get("detail") or e.get("title") or ""
        if e.get("attribute"):
            message = f"{e['attribute']}: {message}"
        if e.get("code") not in (None, ""):
            message = f"{message} (code {e['code']})"
        if message:
            parts.append(str(message))
    return "; ".join(parts)


def request_id_from(headers: Mapping[str, str]) -> str | None:
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in REQUEST_ID_HEADERS:
        if lowered.get(name):
            return lowered[name]
    return None


FAILURE_WORDS = {
    "tls": "TLS/certificate verification failed",
    "connect": "could not connect",
    "timeout": "timed out waiting for the answer",
    "dropped": "the connection was dropped",
}


def failure_hint(failure: Failure, method: str, host: str) -> str:
    """What to do after a transport failure; warns when a non-idempotent call may have been acted on."""
    hint = {
        "tls": "The space's certificate could not be verified: set the connection's extra 'verify' to the "
        "path of the CA bundle that signed it",
        "connect": f"Check that the Space URL ({host}) is right and reachable from this worker",
        "timeout": "Raise the connection's 'timeout' extra if SignalWire is slow to answer",
        "dropped": "The connection closed before an answer arrived",
    }[failure.kind]
    if failure.sent and method.upper() not in IDEMPOTENT_METHODS:
        hint += (
            f"; {method.upper()} was not retried because SignalWire may have acted on it: check before "
            "running it again"
        )
    return hint


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
        return "Check the path and the id in it"
    if status == 429:
        return "Rate limited by SignalWire; lower the call rate or raise max_retries"
    return None
