"""Logs backend: seeded log entries of each kind, listed with what other families contribute."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from airflow_provider_signalwire.testing.core import Backend
from airflow_provider_signalwire.testing.records import Record, TableOf, count_arg, spread
from airflow_provider_signalwire.testing.util import COMPAT_PREFIX, iso

LOG_KINDS = ("voice", "messaging", "fax", "video", "conferences")


def check_kind(kind: str) -> str:
    if kind not in LOG_KINDS:
        raise ValueError(f"kind: unknown log kind {kind!r}; expected one of {LOG_KINDS}")
    return kind


_PHONES = {"from": "+15551230000", "to": "+15557650000"}
# Each kind's default shape; ``None`` placeholders for the keys render() fills (order is the API's).
SHAPES: dict[str, dict[str, Any]] = {
    "voice": {
        **_PHONES,
        **{"source": "laml", "charge": 0.0035},
        "charge_details": [{"description": "Outbound call", "charge": 0.0035}],
        **{"created_at": None, "type": "laml_call", "url": None, "direction": "outbound-api"},
        **{
            "status": "completed",
            "duration": 42,
            "duration_ms": 42000,
            "billing_ms": 60000,
            "parent_id": None,
        },
    },
    "messaging": {
        **_PHONES,
        **{"status": "delivered", "direction": "outbound-api", "kind": "sms", "source": "laml"},
        **{"type": "laml_message", "url": None, "number_of_segments": 1, "charge": 0.00415},
        "charge_details": [{"description": "SMS segment", "charge": 0.00415}],
        **{"created_at": None, "error_message": None, "error_code": None},
    },
    "fax": {
        **_PHONES,
        **{"status": "completed", "direction": "outbound-api", "source": "laml", "type": "laml_call"},
        **{"url": None, "remote_station": None, "charge": 0.007, "number_of_pages": 2, "quality": "fine"},
        "charge_details": [{"description": "Fax pages", "charge": 0.007}],
        **{"created_at": None, "error_code": None, "error_message": None},
    },
    "video": {
        **{"source": "realtime_api", "type": "video_room_session", "url": None, "room_name": "seeded-room"},
        **{"status": "completed", "locked": False, "started_at": None, "ended_at": None, "charge": 0.012},
        "created_at": None,
        "charge_details": [{"description": "Video minutes", "charge": 0.012}],
    },
    "conferences": {
        **{"created_at": None, "project_id": None, "region": "us-east", "name": "seeded-conference"},
        **{"status": "completed", "max_size": 250, "current_participants": 0, "updated_at": None},
        "type": "cxml_conference",
    },
}


@dataclass(kw_only=True)
class LogEntry(Record):
    """A seeded log entry of ``kind``; ``overrides`` replace fields of the default shape."""

    kind: str
    project_id: str
    overrides: dict[str, Any] = field(default_factory=dict)

    def render(self) -> dict[str, Any]:
        kind, lid, created = self.kind, self.id, iso(self.created)
        base: dict[str, Any] = {"id": lid, **copy.deepcopy(SHAPES[kind]), "created_at": created}
        if kind == "fax":
            base["url"] = (
                f"https://fake.signalwire.invalid{COMPAT_PREFIX}/Accounts/{self.project_id}/Faxes/{lid}"
            )
        elif kind == "video":
            base.update(url=f"/api/video/logs/{lid}", ended_at=created)
            base["started_at"] = iso(self.created - timedelta(minutes=10))
        elif kind == "conferences":
            base.update(project_id=self.project_id, updated_at=created)
        base.update(self.overrides)
        return base


class LogsBackend(Backend):
    """Seeded log entries by kind.  Listings add the entries other families contribute
    (live messages in the messaging logs, live calls in the voice logs)."""

    name: ClassVar[str] = "logs"
    entries = TableOf(LogEntry)

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
        span: tuple[datetime, datetime],
        burst: tuple[datetime, datetime],
        share: float,
    ) -> list[LogEntry]:
        """``n`` entries of ``kind``: ``share`` of them spread evenly over ``burst`` (start, end), the
        rest over ``span`` (bursty traffic, e.g. a day's calls in business hours)."""
        check_kind(kind)
        count_arg("n", n)
        if not 0 <= share <= 1:
            raise ValueError(f"share must be between 0 and 1, got {share!r}")
        in_burst = round(n * share)
        moments = spread(n - in_burst, *span) + spread(in_burst, *burst)
        return [self.add(kind, when) for when in sorted(moments)]


BACKEND = LogsBackend
