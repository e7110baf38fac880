"""Compatibility (LaML) routes of the fake space: account, Messages, Calls."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from airflow_provider_signalwire.testing.common import FakeHTTPError, authenticate, compat_error, state_of
from airflow_provider_signalwire.testing.state import (
    SpaceState,
    call_status,
    call_view,
    message_status,
    message_view,
)
from airflow_provider_signalwire.testing.util import COMPAT_PREFIX, E164, parse_when, rfc2822

router = APIRouter()
ACCOUNT = COMPAT_PREFIX + "/Accounts/{account_sid}"
MESSAGING = ("messaging",)
VOICE = ("voice", "calling")


def _check_account(state: SpaceState, account_sid: str) -> None:
    if account_sid != state.project_id:
        raise FakeHTTPError(compat_error(404, 20404, "The requested resource was not found"))


async def _form(request: Request) -> dict[str, Any]:
    """The ``application/x-www-form-urlencoded`` body; repeated keys become lists."""
    ctype = request.headers.get("content-type", "")
    raw = (await request.body()).decode("utf-8", "replace")
    if raw and not ctype.startswith("application/x-www-form-urlencoded"):
        raise FakeHTTPError(
            compat_error(400, 20001, "Content-Type must be application/x-www-form-urlencoded")
        )
    fields: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        if key in fields:
            prev = fields[key]
            fields[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            fields[key] = value
    return fields


def _date_filters(
    request: Request, name: str, items: list[tuple[datetime | None, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """``Name`` (that day), ``Name<`` (on or before) and ``Name>`` (on or after); dates or datetimes."""
    q = request.query_params
    bounds = []
    for suffix in ("", "<", ">"):
        value = q.get(name + suffix)
        if not value:
            continue
        try:
            when, is_date = parse_when(value)
        except ValueError:
            raise FakeHTTPError(compat_error(400, 20001, f"Invalid {name}{suffix}: {value}")) from None
        bounds.append((suffix, when, is_date))
    out = []
    for moment, item in items:
        ok = True
        for suffix, bound, is_date in bounds:
            if moment is None:
                ok = False
            elif suffix == "":
                ok = ok and bound <= moment < bound + timedelta(days=1)
            elif suffix == "<":
                limit = bound + (timedelta(days=1) if is_date else timedelta(seconds=1))
                ok = ok and moment < limit
            else:
                ok = ok and moment >= bound
        if ok:
            out.append(item)
    return out


def _paged(request: Request, items: list[dict[str, Any]], key: str) -> dict[str, Any]:
    from airflow_provider_signalwire.testing.common import paginate_compat

    return paginate_compat(request, items, key)


# ------------------------------------------------------------------ account
@router.get(ACCOUNT)
async def get_account(request: Request, account_sid: str) -> Any:
    """The project as a Compatibility account (any valid token may read it)."""
    authenticate(request)
    state = state_of(request)
    _check_account(state, account_sid)
    base = f"{COMPAT_PREFIX}/Accounts/{state.project_id}"
    created = rfc2822(state.created_at)
    return {
        "sid": state.project_id,
        "friendly_name": "Fake SignalWire space",
        "status": "active",
        "auth_token": "<redacted>",
        "date_created": created,
        "date_updated": created,
        "type": "Full",
        "owner_account_sid": state.project_id,
        "region_preference": "us1",
        "uri": base,
        "subproject": False,
        "signing_key": None,
        "subresource_uris": {
            "addresses": None,
            "available_phone_numbers": f"{base}/AvailablePhoneNumbers",
            "applications": f"{base}/Applications",
            "authorized_connect_apps": None,
            "calls": f"{base}/Calls",
            "conferences": f"{base}/Conferences",
            "connect_apps": None,
            "incoming_phone_numbers": f"{base}/IncomingPhoneNumbers",
            "keys": None,
            "notifications": None,
            "outgoing_caller_ids": None,
            "queues": f"{base}/Queues",
            "recordings": f"{base}/Recordings",
            "sandbox": None,
            "sip": None,
            "short_codes": None,
            "messages": f"{base}/Messages",
            "transcriptions": f"{base}/Transcriptions",
            "usage": None,
        },
    }


# ----------------------------------------------------------------- messages
@router.post(ACCOUNT + "/Messages")
async def create_message(request: Request, account_sid: str) -> Any:
    """Send a message: ``To`` (E.164) and ``From`` (E.164) or ``MessagingServiceSid``, plus
    ``Body`` and/or ``MediaUrl``.  Invalid numbers answer 422 (codes 21211 / 21212)."""
    authenticate(request, MESSAGING)
    state = state_of(request)
    _check_account(state, account_sid)
    form = await _form(request)
    to, from_ = form.get("To"), form.get("From")
    if not to:
        raise FakeHTTPError(compat_error(422, 21604, "A 'To' phone number is required."))
    if not isinstance(to, str) or not E164.match(to):
        raise FakeHTTPError(compat_error(422, 21211, f"Invalid 'To' Phone Number: {to}"))
    if not from_ and not form.get("MessagingServiceSid"):
        raise FakeHTTPError(compat_error(422, 21603, "A 'From' phone number is required."))
    if from_ and (not isinstance(from_, str) or not E164.match(from_)):
        raise FakeHTTPError(compat_error(422, 21212, f"Invalid 'From' Phone Number: {from_}"))
    if not form.get("Body") and not form.get("MediaUrl"):
        raise FakeHTTPError(compat_error(422, 21602, "Message body is required."))
    msg = state.new_message(form)
    return JSONResponse(message_view(state, msg), status_code=201)


@router.get(ACCOUNT + "/Messages")
async def list_messages(request: Request, account_sid: str) -> Any:
    """List messages (newest first); filters ``To``, ``From``, ``Status``, ``DateSent``/``<``/``>``."""
    authenticate(request, MESSAGING)
    state = state_of(request)
    _check_account(state, account_sid)
    q = request.query_params
    with state.lock:
        msgs = sorted(state.messages.values(), key=lambda m: (m["_created"], m["_seq"]), reverse=True)
    rows: list[tuple[datetime | None, dict[str, Any]]] = []
    for m in msgs:
        status, sent = message_status(state, m)
        if q.get("To") and m["to"] != q["To"]:
            continue
        if q.get("From") and m["from"] != q["From"]:
            continue
        if q.get("Status") and status != q["Status"]:
            continue
        rows.append((sent or m["_created"], message_view(state, m)))
    return _paged(request, _date_filters(request, "DateSent", rows), "messages")


@router.get(ACCOUNT + "/Messages/{sid}")
async def get_message(request: Request, account_sid: str, sid: str) -> Any:
    authenticate(request, MESSAGING)
    state = state_of(request)
    _check_account(state, account_sid)
    with state.lock:
        msg = state.messages.get(sid)
    if msg is None:
        raise FakeHTTPError(compat_error(404, 20404, "The requested resource was not found"))
    return message_view(state, msg)


# -------------------------------------------------------------------- calls
def _valid_address(value: Any) -> bool:
    return isinstance(value, str) and (bool(E164.match(value)) or value.startswith(("sip:", "verto:")))


@router.post(ACCOUNT + "/Calls")
async def create_call(request: Request, account_sid: str) -> Any:
    """Start a call: ``To``, ``From`` (E.164 or ``sip:``) and ``Url`` (or ``ApplicationSid``)."""
    authenticate(request, VOICE)
    state = state_of(request)
    _check_account(state, account_sid)
    form = await _form(request)
    if not _valid_address(form.get("To")):
        raise FakeHTTPError(compat_error(422, 21211, f"Invalid 'To' Phone Number: {form.get('To', '')}"))
    if not _valid_address(form.get("From")):
        raise FakeHTTPError(compat_error(422, 21212, f"Invalid 'From' Phone Number: {form.get('From', '')}"))
    if not form.get("Url") and not form.get("ApplicationSid"):
        raise FakeHTTPError(compat_error(422, 21205, "Url or ApplicationSid is required."))
    call = state.new_call(form)
    return call_view(state, call)


@router.get(ACCOUNT + "/Calls")
async def list_calls(request: Request, account_sid: str) -> Any:
    """List calls (newest first).

    Filters: ``To``, ``From``, ``Status``, ``StartTime``/``EndTime`` (each also with ``<`` / ``>``).
    """
    authenticate(request, VOICE)
    state = state_of(request)
    _check_account(state, account_sid)
    q = request.query_params
    with state.lock:
        calls = sorted(state.calls.values(), key=lambda c: (c["_created"], c["_seq"]), reverse=True)
    starts: list[tuple[datetime | None, dict[str, Any]]] = []
    ends: dict[str, datetime | None] = {}
    for c in calls:
        status, start, end = call_status(state, c)
        if q.get("To") and c["to"] != q["To"]:
            continue
        if q.get("From") and c["from"] != q["From"]:
            continue
        if q.get("Status") and status != q["Status"]:
            continue
        ends[c["sid"]] = end
        starts.append((start or c["_created"], call_view(state, c)))
    kept = _date_filters(request, "StartTime", starts)
    kept = _date_filters(request, "EndTime", [(ends[v["sid"]], v) for v in kept])
    return _paged(request, kept, "calls")


@router.get(ACCOUNT + "/Calls/{sid}")
async def get_call(request: Request, account_sid: str, sid: str) -> Any:
    authenticate(request, VOICE)
    state = state_of(request)
    _check_account(state, account_sid)
    with state.lock:
        call = state.calls.get(sid)
    if call is None:
        raise FakeHTTPError(compat_error(404, 20404, "The requested resource was not found"))
    return call_view(state, call)


@router.post(ACCOUNT + "/Calls/{sid}")
async def update_call(request: Request, account_sid: str, sid: str) -> Any:
    """``Status=completed`` hangs up a live call; ``Status=canceled`` cancels a queued/ringing one."""
    authenticate(request, VOICE)
    state = state_of(request)
    _check_account(state, account_sid)
    form = await _form(request)
    with state.lock:
        call = state.calls.get(sid)
        if call is None:
            raise FakeHTTPError(compat_error(404, 20404, "The requested resource was not found"))
        wanted = form.get("Status")
        status, _, _ = call_status(state, call)
        if wanted in ("completed", "canceled") and status in ("queued", "ringing", "in-progress"):
            call["_ended_at"] = state.now()
            call["_end_status"] = "completed" if status == "in-progress" else "canceled"
        return call_view(state, call)
