"""What every SignalWire operator shares: the connection, a lazily built hook, argument checks."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.protocol import MAX_PAGE_SIZE

if TYPE_CHECKING:
    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook


class SignalWireBaseOperator(BaseOperator):
    """
    Base of the SignalWire operators.

    The hook (and with it ``requests``) is imported only when a task runs, so DAG files that use
    these operators stay cheap to parse.

    :param signalwire_conn_id: The SignalWire connection to use.
    """

    ui_color = "#f72a72"

    def __init__(self, *, signalwire_conn_id: str = "signalwire_default", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.signalwire_conn_id = signalwire_conn_id

    @cached_property
    def hook(self) -> SignalWireHook:
        from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

        return SignalWireHook(signalwire_conn_id=self.signalwire_conn_id)

    def check_paging(self, page_size: Any, max_items: Any) -> None:
        """Refuse bad ``page_size``/``max_items`` when the DAG is parsed, not when the task runs."""
        if page_size is not None and not (_whole(page_size) and 1 <= page_size <= MAX_PAGE_SIZE):
            raise SignalWireConfigError(
                f"{self.task_id}: page_size is {page_size!r}: use a whole number from 1 to {MAX_PAGE_SIZE}."
            )
        if max_items is not None and not (_whole(max_items) and max_items >= 0):
            raise SignalWireConfigError(
                f"{self.task_id}: max_items is {max_items!r}: use a whole number, 0 or more."
            )


def rendered_bool(value: Any, name: str) -> bool | None:
    """A boolean argument that may arrive as a rendered template string ("true"/"false")."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise SignalWireConfigError(f"{name} is {value!r}: use true or false.")
    return text == "true"


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
