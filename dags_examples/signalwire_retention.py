"""
Delete SignalWire recordings, transcriptions and media older than 90 days and redact the bodies of
messages older than 30 days, every day; on the first of each month, a dry run that only lists.

``SignalWireRetentionOperator`` lists everything first and touches nothing when more than
``max_items`` items would go (a wrong threshold cannot empty the account). Each item acted on is a
JSON line of the audit, written under ``SIGNALWIRE_RETENTION_AUDIT_URL`` (default: a folder in the temp
directory; ``s3://bucket/audit`` works too); the counts per kind are the task's XCom.
``SIGNALWIRE_RETENTION_KINDS`` (comma separated) narrows the deleted kinds, e.g. to those a token may
touch.
"""

# [START howto_signalwire_retention]

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timedelta
from typing import Any

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_signalwire.operators.retention import SignalWireRetentionOperator

AUDIT_URL = os.environ.get(
    "SIGNALWIRE_RETENTION_AUDIT_URL", f"file://{tempfile.gettempdir()}/signalwire-retention"
).rstrip("/")
DELETED = ["call_recordings", "video_recordings", "transcriptions", "message_media", "fax_media"]
KINDS = [k.strip() for k in os.environ.get("SIGNALWIRE_RETENTION_KINDS", ",".join(DELETED)).split(",")]


def first_of_month(moment: Any) -> bool:
    """Whether a run happens on the first of a month: its data interval ends then (Airflow 2's daily
    runs, and Airflow 3's, whose interval is the moment of the run)."""
    return moment is not None and moment.day == 1


# A run triggered without a logical date (Airflow 3's default for manual and REST runs) has no data
# interval and no ``ds``: then the moment it was due to run (``run_after``) stands in for both.
MOMENT = "(data_interval_end if data_interval_end is defined else dag_run.run_after)"
DAY = "{{ ds if ds is defined else (dag_run.run_after | ds) }}"


with DAG(
    dag_id="signalwire_retention",
    description="Delete old SignalWire recordings and media, redact old message bodies (dry run monthly).",
    start_date=datetime(2026, 1, 1),
    schedule="@daily",
    catchup=False,
    user_defined_macros={"first_of_month": first_of_month},
    tags=["signalwire", "example"],
):
    SignalWireRetentionOperator(
        task_id="delete_old_recordings_and_media",
        kinds=[k for k in KINDS if k in DELETED],
        older_than=timedelta(days=90),
        dry_run="{{ first_of_month(" + MOMENT + ") }}",
        max_items=5000,
        audit_to=AUDIT_URL + f"/{DAY}/deleted.jsonl",
    )
    SignalWireRetentionOperator(
        task_id="redact_old_message_bodies",
        kinds=["message_bodies"],
        older_than="P30D",
        # Redacted messages stay listed: look back a week (room for failed runs), not forever.
        redact_lookback="P7D",
        dry_run="{{ first_of_month(" + MOMENT + ") }}",
        max_items=5000,
        audit_to=AUDIT_URL + f"/{DAY}/redacted.jsonl",
    )
# [END howto_signalwire_retention]
