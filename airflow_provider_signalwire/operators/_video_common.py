"""What the video operator modules share: the API's collection paths, a room's key, and the base of
the room and conference lists (their schedule filters)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_signalwire.operators._arguments import rendered_bool, resource_id
from airflow_provider_signalwire.operators._video_schema import NAME, check_field, rfc3339
from airflow_provider_signalwire.operators.base import SignalWireListOperator

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

ROOMS = "/api/video/rooms"
CONFERENCES = "/api/video/conferences"


def room_key(task_id: str, room_id: Any, room_name: Any) -> str:
    """The rendered room id, else the checked room name: what ``/rooms/{id_or_name}`` takes."""
    if room_id is not None:
        return resource_id(task_id, "room_id", room_id)
    return str(check_field(task_id, "room_name", room_name, NAME))


class _ScheduleListOperator(SignalWireListOperator):
    """Lists of rooms or conferences, filtered by their schedule (``join_from``/``join_until``).

    :param include_active_session: Include each one's active session, if any (templated).
    :param starts_after: Only those whose ``join_from`` is on or after this date or datetime (templated).
    :param ends_before: Only those whose ``join_until`` is on or before this (templated).
    """

    list_path: ClassVar[str]

    def __init__(
        self,
        *,
        include_active_session: bool | None = None,
        starts_after: str | date | datetime | None = None,
        ends_before: str | date | datetime | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.include_active_session = include_active_session
        self.starts_after = starts_after
        self.ends_before = ends_before

    def list_request(self, context: Context) -> tuple[str, dict[str, Any] | None]:
        return self.list_path, {
            "include_active_session": rendered_bool(self.include_active_session, "include_active_session"),
            "starts_after": rfc3339(self.starts_after, "starts_after"),
            "ends_before": rfc3339(self.ends_before, "ends_before"),
        }
