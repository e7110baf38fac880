"""Compatibility API Recordings, Transcriptions and Message Media, with their files.

A file is the resource's URL on the space's own host without ``.json``: ``Recordings/{sid}`` or
``.wav`` (WAV), ``.mp3`` (MP3), ``Messages/{m}/Media/{sid}`` (the media as stored). Files are public,
as SignalWire's are by default; once a kind is protected (``FakeSignalWireSpace.protect_media``) they
need the project's credentials, as with SignalWire's Media URL Protection. The metadata (``.json``)
always does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from airflow_provider_signalwire.testing.auth import authenticate
from airflow_provider_signalwire.testing.compat import ACCOUNT, date_filter, space_of, text_filter
from airflow_provider_signalwire.testing.errors import FakeHTTPError
from airflow_provider_signalwire.testing.media.models import RECORDING_FORMATS, MediaBackend
from airflow_provider_signalwire.testing.messaging.models import MessagingBackend
from airflow_provider_signalwire.testing.middleware import asked_for_json
from airflow_provider_signalwire.testing.paging import paginate_compat

router = APIRouter()
VOICE = ("voice", "calling")
MESSAGING = ("messaging",)


def media(request: Request, account_sid: str, scopes: tuple[str, ...]) -> MediaBackend:
    """Authenticate (one of ``scopes``), check the account and return the media backend."""
    authenticate(request, scopes)
    return space_of(request, account_sid).backend(MediaBackend)


def _file(request: Request, account_sid: str, kind: str, scopes: tuple[str, ...]) -> MediaBackend:
    """The backend for a file request: credentials checked only when ``kind`` is protected."""
    backend = space_of(request, account_sid).backend(MediaBackend)
    if kind in backend.protected:
        authenticate(request, scopes)
    return backend


def _serve(backend: MediaBackend, file_id: str, data: bytes, media_type: str) -> Response:
    """The file; one marked by ``break_download`` stops half-way, its full length announced."""
    if not backend.take_cut(file_id):
        return Response(data, media_type=media_type)

    async def half() -> Any:
        yield data[: len(data) // 2]
        raise ConnectionAbortedError("injected media fault: cut")

    return StreamingResponse(half(), media_type=media_type, headers={"Content-Length": str(len(data))})


def _dated(items: list[tuple[datetime, dict[str, Any]]], request: Request) -> list[dict[str, Any]]:
    return date_filter(request, "DateCreated", list[tuple[datetime | None, dict[str, Any]]](items))


# ---------------------------------------------------------------- recordings
@router.get(ACCOUNT + "/Recordings")
async def list_recordings(request: Request, account_sid: str) -> Any:
    """Recordings, newest first; filters ``CallSid``, ``ConferenceSid``, ``DateCreated`` (``<``, ``>``)."""
    backend = media(request, account_sid, VOICE)
    rows = [
        (r.created, view)
        for r in backend.call_recordings.newest_first()
        if text_filter(
            request, view := r.render(), {"CallSid": "call_sid", "ConferenceSid": "conference_sid"}
        )
    ]
    return paginate_compat(request, _dated(rows, request), "recordings")


@router.get(ACCOUNT + "/Recordings/{sid}")
async def get_recording(request: Request, account_sid: str, sid: str) -> Any:
    """``.json``: the metadata (Voice scope); no extension or ``.wav``: the WAV file; ``.mp3``: MP3."""
    if asked_for_json(request):
        return media(request, account_sid, VOICE).call_recordings.get_or_404(sid).render()
    name, dot, ext = sid.rpartition(".")
    fmt = ext.lower() if dot else "wav"
    rec_id = name if dot else sid
    backend = _file(request, account_sid, "recordings", VOICE)
    recording = backend.call_recordings.get(rec_id)
    if recording is None or fmt not in RECORDING_FORMATS:
        raise FakeHTTPError(404)
    return _serve(backend, rec_id, recording.content(fmt), RECORDING_FORMATS[fmt])


@router.delete(ACCOUNT + "/Recordings/{sid}")
async def delete_recording(request: Request, account_sid: str, sid: str) -> Any:
    media(request, account_sid, VOICE).call_recordings.pop_or_404(sid)
    return Response(status_code=204)


# ------------------------------------------------------------ transcriptions
@router.get(ACCOUNT + "/Transcriptions")
async def list_transcriptions(request: Request, account_sid: str) -> Any:
    """Transcriptions, newest first; filter ``DateCreated`` (``<``, ``>``)."""
    backend = media(request, account_sid, VOICE)
    rows = [(t.created, t.render()) for t in backend.transcriptions.newest_first()]
    return paginate_compat(request, _dated(rows, request), "transcriptions")


@router.get(ACCOUNT + "/Transcriptions/{sid}")
async def get_transcription(request: Request, account_sid: str, sid: str) -> Any:
    return media(request, account_sid, VOICE).transcriptions.get_or_404(sid).render()


@router.delete(ACCOUNT + "/Transcriptions/{sid}")
async def delete_transcription(request: Request, account_sid: str, sid: str) -> Any:
    media(request, account_sid, VOICE).transcriptions.pop_or_404(sid)
    return Response(status_code=204)


# ------------------------------------------------------------- message media
@router.get(ACCOUNT + "/Messages/{message_sid}/Media")
async def list_message_media(request: Request, account_sid: str, message_sid: str) -> Any:
    """A message's media (empty for an unknown message: the spec declares no 404 here)."""
    backend = media(request, account_sid, MESSAGING)
    rows = [
        (m.created, m.render())
        for m in backend.message_media.newest_first(lambda m: m.message_sid == message_sid)
    ]
    return paginate_compat(request, _dated(rows, request), "media_list")


@router.get(ACCOUNT + "/Messages/{message_sid}/Media/{sid}")
async def get_message_media(request: Request, account_sid: str, message_sid: str, sid: str) -> Any:
    """``.json``: the metadata (Messaging scope); no extension: the media itself."""
    if asked_for_json(request):
        backend = media(request, account_sid, MESSAGING)
        found = backend.message_media.get(sid)
        if found is None or found.message_sid != message_sid:
            raise FakeHTTPError(404)
        return found.render()
    backend = _file(request, account_sid, "messages", MESSAGING)
    found = backend.message_media.get(sid)
    if found is None or found.message_sid != message_sid:
        raise FakeHTTPError(404)
    return _serve(backend, sid, found.data, found.content_type)


@router.delete(ACCOUNT + "/Messages/{message_sid}/Media/{sid}")
async def delete_message_media(request: Request, account_sid: str, message_sid: str, sid: str) -> Any:
    """204; 422 while the message is still ``queued`` (the spec: no deleting media of a message in
    progress)."""
    backend = media(request, account_sid, MESSAGING)
    found = backend.message_media.get(sid)
    if found is None or found.message_sid != message_sid:
        raise FakeHTTPError(404)
    message = backend.core.backend(MessagingBackend).messages.get(message_sid)
    if message is not None and message.status()[0] in ("queued", "initiated"):
        raise FakeHTTPError(422, code=20009, message="Cannot delete media of a message in progress.")
    backend.message_media.pop_or_404(sid)
    return Response(status_code=204)
