"""Drive the fake space with plain ``requests`` and validate every request and response
against SignalWire's official OpenAPI specs (openapi-core).

The specs are SignalWire's, from its public docs repository (github.com/signalwire/docs); they are
test data only, the package never reads them.  They are found through ``SIGNALWIRE_OPENAPI_DIR``, else
in ``../shared/signalwire-openapi`` beside the checkout.  Without them this module is skipped with
one line saying so, unless ``SIGNALWIRE_REQUIRE_SPECS=1`` (set by ``.ci/run``) makes that an error,
so CI cannot skip conformance silently.

Spec patches applied when loading, each for a documented quirk:
* ``servers`` is replaced by the fake's base URL so openapi-core can match paths;
* ``GET /api/video/rooms/{name}`` is dropped: it shares one template with
  ``/api/video/rooms/{id}`` in the spec, and openapi-core would route a
  by-name lookup to the ``{id}`` (uuid) template; by-name calls are validated against
  a second copy of the spec that keeps ``{name}`` and drops ``{id}``;
* security scheme ``scheme: Basic`` is lower-cased: HTTP auth scheme names are
  case-insensitive (RFC 7235) but openapi-core 0.23 compares them case-sensitively.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from airflow_provider_signalwire.testing import FakeSignalWireSpace


def _find_specs() -> tuple[Path | None, str]:
    """The specs folder, or None and where they were looked for."""
    explicit = os.environ.get("SIGNALWIRE_OPENAPI_DIR")
    checkout = Path(__file__).resolve().parents[3]
    folder = Path(explicit) if explicit else checkout.parent / "shared" / "signalwire-openapi"
    if (folder / "compatibility-api.yaml").is_file():
        return folder, ""
    where = f"SIGNALWIRE_OPENAPI_DIR={explicit}" if explicit else str(folder)
    return None, f"SignalWire OpenAPI specs not found (no compatibility-api.yaml in {where})"


_SPECS, _NOT_FOUND = _find_specs()
if _SPECS is None:
    # A wrong explicit SIGNALWIRE_OPENAPI_DIR, or CI (SIGNALWIRE_REQUIRE_SPECS=1): an error, not a skip.
    if os.environ.get("SIGNALWIRE_REQUIRE_SPECS") == "1":
        pytest.fail(f"{_NOT_FOUND}; SIGNALWIRE_REQUIRE_SPECS=1 requires them", pytrace=False)
    if os.environ.get("SIGNALWIRE_OPENAPI_DIR"):
        pytest.fail(_NOT_FOUND, pytrace=False)
    pytest.skip(
        f"{_NOT_FOUND}: conformance tests skipped; set SIGNALWIRE_OPENAPI_DIR (docs/development.md)",
        allow_module_level=True,
    )
SPECS: Path = _SPECS

FAMILY_FILES = {
    "/api/video": "per-family/video-api.yaml",
    "/api/voice": "per-family/voice-api.yaml",
    "/api/messaging": "per-family/messaging-api.yaml",
    "/api/fax": "per-family/fax-api.yaml",
    "/api/logs": "per-family/logs-api.yaml",
    "/api/project": "per-family/project-api.yaml",
    "/api/projects": "per-family/project-api.yaml",
    "/api/chat": "per-family/chat-api.yaml",
    "/api/pubsub": "per-family/pubsub-api.yaml",
    "/api/datasphere": "per-family/datasphere-api.yaml",
}
COMPAT = "/api/laml/2010-04-01"


@pytest.fixture(scope="module")
def space() -> Iterator[FakeSignalWireSpace]:
    with FakeSignalWireSpace() as fake:
        fake.clock.freeze()
        yield fake


class Validator:
    """Sends requests to the fake and validates both sides against the right spec."""

    def __init__(self, space: FakeSignalWireSpace) -> None:
        self.space = space
        self.raw: dict[str, dict[str, Any]] = {}
        self.apis: dict[str, Any] = {}
        self.checked: list[tuple[str, str, int]] = []

    def _load(self, key: str, by_name: bool = False) -> Any:
        cache_key = f"{key}:{by_name}"
        if cache_key in self.apis:
            return self.apis[cache_key]
        file = "compatibility-api.yaml" if key == COMPAT else FAMILY_FILES[key]
        if file not in self.raw:
            with open(SPECS / file) as fh:
                self.raw[file] = yaml.safe_load(fh)
        spec = copy.deepcopy(self.raw[file])
        base = self.space.base_url + (COMPAT if key == COMPAT else "")
        spec["servers"] = [{"url": base}]
        for scheme in spec.get("components", {}).get("securitySchemes", {}).values():
            if scheme.get("type") == "http":
                scheme["scheme"] = scheme["scheme"].lower()
        paths = spec["paths"]
        if "/api/video/rooms/{name}" in paths:
            # Quirk: both operations share one template; keep only the one being checked.
            paths.pop("/api/video/rooms/{id}" if by_name else "/api/video/rooms/{name}")
        api = OpenAPI.from_dict(spec)
        self.apis[cache_key] = api
        return api

    def api_for(self, path: str, by_name: bool = False) -> Any:
        if path.startswith(COMPAT):
            return self._load(COMPAT)
        for prefix in FAMILY_FILES:
            if path == prefix or path.startswith(prefix + "/"):
                return self._load(prefix, by_name)
        raise AssertionError(f"no spec for {path}")

    def call(
        self,
        method: str,
        path_or_url: str,
        *,
        auth: tuple[str, str] | str | None = "default",
        expect: int | None = None,
        by_name: bool = False,
        validate_request: bool = True,
        **kwargs: Any,
    ) -> requests.Response:
        url = path_or_url if path_or_url.startswith("https://") else self.space.base_url + path_or_url
        if auth == "default":
            auth = (self.space.project_id, self.space.api_token)
        req = requests.Request(method, url, auth=auth, **kwargs).prepare()
        with requests.Session() as session:
            resp = session.send(req, verify=self.space.ca_bundle, timeout=10)
        path = req.path_url.split("?")[0]
        api = self.api_for(path, by_name)
        openapi_req = RequestsOpenAPIRequest(req)
        if validate_request:
            api.validate_request(openapi_req)
        api.validate_response(openapi_req, RequestsOpenAPIResponse(resp))
        if expect is not None:
            assert resp.status_code == expect, resp.text
        self.checked.append((method, path, resp.status_code))
        return resp


@pytest.fixture(scope="module")
def v(space: FakeSignalWireSpace) -> Validator:
    return Validator(space)


@pytest.fixture(autouse=True)
def _clean(space: FakeSignalWireSpace) -> None:
    space.reset()
    space.relative_links = False


def _follow_all(v: Validator, first: str, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    url: str | None = first
    while url:
        body = v.call("GET", url, expect=200, **kwargs).json()
        items += body["data"]
        url = body["links"].get("next")
    return items


# ------------------------------------------------------------------- video
def test_rooms_crud(v: Validator, space: FakeSignalWireSpace) -> None:
    room = v.call(
        "POST",
        "/api/video/rooms",
        json={"name": "weekly_sync-1", "display_name": "Weekly", "max_members": 10, "meta": {"a": 1}},
        expect=200,
    ).json()
    assert room["name"] == "weekly_sync-1" and room["max_members"] == 10
    got = v.call("GET", f"/api/video/rooms/{room['id']}", expect=200).json()
    assert got["id"] == room["id"]
    by_name = v.call("GET", "/api/video/rooms/weekly_sync-1", expect=200, by_name=True).json()
    assert by_name["id"] == room["id"]
    upd = v.call(
        "PUT", f"/api/video/rooms/{room['id']}", json={"description": "d", "layout": "2x2"}, expect=200
    ).json()
    assert upd["description"] == "d" and upd["layout"] == "2x2"
    listed = v.call("GET", "/api/video/rooms", expect=200).json()
    assert [r["id"] for r in listed["data"]] == [room["id"]]
    assert "next" not in listed["links"]
    v.call("DELETE", f"/api/video/rooms/{room['id']}", expect=204)
    v.call("GET", f"/api/video/rooms/{room['id']}", expect=404)
    v.call("DELETE", f"/api/video/rooms/{room['id']}", expect=404)
    v.call("PUT", f"/api/video/rooms/{room['id']}", json={"description": "x"}, expect=404)


@pytest.mark.parametrize(
    "body",
    [
        {"name": "has space"},
        {"name": "x" * 101},
        {"name": "ok", "max_members": 0},
        {"name": "ok", "quality": "4k"},
        {"name": "ok", "bogus": 1},
        {"display_name": "no name"},
    ],
)
def test_room_create_invalid_422(v: Validator, body: dict[str, Any]) -> None:
    resp = v.call("POST", "/api/video/rooms", json=body, expect=422, validate_request=False)
    assert resp.json()["errors"][0]["attribute"]


def test_room_duplicate_name_422(v: Validator) -> None:
    v.call("POST", "/api/video/rooms", json={"name": "dup"}, expect=200)
    err = v.call("POST", "/api/video/rooms", json={"name": "dup"}, expect=422).json()
    assert err["errors"][0]["attribute"] == "name"


def test_room_token_is_jwt_shaped_and_autocreates(v: Validator) -> None:
    tok = v.call(
        "POST",
        "/api/video/room_tokens",
        json={"room_name": "auto_room", "user_name": "ann", "permissions": ["room.self.audio_mute"]},
        expect=200,
    ).json()["token"]
    assert tok.count(".") == 2
    v.call("GET", "/api/video/rooms/auto_room", expect=200, by_name=True)
    v.call(
        "POST", "/api/video/room_tokens", json={"room_name": "bad name"}, expect=422, validate_request=False
    )


def test_sessions_members_events_recordings(v: Validator, space: FakeSignalWireSpace) -> None:
    space.seed_rooms(2)
    sessions = space.seed_sessions(3, recordings_per_session=2)
    listed = v.call("GET", "/api/video/room_sessions", expect=200).json()["data"]
    assert {s["id"] for s in listed} == {s["id"] for s in sessions}
    room_id = sessions[0]["room_id"]
    filtered = v.call("GET", "/api/video/room_sessions", params={"room_id": room_id}, expect=200).json()
    assert all(s["room_id"] == room_id for s in filtered["data"])
    v.call("GET", "/api/video/room_sessions", params={"status": "completed", "room_name_matches": "seed"})
    sid = sessions[0]["id"]
    assert v.call("GET", f"/api/video/room_sessions/{sid}", expect=200).json()["id"] == sid
    members = v.call("GET", f"/api/video/room_sessions/{sid}/members", expect=200).json()["data"]
    assert len(members) == 2
    events = v.call("GET", f"/api/video/room_sessions/{sid}/events", expect=200).json()["data"]
    assert events
    recs = v.call("GET", f"/api/video/room_sessions/{sid}/recordings", expect=200).json()["data"]
    assert len(recs) == 2
    all_recs = v.call("GET", "/api/video/room_recordings", expect=200).json()["data"]
    assert len(all_recs) == 6
    rec = v.call("GET", f"/api/video/room_recordings/{recs[0]['id']}", expect=200).json()
    assert rec["uri"].startswith(space.media_base_url + "/recordings/")
    v.call("DELETE", f"/api/video/room_recordings/{rec['id']}", expect=204)
    v.call("GET", f"/api/video/room_recordings/{rec['id']}", expect=404)
    v.call("GET", f"/api/video/room_sessions/{'0' * 8}-0000-4000-8000-{'0' * 12}", expect=404)


def test_conferences(v: Validator) -> None:
    conf = v.call("POST", "/api/video/conferences", json={"display_name": "All hands"}, expect=200).json()
    assert v.call("GET", f"/api/video/conferences/{conf['id']}", expect=200).json()["id"] == conf["id"]
    assert len(v.call("GET", "/api/video/conferences", expect=200).json()["data"]) == 1
    v.call("POST", "/api/video/conferences", json={"name": "x"}, expect=422, validate_request=False)


# -------------------------------------------------------------------- logs
LOG_PATHS = {
    "voice": "/api/voice/logs",
    "messaging": "/api/messaging/logs",
    "fax": "/api/fax/logs",
    "video": "/api/video/logs",
    "conferences": "/api/logs/conferences",
}


@pytest.mark.parametrize("kind", list(LOG_PATHS))
def test_logs_families_with_date_filters(v: Validator, space: FakeSignalWireSpace, kind: str) -> None:
    start = datetime(2024, 5, 1, tzinfo=timezone.utc)
    seeded = space.seed_logs(kind, 10, start, start + timedelta(days=10))
    path = LOG_PATHS[kind]
    everything = v.call("GET", path, expect=200).json()["data"]
    assert len(everything) == 10
    window = v.call(
        "GET",
        path,
        params={"created_after": "2024-05-03", "created_before": "2024-05-06T00:00:00Z"},
        expect=200,
    ).json()["data"]
    assert len(window) == 3
    assert all("2024-05-03" <= log["created_at"] < "2024-05-06" for log in window)
    if kind != "conferences":
        one = v.call("GET", f"{path}/{seeded[0]['id']}", expect=200).json()
        assert one["id"] == seeded[0]["id"]
        v.call("GET", f"{path}/{'1' * 8}-1111-4111-8111-{'1' * 12}", expect=404)


def test_voice_log_events(v: Validator, space: FakeSignalWireSpace) -> None:
    seeded = space.seed_logs(
        "voice", 2, datetime(2024, 5, 1, tzinfo=timezone.utc), datetime(2024, 5, 2, tzinfo=timezone.utc)
    )
    calls = space.seed_calls(1)
    for log_id in (seeded[0]["id"], calls[0]["sid"]):
        events = v.call("GET", f"/api/voice/logs/{log_id}/events", expect=200).json()["data"]
        assert events and {e["log_id"] for e in events} == {log_id}
        assert [e["event_at"] for e in events] == sorted(e["event_at"] for e in events)
    v.call("GET", f"/api/voice/logs/{'1' * 8}-1111-4111-8111-{'1' * 12}/events", expect=404)
    token = space.add_token(("messaging",))
    v.call("GET", f"/api/voice/logs/{seeded[0]['id']}/events", auth=(space.project_id, token), expect=401)


def test_paging_links_follow_to_the_end(v: Validator, space: FakeSignalWireSpace) -> None:
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    space.seed_logs("voice", 7, start, start + timedelta(hours=7))
    first = v.call("GET", "/api/voice/logs", params={"page_size": 3}, expect=200).json()
    assert first["links"]["next"].startswith(space.base_url + "/api/voice/logs?")
    assert "prev" not in first["links"]
    items = _follow_all(v, "/api/voice/logs?page_size=3")
    assert len(items) == 7 and len({i["id"] for i in items}) == 7
    space.relative_links = True
    rel = v.call("GET", "/api/voice/logs", params={"page_size": 3}, expect=200).json()
    assert rel["links"]["next"].startswith("/api/voice/logs?")


def test_page_size_over_max_422(v: Validator) -> None:
    err = v.call(
        "GET", "/api/video/rooms", params={"page_size": 1001}, expect=422, validate_request=False
    ).json()
    assert err["errors"][0]["attribute"] == "page_size"


def test_unauthorized_401(v: Validator, space: FakeSignalWireSpace) -> None:
    body = v.call("GET", "/api/video/rooms", auth=(space.project_id, "PTwrong"), expect=401).json()
    assert body == {"error": "Unauthorized"}
    v.call("GET", "/api/voice/logs", auth=None, expect=401, validate_request=False)
    v.call("GET", f"{COMPAT}/Accounts/{space.project_id}", auth=("nope", "nope"), expect=401)


# ------------------------------------------------------------ compatibility
def _acct(space: FakeSignalWireSpace) -> str:
    return f"{COMPAT}/Accounts/{space.project_id}"


def test_account(v: Validator, space: FakeSignalWireSpace) -> None:
    acct = v.call("GET", _acct(space), expect=200).json()
    assert acct["sid"] == space.project_id and acct["friendly_name"] == "Fake SignalWire space"


def test_messages_create_fetch_list(v: Validator, space: FakeSignalWireSpace) -> None:
    base = _acct(space)
    msg = v.call(
        "POST",
        f"{base}/Messages",
        data={"To": "+15551230001", "From": "+15557650001", "Body": "hi"},
        expect=201,
    ).json()
    assert msg["status"] == "queued"
    space.clock.advance(5)
    got = v.call("GET", f"{base}/Messages/{msg['sid']}", expect=200).json()
    assert got["status"] == "delivered"
    for i in range(4):
        v.call(
            "POST", f"{base}/Messages", data={"To": f"+1555123000{i}", "From": "+15557650001", "Body": "x"}
        )
    page = v.call("GET", f"{base}/Messages", params={"PageSize": 2}, expect=200).json()
    assert len(page["messages"]) == 2 and page["next_page_uri"].startswith(f"{base}/Messages?")
    seen = []
    uri: str | None = f"{base}/Messages?PageSize=2"
    while uri:
        body = v.call("GET", uri, expect=200).json()
        seen += body["messages"]
        uri = body["next_page_uri"]
    assert len(seen) == 5
    today = space.clock.now().date().isoformat()
    dated = v.call("GET", f"{base}/Messages", params={"DateSent>": today, "DateSent<": today}, expect=200)
    assert len(dated.json()["messages"]) == 5
    v.call("GET", f"{base}/Messages", params={"DateSent<": "2000-01-01"}, expect=200)
    v.call("GET", f"{base}/Messages/{'2' * 8}-2222-4222-8222-{'2' * 12}", expect=404)


@pytest.mark.parametrize("field", ["To", "From"])
def test_message_bad_e164_422(v: Validator, space: FakeSignalWireSpace, field: str) -> None:
    data = {"To": "+15551230001", "From": "+15557650001", "Body": "hi", field: "555-not-e164"}
    err = v.call("POST", f"{_acct(space)}/Messages", data=data, expect=422).json()
    assert err["code"] in (21211, 21212) and err["status"] == 422


def test_calls_create_fetch_list(v: Validator, space: FakeSignalWireSpace) -> None:
    base = _acct(space)
    call = v.call(
        "POST",
        f"{base}/Calls",
        data={"To": "+15551230001", "From": "+15557650001", "Url": "https://example.com/laml.xml"},
        expect=200,
    ).json()
    assert call["status"] == "queued"
    for seconds, status in ((1, "ringing"), (2, "in-progress"), (20, "completed")):
        space.clock.advance(seconds)
        assert v.call("GET", f"{base}/Calls/{call['sid']}", expect=200).json()["status"] == status
    listed = v.call("GET", f"{base}/Calls", params={"Status": "completed"}, expect=200).json()
    assert [c["sid"] for c in listed["calls"]] == [call["sid"]]
    v.call("GET", f"{base}/Calls", params={"StartTime>": "2000-01-01"}, expect=200)
    v.call(
        "POST",
        f"{base}/Calls",
        data={"To": "bogus", "From": "+15557650001", "Url": "https://e.x"},
        expect=422,
    )
    v.call("GET", f"{base}/Calls/{'3' * 8}-3333-4333-8333-{'3' * 12}", expect=404)


# --------------------------------------------------------------- bad input
from tests.unit.testing.test_hardening import BAD_REQUESTS  # noqa: E402  (beside its only use)


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_bad_input_answers_are_the_specs(v: Validator, space: FakeSignalWireSpace, case: str) -> None:
    """Each refused input of the hardening table answers a status and body its spec declares."""
    bad = BAD_REQUESTS[case]
    headers = {**({"Content-Type": "application/json"} if bad.body is not None else {}), **bad.headers}
    v.call(
        bad.method,
        bad.path.format(project=space.project_id),
        auth=None if "Authorization" in headers else "default",
        expect=bad.status,
        validate_request=False,
        params=bad.params,
        data=bad.body.encode("utf-8", "surrogatepass") if bad.body is not None else None,
        headers=headers,
    )
