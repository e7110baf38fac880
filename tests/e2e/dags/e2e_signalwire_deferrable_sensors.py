"""
e2e-only DAG (not an example): deferrable SignalWire sensors on resources named in the run's conf.

Only ``airflow standalone`` in tests/e2e loads it (``test_e2e_sensors.py`` triggers it): the sensors
must go to ``deferred`` while the fake space's clock is frozen, and succeed once it moves on.
"""

from __future__ import annotations

from datetime import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_signalwire.sensors.messaging import MessageStatusSensor
from airflow_provider_signalwire.sensors.video import VideoRoomRecordingSensor
from airflow_provider_signalwire.sensors.voice import CallStatusSensor

WAIT = {"deferrable": True, "poke_interval": 2, "timeout": 600}

with DAG(
    dag_id="e2e_signalwire_deferrable_sensors",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["e2e"],
):
    MessageStatusSensor(task_id="message_delivered", message_sid="{{ dag_run.conf['message_sid'] }}", **WAIT)
    CallStatusSensor(task_id="call_completed", call_sid="{{ dag_run.conf['call_sid'] }}", **WAIT)
    VideoRoomRecordingSensor(
        task_id="recording_completed", recording_id="{{ dag_run.conf['recording_id'] }}", **WAIT
    )
    # Fails (undelivered) in the triggerer; soft_fail turns that into a skip.
    MessageStatusSensor(
        task_id="message_undelivered",
        message_sid="{{ dag_run.conf['undelivered_sid'] }}",
        soft_fail=True,
        **WAIT,
    )
