"""Recording operators against the offline fake space: deletes that rerun, downloads that are atomic,
checked and never send credentials."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException

from airflow_provider_signalwire.exceptions import SignalWireAPIError
from airflow_provider_signalwire.operators import video_recordings as recordings_module
from airflow_provider_signalwire.operators.video import CreateVideoRoomOperator, CreateVideoRoomTokenOperator
from airflow_provider_signalwire.operators.video_recordings import (
    DeleteVideoRoomRecordingOperator,
    DownloadVideoRoomRecordingOperator,
    ListVideoRoomRecordingsOperator,
)
from airflow_provider_signalwire.storage import asset_classes
from tests.helpers.space import api_calls, video


@pytest.fixture
def masked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the operators register with Airflow's secrets masker."""
    seen: list[str] = []
    monkeypatch.setattr(recordings_module, "mask_secret", seen.append)
    return seen


def test_delete_recording_twice(signalwire_space):
    signalwire_space.seed_sessions(1, recordings_per_session=2)
    recordings = ListVideoRoomRecordingsOperator(task_id="l").execute({})
    assert len(recordings) == 2
    delete = DeleteVideoRoomRecordingOperator(task_id="d", recording_id=recordings[0]["id"])
    assert delete.execute({})["deleted"] is True
    assert delete.execute({})["deleted"] is False
    assert len(ListVideoRoomRecordingsOperator(task_id="l").execute({})) == 1


# ------------------------------------------------------------------------------------- downloads
@pytest.fixture
def recording(signalwire_space) -> dict[str, Any]:
    signalwire_space.seed_sessions(1, recordings_per_session=1)
    (rec,) = signalwire_space.state.recordings.values()
    return rec


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_download_to_a_folder_url_without_credentials(signalwire_space, recording, tmp_path, masked):
    op = DownloadVideoRoomRecordingOperator(
        task_id="dl", recording_id=recording["id"], destination=f"file://{tmp_path}/2026-11-27/"
    )
    result = op.execute({})
    target = tmp_path / "2026-11-27" / f"{recording['id']}.mp4"
    data = target.read_bytes()
    assert result["path"] == f"file://{target}"
    assert result["size"] == len(data) == recording["size_in_bytes"]
    assert result["sha256"] == hashlib.sha256(data).hexdigest()
    json.dumps(result)
    assert _files(tmp_path) == [f"2026-11-27/{recording['id']}.mp4"]  # no temporary file left
    (fetched,) = signalwire_space.media_requests
    assert not fetched.has_auth and "cookie" not in fetched.headers
    # The link was fetched fresh, right before the download, and masked (it is a signed link).
    assert api_calls(signalwire_space)[-1] == ("GET", f"/api/video/room_recordings/{recording['id']}")
    assert any(m.startswith(signalwire_space.media_base_url) for m in masked)

    target.write_bytes(b"stale")
    assert op.execute({})["size"] == len(data)  # a rerun replaces the file
    assert target.read_bytes() == data


def test_download_to_a_local_file_path(signalwire_space, recording, tmp_path):
    dest = tmp_path / "deep" / "standup.mp4"
    result = DownloadVideoRoomRecordingOperator(
        task_id="dl", recording_id=recording["id"], destination=str(dest)
    ).execute({})
    assert dest.stat().st_size == result["size"] > 0


def test_a_download_cut_mid_way_leaves_no_file(signalwire_space, recording, tmp_path):
    dest = tmp_path / "rec.mp4"
    video(signalwire_space).break_download(recording["id"], "cut")
    op = DownloadVideoRoomRecordingOperator(task_id="dl", recording_id=recording["id"], destination=str(dest))
    with pytest.raises(SignalWireAPIError, match="connection was dropped"):
        op.execute({})
    assert _files(tmp_path) == []
    assert len(signalwire_space.media_requests) == 1  # not retried after the first byte


def test_a_size_mismatch_fails_and_keeps_the_previous_file(signalwire_space, recording, tmp_path):
    dest = tmp_path / "rec.mp4"
    dest.write_bytes(b"yesterday's file")
    video(signalwire_space).break_download(recording["id"], "short")
    op = DownloadVideoRoomRecordingOperator(task_id="dl", recording_id=recording["id"], destination=str(dest))
    with pytest.raises(
        AirflowException, match=rf"has {recording['size_in_bytes'] // 2} bytes but SignalWire"
    ):
        op.execute({})
    assert _files(tmp_path) == ["rec.mp4"] and dest.read_bytes() == b"yesterday's file"
    assert op.execute({})["size"] == recording["size_in_bytes"]  # the retry succeeds


def test_a_recording_still_in_progress_is_refused(signalwire_space, tmp_path):
    CreateVideoRoomOperator(task_id="c", room_name="live", record_on_start=True).execute({})
    CreateVideoRoomTokenOperator(task_id="m", room_name="live").execute({})
    (rec,) = ListVideoRoomRecordingsOperator(task_id="l").execute({})
    op = DownloadVideoRoomRecordingOperator(task_id="dl", recording_id=rec["id"], destination=f"{tmp_path}/")
    with pytest.raises(AirflowFailException, match="VideoRoomRecordingSensor"):
        op.execute({})
    assert signalwire_space.media_requests == []


@pytest.mark.parametrize("chunk_size", [64 * 1024, 1024 * 1024])
def test_a_large_recording_is_streamed_with_progress(
    signalwire_space, recording, tmp_path, caplog, capfd, chunk_size
):
    size = 30 * 1024 * 1024
    video(signalwire_space).set_recording_size(recording["id"], size)
    op = DownloadVideoRoomRecordingOperator(
        task_id="dl",
        recording_id=recording["id"],
        destination=f"{tmp_path}/",
        chunk_size=chunk_size,
        progress_interval=0,
    )
    result = op.execute({})
    data = (tmp_path / f"{recording['id']}.mp4").read_bytes()
    assert result["size"] == size == len(data)
    assert result["sha256"] == hashlib.sha256(data).hexdigest()
    out = capfd.readouterr().out + caplog.text
    assert "MB of 31.5 MB" in out


def test_download_declares_an_asset_event_on_the_alias(signalwire_space, recording, tmp_path):
    op = DownloadVideoRoomRecordingOperator(
        task_id="dl", recording_id=recording["id"], destination=f"{tmp_path}/", asset_alias="recordings"
    )
    _, alias_cls = asset_classes()
    assert alias_cls("recordings") in op.outlets

    class Events:
        def __init__(self) -> None:
            self.added: list[tuple[Any, dict[str, Any]]] = []

        def add(self, asset: Any, extra: dict[str, Any]) -> None:
            self.added.append((asset, extra))

    events: dict[Any, Events] = {}

    class OutletEvents(dict):
        def __missing__(self, key: Any) -> Events:
            events[key] = Events()
            return events[key]

    result = op.execute({"outlet_events": OutletEvents()})
    ((asset, extra),) = events[alias_cls("recordings")].added
    assert asset.uri == result["path"] and extra["sha256"] == result["sha256"]
