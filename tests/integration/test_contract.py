"""One contract for both transports, on the offline fake space: every test runs on the sync hook
(requests) and on the async hook (aiohttp). A difference between the two is a failing test."""

from __future__ import annotations

import json
import time

import pytest

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from tests.fixtures import TOKEN

ROOMS = "/api/video/rooms"


def _names(space):
    return sorted(room["name"] for room in space.state.rooms.values())


@pytest.mark.parametrize("kind", ["429", "500", "502", "503", "504", "drop"])
def test_get_is_retried_per_status_and_failure_kind(signalwire_space, make_client, kind):
    signalwire_space.seed_rooms(2)
    signalwire_space.inject_fault(ROOMS, kind, count=2, method="GET")
    client = make_client()
    assert len(client.request("GET", ROOMS)["data"]) == 2
    assert [r.status for r in signalwire_space.requests] == [None if kind == "drop" else int(kind)] * 2 + [
        200
    ]
    assert len(client.slept) == 2


@pytest.mark.parametrize("kind", ["429", "503"])
def test_post_is_retried_only_when_the_space_did_not_act(signalwire_space, make_client, kind):
    signalwire_space.inject_fault(ROOMS, kind, count=1, method="POST")
    room = make_client().request("POST", ROOMS, json={"name": f"once-{kind}"})
    assert room["name"] == f"once-{kind}" and _names(signalwire_space) == [f"once-{kind}"]


@pytest.mark.parametrize("kind", ["500", "502", "504", "drop"])
def test_post_is_never_repeated_after_an_ambiguous_failure(signalwire_space, make_client, kind):
    signalwire_space.inject_fault(ROOMS, kind, count=1, method="POST")
    client = make_client()
    with pytest.raises(SignalWireAPIError) as caught:
        client.request("POST", ROOMS, json={"name": "maybe"})
    assert len([r for r in signalwire_space.requests if r.method == "POST"]) == 1
    assert caught.value.attempts == 1 and client.slept == []
    assert caught.value.may_have_acted is True
    if kind == "drop":
        assert "may have acted" in str(caught.value) and caught.value.failure_kind == "dropped"


def test_a_refused_post_did_not_act(signalwire_space, make_client):
    with pytest.raises(SignalWireAPIError) as caught:
        make_client().request("POST", ROOMS, json={"name": "no spaces allowed!"})
    assert caught.value.status_code == 422 and caught.value.may_have_acted is False


def test_retry_after_is_honoured(signalwire_space, make_client):
    signalwire_space.inject_fault(ROOMS, "429", count=2, retry_after="2")
    client = make_client()
    client.request("GET", ROOMS)
    assert client.slept == [2.0, 2.0]


def test_retry_after_beyond_the_budget_gives_up_saying_so(signalwire_space, make_client):
    signalwire_space.inject_fault(ROOMS, "429", count=5, retry_after="120")
    client = make_client(retry_budget=200)
    with pytest.raises(SignalWireAPIError, match="budget of 200 s ran out") as caught:
        client.request("GET", ROOMS)
    assert client.slept == [120.0] and caught.value.status_code == 429


def test_paging_with_a_failing_page_yields_every_item_once(signalwire_space, make_client):
    signalwire_space.seed_rooms(7)
    signalwire_space.inject_fault(ROOMS, "502", count=1)
    rooms = make_client().listing(ROOMS, page_size=2)
    assert len(rooms) == len({r["id"] for r in rooms}) == 7
    assert [r.status for r in signalwire_space.requests] == [502, 200, 200, 200, 200]


@pytest.mark.parametrize("relative", [False, True])
def test_paging_rest_and_compatibility_with_max_items(signalwire_space, make_client, relative):
    signalwire_space.relative_links = relative
    signalwire_space.seed_rooms(5)
    signalwire_space.seed_messages(5)
    client = make_client()
    assert len(client.listing(ROOMS, page_size=2)) == 5
    messages = f"/api/laml/2010-04-01/Accounts/{signalwire_space.project_id}/Messages"
    assert len(client.listing(messages, page_size=2)) == 5
    assert len(client.listing(messages, page_size=2, max_items=3)) == 3


def test_compatibility_bodies_are_form_encoded(signalwire_space, make_client):
    messages = f"/api/laml/2010-04-01/Accounts/{signalwire_space.project_id}/Messages"
    sent = make_client().request(
        "POST", messages, json={"To": "+15551230000", "From": "+15559870000", "Body": "hi"}
    )
    assert sent["body"] == "hi"
    (post,) = [r for r in signalwire_space.requests if r.method == "POST"]
    assert post.headers["content-type"].startswith("application/x-www-form-urlencoded")


def test_a_token_without_the_scope_names_it(signalwire_space, make_client):
    conn = json.loads(signalwire_space.airflow_conn_json())
    conn["password"] = signalwire_space.add_token(scopes=("messaging",))
    conn.pop("conn_type")
    with pytest.raises(SignalWireAPIError) as caught:
        make_client(conn=conn).request("GET", ROOMS)
    assert caught.value.status_code in (401, 403) and "'Video' scope" in str(caught.value)


def test_a_wrong_token_fails_test_connection_without_echoing_it(signalwire_space, make_client):
    conn = json.loads(signalwire_space.airflow_conn_json())
    conn["password"] = "PTwrongwrongwrong"
    conn.pop("conn_type")
    ok, message = make_client(conn=conn).test_connection()
    assert not ok and "HTTP 401" in message and "PTwrongwrongwrong" not in message


def test_test_connection_names_the_space(signalwire_space, make_client):
    ok, message = make_client().test_connection()
    assert ok and f"127.0.0.1:{signalwire_space.port}" in message and TOKEN not in message


def test_422_names_the_attribute(signalwire_space, make_client):
    with pytest.raises(SignalWireAPIError) as caught:
        make_client().request("POST", ROOMS, json={"name": "no spaces allowed!"})
    assert caught.value.status_code == 422 and "name:" in str(caught.value)


def test_a_slow_post_times_out_and_is_not_sent_again(signalwire_space, make_client):
    signalwire_space.inject_fault(ROOMS, "delay", count=1, method="POST", delay=1.5)
    client = make_client(timeout=0.5)
    with pytest.raises(SignalWireAPIError, match="timed out") as caught:
        client.request("POST", ROOMS, json={"name": "slow"})
    assert caught.value.attempts == 1 and "may have acted" in str(caught.value)
    deadline = time.monotonic() + 5
    while not signalwire_space.state.rooms and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len([r for r in signalwire_space.requests if r.method == "POST"]) == 1


def test_a_slow_get_is_retried(signalwire_space, make_client):
    signalwire_space.inject_fault(ROOMS, "delay", count=1, method="GET", delay=1.5)
    client = make_client(timeout=0.5)
    assert client.request("GET", ROOMS) == {"data": [], "links": client.request("GET", ROOMS)["links"]}
    assert len(client.slept) == 1


def test_recording_uris_on_the_media_host_are_refused(signalwire_space, make_client):
    signalwire_space.seed_sessions(1, recordings_per_session=1)
    client = make_client()
    (recording,) = client.listing("/api/video/room_recordings")
    with pytest.raises(ValueError, match="full URL"):
        client.request("GET", recording["uri"])
    assert signalwire_space.media_requests == []


def test_a_bad_connection_fails_before_any_request(signalwire_space, make_client):
    conn = json.loads(signalwire_space.airflow_conn_json())
    conn.pop("conn_type")
    conn["host"] = "https//acme.signalwire.com"
    with pytest.raises(SignalWireConfigError, match="malformed scheme"):
        make_client(conn=conn).request("GET", ROOMS)
    assert signalwire_space.requests == []
