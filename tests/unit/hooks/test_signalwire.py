"""SignalWireHook against requests-mock: settings, bodies, paging, retries, errors."""

from __future__ import annotations

import json

import pytest
import requests
import requests_mock as rm

from airflow_provider_signalwire import __version__
from airflow_provider_signalwire.exceptions import (
    SignalWireAPIError,
    SignalWireConfigError,
    SignalWirePaginationError,
)
from airflow_provider_signalwire.hooks.signalwire import SignalWireHook
from tests.fixtures import PROJECT, TOKEN

BASE = "https://acme.signalwire.com"
ROOMS = f"{BASE}/api/video/rooms"
MESSAGES_PATH = f"/api/laml/2010-04-01/Accounts/{PROJECT}/Messages"


@pytest.fixture
def mock():
    with rm.Mocker(case_sensitive=True) as m:
        yield m


# --------------------------------------------------------------------------- the connection


def test_hook_class_attributes():
    assert SignalWireHook.conn_type == "signalwire"
    assert SignalWireHook.conn_name_attr == "signalwire_conn_id"
    assert SignalWireHook.default_conn_name == "signalwire_default"
    assert SignalWireHook.hook_name == "SignalWire"
    assert SignalWireHook().signalwire_conn_id == "signalwire_default"


def test_connection_from_uri(monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_SIGNALWIRE_DEFAULT", f"signalwire://{PROJECT}:{TOKEN}@acme.signalwire.com"
    )
    s = SignalWireHook().settings
    assert (s.base_url, s.project_id, s.api_token) == (BASE, PROJECT, TOKEN)


def test_connection_from_uri_with_extras(monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_SIGNALWIRE_DEFAULT",
        f"signalwire://{PROJECT}:{TOKEN}@acme/?timeout=5&max_retries=1&verify=false",
    )
    s = SignalWireHook().settings
    assert (s.base_url, s.timeout, s.max_retries, s.verify) == (BASE, 5.0, 1, False)


def test_connection_from_json(make_hook, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    hook = make_hook(host="https://Acme.SignalWire.com/dashboard", extra={"timeout": 9, "verify": str(ca)})
    assert hook.base_url == BASE
    assert (hook.settings.timeout, hook.settings.verify) == (9.0, str(ca))


def test_hook_arguments_override_the_connection(make_hook):
    hook = make_hook(hook_kwargs={"timeout": 2, "max_retries": 0}, extra={"timeout": 9, "max_retries": 4})
    assert (hook.settings.timeout, hook.settings.max_retries) == (2.0, 0)


BAD_CONNECTIONS = [
    ({"host": ""}, "Space URL is empty"),
    ({"host": "   "}, "Space URL is empty"),
    ({"host": None}, "Space URL is empty"),
    ({"host": "https://"}, "no host name"),
    ({"host": "https:///api"}, "no host name"),
    ({"host": "acme signalwire.com"}, "contains spaces"),
    ({"host": "https://acme .signalwire.com"}, "contains spaces"),
    ({"host": "http://acme.signalwire.com"}, "plain http"),
    ({"host": "ftp://acme.signalwire.com"}, "scheme"),
    ({"host": "https://user:pw@acme.signalwire.com"}, "must not contain credentials"),
    ({"host": "acme_!.signalwire.com"}, "not a valid host name"),
    ({"host": "acme.signalwire.com:99999"}, "invalid port"),
    ({"login": ""}, "Project ID is empty"),
    ({"login": None}, "Project ID is empty"),
    ({"login": "  "}, "Project ID is empty"),
    ({"login": "abc def"}, "Project ID contains spaces"),
    ({"password": ""}, "API Token is empty"),
    ({"password": None}, "API Token is empty"),
    ({"password": "   "}, "API Token is empty"),
    ({"password": "PTabc def"}, "API Token contains spaces"),
    ({"password": "PTabc\n"}, "API Token contains spaces"),
    ({"extra": {"timeout": "soon"}}, "'timeout'"),
    ({"extra": {"timeout": 0}}, "'timeout'"),
    ({"extra": {"max_retries": -1}}, "'max_retries'"),
    ({"extra": {"max_retries": 1.5}}, "'max_retries'"),
    ({"extra": {"max_retries": 1e9}}, "'max_retries'"),
    ({"extra": {"max_retries": "inf"}}, "'max_retries'"),
    ({"extra": {"timeout": "nan"}}, "'timeout'"),
    ({"extra": {"timeout": "inf"}}, "'timeout'"),
    ({"host": "https://proj:tok@acme.signalwire.com"}, "must not contain credentials"),
    ({"extra": {"verify": "/no/such/ca.pem"}}, "'verify'"),
]


@pytest.mark.parametrize(("conn", "message"), BAD_CONNECTIONS)
def test_bad_connection_fails_before_any_request(make_hook, mock, conn, message):
    hook = make_hook(**conn)
    with pytest.raises(SignalWireConfigError, match=message) as err:
        hook.request("GET", "/api/video/rooms")
    assert mock.call_count == 0
    text = str(err.value)
    assert "signalwire_test" in text  # names the connection
    assert TOKEN not in text
    # and says what to do
    assert any(word in text for word in ("set ", "give", "use ", "must", "copy", "paste", "put "))


def test_bad_connection_makes_test_connection_fail_clearly(make_hook, mock):
    ok, message = make_hook(password="").test_connection()
    assert not ok and "API Token is empty" in message
    assert mock.call_count == 0


# --------------------------------------------------------------------------- requests and bodies


def test_request_sends_basic_auth_user_agent_and_json(make_hook, mock):
    mock.post(ROOMS, status_code=201, json={"id": "r1", "name": "x"})
    hook = make_hook()
    assert hook.request("POST", "/api/video/rooms", json={"name": "x", "max_members": 3}) == {
        "id": "r1",
        "name": "x",
    }
    req = mock.last_request
    assert req.headers["User-Agent"] == f"airflow-provider-signalwire/{__version__}"
    assert req.headers["Authorization"] == requests.auth._basic_auth_str(PROJECT, TOKEN)
    assert req.headers["Content-Type"] == "application/json"
    assert req.json() == {"name": "x", "max_members": 3}


def test_dict_data_to_rest_api_is_sent_as_json(make_hook, mock):
    mock.put(f"{ROOMS}/r1", json={"id": "r1"})
    make_hook().request("PUT", "/api/video/rooms/r1", data={"max_members": 4})
    assert mock.last_request.json() == {"max_members": 4}


def test_compatibility_bodies_are_form_encoded(make_hook, mock):
    mock.post(f"{BASE}{MESSAGES_PATH}", status_code=201, json={"sid": "SM1"})
    make_hook().request(
        "POST",
        MESSAGES_PATH,
        json={"To": "+15551230000", "From": "+15559870000", "Body": "hi", "MediaUrl": ["a", "b"]},
    )
    req = mock.last_request
    assert req.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert req.body == "To=%2B15551230000&From=%2B15559870000&Body=hi&MediaUrl=a&MediaUrl=b"


def test_query_booleans_and_dates_are_encoded_as_signalwire_reads_them(make_hook, mock):
    mock.get(ROOMS, json={"data": [], "links": {}})
    make_hook().request("GET", "/api/video/rooms", params={"include_active_session": True, "x": None})
    assert mock.last_request.qs == {"include_active_session": ["true"]}


def test_empty_and_204_answers_are_none(make_hook, mock):
    mock.delete(f"{ROOMS}/r1", status_code=204)
    assert make_hook().request("DELETE", "/api/video/rooms/r1") is None


def test_one_session_reused(make_hook, mock):
    mock.get(ROOMS, json={"data": [], "links": {}})
    hook = make_hook()
    session = hook.get_conn()
    hook.request("GET", "/api/video/rooms")
    hook.request("GET", "/api/video/rooms")
    assert hook.session is session


@pytest.mark.parametrize("bad", ["https://evil.example.com/api/video/rooms", "//evil.example.com/api/video"])
def test_full_urls_are_refused_so_credentials_stay_home(make_hook, mock, bad):
    with pytest.raises(ValueError, match="full URL"):
        make_hook().request("GET", bad)
    assert mock.call_count == 0


def test_both_bodies_refused(make_hook, mock):
    with pytest.raises(ValueError, match="either json or data"):
        make_hook().request("POST", "/api/video/rooms", json={}, data={})


def test_redirects_are_not_followed(make_hook, mock):
    mock.get(ROOMS, status_code=302, headers={"Location": "https://evil.example.com/steal"})
    with pytest.raises(SignalWireAPIError, match="redirect"):
        make_hook().request("GET", "/api/video/rooms")
    assert mock.call_count == 1


# --------------------------------------------------------------------------- paging


def test_paginate_follows_relative_and_absolute_links(make_hook, mock):
    mock.get(
        ROOMS,
        [
            {"json": {"data": [1, 2], "links": {"next": "/api/video/rooms?page_token=p2"}}},
        ],
    )
    mock.get(f"{ROOMS}?page_token=p2", json={"data": [3], "links": {"next": f"{ROOMS}?page_token=p3"}})
    mock.get(f"{ROOMS}?page_token=p3", json={"data": [4], "links": {"self": "x"}})
    hook = make_hook()
    assert list(hook.paginate("/api/video/rooms", params={"starts_after": "2026-01-01"}, page_size=2)) == [
        1,
        2,
        3,
        4,
    ]
    urls = [r.url for r in mock.request_history]
    assert urls[0] == f"{ROOMS}?starts_after=2026-01-01&page_size=2"
    assert urls[1:] == [f"{ROOMS}?page_token=p2", f"{ROOMS}?page_token=p3"]


def test_paginate_compatibility_lists(make_hook, mock):
    url = f"{BASE}{MESSAGES_PATH}"
    mock.get(
        url,
        json={"messages": [{"sid": "a"}], "next_page_uri": f"{MESSAGES_PATH}?Page=1&PageToken=t", "page": 0},
    )
    mock.get(f"{url}?Page=1&PageToken=t", json={"messages": [{"sid": "b"}], "next_page_uri": None, "page": 1})
    items = list(make_hook().paginate(MESSAGES_PATH, page_size=1))
    assert [m["sid"] for m in items] == ["a", "b"]
    assert mock.request_history[0].qs == {"PageSize": ["1"]}


def test_paginate_max_items_stops_early(make_hook, mock):
    mock.get(ROOMS, json={"data": [1, 2, 3], "links": {"next": "/api/video/rooms?page_token=p2"}})
    assert list(make_hook().paginate("/api/video/rooms", max_items=2)) == [1, 2]
    assert mock.call_count == 1
    assert list(make_hook().paginate("/api/video/rooms", max_items=0)) == []


def test_next_link_to_another_host_is_asked_of_the_space(make_hook, mock):
    mock.get(
        ROOMS, json={"data": [1], "links": {"next": "https://evil.example.com/api/video/rooms?page_token=p2"}}
    )
    mock.get(f"{ROOMS}?page_token=p2", json={"data": [2], "links": {}})
    evil = mock.get("https://evil.example.com/api/video/rooms", json={"data": ["stolen"]})
    assert list(make_hook().paginate("/api/video/rooms")) == [1, 2]
    assert evil.call_count == 0
    assert {r.hostname for r in mock.request_history} == {"acme.signalwire.com"}


def test_repeating_next_link_stops_with_an_error(make_hook, mock):
    mock.get(ROOMS, json={"data": [1], "links": {"next": "/api/video/rooms?page_token=a"}})
    mock.get(f"{ROOMS}?page_token=a", json={"data": [2], "links": {"next": "/api/video/rooms?page_token=a"}})
    with pytest.raises(SignalWirePaginationError, match="repeats"):
        list(make_hook().paginate("/api/video/rooms"))
    assert mock.call_count == 2


def test_failing_page_is_retried_on_its_own(make_hook, mock):
    mock.get(ROOMS, json={"data": [1, 2], "links": {"next": "/api/video/rooms?page_token=p2"}})
    mock.get(
        f"{ROOMS}?page_token=p2",
        [{"status_code": 503, "json": {"error": "busy"}}, {"json": {"data": [3], "links": {}}}],
    )
    assert list(make_hook().paginate("/api/video/rooms")) == [1, 2, 3]
    assert [r.url for r in mock.request_history] == [
        ROOMS,
        f"{ROOMS}?page_token=p2",
        f"{ROOMS}?page_token=p2",
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"page_size": 0}, "page_size"), ({"page_size": 1001}, "page_size"), ({"max_items": -1}, "max_items")],
)
def test_paginate_argument_checks(make_hook, mock, kwargs, message):
    with pytest.raises(ValueError, match=message):
        list(make_hook().paginate("/api/video/rooms", **kwargs))
    assert mock.call_count == 0


# --------------------------------------------------------------------------- retries


def test_429_honours_retry_after(make_hook, mock):
    mock.get(
        ROOMS,
        [
            {"status_code": 429, "headers": {"Retry-After": "4"}, "json": {"error": "slow down"}},
            {"status_code": 429, "headers": {"Retry-After": "Fri, 27 Nov 2026 00:00:00 GMT"}},
            {"json": {"data": [], "links": {}}},
        ],
    )
    hook = make_hook()
    hook.request("GET", "/api/video/rooms")
    assert hook.slept[0] == 4.0
    assert hook.slept[1] == 0.0  # a date in the past: retry at once
    assert mock.call_count == 3


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_get_retries_5xx_with_backoff_bounded_by_max_retries(make_hook, mock, status):
    mock.get(ROOMS, status_code=status, json={"error": "down"})
    hook = make_hook(extra={"max_retries": 2})
    with pytest.raises(SignalWireAPIError) as err:
        hook.request("GET", "/api/video/rooms")
    assert mock.call_count == 3
    assert err.value.status_code == status and err.value.attempts == 3
    assert len(hook.slept) == 2 and 0.5 <= hook.slept[0] <= 1.0 and 1.0 <= hook.slept[1] <= 2.0


@pytest.mark.parametrize("status", [500, 502, 504])
def test_post_is_not_retried_when_the_server_may_have_acted(make_hook, mock, status):
    mock.post(ROOMS, status_code=status, json={"error": "oops"})
    with pytest.raises(SignalWireAPIError):
        make_hook().request("POST", "/api/video/rooms", json={"name": "x"})
    assert mock.call_count == 1


@pytest.mark.parametrize("status", [429, 503])
def test_post_is_retried_when_the_server_certainly_did_not_act(make_hook, mock, status):
    mock.post(
        ROOMS,
        [{"status_code": status, "headers": {"Retry-After": "1"}}, {"status_code": 201, "json": {"id": "r"}}],
    )
    assert make_hook().request("POST", "/api/video/rooms", json={"name": "x"}) == {"id": "r"}
    assert mock.call_count == 2


def test_post_not_retried_after_read_timeout(make_hook, mock):
    mock.post(ROOMS, exc=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(SignalWireAPIError, match="may have acted"):
        make_hook().request("POST", "/api/video/rooms", json={"name": "x"})
    assert mock.call_count == 1


def test_post_retried_after_connection_refused(make_hook, mock):
    mock.post(
        ROOMS, [{"exc": requests.exceptions.ConnectTimeout("connect timed out")}, {"json": {"id": "r"}}]
    )
    assert make_hook().request("POST", "/api/video/rooms", json={"name": "x"}) == {"id": "r"}
    assert mock.call_count == 2


def test_get_retried_after_read_timeout_and_reset(make_hook, mock):
    mock.get(
        ROOMS,
        [
            {"exc": requests.exceptions.ReadTimeout("slow")},
            {"exc": requests.exceptions.ConnectionError(ConnectionResetError(104, "reset"))},
            {"json": {"data": [7], "links": {}}},
        ],
    )
    assert list(make_hook().paginate("/api/video/rooms")) == [7]
    assert mock.call_count == 3


def test_max_retries_zero_turns_retries_off(make_hook, mock):
    mock.get(ROOMS, status_code=503)
    with pytest.raises(SignalWireAPIError):
        make_hook(extra={"max_retries": 0}).request("GET", "/api/video/rooms")
    assert mock.call_count == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_other_4xx_are_not_retried(make_hook, mock, status):
    mock.get(ROOMS, status_code=status, json={"error": "no"})
    with pytest.raises(SignalWireAPIError):
        make_hook().request("GET", "/api/video/rooms")
    assert mock.call_count == 1


# --------------------------------------------------------------------------- errors


def test_error_carries_status_errors_request_id_and_reads_as_one_line(make_hook, mock):
    body = {
        "errors": [
            {
                "type": "validation_error",
                "code": "invalid_parameter",
                "message": "is invalid",
                "attribute": "name",
                "url": "https://developer.signalwire.com/rest/overview/error-codes",
            }
        ]
    }
    mock.post(
        ROOMS, status_code=422, reason="Unprocessable Entity", json=body, headers={"X-Request-Id": "req-42"}
    )
    with pytest.raises(SignalWireAPIError) as err:
        make_hook().request("POST", "/api/video/rooms", json={"name": "bad name!"})
    e = err.value
    assert (e.status_code, e.method, e.url, e.request_id) == (422, "POST", ROOMS, "req-42")
    assert e.errors[0]["attribute"] == "name" and e.errors[0]["code"] == "invalid_parameter"
    assert str(e) == (
        f"SignalWire POST {ROOMS} failed: HTTP 422 Unprocessable Entity: "
        "name: is invalid (code invalid_parameter) [request id req-42]"
    )
    assert "\n" not in str(e)


def test_401_says_what_to_check(make_hook, mock):
    mock.get(ROOMS, status_code=401, json={"error": "Unauthorized"})
    with pytest.raises(SignalWireAPIError) as err:
        make_hook().request("GET", "/api/video/rooms")
    text = str(err.value)
    assert "Project ID (login)" in text and "API Token (password)" in text and "'Video' scope" in text
    assert TOKEN not in text


def test_403_names_the_scope(make_hook, mock):
    url = f"{BASE}{MESSAGES_PATH}"
    mock.get(
        url, status_code=403, json={"code": 20003, "message": "Forbidden", "more_info": "x", "status": 403}
    )
    with pytest.raises(SignalWireAPIError, match="'Messaging' scope") as err:
        make_hook().request("GET", MESSAGES_PATH)
    assert err.value.errors == [{"code": 20003, "message": "Forbidden", "status": 403, "more_info": "x"}]


def test_plain_text_error_body(make_hook, mock):
    mock.get(ROOMS, status_code=404, text="Not Found")
    with pytest.raises(SignalWireAPIError, match=r"HTTP 404.*Not Found"):
        make_hook().request("GET", "/api/video/rooms")


def test_error_pickles(make_hook, mock):
    import pickle

    mock.get(ROOMS, status_code=404, json={"error": "gone"})
    with pytest.raises(SignalWireAPIError) as err:
        make_hook().request("GET", "/api/video/rooms")
    copy = pickle.loads(pickle.dumps(err.value))
    assert (copy.status_code, str(copy)) == (404, str(err.value))


# --------------------------------------------------------------------------- test_connection


def test_test_connection_success_names_the_space(make_hook, mock):
    mock.get(f"{BASE}/api/laml/2010-04-01/Accounts/{PROJECT}", json={"sid": PROJECT, "friendly_name": "Acme"})
    ok, message = make_hook().test_connection()
    assert ok and "acme.signalwire.com" in message and "Acme" in message
    assert mock.call_count == 1


@pytest.mark.parametrize(
    ("mock_kwargs", "expected"),
    [
        (
            {"status_code": 401, "json": {"code": 20003, "message": "Authentication Error"}},
            r"Project ID \(login\)",
        ),
        ({"exc": requests.exceptions.SSLError("bad cert")}, "verify"),
        ({"exc": requests.exceptions.ConnectTimeout("connect timed out")}, "could not connect"),
    ],
)
def test_test_connection_failure_says_what_is_wrong(make_hook, mock, mock_kwargs, expected):
    mock.get(f"{BASE}/api/laml/2010-04-01/Accounts/{PROJECT}", **mock_kwargs)
    ok, message = make_hook(retries=False).test_connection()
    assert not ok
    assert __import__("re").search(expected, message)
    assert TOKEN not in message


# --------------------------------------------------------------------------- HttpOperator compatibility


def test_run_for_http_operator(make_hook, mock):
    mock.get(ROOMS, json={"data": [], "links": {}})
    hook = make_hook(hook_kwargs={"method": "GET", "auth_type": None, "tcp_keep_alive": True})
    response = hook.run(
        "api/video/rooms", data={"page_size": 5}, headers={"Authorization": "Bearer x", "X-A": "1"}
    )
    assert response.status_code == 200
    req = mock.last_request
    assert req.qs == {"page_size": ["5"]}
    assert req.headers["Authorization"] == requests.auth._basic_auth_str(PROJECT, TOKEN)
    assert req.headers["X-A"] == "1"


def test_run_check_response_false_returns_errors(make_hook, mock):
    mock.post(ROOMS, status_code=422, json={"errors": []})
    hook = make_hook(hook_kwargs={"method": "POST"})
    assert (
        hook.run(
            "/api/video/rooms", data=json.dumps({"name": "x"}), extra_options={"check_response": False}
        ).status_code
        == 422
    )


def test_unknown_hook_arguments_are_refused():
    with pytest.raises(TypeError, match="bogus"):
        SignalWireHook(bogus=1)


def test_paging_progress_is_logged_every_few_pages(make_hook, mock, capfd):
    for n in range(1, 13):
        nxt = {"next": f"/api/video/rooms?page_token={n + 1}"} if n < 12 else {}
        url = ROOMS if n == 1 else f"{ROOMS}?page_token={n}"
        mock.get(url, json={"data": [n], "links": nxt})
    assert list(make_hook().paginate("/api/video/rooms")) == list(range(1, 13))
    out = capfd.readouterr()
    text = out.out + out.err
    assert "Listing /api/video/rooms: 10 pages, 10 items so far." in text
    assert "Listed 12 items of /api/video/rooms in 12 pages." in text


def test_classify_real_connection_errors():
    import socket

    from airflow_provider_signalwire.hooks.signalwire import classify_requests_error

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(requests.exceptions.ConnectionError) as refused:
        requests.get(f"https://127.0.0.1:{port}/", timeout=2)
    assert classify_requests_error(refused.value).sent is False
    reset = requests.exceptions.ConnectionError(
        requests.packages.urllib3.exceptions.ProtocolError(
            "Connection aborted.", ConnectionResetError(104, "reset")
        )
    )
    assert classify_requests_error(reset).sent is True


def test_repeating_link_recognised_after_requests_requotes_it(make_hook, mock):
    mock.get(ROOMS, json={"data": [1], "links": {"next": "/api/video/rooms?page_token=a|b"}})
    mock.get(
        f"{ROOMS}?page_token=a%7Cb", json={"data": [2], "links": {"next": "/api/video/rooms?page_token=a|b"}}
    )
    with pytest.raises(SignalWirePaginationError, match="repeats"):
        list(make_hook().paginate("/api/video/rooms"))
    assert mock.call_count == 2


def test_endless_empty_pages_stop_with_an_error(make_hook, mock):
    counter = iter(range(1, 1000))

    def endless(request, context):
        return {"data": [], "links": {"next": f"/api/video/rooms?page_token={next(counter)}"}}

    mock.get(ROOMS, json=endless)
    with pytest.raises(SignalWirePaginationError, match="empty pages"):
        list(make_hook().paginate("/api/video/rooms"))
    assert mock.call_count == 10


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/api/video/rooms", "application/json"), (MESSAGES_PATH, "application/x-www-form-urlencoded")],
)
def test_string_bodies_are_labelled_with_the_familys_content_type(make_hook, mock, path, content_type):
    mock.post(f"{BASE}{path}", json={})
    make_hook().request("POST", path, json='{"name": "x"}' if content_type.endswith("json") else "To=%2B1")
    assert mock.last_request.headers["Content-Type"] == content_type
