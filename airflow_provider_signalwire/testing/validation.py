"""Tiny validator for the fake's JSON request bodies (``/api/*`` 422 error items)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from airflow_provider_signalwire.testing.common import FakeHTTPError, api_422, api_error, invalid
from airflow_provider_signalwire.testing.util import ROOM_NAME, parse_when

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


@dataclass(frozen=True)
class Field:
    """One body field: kind in str/int/bool/object/datetime/list; optional limits."""

    kind: str
    max_length: int | None = None
    pattern: re.Pattern[str] | None = None
    minimum: int | None = None
    maximum: int | None = None
    enum: tuple[str, ...] | None = None


NAME = Field("str", 100, ROOM_NAME)

ROOM_FIELDS: dict[str, Field] = {
    "name": NAME,
    "display_name": Field("str", 200),
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
ROOM_UPDATE_FIELDS = {k: v for k, v in ROOM_FIELDS.items() if k != "name"} | {
    "description": Field("str", 3000)
}
ROOM_TOKEN_FIELDS: dict[str, Field] = {
    "room_name": NAME,
    "user_name": Field("str", 100),
    "permissions": Field("list"),
    "join_from": Field("datetime"),
    "join_until": Field("datetime"),
    "remove_at": Field("datetime"),
    "remove_after_seconds_elapsed": Field("int", maximum=200000),
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


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object body (400 ``Bad Request`` if it is not one).

    The ``/api/*`` specs declare only ``application/json`` request bodies: anything else is refused
    with 415, so a client that forgets the content type is caught here as it would be for real.
    """
    raw = await request.body()
    if raw and "json" not in request.headers.get("content-type", "").lower():
        raise FakeHTTPError(api_error(415))
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise FakeHTTPError(api_error(400)) from None
    if not isinstance(body, dict):
        raise FakeHTTPError(api_error(400))
    return body


def _check(name: str, value: Any, spec: Field) -> str | None:
    kind = spec.kind
    if kind in ("str", "datetime"):
        if not isinstance(value, str):
            return f"{name} must be a string"
        if kind == "datetime":
            try:
                parse_when(value)
            except ValueError:
                return f"{name} must be an ISO 8601 date-time"
        if spec.max_length is not None and len(value) > spec.max_length:
            return f"{name} is too long (maximum is {spec.max_length} characters)"
        if spec.pattern is not None and not spec.pattern.match(value):
            return f"{name} is invalid"
        if spec.enum is not None and value not in spec.enum:
            return f"{name} must be one of {', '.join(spec.enum)}"
    elif kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{name} must be an integer"
        if spec.minimum is not None and value < spec.minimum:
            return f"{name} must be greater than or equal to {spec.minimum}"
        if spec.maximum is not None and value > spec.maximum:
            return f"{name} must be less than or equal to {spec.maximum}"
    elif kind == "bool" and not isinstance(value, bool):
        return f"{name} must be a boolean"
    elif kind == "object" and not isinstance(value, dict):
        return f"{name} must be an object"
    elif kind == "list" and not isinstance(value, list):
        return f"{name} must be an array"
    return None


def validate(body: dict[str, Any], fields: dict[str, Field], required: tuple[str, ...] = ()) -> None:
    """Raise a spec-shaped 422 listing every problem of ``body`` (unknown keys too)."""
    errors = []
    for name in required:
        if name not in body:
            errors.append(invalid(name, f"{name} is required", "missing_required_parameter"))
    for name, value in body.items():
        spec = fields.get(name)
        if spec is None:
            errors.append(invalid(name, f"{name} is not a permitted attribute", "unknown_parameter"))
            continue
        problem = _check(name, value, spec)
        if problem:
            errors.append(invalid(name, problem))
    if errors:
        raise FakeHTTPError(api_422(errors))
