"""Query parameters shared by the ``/api/*`` routes of every family (422 on a bad value)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from airflow_provider_signalwire.testing.errors import unprocessable
from airflow_provider_signalwire.testing.util import parse_when

if TYPE_CHECKING:
    from fastapi import Request


def time_param(
    request: Request, name: str, message: str = "{name} is not a valid date-time"
) -> datetime | None:
    """Query parameter ``name`` as a UTC datetime (None if absent); 422 with ``message`` if invalid."""
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return parse_when(value)[0]
    except ValueError:
        raise unprocessable(name, message.format(name=name)) from None


def uuid_param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    try:
        uuid.UUID(value)
    except ValueError:
        raise unprocessable(name, f"{name} must be a UUID") from None
    return value


def truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")
