"""API token rotation under ``airflow standalone`` (Airflow 3.3), the store being the standalone's own
REST API.

Reuses the session's ``standalone``. A connection ``signalwire_rotated`` (not the shared
``signalwire_default``: its token must stay valid for every other test) gets a token of its own, and an
``airflow_api`` connection points back at the API server. ``signalwire_rotate_token`` is triggered for
it twice: first with a fault that fails the new token's verification (the run fails, the connection
keeps its token, no token is left in the fake), then for real: the connection read back holds a new
token, the fake refuses the old one, and the downstream task using the connection succeeds.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

import pytest
import requests
import test_e2e_ui
from e2e_support import airflow, airflow_version, parse_json_output, timed

from tests.helpers.space import token_works

pytestmark = pytest.mark.e2e
webserver2 = test_e2e_ui.webserver2  # Airflow 2.11's webserver (basic auth for /api/v1 too)
AIRFLOW3 = pytest.mark.skipif(
    airflow_version() < (3, 0), reason="airflow standalone's REST API is Airflow 3's"
)
AIRFLOW2 = pytest.mark.skipif(airflow_version() >= (3, 0), reason="the /api/v1 store is Airflow 2.11's")

DAG_ID = "signalwire_rotate_token"
CONN = "signalwire_rotated"
PERMISSIONS = ["video", "management"]
DEADLINE_S = 240


def _run(standalone: Any, conf: dict[str, Any]) -> dict[str, Any]:
    run = standalone.api(
        "POST", f"/dags/{DAG_ID}/dagRuns", json={"logical_date": None, "conf": conf}, ok=(200, 201)
    )
    run_id = quote(run["dag_run_id"], safe="")
    deadline = time.monotonic() + DEADLINE_S
    while run["state"] not in ("success", "failed"):
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{DAG_ID} not finished after {DEADLINE_S}s: {run}\n{standalone.log_tail(30)}"
            )
        time.sleep(2)
        run = standalone.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}")
    return run


def _states(standalone: Any, run: dict[str, Any]) -> dict[str, str]:
    path = f"/dags/{DAG_ID}/dagRuns/{quote(run['dag_run_id'], safe='')}/taskInstances"
    return {ti["task_id"]: ti["state"] for ti in standalone.api("GET", path)["task_instances"]}


def _extra(standalone: Any) -> dict[str, Any]:
    extra: dict[str, Any] = json.loads(standalone.api("GET", f"/connections/{CONN}")["extra"])
    return extra


def _rotated_body(fake_space: Any, token: str) -> dict[str, Any]:
    """The REST body of connection ``signalwire_rotated``: ``token``, its id and permissions in the extras."""
    conn = json.loads(fake_space.airflow_conn_json())
    extra = {**conn["extra"], "credential_id": fake_space.token_id(token), "permissions": PERMISSIONS}
    extra["max_retries"] = 0
    return {
        "connection_id": CONN,
        "conn_type": "signalwire",
        "host": conn["host"],
        "login": conn["login"],
        "password": token,
        "extra": json.dumps(extra),
    }


@pytest.fixture
def rotated_connection(standalone: Any, fake_space: Any) -> Any:
    token = fake_space.add_token(PERMISSIONS, name="e2e rotated")
    bodies = [
        _rotated_body(fake_space, token),
        {
            "connection_id": "airflow_api",
            "conn_type": "http",
            "host": "http://127.0.0.1",
            "port": standalone.port,
            "login": "admin",
            "password": standalone.password,
        },
    ]
    for body in bodies:
        standalone.api("DELETE", f"/connections/{body['connection_id']}", ok=(204, 404))
        standalone.api("POST", "/connections", ok=(201,), json=body)
    standalone.wait_for_dag(DAG_ID)
    standalone.api("PATCH", f"/dags/{DAG_ID}", json={"is_paused": False})
    yield token
    # Without airflow_api, later runs of the example DAG only check the token (no rotation).
    standalone.api("DELETE", "/connections/airflow_api", ok=(204, 404))


@AIRFLOW3
def test_rotation_through_the_rest_api(standalone: Any, fake_space: Any, rotated_connection: str) -> None:
    old = rotated_connection
    old_id = fake_space.token_id(old)
    # Not a few seconds: Airflow 3.3's scheduler fails a task whose deferral ends before it has processed
    # the executor's report of the deferring attempt ("task state changed externally"); seen with 3 s.
    conf = {"conn_id": CONN, "grace_seconds": 20}

    # 1. The new token fails verification: the run fails, nothing changes, no token is left behind.
    tokens = [t["id"] for t in fake_space.api_tokens()]
    fake_space.inject_fault("/api/laml/2010-04-01/Accounts/", "500", method="GET")
    with timed("tokens: rotation with a failing verification"):
        failed = _run(standalone, conf)
    assert failed["state"] == "failed"
    assert _states(standalone, failed)["rotate_token"] == "failed"
    assert [t["id"] for t in fake_space.api_tokens()] == tokens
    assert _extra(standalone)["credential_id"] == old_id and token_works(fake_space, old)

    # 2. The rotation itself.
    with timed("tokens: rotation, grace period deferred, old token deleted"):
        run = _run(standalone, conf)
    states = _states(standalone, run)
    assert run["state"] == "success", states
    assert states["rotate_token"] == "success" and states["use_rotated_connection"] == "success"
    extra = _extra(standalone)
    new_id = extra["credential_id"]
    assert new_id != old_id and extra["permissions"] == PERMISSIONS and "previous_credential_id" not in extra
    after = {t["id"]: t for t in fake_space.api_tokens()}
    assert old_id not in after and after[new_id]["permissions"] == PERMISSIONS
    assert set(after) == (set(tokens) - {old_id}) | {new_id}
    assert not token_works(fake_space, old)
    # The connection read back holds the new token: the REST API shows passwords as ***, the CLI on the
    # standalone's database does not.
    assert standalone.api("GET", f"/connections/{CONN}")["password"] == "***"
    shown = airflow("connections", "get", CONN, "-o", "json", env=standalone.env)
    assert shown.returncode == 0, str(shown)
    (stored,) = parse_json_output(shown.output)  # type: ignore[misc]
    assert stored["password"] != old and fake_space.token_id(stored["password"]) == new_id


@AIRFLOW2
def test_rotation_through_airflow2_api_v1(webserver2: dict[str, Any], fake_space: Any) -> None:
    """Airflow 2.11: ``airflow dags test`` of the example DAG, the store being the webserver's /api/v1
    (basic auth). The connection lives in the database the webserver and the CLI share, so the
    downstream task, in the same run, reads the new token."""
    base, env = webserver2["base_url"], webserver2["env"]
    token = fake_space.add_token(PERMISSIONS, name="e2e rotated (Airflow 2)")
    old_id = fake_space.token_id(token)
    body = _rotated_body(fake_space, token)
    created = requests.post(f"{base}/api/v1/connections", auth=("admin", "admin"), json=body, timeout=20)
    assert created.status_code == 200, created.text
    host, port = base.rsplit(":", 1)
    api = {"conn_type": "http", "host": host, "port": int(port), "login": "admin", "password": "admin"}
    run_env = {**env, "AIRFLOW_CONN_AIRFLOW_API": json.dumps(api)}
    before = [t["id"] for t in fake_space.api_tokens()]
    with timed("tokens: airflow dags test with the /api/v1 store (Airflow 2.11)"):
        result = airflow(
            "dags",
            "test",
            DAG_ID,
            "2026-12-01",
            "-c",
            json.dumps({"conn_id": CONN, "grace_seconds": 1}),
            env=run_env,
            timeout=300,
        )
    assert result.returncode == 0, str(result)
    assert "use_rotated_connection" in result.output and "The rotated connection works" in result.output
    shown = airflow("connections", "get", CONN, "-o", "json", env=env)
    (stored,) = parse_json_output(shown.output)  # type: ignore[misc]
    new_id = stored["extra_dejson"]["credential_id"]
    assert new_id != old_id and fake_space.token_id(stored["password"]) == new_id
    assert not token_works(fake_space, token) and token_works(fake_space, stored["password"])
    assert [t["id"] for t in fake_space.api_tokens()] == [*(i for i in before if i != old_id), new_id]
    assert token not in result.output and stored["password"] not in result.output
