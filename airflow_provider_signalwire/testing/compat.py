"""The Compatibility (LaML) API's shared pieces: the account route, account check, date filters.

Compatibility Messages live in ``messaging/``, Calls in ``voice/``; both use these.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request

from airflow_provider_signalwire.testing.auth import authenticate
from airflow_provider_signalwire.testing.core import SpaceCore
from airflow_provider_signalwire.testing.errors import FakeHTTPError, compat_bad_request
from airflow_provider_signalwire.testing.util import COMPAT_PREFIX, parse_when, rfc2822

router = APIRouter()
ACCOUNT = COMPAT_PREFIX + "/Accounts/{account_sid}"


def space_of(request: Request, account_sid: str) -> SpaceCore:
    """The space, after checking that ``account_sid`` is its project (else 404)."""
    space: SpaceCore = request.app.state.space
    if account_sid != space.project_id:
        raise FakeHTTPError(404)
    return space


def date_filter(
    request: Request, name: str, items: list[tuple[datetime | None, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """``Name`` (that day), ``Name<`` (on or before) and ``Name>`` (on or after); dates or datetimes.

    ``items`` pairs each rendered record with its moment (None: never matches a filter).  A value
    that is not a date, or is out of range, answers 400.
    """
    q = request.query_params
    bounds = []
    for suffix in ("", "<", ">"):
        value = q.get(name + suffix)
        if not value:
            continue
        try:
            when, is_date = parse_when(value)
        except ValueError:
            raise compat_bad_request(f"Invalid {name}{suffix}: not a valid date") from None
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


def text_filter(request: Request, record: dict[str, Any], fields: dict[str, str]) -> bool:
    """Whether ``record`` matches every given query filter (``{"To": "to", ...}``: param -> key)."""
    q = request.query_params
    return all(not q.get(param) or record.get(key) == q[param] for param, key in fields.items())


@router.get(ACCOUNT)
async def get_account(request: Request, account_sid: str) -> Any:
    """The project as a Compatibility account (any valid token may read it)."""
    authenticate(request)
    space = space_of(request, account_sid)
    base = f"{COMPAT_PREFIX}/Accounts/{space.project_id}"
    created = rfc2822(space.created_at)
    return {
        "sid": space.project_id,
        "friendly_name": "Fake SignalWire space",
        "status": "active",
        "auth_token": "<redacted>",
        "date_created": created,
        "date_updated": created,
        "type": "Full",
        "owner_account_sid": space.project_id,
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
