"""
Distributed checks only (tests/distributed/test_30_faults.py): DAGs the fault tests start.

- ``dist_send_slow``: ``SendMessageOperator`` to the numbers in the conf with ``deduplicate=True`` and
  retries (a worker is killed between recipients; the retry runs on the other worker).
- ``dist_sensors``: deferrable message, call and recording sensors on the ids in the conf (a triggerer is
  killed while they are deferred).
- ``dist_fanout``: eight mapped SignalWire calls (Redis is restarted while they are queued).
- ``dist_chain``: six SignalWire calls one after another, a few seconds each (PostgreSQL is restarted
  during the run).
- ``dist_sender_pool`` / ``dist_sender_nopool``: four mapped ``SendMessageOperator`` tasks (four
  recipients each) from one
  number each, at one message a second, with and without that number's pool (``sender_pool``): with it
  the number never sends faster than its pace across both workers; without it, it does.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_signalwire.hooks.signalwire import SignalWireHook
from airflow_provider_signalwire.operators.messaging import SendMessageOperator, sender_pool
from airflow_provider_signalwire.operators.video import ListVideoRoomsOperator
from airflow_provider_signalwire.sensors.messaging import MessageStatusSensor
from airflow_provider_signalwire.sensors.video import VideoRoomRecordingSensor
from airflow_provider_signalwire.sensors.voice import CallStatusSensor

COMMON = {"start_date": datetime(2026, 1, 1), "schedule": None, "catchup": False, "tags": ["distributed"]}

with DAG(dag_id="dist_send_slow", params={"to": [], "from_number": "+12025550150"}, **COMMON):
    SendMessageOperator(
        task_id="send",
        to="{{ params.to }}",
        from_="{{ params.from_number }}",
        body="distributed {{ run_id }}",
        messages_per_second=20,
        deduplicate=True,
        retries=3,
        retry_delay=timedelta(seconds=2),
    )

WAIT = {"deferrable": True, "poke_interval": 2, "timeout": 900}

with DAG(dag_id="dist_sensors", params={"messages": [], "calls": [], "recordings": []}, **COMMON):
    for i in range(2):
        MessageStatusSensor(
            task_id=f"message_{i}",
            message_sid=f"{{{{ params.messages[{i}] }}}}",
            success_statuses=("delivered",),
            **WAIT,
        )
        CallStatusSensor(task_id=f"call_{i}", call_sid=f"{{{{ params.calls[{i}] }}}}", **WAIT)
    VideoRoomRecordingSensor(task_id="recording", recording_id="{{ params.recordings[0] }}", **WAIT)

with DAG(dag_id="dist_fanout", **COMMON):
    ListVideoRoomsOperator.partial(task_id="list_rooms", max_items=5).expand(
        page_size=[1, 2, 3, 4, 5, 6, 7, 8]
    )

with DAG(dag_id="dist_chain", **COMMON):

    @task
    def step(n: int) -> int:
        time.sleep(3)
        SignalWireHook().request("GET", "/api/video/rooms", params={"page_size": 1})
        return n

    previous = None
    for n in range(6):
        current = step.override(task_id=f"step_{n}", retries=2, retry_delay=timedelta(seconds=2))(n)
        if previous is not None:
            previous >> current
        previous = current

POOLED_FROM, UNPOOLED_FROM = "+12025550160", "+12025550161"
# Four recipients a task: four seconds of sending each, so unpooled tasks overlap even on a busy machine.
BATCHES = [[f"+1202555{n + k:04d}" for k in range(4)] for n in range(400, 416, 4)]

with DAG(dag_id="dist_sender_pool", **COMMON):
    SendMessageOperator.partial(
        task_id="send",
        from_=POOLED_FROM,
        body="pooled {{ run_id }}",
        messages_per_second=1,
        pool=sender_pool(POOLED_FROM),
    ).expand(to=BATCHES)

with DAG(dag_id="dist_sender_nopool", **COMMON):
    SendMessageOperator.partial(
        task_id="send", from_=UNPOOLED_FROM, body="unpooled {{ run_id }}", messages_per_second=1
    ).expand(to=BATCHES)
