"""API tokens of the fake space and HTTP Basic authentication with scopes."""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_signalwire.testing.errors import FakeHTTPError, is_compat
from airflow_provider_signalwire.testing.util import ALL_SCOPES, iso, new_id

if TYPE_CHECKING:
    from fastapi import Request


# The permissions an API token can have (the spec's ``Project.TokenPermission``) are the fake's scope
# names too, so a token created through the API gets exactly these scopes; the fake's extra scope
# ``voice`` (a Voice-only test token) is reachable through ``calling`` on every voice route.


@dataclass
class ApiToken:
    """One API token: its id, name and permissions (scopes), and its value (never in ``repr``)."""

    id: str
    name: str
    permissions: tuple[str, ...]
    token: str = field(repr=False)
    created: datetime
    kept: bool = False  # made by the space's controls: restored by reset(); API-made ones are forgotten

    def render(self) -> dict[str, Any]:
        """The API's ``TokenResponse``."""
        return {"id": self.id, "name": self.name, "permissions": list(self.permissions), "token": self.token}

    def listing(self) -> dict[str, Any]:
        """What :meth:`TokenStore.listing` shows: everything but the value."""
        return {
            "id": self.id,
            "name": self.name,
            "permissions": list(self.permissions),
            "created_at": iso(self.created),
        }


class TokenStore:
    """API tokens and their scopes.

    Tokens made by the space's controls (:meth:`add`) survive ``reset()``, which also restores them
    if a test changed or deleted them through the API; tokens created through the API are forgotten.
    """

    def __init__(self, project_id: str) -> None:
        self.project_id = project_id
        self._lock = threading.Lock()
        self._tokens: dict[str, ApiToken] = {}  # by value
        self._kept: list[ApiToken] = []

    def add(self, scopes: tuple[str, ...] | list[str] = ALL_SCOPES, name: str = "test token") -> str:
        """Create a token limited to ``scopes`` (lower-case names) and return it."""
        if isinstance(scopes, str):
            raise ValueError(f"scopes must be a list of scope names, not the string {scopes!r}")
        unknown = set(scopes) - set(ALL_SCOPES)
        if unknown:
            raise ValueError(f"scopes: unknown {sorted(unknown)}; known: {ALL_SCOPES}")
        record = self._new(name, scopes, kept=True)
        with self._lock:
            self._kept.append(replace(record))
        return record.token

    def create(self, name: str, permissions: list[str] | tuple[str, ...]) -> ApiToken:
        """A token created through the API (its permissions already checked)."""
        return self._new(name, permissions, kept=False)

    def _new(self, name: str, scopes: list[str] | tuple[str, ...], *, kept: bool) -> ApiToken:
        record = ApiToken(
            id=new_id(),
            name=name,
            permissions=tuple(dict.fromkeys(scopes)),
            token="PT" + secrets.token_hex(24),
            created=datetime.now(timezone.utc),
            kept=kept,
        )
        with self._lock:
            self._tokens[record.token] = record
        return record

    def by_id(self, token_id: str) -> ApiToken | None:
        with self._lock:
            return next((t for t in self._tokens.values() if t.id == token_id), None)

    def update(
        self, token_id: str, name: str | None = None, permissions: list[str] | None = None
    ) -> ApiToken | None:
        """Change a token's name or permissions (they apply from the next request); None if unknown."""
        with self._lock:
            record = next((t for t in self._tokens.values() if t.id == token_id), None)
            if record is None:
                return None
            if name is not None:
                record.name = name
            if permissions is not None:
                record.permissions = tuple(dict.fromkeys(permissions))
            return replace(record)

    def delete(self, token_id: str) -> bool:
        """Forget a token (it answers 401 from the next request); False if unknown."""
        with self._lock:
            for value, record in list(self._tokens.items()):
                if record.id == token_id:
                    del self._tokens[value]
                    return True
        return False

    def id_of(self, token: str) -> str | None:
        """The id of the token with this value, or None if it does not (or no longer) exist."""
        with self._lock:
            record = self._tokens.get(token)
        return record.id if record else None

    def listing(self) -> list[dict[str, Any]]:
        """Every token, oldest first, without the values (the real API has no list)."""
        with self._lock:
            records = list(self._tokens.values())  # insertion order
        return [t.listing() for t in records]

    def reset(self) -> None:
        """Forget API-made tokens; restore the control-made ones as they were made."""
        with self._lock:
            self._tokens = {t.token: replace(t) for t in self._kept}

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
            record = self._tokens.get(password)
            return frozenset(record.permissions) if record else None


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
