"""``POST /api/chat/tokens`` (``chat`` permission) and ``POST /api/pubsub/tokens`` (``pubsub``): the
same body (``ttl``, ``channels``, ``member_id``, ``state``), a JWT-shaped token back."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from typing import Any

from fastapi import APIRouter, Request

from airflow_provider_signalwire.testing.auth import authenticate
from airflow_provider_signalwire.testing.bodies import Field, json_body, validate
from airflow_provider_signalwire.testing.core import core_of
from airflow_provider_signalwire.testing.errors import FakeHTTPError, invalid
from airflow_provider_signalwire.testing.realtime.models import BrowserToken, RealtimeBackend

router = APIRouter()
FIELDS = {
    "ttl": Field("int", minimum=1, maximum=43200),
    "channels": Field("object"),
    "member_id": Field("str", 250),
    "state": Field("object"),
}
MAX_CHANNELS = 500


def _check(body: dict[str, Any], service: str) -> None:
    validate(body, FIELDS, ("ttl", "channels"))
    errors = []
    channels = body["channels"]
    if not 1 <= len(channels) <= MAX_CHANNELS:
        errors.append(invalid("channels", f"channels must hold 1 to {MAX_CHANNELS} channels"))
    for name, grant in channels.items():
        # Chat reserves the sw_ prefix; PubSub does not (the specs).
        if len(name) > 250 or (service == "chat" and name.startswith("sw_")):
            errors.append(
                invalid("channels", f"channel name {name[:40]!r} is too long or uses the sw_ prefix")
            )
        elif (
            not isinstance(grant, dict)
            or not grant
            or set(grant) - {"read", "write"}
            or not all(isinstance(v, bool) for v in grant.values())
        ):
            errors.append(
                invalid("channels", f"channel {name[:40]!r} must be an object with read and/or write")
            )
    if len(json.dumps(body.get("state", {}))) > 2000:
        errors.append(invalid("state", "state must be at most 2000 characters of JSON"))
    if errors:
        raise FakeHTTPError(422, errors=errors)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


async def _mint(request: Request, service: str) -> dict[str, Any]:
    authenticate(request, (service,))
    body = await json_body(request)
    _check(body, service)
    backend = core_of(request).backend(RealtimeBackend)
    record = backend.browser_tokens.add(
        BrowserToken(
            created=backend.now(),
            seq=backend.seq(),
            service=service,
            member_id=body.get("member_id") or str(uuid.uuid4()),
            ttl=body["ttl"],
            channels=body["channels"],
            state=body.get("state", {}),
        )
    )
    claims = {
        "typ": "SAT",
        "jti": record.id,
        "sub": backend.core.project_id,
        "svc": service,
        "ttl": record.ttl,
    }
    return {"token": f"{_b64({'typ': 'VRT', 'alg': 'HS512'})}.{_b64(claims)}.{secrets.token_urlsafe(32)}"}


@router.post("/api/chat/tokens")
async def create_chat_token(request: Request) -> Any:
    return await _mint(request, "chat")


@router.post("/api/pubsub/tokens")
async def create_pubsub_token(request: Request) -> Any:
    return await _mint(request, "pubsub")
