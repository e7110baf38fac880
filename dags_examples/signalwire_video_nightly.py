"""
A nightly video flow: make sure today's stand-up room exists, mint a token for it, wait for its latest
session to end, download every recording of that session into object storage (one mapped task per
recording), and delete stand-up rooms older than a week.

Runs unchanged on a real space (``signalwire_default`` connection) and on the offline fake space, where
a minted token joins the room at once and the fake's clock ends the session a few seconds later.
Recordings go to ``SIGNALWIRE_RECORDINGS_URL`` (any Airflow object storage URL, e.g.
``s3://bucket/recordings/``; default: a ``signalwire-recordings`` folder in the temp directory), in a
folder per day. On Airflow 3 each downloaded file is declared on the ``signalwire-recordings`` asset
alias, so a DAG scheduled on that alias runs after it.
"""

# [START howto_signalwire_video_nightly]

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.providers.common.compat.sdk import DAG, AirflowSkipException, task
from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_0_PLUS

from airflow_provider_signalwire.operators.video import (
    CreateVideoRoomOperator,
    CreateVideoRoomTokenOperator,
    DeleteVideoRoomOperator,
    DownloadVideoRoomRecordingOperator,
    ListVideoRoomRecordingsOperator,
    ListVideoRoomSessionsOperator,
    ListVideoRoomsOperator,
)
from airflow_provider_signalwire.sensors.video import VideoRoomRecordingSensor, VideoRoomSessionSensor

# The day the run is for; runs triggered from the Airflow 3 UI/REST API have no logical date.
DAY = "{{ (data_interval_start if data_interval_start is defined else dag_run.run_after) | ds }}"
ROOM_PREFIX = "standup-"
ROOM_NAME = ROOM_PREFIX + DAY
RECORDINGS_URL = os.environ.get(
    "SIGNALWIRE_RECORDINGS_URL", f"file://{tempfile.gettempdir()}/signalwire-recordings/"
).rstrip("/")
KEEP_DAYS = 7

with DAG(
    dag_id="signalwire_video_nightly",
    description="Ensure the stand-up room, wait for its session, archive its recordings, prune old rooms.",
    start_date=datetime(2026, 1, 1),
    schedule="@daily",
    catchup=False,
    max_active_runs=1,
    tags=["signalwire", "example"],
):
    # A rerun (or the next try) finds the room and uses it as it is.
    room = CreateVideoRoomOperator(
        task_id="ensure_room",
        room_name=ROOM_NAME,
        display_name="Daily stand-up",
        max_members=25,
        record_on_start=True,
        if_exists="reuse",
    )
    # Masked in the logs; XCom gets the token's settings only (return_token=True would add the token).
    token = CreateVideoRoomTokenOperator(
        task_id="mint_token",
        room_name=ROOM_NAME,
        user_name="recorder",
        permissions=["room.self.audio_mute", "room.self.video_mute"],
        join_audio_muted=True,
        join_video_muted=True,
    )
    sessions = ListVideoRoomSessionsOperator(task_id="latest_session", room_name=ROOM_NAME, max_items=1)

    @task
    def session_id(sessions: list[dict[str, Any]]) -> str:
        if not sessions:
            raise AirflowSkipException("No one has joined the room yet: nothing to archive tonight.")
        return str(sessions[0]["id"])

    the_session = session_id(sessions.output)
    # Waits in the triggerer, not in a worker slot.
    session_ended = VideoRoomSessionSensor(
        task_id="wait_for_session_end",
        session_id=the_session,
        deferrable=True,
        poke_interval=10,
        timeout=int(timedelta(hours=12).total_seconds()),
    )
    recordings = ListVideoRoomRecordingsOperator(task_id="list_recordings", session_id=the_session)
    recording_ids = recordings.output.map(lambda recording: recording["id"])
    # SignalWire may still be processing a recording when its session has ended.
    ready = VideoRoomRecordingSensor.partial(
        task_id="wait_for_recording",
        deferrable=True,
        poke_interval=10,
        timeout=int(timedelta(hours=2).total_seconds()),
    ).expand(recording_id=recording_ids)
    downloads = DownloadVideoRoomRecordingOperator.partial(
        task_id="download_recording",
        destination=f"{RECORDINGS_URL}/{DAY}/",
        # Airflow 2.11's `airflow dags test` cannot record alias events (a DatasetModel flush error).
        asset_alias="signalwire-recordings" if AIRFLOW_V_3_0_PLUS else None,
        retries=2,
    ).expand(recording_id=recording_ids)

    # Prune even on a night without a session (the tasks above are then skipped).
    all_rooms = ListVideoRoomsOperator(task_id="list_rooms", page_size=1000, trigger_rule="none_failed")

    @task
    def rooms_to_prune(rooms: list[dict[str, Any]], keep_days: int = KEEP_DAYS) -> list[str]:
        """Stand-up rooms created more than ``keep_days`` ago (only ours: the name says so)."""
        cutoff = datetime.now(timezone.utc) - timedelta(days=keep_days)
        return [
            room["id"]
            for room in rooms
            if str(room.get("name", "")).startswith(ROOM_PREFIX)
            and datetime.fromisoformat(str(room["created_at"]).replace("Z", "+00:00")) < cutoff
        ]

    prune = DeleteVideoRoomOperator.partial(task_id="delete_old_room").expand(
        room_id=rooms_to_prune(all_rooms.output)
    )

    room >> token >> sessions
    session_ended >> recordings
    ready >> downloads >> all_rooms
# [END howto_signalwire_video_nightly]
