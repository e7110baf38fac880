"""OpenLineage for log exports: the space's log listing in, the file written out, with its record count.

Needs apache-airflow-providers-openlineage (in the ``test`` extra); skipped when it is missing. Without
it, the operator imports nothing of OpenLineage.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone

import pytest

from airflow_provider_signalwire.transfers.logs import SignalWireLogsToStorageOperator, lineage_location

UTC = timezone.utc
DAY0 = datetime(2026, 11, 1, tzinfo=UTC)
INTERVAL = {"data_interval_start": DAY0, "data_interval_end": datetime(2026, 11, 2, tzinfo=UTC)}


def test_lineage_names_follow_airflows_file_and_object_store_conventions():
    assert lineage_location("file:///data/signalwire/voice.jsonl") == ("file", "/data/signalwire/voice.jsonl")
    assert lineage_location("s3://bucket/signalwire/2026-11-01/voice.jsonl") == (
        "s3://bucket",
        "signalwire/2026-11-01/voice.jsonl",
    )
    assert lineage_location("gs://b/x.csv") == ("gs://b", "x.csv")


def test_the_export_in_and_the_file_out_with_records_and_bytes(signalwire_space, tmp_path):
    pytest.importorskip(
        "airflow.providers.openlineage", reason="apache-airflow-providers-openlineage missing"
    )
    from airflow.providers.common.compat.openlineage.facet import Dataset, OutputDataset
    from airflow.providers.openlineage.extractors import OperatorLineage

    signalwire_space.seed_logs("fax", 7, DAY0, INTERVAL["data_interval_end"])
    op = SignalWireLogsToStorageOperator(task_id="t", log_type="fax", destination=f"{tmp_path}/fax.jsonl")
    assert op.get_openlineage_facets_on_complete(None) == OperatorLineage()  # nothing written yet
    result = op.execute(INTERVAL)
    lineage = op.get_openlineage_facets_on_complete(None)
    assert isinstance(lineage, OperatorLineage)
    (source,) = lineage.inputs
    assert isinstance(source, Dataset)
    assert (source.namespace, source.name) == (signalwire_space.base_url, "/api/fax/logs")
    assert source.namespace.startswith(("https://", "http://127.0.0.1"))
    (output,) = lineage.outputs
    assert isinstance(output, OutputDataset)
    assert (output.namespace, output.name) == ("file", f"{tmp_path}/fax.jsonl")
    stats = output.outputFacets["outputStatistics"]
    assert (stats.rowCount, stats.size) == (7, result["bytes"]) and result["bytes"] > 0
    # The provider finds the method as it does on official operators (its DefaultExtractor).
    from airflow.providers.openlineage.extractors.manager import ExtractorManager

    extractor = ExtractorManager()._get_extractor(op)
    assert type(extractor).__name__ == "DefaultExtractor"
    assert extractor.extract_on_complete(None) == lineage


def test_compatibility_listings_name_the_project(signalwire_space, tmp_path):
    pytest.importorskip(
        "airflow.providers.openlineage", reason="apache-airflow-providers-openlineage missing"
    )
    op = SignalWireLogsToStorageOperator(
        task_id="t", log_type="compat_calls", destination=f"{tmp_path}/calls.csv", format="csv"
    )
    op.execute(INTERVAL)
    (source,) = op.get_openlineage_facets_on_complete(None).inputs
    assert source.name == f"/api/laml/2010-04-01/Accounts/{signalwire_space.project_id}/Calls"


def test_without_the_openlineage_provider_nothing_is_imported(signalwire_space, tmp_path):
    """Importing the operator and running an export loads neither the OpenLineage client nor the
    provider's extractors; asking for lineage with the provider blocked answers None."""
    code = (
        "import sys\n"
        "from datetime import datetime, timezone\n"
        "from airflow_provider_signalwire.transfers.logs import SignalWireLogsToStorageOperator\n"
        "op = SignalWireLogsToStorageOperator(task_id='t', log_type='voice', destination=sys.argv[1])\n"
        "op.execute({'data_interval_start': datetime(2026, 11, 1, tzinfo=timezone.utc),\n"
        "            'data_interval_end': datetime(2026, 11, 2, tzinfo=timezone.utc)})\n"
        # What this operator would import (Airflow itself loads the provider's plugin when installed).
        "ours = ('openlineage.', 'airflow.providers.common.compat.openlineage', "
        "'airflow.providers.openlineage.extractors')\n"
        "print('LOADED', sorted(m for m in sys.modules if (m + '.').startswith(ours)))\n"
        "sys.modules['airflow.providers.openlineage'] = None  # as if not installed\n"
        "sys.modules['airflow.providers.openlineage.extractors'] = None\n"
        "print('LINEAGE', op.get_openlineage_facets_on_complete(None))\n"
    )
    env = {
        **__import__("os").environ,
        "AIRFLOW_CONN_SIGNALWIRE_DEFAULT": signalwire_space.airflow_conn_json(),
    }
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "v.jsonl")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "LOADED []" in out.stdout, out.stdout[-2000:]
    assert "LINEAGE None" in out.stdout
