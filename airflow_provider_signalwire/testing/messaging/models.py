"""Messaging backend: messages sent through the Compatibility API, whose status follows the clock."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from airflow_provider_signalwire.testing.clock import FakeClock
from airflow_provider_signalwire.testing.core import Backend
from airflow_provider_signalwire.testing.errors import unprocessable
from airflow_provider_signalwire.testing.records import Fresh, PhoneLog, Record, TableOf
from airflow_provider_signalwire.testing.util import COMPAT_PREFIX, iso, rfc2822

# Status timeline (seconds after creation, on the fake clock).
MESSAGE_SENT_AFTER = 1.0
MESSAGE_DELIVERED_AFTER = 3.0
FAILURE_STATUSES = ("failed", "undelivered")
# The REST API refuses to redact a message in these statuses (messaging spec, "Redact a message").
IN_PROGRESS = ("queued", "initiated")


@dataclass(frozen=True)
class Failure:
    """How a message will fail (see ``FakeSignalWireSpace.fail_next_message``)."""

    status: str
    error_code: str | None = None
    error_message: str | None = None


@dataclass(kw_only=True)
class Message(Record):
    account_sid: str
    to: str
    from_: str
    body: str | None
    media: list[str]
    messaging_service_sid: str | None
    failure: Failure | None
    clock: FakeClock = field(repr=False, compare=False)
    direction: str = "outbound-api"  # or "inbound": received by one of the space's numbers

    def status(self) -> tuple[str, datetime | None]:
        """(status, date_sent) at the fake clock's current time."""
        if self.direction == "inbound":
            return "received", self.created
        age = (self.clock.now() - self.created).total_seconds()
        sent_at = self.created + timedelta(seconds=MESSAGE_SENT_AFTER)
        if age < MESSAGE_SENT_AFTER:
            return "queued", None
        if self.failure is not None:
            status = self.failure.status
            return status, (sent_at if status == "undelivered" else None)
        if age < MESSAGE_DELIVERED_AFTER:
            return "sent", sent_at
        return "delivered", sent_at

    def render(self) -> dict[str, Any]:
        """The message as the Compatibility API shapes it."""
        status, sent = self.status()
        failed = status in FAILURE_STATUSES
        failure = self.failure or Failure(status)
        updated = self.created if status == "queued" else (sent or self.created)
        base = f"{COMPAT_PREFIX}/Accounts/{self.account_sid}/Messages/{self.id}"
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": self.body,
            "num_segments": max(1, math.ceil(len(self.body or "") / 160)),
            "num_media": len(self.media),
            "date_created": rfc2822(self.created),
            "date_sent": rfc2822(sent),
            "date_updated": rfc2822(updated),
            "direction": self.direction,
            "error_code": (failure.error_code or "30008") if failed else None,
            "error_message": (failure.error_message or "Unknown error") if failed else None,
            "from": self.from_,
            "price": 0.00415 if sent else None,
            "price_unit": "USD",
            "sid": self.id,
            "status": status,
            "to": self.to,
            "messaging_service_sid": self.messaging_service_sid,
            "uri": f"{base}.json",
            "subresource_uris": {"media": f"{base}/Media.json"},
        }

    def render_rest(self) -> dict[str, Any]:
        """The message as the REST API shapes it (``Message.Message``, the redaction's answer)."""
        view = self.render()
        status = view["status"]
        return {
            "id": self.id,
            "from": self.from_,
            "to": self.to,
            "body": self.body or "",
            # The REST statuses have no "received" and its directions only in/outbound.
            "status": "delivered" if status == "received" else status,
            "direction": "inbound" if self.direction == "inbound" else "outbound",
            "kind": "mms" if self.media else "sms",
            "media": list(self.media),
            "number_of_segments": view["num_segments"],
            "error_code": view["error_code"],
            "error_message": view["error_message"],
            "created_at": iso(self.created),
            "project_id": self.account_sid,
            "status_callback_url": None,
            "message_uri": f"/api/messaging/logs/{self.id}",
        }


@dataclass(kw_only=True)
class MessageLog(PhoneLog[Message]):
    """A message as ``/api/messaging/logs`` shows it."""

    def fields(self, view: dict[str, Any]) -> dict[str, Any]:
        return {
            "status": view["status"],
            "direction": self.source.direction,
            "kind": "mms" if self.source.media else "sms",
            "source": "laml",
            "type": "laml_message",
            "url": None,
            "number_of_segments": view["num_segments"],
            "charge": view["price"] or 0.0,
            "charge_details": [],
            "created_at": iso(self.created),
            "error_message": view["error_message"],
            "error_code": view["error_code"],
        }


class MessagingBackend(Backend):
    """Messages of one space, and failures queued for the next ones."""

    name: ClassVar[str] = "messaging"
    messages = TableOf(Message)
    failures = Fresh[deque[Failure]](deque)

    def fail_next(self, failure: Failure) -> None:
        if failure.status not in FAILURE_STATUSES:
            raise ValueError(f"status must be 'failed' or 'undelivered', got {failure.status!r}")
        with self.lock:
            self.failures.append(failure)

    def _add(self, created: datetime | None, **fields: Any) -> Message:
        return self.messages.add(
            Message(
                created=created or self.now(),
                seq=self.seq(),
                account_sid=self.core.project_id,
                clock=self.core.clock,
                **fields,
            )
        )

    def create_message(self, fields: dict[str, Any], sent_at: datetime | None = None) -> Message:
        """A message from validated form fields (``To``, ``From``, ``Body``, ``MediaUrl`` ...).

        ``sent_at``: a past creation time for seeded messages (which never take a queued failure).
        """
        media = fields.get("MediaUrl") or []
        with self.lock:
            return self._add(
                sent_at,
                to=fields["To"],
                from_=fields.get("From") or "+15550000000",
                body=fields.get("Body"),
                media=[media] if isinstance(media, str) else list(media),
                messaging_service_sid=fields.get("MessagingServiceSid"),
                failure=self.failures.popleft() if self.failures and sent_at is None else None,
            )

    def receive_message(self, from_: str, to: str, body: str, received_at: datetime | None = None) -> Message:
        """An inbound message (``received``) sent by ``from_`` to one of the space's numbers, ``to``."""
        with self.lock:
            return self._add(
                received_at,
                to=to,
                from_=from_,
                body=body,
                media=[],
                messaging_service_sid=None,
                failure=None,
                direction="inbound",
            )

    def redact(self, message_id: str) -> Message:
        """Clear a message's body (404 for an unknown id; 422 while it is queued or initiated)."""
        with self.lock:
            message = self.messages.get_or_404(message_id)
            if message.status()[0] in IN_PROGRESS:
                why = "Cannot redact a message that is in progress."
                raise unprocessable("base", why, "cannot_redact_in_progress_message")
            message.body = ""
            return message

    def log_entries(self, kind: str) -> list[Record]:
        return [MessageLog.of(m) for m in self.messages] if kind == "messaging" else []

    def seed_messages(
        self, n: int, start: datetime | None = None, end: datetime | None = None
    ) -> list[Message]:
        """``n`` delivered messages sent evenly over [start, end) (default: the last hour)."""
        fields = {"From": "+12025550150"}
        return self.seed_over(
            n,
            start,
            end,
            lambda k, when: self.create_message(
                {**fields, "To": f"+1202555{k:04d}", "Body": f"Seeded message {k + 1}"}, when
            ),
        )


BACKEND = MessagingBackend
