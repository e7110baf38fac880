"""
Create a SignalWire video room, mint a room token for it, list the space's rooms, delete the room.

Runs unchanged on a real space (set the ``signalwire_default`` connection, e.g.
``AIRFLOW_CONN_SIGNALWIRE_DEFAULT='signalwire://PROJECT_ID:API_TOKEN@example.signalwire.com'``) and on
the offline fake space (``make demo``).
"""

# [START howto_signalwire_video_rooms]

from __future__ import annotations

from datetime import datetime

from airflow.providers.common.compat.sdk import DAG, TriggerRule

from airflow_provider_signalwire.operators.video import (
    CreateVideoRoomOperator,
    CreateVideoRoomTokenOperator,
    DeleteVideoRoomOperator,
    ListVideoRoomsOperator,
)

# Runs triggered from the Airflow 3 UI/REST API have no logical date (and no ts_nodash): fall back to
# the time the run was due.
ROOM_NAME = (
    "airflow-demo-{{ ts_nodash if ts_nodash is defined else dag_run.run_after.strftime('%Y%m%dT%H%M%S') }}"
)

with DAG(
    dag_id="signalwire_video_rooms",
    description="Create a video room, mint a room token, list rooms, clean up.",
    start_date=datetime(2026, 1, 1),
    schedule=None,
    catchup=False,
    tags=["signalwire", "example"],
):
    create_room = CreateVideoRoomOperator(
        task_id="create_room",
        room_name=ROOM_NAME,
        display_name="Airflow demo room",
        max_members=5,
        # A retry or rerun of this task finds the room it made and uses it, instead of failing.
        if_exists="reuse",
    )
    # The token is a credential: it is masked in task logs, and XCom (kept in Airflow's database, shown
    # in the UI) gets only its settings. Pass return_token=True where a downstream task must hand it on.
    mint_token = CreateVideoRoomTokenOperator(
        task_id="mint_room_token",
        room_name="{{ ti.xcom_pull(task_ids='create_room')['name'] }}",
        user_name="airflow",
        permissions=["room.self.audio_mute", "room.self.audio_unmute"],
    )
    list_rooms = ListVideoRoomsOperator(task_id="list_rooms", page_size=100)
    delete_room = DeleteVideoRoomOperator(
        task_id="delete_room",
        room_id="{{ ti.xcom_pull(task_ids='create_room')['id'] }}",
        # Clean up even when minting or listing failed; a room already gone is fine.
        trigger_rule=TriggerRule.ALL_DONE,
    )

    create_room >> mint_token >> list_rooms >> delete_room
# [END howto_signalwire_video_rooms]
