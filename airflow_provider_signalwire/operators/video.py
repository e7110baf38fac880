"""Operators for SignalWire Video: rooms, room tokens, sessions and recordings."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.operators.base import SignalWireBaseOperator, rendered_bool

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context


class ListVideoRoomsOperator(SignalWireBaseOperator):
    """
    List the space's video rooms (``GET /api/video/rooms``), following every page.

    :param include_active_session: Include each room's active session, if any (templated).
    :param starts_after: Only rooms whose ``join_from`` is on or after this RFC 3339 date or datetime
        (templated), e.g. ``"{{ data_interval_start }}"``.
    :param ends_before: Only rooms whose ``join_until`` is on or before this date or datetime
        (templated).
    :param page_size: Rooms per page, 1 to 1000 (SignalWire's default is 50).
    :param max_items: Stop after this many rooms.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: A list of room dicts, as SignalWire returns them.
    """

    template_fields: Sequence[str] = ("include_active_session", "starts_after", "ends_before")

    def __init__(
        self,
        *,
        include_active_session: bool | None = None,
        starts_after: str | date | datetime | None = None,
        ends_before: str | date | datetime | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.check_paging(page_size, max_items)
        self.include_active_session = include_active_session
        self.starts_after = starts_after
        self.ends_before = ends_before
        self.page_size = page_size
        self.max_items = max_items

    def execute(self, context: Context) -> list[dict[str, Any]]:
        params = {
            "include_active_session": rendered_bool(self.include_active_session, "include_active_session"),
            "starts_after": _rfc3339(self.starts_after, "starts_after"),
            "ends_before": _rfc3339(self.ends_before, "ends_before"),
        }
        rooms = list(
            self.hook.paginate(
                "/api/video/rooms", params=params, page_size=self.page_size, max_items=self.max_items
            )
        )
        self.log.info("Listed %d video rooms.", len(rooms))
        return rooms


def _rfc3339(value: Any, name: str) -> str | None:
    """A date filter as SignalWire expects it: an RFC 3339 date (``2026-11-27``) or datetime.

    Datetimes without an offset are taken as UTC, as Airflow's own dates are.
    """
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
            f"{name} is {value!r}: give an RFC 3339 date or datetime, e.g. '2026-11-27' or "
            "'2026-11-27T00:00:00Z'."
        )
    return _utc_iso(parsed)


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _utc_iso(value: datetime) -> str:
    if value.tzinfo is None:
        return value.isoformat() + "Z"
    return value.isoformat()
