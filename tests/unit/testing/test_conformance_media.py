"""The fake's stored media routes against SignalWire's Compatibility spec: Recordings, Transcriptions
and Message Media (list, get, delete, errors), and their files on the space's host (public, or behind
the project's credentials with Media URL Protection)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests

from airflow_provider_signalwire.testing import FakeSignalWireSpace
from tests.unit.testing import test_conformance as conformance
from tests.unit.testing.test_conformance import COMPAT, Validator

space = conformance.space
v = conformance.v
_clean = conformance._clean

MISSING = f"{'4' * 8}-4444-4444-8444-{'4' * 12}"


def _acct(space: FakeSignalWireSpace) -> str:
    return f"{COMPAT}/Accounts/{space.project_id}"


def _get_file(space: FakeSignalWireSpace, path: str, auth: bool = False) -> requests.Response:
    credentials = (space.project_id, space.api_token) if auth else None
    return requests.get(space.base_url + path, auth=credentials, verify=space.ca_bundle, timeout=10)


def test_recordings_list_filter_page_get_delete(v: Validator, space: FakeSignalWireSpace) -> None:
    start = datetime(2024, 5, 1, tzinfo=timezone.utc)
    seeded = space.seed_recordings(5, start, start + timedelta(days=5))
    base = _acct(space)
    page = v.call("GET", f"{base}/Recordings", params={"PageSize": 2}, expect=200).json()
    assert len(page["recordings"]) == 2 and page["next_page_uri"].startswith(f"{base}/Recordings?")
    seen, uri = [], f"{base}/Recordings?PageSize=2"
    while uri:
        body = v.call("GET", uri, expect=200).json()
        seen += body["recordings"]
        uri = body["next_page_uri"]
    assert [r["sid"] for r in seen] == [r["sid"] for r in reversed(seeded)]  # newest first
    window = {"DateCreated>": "2024-05-02", "DateCreated<": "2024-05-03"}
    dated = v.call("GET", f"{base}/Recordings", params=window, expect=200).json()["recordings"]
    assert [r["sid"] for r in dated] == [seeded[2]["sid"], seeded[1]["sid"]]
    by_call = v.call("GET", f"{base}/Recordings", params={"CallSid": seeded[0]["call_sid"]}, expect=200)
    assert [r["sid"] for r in by_call.json()["recordings"]] == [seeded[0]["sid"]]
    sid = seeded[0]["sid"]
    # The metadata is the .json form (without an extension the same URL is the WAV file).
    got = v.call("GET", f"{base}/Recordings/{sid}.json", expect=200, validate_request=False).json()
    assert got == seeded[0] and got["uri"] == f"{base}/Recordings/{sid}.json"
    v.call("DELETE", f"{base}/Recordings/{sid}", expect=204)
    v.call("GET", f"{base}/Recordings/{sid}.json", expect=404, validate_request=False)
    v.call("DELETE", f"{base}/Recordings/{sid}", expect=404)
    v.call(
        "GET", f"{base}/Recordings", params={"DateCreated>": "not a date"}, expect=400, validate_request=False
    )
    v.call("GET", f"{base}/Recordings", auth=(space.project_id, "PTwrong"), expect=401)


def test_recording_files_wav_and_mp3(space: FakeSignalWireSpace) -> None:
    (recording,) = space.seed_recordings(1)
    path = recording["uri"].removesuffix(".json")
    wav, plain, mp3 = (_get_file(space, path + ext) for ext in (".wav", "", ".mp3"))
    assert wav.status_code == plain.status_code == mp3.status_code == 200
    assert wav.headers["Content-Type"] == "audio/x-wav" and wav.content[:4] == b"RIFF"
    assert plain.content == wav.content == space.media_file(path + ".wav")
    assert mp3.headers["Content-Type"] == "audio/mpeg" and mp3.content[:3] == b"ID3"
    assert int(wav.headers["Content-Length"]) == len(wav.content) != len(mp3.content)
    assert _get_file(space, path + ".ogg").status_code == 404
    assert not any(r.has_auth for r in space.requests)  # public by default, as SignalWire's


def test_protected_recording_files_need_the_projects_credentials(space: FakeSignalWireSpace) -> None:
    (recording,) = space.seed_recordings(1)
    path = recording["uri"].removesuffix(".json") + ".mp3"
    space.protect_media("recordings")
    refused = _get_file(space, path)
    assert refused.status_code == 401 and refused.json()["code"] == 20003
    assert _get_file(space, path, auth=True).status_code == 200
    space.protect_media("recordings", on=False)
    assert _get_file(space, path).status_code == 200


def test_transcriptions_list_get_delete(v: Validator, space: FakeSignalWireSpace) -> None:
    seeded = space.seed_recordings(3)
    base = _acct(space)
    listed = v.call("GET", f"{base}/Transcriptions", expect=200).json()["transcriptions"]
    assert {t["recording_sid"] for t in listed} == {r["sid"] for r in seeded}
    assert all(t["transcription_text"].startswith("Seeded transcription") for t in listed)
    tid = listed[0]["sid"]
    assert v.call("GET", f"{base}/Transcriptions/{tid}", expect=200).json()["sid"] == tid
    today = space.clock.now().date().isoformat()
    assert len(
        v.call("GET", f"{base}/Transcriptions", params={"DateCreated": today}).json()["transcriptions"]
    )
    v.call("DELETE", f"{base}/Transcriptions/{tid}", expect=204)
    v.call("GET", f"{base}/Transcriptions/{tid}", expect=404)
    v.call("DELETE", f"{base}/Transcriptions/{MISSING}", expect=404)


def test_message_media_list_get_delete_and_file(v: Validator, space: FakeSignalWireSpace) -> None:
    first, _ = space.seed_message_media(2)
    base = _acct(space)
    message = first["parent_sid"]
    listed = v.call("GET", f"{base}/Messages/{message}/Media", expect=200).json()
    assert [m["sid"] for m in listed["media_list"]] == [first["sid"]] and listed["next_page_uri"] is None
    assert v.call("GET", f"{base}/Messages/{MISSING}/Media", expect=200).json()["media_list"] == []
    got = v.call("GET", f"{base}/Messages/{message}/Media/{first['sid']}.json", validate_request=False).json()
    assert got == first
    file = _get_file(space, first["uri"].removesuffix(".json"))
    assert file.status_code == 200 and file.headers["Content-Type"] == "image/png"
    assert file.content[:4] == b"\x89PNG" and not space.requests[-1].has_auth
    space.protect_media("messages")
    assert _get_file(space, first["uri"].removesuffix(".json")).status_code == 401
    v.call("DELETE", f"{base}/Messages/{message}/Media/{first['sid']}", expect=204)
    v.call("DELETE", f"{base}/Messages/{message}/Media/{first['sid']}", expect=404)
    v.call("GET", f"{base}/Messages/{message}/Media/{MISSING}.json", expect=404, validate_request=False)


def test_media_of_a_message_in_progress_cannot_be_deleted(v: Validator, space: FakeSignalWireSpace) -> None:
    base = _acct(space)
    data = {"To": "+15551230001", "From": "+15557650001", "MediaUrl": "https://example.com/a.png"}
    message = v.call("POST", f"{base}/Messages", data=data, expect=201).json()
    from airflow_provider_signalwire.testing.media.models import MediaBackend

    stored = space.backends["media"]
    assert isinstance(stored, MediaBackend)
    media = stored.add_message_media(message["sid"], "image/png", b"png").render()
    err = v.call("DELETE", f"{base}/Messages/{message['sid']}/Media/{media['sid']}", expect=422).json()
    assert err["status"] == 422
    space.clock.advance(5)
    v.call("DELETE", f"{base}/Messages/{message['sid']}/Media/{media['sid']}", expect=204)


@pytest.mark.parametrize("scopes", [("messaging",), ("video",)])
def test_recordings_need_the_voice_scope(
    v: Validator, space: FakeSignalWireSpace, scopes: tuple[str]
) -> None:
    token = space.add_token(scopes)
    v.call("GET", f"{_acct(space)}/Recordings", auth=(space.project_id, token), expect=401)
