"""The Chat and PubSub token backend: the tokens minted, without their values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airflow_provider_signalwire.testing.core import Backend
from airflow_provider_signalwire.testing.records import Record, TableOf
from airflow_provider_signalwire.testing.util import iso


@dataclass(kw_only=True)
class BrowserToken(Record):
    """A minted chat or pubsub token's grant (``service``: ``chat`` or ``pubsub``)."""

    service: str
    member_id: str
    ttl: int
    channels: dict[str, Any]
    state: dict[str, Any]

    def render(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "service": self.service,
            "member_id": self.member_id,
            "ttl": self.ttl,
            "channels": self.channels,
            "state": self.state,
            "created_at": iso(self.created),
        }


class RealtimeBackend(Backend):
    name = "realtime"
    browser_tokens = TableOf(BrowserToken)


BACKEND = RealtimeBackend
