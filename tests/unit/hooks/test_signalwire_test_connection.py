"""SignalWireHook.test_connection: worded for where it runs (CLI, the UI's Test button, a worker)."""

from __future__ import annotations

import sys

import pytest
import requests
import requests_mock as rm

from tests.fixtures import PROJECT, TOKEN

ACCOUNT = f"https://acme.signalwire.com/api/laml/2010-04-01/Accounts/{PROJECT}"
RANDOM_TEST_ID = "h8oRv5tI"  # the kind of id Airflow's Test button tests a copy of the connection under


@pytest.fixture
def mock():
    with rm.Mocker(case_sensitive=True) as m:
        yield m


def test_config_error_does_not_name_the_random_test_id(make_hook, mock):
    ok, message = make_hook(password="", conn_id=RANDOM_TEST_ID).test_connection()
    assert not ok
    assert RANDOM_TEST_ID not in message
    assert message.startswith("SignalWire connection test: ") and "API Token is empty" in message
    assert mock.call_count == 0


@pytest.mark.parametrize(
    ("argv", "context", "where"),
    [
        (["airflow", "connections", "test", "x"], None, "where `airflow connections test` ran"),
        (["airflow", "api-server"], "server", "API server or webserver that ran the Test"),
        (["gunicorn", "airflow.www.app:cached_app()"], None, "API server or webserver that ran the Test"),
        (["airflow", "celery", "worker"], "client", "from this worker"),
    ],
)
def test_unreachable_space_names_where_the_test_ran(make_hook, mock, monkeypatch, argv, context, where):
    monkeypatch.setattr(sys, "argv", argv)
    if context is None:
        monkeypatch.delenv("_AIRFLOW_PROCESS_CONTEXT", raising=False)
    else:
        monkeypatch.setenv("_AIRFLOW_PROCESS_CONTEXT", context)
    mock.get(ACCOUNT, exc=requests.exceptions.ConnectTimeout("connect timed out"))
    ok, message = make_hook(retries=False, conn_id=RANDOM_TEST_ID).test_connection()
    assert not ok
    assert "could not connect" in message and where in message, message
    assert RANDOM_TEST_ID not in message and TOKEN not in message


def test_success_is_logged_because_the_cli_drops_it(make_hook, mock, capfd, caplog):
    """`airflow connections test` prints only "Connection success!": the sentence goes to the log too."""
    mock.get(ACCOUNT, json={"sid": PROJECT, "friendly_name": "Acme"})
    with caplog.at_level("INFO"):
        ok, message = make_hook().test_connection()
    assert ok and message == f"Connected to SignalWire space acme.signalwire.com (Acme), project {PROJECT}."
    out, err = capfd.readouterr()
    assert message in out + err + caplog.text
