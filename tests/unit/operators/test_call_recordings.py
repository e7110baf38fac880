"""Call recording and transcription operators against the offline fake space: lists by call and window,
deletes that rerun, downloads that are exact, atomic and checked, with credentials only to the space."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.hooks.signalwire import SignalWireHook
from airflow_provider_signalwire.operators.call_recordings import (
    DeleteCallRecordingOperator,
    DeleteTranscriptionOperator,
    DownloadCallRecordingOperator,
    GetCallRecordingOperator,
    GetTranscriptionOperator,
    ListCallRecordingsOperator,
    ListTranscriptionsOperator,
)
from airflow_provider_signalwire.protocol import UnsafeURLError
from airflow_provider_signalwire.storage import asset_classes
from airflow_provider_signalwire.testing.media.models import MediaBackend
from tests.helpers.space import api_calls

DAY = datetime(2026, 11, 20, tzinfo=timezone.utc)


def media(space: Any) -> MediaBackend:
    backend = space.backends["media"]
    assert isinstance(backend, MediaBackend)
    return backend


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def recordings(signalwire_space) -> list[dict[str, Any]]:
    """Five recordings, one a day from DAY (oldest first)."""
    return signalwire_space.seed_recordings(5, DAY, DAY + timedelta(days=5))


# ------------------------------------------------------------------------------------------ lists
def test_list_in_the_runs_window_by_call_and_paged(signalwire_space, recordings):
    window = {"data_interval_start": DAY + timedelta(days=1), "data_interval_end": DAY + timedelta(days=3)}
    listed = ListCallRecordingsOperator(task_id="l").execute(window)
    assert [r["sid"] for r in listed] == [recordings[2]["sid"], recordings[1]["sid"]]
    assert signalwire_space.requests[-1].query["DateCreated>"] == "2026-11-21"
    everything = ListCallRecordingsOperator(task_id="l", page_size=2).execute({})
    assert len(everything) == 5 and len(signalwire_space.requests) == 1 + 3
    assert len(ListCallRecordingsOperator(task_id="l", page_size=2, max_items=3).execute({})) == 3
    # By call: every recording of that call, whatever the run's window.
    by_call = ListCallRecordingsOperator(task_id="l", call_sid=recordings[0]["call_sid"]).execute(window)
    assert [r["sid"] for r in by_call] == [recordings[0]["sid"]]
    days = ListCallRecordingsOperator(
        task_id="l", date_created_after="2026-11-23", date_created_before=DAY + timedelta(days=3)
    ).execute({})
    assert [r["sid"] for r in days] == [recordings[3]["sid"]]


def test_bad_list_arguments_fail_before_any_request(signalwire_space):
    with pytest.raises(SignalWireConfigError, match="page_size"):
        ListCallRecordingsOperator(task_id="l", page_size=0)
    with pytest.raises(SignalWireConfigError, match="date_created_after"):
        ListCallRecordingsOperator(task_id="l", date_created_after="last tuesday").execute({})
    with pytest.raises(SignalWireConfigError, match="call_sid"):
        ListCallRecordingsOperator(task_id="l", call_sid="None").execute({})
    assert signalwire_space.requests == []


def test_get_and_delete_a_recording_twice(signalwire_space, recordings):
    sid = recordings[0]["sid"]
    assert GetCallRecordingOperator(task_id="g", recording_sid=sid).execute({}) == recordings[0]
    assert api_calls(signalwire_space)[-1][1].endswith(f"/Recordings/{sid}.json")
    delete = DeleteCallRecordingOperator(task_id="d", recording_sid=sid)
    assert delete.execute({}) == {"id": sid, "deleted": True}
    assert delete.execute({}) == {"id": sid, "deleted": False}  # a rerun succeeds
    with pytest.raises(SignalWireAPIError) as gone:
        DeleteCallRecordingOperator(task_id="d", recording_sid=sid, missing_ok=False).execute({})
    assert gone.value.status_code == 404
    assert sid not in signalwire_space.state.call_recordings


def test_transcriptions_list_get_delete(signalwire_space, recordings):
    listed = ListTranscriptionsOperator(task_id="l").execute({})
    assert {t["recording_sid"] for t in listed} == {r["sid"] for r in recordings}
    one = GetTranscriptionOperator(task_id="g", transcription_sid=listed[0]["sid"]).execute({})
    assert one["transcription_text"].startswith("Seeded transcription")
    delete = DeleteTranscriptionOperator(task_id="d", transcription_sid=one["sid"])
    assert delete.execute({})["deleted"] is True and delete.execute({})["deleted"] is False
    assert len(ListTranscriptionsOperator(task_id="l").execute({})) == 4


# -------------------------------------------------------------------------------------- downloads
@pytest.mark.parametrize("fmt", ["wav", "mp3"])
def test_download_to_a_folder_is_exact_atomic_and_rerunnable(signalwire_space, recordings, tmp_path, fmt):
    sid = recordings[0]["sid"]
    op = DownloadCallRecordingOperator(
        task_id="dl", recording_sid=sid, destination=f"file://{tmp_path}/calls/", format=fmt
    )
    result = op.execute({})
    target = tmp_path / "calls" / f"{sid}.{fmt}"
    data = target.read_bytes()
    path = recordings[0]["uri"].removesuffix(".json")
    assert data == signalwire_space.media_file(f"{path}.{fmt}")
    assert result["path"] == f"file://{target}" and result["size"] == len(data)
    assert result["sha256"] == hashlib.sha256(data).hexdigest() and result["format"] == fmt
    assert result["call_sid"] == recordings[0]["call_sid"] and result["duration"] == recordings[0]["duration"]
    json.dumps(result)
    assert _files(tmp_path) == [f"calls/{sid}.{fmt}"]  # no temporary file left
    fetched = signalwire_space.requests[-1]
    assert fetched.path == f"{path}.{fmt}" and fetched.has_auth  # on the space, as every API call
    assert signalwire_space.media_requests == []
    target.write_bytes(b"stale")
    assert op.execute({})["sha256"] == result["sha256"] and target.read_bytes() == data  # a rerun replaces


def test_download_of_protected_recording_media(signalwire_space, recordings, tmp_path):
    signalwire_space.protect_media("recordings")
    dest = tmp_path / "one.wav"
    result = DownloadCallRecordingOperator(
        task_id="dl", recording_sid=recordings[1]["sid"], destination=str(dest)
    ).execute({})
    assert dest.stat().st_size == result["size"] > 44


def test_a_download_cut_mid_way_leaves_the_previous_file(signalwire_space, recordings, tmp_path):
    dest = tmp_path / "rec.wav"
    dest.write_bytes(b"yesterday's file")
    sid = recordings[0]["sid"]
    media(signalwire_space).break_download(sid)
    op = DownloadCallRecordingOperator(task_id="dl", recording_sid=sid, destination=str(dest))
    with pytest.raises((SignalWireAPIError, AirflowException)):
        op.execute({})
    assert _files(tmp_path) == ["rec.wav"] and dest.read_bytes() == b"yesterday's file"
    assert op.execute({})["size"] == dest.stat().st_size != len(b"yesterday's file")  # the retry succeeds


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"format": "ogg"}, "format is 'ogg'"),
        ({"recording_sid": "../etc/passwd"}, "recording_sid is"),
        ({"destination": "relative/dir/"}, "relative path"),
        ({"destination": "https://example.com/x.wav"}, "http"),
        ({"chunk_size": 0}, "chunk_size"),
    ],
)
def test_bad_literal_arguments_fail_when_the_dag_is_parsed(kwargs, message):
    arguments = {"task_id": "dl", "recording_sid": "abc", "destination": "/data/calls/", **kwargs}
    with pytest.raises(SignalWireConfigError, match=message):
        DownloadCallRecordingOperator(**arguments)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"format": "OGG"}, "format is 'ogg'"),
        ({"recording_sid": "a/b"}, "recording_sid is"),
        ({"recording_sid": "None"}, "recording_sid is"),
        ({"destination": " "}, "destination rendered empty"),
    ],
)
def test_bad_rendered_arguments_fail_before_any_request(signalwire_space, tmp_path, kwargs, message):
    op = DownloadCallRecordingOperator(
        task_id="dl", recording_sid="{{ x }}", destination="{{ y }}", format="{{ z }}"
    )
    op.recording_sid, op.destination, op.format = "abc", f"{tmp_path}/", "wav"
    for name, value in kwargs.items():
        setattr(op, name, value)
    with pytest.raises(SignalWireConfigError, match=message):
        op.execute({})
    assert signalwire_space.requests == []


def test_download_declares_an_asset_event_on_the_alias(signalwire_space, recordings, tmp_path):
    op = DownloadCallRecordingOperator(
        task_id="dl", recording_sid=recordings[0]["sid"], destination=f"{tmp_path}/", asset_alias="calls"
    )
    _, alias_cls = asset_classes()
    assert alias_cls("calls") in op.outlets
    added: list[tuple[Any, dict[str, Any]]] = []

    class Events:
        def add(self, asset: Any, extra: dict[str, Any]) -> None:
            added.append((asset, extra))

    result = op.execute({"outlet_events": {alias_cls("calls"): Events()}})  # type: ignore[dict-item]
    ((asset, extra),) = added
    assert asset.uri == result["path"]
    assert extra == {
        "recording_sid": recordings[0]["sid"],
        "call_sid": recordings[0]["call_sid"],
        "sha256": result["sha256"],
    }


# ------------------------------------------------------------------- credentials: the space only
def test_space_credentials_never_go_to_another_host(signalwire_space):
    """The hook sends credentials with a download only when its URL is on the configured space."""
    signalwire_space.seed_sessions(1)
    (room_recording,) = signalwire_space.state.recordings.values()
    hook = SignalWireHook()
    with hook.open_download(room_recording["uri"], space_credentials=True) as download:
        assert b"".join(download.chunks)
    (fetched,) = signalwire_space.media_requests
    assert not fetched.has_auth and "cookie" not in fetched.headers


def test_protected_media_without_space_credentials_is_refused(signalwire_space, recordings):
    signalwire_space.protect_media("recordings")
    url = signalwire_space.base_url + recordings[0]["uri"].removesuffix(".json") + ".wav"
    with pytest.raises(SignalWireAPIError) as refused, SignalWireHook().open_download(url):
        pass
    assert refused.value.status_code == 401 and not signalwire_space.requests[-1].has_auth
    with SignalWireHook().open_download(url, space_credentials=True) as download:
        assert b"".join(download.chunks) == signalwire_space.media_file(url)


def test_a_url_like_the_space_but_elsewhere_gets_no_credentials(signalwire_space):
    """Same host, other port (the fake's media host is another origin): no credentials."""
    hook = SignalWireHook()
    other = signalwire_space.media_base_url.replace("localhost", "127.0.0.1") + "/recordings/x.mp4"
    with pytest.raises(SignalWireAPIError), hook.open_download(other, space_credentials=True):
        pass
    assert [r.has_auth for r in signalwire_space.media_requests] == [False]
    with (
        pytest.raises(UnsafeURLError),
        hook.open_download("https://user:pw@127.0.0.1/x", space_credentials=True),
    ):
        pass


# --------------------------------------------------------------------------------- text exports
def test_transcription_text_is_exported_per_window_as_json_lines(signalwire_space, recordings, tmp_path):
    from airflow_provider_signalwire.transfers.logs import SignalWireLogsToStorageOperator

    window = {"data_interval_start": DAY + timedelta(days=1), "data_interval_end": DAY + timedelta(days=3)}
    op = SignalWireLogsToStorageOperator(
        task_id="x", log_type="compat_transcriptions", destination=f"{tmp_path}/t.jsonl"
    )
    result = op.execute(window)
    lines = [json.loads(line) for line in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert result["records"] == len(lines) == 2
    assert {t["recording_sid"] for t in lines} == {recordings[1]["sid"], recordings[2]["sid"]}
    assert all(t["transcription_text"].startswith("Seeded transcription") for t in lines)
    assert op.execute(window)["records"] == 2  # a rerun writes the same window again
