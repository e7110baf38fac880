"""The request log of the fake servers: what each server received, in order."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from airflow_provider_signalwire.testing.util import LockedList


@dataclass
class RecordedRequest:
    """One request received by a fake server.

    ``query`` is a dict (the last value wins for a repeated key); ``query_list`` keeps
    every pair in order.  ``headers`` is a case-insensitive mapping whose
    ``Authorization`` value (if one was sent) is replaced by ``"<redacted>"``, so a test
    can assert whether credentials were sent without seeing them.  ``status`` is the
    HTTP status answered, or ``None`` when the connection was dropped (fault ``drop``)
    or no response was sent. ``client`` is the client's ``host:port``: requests with the same one came
    over the same (TLS) connection.
    """

    server: str
    method: str
    path: str
    query: dict[str, str]
    query_list: list[tuple[str, str]]
    body: str
    headers: Any
    time: datetime
    status: int | None = None
    fault: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    client: str | None = None

    @property
    def has_auth(self) -> bool:
        """Whether an ``Authorization`` header was sent."""
        return "authorization" in self.headers


class RequestLog(LockedList[RecordedRequest]):
    """A thread-safe, append-only list of :class:`RecordedRequest` (one per server)."""
