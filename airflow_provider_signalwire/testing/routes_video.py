"""Video REST routes of the fake space (``/api/video/...``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from airflow_provider_signalwire.testing.common import (
    FakeHTTPError,
    api_422,
    api_error,
    authenticate,
    invalid,
    paginate,
    state_of,
)
from airflow_provider_signalwire.testing.state import SpaceState, public
from airflow_provider_signalwire.testing.util import iso, parse_when
from airflow_provider_signalwire.testing.validation import (
    CONFERENCE_FIELDS,
    ROOM_FIELDS,
    ROOM_TOKEN_FIELDS,
    ROOM_UPDATE_FIELDS,
    json_body,
    validate,
)

router = APIRouter()
VIDEO = ("video",)


def _newest_first(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(records, key=lambda r: (r["_created"], r["_seq"]), reverse=True)


def _not_found() -> FakeHTTPError:
    return FakeHTTPError(api_error(404))


def _active_session(state: SpaceState, room_id: str) -> dict[str, Any] | None:
    sess = state.active_session_of(room_id)
    if sess is None:
        return None
    keys = (
        "id",
        "room_id",
        "name",
        "display_name",
        "layout",
        "max_members",
        "fps",
        "quality",
        "start_time",
        "status",
        "record_on_start",
    )
    return {k: sess[k] for k in keys if sess.get(k) is not None}


def _room_view(state: SpaceState, room: dict[str, Any], with_session: bool = False) -> dict[str, Any]:
    view = public(room)
    if with_session:
        active = _active_session(state, room["id"])
        if active:
            view["active_session"] = active
    return view


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


def _time_filter(request: Request, name: str) -> Any:
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return parse_when(value)[0]
    except ValueError:
        raise FakeHTTPError(api_422([invalid(name, f"{name} is not a valid date-time")])) from None


def _schedule_filter(request: Request, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``starts_after`` (join_from on/after) and ``ends_before`` (join_until on/before)."""
    after, before = _time_filter(request, "starts_after"), _time_filter(request, "ends_before")
    out = []
    for rec in records:
        if after and not (rec["join_from"] and parse_when(rec["join_from"])[0] >= after):
            continue
        if before and not (rec["join_until"] and parse_when(rec["join_until"])[0] <= before):
            continue
        out.append(rec)
    return out


# ------------------------------------------------------------------- rooms
@router.post("/api/video/rooms")
async def create_room(request: Request) -> Any:
    authenticate(request, VIDEO)
    state = state_of(request)
    body = await json_body(request)
    validate(body, ROOM_FIELDS, ("name",))
    if state.find_room(body["name"]) is not None:
        raise FakeHTTPError(api_422([invalid("name", "name has already been taken", "name_taken")]))
    return _room_view(state, state.new_room(body))


@router.get("/api/video/rooms")
async def list_rooms(request: Request) -> Any:
    authenticate(request, VIDEO)
    state = state_of(request)
    with state.lock:
        rooms = _newest_first(list(state.rooms.values()))
    rooms = _schedule_filter(request, rooms)
    with_session = _truthy(request.query_params.get("include_active_session"))
    return paginate(request, [_room_view(state, r, with_session) for r in rooms])


@router.get("/api/video/rooms/{id_or_name}")
async def get_room(request: Request, id_or_name: str) -> Any:
    """Get a room by id or by name (the spec gives both one template)."""
    authenticate(request, VIDEO)
    state = state_of(request)
    room = state.find_room(id_or_name)
    if room is None:
        raise _not_found()
    return _room_view(state, room, True)


@router.put("/api/video/rooms/{room_id}")
async def update_room(request: Request, room_id: str) -> Any:
    authenticate(request, VIDEO)
    state = state_of(request)
    body = await json_body(request)
    with state.lock:
        room = state.rooms.get(room_id)
        if room is None:
            raise _not_found()
        validate(body, ROOM_UPDATE_FIELDS)
        room.update(body)
        room["updated_at"] = iso(state.now())
        return _room_view(state, room)


@router.delete("/api/video/rooms/{room_id}")
async def delete_room(request: Request, room_id: str) -> Any:
    authenticate(request, VIDEO)
    state = state_of(request)
    with state.lock:
        if state.rooms.pop(room_id, None) is None:
            raise _not_found()
    return Response(status_code=204)


# -------------------------------------------------------------- room tokens
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@router.post("/api/video/room_tokens")
async def create_room_token(request: Request) -> Any:
    """A JWT-shaped (HS256, signed with a throwaway key) room token."""
    authenticate(request, VIDEO)
    state = state_of(request)
    body = await json_body(request)
    validate(body, ROOM_TOKEN_FIELDS, ("room_name",))
    room_name = body["room_name"]
    if body.get("auto_create_room", True) and state.find_room(room_name) is None:
        state.new_room({"name": room_name, "display_name": body.get("room_display_name", room_name)})
    now = int(time.time())
    claims = {
        "typ": "VRT",
        "ver": "2.0",
        "jti": str(uuid.uuid4()),
        "iat": now,
        "sub": state.project_id,
        "r": room_name,
        "u": body.get("user_name", "guest"),
        "s": body.get("permissions", []),
        "ja": body.get("join_as", "member"),
        "ma": body.get("media_allowed", "all"),
    }
    header = _b64(json.dumps({"typ": "VRT", "alg": "HS256"}).encode())
    payload = _b64(json.dumps(claims).encode())
    sig = hmac.new(state.project_id.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return {"token": f"{header}.{payload}.{_b64(sig)}"}


# ----------------------------------------------------------- room sessions
_SESSION_LIST_ONLY = ("cost_in_dollars", "enable_room_previews")


def _session_view(sess: dict[str, Any], listing: bool) -> dict[str, Any]:
    view = public(sess)
    if listing:
        view.update(sess["_list_only"])
        view["locked_cover"] = ""
    return view


def _uuid_param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    try:
        uuid.UUID(value)
    except ValueError:
        raise FakeHTTPError(api_422([invalid(name, f"{name} must be a UUID")])) from None
    return value


@router.get("/api/video/room_sessions")
async def list_room_sessions(request: Request) -> Any:
    authenticate(request, VIDEO)
    state = state_of(request)
    q = request.query_params
    room_id = _uuid_param(request, "room_id")
    status = q.get("status")
    if status is not None and status not in ("in-progress", "completed"):
        raise FakeHTTPError(api_422([invalid("status", "status must be in-progress or completed")]))
    with state.lock:
        sessions = _newest_first(list(state.sessions.values()))
    out = []
    for s in sessions:
        if room_id and s["room_id"] != room_id:
            continue
        if q.get("room_name") and s["name"] != q["room_name"]:
            continue
        if q.get("room_name_matches") and q["room_name_matches"] not in (s["name"] or ""):
            continue
        if status and s["status"] != status:
            continue
        out.append(_session_view(s, True))
    return paginate(request, out)


def _session(state: SpaceState, session_id: str) -> dict[str, Any]:
    with state.lock:
        sess = state.sessions.get(session_id)
    if sess is None:
        raise _not_found()
    return sess


@router.get("/api/video/room_sessions/{session_id}")
async def get_room_session(request: Request, session_id: str) -> Any:
    authenticate(request, VIDEO)
    return _session_view(_session(state_of(request), session_id), False)


@router.get("/api/video/room_sessions/{session_id}/members")
async def list_room_session_members(request: Request, session_id: str) -> Any:
    authenticate(request, VIDEO)
    state = state_of(request)
    _session(state, session_id)
    with state.lock:
        members = list(state.members.get(session_id, []))
    return paginate(request, members)


@router.get("/api/video/room_sessions/{session_id}/events")
async def list_room_session_events(request: Request, session_id: str) -> Any:
    authenticate(request, VIDEO)
    state = state_of(request)
    _session(state, session_id)
    with state.lock:
        events = list(state.events.get(session_id, []))
    return paginate(request, events)


@router.get("/api/video/room_sessions/{session_id}/recordings")
async def list_room_session_recordings(request: Request, session_id: str) -> Any:
    authenticate(request, VIDEO)
    state = state_of(request)
    _session(state, session_id)
    with state.lock:
        recs = [r for r in state.recordings.values() if r["room_session_id"] == session_id]
    return paginate(request, [public(r) for r in _newest_first(recs)])


# --------------------------------------------------------- room recordings
@router.get("/api/video/room_recordings")
async def list_room_recordings(request: Request) -> Any:
    authenticate(request, VIDEO)
    state = state_of(request)
    with state.lock:
        recs = _newest_first(list(state.recordings.values()))
    return paginate(request, [public(r) for r in recs])


@router.get("/api/video/room_recordings/{recording_id}")
async def get_room_recording(request: Request, recording_id: str) -> Any:
    authenticate(request, VIDEO)
    state = state_of(request)
    with state.lock:
        rec = state.recordings.get(recording_id)
    if rec is None:
        raise _not_found()
    return public(rec)


@router.delete("/api/video/room_recordings/{recording_id}")
async def delete_room_recording(request: Request, recording_id: str) -> Any:
    authenticate(request, VIDEO)
    state = state_of(request)
    with state.lock:
        if state.recordings.pop(recording_id, None) is None:
            raise _not_found()
    return Response(status_code=204)


# ------------------------------------------------------------- conferences
@router.post("/api/video/conferences")
async def create_conference(request: Request) -> Any:
    authenticate(request, VIDEO)
    state = state_of(request)
    body = await json_body(request)
    validate(body, CONFERENCE_FIELDS, ("display_name",))
    return public(state.new_conference(body))


@router.get("/api/video/conferences")
async def list_conferences(request: Request) -> Any:
    authenticate(request, VIDEO)
    state = state_of(request)
    with state.lock:
        confs = _newest_first(list(state.conferences.values()))
    return paginate(request, [public(c) for c in _schedule_filter(request, confs)])


def _conference(state: SpaceState, conference_id: str) -> dict[str, Any]:
    with state.lock:
        conf = state.conferences.get(conference_id)
    if conf is None:
        raise _not_found()
    return conf


@router.get("/api/video/conferences/{conference_id}")
async def get_conference(request: Request, conference_id: str) -> Any:
    authenticate(request, VIDEO)
    return public(_conference(state_of(request), conference_id))


@router.put("/api/video/conferences/{conference_id}")
async def update_conference(request: Request, conference_id: str) -> Any:
    authenticate(request, VIDEO)
    state = state_of(request)
    conf = _conference(state, conference_id)
    body = await json_body(request)
    validate(body, CONFERENCE_FIELDS)
    with state.lock:
        conf.update(body)
        conf["updated_at"] = iso(state.now())
    return public(conf)


@router.delete("/api/video/conferences/{conference_id}")
async def delete_conference(request: Request, conference_id: str) -> Any:
    authenticate(request, VIDEO)
    state = state_of(request)
    with state.lock:
        if state.conferences.pop(conference_id, None) is None:
            raise _not_found()
    return Response(status_code=204)
