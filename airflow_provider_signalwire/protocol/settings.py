"""What a ``signalwire`` connection resolves to: :class:`SpaceSettings` and its validation (the constants
live in :mod:`.constants` and stay importable from here)."""

from __future__ import annotations

import base64
import ipaddress
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import quote, urlsplit

from airflow_provider_signalwire.protocol import constants as _constants
from airflow_provider_signalwire.protocol.constants import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    MAX_RETRIES_LIMIT,
    SIGNALWIRE_DOMAIN,
)
from airflow_provider_signalwire.protocol.redaction import Redactor, _plain_text, shorten


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


def __getattr__(name: str) -> object:
    # The constants moved to .constants; `from ...protocol.settings import MAX_PAGE_SIZE` still works.
    if name.isupper() and name in vars(_constants):
        return vars(_constants)[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
