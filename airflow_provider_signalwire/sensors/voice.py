"""Sensors for SignalWire Voice (Compatibility API): wait for a call to end."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_provider_signalwire.sensors.base import SignalWireStatusSensor
from airflow_provider_signalwire.statuses import CALL


class CallStatusSensor(SignalWireStatusSensor):
    """
    Wait until a call reaches one of ``success_statuses``
    (``GET /api/laml/2010-04-01/Accounts/{project}/Calls/{sid}``).

    ``busy``, ``failed``, ``no-answer`` and ``canceled`` fail the task at once, naming the status (and
    the SIP result code when SignalWire gives one). ``completed`` also satisfies ``"in-progress"``, so
    ``success_statuses=("in-progress",)`` waits until the call is answered.

    :param call_sid: The call's SID (templated).
    :param success_statuses: Statuses that end the wait (default ``("completed",)``).
    :param signalwire_conn_id: The SignalWire connection to use. ``deferrable``, ``poke_interval``,
        ``timeout``, ``mode`` and ``soft_fail`` as for :class:`~.base.SignalWireStatusSensor`.
    :return: The call as SignalWire returns it.
    """

    required_permissions = ("calling",)

    template_fields: Sequence[str] = ("call_sid",)
    resource_kind = CALL
    id_field = "call_sid"

    def __init__(self, *, call_sid: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.call_sid = call_sid
