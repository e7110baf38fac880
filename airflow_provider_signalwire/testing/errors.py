"""Error answers of the fake space, in each family's shape (one helper for real errors and faults).

``/api/*`` answers ``{"error": "<reason>"}``, or ``{"errors": [...]}`` for validation problems
(422); the Compatibility API answers ``{code, message, more_info, status}``.  Routes raise
:class:`FakeHTTPError`; the app renders it with :func:`error_response` for the request's path, as
the fault middleware does for injected 429/5xx answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_signalwire.testing.util import COMPAT_PREFIX

if TYPE_CHECKING:
    from starlette.responses import JSONResponse

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
COMPAT_MESSAGES = {404: "The requested resource was not found"}
COMPAT_MORE_INFO = "https://signalwire.com/docs/compatibility-api/reference/errors"
ERROR_DOCS = "https://developer.signalwire.com/rest/overview/error-codes"


def is_compat(path: str) -> bool:
    return path.startswith(COMPAT_PREFIX)


class FakeHTTPError(Exception):
    """An error answer.  Rendered by :func:`error_response` in the shape of the request's family.

    ``errors``: ``/api/*`` validation items (see :func:`invalid`); ``code`` / ``message``: the
    Compatibility API's error code and sentence (defaults from the status).
    """

    def __init__(
        self,
        status: int,
        *,
        errors: list[dict[str, Any]] | None = None,
        code: int | None = None,
        message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, message or REASONS.get(status, "Error"))
        self.status = status
        self.errors = errors
        self.code = code
        self.message = message
        self.headers = headers


def invalid(attribute: str | None, message: str, code: str = "invalid_parameter") -> dict[str, Any]:
    """One item of a ``/api/*`` 422 ``errors`` list."""
    return {
        "type": "validation_error",
        "code": code,
        "message": message,
        "attribute": attribute,
        "url": f"{ERROR_DOCS}#{code}",
    }


def unprocessable(attribute: str | None, message: str, code: str = "invalid_parameter") -> FakeHTTPError:
    """A ``/api/*`` 422 naming one attribute."""
    return FakeHTTPError(422, errors=[invalid(attribute, message, code)])


def compat_bad_request(message: str, code: int = 20001) -> FakeHTTPError:
    """A Compatibility API 400 (bad query parameter or body)."""
    return FakeHTTPError(400, code=code, message=message)


def error_body(path: str, status: int, exc: FakeHTTPError | None = None) -> dict[str, Any]:
    """The JSON body of an error answer for ``path``'s family."""
    if is_compat(path):
        if exc is not None and exc.errors:
            return dict(exc.errors[0])  # a validation error (API tokens): one ``{type, code, ...}`` object
        return {
            "code": (exc and exc.code) or COMPAT_CODES.get(status, 20000 + status),
            "message": (exc and exc.message) or COMPAT_MESSAGES.get(status) or REASONS.get(status, "Error"),
            "more_info": COMPAT_MORE_INFO,
            "status": status,
        }
    if exc is not None and exc.errors:
        return {"errors": exc.errors}
    return {"error": REASONS.get(status, "Error")}


def error_response(
    path: str, status: int, exc: FakeHTTPError | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The full error answer (JSON body, status, headers) for ``path``'s family."""
    from starlette.responses import JSONResponse

    merged = {**(exc.headers or {} if exc else {}), **(headers or {})}
    return JSONResponse(error_body(path, status, exc), status_code=status, headers=merged or None)
