"""The Video API's request fields as SignalWire's spec declares them, and the one check every video
operator runs on them: when the DAG is parsed (values that are still templates are left for later) and
again, on the rendered values, before any request is sent.

Errors name the field, what it is, and what to give instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.lazy import LazyPattern, Record
from airflow_provider_signalwire.operators._arguments import is_pending, shown

NAME_PATTERN = LazyPattern(r"^[A-Za-z0-9_-]+$")
COLOR_PATTERN = LazyPattern(r"^#[0-9a-fA-F]{6}$")
QUALITIES = ("720p", "1080p")
LAYOUTS = (
    *("grid-responsive", "grid-responsive-mobile", "highlight-1-responsive"),
    *("1x1", "2x1", "2x2", "5up", "3x3", "4x4", "5x5", "6x6", "8x8", "10x10"),
)
CONFERENCE_SIZES = ("small", "medium", "large")
JOIN_AS = ("audience", "member")
MEDIA_ALLOWED = ("all", "video-only", "audio-only")
SESSION_STATUSES = ("in-progress", "completed")
_MEMBER_AND_SELF = (
    *("audio_mute", "audio_unmute", "video_mute", "video_unmute", "deaf", "undeaf"),
    *("set_input_volume", "set_output_volume", "set_input_sensitivity", "set_position", "set_meta"),
    *("raisehand", "lowerhand"),
)
PERMISSIONS = (  # Video.RoomTokenPermission
    *(f"room.member.{p}" for p in (*_MEMBER_AND_SELF, "remove", "promote", "demote")),
    *(
        f"room.{p}"
        for p in (
            *("hide_video_muted", "list_available_layouts", "lock", "playback", "playback_seek"),
            *("prioritize_handraise", "recording", "set_layout", "set_position", "set_meta"),
            *("show_video_muted", "stream", "unlock"),
        )
    ),
    *(f"room.self.{p}" for p in (*_MEMBER_AND_SELF, "screenshare", "additional_source")),
)


class Spec(Record):
    """One request field: ``kind`` is str, name, int, bool, object, datetime, permissions or color."""

    kind: str
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    enum: tuple[str, ...] | None = None


NAME = Spec("name", max_length=100)
SECONDS = Spec("int", minimum=1, maximum=200000)
ROOM_SETTINGS: dict[str, Spec] = {  # Video.CreateRoomRequest / UpdateRoomRequest, without name
    "display_name": Spec("str", max_length=200),
    "description": Spec("str", max_length=3000),
    "max_members": Spec("int", minimum=1, maximum=300),
    "quality": Spec("str", enum=QUALITIES),
    "join_from": Spec("datetime"),
    "join_until": Spec("datetime"),
    "remove_at": Spec("datetime"),
    "remove_after_seconds_elapsed": SECONDS,
    "layout": Spec("str", enum=LAYOUTS),
    "record_on_start": Spec("bool"),
    "enable_room_previews": Spec("bool"),
    "meta": Spec("object"),
    "sync_audio_video": Spec("bool"),
}
ROOM_TOKEN: dict[str, Spec] = {  # Video.CreateRoomTokenRequest
    "room_name": NAME,
    "user_name": Spec("str", max_length=100),
    "permissions": Spec("permissions"),
    "join_from": Spec("datetime"),
    "join_until": Spec("datetime"),
    "remove_at": Spec("datetime"),
    "remove_after_seconds_elapsed": SECONDS,
    "join_audio_muted": Spec("bool"),
    "join_video_muted": Spec("bool"),
    "auto_create_room": Spec("bool"),
    "enable_room_previews": Spec("bool"),
    "room_display_name": Spec("str", max_length=200),
    "end_room_session_on_leave": Spec("bool"),
    "join_as": Spec("str", enum=JOIN_AS),
    "media_allowed": Spec("str", enum=MEDIA_ALLOWED),
    "room_meta": Spec("object"),
    "meta": Spec("object"),
    "sync_audio_video": Spec("bool"),
}
COLORS = tuple(
    f"{theme}_{part}"
    for theme in ("dark", "light")
    for part in ("primary", "background", "foreground", "success", "negative")
)
CONFERENCE_SETTINGS: dict[str, Spec] = {  # Video.CreateConferenceRequest, without name
    "display_name": Spec("str", max_length=200),
    "description": Spec("str", max_length=3000),
    "join_from": Spec("datetime"),
    "join_until": Spec("datetime"),
    "quality": Spec("str", enum=QUALITIES),
    "layout": Spec("str", enum=LAYOUTS),
    "size": Spec("str", enum=CONFERENCE_SIZES),
    "record_on_start": Spec("bool"),
    "enable_room_previews": Spec("bool"),
    "enable_chat": Spec("bool"),
    **{color: Spec("color") for color in COLORS},
}


def check_fields(
    task_id: str, values: Mapping[str, Any], specs: Mapping[str, Spec], *, rendered: bool
) -> dict[str, Any]:
    """``values`` without the ``None`` ones, each checked against its spec and normalised (rendered
    "true"/"10" become True/10, dates become RFC 3339 strings). Before rendering, pending values are
    passed through unchecked."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        if not rendered and is_pending(value):
            out[name] = value
            continue
        out[name] = check_field(task_id, name, value, specs[name])
    return out


def check_field(task_id: str, name: str, value: Any, spec: Spec) -> Any:
    def refuse(fix: str) -> SignalWireConfigError:
        return SignalWireConfigError(f"{task_id}: {name} is {shown(value)}: {fix}")

    kind = spec.kind
    if kind == "int":
        number = value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            number = int(value.strip())
        low, high = spec.minimum, spec.maximum
        if isinstance(number, bool) or not isinstance(number, int) or not (low <= number <= high):  # type: ignore[operator]
            raise refuse(f"use a whole number from {low} to {high}.")
        return number
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text not in ("true", "false"):
            raise refuse("use true or false.")
        return text == "true"
    if kind == "object":
        if not isinstance(value, Mapping):
            raise refuse("give a dict (a JSON object).")
        return dict(value)
    if kind == "datetime":
        return rfc3339(value, f"{task_id}: {name}")
    if kind == "permissions":
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)):
            raise refuse("give a list of room permissions, e.g. ['room.self.audio_mute'].")
        unknown = [p for p in items if p not in PERMISSIONS]
        if unknown:
            raise refuse(
                f"{', '.join(map(repr, unknown))} is not a room permission; use names from SignalWire's "
                "spec such as 'room.self.audio_mute', 'room.member.remove', 'room.recording'."
            )
        return list(items)
    if not isinstance(value, str):
        raise refuse("give a string.")
    if kind == "name":
        if not value or len(value) > 100 or not NAME_PATTERN.match(value):
            raise refuse(
                "use 1 to 100 letters, digits, '-' or '_' (no spaces, dots or colons; e.g. "
                '"standup-{{ ds_nodash }}").'
            )
        return value
    if kind == "color":
        if not COLOR_PATTERN.match(value):
            raise refuse("use a color as #RRGGBB, e.g. '#044EF4'.")
        return value
    if spec.enum is not None and value not in spec.enum:
        raise refuse(f"use one of {', '.join(spec.enum)}.")
    if spec.max_length is not None and len(value) > spec.max_length:
        raise refuse(f"it has {len(value)} characters; the most is {spec.max_length}.")
    return value


def rfc3339(value: Any, name: str) -> str | None:
    """A date or datetime as SignalWire expects it: RFC 3339 (``2026-11-27`` or with a time);
    naive datetimes are taken as UTC, as Airflow's own dates are."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return _utc_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if _DATE_ONLY.match(text):
        return text
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or ("T" not in text.upper() and " " not in text):
        raise SignalWireConfigError(
            f"{name} is {shown(value)}: give an RFC 3339 date or datetime, e.g. '2026-11-27' or "
            "'2026-11-27T00:00:00Z'."
        )
    return _utc_iso(parsed)


_DATE_ONLY = LazyPattern(r"^\d{4}-\d{2}-\d{2}$")


def _utc_iso(value: datetime) -> str:
    if value.tzinfo is None:
        return value.isoformat() + "Z"
    return value.isoformat()
