"""A generic operator for any SignalWire REST or Compatibility API operation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.operators._arguments import is_pending
from airflow_provider_signalwire.operators.base import SignalWireBaseOperator
from airflow_provider_signalwire.protocol import METHODS
from airflow_provider_signalwire.protocol.permissions import permissions_for_path

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_signalwire.protocol.permissions import Requirement


class SignalWireAPIOperator(SignalWireBaseOperator):
    """
    Call any operation of SignalWire's REST (``/api/*``) or Compatibility (``/api/laml/...``) APIs.

    Authentication, retries, paging and error handling come from :class:`SignalWireHook`. Dict
    bodies are sent as JSON to ``/api/*`` and form-encoded to the Compatibility API.

    .. code-block:: python

        SignalWireAPIOperator(
            task_id="create_room",
            method="POST",
            path="/api/video/rooms",
            json={"name": "standup-{{ ds_nodash }}", "max_members": 10},
        )

    :param path: API path, e.g. ``/api/video/rooms`` (templated). Never a full URL: the host always
        comes from the connection.
    :param method: HTTP method (templated). Default ``GET``.
    :param query_params: Query parameters (templated). (Not ``params``: Airflow reserves that name for
        DAG/task Params and passes them into every operator's ``params`` argument.)
    :param json: Request body (templated); either this or ``data``.
    :param data: Request body (templated); either this or ``json``.
    :param paginate: Follow the list's pages and return all items as one list (GET only).
    :param page_size: Items per page when paginating (1 to 1000).
    :param max_items: Stop after this many items when paginating.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: The parsed JSON answer (None for an empty one), or the list of items with ``paginate``.
    """

    template_fields: Sequence[str] = ("path", "method", "query_params", "json", "data")
    template_fields_renderers = {"query_params": "json", "json": "json", "data": "json"}

    def __init__(
        self,
        *,
        path: str,
        method: str = "GET",
        query_params: dict[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        paginate: bool = False,
        page_size: int | None = None,
        max_items: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.path = path
        self.method = method
        self.query_params = query_params
        self.json = json
        self.data = data
        self.paginate = paginate
        self.page_size = page_size
        self.max_items = max_items
        if json is not None and data is not None:
            raise SignalWireConfigError(f"{self.task_id}: give either json or data as the body, not both.")
        self.check_paging(page_size, max_items)
        if not paginate and (page_size is not None or max_items is not None):
            raise SignalWireConfigError(f"{self.task_id}: page_size and max_items need paginate=True.")

    def permissions_needed(self) -> Requirement | None:
        """What ``path`` needs (None while it is a template, or for a path SignalWire's specs lack)."""
        if is_pending(self.path):
            return None
        from airflow_provider_signalwire.protocol.urls import validate_path

        try:
            return permissions_for_path(validate_path(self.path))
        except ValueError:
            return None

    def execute(self, context: Context) -> Any:
        # Checked here too: these fields are templated, so they are final only now.
        from airflow_provider_signalwire.protocol.urls import validate_path

        method = str(self.method or "").strip().upper()
        if method not in METHODS:
            raise SignalWireConfigError(
                f"method is {self.method!r}: use one of {', '.join(sorted(METHODS))}."
            )
        try:
            path = validate_path(self.path)
        except ValueError as err:
            raise SignalWireConfigError(str(err)) from None
        if self.paginate:
            if method != "GET":
                raise SignalWireConfigError(f"paginate=True needs method GET, not {method}.")
            items = list(
                self.hook.paginate(
                    path, params=self.query_params, page_size=self.page_size, max_items=self.max_items
                )
            )
            self.log.info("GET %s: %d items.", path, len(items))
            return items
        result = self.hook.request(method, path, params=self.query_params, json=self.json, data=self.data)
        self.log.info("%s %s: done.", method, path)
        return result
