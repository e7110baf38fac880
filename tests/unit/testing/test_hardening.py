"""The fake space refuses bad input with the spec's 4xx and error body, never a 500; its control
API refuses bad values with a ValueError naming the argument (issue 7, "The fake space")."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from airflow_provider_signalwire.testing import FakeSignalWireSpace

COMPAT = "/api/laml/2010-04-01"
ACCOUNT = COMPAT + "/Accounts/{project}"
JSON = {"Content-Type": "application/json"}
REASONS = {400: "Bad Request", 401: "Unauthorized"}


def token(text: str) -> str:
    """A page token in the fake's format, carrying ``text``."""
    return "PA" + base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@dataclass(frozen=True)
class Bad:
    """One bad request and the answer the spec gives it: ``shape`` is ``api`` ({"error"}),
    ``api422`` ({"errors": [...]} naming ``attribute``) or ``compat`` ({code, message, ...})."""

    method: str
    path: str
    status: int
    shape: str
    params: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    attribute: str | None = None


def deep(depth: int) -> str:
    return '{"name": "deep", "meta": ' + '{"a": ' * depth + "1" + "}" * depth + "}"


BAD_REQUESTS: dict[str, Bad] = {
    # JSON bodies nested very deep (past the parser's recursion limit, and past what can be echoed)
    "json-deep-arrays": Bad("POST", "/api/video/rooms", 400, "api", body="[" * 100_000 + "]" * 100_000),
    "json-deep-object": Bad("POST", "/api/video/rooms", 400, "api", body=deep(900)),
    "json-deep-room-token": Bad("POST", "/api/video/room_tokens", 400, "api", body=deep(5000)),
    "json-nan": Bad("POST", "/api/video/rooms", 400, "api", body='{"name": "n", "meta": {"x": NaN}}'),
    "json-lone-surrogate": Bad(
        "POST", "/api/video/conferences", 400, "api", body='{"display_name": "\\ud800"}'
    ),
    "json-huge-number": Bad(
        "POST", "/api/video/rooms", 400, "api", body='{"name": "n", "max_members": ' + "9" * 5000 + "}"
    ),
    # out-of-range timestamps in date filters
    "logs-timestamp-overflow": Bad(
        "GET", "/api/voice/logs", 422, "api422", {"created_after": "9" * 400}, attribute="created_after"
    ),
    "logs-day-at-year-9999": Bad(
        "GET", "/api/messaging/logs", 422, "api422", {"created_on": "9999-12-31"}, attribute="created_on"
    ),
    "logs-year-1-with-offset": Bad(
        "GET",
        "/api/fax/logs",
        422,
        "api422",
        {"created_before": "0001-01-01T00:00:00+01:00"},
        attribute="created_before",
    ),
    "rooms-starts-after-overflow": Bad(
        "GET", "/api/video/rooms", 422, "api422", {"starts_after": "9" * 30}, attribute="starts_after"
    ),
    "conferences-ends-before-year-0": Bad(
        "GET", "/api/video/conferences", 422, "api422", {"ends_before": "0000-01-01"}, attribute="ends_before"
    ),
    "messages-datesent-year-9999": Bad(
        "GET", ACCOUNT + "/Messages", 400, "compat", {"DateSent": "9999-12-31"}
    ),
    "messages-datesent-before-max": Bad(
        "GET", ACCOUNT + "/Messages", 400, "compat", {"DateSent<": "9999-12-31T23:59:59Z"}
    ),
    "calls-starttime-overflow": Bad("GET", ACCOUNT + "/Calls", 400, "compat", {"StartTime>": "9" * 400}),
    "calls-endtime-year-1": Bad(
        "GET", ACCOUNT + "/Calls", 400, "compat", {"EndTime": "0001-01-01T00:00:00+05:00"}
    ),
    # odd page tokens and page sizes
    "page-token-superscript": Bad(
        "GET", "/api/video/rooms", 422, "api422", {"page_token": token("offset:²")}, attribute="page_token"
    ),
    "page-token-5000-digits": Bad(
        "GET",
        "/api/video/room_recordings",
        422,
        "api422",
        {"page_token": token("offset:" + "9" * 5000)},
        attribute="page_token",
    ),
    "page-token-negative": Bad(
        "GET", "/api/voice/logs", 422, "api422", {"page_token": token("offset:-5")}, attribute="page_token"
    ),
    "page-token-not-ours": Bad(
        "GET",
        "/api/video/room_sessions",
        422,
        "api422",
        {"page_token": "PA\u00e9\u00e9"},
        attribute="page_token",
    ),
    "page-size-zero": Bad(
        "GET", "/api/video/rooms", 422, "api422", {"page_size": "0"}, attribute="page_size"
    ),
    "page-size-float": Bad(
        "GET", "/api/video/rooms", 422, "api422", {"page_size": "1e3"}, attribute="page_size"
    ),
    "page-size-5000-digits": Bad(
        "GET", "/api/video/rooms", 422, "api422", {"page_size": "9" * 5000}, attribute="page_size"
    ),
    "page-number-negative": Bad(
        "GET", "/api/video/rooms", 422, "api422", {"page_number": "-1"}, attribute="page_number"
    ),
    # non-numeric Compatibility paging parameters
    "compat-page-word": Bad("GET", ACCOUNT + "/Messages", 400, "compat", {"Page": "abc"}),
    "compat-page-negative": Bad("GET", ACCOUNT + "/Calls", 400, "compat", {"Page": "-1"}),
    "compat-page-huge": Bad("GET", ACCOUNT + "/Messages", 400, "compat", {"Page": "9" * 5000}),
    "compat-pagesize-word": Bad("GET", ACCOUNT + "/Messages", 400, "compat", {"PageSize": "ten"}),
    "compat-pagesize-superscript": Bad("GET", ACCOUNT + "/Calls", 400, "compat", {"PageSize": "²"}),
    "compat-pagesize-zero": Bad("GET", ACCOUNT + "/Calls", 400, "compat", {"PageSize": "0"}),
    "compat-pagetoken-garbage": Bad("GET", ACCOUNT + "/Messages", 400, "compat", {"PageToken": "garbage"}),
    "compat-pagetoken-superscript": Bad(
        "GET", ACCOUNT + "/Calls", 400, "compat", {"PageToken": token("offset:²")}
    ),
    # credentials that are not even base64/ASCII are just wrong credentials
    "basic-auth-not-ascii": Bad(
        "GET", "/api/video/rooms", 401, "api", headers={"Authorization": "Basic \u00e9t\u00e9"}
    ),
}


@pytest.fixture(scope="module")
def seeded() -> Iterator[FakeSignalWireSpace]:
    """One space with data in every list, so filters and paging run over real items."""
    with FakeSignalWireSpace(seed="demo") as space:
        space.clock.freeze()
        yield space


def send(space: FakeSignalWireSpace, bad: Bad) -> requests.Response:
    headers = {**(JSON if bad.body is not None else {}), **bad.headers}
    auth = None if "Authorization" in headers else (space.project_id, space.api_token)
    return requests.request(
        bad.method,
        space.base_url + bad.path.format(project=space.project_id),
        params=bad.params,
        data=bad.body.encode("utf-8", "surrogatepass") if bad.body is not None else None,
        headers=headers,
        auth=auth,
        verify=space.ca_bundle,
        timeout=30,
    )


def assert_error_shape(resp: requests.Response, bad: Bad) -> None:
    body = resp.json()
    if bad.shape == "compat":
        assert set(body) == {"code", "message", "more_info", "status"}, body
        assert body["status"] == bad.status and isinstance(body["code"], int) and body["message"]
    elif bad.shape == "api422":
        (item,) = body["errors"]
        assert {"type", "code", "message", "attribute", "url"} <= item.keys()
        assert item["attribute"] == bad.attribute
    else:
        assert body == {"error": REASONS[bad.status]}


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_bad_input_gets_the_specs_4xx_never_a_500(seeded: FakeSignalWireSpace, case: str) -> None:
    bad = BAD_REQUESTS[case]
    resp = send(seeded, bad)
    assert resp.status_code == bad.status, resp.text[:300]
    assert_error_shape(resp, bad)
    assert len(resp.content) < 2000  # the bad input is not echoed back


def test_json_within_limits_is_still_accepted(seeded: FakeSignalWireSpace) -> None:
    ok = Bad(
        "POST", "/api/video/rooms", 200, "api", body='{"name": "nested-ok", "meta": {"a": {"b": [1, 2]}}}'
    )
    resp = send(seeded, ok)
    assert resp.status_code == 200 and resp.json()["meta"] == {"a": {"b": [1, 2]}}


START = datetime(2024, 1, 1, tzinfo=timezone.utc)
# (control call, the argument its ValueError must name)
BAD_CONTROLS: dict[str, tuple[Callable[[FakeSignalWireSpace], Any], str]] = {
    "fault-count-zero": (lambda s: s.inject_fault("/api", "500", count=0), "count"),
    "fault-count-negative": (lambda s: s.inject_fault("/api", "500", count=-3), "count"),
    "fault-count-fraction": (lambda s: s.inject_fault("/api", "500", count=1.5), "count"),
    "fault-count-bool": (lambda s: s.inject_fault("/api", "500", count=True), "count"),
    "fault-delay-negative": (lambda s: s.inject_fault("/api", "delay", delay=-0.5), "delay"),
    "fault-delay-nan": (lambda s: s.inject_fault("/api", "delay", delay=float("nan")), "delay"),
    "fault-kind-unknown": (lambda s: s.inject_fault("/api", "418"), "kind"),
    "fault-path-not-a-path": (lambda s: s.inject_fault("api/video", "500"), "path_prefix"),
    "fault-retry-after-newline": (
        lambda s: s.inject_fault("/api", "429", retry_after="1\r\nX: y"),
        "retry_after",
    ),
    "fault-retry-after-on-drop": (lambda s: s.inject_fault("/api", "drop", retry_after="1"), "retry_after"),
    "seed-rooms-negative": (lambda s: s.seed_rooms(-1), "n"),
    "seed-sessions-negative": (lambda s: s.seed_sessions(-2), "n"),
    "seed-sessions-recordings-negative": (
        lambda s: s.seed_sessions(1, recordings_per_session=-1),
        "recordings_per_session",
    ),
    "seed-messages-negative": (lambda s: s.seed_messages(-1), "n"),
    "seed-calls-negative": (lambda s: s.seed_calls(-1), "n"),
    "seed-logs-negative": (lambda s: s.seed_logs("fax", -1, START, START + timedelta(days=1)), "n"),
    "seed-logs-kind-unknown": (lambda s: s.seed_logs("sms", 1, START, START + timedelta(days=1)), "kind"),
    "seed-logs-end-before-start": (lambda s: s.seed_logs("fax", 2, START, START - timedelta(days=1)), "end"),
    "seed-unknown": (lambda s: FakeSignalWireSpace(seed="everything"), "seed"),
    "token-scope-unknown": (lambda s: s.add_token(scopes=("videos",)), "scopes"),
}


@pytest.mark.parametrize("case", list(BAD_CONTROLS))
def test_control_api_refuses_bad_values_naming_the_argument(case: str) -> None:
    call, argument = BAD_CONTROLS[case]
    space = FakeSignalWireSpace()  # not started: the controls check their arguments up front
    with pytest.raises(ValueError, match=rf"\b{argument}\b"):
        call(space)
