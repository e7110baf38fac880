"""SignalWireStatusTrigger: driven to completion in an event loop against the fake space."""

from __future__ import annotations

import json
import time

import pytest

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.triggers.status import SignalWireStatusTrigger
from tests.helpers.space import (
    end_session,
    live_session,
    polls,
    run_trigger,
    send_message,
    start_call,
)


def trigger(**kwargs):
    kwargs.setdefault("poll_interval", 0.05)
    kwargs.setdefault("end_time", time.time() + 20)
    return SignalWireStatusTrigger(**kwargs)


def only_event(events):
    assert len(events) == 1, events
    return events[0].payload


def test_serialize_round_trips_and_carries_no_secret(signalwire_space):
    original = SignalWireStatusTrigger(
        kind="message",
        resource_id="SM123",
        success_statuses=("sent",),
        signalwire_conn_id="signalwire_default",
        poll_interval=30,
        end_time=1_900_000_000.5,
    )
    path, kwargs = original.serialize()
    assert path == "airflow_provider_signalwire.triggers.status.SignalWireStatusTrigger"
    assert kwargs == {
        "kind": "message",
        "resource_id": "SM123",
        "success_statuses": ["sent"],
        "signalwire_conn_id": "signalwire_default",
        "poll_interval": 30.0,
        "end_time": 1_900_000_000.5,
        "first_poll_at": None,
    }
    text = json.dumps(kwargs)
    assert signalwire_space.api_token not in text and signalwire_space.project_id not in text
    again = SignalWireStatusTrigger(**kwargs)
    assert again.serialize() == (path, kwargs)


def test_a_trigger_serialized_before_first_poll_at_existed_still_loads():
    old = {"kind": "call", "resource_id": "CA1", "success_statuses": ["completed"], "poll_interval": 5.0}
    assert SignalWireStatusTrigger(**old).first_poll_at is None


def test_the_first_poll_waits_for_first_poll_at(signalwire_space):
    space = signalwire_space
    space.clock.freeze()
    sid = send_message(space)
    space.clock.advance(5)  # delivered already: the first poll ends the wait
    started = time.time()
    event = only_event(run_trigger(trigger(kind="message", resource_id=sid, first_poll_at=started + 0.6)))
    assert event["status"] == "success"
    assert time.time() - started >= 0.6  # the event came from a poll made no earlier
    assert len(polls(space, sid)) == 1


def test_a_first_poll_at_already_past_polls_at_once(signalwire_space):
    # As after a triggerer restart: the saved time has passed. Waiting a poll interval (30 s) would
    # outlast run_trigger's 20 s.
    space = signalwire_space
    space.clock.freeze()
    sid = send_message(space)
    space.clock.advance(5)
    event = only_event(
        run_trigger(
            trigger(kind="message", resource_id=sid, poll_interval=30, first_poll_at=time.time() - 100)
        )
    )
    assert event["status"] == "success" and len(polls(space, sid)) == 1


def test_a_first_poll_at_past_the_deadline_polls_once_at_the_deadline(signalwire_space):
    space = signalwire_space
    space.clock.freeze()
    sid = send_message(space)
    started = time.time()
    event = only_event(
        run_trigger(
            trigger(
                kind="message",
                resource_id=sid,
                poll_interval=30,
                end_time=started + 0.5,
                first_poll_at=started + 60,
            )
        )
    )
    assert event["status"] == "timeout" and event["resource"]["status"] == "queued"
    assert len(polls(space, sid)) == 1
    assert time.time() - started >= 0.5


def test_bad_arguments_are_refused():
    with pytest.raises(SignalWireConfigError, match="kind is 'faxes'"):
        SignalWireStatusTrigger(kind="faxes", resource_id="x")
    with pytest.raises(SignalWireConfigError, match="success_statuses"):
        SignalWireStatusTrigger(kind="call", resource_id="x", success_statuses=("delivered",))
    with pytest.raises(SignalWireConfigError, match="resource_id is"):
        SignalWireStatusTrigger(kind="call", resource_id="None")


def test_message_delivered_when_the_clock_moves_on(signalwire_space):
    space = signalwire_space
    space.clock.freeze()
    sid = send_message(space)
    events = run_trigger(
        trigger(kind="message", resource_id=sid),
        when=lambda: len(polls(space, sid)) >= 3,  # waiting: still queued
        then=lambda: space.clock.advance(5),
    )
    event = only_event(events)
    assert event["status"] == "success"
    assert event["resource"]["sid"] == sid and event["resource"]["status"] == "delivered"
    assert event["resource_status"] == "delivered" and event["reason"] is None


def test_message_sent_can_be_accepted(signalwire_space):
    space = signalwire_space
    space.clock.freeze()
    sid = send_message(space)
    space.clock.advance(1.5)
    event = only_event(run_trigger(trigger(kind="message", resource_id=sid, success_statuses=["sent"])))
    assert event["status"] == "success" and event["resource"]["status"] == "sent"


def test_undelivered_message_fails_with_signalwires_code_and_message(signalwire_space):
    space = signalwire_space
    space.clock.freeze()
    space.fail_next_message(
        "undelivered", error_code="30003", error_message="Unreachable destination handset"
    )
    sid = send_message(space)
    events = run_trigger(
        trigger(kind="message", resource_id=sid),
        when=lambda: len(polls(space, sid)) >= 2,
        then=lambda: space.clock.advance(5),
    )
    event = only_event(events)
    assert event["status"] == "failure"
    assert event["reason"] == "The message is undelivered: error 30003: Unreachable destination handset"
    assert event["resource"]["error_code"] == "30003"


@pytest.mark.parametrize("status", ["busy", "failed", "no-answer", "canceled"])
def test_failed_call_fails_with_the_reason(signalwire_space, status):
    space = signalwire_space
    space.fail_next_call(status)
    space.clock.freeze()
    sid = start_call(space)
    space.clock.advance(2)
    event = only_event(run_trigger(trigger(kind="call", resource_id=sid)))
    assert event["status"] == "failure"
    assert event["reason"].startswith(f"The call is {status}")


def test_call_completed(signalwire_space):
    space = signalwire_space
    space.clock.freeze()
    sid = start_call(space)
    events = run_trigger(
        trigger(kind="call", resource_id=sid),
        when=lambda: len(polls(space, sid)) >= 2,
        then=lambda: space.clock.advance(20),
    )
    event = only_event(events)
    assert event["status"] == "success" and event["resource"]["status"] == "completed"


@pytest.mark.parametrize("kind", ["room_session", "room_recording"])
def test_room_session_and_recording_complete_when_the_session_ends(signalwire_space, kind):
    space = signalwire_space
    session_id, recording_id = live_session(space)
    rid = session_id if kind == "room_session" else recording_id
    assert space.state.recordings[recording_id]["status"] == "recording"
    events = run_trigger(
        trigger(kind=kind, resource_id=rid),
        when=lambda: len(polls(space, rid)) >= 2,
        then=lambda: end_session(space, session_id),
    )
    event = only_event(events)
    assert event["status"] == "success", event
    assert event["resource"]["id"] == rid and event["resource"]["status"] == "completed"


def test_transient_5xx_and_dropped_polls_keep_polling(signalwire_space, make_conn):
    space = signalwire_space
    conn_id = make_conn(space=space, retries=False)
    space.clock.freeze()
    sid = send_message(space)
    space.inject_fault(f"/api/laml/2010-04-01/Accounts/{space.project_id}/Messages/{sid}", "503", count=2)
    space.inject_fault(f"/api/laml/2010-04-01/Accounts/{space.project_id}/Messages/{sid}", "drop", count=1)
    space.inject_fault(f"/api/laml/2010-04-01/Accounts/{space.project_id}/Messages/{sid}", "500", count=1)
    events = run_trigger(
        trigger(kind="message", resource_id=sid, signalwire_conn_id=conn_id),
        when=lambda: len(polls(space, sid)) >= 5,
        then=lambda: space.clock.advance(5),
    )
    assert only_event(events)["status"] == "success"
    statuses = [r.status for r in polls(space, sid)]
    assert statuses[:4] == [503, 503, None, 500], statuses
    assert statuses[-1] == 200


def test_429_is_retried_inside_one_poll_by_the_hook(signalwire_space):
    space = signalwire_space
    space.clock.freeze()
    sid = send_message(space)
    space.clock.advance(5)
    space.inject_fault(
        f"/api/laml/2010-04-01/Accounts/{space.project_id}/Messages/{sid}", "429", retry_after="0"
    )
    event = only_event(run_trigger(trigger(kind="message", resource_id=sid, poll_interval=60)))
    assert event["status"] == "success"
    assert [r.status for r in polls(space, sid)] == [429, 200]


def test_404_fails_at_once_with_the_hint(signalwire_space):
    space = signalwire_space
    started = time.monotonic()
    event = only_event(run_trigger(trigger(kind="message", resource_id="SMdoesnotexist", poll_interval=30)))
    assert time.monotonic() - started < 10
    assert event["status"] == "error"
    assert "HTTP 404" in event["reason"] and event["resource"] is None
    assert len(polls(space, "SMdoesnotexist")) == 1


def test_401_fails_at_once_and_never_shows_the_token(signalwire_space, monkeypatch):
    space = signalwire_space
    conn = json.loads(space.airflow_conn_json())
    conn["password"] = "PTwrongtoken0123456789SECRET"
    monkeypatch.setenv("AIRFLOW_CONN_SIGNALWIRE_WRONG", json.dumps(conn))
    event = only_event(
        run_trigger(trigger(kind="room_session", resource_id="s1", signalwire_conn_id="signalwire_wrong"))
    )
    assert event["status"] == "error" and "HTTP 401" in event["reason"]
    assert "PTwrongtoken" not in json.dumps(event)


def test_timeout_event_at_the_deadline(signalwire_space):
    space = signalwire_space
    space.clock.freeze()
    sid = send_message(space)
    started = time.monotonic()
    event = only_event(
        run_trigger(trigger(kind="message", resource_id=sid, poll_interval=0.2, end_time=time.time() + 1))
    )
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 3, elapsed
    assert event["status"] == "timeout"
    assert "still queued at the deadline" in event["reason"]
    assert event["resource"]["status"] == "queued"
    # It slept between polls: about one poll per 0.2 s, plus one at the deadline.
    assert 3 <= len(polls(space, sid)) <= 8, len(polls(space, sid))


def test_timeout_after_failing_polls_says_why(signalwire_space, make_conn):
    space = signalwire_space
    conn_id = make_conn(space=space, retries=False)
    space.inject_fault("/api/video/room_recordings/", "503", count=100)
    event = only_event(
        run_trigger(
            trigger(
                kind="room_recording",
                resource_id="r1",
                signalwire_conn_id=conn_id,
                poll_interval=0.2,
                end_time=time.time() + 0.7,
            )
        )
    )
    assert event["status"] == "timeout"
    assert "not read yet" in event["reason"] and "HTTP 503" in event["reason"]
    assert 3 <= len(polls(space, "r1")) <= 6


def test_past_deadline_still_polls_once(signalwire_space):
    space = signalwire_space
    sid = send_message(space)
    space.clock.advance(5)
    event = only_event(run_trigger(trigger(kind="message", resource_id=sid, end_time=time.time() - 5)))
    assert event["status"] == "success"


@pytest.mark.parametrize("delay", [0.1, 0.25, 1.0, 30.0, 60.0, 3600.0])
@pytest.mark.parametrize("now", [0.0, 0.013, 12.3456789, 98765.4321, 1_000_000.987654])
def test_polls_wake_on_a_shared_grid_never_early_and_under_one_step_late(delay, now):
    from airflow_provider_signalwire.triggers.status import POLL_GRID, on_poll_grid

    waited = on_poll_grid(delay, now)
    assert delay <= waited < delay + POLL_GRID
    steps = (now + waited) / POLL_GRID
    assert abs(steps - round(steps)) < 1e-6  # ends on the grid: triggers due together wake together


def test_triggers_due_in_the_same_50_ms_wake_together():
    from airflow_provider_signalwire.triggers.status import on_poll_grid

    wakeups = {round(now + on_poll_grid(1.0, now), 6) for now in (100.001, 100.017, 100.033, 100.049)}
    assert len(wakeups) == 1
    assert on_poll_grid(1.0, 100.051) + 100.051 > wakeups.pop()  # the next step is a later wake-up


def test_the_trigger_waits_on_the_grid_between_polls(signalwire_space, monkeypatch):
    import airflow_provider_signalwire.triggers.status as status

    asked: list[float] = []
    real = status.on_poll_grid
    monkeypatch.setattr(status, "on_poll_grid", lambda delay, now: asked.append(delay) or real(delay, now))
    space = signalwire_space
    space.clock.freeze()
    sid = send_message(space)
    events = run_trigger(
        trigger(kind="message", resource_id=sid, poll_interval=0.15),
        when=lambda: len(polls(space, sid)) >= 3,
        then=lambda: space.clock.advance(5),
    )
    assert only_event(events)["status"] == "success"
    assert len(asked) >= 2 and set(asked) == {0.15}  # every wait between polls went through the grid
