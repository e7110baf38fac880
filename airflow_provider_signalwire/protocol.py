"""SignalWire's HTTP rules, shared by the sync hook (requests) and async code (aiohttp).

Everything here is pure: no I/O, no HTTP client imports. The transports map their own responses and
exceptions onto these functions, so URL normalisation, retry decisions, ``Retry-After``, next-page
links and error parsing are decided in one place.
"""

from __future__ import annotations

import base64
import bisect
import ipaddress
import json
import math
import random
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from functools import cached_property, lru_cache
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, quote, unquote, urljoin, urlsplit

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
DEFAULT_RETRY_BUDGET = 300.0  # seconds one call may spend waiting between retries, in total
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024  # cap of one JSON answer (streamed downloads are not capped)
MAX_ERROR_ENTRIES = 20  # error-body entries kept on an exception
MAX_DESCRIBED_ERRORS = 3  # error-body entries spelled out in its message

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
    # File hosts downloads may fetch from (extra ``download_hosts``); empty: any https host.
    download_hosts: tuple[str, ...] = ()

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc

    @cached_property
    def authorization(self) -> str:
        """The ``Authorization`` header value: exactly what is sent, and what is masked."""
        basic = base64.b64encode(f"{self.project_id}:{self.api_token}".encode("ascii")).decode("ascii")
        return f"Basic {basic}"

    @cached_property
    def secrets(self) -> tuple[str, ...]:
        """Every form of the credentials that could come back in an answer (longest first)."""
        basic = self.authorization.split(" ", 1)[1]
        forms = {self.api_token, quote(self.api_token, safe=""), basic, self.authorization}
        forms.add(f"{self.project_id}:{self.api_token}")
        return tuple(sorted(forms, key=len, reverse=True))

    @cached_property
    def redact(self) -> Redactor:
        # Any 12 characters of the token or of the base64 value are masked too: a server that cuts or
        # encodes what it echoes must not carry a usable piece of the credentials out.
        basic = self.authorization.split(" ", 1)[1]
        return Redactor(self.secrets, fragments=(self.api_token, basic))


# How one character may come back encoded in an answer: JSON and Python escapes, percent-encoding, HTML
# character references. Decoded (below) only to find a secret; the text shown keeps its own form.
_ESCAPE = re.compile(
    r"\\u[0-9a-fA-F]{4}|\\x[0-9a-fA-F]{2}|\\[\\/\"']|%[0-9a-fA-F]{2}|&#[0-9]{1,7};|&#[xX][0-9a-fA-F]{1,6};"
    r"|&(?:amp|lt|gt|quot|apos);"
)
# The same without percent-encoding, for a secret that holds a literal "%41" inside JSON or HTML.
_ESCAPE_NO_PERCENT = re.compile(_ESCAPE.pattern.replace("|%[0-9a-fA-F]{2}", ""))
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


def _decoded(text: str, escape: re.Pattern[str]) -> tuple[str, list[tuple[int, int, int]]] | None:
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


# Compiled on first use (``re``'s cache), not when a DAG file imports the operators.
# A scheme not followed by "//" ("https:/x", "https:x", "http//x"), but not "host:port".
_SCHEME_TYPO = r"^(?:[A-Za-z][A-Za-z0-9+.-]*:(?!//)(?!\d+(?:/|$))|https?/)"
_HOST = r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$"


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
    if not _plain_text(raw):
        raise ConnectionConfigError(f"Space URL {raw!r} contains spaces or control characters: {fix}.")
    if not raw.isascii():
        raise ConnectionConfigError(
            f"Space URL {raw!r} contains non-ASCII characters (a look-alike dot, colon or slash?): {fix}."
        )
    if not _is_ip(raw) and re.match(_SCHEME_TYPO, raw, re.IGNORECASE):
        # "https//acme...", "https:/acme...", "https:acme...": read as written they would name another
        # host ("https.signalwire.com"), so they are refused rather than guessed at.
        raise ConnectionConfigError(f"Space URL {raw!r} has a malformed scheme (write 'https://'): {fix}.")
    if _is_ip(raw) and ":" in raw and not raw.startswith("["):
        raw = f"[{raw}]"  # a bare IPv6 address, as Airflow's URI parser leaves it
    if "://" not in raw:
        raw = "https://" + raw
    try:
        parts = urlsplit(raw)
        hostname = (parts.hostname or "").lower()
        url_port = parts.port
    except ValueError as err:
        what = "has an invalid port" if "port" in str(err).lower() else "cannot be read (unbalanced [ ]?)"
        raise ConnectionConfigError(f"Space URL {value!r} {what}: {fix}.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise ConnectionConfigError(f"Space URL {value!r} has scheme {parts.scheme!r}: use https:// ({fix}).")
    if not hostname:
        raise ConnectionConfigError(f"Space URL {value!r} has no host name: {fix}.")
    if hostname in ("http", "https") or parts.path.startswith("//"):
        raise ConnectionConfigError(f"Space URL {value!r} has a malformed scheme (write 'https://'): {fix}.")
    is_ip = _is_ip(hostname)
    if not is_ip and not re.match(_HOST, hostname):
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


def _printable_ascii(text: str) -> bool:
    return all("!" <= ch <= "~" for ch in text)


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


def parse_download_hosts(value: Any) -> tuple[str, ...]:
    """The ``download_hosts`` extra: host names (``files.example.com``), ``*.example.com`` for any host
    below a domain, or IP addresses; a list or one string separated by commas or spaces. None or empty:
    no allow-list (the default)."""
    if value is None:
        return ()
    fix = (
        "list the file hosts downloads may use, e.g. 'files.example.com, *.cdn.example.com' (host names, "
        "'*.' for a whole domain, or IP addresses; no scheme, port or path)"
    )
    if isinstance(value, str):
        entries = value.replace(",", " ").split()
    elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        entries = [e for v in value for e in v.replace(",", " ").split()]
    else:
        raise ConnectionConfigError(f"Extra field 'download_hosts' is {shorten(repr(value), 80)}: {fix}.")
    hosts = []
    for entry in entries:
        if _is_ip(entry):
            hosts.append(str(ipaddress.ip_address(entry.strip("[]"))))
            continue
        host = entry.lower()
        name = host[2:] if host.startswith("*.") else host
        # A domain needs two labels: "*.com" would allow half the internet.
        if not (name == "localhost" or (name.isascii() and re.match(_HOST, name) and "." in name)):
            raise ConnectionConfigError(
                f"Extra field 'download_hosts' has {shorten(repr(entry), 80)}, not a host name: {fix}."
            )
        hosts.append(host)
    if not hosts:
        raise ConnectionConfigError(f"Extra field 'download_hosts' is {shorten(repr(value), 80)}: {fix}.")
    return tuple(dict.fromkeys(hosts))


def download_host_allowed(hostname: str, allowed: tuple[str, ...]) -> bool:
    """Whether a file host may be fetched from under ``download_hosts`` (empty: any host)."""
    if not allowed:
        return True
    host = hostname.strip("[]").lower().rstrip(".")
    if _is_ip(host):  # an address matches only itself, never a "*." entry by its digits
        return str(ipaddress.ip_address(host)) in allowed
    return any(host == entry or (entry.startswith("*.") and host.endswith(entry[1:])) for entry in allowed)


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
    if not _printable_ascii(project) or ":" in project:
        raise ConnectionConfigError(
            "Project ID contains spaces, ':', control or non-ASCII characters: copy it exactly from your "
            "space's API page into 'Project ID' (login)."
        )
    token = "" if password is None else str(password)
    if not token.strip():
        raise ConnectionConfigError(
            "API Token is empty: set the connection's 'API Token' (password) to a token from your "
            "space's API page."
        )
    if not _printable_ascii(token):
        # Never echoed. HTTP Basic auth can carry only these characters, and refusing here means what
        # is registered with the secrets masker is exactly what is sent.
        raise ConnectionConfigError(
            "API Token contains spaces, line breaks, control or non-ASCII characters: paste the token "
            "again into 'API Token' (password), exactly as the space's API page shows it."
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
        download_hosts=parse_download_hosts(_extra_value(extra, "download_hosts")),
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


# --------------------------------------------------------------------------- retries


class Failure(NamedTuple):
    """A transport failure, classified so sync and async code decide retries alike.

    ``kind`` is one of :data:`FAILURE_WORDS`. ``sent`` is False only when the request certainly
    never reached the server (DNS failure, connection refused, connect timeout, a request that could
    not even be built); a reset or read timeout after sending leaves it True.
    """

    kind: str
    sent: bool
    detail: str = ""  # e.g. the host that does not resolve; never holds a secret


# ``detail`` of a "dns" Failure when the resolver could not answer (EAI_AGAIN): worth another try. Any
# other DNS failure means the name does not exist, and it will not exist a second later either.
DNS_TRY_AGAIN = "the resolver did not answer; it may be temporary"


def dns_failure(errno: int | None) -> Failure:
    """The :class:`Failure` for a failed name lookup, from the resolver's ``gaierror.errno``."""
    if errno == socket.EAI_AGAIN:
        return Failure("dns", sent=False, detail=DNS_TRY_AGAIN)
    return Failure("dns", sent=False)


def should_retry(method: str, *, status: int | None = None, failure: Failure | None = None) -> bool:
    """Whether one failed attempt may be sent again.

    Idempotent methods are retried on 429/5xx and transport failures. POST and PATCH only when the
    server certainly did not act: 429 or 503, or a connection that was never established. Never
    after a 500 or a read timeout, so a retry cannot create a second room or send a second SMS.
    TLS failures, requests that could not be built and host names that do not exist are never
    retried (a DNS failure is retried only when the resolver did not answer: :data:`DNS_TRY_AGAIN`).
    """
    method = method.upper()
    idempotent = method in IDEMPOTENT_METHODS
    if status is not None:
        if status not in RETRYABLE_STATUSES:
            return False
        return idempotent or status in NOT_ACTED_STATUSES
    if failure is not None:
        if failure.kind in ("tls", "invalid"):
            return False  # a certificate problem or a malformed request does not go away by retrying
        if failure.kind == "dns":
            return failure.detail == DNS_TRY_AGAIN  # a name that does not exist is not worth waiting for
        return idempotent or not failure.sent
    return False


def may_have_acted(*, status: int | None = None, failure: Failure | None = None) -> bool:
    """Whether SignalWire may have acted on a request that failed: a 500/502/504 answer, or a request
    that reached the server before the connection failed (read timeout, dropped). False for 4xx,
    429 and 503 (refused) and for failures before anything was sent."""
    if status is not None:
        return status >= 500 and status not in NOT_ACTED_STATUSES
    return failure is not None and failure.sent and failure.kind != "invalid"


class RetryPolicy:
    """The retry loop's rules for one call, without I/O: both transports ask it after each failure.

    :meth:`next_delay` returns the seconds to wait before the next attempt, or None to give up
    (then :attr:`gave_up` says why when it was the budget). Waits follow ``Retry-After`` or
    exponential backoff with jitter; their total stays within ``budget`` seconds.
    """

    def __init__(
        self,
        method: str,
        *,
        max_retries: int,
        backoff: float = DEFAULT_BACKOFF,
        budget: float = DEFAULT_RETRY_BUDGET,
        rng: random.Random | None = None,
    ) -> None:
        self.method = method.upper()
        self.max_retries = max_retries
        self.backoff = backoff
        self.budget = budget
        self.rng = rng
        self.attempts = 1  # the attempt under way
        self.waited = 0.0
        self.gave_up: str | None = None

    def next_delay(
        self, *, status: int | None = None, failure: Failure | None = None, retry_after: str | None = None
    ) -> float | None:
        if self.attempts > self.max_retries or not should_retry(self.method, status=status, failure=failure):
            return None
        delay = retry_delay(self.attempts, retry_after, backoff=self.backoff, rng=self.rng)
        if self.waited + delay > self.budget:
            asked = f" (the server asked to wait {delay:.0f} s more)" if retry_after else ""
            self.gave_up = (
                f"the retry budget of {self.budget:g} s ran out after {self.waited:.0f} s of waiting{asked}"
            )
            return None
        self.waited += delay
        self.attempts += 1
        return delay


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


class PagingError(ValueError):
    """A listing cannot be followed further; the message says why."""


def next_page_link(body: Any, path: str) -> str | None:
    """The raw next-page link of a list page, or None on the last page.

    Raises :class:`PagingError` when the link is there but is not a string.
    """
    if not isinstance(body, dict):
        return None
    if is_compatibility_path(path):
        link = body.get("next_page_uri")
        where = "next_page_uri"
    else:
        links = body.get("links")
        link = links.get("next") if isinstance(links, dict) else None
        where = "links.next"
    if link in (None, ""):
        return None
    if not isinstance(link, str):
        raise PagingError(f"the next-page link ({where}) is a {type(link).__name__}, not a string")
    return link


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


def rebase_link(
    link: str, base_url: str, current_url: str, redact: Callable[[Any], Any] = no_redaction
) -> tuple[str, bool]:
    """Resolve a next-page link by parsing and put only its path and query onto the configured space.

    Returns ``(url, moved)``; ``moved`` is True when the link named another origin (or user info),
    whose path we then ask of the configured space instead: credentials never go to a host a link
    names. Links that cannot be read safely (a scheme without ``//`` such as ``http:@host/x``, a
    non-http scheme, backslashes, control characters, ``..`` segments) raise :class:`PagingError`,
    quoting the link passed through ``redact`` before it is shortened.
    """
    if not isinstance(link, str):
        raise PagingError(f"the next-page link is a {type(link).__name__}, not a string")
    text = link.strip()
    if "\\" in text or not _plain_text(text):
        raise _link_error(link, "contains a backslash, space or control character", redact)
    scheme_match = _SCHEME.match(text)
    if scheme_match:
        scheme = scheme_match.group(1).lower()
        if scheme not in ("http", "https") or not text[len(scheme) + 1 :].startswith("//"):
            raise _link_error(link, "is not an http(s) URL or path", redact)
    origin, scheme_netloc = _space_origin(base_url)
    if (
        text.startswith("/")
        and not text.startswith("//")
        and "/." not in text
        and "//" not in text
        and "%" not in text
        and current_url.startswith(scheme_netloc + "/")
    ):
        # The usual link, an absolute path on the page's own space: nothing for urljoin to resolve (no
        # dot segment, no empty segment, nothing percent-encoded), so take its path and query as they are.
        path, _, query = text.partition("#")[0].partition("?")
        if not path.startswith("/api/"):
            raise _link_error(link, "does not name an API path ('/api/...')", redact)
        return (f"{scheme_netloc}{path}?{query}" if query else f"{scheme_netloc}{path}"), False
    try:
        parts = urlsplit(urljoin(current_url, text))
        moved = (
            _origin(parts.scheme, parts.hostname, parts.port) != origin
            or parts.username is not None
            or parts.password is not None
        )
    except ValueError as err:
        raise _link_error(link, f"cannot be read ({err})", redact) from None
    path = parts.path
    if not path.startswith("/api/") or _has_dot_segment(path):
        raise _link_error(link, "does not name an API path ('/api/...')", redact)
    url = f"{scheme_netloc}{path}"
    if parts.query:
        url += f"?{parts.query}"
    return url, moved


def _link_error(link: str, why: str, redact: Callable[[Any], Any] = no_redaction) -> PagingError:
    return PagingError(f"the next-page link {shorten(redact(link), 120)!r} {why}")


_PAGE_TOKEN_KEYS = ("page_token", "pagetoken", "page", "start")


def page_key(url: str) -> tuple[tuple[str, str], ...]:
    """What identifies a page of a listing: its path and query, order and blanks ignored."""
    return _page_identity(url)[0]


# A URL as the hooks build them: ``scheme://host[:port]/path[?query]`` with nothing to unquote ("%", "+"),
# no fragment, user info, brackets, ";", backslash, space or control character. For such a URL the two
# groups are exactly urlsplit's path and query, and parse_qsl would only split the query on "&" and "=".
_PLAIN_URL = re.compile(
    r"[A-Za-z][A-Za-z0-9.-]*://[A-Za-z0-9.:-]*(/[A-Za-z0-9._~!$&'()*,=:@/-]*)(?:\?([A-Za-z0-9._~!$&'()*,=:@/?-]*))?"
)


def _page_identity(url: str) -> tuple[tuple[tuple[str, str], ...], str | None]:
    """:func:`page_key` and the page token of ``url`` (``page_token=...``), from one parse of its query.

    A plain URL (every next link the hooks build from an ordinary link) is split directly, about five
    times faster than ``urlsplit`` and ``parse_qsl`` on a URL they have not seen; the result is the
    same (``tests/unit/test_protocol.py`` compares the two on generated URLs). Anything else is parsed.
    """
    plain = _PLAIN_URL.fullmatch(url)
    if plain is not None:
        path, query = plain.group(1), plain.group(2) or ""
        # parse_qsl(keep_blank_values=False) keeps the pairs with "=" and a value; nothing to unquote here.
        split = (pair.partition("=") for pair in query.split("&"))
        pairs = [(name, value) for name, _, value in split if value]
    else:
        parts = urlsplit(url)
        path = parts.path
        pairs = parse_qsl(parts.query, keep_blank_values=False)
    token = None
    for key, value in pairs:
        lowered = key.lower()
        if lowered in _PAGE_TOKEN_KEYS and lowered != "start" and value:
            token = f"{lowered}={value}"
            break
    return ((" path", path), *sorted(pairs)), token


def _page_digests(url: str) -> tuple[int, str | None]:
    """The pager's 64-bit digest of ``url``'s page key, and its page token."""
    key, token = _page_identity(url)
    return hash(key), token


def _digest(text: str) -> int:
    """A 64-bit digest: what the pager remembers of each page (a few dozen bytes, not the page). Python's
    own string hash (SipHash, keyed per process, so a server cannot aim for collisions); digests never
    leave the process."""
    return hash(text)


def _fingerprint(items: list[Any]) -> int:
    try:
        return _digest("\x1f".join([item.get("id") or item["sid"] for item in items]))
    except (AttributeError, KeyError, TypeError):  # an item that is not an object, or has no string id
        return _digest(json.dumps(items, sort_keys=True, default=str))


class Page(NamedTuple):
    """What :meth:`Pager.feed` makes of one answer: the items to yield and where to go next."""

    items: list[Any]
    next_url: str | None
    moved: bool = False  # the next link named another host and was re-based onto the space
    done: bool = False  # max_items reached


class Pager:
    """The paging loop's rules, without I/O: both transports feed it each page they fetch.

    ``pager.first_url`` and ``pager.first_params`` are the first request; each answer's parsed body
    goes to :meth:`feed`, which returns the page's items and the next URL (None at the end) or
    raises :class:`PagingError`: a page that is not a list page, a next link that is not a string or
    not safe, a link that repeats a fetched page (also with its query reordered or padded), a page
    token seen before, a page whose items repeat an earlier page (a nonce added to the same link),
    or too many empty pages that still link onwards. Server text quoted in those errors goes through
    ``redact`` before it is shortened.
    """

    def __init__(
        self,
        path: str,
        base_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
        redact: Callable[[Any], Any] = no_redaction,
    ) -> None:
        self.path = validate_path(path)
        self.redact = redact  # for the server's text quoted in a PagingError
        self.base_url = base_url
        compat = is_compatibility_path(self.path)
        query = dict(params or {})
        if page_size is not None:
            if (
                isinstance(page_size, bool)
                or not isinstance(page_size, int)
                or not 1 <= page_size <= MAX_PAGE_SIZE
            ):
                raise ValueError(
                    f"page_size is {page_size!r}: it must be a whole number from 1 to {MAX_PAGE_SIZE}."
                )
            query["PageSize" if compat else "page_size"] = page_size
        if max_items is not None and (
            isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 0
        ):
            raise ValueError(f"max_items is {max_items!r}: it must be a whole number, 0 or more.")
        self.first_url = base_url + self.path
        self.first_params: dict[str, Any] = query
        self.max_items = max_items
        self.pages = 0
        self.items = 0
        self._empty_run = 0
        # Digests only, so a listing of many thousand pages costs kilobytes to watch for loops.
        self._seen_pages: set[int] = set()
        self._seen_tokens: set[int] = set()
        self._seen_fingerprints: set[int] = set()
        # The next link's page digest and token, worked out when it was checked: usually the next URL fed.
        self._upcoming: tuple[str, int, str | None] | None = None

    @property
    def finished_before_start(self) -> bool:
        return self.max_items == 0

    def feed(self, url: str, body: Any) -> Page:
        """Take the parsed answer to a GET of ``url`` (the URL as sent, query included)."""
        if self._upcoming is not None and self._upcoming[0] == url:
            _, page_digest, token = self._upcoming
        else:
            page_digest, token = _page_digests(url)
        self._upcoming = None
        self._seen_pages.add(page_digest)
        if token:
            self._seen_tokens.add(_digest(token))
        try:
            items = page_items(body, self.path)
        except ValueError as err:
            raise PagingError(self.redact(str(err))) from None
        self.pages += 1
        if items:
            fingerprint = _fingerprint(items)
            if fingerprint in self._seen_fingerprints:
                raise PagingError(
                    f"page {self.pages} repeats the items of an earlier page: the listing is going round "
                    "in a loop, so it was stopped instead of fetching forever"
                )
            self._seen_fingerprints.add(fingerprint)
        done = False
        if self.max_items is not None and self.items + len(items) >= self.max_items:
            items = items[: self.max_items - self.items]
            done = True
        self.items += len(items)
        if done:
            return Page(items, None, done=True)
        link = next_page_link(body, self.path)
        if link is None:
            return Page(items, None)
        self._empty_run = 0 if items else self._empty_run + 1
        if self._empty_run >= MAX_EMPTY_PAGES:
            raise PagingError(
                f"{self._empty_run} empty pages in a row still link to a next page: the listing does not "
                "end, so it was stopped instead of fetching forever"
            )
        next_url, moved = rebase_link(link, self.base_url, url, self.redact)
        next_digest, next_token = _page_digests(next_url)
        if next_digest in self._seen_pages or (next_token and _digest(next_token) in self._seen_tokens):
            raise PagingError(
                f"the next-page link repeats a page already fetched (after {self.pages} pages): the "
                "listing is going round in a loop, so it was stopped instead of fetching forever"
            )
        self._upcoming = (next_url, next_digest, next_token)
        return Page(items, next_url, moved=moved)


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


# --------------------------------------------------------------------------- errors


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


def shorten(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
        # (tests/unit/test_protocol.py holds the cases and compares the two on generated documents).
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


FAILURE_WORDS = {
    "dns": "the host name does not resolve",
    "refused": "the connection was refused",
    "connect": "could not connect",
    "tls": "TLS/certificate verification failed",
    "timeout": "timed out waiting for the answer",
    "dropped": "the connection was dropped",
    "invalid": "the request could not be built",
}


def failure_reason(failure: Failure, host: str, timeout: float) -> str:
    """The one-line cause of a transport failure, naming the host (never a secret)."""
    if failure.kind == "dns":
        name = urlsplit("//" + host).hostname or host
        if failure.detail == DNS_TRY_AGAIN:
            return f"could not connect: the DNS lookup of {name} failed ({DNS_TRY_AGAIN})"
        return f"could not connect: {name} does not resolve"
    if failure.kind == "refused":
        return f"could not connect: {host} refused the connection"
    if failure.kind == "timeout":
        return f"timed out: no complete answer from {host} within the {timeout:g} s timeout"
    words = FAILURE_WORDS[failure.kind]
    return f"{words} ({failure.detail})" if failure.detail else words


def failure_hint(failure: Failure, method: str, host: str, where: str = "this worker") -> str:
    """What to do after a transport failure; warns when a non-idempotent call may have been acted on.

    ``where`` names the machine the call ran on ("this worker" for tasks).
    """
    hint = {
        "dns": f"Check the Space URL ({host}) for typos, and the DNS of {where}",
        "refused": f"Check the Space URL ({host}) and its port, and that the space is reachable from {where}",
        "connect": f"Check that the Space URL ({host}) is right and reachable from {where}",
        "tls": "The space's certificate could not be verified: set the connection's extra 'verify' to the "
        "path of the CA bundle that signed it",
        "timeout": "Raise the connection's 'timeout' extra if SignalWire is slow to answer",
        "dropped": "The connection closed before an answer arrived",
        "invalid": "Check the request's path, query and headers for line breaks or invalid characters; "
        "it was not sent",
    }[failure.kind]
    if failure.sent and method.upper() not in IDEMPOTENT_METHODS:
        hint += (
            f"; {method.upper()} was not retried because SignalWire may have acted on it: check before "
            "running it again"
        )
    return hint


_ROOM_BY_KEY = re.compile(r"/api/video/rooms/([^/]+)/?")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


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
