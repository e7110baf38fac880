"""Paging of list answers: ``/api/*`` (``links``) and Compatibility (``next_page_uri``).

Page tokens are opaque to clients; here they carry an offset.  Anything a client sends in
``page_size``, ``page_number``, ``page_token``, ``Page``, ``PageSize`` or ``PageToken`` that is
not a valid value answers the family's 4xx (422 on ``/api/*``, 400 on the Compatibility API).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from airflow_provider_signalwire.testing.errors import compat_bad_request, unprocessable

if TYPE_CHECKING:
    from fastapi import Request

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 50
# Offsets and page numbers beyond this are refused (no list is that long; keeps numbers small).
MAX_OFFSET = 10**9
_NUMBER = re.compile(r"[0-9]{1,10}")


def _number(value: str) -> int | None:
    """A plain decimal number (ASCII digits only, at most 10 of them), else None."""
    return int(value) if _NUMBER.fullmatch(value) else None


def encode_token(offset: int) -> str:
    return "PA" + base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def decode_token(token: str) -> int | None:
    """The offset a page token carries, or None if it is not one of ours."""
    if not token.startswith("PA") or len(token) > 64:
        return None
    raw = token[2:]
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (binascii.Error, ValueError):
        return None
    kind, _, number = text.partition(":")
    offset = _number(number) if kind == "offset" else None
    return offset if offset is not None and offset <= MAX_OFFSET else None


def _bounded(value: str | None, default: int, minimum: int, maximum: int) -> int | None:
    """``value`` as an int within [minimum, maximum] (``default`` if absent), else None."""
    if value is None or value == "":
        return default
    number = _number(value.strip())
    if number is None or not minimum <= number <= maximum:
        return None
    return number


def _query(request: Request, names: tuple[str, str, str], page: int, size: int, offset: int) -> str:
    """The request's query with its paging parameters (``names``: page, size, token) replaced."""
    page_key, size_key, token_key = names
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in names]
    params += [(page_key, str(page)), (size_key, str(size))]
    if offset > 0:
        params.append((token_key, encode_token(offset)))
    return urlencode(params)


def _link(request: Request, query: str) -> str:
    path = request.url.path
    rel = f"{path}?{query}" if query else path
    space = request.app.state.space
    return rel if space.relative_links else f"{space.base_url}{rel}"


def paginate(request: Request, items: list[dict[str, Any]]) -> dict[str, Any]:
    """``/api/*`` paging: ``page_size`` / ``page_number`` / ``page_token`` in, ``{data, links}`` out.

    ``links.next`` and ``links.prev`` are absent at the ends; links are absolute
    (``https://127.0.0.1:<port>/...``) unless ``space.relative_links`` is true.
    """
    q = request.query_params
    size = _bounded(q.get("page_size"), DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    if size is None:
        raise unprocessable("page_size", f"page_size must be an integer between 1 and {MAX_PAGE_SIZE}")
    number = _bounded(q.get("page_number"), 0, 0, MAX_OFFSET)
    if number is None:
        raise unprocessable("page_number", "page_number must be an integer >= 0")
    token = q.get("page_token")
    if token:
        offset = decode_token(token)
        if offset is None:
            raise unprocessable("page_token", "page_token is invalid")
    elif number > 0:
        raise unprocessable("page_token", "page_token is required when page_number is greater than 0")
    else:
        offset = 0
    page_no = offset // size

    def at(off: int, num: int) -> str:
        return _link(request, _query(request, ("page_number", "page_size", "page_token"), num, size, off))

    links: dict[str, str] = {"self": at(offset, page_no), "first": at(0, 0)}
    if offset + size < len(items):
        links["next"] = at(offset + size, page_no + 1)
    if offset > 0:
        links["prev"] = at(max(0, offset - size), max(0, page_no - 1))
    return {"links": links, "data": items[offset : offset + size]}


def paginate_compat(request: Request, items: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """Compatibility paging: ``Page`` / ``PageSize`` / ``PageToken`` in; ``next_page_uri`` (relative,
    null at the end), ``uri``, ``first_page_uri``, ``previous_page_uri``, ``page``, ``page_size`` and
    ``key`` out."""
    q = request.query_params
    size = _bounded(q.get("PageSize"), DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    if size is None:
        raise compat_bad_request(f"Invalid PageSize: must be an integer between 1 and {MAX_PAGE_SIZE}")
    page = _bounded(q.get("Page"), 0, 0, MAX_OFFSET)
    if page is None:
        raise compat_bad_request("Invalid Page: must be an integer >= 0")
    token = q.get("PageToken")
    if token:
        decoded = decode_token(token)
        if decoded is None:
            raise compat_bad_request("Invalid PageToken")
        offset = decoded
    else:
        offset = page * size

    def uri(off: int, pg: int) -> str:
        return f"{request.url.path}?{_query(request, ('Page', 'PageSize', 'PageToken'), pg, size, off)}"

    return {
        "uri": uri(offset, page),
        "first_page_uri": uri(0, 0),
        "next_page_uri": uri(offset + size, page + 1) if offset + size < len(items) else None,
        "previous_page_uri": uri(max(0, offset - size), max(0, page - 1)) if offset > 0 else None,
        "page": page,
        "page_size": size,
        key: items[offset : offset + size],
    }
