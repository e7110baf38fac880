"""Issue 9's end-to-end points: the SMS failure notifier and the deferrable delivery DAG in real Airflow.

- `airflow dags test signalwire_failure_sms` (Airflow 3.3 and 2.11): the task fails on purpose, the run
  ends failed, and the fake space records the SMS the failure callback sent; when SignalWire answers
  500 the callback logs why and the task's own error is still what the run shows.
- `airflow standalone` (Airflow 3): the same DAG triggered through REST (callback in a real task
  process), and signalwire_send_and_wait, whose mapped deferrable sensors wait in the triggerer.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, quote

import pytest
from e2e_support import airflow, airflow_version, timed

pytestmark = pytest.mark.e2e

FAILURE_DAG = "signalwire_failure_sms"
DELIVERY_DAG = "signalwire_send_and_wait"
ON_CALL = "+12025550100"  # the failure DAG's default param
DEADLINE_S = 240


def _sms(fake_space: Any, since: int) -> list[tuple[dict[str, list[str]], int | None]]:
    return [
        (parse_qs(r.body), r.status)
        for r in fake_space.requests[since:]
        if r.method == "POST" and r.path.endswith("/Messages")
    ]


def test_failure_callback_texts_the_on_call_number(cli_env: dict[str, str], conn_json: str, fake_space: Any):
    env = {**cli_env, "AIRFLOW_CONN_SIGNALWIRE_DEFAULT": conn_json}
    before = len(fake_space.requests)
    with timed(f"messaging: airflow dags test {FAILURE_DAG}"):
        result = airflow("dags", "test", FAILURE_DAG, env=env, timeout=300)
    assert "this example fails on purpose" in result.output, str(result)
    assert "state=failed" in result.output.lower() or "dagrun failed" in result.output.lower(), str(result)
    sms = _sms(fake_space, before)
    assert len(sms) == 1, sms
    form, status = sms[0]
    assert status == 201 and form["To"] == [ON_CALL], sms
    body = form["Body"][0]
    assert body.startswith(f"Airflow: {FAILURE_DAG}.load_orders failed, run "), body
    assert "ValueError: orders feed is empty" in body, body
    assert fake_space.api_token not in result.output


def test_failure_callback_logs_a_send_error_and_keeps_the_task_error(
    cli_env: dict[str, str], conn_json: str, fake_space: Any
):
    env = {**cli_env, "AIRFLOW_CONN_SIGNALWIRE_DEFAULT": conn_json}
    prefix = f"/api/laml/2010-04-01/Accounts/{fake_space.project_id}/Messages"
    fake_space.inject_fault(prefix, "500", count=1, method="POST")
    before = len(fake_space.requests)
    with timed(f"messaging: airflow dags test {FAILURE_DAG} (SMS answered 500)"):
        result = airflow("dags", "test", FAILURE_DAG, env=env, timeout=300)
    assert "SMS notification could not be sent to +12025550100" in result.output, str(result)
    assert "ValueError: orders feed is empty" in result.output, str(result)
    assert [status for _, status in _sms(fake_space, before)] == [500]  # never repeated


# ------------------------------------------------------------------------------- standalone (Airflow 3)


def _q(value: str) -> str:
    return quote(value, safe="")


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest, conn_json: str) -> dict[str, dict[str, Any]]:
    if airflow_version() < (3, 0):
        pytest.skip("airflow standalone with the REST API v2 is Airflow 3")
    standalone = request.getfixturevalue("standalone")
    import json

    conn = json.loads(conn_json)
    standalone.api("DELETE", "/connections/signalwire_default", ok=(204, 404))
    standalone.api(
        "POST",
        "/connections",
        ok=(201,),
        json={
            "connection_id": "signalwire_default",
            "conn_type": "signalwire",
            "host": conn["host"],
            "login": conn["login"],
            "password": conn["password"],
            "extra": json.dumps(conn["extra"]),
        },
    )
    out: dict[str, dict[str, Any]] = {}
    with timed("messaging: standalone runs of the failure and delivery DAGs"):
        for dag_id in (FAILURE_DAG, DELIVERY_DAG):
            standalone.wait_for_dag(dag_id)
            standalone.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
            out[dag_id] = standalone.api(
                "POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": {}}, ok=(200, 201)
            )
        deadline = time.monotonic() + DEADLINE_S
        while True:
            for dag_id, run in out.items():
                try:
                    out[dag_id] = standalone.api("GET", f"/dags/{dag_id}/dagRuns/{_q(run['dag_run_id'])}")
                except Exception as err:  # a busy API server (one worker) may time out: ask again
                    print(f"[e2e] {dag_id}: polling the run failed ({type(err).__name__}); asking again")
            if all(r["state"] in ("success", "failed") for r in out.values()) or time.monotonic() > deadline:
                break
            time.sleep(2)
    out["_standalone"] = {"server": standalone}
    return out


def test_standalone_failure_callback_sends_the_sms(runs: dict[str, Any], fake_space: Any) -> None:
    run = runs[FAILURE_DAG]
    assert run["state"] == "failed", run
    bodies = [form["Body"][0] for form, status in _sms(fake_space, 0) if status == 201]
    mine = [b for b in bodies if run["dag_run_id"] in b]
    assert len(mine) == 1, bodies
    assert mine[0].startswith(f"Airflow: {FAILURE_DAG}.load_orders failed"), mine


def test_standalone_send_and_wait_for_delivery(runs: dict[str, Any], fake_space: Any) -> None:
    run = runs[DELIVERY_DAG]
    standalone = runs["_standalone"]["server"]
    tis = standalone.api("GET", f"/dags/{DELIVERY_DAG}/dagRuns/{_q(run['dag_run_id'])}/taskInstances")
    states = sorted((ti["task_id"], ti["map_index"], ti["state"]) for ti in tis["task_instances"])
    assert run["state"] == "success", (run, states, standalone.log_tail(60))
    assert states == [
        ("send_sms", -1, "success"),
        ("wait_for_delivery", 0, "success"),
        ("wait_for_delivery", 1, "success"),
    ]
