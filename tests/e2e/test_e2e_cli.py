"""The airflow CLI with the provider installed: registration, DAG parsing, connection test, dags test.

Runs on Airflow 3.3 (make e2e) and on Airflow 2.11 (make test-airflow2), in whatever venv runs pytest.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from e2e_support import (
    CONN_ID,
    DAGS_FOLDER,
    airflow,
    airflow_version,
    dags_failing_on_purpose,
    example_dag_ids,
    one_line,
    parse_json_output,
    timed,
)

pytestmark = pytest.mark.e2e

DAG_IDS = example_dag_ids()
AUTH_HINT = "Check the connection's Project ID (login) and API Token (password)"


def _local_flag() -> list[str]:
    # Airflow 3 reads `dags list` / `list-import-errors` from the DB unless --local; 2.x parses the folder.
    return ["--local"] if airflow_version() >= (3, 0) else []


def test_example_dags_exist() -> None:
    assert DAG_IDS, f"no DAGs found in {DAGS_FOLDER}"


def test_providers_list(cli_env: dict[str, str]) -> None:
    with timed("cli: airflow providers list"):
        result = airflow("providers", "list", "-o", "json", env=cli_env)
    assert result.returncode == 0, str(result)
    providers = parse_json_output(result.output)
    assert isinstance(providers, list)
    names = {p.get("package_name") for p in providers}
    assert "airflow-provider-signalwire" in names, str(result)


def test_no_import_errors(cli_env: dict[str, str]) -> None:
    with timed("cli: airflow dags list-import-errors"):
        result = airflow("dags", "list-import-errors", *_local_flag(), "-o", "json", env=cli_env)
    assert result.returncode == 0, str(result)
    text = result.output.strip()
    # An empty table prints "No data found" (2.x) or "[]".
    if "No data found" not in text:
        errors = parse_json_output(text)
        assert errors == [], f"import errors in {DAGS_FOLDER}:\n{json.dumps(errors, indent=2)}"


def test_dag_discovery_matches_airflow(cli_env: dict[str, str]) -> None:
    """The statically discovered DAG ids (used by every stage) are exactly what Airflow parses."""
    with timed("cli: airflow dags list"):
        result = airflow("dags", "list", *_local_flag(), "-o", "json", env=cli_env)
    assert result.returncode == 0, str(result)
    parsed = sorted(d["dag_id"] for d in parse_json_output(result.output))  # type: ignore[union-attr]
    assert parsed == example_dag_ids(), (
        "tests/e2e/e2e_support.example_dag_ids() disagrees with `airflow dags list`; "
        "teach dag_ids_in_file() the new way the DAG is declared"
    )


def test_connections_test_succeeds(cli_env: dict[str, str], conn_json: str, fake_space: Any) -> None:
    env = {
        **cli_env,
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
        "AIRFLOW_CONN_SIGNALWIRE_DEFAULT": conn_json,
    }
    before = len(fake_space.requests)
    with timed("cli: airflow connections test (good token)"):
        result = airflow("connections", "test", CONN_ID, env=env)
    assert result.returncode == 0, str(result)
    assert "Connection success!" in result.output, str(result)
    assert fake_space.api_token not in result.output
    seen = fake_space.requests[before:]
    assert any(r.has_auth and r.status == 200 for r in seen), [(r.method, r.path, r.status) for r in seen]


def test_connections_test_wrong_token(cli_env: dict[str, str], conn_json: str, fake_space: Any) -> None:
    wrong = "PT" + "0badc0ffee" * 4
    conn = json.loads(conn_json)
    conn["password"] = wrong
    env = {
        **cli_env,
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
        "AIRFLOW_CONN_SIGNALWIRE_DEFAULT": json.dumps(conn),
    }
    with timed("cli: airflow connections test (wrong token)"):
        result = airflow("connections", "test", CONN_ID, env=env)
    if airflow_version() >= (3, 0):  # Airflow 2.x's `connections test` exits 0 even when the test fails
        assert result.returncode != 0, str(result)
    assert "Connection failed!" in result.output, str(result)
    assert AUTH_HINT in one_line(result.output), str(result)
    assert wrong not in result.output, "the wrong token was printed"
    assert fake_space.api_token not in result.output


# On Airflow 3 every example DAG also runs in `airflow standalone` (test_e2e_standalone.py) and on the
# distributed deployment (make e2e-distributed), both in CI: there one DAG proves `airflow dags test`
# works, which saves CI about six minutes. Airflow 2.11 has no other run of them: all of them there.
# E2E_ALL_DAGS_TEST=1 runs them all on Airflow 3 too.
ONE_ON_AIRFLOW_3 = "signalwire_video_rooms"


def _dags_to_test() -> list[str]:
    dags = [d for d in DAG_IDS if d not in dags_failing_on_purpose()]
    if airflow_version() >= (3, 0) and os.environ.get("E2E_ALL_DAGS_TEST") != "1":
        return [d for d in dags if d == ONE_ON_AIRFLOW_3]
    return dags


def test_dags_test_covers_the_example_dags() -> None:
    assert ONE_ON_AIRFLOW_3 in DAG_IDS
    assert _dags_to_test()


@pytest.mark.parametrize("dag_id", _dags_to_test())
def test_dags_test(
    dag_id: str, cli_env: dict[str, str], conn_json: str, fake_space: Any, tmp_path: Path
) -> None:
    """`airflow dags test` of the example DAGs against the fake space succeeds and never prints the token."""
    env = {**cli_env, "AIRFLOW_CONN_SIGNALWIRE_DEFAULT": conn_json}
    before = len(fake_space.requests)
    with timed(f"cli: airflow dags test {dag_id}"):
        result = airflow("dags", "test", dag_id, env=env, timeout=300)
    (tmp_path / "dags_test.log").write_text(result.output)
    assert result.returncode == 0, str(result)
    low = result.output.lower()
    assert "state=failed" not in low and "dagrun failed" not in low, str(result)
    finished = [line for line in result.output.splitlines() if "DagRun Finished" in line]
    assert all("state=success" in line for line in finished), "\n".join(finished)
    assert fake_space.api_token not in result.output, "the API token was printed by `airflow dags test`"
    seen = fake_space.requests[before:]
    assert seen, "the DAG never called the fake space"
    assert all(r.has_auth for r in seen)
    failed = [(r.method, r.path, r.status) for r in seen if r.status is None or r.status >= 400]
    assert not failed, f"the fake space answered errors: {failed}"
