"""API tokens of the fake space and HTTP Basic authentication with scopes."""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
from typing import TYPE_CHECKING

from airflow_provider_signalwire.testing.errors import FakeHTTPError, is_compat
from airflow_provider_signalwire.testing.util import ALL_SCOPES

if TYPE_CHECKING:
    from fastapi import Request


class TokenStore:
    """API tokens and their scopes (kept across ``reset()``)."""

    def __init__(self, project_id: str) -> None:
        self.project_id = project_id
        self._lock = threading.Lock()
        self._tokens: dict[str, frozenset[str]] = {}

    def add(self, scopes: tuple[str, ...] | list[str] = ALL_SCOPES) -> str:
        """Create a token limited to ``scopes`` (lower-case names) and return it."""
        if isinstance(scopes, str):
            raise ValueError(f"scopes must be a list of scope names, not the string {scopes!r}")
        unknown = set(scopes) - set(ALL_SCOPES)
        if unknown:
            raise ValueError(f"scopes: unknown {sorted(unknown)}; known: {ALL_SCOPES}")
        token = "PT" + secrets.token_hex(24)
        with self._lock:
            self._tokens[token] = frozenset(scopes)
        return token

    def scopes_for(self, authorization: str) -> frozenset[str] | None:
        """The scopes of a ``Basic`` Authorization header's token, or None if it is not valid."""
        if authorization[:6].lower() != "basic ":
            return None
        try:
            user, _, password = base64.b64decode(authorization[6:].strip()).decode().partition(":")
        except (binascii.Error, ValueError):  # not base64, not ASCII, not UTF-8
            return None
        if user != self.project_id:
            return None
        with self._lock:
            return self._tokens.get(password)


def authenticate(request: Request, scopes: tuple[str, ...] = (), *, forbidden: int = 401) -> None:
    """Check HTTP Basic auth (project id + API token) and the token's scopes.

    ``scopes``: any one of them is enough (empty: any valid token).  A wrong or
    missing credential answers 401; a valid token without the scope answers
    ``forbidden`` (401 or 403, whichever the operation declares in the spec).
    """
    tokens: TokenStore = request.app.state.space.tokens
    token_scopes = tokens.scopes_for(request.headers.get("authorization", ""))
    if token_scopes is None:
        raise FakeHTTPError(401, headers={"WWW-Authenticate": 'Basic realm="SignalWire"'})
    if scopes and not token_scopes.intersection(scopes):
        raise FakeHTTPError(401 if is_compat(request.url.path) else forbidden)
