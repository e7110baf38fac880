"""Operators for SignalWire Video: rooms, room tokens, sessions and recordings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.protocol import MAX_PAGE_SIZE

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook


class ListVideoRoomsOperator(BaseOperator):
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
    ui_color = "#f72a72"

    def __init__(
        self,
        *,
        include_active_session: bool | None = None,
        starts_after: str | date | datetime | None = None,
        ends_before: str | date | datetime | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
        signalwire_conn_id: str = "signalwire_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if page_size is not None and not (isinstance(page_size, int) and 1 <= page_size <= MAX_PAGE_SIZE):
            raise SignalWireConfigError(f"{self.task_id}: page_size must be a whole number from 1 to 1000.")
        if max_items is not None and not (isinstance(max_items, int) and max_items >= 0):
            raise SignalWireConfigError(f"{self.task_id}: max_items must be a whole number, 0 or more.")
        self.include_active_session = include_active_session
        self.starts_after = starts_after
        self.ends_before = ends_before
        self.page_size = page_size
        self.max_items = max_items
        self.signalwire_conn_id = signalwire_conn_id

    @cached_property
    def hook(self) -> SignalWireHook:
        from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

        return SignalWireHook(signalwire_conn_id=self.signalwire_conn_id)

    def execute(self, context: Context) -> list[dict[str, Any]]:
        include = self.include_active_session
        if isinstance(include, str):  # a rendered template
            if include.strip().lower() not in ("true", "false"):
                raise SignalWireConfigError(f"include_active_session is {include!r}: use true or false.")
            include = include.strip().lower() == "true"
        params = {
            "include_active_session": include,
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
    """A date filter as SignalWire expects it (RFC 3339 datetime or date string)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.isoformat() if value.tzinfo else value.isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SignalWireConfigError(
            f"{name} is {value!r}: give an RFC 3339 date or datetime, e.g. '2026-11-27' or "
            "'2026-11-27T00:00:00Z'."
        ) from None
    return text
