"""
Place a call that reads a message (inline cXML), then wait (deferred) until the call has ended.

``MakeCallOperator`` takes exactly one of ``twiml`` (the cXML itself, as here) and ``url`` (where
SignalWire fetches it). ``CallStatusSensor(deferrable=True)`` waits in Airflow's triggerer until the
call is ``completed``; ``busy``, ``no-answer``, ``failed`` or ``canceled`` fail it at once.

Runs unchanged on a real space (set the ``signalwire_default`` connection and trigger the DAG with
your numbers: ``{"to": "+1...", "from_number": "+1..."}``, the caller being one of your space's
numbers) and on the offline fake space, where a call rings for 3 seconds and lasts 10.
"""

# [START howto_signalwire_call_and_wait]

from __future__ import annotations

from datetime import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_signalwire.operators.voice import MakeCallOperator
from airflow_provider_signalwire.sensors.voice import CallStatusSensor

with DAG(
    dag_id="signalwire_call_and_wait",
    description="Call a number with inline cXML and wait (deferred) until the call ends.",
    start_date=datetime(2026, 1, 1),
    schedule=None,
    catchup=False,
    params={"to": "+12025550100", "from_number": "+12025550150"},
    tags=["signalwire", "example"],
):
    call = MakeCallOperator(
        task_id="call_on_call",
        to="{{ params.to }}",
        from_="{{ params.from_number }}",
        twiml=(
            "<Response><Say>The nightly load of {{ dag.dag_id }} needs attention.</Say>"
            '<Pause length="2"/><Say>Goodbye.</Say></Response>'
        ),
        timeout=30,
    )
    wait = CallStatusSensor(
        task_id="wait_for_call_end",
        call_sid="{{ ti.xcom_pull(task_ids='call_on_call')['sid'] }}",
        success_statuses=("completed",),
        deferrable=True,
        poke_interval=5,
        timeout=15 * 60,
    )
    call >> wait
# [END howto_signalwire_call_and_wait]
