"""
Distributed checks only (tests/distributed): the public operators writing to S3 (moto) through the
``aws_default`` connection, which like ``signalwire_default`` lives in the secrets backend.

- ``dist_s3_logs_export``: voice logs of the window in the run's conf to
  ``s3://aws_default@<bucket>/logs/<name>/voice.jsonl`` (small pages, so the write takes a while).
- ``dist_s3_recordings``: the recordings named in the conf to ``s3://aws_default@<bucket>/recordings/<name>/``,
  one mapped task each, declared on the ``dist-s3-recordings`` asset alias.
"""

from __future__ import annotations

import os
from datetime import datetime

from airflow.providers.common.compat.sdk import DAG, AssetAlias, task

from airflow_provider_signalwire.operators.video import DownloadVideoRoomRecordingOperator
from airflow_provider_signalwire.transfers.logs import SignalWireLogsToStorageOperator

BUCKET = os.environ.get("DIST_S3_BUCKET", "signalwire-dist")
ROOT = f"s3://aws_default@{BUCKET}"

with DAG(
    dag_id="dist_s3_logs_export",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={"name": "default", "start": "2026-01-01", "end": "2026-01-02"},
    tags=["distributed"],
):
    SignalWireLogsToStorageOperator(
        task_id="export_voice",
        log_type="voice",
        destination=ROOT + "/logs/{{ params.name }}/voice.jsonl",
        created_after="{{ params.start }}",
        created_before="{{ params.end }}",
        page_size=2,
        outlets=[AssetAlias("dist-s3-log-exports")],
    )

with DAG(
    dag_id="dist_s3_recordings",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={"name": "default", "recording_ids": []},
    tags=["distributed"],
):

    @task
    def recording_ids(**context) -> list[str]:
        return list(context["params"]["recording_ids"])

    DownloadVideoRoomRecordingOperator.partial(
        task_id="download",
        destination=ROOT + "/recordings/{{ params.name }}/",
        asset_alias="dist-s3-recordings",
        chunk_size=64 * 1024,
    ).expand(recording_id=recording_ids())

with DAG(
    dag_id="dist_load",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={"recording_ids": []},
    tags=["distributed"],
):

    @task
    def load_ids(**context) -> list[str]:
        return list(context["params"]["recording_ids"])

    DownloadVideoRoomRecordingOperator.partial(
        task_id="download",
        destination=ROOT + "/load/{{ run_id | replace(':', '') | replace('+', '') }}/",
    ).expand(recording_id=load_ids())
