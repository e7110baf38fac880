"""Deferrable sensors in `airflow standalone` (Airflow 3): deferred in the triggerer, then done.

The fake space's clock is frozen, so the message, the call and the recording stay where they are: the
sensors poke once in a worker and go to ``deferred``; the triggerer keeps polling. Then the clock moves
on (message delivered, call completed) and the recording's session ends: the run succeeds, each
sensor's XCom is the final resource, and a message that ends ``undelivered`` skips its soft_fail sensor.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

import pytest
from e2e_support import CONN_ID, timed

pytestmark = pytest.mark.e2e

DAG_ID = "e2e_signalwire_deferrable_sensors"
SENSORS = ("message_delivered", "call_completed", "recording_completed", "message_undelivered")
DEADLINE_S = 180


def _q(value: str) -> str:
    return quote(value, safe="")


def _numbers() -> dict[str, str]:
    return {"To": "+15551230000", "From": "+15557650000"}


@pytest.fixture
def frozen_space(fake_space: Any) -> Any:
    fake_space.clock.freeze()
    try:
        yield fake_space
    finally:
        fake_space.clock.resume()


def _task_states(standalone: Any, run_id: str) -> dict[str, str | None]:
    tis = standalone.api("GET", f"/dags/{DAG_ID}/dagRuns/{_q(run_id)}/taskInstances")["task_instances"]
    return {ti["task_id"]: ti["state"] for ti in tis}


def _wait(what: str, check: Any, standalone: Any, deadline_s: float = DEADLINE_S) -> Any:
    deadline = time.monotonic() + deadline_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not after {deadline_s:.0f}s\n{standalone.log_tail(40)}")
        time.sleep(1)


def _xcom(standalone: Any, run_id: str, task_id: str) -> Any:
    entry = standalone.api(
        "GET", f"/dags/{DAG_ID}/dagRuns/{_q(run_id)}/taskInstances/{task_id}/xcomEntries/return_value"
    )
    value = entry["value"]
    return json.loads(value) if isinstance(value, str) else value


def test_deferrable_sensors_defer_then_succeed(standalone: Any, conn_json: str, frozen_space: Any) -> None:
    space = frozen_space
    conn = json.loads(conn_json)
    standalone.api("DELETE", f"/connections/{CONN_ID}", ok=(204, 404))
    standalone.api(
        "POST",
        "/connections",
        ok=(201,),
        json={
            "connection_id": CONN_ID,
            "conn_type": conn["conn_type"],
            "host": conn["host"],
            "login": conn["login"],
            "password": conn["password"],
            "extra": json.dumps(conn["extra"]),
        },
    )
    messaging, voice, video = (space.backends[name] for name in ("messaging", "voice", "video"))
    message = messaging.create_message({**_numbers(), "Body": "e2e"})
    call = voice.create_call({**_numbers(), "Url": "https://example.com/laml.xml"})
    session = video.create_session(video.seed_rooms(1)[0], recordings=1, in_progress=True)
    recording = next(r for r in video.recordings if r.room_session_id == session.id)
    space.fail_next_message(
        "undelivered", error_code="30003", error_message="Unreachable destination handset"
    )
    undelivered = messaging.create_message({**_numbers(), "Body": "e2e, never delivered"})
    ids = {"message_sid": message.id, "call_sid": call.id, "recording_id": recording.id}

    standalone.wait_for_dag(DAG_ID)
    standalone.api("PATCH", f"/dags/{DAG_ID}", json={"is_paused": False})
    run = standalone.api(
        "POST",
        f"/dags/{DAG_ID}/dagRuns",
        json={"logical_date": None, "conf": {**ids, "undelivered_sid": undelivered.id}},
        ok=(200, 201),
    )
    run_id = run["dag_run_id"]

    with timed("sensors: every sensor deferred"):
        _wait(
            "all four sensors deferred",
            lambda: all(_task_states(standalone, run_id).get(t) == "deferred" for t in SENSORS),
            standalone,
        )

    def polled_by_the_triggerer() -> bool:
        gets = [r.path for r in space.requests if r.method == "GET"]
        return all(sum(rid in p for p in gets) >= 3 for rid in (*ids.values(), undelivered.id))

    with timed("sensors: the triggerer polls while the clock is frozen"):
        _wait(
            "each resource polled at least 3 times (1 poke + 2 trigger polls)",
            polled_by_the_triggerer,
            standalone,
        )
    assert set(_task_states(standalone, run_id).values()) == {"deferred"}
    assert space.state.messages[message.id]["status"] == "queued"

    with timed("sensors: clock moved on until the run finished"):
        space.clock.advance(30)
        with video.lock:
            session.end = space.clock.now()
            recording.end = session.end
        finished = _wait(
            "run finished",
            lambda: (
                (r := standalone.api("GET", f"/dags/{DAG_ID}/dagRuns/{_q(run_id)}"))["state"]
                in ("success", "failed")
                and r
            ),
            standalone,
        )
    states = _task_states(standalone, run_id)
    assert finished["state"] == "success", (states, standalone.log_tail(40))
    assert states == {
        "message_delivered": "success",
        "call_completed": "success",
        "recording_completed": "success",
        "message_undelivered": "skipped",
    }, states
    assert _xcom(standalone, run_id, "message_delivered")["status"] == "delivered"
    assert _xcom(standalone, run_id, "call_completed")["status"] == "completed"
    assert _xcom(standalone, run_id, "recording_completed")["uri"]
    log = standalone.api(
        "GET",
        f"/dags/{DAG_ID}/dagRuns/{_q(run_id)}/taskInstances/message_undelivered/logs/1",
        params={"full_content": "true"},
        headers={"Accept": "application/json"},
    )
    text = log if isinstance(log, str) else json.dumps(log)
    assert "error 30003: Unreachable destination handset" in text, text[-3000:]
    assert space.api_token not in text
