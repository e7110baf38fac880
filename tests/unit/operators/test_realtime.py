"""Chat and PubSub token operators against the offline fake space: bodies checked before any request,
tokens masked at once and in XCom only when asked."""

from __future__ import annotations

import pytest

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.operators import realtime
from airflow_provider_signalwire.operators.realtime import CreateChatTokenOperator, CreatePubSubTokenOperator

CHANNELS = {"lobby": {"read": True, "write": False}}


@pytest.fixture
def masked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    monkeypatch.setattr(realtime, "mask_secret", seen.append)
    return seen


@pytest.mark.parametrize("cls", [CreateChatTokenOperator, CreatePubSubTokenOperator])
def test_mint_masked_and_kept_out_of_xcom(signalwire_space, masked, cls):
    result = cls(task_id="t", channels=CHANNELS, ttl=30, member_id="ann", state={"a": 1}).execute({})
    assert result == {"ttl": 30, "channels": CHANNELS, "member_id": "ann", "state": {"a": 1}}
    assert len(masked) == 1 and masked[0].count(".") == 2
    with_token = cls(task_id="t", channels=CHANNELS, return_token=True).execute({})
    assert with_token["token"] == masked[-1]
    (minted, _) = signalwire_space.state.browser_tokens.values()
    assert minted["service"] == cls.service


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"channels": {}}, "1 to 500 channels"),
        ({"channels": {"a": {}}}, "read"),
        ({"channels": {"a": {"read": "yes"}}}, "read"),
        ({"channels": CHANNELS, "ttl": 0}, "ttl"),
        ({"channels": CHANNELS, "ttl": 50000}, "ttl"),
        ({"channels": CHANNELS, "member_id": "x" * 251}, "member_id"),
        ({"channels": CHANNELS, "state": {"x": "y" * 2000}}, "state"),
        ({"channels": CHANNELS, "token": "t"}, "not an argument"),
    ],
)
def test_refused_before_any_request(signalwire_space, kwargs, words):
    for cls in (CreateChatTokenOperator, CreatePubSubTokenOperator):
        with pytest.raises(SignalWireConfigError, match=words):
            cls(task_id="t", **kwargs)
    assert signalwire_space.requests == []


def test_reserved_prefix_and_templates(signalwire_space):
    with pytest.raises(SignalWireConfigError, match="reserved"):
        CreateChatTokenOperator(task_id="t", channels={"sw_x": {"read": True}})
    assert CreatePubSubTokenOperator(task_id="t", channels={"sw_x": {"read": True}}).execute({})
    op = CreateChatTokenOperator(task_id="t", channels="{{ params.c }}", ttl="{{ params.ttl }}")
    op.channels, op.ttl = '{"room": {"write": true}}', "15"  # as rendered
    assert op.execute({}) == {"ttl": 15, "channels": {"room": {"write": True}}}


def test_token_without_the_permission(signalwire_space, monkeypatch):
    import json

    conn = json.loads(signalwire_space.airflow_conn_json())
    conn["password"] = signalwire_space.add_token(["pubsub"])
    monkeypatch.setenv("AIRFLOW_CONN_PUBSUB_ONLY", json.dumps(conn))
    with pytest.raises(SignalWireAPIError) as err:
        CreateChatTokenOperator(task_id="t", channels=CHANNELS, signalwire_conn_id="pubsub_only").execute({})
    assert err.value.status_code == 401
    assert CreatePubSubTokenOperator(
        task_id="t", channels=CHANNELS, signalwire_conn_id="pubsub_only"
    ).execute({})
