"""Operators for SignalWire Voice (Compatibility API Calls): place, list and read calls."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.operators._arguments import rendered_bool
from airflow_provider_signalwire.operators._compatibility import (
    call_address,
    check_literal,
    compat_path,
    e164,
)
from airflow_provider_signalwire.operators._window import DayListOperator
from airflow_provider_signalwire.operators.base import SignalWireBaseOperator

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context


class MakeCallOperator(SignalWireBaseOperator):
    """
    Place a call (``POST .../Calls``, Compatibility API), driven by a cXML document.

    Give exactly one of ``url`` (where SignalWire fetches the cXML) and ``twiml`` (the cXML itself,
    inline). The POST is never repeated after an answer that leaves its outcome unknown (HTTP 500, a
    read timeout): the task fails and says to check the space's calls before placing it again. Wait for
    the call to end with ``CallStatusSensor``. Literal numbers are checked when the DAG is parsed,
    templated ones when rendered.

    :param to: The number to call, E.164, or a ``sip:`` address (templated).
    :param from_: The calling number, E.164 (templated).
    :param url: URL of the cXML document that drives the call (templated).
    :param twiml: Inline cXML, e.g. ``<Response><Say>Disk full</Say></Response>`` (templated).
    :param status_callback: A URL SignalWire calls on the call's status changes (templated).
    :param timeout: Seconds to let the call ring before giving up (SignalWire's default is 60).
    :param record: Record the call.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: ``{"sid", "status", "to", "from"}`` of the new call.
    :raises SignalWireConfigError: before calling, for a bad number or not exactly one of url/twiml.
    """

    required_permissions = ("calling",)

    template_fields: Sequence[str] = ("to", "from_", "url", "twiml", "status_callback")
    template_fields_renderers = {"twiml": "xml"}

    def __init__(
        self,
        *,
        to: str,
        from_: str,
        url: str | None = None,
        twiml: str | None = None,
        status_callback: str | None = None,
        timeout: int | None = None,
        record: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if bool(url) == bool(twiml):
            raise SignalWireConfigError(
                f"{self.task_id}: give exactly one of url (a cXML document's URL) and twiml (inline cXML)."
            )
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 1):
            raise SignalWireConfigError(
                f"{self.task_id}: timeout is {timeout!r}: use whole seconds, 1 or more."
            )
        check_literal(to, call_address, f"{self.task_id}: to")
        check_literal(from_, e164, f"{self.task_id}: from_")
        self.to = to
        self.from_ = from_
        self.url = url
        self.twiml = twiml
        self.status_callback = status_callback
        self.timeout = timeout
        self.record = record

    def execute(self, context: Context) -> dict[str, Any]:
        form: dict[str, Any] = {"To": call_address(self.to, "to"), "From": e164(self.from_, "from_")}
        url, twiml = (self.url or "").strip(), (self.twiml or "").strip()
        if bool(url) == bool(twiml):
            raise SignalWireConfigError("url and twiml: exactly one must render non-empty. Nothing was sent.")
        if url:
            if not re.match(r"^https?://[^\s/]+", url):
                raise SignalWireConfigError(f"url: {url!r} is not an http(s) URL. Nothing was sent.")
            form["Url"] = url
        else:
            if not twiml.startswith("<"):
                raise SignalWireConfigError(
                    "twiml must be a cXML document such as '<Response><Say>Hello</Say></Response>' "
                    "(for a URL use url=). Nothing was sent."
                )
            form["Twiml"] = twiml
        if self.status_callback:
            form["StatusCallback"] = self.status_callback
        if self.timeout is not None:
            form["Timeout"] = self.timeout
        if rendered_bool(self.record, "record"):
            form["Record"] = "true"
        call = self.hook.request("POST", compat_path(self.hook.settings.project_id, "Calls"), data=form)
        self.log.info("Call %s to %s: %s.", call.get("sid"), form["To"], call.get("status"))
        return {
            "sid": call.get("sid"),
            "status": call.get("status"),
            "to": call.get("to"),
            "from": call.get("from"),
        }


class ListCallsOperator(DayListOperator):
    """
    List the project's calls (``GET .../Calls``, Compatibility API), newest first, every page.

    The spec's ``StartTime`` filters are sent as UTC days. Without any of ``start_time``,
    ``start_time_after`` and ``start_time_before``, a run with a data interval lists the calls that
    started within it (exactly: the days are asked of SignalWire, then each call's ``start_time`` is
    checked, or its creation for calls never answered); a run without one, or with an empty one
    (``schedule=None`` runs, ``airflow dags test``), lists all calls, up to ``max_items``. The log
    says which window was used.

    :param to: Only calls to this address (templated).
    :param from_: Only calls from this address (templated).
    :param status: Only calls with this status, e.g. ``"completed"`` (templated).
    :param start_time: Only calls that started on this UTC day (``StartTime``; templated).
    :param start_time_after: Only calls that started on or after this day (``StartTime>``; templated).
    :param start_time_before: Only calls that started on or before this day (``StartTime<``; templated).
    :param page_size: Calls per page, 1 to 1000.
    :param max_items: Stop after this many calls.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: A list of call dicts, as SignalWire returns them.
    """

    required_permissions = ("calling",)

    template_fields: Sequence[str] = (
        "to",
        "from_",
        "status",
        "start_time",
        "start_time_after",
        "start_time_before",
    )

    resource = "Calls"
    date_param = "StartTime"
    moment_key = "start_time"
    address = staticmethod(call_address)

    def __init__(
        self,
        *,
        start_time: str | date | datetime | None = None,
        start_time_after: str | date | datetime | None = None,
        start_time_before: str | date | datetime | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.start_time = start_time
        self.start_time_after = start_time_after
        self.start_time_before = start_time_before


class GetCallOperator(SignalWireBaseOperator):
    """
    Read one call (``GET .../Calls/{sid}``, Compatibility API): status, duration, price ...

    :param call_sid: The call SID (templated).
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: The call dict, as SignalWire returns it.
    """

    required_permissions = ("calling",)

    template_fields: Sequence[str] = ("call_sid",)

    def __init__(self, *, call_sid: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.call_sid = call_sid

    def execute(self, context: Context) -> dict[str, Any]:
        sid = str(self.call_sid or "").strip()
        if not sid:
            raise SignalWireConfigError("call_sid rendered empty.")
        call = self.hook.request("GET", compat_path(self.hook.settings.project_id, "Calls", sid))
        self.log.info("Call %s is %s.", sid, call.get("status"))
        return call
