"""Log routes: ``/api/voice/logs``, ``/api/messaging/logs``, ``/api/fax/logs``, ``/api/video/logs``
and ``/api/logs/conferences``; a voice log's events (``/api/voice/logs/{id}/events``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast, overload

from fastapi import APIRouter, Request

from airflow_provider_signalwire.testing.auth import authenticate
from airflow_provider_signalwire.testing.core import core_of
from airflow_provider_signalwire.testing.errors import FakeHTTPError
from airflow_provider_signalwire.testing.logs.models import LogsBackend
from airflow_provider_signalwire.testing.paging import paginate
from airflow_provider_signalwire.testing.params import time_param
from airflow_provider_signalwire.testing.records import Record
from airflow_provider_signalwire.testing.util import iso, parse_when

router = APIRouter()

# kind -> (list path, scopes accepted, status for a token lacking the scope, has get-by-id)
LOG_ROUTES: dict[str, tuple[str, tuple[str, ...], int, bool]] = {
    "voice": ("/api/voice/logs", ("voice", "calling"), 401, True),
    "messaging": ("/api/messaging/logs", ("messaging",), 401, True),
    "fax": ("/api/fax/logs", ("fax",), 401, True),
    "video": ("/api/video/logs", ("video",), 403, True),
    "conferences": ("/api/logs/conferences", ("voice", "calling", "video"), 401, False),
}


def filter_logs(request: Request, logs: list[Record]) -> list[Record]:
    """Apply ``created_after`` (>=), ``created_before`` (<) and ``created_on`` (that UTC day)."""
    after, before, on = (
        time_param(request, n, "{name} must be a date or ISO 8601 datetime")
        for n in ("created_after", "created_before", "created_on")
    )
    out = []
    for log in logs:
        if after and log.created < after:
            continue
        if before and log.created >= before:
            continue
        if on and not (on <= log.created < on + timedelta(days=1)):
            continue
        out.append(log)
    return out


class Rendered(Sequence[dict[str, Any]]):
    """Records rendered only when a page takes them (long listings stay cheap to page through)."""

    def __init__(self, records: list[Record]) -> None:
        self._records = records

    def __len__(self) -> int:
        return len(self._records)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [r.render() for r in self._records[index]]
        return self._records[index].render()


def _add_routes(kind: str, path: str, scopes: tuple[str, ...], forbidden: int, by_id: bool) -> None:
    def backend(request: Request) -> LogsBackend:
        authenticate(request, scopes, forbidden=forbidden)
        return core_of(request).backend(LogsBackend)

    async def list_logs(request: Request) -> Any:
        logs = filter_logs(request, backend(request).listing(kind))
        # paginate() only takes len() and a slice: a Rendered sequence does both.
        return paginate(request, cast("list[dict[str, Any]]", Rendered(logs)))

    list_logs.__name__ = f"list_{kind}_logs"
    router.add_api_route(path, list_logs, methods=["GET"])
    if not by_id:
        return

    async def get_log(request: Request, log_id: str) -> Any:
        found = next((log for log in backend(request).listing(kind) if log.id == log_id), None)
        if found is None:
            raise FakeHTTPError(404)
        return found.render()

    get_log.__name__ = f"get_{kind}_log"
    router.add_api_route(path + "/{log_id}", get_log, methods=["GET"])
    if kind != "voice":
        return

    async def list_voice_log_events(request: Request, log_id: str) -> Any:
        """``GET /api/voice/logs/{id}/events``: the call's events, oldest first (not paged)."""
        found = next((log for log in backend(request).listing(kind) if log.id == log_id), None)
        if found is None:
            raise FakeHTTPError(404)
        return {"data": voice_log_events(found.render(), core_of(request).project_id)}

    router.add_api_route(path + "/{log_id}/events", list_voice_log_events, methods=["GET"])


def voice_log_events(log: dict[str, Any], project_id: str) -> list[dict[str, Any]]:
    """A voice log's events as the spec shapes them (``Voice.LogEvent``): created, then answered and
    ended for a completed call, or ended with its failure."""
    created = parse_when(str(log["created_at"]))[0]
    status = str(log.get("status") or "completed")
    duration = int(log.get("duration") or 0)

    def event(seconds: float, name: str, level: str = "info") -> dict[str, Any]:
        return {
            "event_at": iso(created + timedelta(seconds=seconds)),
            "level": level,
            "name": name,
            "details": {},  # the spec's LogEvent.details admits no properties
            "project_id": project_id,
            "log_id": log["id"],
        }

    events = [event(0, "call.created")]
    if status == "completed":
        events += [event(2, "call.answered"), event(2 + duration, "call.ended")]
    elif status in ("busy", "no-answer", "failed", "canceled"):
        events.append(event(20, f"call.{status}", "warn"))
    return events


for _kind, (_path, _scopes, _forbidden, _by_id) in LOG_ROUTES.items():
    _add_routes(_kind, _path, _scopes, _forbidden, _by_id)
