"""Compatibility API Calls (``/api/laml/2010-04-01/Accounts/{sid}/Calls``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request

from airflow_provider_signalwire.testing.auth import authenticate
from airflow_provider_signalwire.testing.bodies import form_body
from airflow_provider_signalwire.testing.compat import ACCOUNT, date_filter, space_of, text_filter
from airflow_provider_signalwire.testing.errors import FakeHTTPError
from airflow_provider_signalwire.testing.paging import paginate_compat
from airflow_provider_signalwire.testing.util import E164
from airflow_provider_signalwire.testing.voice.models import VoiceBackend

router = APIRouter()
VOICE = ("voice", "calling")


def voice(request: Request, account_sid: str) -> VoiceBackend:
    """Authenticate (Voice or Calling scope), check the account and return the voice backend."""
    authenticate(request, VOICE)
    return space_of(request, account_sid).backend(VoiceBackend)


def _valid_address(value: Any) -> bool:
    return isinstance(value, str) and (bool(E164.match(value)) or value.startswith(("sip:", "verto:")))


@router.post(ACCOUNT + "/Calls")
async def create_call(request: Request, account_sid: str) -> Any:
    """Start a call: ``To``, ``From`` (E.164 or ``sip:``) and ``Url`` (or ``ApplicationSid``, or inline
    cXML as ``Twiml``/``Laml``, which the spec's descriptions name as alternatives to ``Url``)."""
    backend = voice(request, account_sid)
    form = await form_body(request)
    if not _valid_address(form.get("To")):
        raise FakeHTTPError(422, code=21211, message=f"Invalid 'To' Phone Number: {form.get('To', '')}")
    if not _valid_address(form.get("From")):
        raise FakeHTTPError(422, code=21212, message=f"Invalid 'From' Phone Number: {form.get('From', '')}")
    if not any(form.get(name) for name in ("Url", "ApplicationSid", "Twiml", "Laml")):
        raise FakeHTTPError(422, code=21205, message="Url, ApplicationSid or Twiml is required.")
    return backend.create_call(form).render()


@router.get(ACCOUNT + "/Calls")
async def list_calls(request: Request, account_sid: str) -> Any:
    """List calls (newest first).

    Filters: ``To``, ``From``, ``Status``, ``StartTime``/``EndTime`` (each also with ``<`` / ``>``).
    """
    backend = voice(request, account_sid)
    starts: list[tuple[datetime | None, dict[str, Any]]] = []
    ends: dict[str, datetime | None] = {}
    for c in backend.calls.newest_first():
        view = c.render()
        if text_filter(request, view, {"To": "to", "From": "from", "Status": "status"}):
            _, start, ends[c.id] = c.status()
            starts.append((start or c.created, view))
    kept = date_filter(request, "StartTime", starts)
    kept = date_filter(request, "EndTime", [(ends[v["sid"]], v) for v in kept])
    return paginate_compat(request, kept, "calls")


@router.get(ACCOUNT + "/Calls/{sid}")
async def get_call(request: Request, account_sid: str, sid: str) -> Any:
    return voice(request, account_sid).calls.get_or_404(sid).render()


@router.post(ACCOUNT + "/Calls/{sid}")
async def update_call(request: Request, account_sid: str, sid: str) -> Any:
    """``Status=completed`` hangs up a live call; ``Status=canceled`` cancels a queued/ringing one."""
    backend = voice(request, account_sid)
    form = await form_body(request)
    call = backend.calls.get_or_404(sid)
    if form.get("Status") in ("completed", "canceled"):
        backend.hang_up(call)
    return call.render()
