"""The fake's fax routes against SignalWire's Compatibility spec: send, list (paged, filtered), read,
cancel, delete; a fax's media (list, read, delete) and its PDF on the space's host; errors."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import requests

from airflow_provider_signalwire.testing import FakeSignalWireSpace
from tests.unit.testing import test_conformance as conformance
from tests.unit.testing.test_conformance import COMPAT, Validator

space = conformance.space
v = conformance.v
_clean = conformance._clean

MISSING = f"{'4' * 8}-4444-4444-8444-{'4' * 12}"
SEND = {"To": "+12025550101", "From": "+12025550150", "MediaUrl": "https://example.com/invoice.pdf"}


def _faxes(space: FakeSignalWireSpace) -> str:
    return f"{COMPAT}/Accounts/{space.project_id}/Faxes"


def test_send_moves_on_the_clock_and_lists(v: Validator, space: FakeSignalWireSpace) -> None:
    base = _faxes(space)
    sent = v.call("POST", base, data={**SEND, "Quality": "superfine"}, expect=200).json()
    assert (sent["status"], sent["direction"], sent["quality"]) == ("queued", "outbound", "superfine")
    seen = []
    for _ in range(4):
        seen.append(v.call("GET", f"{base}/{sent['sid']}", expect=200).json()["status"])
        space.clock.advance(2)
    assert seen == ["queued", "sending", "sending", "delivered"]
    assert v.call("GET", f"{base}/{sent['sid']}", expect=200).json()["status"] == "delivered"
    space.fail_next_fax("busy")
    busy = v.call("POST", base, data=SEND, expect=200).json()
    space.clock.advance(10)
    got = v.call("GET", f"{base}/{busy['sid']}", expect=200).json()
    assert got["status"] == "busy" and got["error_code"]


def test_list_paged_and_filtered(v: Validator, space: FakeSignalWireSpace) -> None:
    start = datetime(2024, 5, 1, tzinfo=timezone.utc)
    seeded = space.seed_faxes(5, start, start + timedelta(days=5))
    base = _faxes(space)
    seen, uri = [], f"{base}?PageSize=2"
    while uri:
        body = v.call("GET", uri, expect=200).json()
        seen += body["faxes"]
        uri = body["next_page_uri"]
    assert [f["sid"] for f in seen] == [f["sid"] for f in reversed(seeded)]  # newest first
    window = {"DateCreatedAfter": "2024-05-01T12:00:00Z", "DateCreatedOnOrBefore": "2024-05-03"}
    dated = v.call("GET", base, params=window, expect=200).json()["faxes"]
    assert [f["sid"] for f in dated] == [seeded[2]["sid"], seeded[1]["sid"]]
    by_from = v.call("GET", base, params={"From": seeded[1]["from"]}, expect=200).json()["faxes"]
    assert [f["sid"] for f in by_from] == [seeded[1]["sid"]]
    v.call("GET", base, params={"DateCreatedAfter": "soon"}, expect=400, validate_request=False)
    v.call("GET", base, auth=(space.project_id, "PTwrong"), expect=401)
    token = space.add_token(("messaging",))
    v.call("GET", base, auth=(space.project_id, token), expect=401)


def test_refused_sends(v: Validator, space: FakeSignalWireSpace) -> None:
    base = _faxes(space)
    for bad in ({"To": "2025550101"}, {"From": "+1 202"}, {"MediaUrl": "ftp://x/a.pdf"}, {"Quality": "best"}):
        err = v.call("POST", base, data={**SEND, **bad}, expect=422, validate_request=False).json()
        assert err["status"] == 422
    assert v.call("GET", base, expect=200).json()["faxes"] == []


def test_cancel_only_while_queued_and_delete_when_done(v: Validator, space: FakeSignalWireSpace) -> None:
    base = _faxes(space)
    first = v.call("POST", base, data=SEND, expect=200).json()
    canceled = v.call("POST", f"{base}/{first['sid']}", data={"Status": "canceled"}, expect=200).json()
    assert canceled["status"] == "canceled"
    second = v.call("POST", base, data=SEND, expect=200).json()
    space.clock.advance(3)
    v.call("POST", f"{base}/{second['sid']}", data={"Status": "canceled"}, expect=422)
    v.call("DELETE", f"{base}/{second['sid']}", expect=409)  # still sending
    space.clock.advance(10)
    v.call("DELETE", f"{base}/{second['sid']}", expect=204)
    v.call("GET", f"{base}/{second['sid']}", expect=404)
    v.call("DELETE", f"{base}/{second['sid']}", expect=404)
    v.call("POST", f"{base}/{MISSING}", data={"Status": "canceled"}, expect=404)


def test_fax_media_list_get_delete_and_file(v: Validator, space: FakeSignalWireSpace) -> None:
    (fax,) = space.seed_faxes(1)
    base = _faxes(space)
    listed = v.call("GET", f"{base}/{fax['sid']}/Media", expect=200).json()
    assert (
        [m["sid"] for m in listed["media"]] == [fax["media_sid"]] == [m["sid"] for m in listed["fax_media"]]
    )
    v.call("GET", f"{base}/{MISSING}/Media", expect=404)
    media_path = f"{base}/{fax['sid']}/Media/{fax['media_sid']}"
    got = v.call("GET", f"{media_path}.json", expect=200, validate_request=False).json()
    assert got["fax_sid"] == fax["sid"] and got["content_type"] == "application/pdf"
    file = requests.get(fax["media_url"], verify=space.ca_bundle, timeout=10)
    assert file.status_code == 200 and file.content.startswith(b"%PDF") and not space.requests[-1].has_auth
    assert file.content == space.media_file(media_path)
    space.protect_media("faxes")
    assert requests.get(fax["media_url"], verify=space.ca_bundle, timeout=10).status_code == 401
    space.protect_media("faxes", on=False)
    v.call("DELETE", media_path, expect=204)
    v.call("DELETE", media_path, expect=404)
    v.call("GET", f"{media_path}.json", expect=404, validate_request=False)


def test_media_of_a_fax_in_progress_cannot_be_deleted(v: Validator, space: FakeSignalWireSpace) -> None:
    base = _faxes(space)
    sent = v.call("POST", base, data=SEND, expect=200).json()
    path = f"{base}/{sent['sid']}/Media/{sent['media_sid']}"
    v.call("DELETE", path, expect=409)
    space.clock.advance(10)
    v.call("DELETE", path, expect=204)
