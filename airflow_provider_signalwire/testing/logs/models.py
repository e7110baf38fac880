"""Logs backend: seeded log entries of each kind, listed with what other families contribute."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_signalwire.testing.backend import Backend, Record, Table, count_arg, spread
from airflow_provider_signalwire.testing.util import iso

if TYPE_CHECKING:
    from airflow_provider_signalwire.testing.core import SpaceCore

LOG_KINDS = ("voice", "messaging", "fax", "video", "conferences")


def check_kind(kind: str) -> str:
    if kind not in LOG_KINDS:
        raise ValueError(f"kind: unknown log kind {kind!r}; expected one of {LOG_KINDS}")
    return kind


@dataclass(kw_only=True)
class LogEntry(Record):
    """A seeded log entry of ``kind``; ``overrides`` replace fields of the default shape."""

    kind: str
    project_id: str
    overrides: dict[str, Any] = field(default_factory=dict)

    def render(self) -> dict[str, Any]:
        kind, when, lid, project_id = self.kind, self.created, self.id, self.project_id
        created = iso(when)
        base: dict[str, Any]
        if kind == "voice":
            base = {
                "id": lid,
                "from": "+15551230000",
                "to": "+15557650000",
                "source": "laml",
                "charge": 0.0035,
                "charge_details": [{"description": "Outbound call", "charge": 0.0035}],
                "created_at": created,
                "type": "laml_call",
                "url": None,
                "direction": "outbound-api",
                "status": "completed",
                "duration": 42,
                "duration_ms": 42000,
                "billing_ms": 60000,
                "parent_id": None,
            }
        elif kind == "messaging":
            base = {
                "id": lid,
                "from": "+15551230000",
                "to": "+15557650000",
                "status": "delivered",
                "direction": "outbound-api",
                "kind": "sms",
                "source": "laml",
                "type": "laml_message",
                "url": None,
                "number_of_segments": 1,
                "charge": 0.00415,
                "charge_details": [{"description": "SMS segment", "charge": 0.00415}],
                "created_at": created,
                "error_message": None,
                "error_code": None,
            }
        elif kind == "fax":
            base = {
                "id": lid,
                "from": "+15551230000",
                "to": "+15557650000",
                "status": "completed",
                "direction": "outbound-api",
                "source": "laml",
                "type": "laml_call",
                "url": f"https://fake.signalwire.invalid/api/laml/2010-04-01/Accounts/{project_id}/Faxes/{lid}",
                "remote_station": None,
                "charge": 0.007,
                "number_of_pages": 2,
                "quality": "fine",
                "charge_details": [{"description": "Fax pages", "charge": 0.007}],
                "created_at": created,
                "error_code": None,
                "error_message": None,
            }
        elif kind == "video":
            base = {
                "id": lid,
                "source": "realtime_api",
                "type": "video_room_session",
                "url": f"/api/video/logs/{lid}",
                "room_name": "seeded-room",
                "status": "completed",
                "locked": False,
                "started_at": iso(when - timedelta(minutes=10)),
                "ended_at": created,
                "charge": 0.012,
                "created_at": created,
                "charge_details": [{"description": "Video minutes", "charge": 0.012}],
            }
        else:  # conferences
            base = {
                "id": lid,
                "created_at": created,
                "project_id": project_id,
                "region": "us-east",
                "name": "seeded-conference",
                "status": "completed",
                "max_size": 250,
                "current_participants": 0,
                "updated_at": created,
                "type": "cxml_conference",
            }
        base.update(self.overrides)
        return base


class LogsBackend(Backend):
    """Seeded log entries by kind.  Listings add the entries other families contribute
    (live messages in the messaging logs, live calls in the voice logs)."""

    name: ClassVar[str] = "logs"

    def __init__(self, core: SpaceCore) -> None:
        super().__init__(core)
        self.entries: Table[LogEntry] = Table()

    def add(self, kind: str, when: datetime, **overrides: Any) -> LogEntry:
        entry = LogEntry(
            created=when,
            seq=self.seq(),
            kind=check_kind(kind),
            project_id=self.core.project_id,
            overrides=overrides,
        )
        if "id" in overrides:
            entry.id = str(overrides["id"])
        return self.entries.add(entry)

    def listing(self, kind: str) -> list[Record]:
        """Every entry of ``kind``, newest first."""
        rows: list[Record] = list(self.entries.newest_first(lambda e: e.kind == kind))
        for backend in self.core.backends.values():
            if backend is not self:
                rows += backend.log_entries(kind)
        return sorted(rows, key=lambda r: r.order, reverse=True)

    def seed_logs(self, kind: str, n: int, start: datetime, end: datetime) -> list[LogEntry]:
        """``n`` entries of ``kind`` with ``created_at`` spread evenly over [start, end)."""
        check_kind(kind)
        count_arg("n", n)
        return [self.add(kind, when) for when in spread(n, start, end)]

    def seed_logs_burst(
        self,
        kind: str,
        n: int,
        start: datetime,
        end: datetime,
        burst_start: datetime,
        burst_end: datetime,
        share: float = 0.95,
    ) -> list[LogEntry]:
        """``n`` entries of ``kind``: ``share`` of them spread evenly over [burst_start, burst_end), the
        rest over [start, end) (bursty traffic, e.g. a day's calls in business hours)."""
        check_kind(kind)
        count_arg("n", n)
        if not 0 <= share <= 1:
            raise ValueError(f"share must be between 0 and 1, got {share!r}")
        in_burst = round(n * share)
        moments = spread(n - in_burst, start, end) + spread(in_burst, burst_start, burst_end)
        return [self.add(kind, when) for when in sorted(moments)]


BACKEND = LogsBackend
