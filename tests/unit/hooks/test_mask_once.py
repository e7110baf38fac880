"""A hook gives each form of the token to Airflow's masker once per process and supervisor channel.

In a triggerer every ``mask_secret`` is a round trip to the supervisor, which answers one message per
pass of its loop: 5,000 deferred sensors masking the same five forms each held their start back for
longer than 25 minutes (benchmarks row 9). Masking a value again changes nothing (Airflow keeps what
it is given for the life of the process), so it is done once; a forked child or a new supervisor channel
masks everything again, and a new token is masked before it is used.
"""

from __future__ import annotations

import json

import pytest

from airflow_provider_signalwire.hooks import base
from airflow_provider_signalwire.hooks.signalwire import SignalWireHook
from tests.fixtures import PROJECT, TOKEN

CONN_ID = "signalwire_mask_once"
OTHER_TOKEN = "PTanothertoken0123456789SECRET"


@pytest.fixture
def masked(monkeypatch):
    seen: list[str] = []
    monkeypatch.setattr(base, "mask_secret", seen.append)
    return seen


def _settings(monkeypatch, token=TOKEN):
    conn = {"conn_type": "signalwire", "host": "https://example.signalwire.com", "login": PROJECT}
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps({**conn, "password": token}))
    return SignalWireHook(CONN_ID).settings


def test_a_hundred_hooks_on_one_connection_mask_each_form_once(monkeypatch, masked):
    settings = _settings(monkeypatch)
    for _ in range(99):
        _settings(monkeypatch)
    assert sorted(masked) == sorted(settings.secrets)
    assert len(settings.secrets) >= 4 and TOKEN in masked


def test_a_new_token_is_masked_before_its_hook_is_used(monkeypatch, masked):
    _settings(monkeypatch)
    other = _settings(monkeypatch, OTHER_TOKEN)
    assert OTHER_TOKEN in masked and set(other.secrets) <= set(masked)
    assert len(masked) == len(set(masked)) == 2 * len(other.secrets)


def test_hooks_built_while_a_mask_is_in_flight_do_not_send_it_again(monkeypatch):
    """In a trigger runner ``mask_secret`` waits for the supervisor while the other triggers run (and
    build their hooks): they must not send the same values again meanwhile."""
    sent: list[str] = []

    def mask_secret(value):
        sent.append(value)
        if len(sent) == 1:  # the other triggers run while the first mask is in flight
            for _ in range(10):
                _settings(monkeypatch)

    monkeypatch.setattr(base, "mask_secret", mask_secret)
    settings = _settings(monkeypatch)
    assert sorted(sent) == sorted(settings.secrets)


def test_with_api_token_masks_the_new_token_once(monkeypatch, masked):
    _settings(monkeypatch)
    hook = SignalWireHook(CONN_ID)
    first = hook.with_api_token(OTHER_TOKEN)
    hook.with_api_token(OTHER_TOKEN)
    assert masked.count(OTHER_TOKEN) == 1 and set(first.settings.secrets) <= set(masked)


def test_a_forked_child_masks_again(monkeypatch, masked):
    settings = _settings(monkeypatch)
    monkeypatch.setattr(base.os, "getpid", lambda: -1)  # what os.getpid says in a child
    _settings(monkeypatch)
    assert sorted(masked) == sorted(settings.secrets * 2)


def test_a_new_supervisor_channel_is_told_again(monkeypatch, masked):
    """A value masked before the process had a channel to a supervisor (or over another one) is sent
    again once it has one: the supervisor must know it to mask the logs it writes (Airflow 3)."""
    task_runner = pytest.importorskip("airflow.sdk.execution_time.task_runner")

    settings = _settings(monkeypatch)
    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", object(), raising=False)
    _settings(monkeypatch)
    assert sorted(masked) == sorted(settings.secrets * 2)


def test_the_supervisor_gets_one_message_per_form(monkeypatch):
    """Through Airflow's own ``mask_secret``: what a trigger runner sends its supervisor. (Airflow's
    connection lookup masks the password itself, once per lookup: not the hook's to save.)"""
    task_runner = pytest.importorskip("airflow.sdk.execution_time.task_runner")
    MaskSecret = pytest.importorskip("airflow.sdk.execution_time.comms").MaskSecret

    sent: list[object] = []

    class Comms:
        def send(self, msg):
            sent.append(msg)

    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", Comms(), raising=False)
    settings = _settings(monkeypatch)
    for _ in range(49):
        _settings(monkeypatch)
    values = [m.value for m in sent if isinstance(m, MaskSecret)]
    derived = [form for form in settings.secrets if form != TOKEN]
    assert [v for v in values if v != TOKEN] == derived
    assert values.count(TOKEN) <= 50 + 1


async def test_the_async_hook_masks_once_too(monkeypatch, masked):
    from airflow_provider_signalwire.hooks.signalwire_async import SignalWireAsyncHook

    settings = _settings(monkeypatch)
    for _ in range(20):
        await SignalWireAsyncHook(CONN_ID).get_settings()
    assert sorted(masked) == sorted(settings.secrets)
