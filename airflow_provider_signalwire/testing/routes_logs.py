"""Log routes of the fake space: voice, messaging, fax, video and conference logs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request

from airflow_provider_signalwire.testing.common import (
    FakeHTTPError,
    api_422,
    api_error,
    authenticate,
    invalid,
    paginate,
    state_of,
)
from airflow_provider_signalwire.testing.state import public
from airflow_provider_signalwire.testing.util import parse_when

router = APIRouter()

# kind -> (list path, scopes accepted, status for a token lacking the scope, has get-by-id)
LOG_ROUTES: dict[str, tuple[str, tuple[str, ...], int, bool]] = {
    "voice": ("/api/voice/logs", ("voice", "calling"), 401, True),
    "messaging": ("/api/messaging/logs", ("messaging",), 401, True),
    "fax": ("/api/fax/logs", ("fax",), 401, True),
    "video": ("/api/video/logs", ("video",), 403, True),
    "conferences": ("/api/logs/conferences", ("voice", "calling", "video"), 401, False),
}


def _when(request: Request, name: str) -> tuple[datetime, bool] | None:
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return parse_when(value)
    except ValueError:
        raise FakeHTTPError(api_422([invalid(name, f"{name} must be a date or ISO 8601 datetime")])) from None


def filter_logs(request: Request, logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply ``created_after`` (>=), ``created_before`` (<) and ``created_on`` (that UTC day).

    Results are newest first.
    """
    after, before, on = (_when(request, n) for n in ("created_after", "created_before", "created_on"))
    out = []
    for log in logs:
        created: datetime = log["_created"]
        if after and created < after[0]:
            continue
        if before and created >= before[0]:
            continue
        if on and not (on[0] <= created < on[0] + timedelta(days=1)):
            continue
        out.append(log)
    out.sort(key=lambda r: (r["_created"], r["_seq"]), reverse=True)
    return out


def _add_routes(kind: str, path: str, scopes: tuple[str, ...], forbidden: int, by_id: bool) -> None:
    async def list_logs(request: Request) -> Any:
        authenticate(request, scopes, forbidden=forbidden)
        state = state_of(request)
        logs = filter_logs(request, state.all_logs(kind))
        return paginate(request, [public(log) for log in logs])

    list_logs.__name__ = f"list_{kind}_logs"
    router.add_api_route(path, list_logs, methods=["GET"])
    if not by_id:
        return

    async def get_log(request: Request, log_id: str) -> Any:
        authenticate(request, scopes, forbidden=forbidden)
        state = state_of(request)
        for log in state.all_logs(kind):
            if log["id"] == log_id:
                return public(log)
        raise FakeHTTPError(api_error(404))

    get_log.__name__ = f"get_{kind}_log"
    router.add_api_route(path + "/{log_id}", get_log, methods=["GET"])


for _kind, (_path, _scopes, _forbidden, _by_id) in LOG_ROUTES.items():
    _add_routes(_kind, _path, _scopes, _forbidden, _by_id)
