"""
Every 15 minutes, land the SignalWire voice logs that arrived since the last run, as one JSON Lines
file per window, exactly once (Airflow 3.3).

``incremental=True`` keeps the export's place (a watermark) in the state store of the
``signalwire-voice-logs`` asset: each run exports from where the last one ended up to now minus five
minutes (records that reach SignalWire's listing a little late are not missed), and the watermark moves
only once the file is in place, so a failed run is simply retried. The first run starts at 00:00 UTC
the day before it runs. Files are named by their window (``{window_start}_{window_end}.jsonl``) under
the Airflow Variable ``signalwire_exports`` (default: ``SIGNALWIRE_EXPORTS_URL``, else a
``signalwire-exports`` folder in the temp directory), in
``incremental/voice/``. Each file is announced as an event of that asset, with its path, record count
and window in the event's ``extra``: ``signalwire_logs_downstream`` runs on it.

Airflow 2.11 has no asset state stores: there the DAG exports each run's 15-minute data interval
instead (also exactly once; no asset events).

Runs unchanged on a real space (set the ``signalwire_default`` connection) and on the offline fake space.
"""

# [START howto_signalwire_incremental_logs]

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timedelta
from typing import Any

from airflow.providers.common.compat.sdk import DAG, Asset
from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_3_PLUS
from airflow.timetables.interval import CronDataIntervalTimetable

from airflow_provider_signalwire.transfers.logs import SignalWireLogsToStorageOperator

# The asset the exports feed; signalwire_logs_downstream.py schedules on the same name.
VOICE_LOGS = Asset("signalwire-voice-logs")
# The Variable wins; else SIGNALWIRE_EXPORTS_URL; else a folder in the temp directory.
EXPORTS_URL = os.environ.get(
    "SIGNALWIRE_EXPORTS_URL", f"file://{tempfile.gettempdir()}/signalwire-exports"
).rstrip("/")
ROOT = f"{{{{ var.value.get('signalwire_exports', {EXPORTS_URL!r}) }}}}/incremental/voice"

if AIRFLOW_V_3_3_PLUS:
    window: dict[str, Any] = {
        "incremental": True,
        # Only where the first run starts (no watermark yet): 00:00 UTC the day before.
        "created_after": "{{ macros.ds_add(dag_run.run_after | ds, -1) }}",
        "settle": timedelta(minutes=5),
        "outlets": [VOICE_LOGS],
    }
else:  # Airflow 2.11: each run exports its data interval.
    window = {}

with DAG(
    dag_id="signalwire_incremental_logs",
    description="SignalWire voice logs since the last run, every 15 minutes, exactly once.",
    start_date=datetime(2026, 1, 1),
    schedule=CronDataIntervalTimetable("*/15 * * * *", timezone="UTC"),
    catchup=False,
    # Two runs at once would read the same watermark: the operator refuses more than one.
    max_active_runs=1,
    tags=["signalwire", "example"],
) as incremental_logs:
    SignalWireLogsToStorageOperator(
        task_id="export_voice_logs",
        log_type="voice",
        destination=ROOT + "/{window_start}_{window_end}.jsonl",
        **window,
    )
# [END howto_signalwire_incremental_logs]
