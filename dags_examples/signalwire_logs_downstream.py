"""
After each incremental export of SignalWire voice logs, check the file it announced: a DAG scheduled on
the ``signalwire-voice-logs`` asset (fed by ``signalwire_incremental_logs``, Airflow 3.3).

Each triggering asset event carries the file's ``path``, its ``records`` count and its ``window``
(``<start>/<end>``). The task reads every announced file (any object storage URL), checks that it holds
that many records, each a JSON object with an ``id`` and a ``created_at`` inside the window, and asks
SignalWire for the file's newest record again to confirm it matches the export; a mismatch fails the
run. This is where a loader into your warehouse would go. Started by hand (no events), it looks at the
newest voice log record instead.

On Airflow 2.11 (no incremental exports) the DAG is scheduled on the same asset, which nothing updates
there: run it by hand.
"""

# [START howto_signalwire_logs_downstream]

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import DAG, Asset, ObjectStoragePath, task

from airflow_provider_signalwire.hooks.signalwire import SignalWireHook
from airflow_provider_signalwire.times import parse_record_time

# The asset signalwire_incremental_logs.py exports to (the same name).
VOICE_LOGS = Asset("signalwire-voice-logs")


def announced_files(context: Any) -> list[dict[str, Any]]:
    """The files the triggering asset events announced, oldest first, each once."""
    events = context.get("triggering_asset_events") or context.get("triggering_dataset_events") or {}
    files = {}
    for asset_events in events.values():
        for event in asset_events:
            extra = event.extra or {}
            if extra.get("path"):
                files[extra["path"]] = extra
    return sorted(files.values(), key=lambda extra: extra["window"])


def check_export(hook: SignalWireHook, path: str, records: int, window: str) -> dict[str, Any]:
    """Read one exported JSON Lines file and check it against its event and against SignalWire."""
    start, end = (parse_record_time(bound) for bound in window.split("/"))
    count, newest = 0, None
    with ObjectStoragePath(path).open("r") as lines:
        for number, line in enumerate(lines, 1):
            record = json.loads(line)
            if not (isinstance(record, dict) and record.get("id") and record.get("created_at")):
                raise ValueError(f"{path} line {number}: not a log record with an id and a created_at")
            if not start <= parse_record_time(record["created_at"]) < end:
                raise ValueError(
                    f"{path} line {number}: created_at {record['created_at']} is outside {window}"
                )
            count += 1
            newest = newest or record  # SignalWire lists newest first; the export keeps that order
    if count != records:
        raise ValueError(f"{path} holds {count} records; its asset event announced {records}")
    if newest is not None:
        again = hook.request("GET", f"/api/voice/logs/{newest['id']}")
        if again.get("created_at") != newest["created_at"]:
            raise ValueError(f"{path}: record {newest['id']} reads differently from SignalWire now")
    print(f"{path}: {count} voice log records in {window}, checked")
    return {"path": path, "records": count, "window": window}


with DAG(
    dag_id="signalwire_logs_downstream",
    description="Check each incremental SignalWire voice log export as it lands.",
    start_date=datetime(2026, 1, 1),
    schedule=[VOICE_LOGS],
    catchup=False,
    tags=["signalwire", "example"],
):

    @task
    def check_exported_files(**context: Any) -> list[dict[str, Any]]:
        hook = SignalWireHook()
        files = announced_files(context)
        if not files:  # started by hand: the newest voice log record, if there is one
            page = hook.request("GET", "/api/voice/logs", params={"page_size": 1})
            newest = (page.get("data") or [None])[0]
            print(f"No export announced; newest voice log record: {newest and newest['created_at']}")
            return []
        return [check_export(hook, f["path"], f["records"], f["window"]) for f in files]

    check_exported_files()
# [END howto_signalwire_logs_downstream]
