"""The fake's token routes against SignalWire's specs: API tokens (``/api/project/tokens`` and the
Compatibility API's ``/tokens``), chat and pubsub tokens; and what a token may do once created,
changed or deleted."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_signalwire.testing import FakeSignalWireSpace
from tests.unit.testing import test_conformance as conformance
from tests.unit.testing.test_conformance import COMPAT, Validator

# The conformance module's fixtures: one fake space for the module, the validator, a reset per test.
space = conformance.space
v = conformance.v
_clean = conformance._clean

TOKENS = "/api/project/tokens"


def _auth(space: FakeSignalWireSpace, token: str) -> tuple[str, str]:
    return (space.project_id, token)


def test_create_update_delete_api_token(v: Validator, space: FakeSignalWireSpace) -> None:
    created = v.call("POST", TOKENS, json={"name": "app", "permissions": ["video", "fax"]}, expect=200).json()
    assert created["permissions"] == ["video", "fax"] and created["token"].startswith("PT")
    auth = _auth(space, created["token"])
    # At once, with exactly its permissions.
    v.call("GET", "/api/video/rooms", auth=auth, expect=200)
    v.call("GET", "/api/fax/logs", auth=auth, expect=200)
    v.call("GET", "/api/messaging/logs", auth=auth, expect=401)
    v.call("POST", TOKENS, auth=auth, json={"name": "x", "permissions": ["video"]}, expect=401)
    # An update applies from the next request; the answer holds the (same) token.
    updated = v.call(
        "PATCH", f"{TOKENS}/{created['id']}", json={"permissions": ["messaging"]}, expect=200
    ).json()
    assert updated["token"] == created["token"] and updated["name"] == "app"
    v.call("GET", "/api/video/rooms", auth=auth, expect=401)  # (the video spec declares 401 for this)
    v.call("GET", "/api/messaging/logs", auth=auth, expect=200)
    renamed = v.call("PATCH", f"{TOKENS}/{created['id']}", json={"name": "app 2"}, expect=200).json()
    assert renamed["permissions"] == ["messaging"] and renamed["name"] == "app 2"
    assert [t["name"] for t in space.api_tokens()][-1] == "app 2"
    # Deleted: 401 from the next request, 404 for the id.
    v.call("DELETE", f"{TOKENS}/{created['id']}", expect=204)
    v.call("GET", "/api/messaging/logs", auth=auth, expect=401)
    v.call("DELETE", f"{TOKENS}/{created['id']}", expect=404)
    v.call("PATCH", f"{TOKENS}/{created['id']}", json={"name": "x"}, expect=404)
    assert created["id"] not in [t["id"] for t in space.api_tokens()]


def test_tokens_need_the_management_permission(v: Validator, space: FakeSignalWireSpace) -> None:
    video_only = space.add_token(["video"])
    target = v.call("POST", TOKENS, json={"name": "t", "permissions": ["video"]}, expect=200).json()
    auth = _auth(space, video_only)
    before = space.api_tokens()
    v.call("POST", TOKENS, auth=auth, json={"name": "x", "permissions": ["video"]}, expect=401)
    v.call("PATCH", f"{TOKENS}/{target['id']}", auth=auth, json={"name": "x"}, expect=401)
    v.call("DELETE", f"{TOKENS}/{target['id']}", auth=auth, expect=401)
    assert space.api_tokens() == before


@pytest.mark.parametrize(
    "body",
    [
        {"permissions": ["video"]},
        {"name": "x"},
        {"name": "x", "permissions": []},
        {"name": "x", "permissions": ["voice"]},
        {"name": "x", "permissions": ["video"], "bogus": 1},
        {"name": " ", "permissions": ["video"]},
        {"name": "x", "permissions": ["video"], "subproject_id": "9a7fc048-984f-11ee-b9d1-0242ac120002"},
    ],
)
def test_create_api_token_invalid_422(v: Validator, space: FakeSignalWireSpace, body: dict[str, Any]) -> None:
    before = space.api_tokens()
    errors = v.call("POST", TOKENS, json=body, expect=422, validate_request=False).json()["errors"]
    assert errors[0]["attribute"]
    assert space.api_tokens() == before


def test_update_unknown_or_malformed_id_404(v: Validator) -> None:
    v.call("PATCH", f"{TOKENS}/{'0' * 8}-0000-4000-8000-{'0' * 12}", json={"name": "x"}, expect=404)
    v.call("DELETE", f"{TOKENS}/{'0' * 8}-0000-4000-8000-{'0' * 12}", expect=404)
    v.call(
        "PATCH",
        f"{TOKENS}/{'0' * 8}-0000-4000-8000-{'0' * 12}",
        json={"permissions": ["x"]},
        expect=404,
        validate_request=False,
    )


def test_compatibility_tokens(v: Validator, space: FakeSignalWireSpace) -> None:
    base = f"{COMPAT}/Accounts/{space.project_id}/tokens"
    created = v.call("POST", base, data={"name": "c", "permissions": ["chat", "pubsub"]}, expect=200).json()
    assert created["permissions"] == ["chat", "pubsub"]
    v.call(
        "POST",
        "/api/chat/tokens",
        auth=_auth(space, created["token"]),
        json={"ttl": 5, "channels": {"a": {"read": True}}},
        expect=200,
    )
    bad = v.call("POST", base, data={"name": "c", "permissions": "nope"}, expect=422).json()
    assert bad["attribute"] == "permissions"
    v.call("PATCH", f"{base}/{created['id']}", json={"name": "c2", "permissions": ["chat"]}, expect=200)
    v.call("DELETE", f"{base}/{created['id']}", expect=204)
    v.call("DELETE", f"{base}/{created['id']}", expect=404)


@pytest.mark.parametrize("service", ["chat", "pubsub"])
def test_browser_tokens(v: Validator, space: FakeSignalWireSpace, service: str) -> None:
    path = f"/api/{service}/tokens"
    body = {
        "ttl": 60,
        "channels": {"lobby": {"read": True, "write": False}},
        "member_id": "ann",
        "state": {"a": 1},
    }
    token = v.call("POST", path, json=body, expect=200).json()["token"]
    assert token.count(".") == 2
    minted = list(space.state.browser_tokens.values())
    assert [(t["service"], t["member_id"]) for t in minted] == [(service, "ann")]
    other = "pubsub" if service == "chat" else "chat"
    v.call("POST", path, auth=_auth(space, space.add_token([other])), json=body, expect=401)
    bad_bodies = [
        {"ttl": 0, "channels": {"a": {"read": True}}},
        {"ttl": 5, "channels": {}},
        {"ttl": 5, "channels": {"a": {}}},
    ]
    if service == "chat":
        bad_bodies.append({"ttl": 5, "channels": {"sw_x": {"read": True}}})
    for bad in bad_bodies:
        v.call("POST", path, json=bad, expect=422, validate_request=False)


def test_reset_forgets_api_made_tokens_and_restores_the_controls(
    v: Validator, space: FakeSignalWireSpace
) -> None:
    kept = space.add_token(["video"], name="kept")
    kept_id = space.token_id(kept)
    made = v.call("POST", TOKENS, json={"name": "made", "permissions": ["video"]}, expect=200).json()
    v.call("PATCH", f"{TOKENS}/{kept_id}", json={"permissions": ["fax"]}, expect=200)
    v.call("DELETE", f"{TOKENS}/{space.token_id(space.api_token)}", expect=204)
    assert space.token_id(space.api_token) is None
    space.reset()
    ids = [t["id"] for t in space.api_tokens()]
    assert made["id"] not in ids and kept_id in ids and space.token_id(space.api_token) in ids
    v.call("GET", "/api/video/rooms", auth=_auth(space, kept), expect=200)
    v.call("GET", "/api/video/rooms", expect=200)


def test_list_projects_needs_management(v: Validator, space: FakeSignalWireSpace) -> None:
    listed = v.call("GET", "/api/projects", params={"page_size": 1}, expect=200).json()
    assert [p["id"] for p in listed["data"]] == [space.project_id]
    v.call("GET", "/api/projects", auth=_auth(space, space.add_token(["video"])), expect=401)
