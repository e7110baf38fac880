"""The status sensors in poke and deferrable mode: same outcome for the same resource, in both."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowSensorTimeout, AirflowSkipException, TaskDeferred

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.sensors.base import DEFERRAL_GRACE, SignalWireSensorFailure
from airflow_provider_signalwire.sensors.messaging import MessageStatusSensor
from airflow_provider_signalwire.sensors.video import VideoRoomRecordingSensor, VideoRoomSessionSensor
from airflow_provider_signalwire.sensors.voice import CallStatusSensor
from airflow_provider_signalwire.triggers.status import SignalWireStatusTrigger
from tests.helpers.space import (
    end_session,
    live_session,
    polls,
    run_trigger,
    send_message,
    start_call,
)

MODES = ["poke", "deferrable"]


def sensor(cls: type, mode: str, **kwargs: Any) -> Any:
    kwargs.setdefault("poke_interval", 0.05)
    kwargs.setdefault("timeout", 20)
    return cls(task_id="wait", deferrable=(mode == "deferrable"), **kwargs)


def meanwhile(when: Callable[[], bool], then: Callable[[], None]) -> threading.Thread:
    """Call ``then()`` once ``when()`` is true, from another thread (poke mode blocks the test's)."""

    def watch() -> None:
        deadline = time.monotonic() + 20
        while not when() and time.monotonic() < deadline:
            time.sleep(0.01)
        then()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def run(task: Any, *, when: Callable[[], bool] | None = None, then: Callable[[], None] | None = None) -> Any:
    """Run a sensor as Airflow would: poke mode in execute(); deferrable through the serialized trigger
    (as the triggerer rebuilds it) and resume_execution (as the worker resumes the task)."""
    context: dict[str, Any] = {}
    if not task.deferrable:
        watcher = meanwhile(when, then) if then else None
        try:
            return task.execute(context)
        finally:
            if watcher:
                watcher.join(5)
    try:
        return task.execute(context)
    except TaskDeferred as deferred:
        path, kwargs = deferred.trigger.serialize()
        assert path == "airflow_provider_signalwire.triggers.status.SignalWireStatusTrigger"
        events = run_trigger(SignalWireStatusTrigger(**kwargs), when=when, then=then)
        assert len(events) == 1
        return task.resume_execution(deferred.method_name, {"event": events[0].payload}, context)


# --------------------------------------------------------------------------- construction


def test_template_fields_and_defaults():
    assert VideoRoomSessionSensor.template_fields == ("session_id",)
    assert VideoRoomRecordingSensor.template_fields == ("recording_id",)
    assert MessageStatusSensor.template_fields == ("message_sid",)
    assert CallStatusSensor.template_fields == ("call_sid",)
    task = MessageStatusSensor(task_id="t", message_sid="SM1")
    assert task.success_statuses == ("delivered",)
    assert task.signalwire_conn_id == "signalwire_default"
    assert task.deferrable is False
    assert task.poke_interval == 60
    assert CallStatusSensor(task_id="t", call_sid="CA1").success_statuses == ("completed",)
    assert MessageStatusSensor(task_id="t", message_sid="x", success_statuses="sent").success_statuses == (
        "sent",
    )


def test_deferrable_defaults_to_airflows_setting(monkeypatch):
    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "True")
    assert CallStatusSensor(task_id="t", call_sid="CA1").deferrable is True
    assert CallStatusSensor(task_id="t", call_sid="CA1", deferrable=False).deferrable is False


def test_bad_success_statuses_fail_when_the_dag_is_parsed():
    with pytest.raises(SignalWireConfigError, match="success_statuses is .*no-answer"):
        CallStatusSensor(task_id="t", call_sid="CA1", success_statuses=("delivered",))


# --------------------------------------------------------------------------- both modes alike


@pytest.mark.parametrize("mode", MODES)
def test_message_delivered(signalwire_space, mode):
    space = signalwire_space
    space.clock.freeze()
    sid = send_message(space)
    task = sensor(MessageStatusSensor, mode, message_sid=sid)
    result = run(task, when=lambda: len(polls(space, sid)) >= 2, then=lambda: space.clock.advance(5))
    assert result["sid"] == sid and result["status"] == "delivered"


@pytest.mark.parametrize("mode", MODES)
def test_already_done_returns_at_the_first_poke_without_deferring(signalwire_space, mode):
    space = signalwire_space
    space.clock.freeze()
    sid = send_message(space)
    space.clock.advance(1.5)
    task = sensor(MessageStatusSensor, mode, message_sid=sid, success_statuses=("sent", "delivered"))
    assert task.execute({})["status"] == "sent"
    assert len(polls(space, sid)) == 1


@pytest.mark.parametrize("mode", MODES)
def test_call_completed(signalwire_space, mode):
    space = signalwire_space
    space.clock.freeze()
    sid = start_call(space)
    task = sensor(CallStatusSensor, mode, call_sid=sid)
    result = run(task, when=lambda: len(polls(space, sid)) >= 2, then=lambda: space.clock.advance(20))
    assert result["status"] == "completed"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("cls", [VideoRoomSessionSensor, VideoRoomRecordingSensor])
def test_video_sensors_when_the_session_ends(signalwire_space, mode, cls):
    space = signalwire_space
    session_id, recording_id = live_session(space)
    if cls is VideoRoomSessionSensor:
        rid, task = session_id, sensor(cls, mode, session_id=session_id)
    else:
        rid, task = recording_id, sensor(cls, mode, recording_id=recording_id)
    result = run(task, when=lambda: len(polls(space, rid)) >= 2, then=lambda: end_session(space, session_id))
    assert result["id"] == rid and result["status"] == "completed"


@pytest.mark.parametrize("mode", MODES)
def test_undelivered_message_fails_at_once_with_the_error(signalwire_space, mode):
    space = signalwire_space
    space.clock.freeze()
    space.fail_next_message(
        "undelivered", error_code="30003", error_message="Unreachable destination handset"
    )
    sid = send_message(space)
    task = sensor(MessageStatusSensor, mode, message_sid=sid, retries=3)
    with pytest.raises(
        SignalWireSensorFailure, match="undelivered: error 30003: Unreachable destination handset"
    ):
        run(task, when=lambda: len(polls(space, sid)) >= 2, then=lambda: space.clock.advance(5))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", ["busy", "failed", "no-answer", "canceled"])
def test_failed_call_fails_with_the_reason(signalwire_space, mode, status):
    space = signalwire_space
    space.fail_next_call(status)
    space.clock.freeze()
    sid = start_call(space)
    task = sensor(CallStatusSensor, mode, call_sid=sid)
    with pytest.raises(SignalWireSensorFailure, match=f"The call is {status}"):
        run(task, when=lambda: len(polls(space, sid)) >= 1, then=lambda: space.clock.advance(2))


@pytest.mark.parametrize("mode", MODES)
def test_failure_with_soft_fail_skips(signalwire_space, mode):
    space = signalwire_space
    space.fail_next_call("busy")
    space.clock.freeze()
    sid = start_call(space)
    task = sensor(CallStatusSensor, mode, call_sid=sid, soft_fail=True)
    with pytest.raises(AirflowSkipException):
        run(task, when=lambda: len(polls(space, sid)) >= 1, then=lambda: space.clock.advance(2))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("soft_fail", [False, True])
def test_404_fails_at_once_with_the_hint(signalwire_space, mode, soft_fail):
    task = sensor(VideoRoomRecordingSensor, mode, recording_id="no-such-recording", soft_fail=soft_fail)
    started = time.monotonic()
    with pytest.raises(AirflowSkipException if soft_fail else SignalWireSensorFailure) as info:
        run(task)
    assert time.monotonic() - started < 10
    failure = info.value.__cause__ if soft_fail else info.value
    assert "HTTP 404" in str(failure)
    assert len(polls(signalwire_space, "no-such-recording")) == 1


@pytest.mark.parametrize("mode", MODES)
def test_401_fails_at_once_without_the_token(signalwire_space, mode, monkeypatch):
    import json

    conn = json.loads(signalwire_space.airflow_conn_json())
    conn["password"] = "PTwrongtoken0123456789SECRET"
    monkeypatch.setenv("AIRFLOW_CONN_SIGNALWIRE_WRONG", json.dumps(conn))
    task = sensor(CallStatusSensor, mode, call_sid="CA1", signalwire_conn_id="signalwire_wrong")
    with pytest.raises(SignalWireSensorFailure, match="HTTP 401") as info:
        run(task)
    assert "PTwrongtoken" not in str(info.value)


@pytest.mark.parametrize("mode", MODES)
def test_transient_errors_never_fail_the_sensor_early(signalwire_space, mode, make_conn):
    space = signalwire_space
    conn_id = make_conn(space=space, retries=False)
    space.clock.freeze()
    sid = send_message(space)
    path = f"/api/laml/2010-04-01/Accounts/{space.project_id}/Messages/{sid}"
    space.inject_fault(path, "503", count=2)
    space.inject_fault(path, "drop")
    task = sensor(MessageStatusSensor, mode, message_sid=sid, signalwire_conn_id=conn_id)
    result = run(task, when=lambda: len(polls(space, sid)) >= 4, then=lambda: space.clock.advance(5))
    assert result["status"] == "delivered"
    assert [r.status for r in polls(space, sid)][:3] == [503, 503, None]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("soft_fail", [False, True])
def test_timeout_in_both_modes(signalwire_space, mode, soft_fail):
    space = signalwire_space
    space.clock.freeze()
    sid = send_message(space)
    task = sensor(
        MessageStatusSensor, mode, message_sid=sid, timeout=0.6, poke_interval=0.1, soft_fail=soft_fail
    )
    started = time.monotonic()
    with pytest.raises(AirflowSkipException if soft_fail else AirflowSensorTimeout):
        run(task)
    assert 0.5 <= time.monotonic() - started < 5
    assert len(polls(space, sid)) >= 3


@pytest.mark.parametrize("mode", MODES)
def test_a_missing_xcom_id_fails_at_once(signalwire_space, mode):
    task = sensor(MessageStatusSensor, mode, message_sid="None")
    with pytest.raises(SignalWireSensorFailure, match="message_sid is 'None'"):
        run(task)
    assert not signalwire_space.requests


# --------------------------------------------------------------------------- deferral details


def test_defers_with_the_remaining_time_and_the_connection_id_only(signalwire_space):
    space = signalwire_space
    space.clock.freeze()
    sid = send_message(space)
    task = MessageStatusSensor(
        task_id="t",
        message_sid=sid,
        deferrable=True,
        timeout=600,
        poke_interval=15,
        success_statuses=["sent"],
    )
    before = time.time()
    with pytest.raises(TaskDeferred) as info:
        task.execute({})
    deferred = info.value
    assert deferred.method_name == "execute_complete"
    _, kwargs = deferred.trigger.serialize()
    assert kwargs["kind"] == "message" and kwargs["resource_id"] == sid
    assert kwargs["success_statuses"] == ["sent"] and kwargs["poll_interval"] == 15.0
    assert kwargs["signalwire_conn_id"] == "signalwire_default"
    assert before + 599 <= kwargs["end_time"] <= time.time() + 600
    # The trigger's first poll comes one poke_interval after the sensor's own poke, not at once.
    assert before + 15 <= kwargs["first_poll_at"] <= time.time() + 15
    assert deferred.timeout is not None
    assert (
        timedelta(seconds=599) + DEFERRAL_GRACE <= deferred.timeout <= timedelta(seconds=600) + DEFERRAL_GRACE
    )
    assert space.api_token not in repr(kwargs)


def test_the_first_trigger_poll_is_never_after_the_deadline(signalwire_space):
    space = signalwire_space
    space.clock.freeze()
    sid = send_message(space)
    task = MessageStatusSensor(task_id="t", message_sid=sid, deferrable=True, timeout=5, poke_interval=60)
    with pytest.raises(TaskDeferred) as info:
        task.execute({})
    _, kwargs = info.value.trigger.serialize()
    assert kwargs["first_poll_at"] == kwargs["end_time"]


def test_execute_complete_outcomes():
    task = MessageStatusSensor(task_id="t", message_sid="SM1", deferrable=True)
    resource = {"sid": "SM1", "status": "delivered"}
    assert (
        task.execute_complete({}, {"status": "success", "resource": resource, "resource_id": "SM1"})
        == resource
    )
    with pytest.raises(AirflowSensorTimeout, match="still queued"):
        task.execute_complete({}, {"status": "timeout", "reason": "Sensor has timed out: still queued"})
    with pytest.raises(SignalWireSensorFailure, match="error 30008"):
        task.execute_complete({}, {"status": "failure", "reason": "The message is failed: error 30008"})
    with pytest.raises(SignalWireSensorFailure, match="HTTP 403"):
        task.execute_complete({}, {"status": "error", "reason": "HTTP 403 Forbidden"})
    with pytest.raises(SignalWireSensorFailure, match="Unexpected trigger event"):
        task.execute_complete({}, None)
    task.soft_fail = True
    for state in ("timeout", "failure", "error"):
        with pytest.raises(AirflowSkipException):
            task.execute_complete({}, {"status": state, "reason": "x"})


def test_provider_info_lists_the_sensor_and_trigger_modules():
    import importlib

    from airflow_provider_signalwire.get_provider_info import get_provider_info

    info = get_provider_info()
    modules = {
        m for group in ("sensors", "triggers") for entry in info[group] for m in entry["python-modules"]
    }
    assert {
        "airflow_provider_signalwire.sensors.video",
        "airflow_provider_signalwire.sensors.messaging",
        "airflow_provider_signalwire.sensors.voice",
        "airflow_provider_signalwire.triggers.status",
    } <= modules
    for module in modules:
        importlib.import_module(module)
