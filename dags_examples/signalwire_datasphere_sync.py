"""
Keep a SignalWire Datasphere knowledge base in step with a folder of documents, then ask it a question.

``SyncToDatasphereOperator`` creates a document for each new file of the folder, replaces the changed
ones (the new version first, then the old one deleted), deletes those whose file is gone (at most
``max_deletes`` a run) and leaves the rest alone; reruns converge. The DAG runs whenever an upstream DAG
announces the folder's asset (or by hand), and announces the ``signalwire-datasphere`` asset itself.

The folder is ``SIGNALWIRE_DATASPHERE_SOURCE`` (default ``s3://my-bucket/knowledge-base/``). Datasphere
fetches each file from a URL: S3 and GCS folders get presigned URLs from the storage itself; a local
folder needs a file host SignalWire can reach, given as ``SIGNALWIRE_DATASPHERE_FILE_HOST`` (the
end-to-end tests serve their folder on 127.0.0.1 to the offline fake space that way).
"""

# [START howto_signalwire_datasphere_sync]

from __future__ import annotations

import os
from datetime import datetime
from typing import Any
from urllib.parse import quote

from airflow.providers.common.compat.sdk import DAG, Asset

from airflow_provider_signalwire.operators.datasphere import SearchDatasphereOperator
from airflow_provider_signalwire.transfers.datasphere import SyncToDatasphereOperator

SOURCE = os.environ.get("SIGNALWIRE_DATASPHERE_SOURCE", "s3://my-bucket/knowledge-base/")
FILE_HOST = os.environ.get("SIGNALWIRE_DATASPHERE_FILE_HOST")


def file_host_url(path: Any) -> str:
    """The URL of a file of a local SOURCE folder on FILE_HOST, which serves that folder."""
    root = SOURCE.removeprefix("file://").rstrip("/")
    relative = str(path.path).removeprefix(root).lstrip("/")
    return f"{FILE_HOST}/{quote(relative)}"


with DAG(
    dag_id="signalwire_datasphere_sync",
    description="Sync a folder of documents into a SignalWire Datasphere knowledge base, then search it.",
    start_date=datetime(2026, 1, 1),
    schedule=[Asset(SOURCE)],
    catchup=False,
    tags=["signalwire", "example"],
):
    sync = SyncToDatasphereOperator(
        task_id="sync_knowledge_base",
        source=SOURCE,
        tags=["help-center"],
        chunking_strategy="sentence",
        max_sentences_per_chunk=2,
        url_for=file_host_url if FILE_HOST else None,
        # A wrong path or a half-written folder must not empty the knowledge base.
        max_deletes=10,
        knowledge_base_asset="signalwire-datasphere",
    )
    search = SearchDatasphereOperator(
        task_id="ask_the_knowledge_base",
        query_string="how long do refunds take",
        tags=["help-center"],
        count=3,
    )

    sync >> search
# [END howto_signalwire_datasphere_sync]
