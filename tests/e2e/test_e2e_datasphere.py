"""``signalwire_datasphere_sync`` under ``airflow dags test``: the fake space's Datasphere ends up holding
exactly the folder's files, and a changed, a removed and an added file are synced by the next run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.e2e_support import airflow, timed

pytestmark = pytest.mark.e2e
DAG_ID = "signalwire_datasphere_sync"


def _documents(fake_space: Any, folder: Path) -> dict[str, dict[str, Any]]:
    """The documents of the folder's collection, by the file's path under the folder."""
    collection = f"airflow-sync:collection=file://{folder}"
    source = f"airflow-sync:source=file://{folder}/"
    out = {}
    for doc in fake_space.state.documents.values():
        if collection in doc["tags"]:
            key = next(t for t in doc["tags"] if t.startswith(source))[len(source) :]
            assert key not in out, f"two documents for {key}"
            out[key] = doc
    return out


def _run(cli_env: dict[str, str], conn_json: str) -> None:
    env = {**cli_env, "AIRFLOW_CONN_SIGNALWIRE_DEFAULT": conn_json}
    with timed(f"cli: airflow dags test {DAG_ID}"):
        result = airflow("dags", "test", DAG_ID, env=env, timeout=300)
    assert result.returncode == 0 and "state=failed" not in result.output.lower(), str(result)


def test_the_sync_follows_the_folder(
    cli_env: dict[str, str], conn_json: str, fake_space: Any, datasphere_folder: Any
) -> None:
    from airflow_provider_signalwire.testing.datasphere.samples import write_samples

    folder = Path(datasphere_folder.folder)
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.txt"))
    _run(cli_env, conn_json)
    first = _documents(fake_space, folder)
    assert sorted(first) == files
    assert all(d["status"] == "completed" and "help-center" in d["tags"] for d in first.values())

    (folder / "returns.txt").write_text("Returns are free for sixty days now.")
    (folder / "support" / "shipping.txt").unlink()
    (folder / "support" / "payments.txt").write_text("We take cards and bank transfers.")
    try:
        _run(cli_env, conn_json)
        second = _documents(fake_space, folder)
        assert sorted(second) == ["returns.txt", "support/hours.txt", "support/payments.txt"]
        assert second["support/hours.txt"]["id"] == first["support/hours.txt"]["id"]
        assert second["returns.txt"]["id"] != first["returns.txt"]["id"]
    finally:
        (folder / "support" / "payments.txt").unlink()
        write_samples(folder)
