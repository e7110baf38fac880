"""Fax backend: faxes sent through the Compatibility API (their status follows the fake clock), faxes
received by the space's numbers (seedable), and each fax's stored media (a PDF on the space's host)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from airflow_provider_signalwire.testing.clock import FakeClock
from airflow_provider_signalwire.testing.core import Backend
from airflow_provider_signalwire.testing.media.models import media_bytes
from airflow_provider_signalwire.testing.records import Fresh, Record, TableOf
from airflow_provider_signalwire.testing.util import COMPAT_PREFIX, iso

# Status timeline of a sent fax (seconds after creation, on the fake clock).
FAX_PROCESSING_AFTER = 1.0
FAX_SENDING_AFTER = 2.0
FAX_DONE_AFTER = 6.0
FAILURE_STATUSES = ("failed", "busy", "no-answer")
FINAL_STATUSES = ("delivered", "received", "canceled", *FAILURE_STATUSES)
QUALITIES = ("standard", "fine", "superfine")
PDF_HEADER = b"%PDF-1.4\n"
BYTES_PER_PAGE = 24_000


@dataclass(frozen=True)
class FaxFailure:
    """How a sent fax will end (see ``FakeSignalWireSpace.fail_next_fax``)."""

    status: str
    error_code: str | None = None
    error_message: str | None = None


@dataclass(kw_only=True)
class Fax(Record):
    account_sid: str
    to: str
    from_: str
    media_url: str | None  # outbound: the document sent; inbound: set from the stored media
    quality: str
    direction: str  # "outbound" or "inbound"
    num_pages: int
    failure: FaxFailure | None
    clock: FakeClock = field(repr=False, compare=False)
    canceled_at: datetime | None = None
    media_sid: str | None = None

    def status(self) -> str:
        """The status at the fake clock's current time."""
        if self.direction == "inbound":
            return "received"
        if self.canceled_at is not None:
            return "canceled"
        age = (self.clock.now() - self.created).total_seconds()
        if age < FAX_PROCESSING_AFTER:
            return "queued"
        if age < FAX_SENDING_AFTER:
            return "processing"
        if age < FAX_DONE_AFTER:
            return "sending"
        return self.failure.status if self.failure is not None else "delivered"

    @property
    def path(self) -> str:
        return f"{COMPAT_PREFIX}/Accounts/{self.account_sid}/Faxes/{self.id}"

    def render(self) -> dict[str, Any]:
        """The fax as the Compatibility API shapes it (``FaxResponse``; ISO 8601 dates)."""
        status = self.status()
        done = status in FINAL_STATUSES
        failed = status in FAILURE_STATUSES
        failure = self.failure or FaxFailure(status)
        updated = self.canceled_at or (
            self.created + timedelta(seconds=FAX_DONE_AFTER)
            if done and self.direction == "outbound"
            else self.created
        )
        return {
            "account_sid": self.account_sid,
            "api_version": "v1",
            "date_created": iso(self.created),
            "date_updated": iso(updated),
            "direction": self.direction,
            "from": self.from_,
            "media_url": self.media_url,
            "media_sid": self.media_sid or "",
            "num_pages": str(self.num_pages) if done and not failed else None,
            "price": f"{-0.0105 * self.num_pages:.4f}" if status in ("delivered", "received") else None,
            "price_unit": "USD",
            "quality": self.quality,
            "sid": self.id,
            "status": status,
            "to": self.to,
            "duration": int(FAX_DONE_AFTER - FAX_SENDING_AFTER) if status == "delivered" else 0,
            "links": {"media": f"{self.path}/Media"},
            "url": self.path,
            "error_code": (failure.error_code or "15001") if failed else None,
            "error_message": (failure.error_message or "The fax could not be delivered.") if failed else None,
        }


@dataclass(kw_only=True)
class FaxMedia(Record):
    account_sid: str
    fax_sid: str
    content_type: str
    data: bytes

    def render(self) -> dict[str, Any]:
        path = f"{COMPAT_PREFIX}/Accounts/{self.account_sid}/Faxes/{self.fax_sid}/Media/{self.id}"
        return {
            "account_sid": self.account_sid,
            "content_type": self.content_type,
            "date_created": iso(self.created),
            "date_updated": iso(self.created),
            "fax_sid": self.fax_sid,
            "sid": self.id,
            "uri": f"{path}.json",
            "url": path,
        }


def fax_document(seed: str, pages: int) -> bytes:
    """A deterministic PDF-looking file of ``pages`` pages."""
    return media_bytes(seed, len(PDF_HEADER) + pages * BYTES_PER_PAGE, PDF_HEADER)


class FaxBackend(Backend):
    """Faxes and fax media of one space, and failures queued for the next sent faxes."""

    name: ClassVar[str] = "fax"
    faxes = TableOf(Fax)
    fax_media = TableOf(FaxMedia)
    failures = Fresh[deque[FaxFailure]](deque)

    def fail_next(self, failure: FaxFailure) -> None:
        if failure.status not in FAILURE_STATUSES:
            raise ValueError(f"status must be one of {', '.join(FAILURE_STATUSES)}, got {failure.status!r}")
        with self.lock:
            self.failures.append(failure)

    def _store_media(self, fax: Fax) -> FaxMedia:
        media = self.fax_media.add(
            FaxMedia(
                created=fax.created,
                seq=self.seq(),
                account_sid=fax.account_sid,
                fax_sid=fax.id,
                content_type="application/pdf",
                data=fax_document(fax.id, fax.num_pages),
            )
        )
        fax.media_sid = media.id
        return media

    def send_fax(self, fields: dict[str, Any], store_media: bool = True) -> Fax:
        """A fax from validated form fields (``To``, ``From``, ``MediaUrl``, ``Quality``)."""
        with self.lock:
            fax = self.faxes.add(
                Fax(
                    created=self.now(),
                    seq=self.seq(),
                    account_sid=self.core.project_id,
                    to=fields["To"],
                    from_=fields["From"],
                    media_url=fields["MediaUrl"],
                    quality=fields.get("Quality") or "fine",
                    direction="outbound",
                    num_pages=1 + len(fields["MediaUrl"]) % 3,
                    failure=self.failures.popleft() if self.failures else None,
                    clock=self.core.clock,
                )
            )
            if store_media:
                self._store_media(fax)
            return fax

    def receive_fax(self, from_: str, to: str, pages: int = 2, received_at: datetime | None = None) -> Fax:
        """A fax received by one of the space's numbers (``to``), its PDF stored as the fax's media."""
        with self.lock:
            fax = self.faxes.add(
                Fax(
                    created=received_at or self.now(),
                    seq=self.seq(),
                    account_sid=self.core.project_id,
                    to=to,
                    from_=from_,
                    media_url=None,
                    quality="fine",
                    direction="inbound",
                    num_pages=pages,
                    failure=None,
                    clock=self.core.clock,
                )
            )
            media = self._store_media(fax)
            fax.media_url = f"{self.core.base_url}{fax.path}/Media/{media.id}"
            return fax

    def cancel(self, fax: Fax) -> bool:
        """Cancel a queued fax; False when it is past ``queued``."""
        with self.lock:
            if fax.status() != "queued":
                return False
            fax.canceled_at = self.now()
            return True

    def seed_faxes(self, n: int, start: datetime | None = None, end: datetime | None = None) -> list[Fax]:
        """``n`` faxes received evenly over [start, end) (default: the last hour), 1 to 4 pages each."""
        return self.seed_over(
            n,
            start,
            end,
            lambda k, when: self.receive_fax(f"+1202555{k % 100:04d}", "+12025550150", 1 + k % 4, when),
        )


BACKEND = FaxBackend
