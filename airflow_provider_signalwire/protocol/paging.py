"""Following a listing page by page: the items of a page, its next link, and the loop's guards."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Generator, Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urljoin, urlsplit

from airflow_provider_signalwire.lazy import LazyPattern
from airflow_provider_signalwire.protocol.constants import MAX_EMPTY_PAGES, MAX_PAGE_SIZE
from airflow_provider_signalwire.protocol.redaction import _plain_text, no_redaction, shorten
from airflow_provider_signalwire.protocol.urls import (
    _has_dot_segment,
    _origin,
    _space_origin,
    is_compatibility_path,
    validate_path,
)

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
    if len(lists) > 1 and all(body[k] == body[lists[0]] for k in lists):
        lists = lists[:1]  # aliases of one list (a fax's Media answers ``media`` and ``fax_media``)
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


_SCHEME = LazyPattern(r"([A-Za-z][A-Za-z0-9+.-]*):")


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
_PLAIN_URL = LazyPattern(
    r"[A-Za-z][A-Za-z0-9.-]*://[A-Za-z0-9.:-]*(/[A-Za-z0-9._~!$&'()*,=:@/-]*)(?:\?([A-Za-z0-9._~!$&'()*,=:@/?-]*))?"
)


def _page_identity(url: str) -> tuple[tuple[tuple[str, str], ...], str | None]:
    """:func:`page_key` and the page token of ``url`` (``page_token=...``), from one parse of its query.

    A plain URL (every next link the hooks build from an ordinary link) is split directly, about five
    times faster than ``urlsplit`` and ``parse_qsl`` on a URL they have not seen; the result is the
    same (``tests/unit/protocol/test_paging.py`` compares the two on generated URLs). Anything else is parsed.
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


# --------------------------------------------------------------------------- the paging loop, once

LOG_PROGRESS_EVERY = 10  # pages


class Fetch(NamedTuple):
    """GET ``url`` (with ``params``, the first page only); answer with ``(the URL as sent, parsed body)``."""

    url: str
    params: Mapping[str, Any] | None


class Note(NamedTuple):
    """A log line about the listing, the same on every transport."""

    level: int
    message: str
    args: tuple[Any, ...]


def pages(pager: Pager, path: str) -> Generator[Fetch | Note | list[Any], tuple[str, Any] | None, None]:
    """The paging loop, without I/O: yields a :class:`Fetch` for each page, then the page's items (a
    list, possibly empty), and :class:`Note` log lines; raises :class:`PagingError` from the pager.

    :param pager: The listing's rules (first URL, limits, loop guards).
    :param path: The list's API path, as named in the log lines.
    """
    if pager.finished_before_start:
        return
    url: str | None = pager.first_url
    params: Mapping[str, Any] | None = pager.first_params
    while url:
        answer = yield Fetch(url, params)
        assert answer is not None, "answer a Fetch with (url as sent, parsed body)"
        page = pager.feed(*answer)
        yield page.items
        if page.done:
            yield Note(
                logging.INFO,
                "Listed %d items of %s in %d pages (max_items reached).",
                (pager.items, path, pager.pages),
            )
            return
        if page.moved:
            yield Note(
                logging.WARNING,
                "Next-page link of %s names another host; asking the configured space instead.",
                (path,),
            )
        url, params = page.next_url, None
        if url and pager.pages % LOG_PROGRESS_EVERY == 0:
            yield Note(
                logging.INFO, "Listing %s: %d pages, %d items so far.", (path, pager.pages, pager.items)
            )
    yield Note(logging.INFO, "Listed %d items of %s in %d pages.", (pager.items, path, pager.pages))
