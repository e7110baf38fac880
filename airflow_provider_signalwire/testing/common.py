"""Protocol pieces shared by the fake's routes: errors, authentication, paging."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from airflow_provider_signalwire.testing.state import SpaceState
from airflow_provider_signalwire.testing.util import COMPAT_PREFIX

REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
COMPAT_CODES = {400: 20001, 401: 20003, 403: 20403, 404: 20404, 405: 20004, 429: 20429, 500: 20500}
COMPAT_MORE_INFO = "https://signalwire.com/docs/compatibility-api/reference/errors"
ERROR_DOCS = "https://developer.signalwire.com/rest/overview/error-codes"
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 50


class FakeHTTPError(Exception):
    """Raised by a route to answer with ``response`` (caught by the app)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def is_compat(path: str) -> bool:
    return path.startswith(COMPAT_PREFIX)


def api_error(status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    """``/api/*`` error body: ``{"error": "<reason>"}``."""
    return JSONResponse({"error": REASONS.get(status, "Error")}, status_code=status, headers=headers)


def api_422(errors: list[dict[str, Any]]) -> JSONResponse:
    """``/api/*`` validation error body: ``{"errors": [{type, code, message, attribute, url}]}``."""
    return JSONResponse({"errors": errors}, status_code=422)


def invalid(attribute: str | None, message: str, code: str = "invalid_parameter") -> dict[str, Any]:
    """One item of a ``/api/*`` 422 ``errors`` list."""
    return {
        "type": "validation_error",
        "code": code,
        "message": message,
        "attribute": attribute,
        "url": f"{ERROR_DOCS}#{code}",
    }


def compat_error(
    status: int, code: int | None = None, message: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """Compatibility API error body: ``{code, message, more_info, status}``."""
    body = {
        "code": code or COMPAT_CODES.get(status, 20000 + status),
        "message": message or REASONS.get(status, "Error"),
        "more_info": COMPAT_MORE_INFO,
        "status": status,
    }
    return JSONResponse(body, status_code=status, headers=headers)


def error_for(path: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    """The error body of ``status`` in the family ``path`` belongs to."""
    if is_compat(path):
        return compat_error(status, headers=headers)
    return api_error(status, headers=headers)


def state_of(request: Request) -> SpaceState:
    state: SpaceState = request.app.state.space
    return state


# ------------------------------------------------------------------- auth
def authenticate(request: Request, scopes: tuple[str, ...] = (), *, forbidden: int = 401) -> None:
    """Check HTTP Basic auth (project id + API token) and the token's scopes.

    ``scopes``: any one of them is enough (empty: any valid token).  A wrong or
    missing credential answers 401; a valid token without the scope answers
    ``forbidden`` (401 or 403, whichever the operation declares in the spec).
    """
    state = state_of(request)
    path = request.url.path
    header = request.headers.get("authorization", "")
    token_scopes: frozenset[str] | None = None
    if header[:6].lower() == "basic ":
        try:
            user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user, password = "", ""
        if user == state.project_id:
            with state.lock:
                token_scopes = state.tokens.get(password)
    if token_scopes is None:
        resp = error_for(path, 401, headers={"WWW-Authenticate": 'Basic realm="SignalWire"'})
        raise FakeHTTPError(resp)
    if scopes and not token_scopes.intersection(scopes):
        raise FakeHTTPError(error_for(path, forbidden if not is_compat(path) else 401))


# ------------------------------------------------------------------ paging
def _int_param(value: str | None, name: str, default: int, minimum: int, maximum: int | None) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise FakeHTTPError(api_422([invalid(name, f"{name} must be an integer")])) from None
    if number < minimum or (maximum is not None and number > maximum):
        limit = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise FakeHTTPError(api_422([invalid(name, f"{name} must be {limit}")]))
    return number


def encode_token(offset: int) -> str:
    return "PA" + base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def decode_token(token: str) -> int | None:
    if not token.startswith("PA"):
        return None
    raw = token[2:]
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    kind, _, number = text.partition(":")
    return int(number) if kind == "offset" and number.isdigit() else None


def _link(state: SpaceState, path: str, params: list[tuple[str, str]]) -> str:
    query = urlencode(params)
    rel = f"{path}?{query}" if query else path
    return rel if state.relative_links else f"{state.base_url}{rel}"


def paginate(request: Request, items: list[dict[str, Any]]) -> dict[str, Any]:
    """``/api/*`` paging: ``page_size`` / ``page_number`` / ``page_token`` in, ``{data, links}`` out.

    ``links.next`` and ``links.prev`` are absent at the ends; links are absolute
    (``https://127.0.0.1:<port>/...``) unless ``space.relative_links`` is true.
    """
    state = state_of(request)
    q = request.query_params
    size = _int_param(q.get("page_size"), "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    number = _int_param(q.get("page_number"), "page_number", 0, 0, None)
    token = q.get("page_token")
    if token:
        offset = decode_token(token)
        if offset is None:
            raise FakeHTTPError(api_422([invalid("page_token", "page_token is invalid")]))
    elif number > 0:
        raise FakeHTTPError(
            api_422([invalid("page_token", "page_token is required when page_number is greater than 0")])
        )
    else:
        offset = 0
    page_no = offset // size if size else 0
    filters = [(k, v) for k, v in q.multi_items() if k not in ("page_size", "page_number", "page_token")]
    path = request.url.path

    def at(off: int, num: int) -> str:
        params = [*filters, ("page_number", str(num)), ("page_size", str(size))]
        if off > 0:
            params.append(("page_token", encode_token(off)))
        return _link(state, path, params)

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

    def num(name: str, default: int, minimum: int, maximum: int | None) -> int:
        value = q.get(name)
        if value in (None, ""):
            return default
        try:
            n = int(value)  # type: ignore[arg-type]
        except ValueError:
            n = minimum - 1
        if n < minimum or (maximum is not None and n > maximum):
            raise FakeHTTPError(compat_error(400, 20001, f"Invalid {name}: {value}"))
        return n

    size = num("PageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    page = num("Page", 0, 0, None)
    token = q.get("PageToken")
    if token:
        decoded = decode_token(token)
        if decoded is None:
            raise FakeHTTPError(compat_error(400, 20001, "Invalid PageToken"))
        offset = decoded
    else:
        offset = page * size
    filters = [(k, v) for k, v in q.multi_items() if k not in ("Page", "PageSize", "PageToken")]
    path = request.url.path

    def uri(off: int, pg: int) -> str:
        params = [*filters, ("Page", str(pg)), ("PageSize", str(size))]
        if off > 0:
            params.append(("PageToken", encode_token(off)))
        return f"{path}?{urlencode(params)}"

    return {
        "uri": uri(offset, page),
        "first_page_uri": uri(0, 0),
        "next_page_uri": uri(offset + size, page + 1) if offset + size < len(items) else None,
        "previous_page_uri": uri(max(0, offset - size), max(0, page - 1)) if offset > 0 else None,
        "page": page,
        "page_size": size,
        key: items[offset : offset + size],
    }
