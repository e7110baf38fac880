"""statuses.py: the one set of rules poke() and the status trigger share."""

from __future__ import annotations

import pytest

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.protocol import FAILURE_WORDS
from airflow_provider_signalwire.statuses import (
    CALL,
    FAX,
    KINDS,
    MESSAGE,
    ROOM_RECORDING,
    ROOM_SESSION,
    check_resource_id,
    evaluate,
    kind_named,
    poll_error,
)

W, S, F = "waiting", "success", "failure"


@pytest.mark.parametrize(
    "kind, resource, accepted, state",
    [
        (ROOM_SESSION, {"status": "in-progress", "end_time": None}, None, W),
        (ROOM_SESSION, {"status": "completed"}, None, S),
        (ROOM_SESSION, {"status": None, "end_time": "2026-01-01T00:00:00Z"}, None, S),
        (ROOM_SESSION, {"status": None, "end_time": None}, None, W),
        (ROOM_RECORDING, {"status": "recording"}, None, W),
        (ROOM_RECORDING, {"status": "paused"}, None, W),
        (ROOM_RECORDING, {"status": "processing"}, None, W),
        (ROOM_RECORDING, {"status": "completed"}, None, S),
        (ROOM_RECORDING, {"status": "failed", "error_message": "storage full"}, None, F),
        (MESSAGE, {"status": "queued"}, None, W),
        (MESSAGE, {"status": "sending"}, None, W),
        (MESSAGE, {"status": "sent"}, None, W),
        (MESSAGE, {"status": "delivered"}, None, S),
        (MESSAGE, {"status": "sent"}, ("sent",), S),
        (MESSAGE, {"status": "delivered"}, ("sent",), S),  # delivered implies sent
        (MESSAGE, {"status": "undelivered", "error_code": "30003"}, ("sent",), F),
        (MESSAGE, {"status": "failed"}, None, F),
        (MESSAGE, {"status": "received"}, None, F),  # final, and never "delivered"
        (MESSAGE, {"status": "received"}, ("received",), S),
        (CALL, {"status": "queued"}, None, W),
        (CALL, {"status": "ringing"}, None, W),
        (CALL, {"status": "in-progress"}, None, W),
        (CALL, {"status": "in-progress"}, ("in-progress",), S),
        (CALL, {"status": "completed"}, ("in-progress",), S),  # a poll may miss the short answer
        (CALL, {"status": "completed"}, None, S),
        (CALL, {"status": "busy"}, None, F),
        (CALL, {"status": "no-answer"}, None, F),
        (CALL, {"status": "canceled"}, None, F),
        (CALL, {"status": "failed"}, None, F),
        (CALL, {"status": "busy"}, ("busy", "completed"), S),
        (CALL, {"status": "COMPLETED"}, None, S),
        (CALL, {"status": "some-new-status"}, None, W),  # unknown statuses wait (the timeout bounds them)
        (CALL, {}, None, W),
        (CALL, ["not", "a", "call"], None, W),
    ],
)
def test_evaluate(kind, resource, accepted, state):
    verdict = evaluate(kind, resource, accepted)
    assert verdict.state == state
    assert verdict.done is (state != W)
    assert (verdict.reason is not None) is (state == F)


@pytest.mark.parametrize(
    "kind, resource, words",
    [
        (
            MESSAGE,
            {"status": "undelivered", "error_code": "30003", "error_message": "Unreachable handset"},
            "The message is undelivered: error 30003: Unreachable handset",
        ),
        (MESSAGE, {"status": "failed", "error_code": "30008", "error_message": None}, "failed: error 30008"),
        (MESSAGE, {"status": "failed"}, "The message is failed"),
        (CALL, {"status": "busy", "sip_result_code": "486"}, "The call is busy: SIP result 486"),
        (CALL, {"status": "completed"}, "which is final and not one of the accepted statuses (busy)"),
        (
            ROOM_RECORDING,
            {"status": "error", "error": "encoder crashed"},
            "recording is error: encoder crashed",
        ),
    ],
)
def test_failure_reasons_carry_signalwires_words(kind, resource, words):
    accepted = ("busy",) if resource == {"status": "completed"} else None
    assert words in evaluate(kind, resource, accepted).reason


def test_success_statuses_are_checked():
    assert MESSAGE.success_statuses(None) == ("delivered",)
    assert MESSAGE.success_statuses("sent") == ("sent",)
    assert MESSAGE.success_statuses(["sent", "delivered", "sent"]) == ("sent", "delivered")
    for bad in ((), ("deliverd",), (1,), ["completed"]):
        with pytest.raises(SignalWireConfigError, match="success_statuses is .*delivered"):
            MESSAGE.success_statuses(bad)


def test_paths_quote_the_id():
    assert MESSAGE.path("SM1", "p") == "/api/laml/2010-04-01/Accounts/p/Messages/SM1"
    assert CALL.path("CA1", "p") == "/api/laml/2010-04-01/Accounts/p/Calls/CA1"
    assert ROOM_SESSION.path("a/../b?x", "p") == "/api/video/room_sessions/a%2F..%2Fb%3Fx"
    assert ROOM_RECORDING.path("r1", "p") == "/api/video/room_recordings/r1"
    assert FAX.path("FX1", "p") == "/api/laml/2010-04-01/Accounts/p/Faxes/FX1"
    assert set(KINDS) == {"room_session", "room_recording", "message", "call", "fax"}
    assert kind_named("call") is CALL
    with pytest.raises(SignalWireConfigError, match="kind is 'faxes'"):
        kind_named("faxes")


@pytest.mark.parametrize("value", [None, "", "  ", "None", "null"])
def test_resource_id_refuses_empty_and_missing_xcom(value):
    with pytest.raises(SignalWireConfigError, match="message_sid is"):
        check_resource_id(value, "message_sid")
    assert check_resource_id(" SM1 ", "message_sid") == "SM1"


def _err(status=None, reason=None, kind=None):
    return SignalWireAPIError(
        method="GET",
        url="https://x.signalwire.com/api/video",
        status_code=status,
        reason=reason,
        failure_kind=kind,
    )


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_retryable_statuses_keep_polling(status):
    assert poll_error(_err(status)) is None


@pytest.mark.parametrize("kind", ["dropped", "timeout", "dns", "refused", "connect"])
def test_network_failures_keep_polling(kind):
    assert poll_error(_err(None, FAILURE_WORDS[kind], kind)) is None


@pytest.mark.parametrize(
    "err",
    [
        _err(401),
        _err(403),
        _err(404),
        _err(422),
        _err(None, FAILURE_WORDS["tls"], "tls"),
        _err(None, FAILURE_WORDS["invalid"], "invalid"),
        SignalWireConfigError("SignalWire connection 'x': Space URL is empty"),
    ],
)
def test_other_errors_fail_at_once(err):
    assert poll_error(err) == str(err)
