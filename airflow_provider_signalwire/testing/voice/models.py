"""Voice backend: calls started through the Compatibility API, whose status follows the clock."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from airflow_provider_signalwire.testing.clock import FakeClock
from airflow_provider_signalwire.testing.core import Backend
from airflow_provider_signalwire.testing.records import Fresh, PhoneLog, Record, TableOf
from airflow_provider_signalwire.testing.util import COMPAT_PREFIX, iso, rfc2822

# Status timeline (seconds after creation, on the fake clock).
CALL_RINGING_AFTER = 1.0
CALL_ANSWERED_AFTER = 3.0
CALL_DURATION = 10
FAILURE_STATUSES = ("failed", "busy", "no-answer", "canceled")
LIVE_STATUSES = ("queued", "ringing", "in-progress")


@dataclass(kw_only=True)
class Call(Record):
    account_sid: str
    to: str
    from_: str
    url: str | None
    failure: str | None
    ended_at: datetime | None = None
    end_status: str | None = None
    clock: FakeClock = field(repr=False, compare=False)

    def status(self) -> tuple[str, datetime | None, datetime | None]:
        """(status, start_time, end_time) at the fake clock's current time."""
        now = self.clock.now()
        answered = self.created + timedelta(seconds=CALL_ANSWERED_AFTER)
        if self.ended_at is not None and self.end_status is not None and self.ended_at <= now:
            start = answered if self.ended_at > answered else None
            return self.end_status, start, self.ended_at
        age = (now - self.created).total_seconds()
        if age < CALL_RINGING_AFTER:
            return "queued", None, None
        if self.failure is not None:
            return self.failure, None, self.created + timedelta(seconds=CALL_RINGING_AFTER)
        if age < CALL_ANSWERED_AFTER:
            return "ringing", None, None
        if age < CALL_ANSWERED_AFTER + CALL_DURATION:
            return "in-progress", answered, None
        return "completed", answered, answered + timedelta(seconds=CALL_DURATION)

    def hang_up(self) -> None:
        """End a live call now: ``completed`` if it was answered, else ``canceled``."""
        status, _, _ = self.status()
        if status in LIVE_STATUSES:
            self.ended_at = self.clock.now()
            self.end_status = "completed" if status == "in-progress" else "canceled"

    def render(self) -> dict[str, Any]:
        """The call as the Compatibility API shapes it."""
        status, start, end = self.status()
        duration = int((end - start).total_seconds()) if start and end else 0
        base = f"{COMPAT_PREFIX}/Accounts/{self.account_sid}/Calls/{self.id}"
        return {
            "sid": self.id,
            "account_sid": self.account_sid,
            "date_created": rfc2822(self.created),
            "date_updated": rfc2822(end or start or self.created),
            "parent_call_sid": None,
            "to": self.to,
            "formatted_to": self.to,
            "to_formatted": self.to,
            "from": self.from_,
            "formatted_from": self.from_,
            "from_formatted": self.from_,
            "phone_number_sid": None,
            "status": status,
            "start_time": rfc2822(start),
            "end_time": rfc2822(end),
            "duration": duration,
            "price": round(0.0035 * max(1, math.ceil(duration / 60)), 5) if end and duration else None,
            "price_unit": "USD",
            "direction": "outbound",
            "answered_by": "human" if start else None,
            "api_version": "2010-04-01",
            "forwarded_from": None,
            "caller_name": None,
            "uri": f"{base}.json",
            "subresource_uris": {"notifications": None, "recordings": f"{base}/Recordings.json"},
            "annotation": None,
            "group_sid": None,
            "audio_in_mos": None,
            "sip_result_code": None,
            "audio_rtt_avg": None,
            "audio_rtt_min": None,
            "audio_rtt_max": None,
            "audio_out_jitter_min": None,
            "audio_out_jitter_max": None,
            "audio_out_jitter_avg": None,
            "audio_out_lost": None,
        }


@dataclass(kw_only=True)
class CallLog(PhoneLog[Call]):
    """A call as ``/api/voice/logs`` shows it."""

    def fields(self, view: dict[str, Any]) -> dict[str, Any]:
        return {
            "source": "laml",
            "charge": view["price"] or 0.0,
            "charge_details": [],
            "created_at": iso(self.created),
            "type": "laml_call",
            "url": self.source.url,
            "direction": "outbound-api",
            "status": view["status"],
            "duration": view["duration"],
            "duration_ms": view["duration"] * 1000,
            "billing_ms": view["duration"] * 1000,
            "parent_id": None,
        }


class VoiceBackend(Backend):
    """Calls of one space, and failures queued for the next ones."""

    name: ClassVar[str] = "voice"
    calls = TableOf(Call)
    failures = Fresh[deque[str]](deque)

    def fail_next(self, status: str) -> None:
        if status not in FAILURE_STATUSES:
            raise ValueError(f"status must be one of {', '.join(FAILURE_STATUSES)}, got {status!r}")
        with self.lock:
            self.failures.append(status)

    def create_call(self, fields: dict[str, Any], started_at: datetime | None = None) -> Call:
        """A call from validated form fields (``To``, ``From``, ``Url``).

        ``started_at``: a past creation time for seeded calls (which never take a queued failure).
        """
        with self.lock:
            failure = self.failures.popleft() if self.failures and started_at is None else None
            call = Call(
                created=started_at or self.now(),
                seq=self.seq(),
                account_sid=self.core.project_id,
                to=fields["To"],
                from_=fields["From"],
                url=fields.get("Url"),
                failure=failure,
                clock=self.core.clock,
            )
            return self.calls.add(call)

    def hang_up(self, call: Call) -> None:
        with self.lock:
            call.hang_up()

    def log_entries(self, kind: str) -> list[Record]:
        return [CallLog.of(c) for c in self.calls] if kind == "voice" else []

    def seed_calls(self, n: int, start: datetime | None = None, end: datetime | None = None) -> list[Call]:
        """``n`` completed calls started evenly over [start, end) (default: the last hour)."""
        fields = {"From": "+12025550150", "Url": "https://example.com/laml.xml"}
        return self.seed_over(
            n, start, end, lambda k, when: self.create_call({**fields, "To": f"+1202555{k:04d}"}, when)
        )


BACKEND = VoiceBackend
