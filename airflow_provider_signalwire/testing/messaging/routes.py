"""Compatibility API Messages (``/api/laml/2010-04-01/Accounts/{sid}/Messages``) and the REST API's
message redaction (``PATCH /api/messaging/messages/{id}``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from airflow_provider_signalwire.testing.auth import authenticate
from airflow_provider_signalwire.testing.bodies import form_body, json_body
from airflow_provider_signalwire.testing.compat import ACCOUNT, date_filter, space_of, text_filter
from airflow_provider_signalwire.testing.core import core_of
from airflow_provider_signalwire.testing.errors import FakeHTTPError, unprocessable
from airflow_provider_signalwire.testing.messaging.models import MessagingBackend
from airflow_provider_signalwire.testing.paging import paginate_compat
from airflow_provider_signalwire.testing.util import E164

router = APIRouter()
MAX_BODY_CHARS = 1600
MESSAGING = ("messaging",)


def messaging(request: Request, account_sid: str) -> MessagingBackend:
    """Authenticate (Messaging scope), check the account and return the messaging backend."""
    authenticate(request, MESSAGING)
    return space_of(request, account_sid).backend(MessagingBackend)


def _refuse(code: int, message: str) -> FakeHTTPError:
    return FakeHTTPError(422, code=code, message=message)


@router.post(ACCOUNT + "/Messages")
async def create_message(request: Request, account_sid: str) -> Any:
    """Send a message: ``To`` (E.164) and ``From`` (E.164) or ``MessagingServiceSid``, plus
    ``Body`` and/or ``MediaUrl``.  Invalid numbers answer 422 (codes 21211 / 21212), a body over 1600
    characters 422 (21617)."""
    backend = messaging(request, account_sid)
    form = await form_body(request)
    to, from_ = form.get("To"), form.get("From")
    if not to:
        raise _refuse(21604, "A 'To' phone number is required.")
    if not isinstance(to, str) or not E164.match(to):
        raise _refuse(21211, f"Invalid 'To' Phone Number: {to}")
    if not from_ and not form.get("MessagingServiceSid"):
        raise _refuse(21603, "A 'From' phone number is required.")
    if from_ and (not isinstance(from_, str) or not E164.match(from_)):
        raise _refuse(21212, f"Invalid 'From' Phone Number: {from_}")
    if not form.get("Body") and not form.get("MediaUrl"):
        raise _refuse(21602, "Message body is required.")
    if len(str(form.get("Body") or "")) > MAX_BODY_CHARS:  # the spec's Message body: "Up to 1600"
        raise _refuse(21617, f"The message body exceeds the {MAX_BODY_CHARS} character limit.")
    return JSONResponse(backend.create_message(form).render(), status_code=201)


@router.get(ACCOUNT + "/Messages")
async def list_messages(request: Request, account_sid: str) -> Any:
    """List messages (newest first); filters ``To``, ``From``, ``Status``, ``DateSent``/``<``/``>``."""
    backend = messaging(request, account_sid)
    rows: list[tuple[datetime | None, dict[str, Any]]] = []
    for m in backend.messages.newest_first():
        view = m.render()
        if text_filter(request, view, {"To": "to", "From": "from", "Status": "status"}):
            rows.append((m.status()[1] or m.created, view))
    return paginate_compat(request, date_filter(request, "DateSent", rows), "messages")


@router.get(ACCOUNT + "/Messages/{sid}")
async def get_message(request: Request, account_sid: str, sid: str) -> Any:
    return messaging(request, account_sid).messages.get_or_404(sid).render()


@router.patch("/api/messaging/messages/{message_id}")
async def redact_message(request: Request, message_id: str) -> Any:
    """Redact a message's body: the only accepted body is ``{"body": ""}`` (422 ``body_must_be_empty``
    for another value, ``invalid_parameter`` for other fields); a queued or initiated message answers
    422 ``cannot_redact_in_progress_message``; an unknown id 404."""
    authenticate(request, MESSAGING)
    backend = core_of(request).backend(MessagingBackend)
    body = await json_body(request)
    backend.messages.get_or_404(message_id)
    others = sorted(set(body) - {"body"})
    if others:
        raise unprocessable(others[0], f"{others[0]} cannot be updated: only body may be given")
    if "body" not in body:
        raise unprocessable("body", "body is required", "missing_required_parameter")
    if body["body"] != "":
        raise unprocessable("body", "must be an empty string to redact the message", "body_must_be_empty")
    return backend.redact(message_id).render_rest()
