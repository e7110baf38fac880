"""Hook and operators end to end on the offline fake space (real HTTPS, spec-shaped answers)."""

from __future__ import annotations

import time

import pytest

from airflow_provider_signalwire.exceptions import SignalWireAPIError
from airflow_provider_signalwire.hooks.signalwire import SignalWireHook
from airflow_provider_signalwire.operators.api import SignalWireAPIOperator
from airflow_provider_signalwire.operators.video import ListVideoRoomsOperator


@pytest.fixture
def hook(signalwire_space):
    hook = SignalWireHook(retry_backoff=0.01)
    yield hook
    hook.close()


def _room_names(space):
    return sorted(room["name"] for room in space.state.rooms.values())


def test_test_connection(signalwire_space, hook):
    ok, message = hook.test_connection()
    assert ok, message
    assert f"127.0.0.1:{signalwire_space.port}" in message


def test_wrong_token_fails_test_connection_with_a_clear_message(signalwire_space, monkeypatch):
    import json

    conn = json.loads(signalwire_space.airflow_conn_json())
    conn["password"] = "PTwrongwrongwrong"
    monkeypatch.setenv("AIRFLOW_CONN_SIGNALWIRE_DEFAULT", json.dumps(conn))
    ok, message = SignalWireHook().test_connection()
    assert not ok
    assert "HTTP 401" in message and "Project ID (login)" in message
    assert "PTwrongwrongwrong" not in message


@pytest.mark.parametrize("relative", [False, True])
def test_paginate_rooms_across_pages(signalwire_space, hook, relative):
    signalwire_space.relative_links = relative
    seeded = signalwire_space.seed_rooms(7)
    rooms = list(hook.paginate("/api/video/rooms", page_size=3))
    assert sorted(r["id"] for r in rooms) == sorted(r["id"] for r in seeded)
    gets = [r for r in signalwire_space.requests if r.method == "GET"]
    assert len(gets) == 3  # 3 + 3 + 1


def test_a_failing_page_is_retried_alone_and_every_item_comes_once(signalwire_space, hook):
    signalwire_space.seed_rooms(6)
    signalwire_space.inject_fault("/api/video/rooms", "502", count=1)  # hits the first page
    rooms = list(hook.paginate("/api/video/rooms", page_size=2))
    assert len(rooms) == len({r["id"] for r in rooms}) == 6
    statuses = [r.status for r in signalwire_space.requests]
    assert statuses == [502, 200, 200, 200]


def test_429_with_retry_after_then_success(signalwire_space, hook):
    signalwire_space.inject_fault("/api/video/rooms", "429", count=2, retry_after="0")
    created = hook.request("POST", "/api/video/rooms", json={"name": "after-429"})
    assert created["name"] == "after-429"
    assert [r.status for r in signalwire_space.requests] == [429, 429, 200]
    assert _room_names(signalwire_space) == ["after-429"]


def test_post_503_retried_creates_exactly_one_room(signalwire_space, hook):
    signalwire_space.inject_fault("/api/video/rooms", "503", count=1, method="POST")
    hook.request("POST", "/api/video/rooms", json={"name": "once"})
    assert _room_names(signalwire_space) == ["once"]


@pytest.mark.parametrize("kind", ["500", "502", "504", "drop"])
def test_post_not_retried_when_the_space_may_have_acted(signalwire_space, hook, kind):
    signalwire_space.inject_fault("/api/video/rooms", kind, count=1, method="POST")
    with pytest.raises(SignalWireAPIError):
        hook.request("POST", "/api/video/rooms", json={"name": "maybe"})
    assert len([r for r in signalwire_space.requests if r.method == "POST"]) == 1


def test_get_retried_after_a_dropped_connection(signalwire_space, hook):
    signalwire_space.seed_rooms(1)
    signalwire_space.inject_fault("/api/video/rooms", "drop", count=1, method="GET")
    assert len(list(hook.paginate("/api/video/rooms"))) == 1
    assert [r.status for r in signalwire_space.requests] == [None, 200]


def test_read_timeout_on_post_is_not_retried(signalwire_space):
    signalwire_space.inject_fault("/api/video/rooms", "delay", count=1, method="POST", delay=1.5)
    hook = SignalWireHook(timeout=0.5, retry_backoff=0.01)
    with pytest.raises(SignalWireAPIError, match="timed out"):
        hook.request("POST", "/api/video/rooms", json={"name": "slow"})
    # The space acted although the client gave up: exactly why the POST must not be sent again.
    deadline = time.monotonic() + 5
    while not signalwire_space.state.rooms and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _room_names(signalwire_space) == ["slow"]
    assert len([r for r in signalwire_space.requests if r.method == "POST"]) == 1


def test_422_names_the_attribute(signalwire_space, hook):
    with pytest.raises(SignalWireAPIError) as err:
        hook.request("POST", "/api/video/rooms", json={"name": "no spaces allowed!"})
    assert err.value.status_code == 422
    assert any(e.get("attribute") == "name" for e in err.value.errors)
    assert "name:" in str(err.value)
    assert signalwire_space.state.rooms == {}


def test_404_for_unknown_room(signalwire_space, hook):
    with pytest.raises(SignalWireAPIError) as err:
        hook.request("GET", "/api/video/rooms/00000000-0000-0000-0000-000000000000")
    assert err.value.status_code == 404


def test_token_without_video_scope(signalwire_space, monkeypatch):
    import json

    conn = json.loads(signalwire_space.airflow_conn_json())
    conn["password"] = signalwire_space.add_token(scopes=("messaging",))
    monkeypatch.setenv("AIRFLOW_CONN_SIGNALWIRE_DEFAULT", json.dumps(conn))
    with pytest.raises(SignalWireAPIError) as err:
        SignalWireHook(retry_backoff=0.01).request("GET", "/api/video/rooms")
    assert err.value.status_code in (401, 403)
    assert "'Video' scope" in str(err.value)


def test_compatibility_messages_form_encoded_and_paged(signalwire_space, hook):
    path = f"/api/laml/2010-04-01/Accounts/{signalwire_space.project_id}/Messages"
    for i in range(5):
        msg = hook.request(
            "POST", path, json={"To": "+15551230000", "From": "+15559870000", "Body": f"hi {i}"}
        )
        assert msg["body"] == f"hi {i}"
    posted = [r for r in signalwire_space.requests if r.method == "POST"]
    assert all(r.headers["content-type"].startswith("application/x-www-form-urlencoded") for r in posted)
    messages = list(hook.paginate(path, page_size=2))
    assert sorted(m["body"] for m in messages) == [f"hi {i}" for i in range(5)]


def test_bad_phone_number_error_parsed(signalwire_space, hook):
    path = f"/api/laml/2010-04-01/Accounts/{signalwire_space.project_id}/Messages"
    with pytest.raises(SignalWireAPIError) as err:
        hook.request("POST", path, json={"To": "555", "From": "+15559870000", "Body": "x"})
    assert err.value.errors and err.value.errors[0].get("code")


def test_recording_links_on_another_host_are_never_followed(signalwire_space, hook):
    """Recording ``uri`` points at the media host: the hook refuses it instead of sending credentials."""
    signalwire_space.seed_sessions(1, recordings_per_session=2)
    recordings = list(hook.paginate("/api/video/room_recordings"))
    assert len(recordings) == 2
    assert all(r["uri"].startswith(signalwire_space.media_base_url) for r in recordings)
    for recording in recordings:
        with pytest.raises(ValueError, match="full URL"):
            hook.request("GET", recording["uri"])
    assert signalwire_space.media_requests == []


def test_one_connection_is_kept_alive_across_pages_and_retries(signalwire_space, hook, caplog):
    import logging

    signalwire_space.seed_rooms(9)
    signalwire_space.inject_fault("/api/video/rooms", "503", count=1)
    caplog.set_level(logging.DEBUG, logger="urllib3.connectionpool")
    rooms = list(hook.paginate("/api/video/rooms", page_size=2))
    hook.request("GET", "/api/video/rooms")
    assert len(rooms) == 9
    assert len(signalwire_space.requests) == 7  # 1 failed + 5 pages + 1 call
    opened = [r for r in caplog.records if "Starting new HTTPS connection" in r.getMessage()]
    assert len(opened) == 1


def test_operators_create_list_delete(signalwire_space):
    created = SignalWireAPIOperator(
        task_id="create", method="POST", path="/api/video/rooms", json={"name": "op-room"}
    ).execute({})
    signalwire_space.seed_rooms(2)
    rooms = ListVideoRoomsOperator(task_id="list", page_size=1).execute({})
    assert {r["name"] for r in rooms} >= {"op-room"} and len(rooms) == 3
    assert (
        SignalWireAPIOperator(
            task_id="delete", method="DELETE", path=f"/api/video/rooms/{created['id']}"
        ).execute({})
        is None
    )
    assert "op-room" not in _room_names(signalwire_space)


def test_every_request_carries_basic_auth_and_user_agent(signalwire_space, hook):
    hook.request("GET", "/api/video/rooms")
    request = signalwire_space.requests[-1]
    assert request.has_auth and request.headers["authorization"] == "<redacted>"
    assert request.headers["user-agent"].startswith("airflow-provider-signalwire/")
