"""
When a SignalWire room recording completes, fetch its details: a DAG scheduled on an asset that a
SignalWire watcher feeds (Airflow 3).

The triggerer polls the space's room recordings (``SignalWireNewItemsTrigger``) and emits one asset
event per newly completed recording, carrying the recording; each event starts a run (events that
arrive together may share one), and the task reads them from ``triggering_asset_events``. It asks
SignalWire for each recording again, for current details and a fresh download link (the listed
``uri`` expires after 15 minutes). Started by hand, with no events, it looks at the latest completed
recording instead.

On Airflow 3.3 the watcher keeps its place in the asset's state store, so a triggerer restart
neither misses nor repeats a recording. Airflow 2.11 has no asset watchers: there the DAG is defined
without a schedule, to be run by hand.

``SIGNALWIRE_RECORDINGS_POLL_INTERVAL`` (seconds, default 60) sets how often the space is asked.
"""

# [START howto_signalwire_new_recordings]

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_signalwire.hooks.signalwire import SignalWireHook
from airflow_provider_signalwire.triggers.events import SignalWireNewItemsTrigger

POLL_INTERVAL = float(os.environ.get("SIGNALWIRE_RECORDINGS_POLL_INTERVAL", "60"))

try:
    from airflow.sdk import Asset, AssetWatcher
except ImportError:  # Airflow 2.11
    schedule: Any = None
else:
    completed_recordings = Asset(
        "signalwire_completed_recordings",
        watchers=[
            AssetWatcher(
                name="signalwire_completed_recordings_watcher",
                trigger=SignalWireNewItemsTrigger(kind="recordings", poll_interval=POLL_INTERVAL),
            )
        ],
    )
    schedule = [completed_recordings]


def recording_ids(context: Any) -> list[str]:
    """The ids of the recordings whose events started this run, oldest first, once each."""
    events = context.get("triggering_asset_events") or {}
    ids = [
        (event.extra or {}).get("payload", {}).get("id")
        for asset_events in events.values()
        for event in asset_events
    ]
    return list(dict.fromkeys(i for i in ids if i))


with DAG(
    dag_id="signalwire_new_recordings",
    description="When a room recording completes, fetch its details.",
    start_date=datetime(2026, 1, 1),
    schedule=schedule,
    catchup=False,
    tags=["signalwire", "example"],
):

    @task
    def fetch_recording_details(**context: Any) -> list[dict[str, Any]]:
        hook = SignalWireHook()
        ids = recording_ids(context)
        if not ids:  # started by hand: the latest completed recording, if there is one
            page = hook.request("GET", "/api/video/room_recordings", params={"page_size": 20})
            ids = [r["id"] for r in page.get("data", []) if r.get("status") == "completed"][:1]
        details = [hook.request("GET", f"/api/video/room_recordings/{i}") for i in ids]
        for recording in details:
            print(
                f"Recording {recording['id']} of session {recording['room_session_id']}: "
                f"{recording['duration']} s, {recording['size_in_bytes']} bytes, {recording['status']}"
            )
        return details

    fetch_recording_details()
# [END howto_signalwire_new_recordings]
