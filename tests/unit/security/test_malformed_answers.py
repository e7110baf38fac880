"""Malformed answers, odd connections and impatient servers give our errors, short and bounded."""

from __future__ import annotations

import json

import pytest
import requests_mock as rm

from airflow_provider_signalwire.exceptions import (
    SignalWireAPIError,
    SignalWireConfigError,
    SignalWirePaginationError,
)
from tests.fixtures import PROJECT, TOKEN

BASE = "https://acme.signalwire.com"
ROOMS = f"{BASE}/api/video/rooms"
MESSAGES = f"{BASE}/api/laml/2010-04-01/Accounts/{PROJECT}/Messages"


@pytest.fixture
def mock():
    with rm.Mocker(case_sensitive=True) as m:
        yield m


# ---- next links and pages


@pytest.mark.parametrize("link", [42, 1.5, ["/api/video/rooms?page_token=2"], {"href": "/x"}, True])
@pytest.mark.parametrize("compat", [False, True])
def test_a_next_link_that_is_not_a_string(make_hook, mock, link, compat):
    hook = make_hook()
    if compat:
        mock.get(MESSAGES, json={"messages": [{"sid": "SM1"}], "next_page_uri": link})
        path = MESSAGES[len(BASE) :]
    else:
        mock.get(ROOMS, json={"data": [{"id": "r1"}], "links": {"next": link}})
        path = "/api/video/rooms"
    with pytest.raises(SignalWirePaginationError, match="not a string") as caught:
        list(hook.paginate(path))
    assert len(str(caught.value)) < 500


def _looping(suffixes: list[str]):
    """Every answer is the same page, behind a next link that differs each time."""
    calls = {"n": 0}

    def answer(request, context):
        calls["n"] += 1
        suffix = suffixes[calls["n"] % len(suffixes)]
        return {"data": [{"id": "r1"}, {"id": "r2"}], "links": {"next": f"/api/video/rooms?{suffix}"}}

    return answer, calls


@pytest.mark.parametrize(
    "suffixes",
    [
        [f"page_token=PT{i}&nonce={i}" for i in range(1000)],  # same items, new token and nonce each time
        ["page_token=a&page_size=2", "page_size=2&page_token=a"],  # reordered query
        ["page_token=a", "page_token=a&", "page_token=a&&"],  # trailing '&'
        ["page_token=a&nonce=1", "page_token=a&nonce=2", "page_token=a&nonce=3"],  # nonce, same token
    ],
    ids=["new-token-same-items", "reordered", "trailing-amp", "nonce"],
)
def test_a_listing_that_serves_the_same_page_again_stops_early(make_hook, mock, suffixes):
    hook = make_hook()
    answer, calls = _looping(suffixes)
    mock.get(ROOMS, json=answer)
    items = []
    with pytest.raises(SignalWirePaginationError, match="loop"):
        for item in hook.paginate("/api/video/rooms"):
            items.append(item)
    assert calls["n"] <= 3
    assert len(items) <= 4


def test_a_nonce_on_a_page_with_new_items_is_a_legitimate_listing(make_hook, mock):
    hook = make_hook()
    pages = iter(range(1, 6))

    def answer(request, context):
        n = next(pages)
        links = {"next": f"/api/video/rooms?page_token=p{n}&nonce={n}"} if n < 5 else {}
        return {"data": [{"id": f"r{n}"}], "links": links}

    mock.get(ROOMS, json=answer)
    assert [r["id"] for r in hook.paginate("/api/video/rooms")] == ["r1", "r2", "r3", "r4", "r5"]


# ---- bodies


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        ({"text": "[" * 100_000 + "]" * 100_000}, "nested too deep"),
        ({"text": '{"data": [1, 2', "headers": {"Content-Type": "application/json"}}, "does not parse"),
        ({"text": "not json", "headers": {"Content-Type": "application/json"}}, "does not parse"),
        ({"text": "{oops", "headers": {"Content-Type": "text/plain"}}, "does not parse"),
        ({"content": b"\xff\xfe{", "headers": {"Content-Type": "application/json; charset=utf-8"}}, "parse"),
    ],
    ids=["deep", "truncated", "not-json", "brace-shaped", "bad-bytes"],
)
def test_a_2xx_answer_that_is_not_json_fails_the_call(make_hook, mock, answer, match):
    hook = make_hook()
    mock.get(ROOMS, status_code=200, **answer)
    with pytest.raises(SignalWireAPIError, match=match) as caught:
        hook.request("GET", "/api/video/rooms")
    assert len(str(caught.value)) < 600


def test_a_deeply_nested_error_body_is_our_error(make_hook, mock):
    hook = make_hook(retries=False)
    mock.get(ROOMS, status_code=400, text="[" * 100_000)
    with pytest.raises(SignalWireAPIError, match="HTTP 400") as caught:
        hook.request("GET", "/api/video/rooms")
    assert len(str(caught.value)) < 800


def test_an_error_body_with_thousands_of_entries_gives_a_short_message(make_hook, mock):
    hook = make_hook(retries=False)
    errors = [{"code": f"e{i}", "message": "m" * 2000, "attribute": f"a{i}"} for i in range(20_000)]
    mock.post(ROOMS, status_code=422, json={"errors": errors})
    with pytest.raises(SignalWireAPIError) as caught:
        hook.request("POST", "/api/video/rooms", json={"name": "x"})
    err = caught.value
    assert len(str(err)) < 1200, len(str(err))
    assert "and 19997 more errors" in str(err)
    assert len(err.errors) == 20 and err.errors_omitted == 19_980
    assert all(len(e["message"]) <= 300 for e in err.errors)


def test_an_error_entry_with_odd_types_is_still_read(make_hook, mock):
    hook = make_hook(retries=False)
    mock.get(
        ROOMS, status_code=400, json={"errors": [{"code": {"x": [1] * 5000}, "message": ["a"] * 5000}, 7]}
    )
    with pytest.raises(SignalWireAPIError) as caught:
        hook.request("GET", "/api/video/rooms")
    assert len(str(caught.value)) < 1200


# ---- waiting: the retry budget


def test_retry_after_answers_cannot_hold_a_worker_beyond_the_budget(make_hook, mock):
    hook = make_hook(extra={"max_retries": 5})
    mock.get(ROOMS, [{"status_code": 429, "headers": {"Retry-After": "300"}, "json": {}}] * 6)
    with pytest.raises(SignalWireAPIError, match="budget of 300 s ran out") as caught:
        hook.request("GET", "/api/video/rooms")
    assert sum(hook.slept) <= 300
    assert "asked to wait 300 s" in str(caught.value)
    assert mock.call_count == 2


def test_the_retry_budget_is_settable(make_hook, mock):
    hook = make_hook(extra={"max_retries": 5}, hook_kwargs={"retry_budget": 5})
    mock.get(ROOMS, [{"status_code": 503, "headers": {"Retry-After": "2"}, "json": {}}] * 6)
    with pytest.raises(SignalWireAPIError, match="budget of 5 s"):
        hook.request("GET", "/api/video/rooms")
    assert hook.slept == [2.0, 2.0]


# ---- requests that cannot be built


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Note": "line\r\nInjected: 1"},
        {"X-Note": "line\nInjected: 1"},
        {"X-Note": "caf\u00e9 \u2603"},
        {"Bad Name": "x"},
    ],
)
def test_a_request_that_cannot_be_built_fails_at_once(make_hook, mock, headers):
    hook = make_hook(extra={"max_retries": 3}, hook_kwargs={"method": "POST"})
    mock.post(ROOMS, json={})
    with pytest.raises(SignalWireAPIError, match="could not be built") as caught:
        hook.run("/api/video/rooms", data={"name": "x"}, headers=headers)
    assert caught.value.attempts == 1 and hook.slept == [] and mock.call_count == 0
    assert "dropped" not in str(caught.value)


# ---- the HttpOperator path never lets a header replace the credentials


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "authorization",
        "AUTHORIZATION",
        " Authorization",
        "Authorization ",
        "\tauthorization",
        "Cookie",
        " cookie ",
        "Host",
        "HOST",
        "Proxy-Authorization",
        " proxy-authorization",
    ],
)
def test_run_drops_credential_headers_whatever_their_case_and_blanks(make_hook, mock, name):
    hook = make_hook()
    mock.get(ROOMS, json={"data": []})
    hook.run("/api/video/rooms", headers={name: "Basic ZXZpbDpldmls", "X-Keep": "1"})
    sent = mock.last_request.headers
    assert sent["Authorization"] != "Basic ZXZpbDpldmls" and sent["X-Keep"] == "1"
    assert "ZXZpbDpldmls" not in json.dumps(dict(sent))
    assert mock.last_request.netloc == "acme.signalwire.com"


# ---- Space URL typos and odd hosts


SPACE_URL_TYPOS = [
    ("https//acme.signalwire.com", "malformed scheme"),
    ("http//acme.signalwire.com", "malformed scheme"),
    ("https:/acme.signalwire.com", "malformed scheme"),
    ("https:acme.signalwire.com", "malformed scheme"),
    ("htps://acme.signalwire.com", "scheme 'htps'"),
    ("hxxps://acme.signalwire.com", "scheme 'hxxps'"),
    ("ftp://acme.signalwire.com", "scheme 'ftp'"),
    ("https:///acme.signalwire.com", "no host"),
    ("[::1", "unbalanced"),
    ("https://[::1/x", "unbalanced"),
    ("https://::1]", "Space URL"),
    ("acme\u3002signalwire\u3002com", "non-ASCII"),
    ("https\uff1a//acme.signalwire.com", "non-ASCII"),
    ("acme\u2024signalwire.com", "non-ASCII"),
    ("https://acme.signalwire.com\u2215x", "non-ASCII"),
    ("acme.signalwire.com:99999", "invalid port"),
    ("acme.signalwire.com:-1", "Space URL"),
    ("acme .signalwire.com", "spaces"),
    ("acme.signalwire.com\x00", "control"),
    (f"{PROJECT}:{TOKEN}@acme.signalwire.com", "credentials"),
]


@pytest.mark.parametrize(("host", "match"), SPACE_URL_TYPOS)
def test_space_url_typos_are_refused_naming_the_field(make_hook, mock, host, match):
    hook = make_hook(host=host)
    with pytest.raises(SignalWireConfigError, match=match) as caught:
        hook.request("GET", "/api/video/rooms")
    assert "Space URL" in str(caught.value) and TOKEN not in str(caught.value)
    assert mock.call_count == 0
