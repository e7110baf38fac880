"""What every SignalWire operator shares: the connection, a lazily built hook, paging arguments; and the
bases of the List* and Delete* operators."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.operators._arguments import delete, resource_id
from airflow_provider_signalwire.protocol import MAX_PAGE_SIZE

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook
    from airflow_provider_signalwire.protocol.permissions import Requirement


class SignalWireBaseOperator(BaseOperator):
    """
    Base of the SignalWire operators.

    The hook (and with it ``requests``) is imported only when a task runs, so DAG files that use
    these operators stay cheap to parse.

    :param signalwire_conn_id: The SignalWire connection to use.
    """

    ui_color = "#f72a72"
    # The API token permissions this operator's calls need, all of them (least-privilege checks:
    # airflow_provider_signalwire.permissions); an operator whose calls depend on its arguments
    # overrides permissions_needed() instead.
    required_permissions: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, signalwire_conn_id: str = "signalwire_default", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.signalwire_conn_id = signalwire_conn_id

    def permissions_needed(self) -> Requirement | None:
        """The permissions this task's token needs (alternatives; see
        :mod:`airflow_provider_signalwire.protocol.permissions`); None when they cannot be told."""
        return (frozenset(self.required_permissions),) if self.required_permissions else ()

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


class SignalWireListOperator(SignalWireBaseOperator):
    """
    Base of the List* operators: one ``GET`` of a collection, every page followed, the count logged.

    A subclass names what it lists (``list_noun``) and builds its request (:meth:`list_request`).

    :param page_size: Items per page, 1 to 1000 (checked when the DAG is parsed).
    :param max_items: Stop after this many items.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: A list of dicts, as SignalWire returns them.
    """

    list_noun: ClassVar[str] = "items"

    def __init__(self, *, page_size: int | None = None, max_items: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check_paging(page_size, max_items)
        self.page_size = page_size
        self.max_items = max_items

    def list_request(self, context: Context) -> tuple[str, dict[str, Any] | None]:
        """The path and query parameters to list (rendered arguments, checked)."""
        raise NotImplementedError

    def list_all(self, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every item of ``path``, ``page_size`` a page, up to ``max_items``."""
        pages = self.hook.paginate(path, params=params, page_size=self.page_size, max_items=self.max_items)
        return list(pages)

    def execute(self, context: Context) -> list[dict[str, Any]]:
        items = self.list_all(*self.list_request(context))
        self.log.info("Listed %d %s.", len(items), self.list_noun)
        return items


class SignalWireDeleteOperator(SignalWireBaseOperator):
    """
    Base of the Delete* operators of one resource named by its id: one ``DELETE``; with ``missing_ok``
    a resource that is already gone is success (a rerun), reported as ``deleted: False``.

    A subclass names the argument holding the id (``id_field``, also a template field), what it deletes
    (``noun``) and its path (``delete_path``).

    :param missing_ok: A resource that is already gone is success (default), so reruns succeed.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: ``{"id": ..., "deleted": True}``, or ``"deleted": False`` when it was gone.
    """

    id_field: ClassVar[str]
    noun: ClassVar[str]

    def __init__(self, *, missing_ok: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.missing_ok = missing_ok

    def delete_path(self, resource_id: str) -> str:
        """The path of the resource (``resource_id`` is checked; quote it with ``segment``)."""
        raise NotImplementedError

    def execute(self, context: Context) -> dict[str, Any]:
        checked = resource_id(self.task_id, self.id_field, getattr(self, self.id_field))
        return delete(self, self.delete_path(checked), self.noun, checked, self.missing_ok)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
