"""Secrets never come back out: answers that echo the credentials, and credentials that cannot be sent.

A hostile or buggy server may put the token, ``project:token`` or the whole ``Authorization`` value
into an error body, an HTML page, a reason phrase or a response header. None of it may reach
``str(exc)``, ``repr(exc)``, ``exc.errors``, ``exc.request_id``, a pickle, ``test_connection()``'s
message or a log line, whether or not Airflow's masker runs in this process.
"""

from __future__ import annotations

import base64
import json
import logging
import pickle
from urllib.parse import quote

import pytest
import requests_mock as rm

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.hooks import base as hook_module
from tests.fixtures import PROJECT, TOKEN

BASE = "https://acme.signalwire.com"
ROOMS = f"{BASE}/api/video/rooms"
ACCOUNT = f"{BASE}/api/laml/2010-04-01/Accounts/{PROJECT}"
BASIC = base64.b64encode(f"{PROJECT}:{TOKEN}".encode()).decode()
FORMS = [TOKEN, BASIC, f"Basic {BASIC}", f"{PROJECT}:{TOKEN}"]


def _leaks(text: str) -> list[str]:
    return [form for form in (TOKEN, BASIC) if form in text]


ECHOES = {
    "json errors": {
        "status_code": 401,
        "json": {"errors": [{"code": "unauthorized", "message": f"bad token {TOKEN} for {PROJECT}:{TOKEN}"}]},
    },
    "json error string": {"status_code": 400, "json": {"error": f"Authorization: Basic {BASIC}"}},
    "compat body": {
        "status_code": 401,
        "json": {"code": 20003, "message": f"Authenticate {TOKEN}", "more_info": f"https://x/{TOKEN}"},
    },
    "html page": {
        "status_code": 502,
        "text": f"<html><body><h1>Bad gateway</h1><pre>Authorization: Basic {BASIC}</pre></body></html>",
        "headers": {"Content-Type": "text/html"},
    },
    "request id header": {
        "status_code": 500,
        "json": {"error": "oops"},
        "headers": {"X-Request-Id": f"req-{TOKEN}"},
    },
    "reason phrase": {"status_code": 418, "reason": f"teapot {TOKEN}", "text": ""},
    "url-quoted token": {"status_code": 400, "json": {"error": f"token={quote(TOKEN, safe='')}"}},
    "json key": {
        "status_code": 422,
        "json": {"errors": [{TOKEN: TOKEN, "message": TOKEN, "attribute": TOKEN}]},
    },
    "redirect location": {
        "status_code": 302,
        "headers": {"Location": f"https://{PROJECT}:{TOKEN}@evil.example/"},
    },
}


@pytest.fixture
def mock():
    with rm.Mocker(case_sensitive=True) as m:
        yield m


@pytest.mark.parametrize("answer", list(ECHOES.values()), ids=list(ECHOES))
def test_an_echoed_secret_never_reaches_the_exception(make_hook, mock, capfd, caplog, answer):
    caplog.set_level(logging.DEBUG)
    hook = make_hook(retries=False)
    mock.get(ROOMS, **answer)
    with pytest.raises(SignalWireAPIError) as caught:
        hook.request("GET", "/api/video/rooms")
    err = caught.value
    for text in (
        str(err),
        repr(err),
        json.dumps(err.errors),
        str(err.request_id),
        str(err.reason),
        str(err.url),
        str(err.hint),
        pickle.dumps(err).decode("latin-1"),
        str(pickle.loads(pickle.dumps(err))),
    ):
        assert not _leaks(text), text
    captured = capfd.readouterr()
    assert not _leaks(captured.out + captured.err + caplog.text)


@pytest.mark.parametrize("answer", list(ECHOES.values()), ids=list(ECHOES))
def test_an_echoed_secret_never_reaches_test_connection(make_hook, mock, answer):
    hook = make_hook(retries=False)
    mock.get(ACCOUNT, **answer)
    ok, message = hook.test_connection()
    assert not ok
    assert not _leaks(message), message


def test_echoed_secrets_are_replaced_not_dropped(make_hook, mock):
    hook = make_hook(retries=False)
    mock.get(ROOMS, status_code=401, json={"errors": [{"code": "x", "message": f"bad {TOKEN}"}]})
    with pytest.raises(SignalWireAPIError) as caught:
        hook.request("GET", "/api/video/rooms")
    assert caught.value.errors == [{"code": "x", "message": "bad ***"}]


@pytest.mark.parametrize(
    ("field", "conn"),
    [
        ("API Token", {"password": "tok\u00e9n-with-accent"}),
        ("API Token", {"password": "token\x00nul"}),
        ("API Token", {"password": "token\x7fdel"}),
        ("API Token", {"password": "tok\u200ben"}),  # zero-width space
        ("API Token", {"password": "token\r\nX-Evil: 1"}),
        ("API Token", {"password": "\u0442\u043e\u043a\u0435\u043d"}),  # Cyrillic
        ("Project ID", {"login": "proj\u00e9ct"}),
        ("Project ID", {"login": "proj\x01ect"}),
        ("Project ID", {"login": "proj\u2028ect"}),
    ],
)
def test_credentials_that_cannot_be_sent_are_refused_naming_the_field(make_hook, mock, field, conn):
    hook = make_hook(**conn)
    with pytest.raises(SignalWireConfigError, match=field) as caught:
        hook.request("GET", "/api/video/rooms")
    assert mock.call_count == 0
    value = next(iter(conn.values()))
    assert value not in str(caught.value) and repr(value)[1:-1] not in str(caught.value)


def test_what_is_masked_is_exactly_what_is_sent(make_hook, mock, monkeypatch):
    masked: list[str] = []
    monkeypatch.setattr(hook_module, "mask_secret", masked.append)
    hook = make_hook()
    mock.get(ROOMS, json={"data": []})
    hook.request("GET", "/api/video/rooms")
    sent = mock.last_request.headers["Authorization"]
    assert sent == f"Basic {BASIC}"
    assert sent in masked and BASIC in masked and TOKEN in masked
    assert set(FORMS) <= set(masked)


def test_the_session_auth_has_no_secret_in_its_repr(make_hook):
    hook = make_hook()
    assert TOKEN not in repr(hook.session.auth) and BASIC not in repr(hook.session.auth)
    assert TOKEN not in repr(hook.settings) and BASIC not in repr(hook.settings)
