"""
Fax a document, wait (deferred) until it is delivered, and file every received fax's PDF.

``SendFaxOperator`` checks both numbers before sending and, with ``deduplicate=True``, does not fax the
document twice when Airflow retries the task; ``FaxStatusSensor(deferrable=True)`` waits in Airflow's
triggerer, and ``busy``, ``no-answer`` or ``failed`` fail it at once with SignalWire's reason. The
received faxes (those sent to ``from_number``) are listed and each one's stored PDF downloaded into
``SIGNALWIRE_FAXES_URL`` (any Airflow object storage URL, e.g. ``s3://bucket/faxes/``; default a local
folder), named ``<media sid>.pdf``: atomic, checked, and a rerun replaces the same files.

Runs unchanged on a real space (set the ``signalwire_default`` connection and trigger the DAG with
``{"to": "+1...", "from_number": "+1...", "document": "https://.../file.pdf"}``, the sender being one
of your space's fax numbers) and on the offline fake space, where a fax is delivered 6 seconds after it
is sent and ``--seed demo`` holds two received faxes.
"""

# [START howto_signalwire_fax]

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_signalwire.operators.fax import (
    DownloadFaxMediaOperator,
    ListFaxesOperator,
    SendFaxOperator,
)
from airflow_provider_signalwire.sensors.fax import FaxStatusSensor

FAXES_URL = os.environ.get("SIGNALWIRE_FAXES_URL", f"file://{tempfile.gettempdir()}/signalwire-faxes/")

with DAG(
    dag_id="signalwire_fax",
    description="Fax a document, wait until it is delivered, and file the received faxes' PDFs.",
    start_date=datetime(2026, 1, 1),
    schedule=None,
    catchup=False,
    params={
        "to": "+12025550101",
        "from_number": "+12025550150",
        "document": "https://example.com/invoice.pdf",
    },
    tags=["signalwire", "example"],
):
    send = SendFaxOperator(
        task_id="send_fax",
        to="{{ params.to }}",
        from_="{{ params.from_number }}",
        media_url="{{ params.document }}",
        quality="fine",
        deduplicate=True,  # a retry returns the fax this run already sent
        retries=2,
    )
    wait = FaxStatusSensor(
        task_id="wait_for_delivery",
        fax_sid="{{ ti.xcom_pull(task_ids='send_fax')['sid'] }}",
        deferrable=True,
        poke_interval=5,
        timeout=30 * 60,
    )
    send >> wait

    received = ListFaxesOperator(task_id="list_received", to="{{ params.from_number }}", max_items=100)

    @task
    def with_media(faxes: list[dict[str, Any]]) -> list[str]:
        """The received faxes that have a stored document."""
        return [f["sid"] for f in faxes if f.get("direction") == "inbound" and f.get("media_sid")]

    DownloadFaxMediaOperator.partial(task_id="file_received", destination=FAXES_URL).expand(
        fax_sid=with_media(received.output)
    )
# [END howto_signalwire_fax]
