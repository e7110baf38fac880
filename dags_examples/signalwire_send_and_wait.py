"""
Text a list of numbers, then wait (deferred) until every message is delivered.

``SendMessageOperator`` checks every number before sending any, paces the list at
``messages_per_second`` and, with ``deduplicate=True``, does not text anyone twice when Airflow retries
the task. ``MessageStatusSensor(deferrable=True)``, mapped over the sent messages, waits in Airflow's
triggerer (``airflow standalone`` starts one) without holding worker slots; ``failed`` or
``undelivered`` fails that sensor at once with SignalWire's error code and message.

Runs unchanged on a real space (set the ``signalwire_default`` connection and trigger the DAG with
your numbers: ``{"to": ["+1...", "+1..."], "from_number": "+1..."}``, the sender being one of your
space's numbers) and on the offline fake space, where messages are delivered 3 seconds after they are
sent.
"""

# [START howto_signalwire_send_and_wait]

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_signalwire.operators.messaging import SendMessageOperator
from airflow_provider_signalwire.sensors.messaging import MessageStatusSensor


def sid_of(result: dict[str, Any]) -> str:
    return result["sid"]


with DAG(
    dag_id="signalwire_send_and_wait",
    description="Text a list of numbers and wait (deferred) until every message is delivered.",
    start_date=datetime(2026, 1, 1),
    schedule=None,
    catchup=False,
    params={"to": ["+12025550101", "+12025550102"], "from_number": "+12025550150"},
    tags=["signalwire", "example"],
):
    send = SendMessageOperator(
        task_id="send_sms",
        to="{{ params.to }}",
        from_="{{ params.from_number }}",
        body="Nightly load of {{ dag_run.run_id }} finished.",
        messages_per_second=1,
        deduplicate=True,  # a retry returns the messages this run already sent
        retries=2,
    )
    MessageStatusSensor.partial(
        task_id="wait_for_delivery",
        success_statuses=("delivered",),
        deferrable=True,
        poke_interval=5,
        timeout=15 * 60,
    ).expand(message_sid=send.output.map(sid_of))
# [END howto_signalwire_send_and_wait]
