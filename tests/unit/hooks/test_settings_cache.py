"""Validated connection settings are reused only for a connection equal in every field: a changed token,
host or extra is read and validated anew, and no connection ever gets another's credentials."""

from __future__ import annotations

import json

import pytest

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.hooks.signalwire import SignalWireHook
from tests.fixtures import PROJECT, TOKEN

CONN_ID = "signalwire_settings_cache"


def _conn(monkeypatch, **fields):
    conn = {"conn_type": "signalwire", "host": "https://example.signalwire.com", "login": PROJECT}
    conn.update({"password": TOKEN, **fields})
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(conn))
    return SignalWireHook(CONN_ID).settings


def test_an_identical_connection_reuses_the_validated_settings(monkeypatch):
    assert _conn(monkeypatch) is _conn(monkeypatch)


@pytest.mark.parametrize(
    "change",
    [
        {"password": "PTanothertoken0123456789SECRET"},
        {"host": "https://other.signalwire.com"},
        {"extra": {"timeout": 7}},
    ],
)
def test_a_changed_connection_is_read_anew(monkeypatch, change):
    before = _conn(monkeypatch)
    after = _conn(monkeypatch, **change)
    assert after is not before
    if "password" in change:
        assert after.authorization != before.authorization
    if "host" in change:
        assert "other.signalwire.com" in after.base_url
    if "extra" in change:
        assert after.timeout == 7
    assert _conn(monkeypatch) == before  # and back


def test_a_refused_connection_is_refused_every_time(monkeypatch):
    for _ in range(2):
        with pytest.raises(SignalWireConfigError, match="Space URL"):
            _conn(monkeypatch, host="htps://example.signalwire.com")
