"""`airflow standalone` (API server, scheduler, DAG processor, triggerer, LocalExecutor), driven by REST.

The connection is created through the REST API (not an env var), so tasks fetch it through the API
server as on a production executor. Every example DAG is unpaused and triggered at once, then each
run must succeed and no task log may contain the fake space's API token.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

import pytest
from e2e_support import CONN_ID, dags_failing_on_purpose, example_dag_ids, timed

pytestmark = pytest.mark.e2e

PROBE_DAG = "e2e_signalwire_masking_probe"  # tests/e2e/dags/: logs the token on purpose
DAG_IDS = example_dag_ids()
ALL_DAGS = [*DAG_IDS, PROBE_DAG]
RUN_DEADLINE_S = 300
SCHEDULER_GRACE_S = 60  # the health endpoint calls a scheduler unhealthy after 30 s without a heartbeat


def _q(value: str) -> str:
    return quote(value, safe="")


@pytest.fixture(scope="module")
def signalwire_connection(standalone: Any, conn_json: str) -> dict[str, Any]:
    conn = json.loads(conn_json)
    body = {
        "connection_id": CONN_ID,
        "conn_type": conn["conn_type"],
        "host": conn["host"],
        "login": conn["login"],
        "password": conn["password"],
        "extra": json.dumps(conn["extra"]),
    }
    with timed("standalone: create connection via REST"):
        standalone.api("DELETE", f"/connections/{CONN_ID}", ok=(204, 404))
        standalone.api("POST", "/connections", ok=(201,), json=body)
    return body


@pytest.fixture(scope="module")
def dag_runs(
    standalone: Any, signalwire_connection: dict[str, Any], fake_space: Any
) -> dict[str, dict[str, Any]]:
    """Unpause and trigger every DAG, wait (with a deadline) until each run is finished."""
    runs: dict[str, dict[str, Any]] = {}
    with timed("standalone: DAGs parsed, unpaused and triggered"):
        for dag_id in ALL_DAGS:
            standalone.wait_for_dag(dag_id)
            standalone.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
            run = standalone.api(
                "POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": {}}, ok=(200, 201)
            )
            runs[dag_id] = run
    with timed(f"standalone: {len(runs)} DAG runs finished"):
        deadline = time.monotonic() + RUN_DEADLINE_S
        pending = set(runs)
        unhealthy_since = 0.0
        while pending:
            for dag_id in sorted(pending):
                run = standalone.api("GET", f"/dags/{dag_id}/dagRuns/{_q(runs[dag_id]['dag_run_id'])}")
                runs[dag_id] = run
                if run["state"] in ("success", "failed"):
                    pending.discard(dag_id)
                    print(f"[e2e] {dag_id}: {run['state']}", flush=True)
            if pending and time.monotonic() > deadline:
                for dag_id in pending:
                    runs[dag_id]["state"] = f"unfinished after {RUN_DEADLINE_S}s ({runs[dag_id]['state']})"
                break
            # A dead scheduler never finishes anything: say so now rather than at the deadline.
            if pending and not standalone.scheduler_healthy():
                unhealthy_since = unhealthy_since or time.monotonic()
                if time.monotonic() - unhealthy_since > SCHEDULER_GRACE_S:
                    for dag_id in pending:
                        runs[dag_id]["state"] = f"unfinished, the scheduler stopped ({runs[dag_id]['state']})"
                    break
            else:
                unhealthy_since = 0.0
            if pending:
                time.sleep(2)
    return runs


def task_logs(standalone: Any, dag_id: str, run_id: str) -> dict[str, str]:
    """``{"task_id[map_index] try N": log text}`` for every try of every task instance, via REST."""
    tis = standalone.api("GET", f"/dags/{dag_id}/dagRuns/{_q(run_id)}/taskInstances")["task_instances"]
    logs: dict[str, str] = {}
    for ti in tis:
        for try_number in range(1, (ti.get("try_number") or 0) + 1):
            params: dict[str, Any] = {"full_content": "true"}
            if ti.get("map_index", -1) >= 0:
                params["map_index"] = ti["map_index"]
            answer = standalone.api(
                "GET",
                f"/dags/{dag_id}/dagRuns/{_q(run_id)}/taskInstances/{_q(ti['task_id'])}/logs/{try_number}",
                params=params,
                headers={"Accept": "application/json"},
            )
            text = answer if isinstance(answer, str) else json.dumps(answer.get("content", answer))
            logs[f"{ti['task_id']}[{ti.get('map_index', -1)}] try {try_number} ({ti.get('state')})"] = text
    return logs


def _summarise(text: str) -> str:
    """A failing task's log, shortened: every warning/error event with its exception, else its last events."""
    try:
        events = json.loads(text)
    except ValueError:
        return text[-3000:]
    lines, every = [], []
    for event in events if isinstance(events, list) else []:
        if not isinstance(event, dict):
            continue
        line = f"{event.get('timestamp', '')} {event.get('level', '')}: {str(event.get('event', ''))[:300]}"
        for detail in event.get("error_detail") or []:
            line += f" [{detail.get('exc_type')}: {detail.get('exc_value')}]"
        every.append(line)
        if event.get("level") in ("warning", "error", "critical") or "error_detail" in event:
            lines.append(line)
    if not every:
        return text[-3000:]
    # Without a warning or an error, the last events say where the task stopped.
    return "\n".join(lines[-30:] or ["(no warning or error; the last events:)", *every[-6:]])


def describe(standalone: Any, dag_id: str, run: dict[str, Any]) -> str:
    lines = [f"{dag_id} run {run.get('dag_run_id')}: {run.get('state')}"]
    # First, what the scheduler said about this DAG's failures: a task failed from outside its own log
    # (e.g. "state mismatch" when the executor's report of a deferral arrives late) shows only here.
    for level in ("[error", "[warning"):
        lines.append(f"--- the scheduler's {level[1:]}s on {dag_id}")
        lines.append(standalone.component_lines("scheduler", level, dag_id))
    try:
        audit = standalone.api("GET", "/eventLogs", params={"dag_id": dag_id, "event": "state mismatch"})
        for entry in audit.get("event_logs") or []:
            lines.append(f"--- audit log: {entry.get('when')} {entry.get('task_id')}: {entry.get('extra')}")
    except AssertionError as err:
        lines.append(f"(could not read the audit log: {err})")
    try:
        for name, text in task_logs(standalone, dag_id, run["dag_run_id"]).items():
            lines.append(f"--- {name}\n{_summarise(text)}")
    except AssertionError as err:
        lines.append(f"(could not read logs: {err})")
    lines.append(f"--- standalone log tail\n{standalone.log_tail(15)}")
    lines.append(f"--- the scheduler's last lines\n{standalone.component_tail('scheduler')}")
    return "\n".join(lines)


def test_connection_stored_and_testable(standalone: Any, signalwire_connection: dict[str, Any]) -> None:
    stored = standalone.api("GET", f"/connections/{CONN_ID}")
    assert stored["conn_type"] == "signalwire"
    assert stored["host"] == signalwire_connection["host"]
    assert stored["login"] == signalwire_connection["login"]
    assert stored["password"] == "***"
    # The UI's "Test" button (POST /connections/test) runs our test_connection inside the API server.
    with timed("standalone: POST /connections/test"):
        answer = standalone.api("POST", "/connections/test", json=signalwire_connection)
    assert answer["status"] is True, answer
    assert "Connected to SignalWire space" in answer["message"], answer
    assert signalwire_connection["password"] not in json.dumps(answer)


@pytest.mark.parametrize("dag_id", ALL_DAGS)
def test_dag_run_succeeds(dag_id: str, standalone: Any, dag_runs: dict[str, dict[str, Any]]) -> None:
    run = dag_runs[dag_id]
    # A DAG tagged fails-on-purpose shows a failure callback (test_e2e_messaging.py checks it).
    expected = "failed" if dag_id in dags_failing_on_purpose() else "success"
    assert run["state"] == expected, describe(standalone, dag_id, run)


@pytest.mark.parametrize("dag_id", ALL_DAGS)
def test_task_logs_never_show_the_token(
    dag_id: str, standalone: Any, dag_runs: dict[str, dict[str, Any]], fake_space: Any
) -> None:
    logs = task_logs(standalone, dag_id, dag_runs[dag_id]["dag_run_id"])
    assert logs, f"{dag_id}: no task logs"
    assert all(len(text) > 50 for text in logs.values()), {k: v[:200] for k, v in logs.items()}
    leaked = [name for name, text in logs.items() if fake_space.api_token in text]
    assert not leaked, f"{dag_id}: the API token appears in the task logs of {leaked}"


def test_token_logged_on_purpose_is_masked(standalone: Any, dag_runs: dict[str, dict[str, Any]]) -> None:
    """The probe task prints the token fetched through the API server: the log shows *** instead."""
    logs = "\n".join(task_logs(standalone, PROBE_DAG, dag_runs[PROBE_DAG]["dag_run_id"]).values())
    assert "E2E-PROBE print token=***" in logs, logs[-3000:]
    assert "E2E-PROBE logger token=***" in logs, logs[-3000:]
    assert "E2E-PROBE test_connection ok=True" in logs, logs[-3000:]


def test_fake_space_saw_authenticated_calls(dag_runs: dict[str, dict[str, Any]], fake_space: Any) -> None:
    assert dag_runs
    assert fake_space.requests, "no DAG run reached the fake space"
    assert all(r.has_auth for r in fake_space.requests)


def test_standalone_output_never_shows_the_token(
    standalone: Any, dag_runs: dict[str, dict[str, Any]], fake_space: Any
) -> None:
    """Nothing but the probe prints the token on the consoles of the API server, scheduler, triggerer.

    Airflow 3.3.2 echoes task log lines on the LocalExecutor's (scheduler's) stdout *without* masking,
    so the probe's deliberate lines show the token there; every other line must not.
    """
    assert dag_runs
    text = standalone.log_path.read_text(errors="replace")
    leaks = [line for line in text.splitlines() if fake_space.api_token in line and "E2E-PROBE" not in line]
    assert not leaks, "the token appears in airflow standalone's output:\n" + "\n".join(
        line.replace(fake_space.api_token, "<TOKEN>")[:500] for line in leaks[:10]
    )
