"""
Every night, land yesterday's SignalWire logs (voice, messaging, fax, video, conferences) as JSON Lines
files, one per family and day, exactly once. ``catchup=True`` fills the last few days on first start.

The files go under the Airflow Variable ``signalwire_exports`` (default: ``SIGNALWIRE_EXPORTS_URL``, else a
``signalwire-exports`` folder in the temp directory;
an ``s3://`` or ``gs://`` URL works the same with that filesystem's provider installed), as
``<root>/<day>/<family>.jsonl``. Each file written is announced on the asset alias
``signalwire-log-exports``, so a DAG with ``schedule=[AssetAlias("signalwire-log-exports")]`` runs after
each export.

Runs unchanged on a real space (set the ``signalwire_default`` connection) and on the offline fake space.
"""

# [START howto_signalwire_nightly_logs]

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timedelta, timezone

import airflow
from airflow.providers.common.compat.sdk import DAG, AssetAlias
from airflow.timetables.interval import CronDataIntervalTimetable

from airflow_provider_signalwire.transfers.logs import SignalWireLogsToStorageOperator

# A data interval of one UTC day per run. (On Airflow 3 a plain "@daily" schedule makes single-point
# runs with an empty data interval, which the operator treats as none: see docs/hook.md, "Writing DAGs".)
NIGHTLY = CronDataIntervalTimetable("0 0 * * *", timezone="UTC")
# Catch up a few days on first start (a start date that moves with the day keeps the example short).
START = (datetime.now(timezone.utc) - timedelta(days=3)).replace(hour=0, minute=0, second=0, microsecond=0)
# The Variable wins; else SIGNALWIRE_EXPORTS_URL; else a folder in the temp directory.
EXPORTS_URL = os.environ.get(
    "SIGNALWIRE_EXPORTS_URL", f"file://{tempfile.gettempdir()}/signalwire-exports"
).rstrip("/")
ROOT = f"{{{{ var.value.get('signalwire_exports', {EXPORTS_URL!r}) }}}}"
# The day exported: the data interval's start (not `ds`: a manual run with a logical date exports the
# interval before that date). A run without a logical date (triggered from the Airflow 3 UI or REST API)
# has no data interval: the operator then exports the UTC day before the run was due.
DAY = (
    "{{ data_interval_start | ds if data_interval_start is defined "
    "else macros.ds_add(dag_run.run_after | ds, -1) }}"
)
EXPORTS = AssetAlias("signalwire-log-exports")
# Airflow 2.11's `airflow dags test` / dag.test() cannot record events on an alias (the DAG processor,
# which they skip, registers it), so there the example announces nothing; scheduled 2.11 runs could.
OUTLETS = [EXPORTS] if int(airflow.__version__.split(".")[0]) >= 3 else []

with DAG(
    dag_id="signalwire_nightly_logs",
    description="Yesterday's SignalWire logs into object storage, one JSON Lines file per family.",
    start_date=START,
    schedule=NIGHTLY,
    catchup=True,
    max_active_runs=1,
    tags=["signalwire", "example"],
) as nightly_logs:
    for log_type in ("voice", "messaging", "fax", "video", "conferences"):
        SignalWireLogsToStorageOperator(
            task_id=f"export_{log_type}",
            log_type=log_type,
            destination=f"{ROOT}/{DAY}/{log_type}.jsonl",
            parallel_windows=4,
            outlets=OUTLETS,
        )
# [END howto_signalwire_nightly_logs]
