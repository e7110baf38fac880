"""Sensors for SignalWire Messaging (Compatibility API): wait for a message's delivery."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_provider_signalwire.sensors.base import SignalWireStatusSensor
from airflow_provider_signalwire.statuses import MESSAGE


class MessageStatusSensor(SignalWireStatusSensor):
    """
    Wait until a message reaches one of ``success_statuses``
    (``GET /api/laml/2010-04-01/Accounts/{project}/Messages/{sid}``).

    ``failed`` and ``undelivered`` fail the task at once with SignalWire's ``error_code`` and
    ``error_message``. ``delivered`` also satisfies ``"sent"``, so ``success_statuses=("sent",)`` accepts
    a message as soon as it left SignalWire.

    :param message_sid: The message's SID (templated), e.g.
        ``"{{ ti.xcom_pull(task_ids='send')['sid'] }}"``.
    :param success_statuses: Statuses that end the wait (default ``("delivered",)``).
    :param signalwire_conn_id: The SignalWire connection to use. ``deferrable``, ``poke_interval``,
        ``timeout``, ``mode`` and ``soft_fail`` as for :class:`~.base.SignalWireStatusSensor`.
    :return: The message as SignalWire returns it.
    """

    required_permissions = ("messaging",)

    template_fields: Sequence[str] = ("message_sid",)
    resource_kind = MESSAGE
    id_field = "message_sid"

    def __init__(self, *, message_sid: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message_sid = message_sid
