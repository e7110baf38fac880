"""``signalwire_fax`` under ``airflow dags test`` (Airflow 3.3 and 2.11): the fax is sent once and waited
for until delivered (the deferrable sensor), and every received fax's PDF is filed, byte for byte what
the fake space stores, under the run's destination; a second run replaces the same files."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from tests.e2e.e2e_support import airflow, timed

pytestmark = pytest.mark.e2e
DAG_ID = "signalwire_fax"
OUR_NUMBER = "+12025550150"  # the DAG's from_number param, where the fake's seeded faxes arrive


def test_send_wait_and_file_received_faxes(
    cli_env: dict[str, str], conn_json: str, fake_space: Any, tmp_path: Path
) -> None:
    received = fake_space.seed_faxes(2)
    folder = tmp_path / "faxes"
    env = {
        **cli_env,
        "AIRFLOW_CONN_SIGNALWIRE_DEFAULT": conn_json,
        "SIGNALWIRE_FAXES_URL": f"file://{folder}/",
    }
    faxes = f"/api/laml/2010-04-01/Accounts/{fake_space.project_id}/Faxes"
    for attempt in (1, 2):
        before = len(fake_space.requests)
        with timed(f"fax: airflow dags test {DAG_ID} (run {attempt})"):
            result = airflow("dags", "test", DAG_ID, env=env, timeout=300)
        low = result.output.lower()
        assert result.returncode == 0 and "state=failed" not in low, str(result)
        sent = [r for r in fake_space.requests[before:] if r.method == "POST" and r.path == faxes]
        assert len(sent) == 1 and sent[0].status == 200, sent
        sent_sid = fake_space.backends["fax"].faxes.newest_first()[0].id
        polled = [
            r for r in fake_space.requests[before:] if r.method == "GET" and r.path == f"{faxes}/{sent_sid}"
        ]
        assert polled and all(r.status == 200 for r in polled)  # the sensor waited on the fax it sent
        assert parse_qs(sent[0].body)["To"] == ["+12025550101"]
        for fax in received:
            pdf = folder / f"{fax['media_sid']}.pdf"
            assert pdf.read_bytes() == fake_space.media_file(fax["media_url"]), pdf
        assert sorted(p.name for p in folder.iterdir()) == sorted(f"{f['media_sid']}.pdf" for f in received)
    assert fake_space.api_token not in result.output
