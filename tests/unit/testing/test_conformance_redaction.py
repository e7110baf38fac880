"""The fake's REST message redaction (``PATCH /api/messaging/messages/{id}``) against SignalWire's
messaging spec: the only accepted body is ``""``; in-progress messages and other bodies answer 422."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_signalwire.testing import FakeSignalWireSpace
from tests.helpers.space import send_message
from tests.unit.testing import test_conformance as conformance
from tests.unit.testing.test_conformance import COMPAT, Validator

# The conformance module's fixtures: one fake space for the module, the validator, a reset per test.
space = conformance.space
v = conformance.v
_clean = conformance._clean

REDACT = "/api/messaging/messages/{}"


@pytest.fixture
def default_conn(space: FakeSignalWireSpace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SIGNALWIRE_DEFAULT", space.airflow_conn_json())


def _errors(answer: Any) -> list[tuple[str, str]]:
    return [(e["code"], e["attribute"]) for e in answer.json()["errors"]]


def test_redact_a_delivered_message(v: Validator, space: FakeSignalWireSpace) -> None:
    (message,) = space.seed_messages(1)
    redacted = v.call("PATCH", REDACT.format(message["sid"]), json={"body": ""}, expect=200).json()
    assert redacted["id"] == message["sid"] and redacted["body"] == "" and redacted["status"] == "delivered"
    assert space.state.messages[message["sid"]]["body"] == ""
    compat = f"{COMPAT}/Accounts/{space.project_id}/Messages/{message['sid']}"
    assert v.call("GET", compat, expect=200).json()["body"] == ""
    # Again: still redacted, still 200.
    v.call("PATCH", REDACT.format(message["sid"]), json={"body": ""}, expect=200)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"body": "new text"}, ("body_must_be_empty", "body")),
        ({"body": "", "to": "+12025550123"}, ("invalid_parameter", "to")),
        ({}, ("missing_required_parameter", "body")),
    ],
)
def test_only_an_empty_body_is_accepted(
    v: Validator, space: FakeSignalWireSpace, body: dict[str, Any], error: tuple[str, str]
) -> None:
    (message,) = space.seed_messages(1)
    answer = v.call("PATCH", REDACT.format(message["sid"]), json=body, expect=422, validate_request=False)
    assert _errors(answer) == [error]
    assert space.state.messages[message["sid"]]["body"] == "Seeded message 1"


def test_in_progress_messages_cannot_be_redacted(
    v: Validator, space: FakeSignalWireSpace, default_conn: None
) -> None:
    sid = send_message(space)  # queued: the module's clock is frozen
    answer = v.call("PATCH", REDACT.format(sid), json={"body": ""}, expect=422)
    assert _errors(answer) == [("cannot_redact_in_progress_message", "base")]
    assert space.state.messages[sid]["body"] == "hello"
    space.clock.advance(5)  # delivered now
    v.call("PATCH", REDACT.format(sid), json={"body": ""}, expect=200)


def test_unknown_message_and_missing_scope(v: Validator, space: FakeSignalWireSpace) -> None:
    v.call("PATCH", REDACT.format("1" * 8 + "-1111-4111-8111-" + "1" * 12), json={"body": ""}, expect=404)
    (message,) = space.seed_messages(1)
    video_only = (space.project_id, space.add_token(["video"]))
    v.call("PATCH", REDACT.format(message["sid"]), json={"body": ""}, auth=video_only, expect=401)
    assert space.state.messages[message["sid"]]["body"] == "Seeded message 1"
