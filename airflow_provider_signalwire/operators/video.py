"""Operators for SignalWire Video: rooms, room tokens and sessions; recordings and conferences are
re-exported from :mod:`.video_recordings` and :mod:`.video_conferences`.

Every argument is checked when the DAG is parsed and again, rendered, before any request: a bad value
fails naming the field and the fix, and nothing is sent. Paths, fields and filters are those of the video
section of SignalWire's OpenAPI spec.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowFailException, mask_secret

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.operators._arguments import (
    IfExistsMixin,
    check_choice,
    is_missing,
    name_taken,
    one_of,
    values,
)
from airflow_provider_signalwire.operators._arguments import resource_id as _resource_id
from airflow_provider_signalwire.operators._arguments import segment as _segment
from airflow_provider_signalwire.operators._video_common import ROOMS, _ScheduleListOperator, room_key
from airflow_provider_signalwire.operators._video_schema import (
    NAME,
    ROOM_SETTINGS,
    ROOM_TOKEN,
    SESSION_STATUSES,
    check_field,
    check_fields,
    is_pending,
)
from airflow_provider_signalwire.operators.base import SignalWireBaseOperator, SignalWireListOperator
from airflow_provider_signalwire.operators.video_conferences import (
    CreateVideoConferenceOperator,
    DeleteVideoConferenceOperator,
    ListVideoConferencesOperator,
    ListVideoConferenceTokensOperator,
    ResetVideoConferenceTokenOperator,
)
from airflow_provider_signalwire.operators.video_recordings import (
    DeleteVideoRoomRecordingOperator,
    DownloadVideoRoomRecordingOperator,
    ListVideoRoomRecordingsOperator,
)
from airflow_provider_signalwire.storage import asset_classes, file_extension

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

__all__ = [
    "CreateVideoConferenceOperator",
    "CreateVideoRoomOperator",
    "CreateVideoRoomTokenOperator",
    "DeleteVideoConferenceOperator",
    "DeleteVideoRoomOperator",
    "DeleteVideoRoomRecordingOperator",
    "DownloadVideoRoomRecordingOperator",
    "GetVideoRoomOperator",
    "GetVideoRoomSessionOperator",
    "ListVideoConferenceTokensOperator",
    "ListVideoConferencesOperator",
    "ListVideoRoomRecordingsOperator",
    "ListVideoRoomSessionsOperator",
    "ListVideoRoomsOperator",
    "ResetVideoConferenceTokenOperator",
    "UpdateVideoRoomOperator",
]


class ListVideoRoomsOperator(_ScheduleListOperator):
    """
    List the space's video rooms (``GET /api/video/rooms``), following every page.

    :param include_active_session: Include each room's active session, if any (templated).
    :param starts_after: Only rooms whose ``join_from`` is on or after this RFC 3339 date or datetime
        (templated), e.g. ``"{{ data_interval_start if data_interval_start is defined else
        dag_run.run_after }}"`` (runs without a logical date have no ``data_interval_start``).
    :param ends_before: Only rooms whose ``join_until`` is on or before this date or datetime
        (templated).
    :param page_size: Rooms per page, 1 to 1000 (SignalWire's default is 50).
    :param max_items: Stop after this many rooms.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: A list of room dicts, as SignalWire returns them.
    """

    required_permissions = ("video",)

    template_fields: Sequence[str] = ("include_active_session", "starts_after", "ends_before")
    list_path = ROOMS
    list_noun = "video rooms"


class GetVideoRoomOperator(SignalWireBaseOperator):
    """
    Get one video room (``GET /api/video/rooms/{id}`` or ``/{name}``), with its active session if any.

    :param room_id: The room's id (templated); either this or ``room_name``.
    :param room_name: The room's unique name (templated).
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: The room dict, as SignalWire returns it.
    :raises SignalWireAPIError: 404 when there is no such room.
    """

    required_permissions = ("video",)

    template_fields: Sequence[str] = ("room_id", "room_name", "signalwire_conn_id")

    def __init__(self, *, room_id: str | None = None, room_name: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.room_id = room_id
        self.room_name = room_name
        one_of(self.task_id, room_id=room_id, room_name=room_name)

    def execute(self, context: Context) -> dict[str, Any]:
        key = room_key(self.task_id, self.room_id, self.room_name)
        room = self.hook.request("GET", f"{ROOMS}/{_segment(key)}")
        self.log.info("Video room %s (%s).", room.get("name"), room.get("id"))
        return room


class CreateVideoRoomOperator(IfExistsMixin, SignalWireBaseOperator):
    """
    Create a video room (``POST /api/video/rooms``) with any of the spec's settings.

    Room names are unique in a space: ``if_exists`` says what happens when ``room_name`` is taken, so a
    rerun of the task neither fails nor makes a second room.

    :param room_name: Unique name, 1 to 100 of ``A-Za-z0-9_-`` (templated; the API's ``name``).
    :param display_name: Display name, up to 200 characters (templated; default: the name).
    :param description: Up to 3000 characters (templated).
    :param max_members: 1 to 300 (templated; SignalWire's default 20).
    :param quality: ``720p`` or ``1080p`` (templated).
    :param join_from: No one joins before this RFC 3339 date/datetime (templated).
    :param join_until: No one joins after this (templated).
    :param remove_at: Members are removed at this time (templated).
    :param remove_after_seconds_elapsed: Members are removed after this many seconds, 1 to 200000
        (templated).
    :param layout: Initial layout, e.g. ``grid-responsive``, ``2x2`` (templated).
    :param record_on_start: Record each session from its start (templated).
    :param enable_room_previews: Generate preview videos (templated).
    :param meta: Your metadata, a dict (templated).
    :param sync_audio_video: Jitter-buffer audio/video sync (templated).
    :param if_exists: ``"error"`` (default) fails when the name is taken; ``"reuse"`` returns the
        existing room unchanged; ``"update"`` applies the settings given here to it.
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: The room dict (created, reused or updated).
    """

    required_permissions = ("video",)

    template_fields: Sequence[str] = ("room_name", *ROOM_SETTINGS, "signalwire_conn_id")
    template_fields_renderers = {"meta": "json"}

    def __init__(
        self,
        *,
        room_name: str,
        display_name: str | None = None,
        description: str | None = None,
        max_members: int | None = None,
        quality: str | None = None,
        join_from: str | date | datetime | None = None,
        join_until: str | date | datetime | None = None,
        remove_at: str | date | datetime | None = None,
        remove_after_seconds_elapsed: int | None = None,
        layout: str | None = None,
        record_on_start: bool | None = None,
        enable_room_previews: bool | None = None,
        meta: dict[str, Any] | None = None,
        sync_audio_video: bool | None = None,
        if_exists: str = "error",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.room_name = room_name
        self.display_name = display_name
        self.description = description
        self.max_members = max_members
        self.quality = quality
        self.join_from = join_from
        self.join_until = join_until
        self.remove_at = remove_at
        self.remove_after_seconds_elapsed = remove_after_seconds_elapsed
        self.layout = layout
        self.record_on_start = record_on_start
        self.enable_room_previews = enable_room_previews
        self.meta = meta
        self.sync_audio_video = sync_audio_video
        self.if_exists = self._check_if_exists(if_exists)
        self._body(rendered=False)

    def _body(self, *, rendered: bool) -> tuple[str, dict[str, Any]]:
        name = self.room_name
        if rendered or not is_pending(name):
            name = check_field(self.task_id, "room_name", name, NAME)
        settings = check_fields(self.task_id, values(self, ROOM_SETTINGS), ROOM_SETTINGS, rendered=rendered)
        return name, settings

    def execute(self, context: Context) -> dict[str, Any]:
        name, settings = self._body(rendered=True)
        try:
            room = self.hook.request("POST", ROOMS, json={"name": name, **settings})
        except SignalWireAPIError as err:
            if not name_taken(err):
                raise
            if self.if_exists == "error":
                raise self._exists_error("room", name, err) from err
            room = self.hook.request("GET", f"{ROOMS}/{_segment(name)}")
            if self.if_exists == "update" and settings:
                room = self.hook.request("PUT", f"{ROOMS}/{_segment(room['id'])}", json=settings)
                self.log.info("Video room %s (%s) existed; updated it.", name, room.get("id"))
            else:
                self.log.info("Video room %s (%s) exists; reusing it.", name, room.get("id"))
            return room
        self.log.info("Created video room %s (%s).", name, room.get("id"))
        return room


class UpdateVideoRoomOperator(SignalWireBaseOperator):
    """
    Change a video room's settings (``PUT /api/video/rooms/{id}``); settings left ``None`` are kept.

    :param room_id: The room's id (templated).
    :param settings: The same settings as :class:`CreateVideoRoomOperator` takes, as keyword arguments,
        each templated: ``display_name``, ``description``, ``max_members``, ``quality``, ``join_from``,
        ``join_until``, ``remove_at``, ``remove_after_seconds_elapsed``, ``layout``, ``record_on_start``,
        ``enable_room_previews``, ``meta``, ``sync_audio_video``. A room's name cannot change.
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: The updated room dict.
    """

    required_permissions = ("video",)

    template_fields: Sequence[str] = ("room_id", *ROOM_SETTINGS, "signalwire_conn_id")
    template_fields_renderers = {"meta": "json"}

    def __init__(self, *, room_id: str, **kwargs: Any) -> None:
        settings = {name: kwargs.pop(name, None) for name in ROOM_SETTINGS}
        super().__init__(**kwargs)
        self.room_id = room_id
        for name, value in settings.items():
            setattr(self, name, value)
        if not any(v is not None for v in settings.values()):
            raise SignalWireConfigError(
                f"{self.task_id}: give at least one setting to change: {', '.join(ROOM_SETTINGS)}."
            )
        check_fields(self.task_id, settings, ROOM_SETTINGS, rendered=False)

    def execute(self, context: Context) -> dict[str, Any]:
        room_id = _resource_id(self.task_id, "room_id", self.room_id)
        settings = check_fields(self.task_id, values(self, ROOM_SETTINGS), ROOM_SETTINGS, rendered=True)
        room = self.hook.request("PUT", f"{ROOMS}/{_segment(room_id)}", json=settings)
        self.log.info("Updated video room %s (%s): %s.", room.get("name"), room_id, ", ".join(settings))
        return room


class DeleteVideoRoomOperator(SignalWireBaseOperator):
    """
    Delete a video room (``DELETE /api/video/rooms/{id}``), by id or by name.

    :param room_id: The room's id (templated); either this or ``room_name``.
    :param room_name: The room's name (templated); looked up first.
    :param missing_ok: A room that is already gone is success (default), so reruns succeed.
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: ``{"id": ..., "name": ..., "deleted": True}``, or ``"deleted": False`` when it was gone.
    """

    required_permissions = ("video",)

    template_fields: Sequence[str] = ("room_id", "room_name", "signalwire_conn_id")

    def __init__(
        self,
        *,
        room_id: str | None = None,
        room_name: str | None = None,
        missing_ok: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.room_id = room_id
        self.room_name = room_name
        self.missing_ok = missing_ok
        one_of(self.task_id, room_id=room_id, room_name=room_name)

    def execute(self, context: Context) -> dict[str, Any]:
        key = room_key(self.task_id, self.room_id, self.room_name)
        room_id, name = (key, None) if self.room_id is not None else (None, key)
        try:
            if room_id is None:
                room_id = str(self.hook.request("GET", f"{ROOMS}/{_segment(key)}")["id"])
            self.hook.request("DELETE", f"{ROOMS}/{_segment(room_id)}")
        except SignalWireAPIError as err:
            if not (self.missing_ok and is_missing(err)):
                raise
            self.log.info("Video room %s is already gone.", key)
            return {"id": room_id, "name": name, "deleted": False}
        self.log.info("Deleted video room %s.", key)
        return {"id": room_id, "name": name, "deleted": True}


class CreateVideoRoomTokenOperator(SignalWireBaseOperator):
    """
    Mint a room token (``POST /api/video/room_tokens``): what a browser or SDK client joins a room with.

    The token is a credential: it is registered with Airflow's secrets masker at once and never logged.
    XCom (stored in Airflow's metadata database, shown in the UI) gets the token's settings, not the
    token, unless ``return_token=True``.

    :param room_name: The room's name (templated). It need not exist yet (see ``auto_create_room``).
    :param user_name: The member's display name, up to 100 characters (templated).
    :param permissions: Room permissions, e.g. ``["room.self.audio_mute", "room.recording"]``
        (templated; SignalWire's default: the ``room.self.*`` ones).
    :param join_from: The token works from this RFC 3339 date/datetime (templated).
    :param join_until: ... and until this one (templated).
    :param remove_at: The member is removed at this time (templated).
    :param remove_after_seconds_elapsed: ... or after this many seconds, 1 to 200000 (templated).
    :param join_audio_muted: Join with audio muted (templated).
    :param join_video_muted: Join with video muted (templated).
    :param auto_create_room: Create the room on join if it does not exist (templated; default true).
    :param enable_room_previews: For an auto-created room (templated).
    :param room_display_name: For an auto-created room, up to 200 characters (templated).
    :param end_room_session_on_leave: End the session when this member leaves (templated).
    :param join_as: ``member`` or ``audience`` (templated; an audience gets no permissions).
    :param media_allowed: ``all``, ``video-only`` or ``audio-only`` (templated).
    :param room_meta: Metadata for the room, a dict (templated).
    :param meta: Metadata for the member, a dict (templated).
    :param sync_audio_video: Jitter-buffer audio/video sync (templated).
    :param return_token: Also return the token itself (it is then stored in XCom in clear).
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: The request's settings (``room_name``, ``user_name``, ``permissions`` ...), and ``token``
        only with ``return_token=True``.
    """

    required_permissions = ("video",)

    template_fields: Sequence[str] = (*ROOM_TOKEN, "signalwire_conn_id")
    template_fields_renderers = {"room_meta": "json", "meta": "json"}

    def __init__(self, *, room_name: str, return_token: bool = False, **kwargs: Any) -> None:
        fields = {name: kwargs.pop(name, None) for name in ROOM_TOKEN if name != "room_name"}
        if "token" in kwargs:
            raise SignalWireConfigError(
                f"{kwargs.get('task_id')}: token is not an argument: SignalWire mints the token."
            )
        super().__init__(**kwargs)
        self.room_name = room_name
        for name, value in fields.items():
            setattr(self, name, value)
        self.return_token = return_token
        check_fields(self.task_id, values(self, ROOM_TOKEN), ROOM_TOKEN, rendered=False)
        if room_name is None:
            raise SignalWireConfigError(f"{self.task_id}: room_name is None: give the room's name.")

    def execute(self, context: Context) -> dict[str, Any]:
        body = check_fields(self.task_id, values(self, ROOM_TOKEN), ROOM_TOKEN, rendered=True)
        answer = self.hook.request("POST", "/api/video/room_tokens", json=body)
        token = answer.get("token") if isinstance(answer, Mapping) else None
        if not isinstance(token, str) or not token:
            raise AirflowFailException(f"{self.task_id}: SignalWire's answer held no token.")
        mask_secret(token)
        self.log.info(
            "Minted a room token for room %s, user %s (%s).",
            body["room_name"],
            body.get("user_name", "(random)"),
            "returned in XCom" if self.return_token else "not returned; return_token=True returns it",
        )
        result = dict(body)
        if self.return_token:
            result["token"] = token
        return result


class ListVideoRoomSessionsOperator(SignalWireListOperator):
    """
    List room sessions, newest first (``GET /api/video/room_sessions``), following every page.

    :param room_id: Only sessions of this room (templated).
    :param room_name: Only sessions of the room with this name (templated).
    :param room_name_matches: Only sessions whose room name contains this (templated).
    :param status: ``in-progress`` or ``completed`` (templated).
    :param page_size: Sessions per page, 1 to 1000.
    :param max_items: Stop after this many sessions (``max_items=1``: the latest one).
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: A list of session dicts.
    """

    required_permissions = ("video",)

    template_fields: Sequence[str] = (
        "room_id",
        "room_name",
        "room_name_matches",
        "status",
        "signalwire_conn_id",
    )
    list_noun = "room sessions"

    def __init__(
        self,
        *,
        room_id: str | None = None,
        room_name: str | None = None,
        room_name_matches: str | None = None,
        status: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.room_id = room_id
        self.room_name = room_name
        self.room_name_matches = room_name_matches
        self.status = status
        if status is not None and not is_pending(status):
            check_choice(self.task_id, "status", status, SESSION_STATUSES)

    def list_request(self, context: Context) -> tuple[str, dict[str, Any] | None]:
        if self.status not in (None, ""):
            check_choice(self.task_id, "status", self.status, SESSION_STATUSES)
        return "/api/video/room_sessions", {
            "room_id": self.room_id or None,
            "room_name": self.room_name or None,
            "room_name_matches": self.room_name_matches or None,
            "status": self.status or None,
        }


class GetVideoRoomSessionOperator(SignalWireBaseOperator):
    """
    Get one room session (``GET /api/video/room_sessions/{id}``), optionally with its members and events.

    :param session_id: The session's id (templated).
    :param include_members: Add ``members`` (``.../members``, every page).
    :param include_events: Add ``events`` (``.../events``, every page).
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: The session dict, with ``members`` / ``events`` lists when asked.
    """

    required_permissions = ("video",)

    template_fields: Sequence[str] = ("session_id", "signalwire_conn_id")

    def __init__(
        self, *, session_id: str, include_members: bool = False, include_events: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.session_id = session_id
        self.include_members = include_members
        self.include_events = include_events

    def execute(self, context: Context) -> dict[str, Any]:
        session_id = _resource_id(self.task_id, "session_id", self.session_id)
        path = f"/api/video/room_sessions/{_segment(session_id)}"
        session = dict(self.hook.request("GET", path))
        for part, wanted in (("members", self.include_members), ("events", self.include_events)):
            if wanted:
                session[part] = list(self.hook.paginate(f"{path}/{part}", page_size=1000))
        self.log.info("Room session %s is %s.", session_id, session.get("status"))
        return session


# Names of the download's helpers before they moved to storage.py (tests and other modules import them).
_asset_classes = asset_classes
_extension = file_extension
