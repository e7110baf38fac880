"""Sensors for SignalWire Video: wait for a room session to end, or a room recording to be ready."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_provider_signalwire.sensors.base import SignalWireStatusSensor
from airflow_provider_signalwire.statuses import ROOM_RECORDING, ROOM_SESSION


class VideoRoomSessionSensor(SignalWireStatusSensor):
    """
    Wait until a video room session has ended (``GET /api/video/room_sessions/{id}`` says
    ``completed``).

    :param session_id: The room session's id (templated).
    :param signalwire_conn_id: The SignalWire connection to use. ``deferrable``, ``poke_interval``,
        ``timeout``, ``mode`` and ``soft_fail`` as for :class:`~.base.SignalWireStatusSensor`.
    :return: The room session as SignalWire returns it.
    """

    required_permissions = ("video",)

    template_fields: Sequence[str] = ("session_id",)
    resource_kind = ROOM_SESSION
    id_field = "session_id"

    def __init__(self, *, session_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session_id = session_id


class VideoRoomRecordingSensor(SignalWireStatusSensor):
    """
    Wait until a video room recording is ``completed`` (``GET /api/video/room_recordings/{id}``); a
    failed recording fails the task at once with SignalWire's reason.

    :param recording_id: The room recording's id (templated).
    :param signalwire_conn_id: The SignalWire connection to use. ``deferrable``, ``poke_interval``,
        ``timeout``, ``mode`` and ``soft_fail`` as for :class:`~.base.SignalWireStatusSensor`.
    :return: The room recording as SignalWire returns it (``uri`` is its download link).
    """

    required_permissions = ("video",)

    template_fields: Sequence[str] = ("recording_id",)
    resource_kind = ROOM_RECORDING
    id_field = "recording_id"

    def __init__(self, *, recording_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.recording_id = recording_id
