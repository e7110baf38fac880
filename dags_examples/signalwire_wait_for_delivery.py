"""
Send an SMS, then wait for SignalWire to report it delivered, without holding a worker slot.

``MessageStatusSensor(deferrable=True)`` polls once from the worker, then hands the wait to Airflow's
triggerer (``airflow triggerer``; ``airflow standalone`` starts one). ``failed`` or ``undelivered``
fails the task at once with SignalWire's error code and message; the sensor's XCom is the message.

Runs unchanged on a real space (set the ``signalwire_default`` connection and trigger the DAG with
your numbers: ``{"to": "+1...", "from_number": "+1..."}``, the sender being one of your space's
numbers) and on the offline fake space (``python -m airflow_provider_signalwire.testing demo
--dag-id signalwire_wait_for_delivery``), where messages are delivered 3 seconds after they are sent.
"""

from __future__ import annotations

from datetime import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_signalwire.operators.api import SignalWireAPIOperator
from airflow_provider_signalwire.sensors.messaging import MessageStatusSensor

with DAG(
    dag_id="signalwire_wait_for_delivery",
    description="Send an SMS and wait (deferred) until it is delivered.",
    start_date=datetime(2026, 1, 1),
    schedule=None,
    catchup=False,
    params={"to": "+15551230000", "from_number": "+15557650000"},
    tags=["signalwire", "example"],
):
    send_sms = SignalWireAPIOperator(
        task_id="send_sms",
        method="POST",
        path="/api/laml/2010-04-01/Accounts/{{ conn.signalwire_default.login }}/Messages",
        data={"To": "{{ params.to }}", "From": "{{ params.from_number }}", "Body": "Sent from Airflow"},
    )
    wait_for_delivery = MessageStatusSensor(
        task_id="wait_for_delivery",
        message_sid="{{ ti.xcom_pull(task_ids='send_sms')['sid'] }}",
        success_statuses=("delivered",),
        deferrable=True,
        poke_interval=10,
        timeout=15 * 60,
    )

    send_sms >> wait_for_delivery
