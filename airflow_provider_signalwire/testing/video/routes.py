"""Video REST routes (``/api/video/...``) and the media host's recording downloads."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from airflow_provider_signalwire.testing.auth import authenticate
from airflow_provider_signalwire.testing.bodies import Field, json_body, validate
from airflow_provider_signalwire.testing.core import core_of
from airflow_provider_signalwire.testing.errors import unprocessable
from airflow_provider_signalwire.testing.paging import paginate
from airflow_provider_signalwire.testing.params import time_param, truthy, uuid_param
from airflow_provider_signalwire.testing.util import ROOM_NAME, parse_when
from airflow_provider_signalwire.testing.video.models import (
    Conference,
    Room,
    VideoBackend,
    recording_chunks,
)

router = APIRouter()
media_router = APIRouter()
VIDEO = ("video",)

# ------------------------------------------------------------- request bodies
LAYOUTS = (
    "grid-responsive",
    "grid-responsive-mobile",
    "highlight-1-responsive",
    "1x1",
    "2x1",
    "2x2",
    "5up",
    "3x3",
    "4x4",
    "5x5",
    "6x6",
    "8x8",
    "10x10",
)
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
NAME = Field("str", 100, ROOM_NAME)
ROOM_FIELDS: dict[str, Field] = {
    "name": NAME,
    "display_name": Field("str", 200),
    "description": Field("str", 3000),
    "max_members": Field("int", minimum=1, maximum=300),
    "quality": Field("str", enum=("720p", "1080p")),
    "join_from": Field("datetime"),
    "join_until": Field("datetime"),
    "remove_at": Field("datetime"),
    "remove_after_seconds_elapsed": Field("int", minimum=1, maximum=200000),
    "layout": Field("str", enum=LAYOUTS),
    "record_on_start": Field("bool"),
    "enable_room_previews": Field("bool"),
    "meta": Field("object"),
    "sync_audio_video": Field("bool"),
}
ROOM_UPDATE_FIELDS = {k: v for k, v in ROOM_FIELDS.items() if k != "name"}
# Video.RoomTokenPermission
PERMISSIONS = (
    *(
        f"room.member.{p}"
        for p in (
            *("audio_mute", "audio_unmute", "video_mute", "video_unmute", "deaf", "undeaf"),
            *("set_input_volume", "set_output_volume", "set_input_sensitivity", "set_position"),
            *("set_meta", "raisehand", "lowerhand", "remove", "promote", "demote"),
        )
    ),
    *(
        f"room.{p}"
        for p in (
            *("hide_video_muted", "list_available_layouts", "lock", "playback", "playback_seek"),
            *("prioritize_handraise", "recording", "set_layout", "set_position", "set_meta"),
            *("show_video_muted", "stream", "unlock"),
        )
    ),
    *(
        f"room.self.{p}"
        for p in (
            *("audio_mute", "audio_unmute", "video_mute", "video_unmute", "deaf", "undeaf"),
            *("set_input_volume", "set_output_volume", "set_input_sensitivity", "set_position"),
            *("set_meta", "raisehand", "lowerhand", "screenshare", "additional_source"),
        )
    ),
)
DEFAULT_PERMISSIONS = [
    *("room.self.audio_mute", "room.self.audio_unmute", "room.self.video_mute", "room.self.video_unmute"),
    *("room.self.deaf", "room.self.undeaf", "room.self.set_input_volume", "room.self.set_output_volume"),
    *("room.self.set_input_sensitivity", "room.self.screenshare", "room.self.additional_source"),
]
ROOM_TOKEN_FIELDS: dict[str, Field] = {
    "room_name": NAME,
    "user_name": Field("str", 100),
    "permissions": Field("list"),
    "join_from": Field("datetime"),
    "join_until": Field("datetime"),
    "remove_at": Field("datetime"),
    "remove_after_seconds_elapsed": Field("int", minimum=1, maximum=200000),
    "join_audio_muted": Field("bool"),
    "join_video_muted": Field("bool"),
    "auto_create_room": Field("bool"),
    "enable_room_previews": Field("bool"),
    "room_display_name": Field("str", 200),
    "end_room_session_on_leave": Field("bool"),
    "join_as": Field("str", enum=("audience", "member")),
    "media_allowed": Field("str", enum=("all", "video-only", "audio-only")),
    "room_meta": Field("object"),
    "meta": Field("object"),
    "sync_audio_video": Field("bool"),
}
CONFERENCE_FIELDS: dict[str, Field] = {
    "name": NAME,
    "display_name": Field("str", 200),
    "description": Field("str", 3000),
    "join_from": Field("datetime"),
    "join_until": Field("datetime"),
    "quality": Field("str", enum=("720p", "1080p")),
    "layout": Field("str", enum=LAYOUTS),
    "size": Field("str", enum=("small", "medium", "large")),
    "record_on_start": Field("bool"),
    "enable_room_previews": Field("bool"),
    "enable_chat": Field("bool"),
    **{
        f"{theme}_{part}": Field("str", pattern=COLOR)
        for theme in ("dark", "light")
        for part in ("primary", "background", "foreground", "success", "negative")
    },
}


def video(request: Request) -> VideoBackend:
    """Authenticate (Video scope) and return the space's video backend (sessions settled to now)."""
    authenticate(request, VIDEO)
    backend = core_of(request).backend(VideoBackend)
    backend.settle()
    return backend


def _scheduled(request: Request, records: list[Room] | list[Conference]) -> list[Any]:
    """``starts_after`` (join_from on/after) and ``ends_before`` (join_until on/before)."""
    after, before = time_param(request, "starts_after"), time_param(request, "ends_before")
    out: list[Any] = []
    for rec in records:
        if after and not (rec.join_from and parse_when(rec.join_from)[0] >= after):
            continue
        if before and not (rec.join_until and parse_when(rec.join_until)[0] <= before):
            continue
        out.append(rec)
    return out


# ------------------------------------------------------------------- rooms
@router.post("/api/video/rooms")
async def create_room(request: Request) -> Any:
    backend = video(request)
    body = await json_body(request)
    validate(body, ROOM_FIELDS, ("name",))
    return backend.room_view(backend.create_room(body))


@router.get("/api/video/rooms")
async def list_rooms(request: Request) -> Any:
    backend = video(request)
    rooms = _scheduled(request, backend.rooms.newest_first())
    with_session = truthy(request.query_params.get("include_active_session"))
    return paginate(request, [backend.room_view(r, with_session) for r in rooms])


@router.get("/api/video/rooms/{id_or_name}")
async def get_room(request: Request, id_or_name: str) -> Any:
    """Get a room by id or by name (the spec gives both one template)."""
    backend = video(request)
    room = backend.find_room(id_or_name) or backend.rooms.get_or_404(id_or_name)
    return backend.room_view(room, True)


@router.put("/api/video/rooms/{room_id}")
async def update_room(request: Request, room_id: str) -> Any:
    backend = video(request)
    body = await json_body(request)
    room = backend.rooms.get_or_404(room_id)
    validate(body, ROOM_UPDATE_FIELDS)
    backend.update(room, body)
    return backend.room_view(room)


@router.delete("/api/video/rooms/{room_id}")
async def delete_room(request: Request, room_id: str) -> Any:
    video(request).rooms.pop_or_404(room_id)
    return Response(status_code=204)


# -------------------------------------------------------------- room tokens
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@router.post("/api/video/room_tokens")
async def create_room_token(request: Request) -> Any:
    """A JWT-shaped (HS256, signed with a throwaway key) room token."""
    backend = video(request)
    body = await json_body(request)
    validate(body, ROOM_TOKEN_FIELDS, ("room_name",))
    unknown = [p for p in body.get("permissions", []) if p not in PERMISSIONS]
    if unknown:
        raise unprocessable("permissions", f"permissions has unknown values: {', '.join(map(str, unknown))}")
    room_name = body["room_name"]
    room = backend.find_room(room_name)
    if room is None and body.get("auto_create_room", True):
        room = backend.ensure_room(room_name, body.get("room_display_name", room_name))
    project_id = backend.core.project_id
    join_as = body.get("join_as", "member")
    user_name = body.get("user_name") or f"guest-{uuid.uuid4().hex[:8]}"
    claims = {
        "typ": "VRT",
        "ver": "2.0",
        "jti": str(uuid.uuid4()),
        "iat": int(time.time()),
        "sub": project_id,
        "r": room_name,
        "u": user_name,
        # An audience member gets no permissions, whatever was asked (the spec's rule).
        "s": [] if join_as == "audience" else body.get("permissions", DEFAULT_PERMISSIONS),
        "ja": join_as,
        "ma": body.get("media_allowed", "all"),
        "jam": body.get("join_audio_muted", False),
        "jvm": body.get("join_video_muted", False),
        "acr": body.get("auto_create_room", True),
        "erp": body.get("enable_room_previews", False),
        "esl": body.get("end_room_session_on_leave", False),
        "sav": body.get("sync_audio_video", False),
        **{
            claim: body[key]
            for claim, key in (
                ("nbf", "join_from"),
                ("exp", "join_until"),
                ("rma", "remove_at"),
                ("rmae", "remove_after_seconds_elapsed"),
                ("rdn", "room_display_name"),
                ("rm", "room_meta"),
                ("m", "meta"),
            )
            if key in body
        },
    }
    if room is not None:
        # The fake has no browsers: the token's user joins at once and leaves JOIN_SECONDS later.
        backend.join(room, user_name)
    header = _b64(json.dumps({"typ": "VRT", "alg": "HS256"}).encode())
    payload = _b64(json.dumps(claims).encode())
    sig = hmac.new(project_id.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return {"token": f"{header}.{payload}.{_b64(sig)}"}


# ----------------------------------------------------------- room sessions
@router.get("/api/video/room_sessions")
async def list_room_sessions(request: Request) -> Any:
    backend = video(request)
    q = request.query_params
    room_id = uuid_param(request, "room_id")
    status = q.get("status")
    if status is not None and status not in ("in-progress", "completed"):
        raise unprocessable("status", "status must be in-progress or completed")
    out = []
    for s in backend.sessions.newest_first():
        view = s.render(listing=True)
        if room_id and view["room_id"] != room_id:
            continue
        if q.get("room_name") and view["name"] != q["room_name"]:
            continue
        if q.get("room_name_matches") and q["room_name_matches"] not in (view["name"] or ""):
            continue
        if status and view["status"] != status:
            continue
        out.append(view)
    return paginate(request, out)


@router.get("/api/video/room_sessions/{session_id}")
async def get_room_session(request: Request, session_id: str) -> Any:
    return video(request).sessions.get_or_404(session_id).render()


def _add_session_sublist(kind: str) -> None:
    """``/room_sessions/{id}/<kind>``: the three sub-lists share auth, the 404 and paging."""

    async def list_sublist(request: Request, session_id: str) -> Any:
        return paginate(request, video(request).session_sublist(session_id, kind))

    list_sublist.__name__ = f"list_room_session_{kind}"
    router.add_api_route(f"/api/video/room_sessions/{{session_id}}/{kind}", list_sublist, methods=["GET"])


for _kind in ("members", "events", "recordings"):
    _add_session_sublist(_kind)


# --------------------------------------------------------- room recordings
@router.get("/api/video/room_recordings")
async def list_room_recordings(request: Request) -> Any:
    return paginate(request, [r.render() for r in video(request).recordings.newest_first()])


@router.get("/api/video/room_recordings/{recording_id}")
async def get_room_recording(request: Request, recording_id: str) -> Any:
    return video(request).recordings.get_or_404(recording_id).render()


@router.get("/api/video/room_recordings/{recording_id}/events")
async def list_room_recording_events(request: Request, recording_id: str) -> Any:
    backend = video(request)
    rows = backend.children(backend.recordings, recording_id, backend.events, "room_recording_id")
    return paginate(request, [e.render() for e in rows])


@router.delete("/api/video/room_recordings/{recording_id}")
async def delete_room_recording(request: Request, recording_id: str) -> Any:
    video(request).recordings.pop_or_404(recording_id)
    return Response(status_code=204)


@media_router.get("/recordings/{name}")
async def download_recording(request: Request, name: str) -> Response:
    """The media host: a finished recording's bytes, streamed, without authentication."""
    rec_id = name.removesuffix(".mp4")
    backend = core_of(request).backend(VideoBackend)
    backend.settle()
    rec = backend.recordings.get(rec_id)
    if rec is None or not rec.downloadable:
        return Response(b"Not Found", status_code=404, media_type="text/plain")
    fault = backend.media_faults.pop(rec_id, None)
    size = rec.size
    served = size // 2 if fault else size

    async def body() -> Any:
        for chunk in recording_chunks(rec_id, served):
            yield chunk
        if fault == "cut":
            # Content-Length promised ``size``: closing now is a download that breaks mid-way.
            raise ConnectionAbortedError("injected media fault: cut")

    return StreamingResponse(
        body(), media_type="video/mp4", headers={"Content-Length": str(size if fault == "cut" else served)}
    )


# ------------------------------------------------------------- conferences
@router.post("/api/video/conferences")
async def create_conference(request: Request) -> Any:
    backend = video(request)
    body = await json_body(request)
    validate(body, CONFERENCE_FIELDS, ("display_name",))
    return backend.create_conference(body).render()


@router.get("/api/video/conferences")
async def list_conferences(request: Request) -> Any:
    confs = _scheduled(request, video(request).conferences.newest_first())
    return paginate(request, [c.render() for c in confs])


@router.get("/api/video/conferences/{conference_id}")
async def get_conference(request: Request, conference_id: str) -> Any:
    return video(request).conferences.get_or_404(conference_id).render()


@router.put("/api/video/conferences/{conference_id}")
async def update_conference(request: Request, conference_id: str) -> Any:
    backend = video(request)
    conf = backend.conferences.get_or_404(conference_id)
    body = await json_body(request)
    validate(body, CONFERENCE_FIELDS)
    backend.update(conf, body)
    return conf.render()


@router.delete("/api/video/conferences/{conference_id}")
async def delete_conference(request: Request, conference_id: str) -> Any:
    video(request).delete_conference(conference_id)
    return Response(status_code=204)


# ------------------------------------------------------- conference tokens
@router.get("/api/video/conferences/{conference_id}/conference_tokens")
async def list_conference_tokens(request: Request, conference_id: str) -> Any:
    backend = video(request)
    rows = backend.children(backend.conferences, conference_id, backend.conference_tokens, "conference_id")
    return paginate(request, [t.render() for t in rows])


@router.get("/api/video/conference_tokens/{token_id}")
async def get_conference_token(request: Request, token_id: str) -> Any:
    return video(request).conference_tokens.get_or_404(token_id).render()


@router.post("/api/video/conference_tokens/{token_id}/reset")
async def reset_conference_token(request: Request, token_id: str) -> Any:
    return video(request).reset_conference_token(token_id).render()
