"""Sensors for SignalWire Fax (Compatibility API): wait for a fax to be delivered."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_provider_signalwire.sensors.base import SignalWireStatusSensor
from airflow_provider_signalwire.statuses import FAX


class FaxStatusSensor(SignalWireStatusSensor):
    """
    Wait until a fax reaches one of ``success_statuses``
    (``GET /api/laml/2010-04-01/Accounts/{project}/Faxes/{sid}``).

    ``failed``, ``busy``, ``no-answer`` and ``canceled`` fail the task at once with SignalWire's
    ``error_code`` and ``error_message``. ``delivered`` also satisfies ``"sending"``, so
    ``success_statuses=("sending",)`` accepts a fax as soon as the line answered.

    :param fax_sid: The fax's SID (templated), e.g. ``"{{ ti.xcom_pull(task_ids='send')['sid'] }}"``.
    :param success_statuses: Statuses that end the wait (default ``("delivered", "received")``).
    :param signalwire_conn_id: The SignalWire connection to use. ``deferrable``, ``poke_interval``,
        ``timeout``, ``mode`` and ``soft_fail`` as for :class:`~.base.SignalWireStatusSensor`.
    :return: The fax as SignalWire returns it.
    """

    required_permissions = ("fax",)

    template_fields: Sequence[str] = ("fax_sid",)
    resource_kind = FAX
    id_field = "fax_sid"

    def __init__(self, *, fax_sid: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fax_sid = fax_sid
