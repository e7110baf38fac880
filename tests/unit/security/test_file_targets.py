"""Files land only where the user said: names made of API data, destinations, and the download operator.

One table for the file-name helper every writer uses (recording ids, the API's ``format``, export window
stamps), one for destinations (the rules of every operator that writes files), then the operators: a
refused value sends no request and writes nothing, anywhere.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import requests_mock as rm
from airflow.providers.common.compat.sdk import AirflowFailException, ObjectStoragePath

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.operators.video import DownloadVideoRoomRecordingOperator
from airflow_provider_signalwire.storage import (
    MAX_NAME_BYTES,
    destination_url,
    file_extension,
    file_name,
    is_under,
    join_under,
)
from airflow_provider_signalwire.transfers import logs as logs_module
from airflow_provider_signalwire.transfers.logs import SignalWireLogsToStorageOperator

# ---------------------------------------------------------------------------------- file names

# Every value a hostile or buggy API (or a tired user) could put where a file name is built.
HOSTILE_NAMES = {
    "absolute": ("/opt/airflow/dags/evil", "path separator"),
    "absolute-root": ("/", "path separator"),
    "parent": ("..", "'..'"),
    "parent-slash": ("../x", "path separator"),
    "parent-deep": ("../../../../etc/passwd", "path separator"),
    "dots-inside": ("a..b", "'..'"),
    "dot": (".", "'.'"),
    "backslash": ("a\\b", "path separator"),
    "backslash-parent": ("..\\..\\x", "path separator"),
    "nul": ("rec\x00.mp4", "NUL"),
    "newline": ("rec\nid", "control character"),
    "trailing-newline": ("rec\n", "control character"),
    "carriage-return": ("rec\rid", "control character"),
    "tab": ("rec\tid", "control character"),
    "escape": ("rec\x1b[31m", "control character"),
    "delete": ("rec\x7f", "control character"),
    "c1-control": ("rec\x85", "control character"),
    "rtl-override": ("rec\u202egpj.exe", "control character"),
    "zero-width": ("rec\u200bid", "control character"),
    "line-separator": ("rec\u2028id", "control character"),
    "lone-surrogate": ("rec\ud800", "control character"),
    "empty": ("", "empty"),
    "blank": ("   ", "empty"),
    "too-long": ("a" * (MAX_NAME_BYTES + 1), "bytes long"),
    "too-long-utf8": ("é" * (MAX_NAME_BYTES // 2 + 1), "bytes long"),
    "not-text": (42, "text"),
    "none": (None, "text"),
}

SAFE_NAMES = [
    "a1b2c3d4-0000-1111-2222-333344445555",
    "a1b2c3d4-0000-1111-2222-333344445555.mp4",
    "20261127T001500Z",
    "20261127T001500.123456Z",
    "rec.v2.mp4",
    "récording",
    ".hidden",
    "a" * MAX_NAME_BYTES,
]


@pytest.mark.parametrize(("value", "fragment"), list(HOSTILE_NAMES.values()), ids=list(HOSTILE_NAMES))
def test_a_hostile_file_name_is_refused_naming_the_field(value, fragment):
    with pytest.raises(SignalWireConfigError, match="recording_id is") as caught:
        file_name(value, "recording_id")
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value) and "\x00" not in str(caught.value)  # shown escaped


@pytest.mark.parametrize("value", SAFE_NAMES)
def test_a_plain_file_name_is_kept_as_it_is(value):
    assert file_name(value, "recording_id") == value


@pytest.mark.parametrize(
    "folder",
    [
        "/data/recordings",
        ObjectStoragePath("file:///data/recordings/"),
        ObjectStoragePath("memory://bucket/recordings/"),
        ObjectStoragePath("s3://bucket/recordings/"),
    ],
    ids=["str", "file", "memory", "s3"],
)
@pytest.mark.parametrize(("value", "fragment"), list(HOSTILE_NAMES.values()), ids=list(HOSTILE_NAMES))
def test_join_under_never_leaves_the_folder(folder, value, fragment):
    if isinstance(folder, str):
        folder = Path(folder)
    with pytest.raises(SignalWireConfigError, match="recording_id"):
        join_under(folder, value, "recording_id")


@pytest.mark.parametrize(
    ("folder", "target", "inside"),
    [
        ("/data/rec", "/data/rec/x.mp4", True),
        ("/data/rec/", "/data/rec/a/x.mp4", True),
        ("/data/rec", "/data/rec/../x.mp4", False),
        ("/data/rec", "/data/recordings/x.mp4", False),  # a sibling sharing the prefix
        ("/data/rec", "/data/rec", False),  # the folder itself is not a file in it
        ("/data/rec", "/opt/airflow/dags/evil.mp4", False),
        ("file:///data/rec/", "file:///data/rec/x.mp4", True),
        ("file:///data/rec/", "file:///data/rec/a/../../x.mp4", False),
        ("file:///data/rec/", "memory:///data/rec/x.mp4", False),  # another filesystem
        ("s3://bucket/rec/", "s3://bucket/rec/x.mp4", True),
        ("s3://bucket/rec/", "s3://bucket/rec/../other/x.mp4", False),
        ("s3://bucket/rec/", "s3://other-bucket/rec/x.mp4", False),
    ],
)
def test_is_under(folder, target, inside):
    if "://" in folder:
        folder, target = ObjectStoragePath(folder), ObjectStoragePath(target)
    assert is_under(folder, target) is inside


# ---------------------------------------------------------------------------------- destinations

BAD_DESTINATIONS = {
    "empty": ("", "give a|rendered empty"),
    "relative": ("recordings/rec.mp4", "relative path"),
    "relative-dot": ("./rec.mp4", "relative path"),
    "home": ("~/recordings/", "relative path"),
    "https": ("https://files.example.com/rec.mp4", "http"),
    "http": ("http://127.0.0.1/rec/", "http"),
    "bad-scheme": ("no such scheme://x/y", "scheme"),
    "newline": ("/data/rec\n/x.mp4", "control character"),
    "nul": ("/data/rec\x00/x.mp4", "control character"),
    # Two slashes, not three: fsspec would write relative to the worker's directory (or its home, or a
    # folder named localhost there).
    "file-two-slashes": ("file://data/recordings/rec.mp4", "three slashes"),
    "file-upper-two-slashes": ("FILE://data/rec.mp4", "three slashes"),
    "file-home": ("file://~/recordings/rec.mp4", "three slashes"),
    "file-localhost": ("file://localhost/data/rec.mp4", "three slashes"),
    "file-nothing": ("file://", "three slashes"),
    "local-two-slashes": ("local://data/rec.mp4", "three slashes"),
}


@pytest.mark.parametrize(("value", "fragment"), list(BAD_DESTINATIONS.values()), ids=list(BAD_DESTINATIONS))
@pytest.mark.parametrize("folder_ok", [False, True])
def test_bad_destinations_are_refused(value, fragment, folder_ok):
    with pytest.raises(SignalWireConfigError, match=fragment):
        destination_url(value, "destination", folder_ok=folder_ok)


def test_a_folder_is_a_destination_only_where_folders_are_meant():
    assert destination_url("/data/rec/", folder_ok=True) == "file:///data/rec/"
    with pytest.raises(SignalWireConfigError, match="names a folder"):
        destination_url("/data/rec/")


# ---------------------------------------------------------------------------------- the download operator

REC = "a1b2c3d4-0000-1111-2222-333344445555"
BASE = "https://acme.signalwire.com"
MEDIA = "https://files.example.com"


@pytest.fixture
def space(make_conn: Any):
    """A mocked space whose recording ``REC`` answers with ``answer`` (defaults: a finished mp4)."""
    make_conn(conn_id="signalwire_default")
    with rm.Mocker(case_sensitive=True) as mock:
        mock.answer = {}  # type: ignore[attr-defined]

        def recording(request: Any, context: Any) -> dict[str, Any]:
            rid = request.path.rsplit("/", 1)[-1]
            return {
                "id": rid,
                "status": "completed",
                "format": "mp4",
                "size_in_bytes": 4,
                "uri": f"{MEDIA}/{rid}.mp4",
                **mock.answer,  # type: ignore[attr-defined]
            }

        mock.get(rm.ANY, json=recording)
        mock.get(f"{MEDIA}/{REC}.mp4", content=b"data", headers={"Content-Length": "4"})
        yield mock


def _requests(mock: Any) -> list[str]:
    return [f"{r.method} {r.url}" for r in mock.request_history]


def _written(*folders: Path) -> list[str]:
    return sorted(str(p) for folder in folders for p in folder.rglob("*") if p.is_file())


# Ids are trimmed first (as every id is), so only what survives trimming is hostile as an id.
HOSTILE_IDS = {k: v for k, v in HOSTILE_NAMES.items() if isinstance(v[0], str) and v[0].strip() == v[0] != ""}


@pytest.mark.parametrize(("value", "fragment"), list(HOSTILE_IDS.values()), ids=list(HOSTILE_IDS))
def test_a_hostile_literal_recording_id_is_refused_when_the_dag_is_parsed(space, tmp_path, value, fragment):
    with pytest.raises(SignalWireConfigError, match=r"dl: recording_id is") as caught:
        DownloadVideoRoomRecordingOperator(task_id="dl", recording_id=value, destination=f"{tmp_path}/")
    assert fragment in str(caught.value)
    assert _requests(space) == []


@pytest.mark.parametrize("folder", [True, False], ids=["folder", "file"])
@pytest.mark.parametrize(("value", "fragment"), list(HOSTILE_IDS.values()), ids=list(HOSTILE_IDS))
def test_a_hostile_rendered_recording_id_is_refused_before_any_request(
    space, tmp_path, value, fragment, folder
):
    dest = tmp_path / "dest"
    outside = tmp_path / "outside"
    dest.mkdir()
    outside.mkdir()
    op = DownloadVideoRoomRecordingOperator(
        task_id="dl",
        recording_id="{{ ti.xcom_pull('ids') }}",
        destination=f"{dest}/" if folder else f"{dest}/rec.mp4",
    )
    # As Jinja renders it; an absolute id points where a join would otherwise go.
    op.recording_id = value.replace("/opt/airflow/dags", str(outside))
    with pytest.raises(SignalWireConfigError, match="dl: recording_id is"):
        op.execute({})
    assert _requests(space) == []
    assert _written(tmp_path) == []


HOSTILE_FORMATS = ["../../x", "/etc/x", "video/../../x", "..", "mp4\nx", "a\\b", "x" * 300, 42, ["mp4"]]


@pytest.mark.parametrize("fmt", HOSTILE_FORMATS)
def test_a_hostile_format_from_the_api_never_names_a_file(space, tmp_path, fmt):
    space.answer = {"format": fmt}
    dest = tmp_path / "dest"
    op = DownloadVideoRoomRecordingOperator(task_id="dl", recording_id=REC, destination=f"{dest}/")
    with pytest.raises(AirflowFailException, match=r"dl: SignalWire's answer .* format is"):
        op.execute({})
    assert not any(MEDIA in r for r in _requests(space))  # the file was never fetched
    assert _written(tmp_path) == []
    # Named by the user, the file does not need the format.
    result = DownloadVideoRoomRecordingOperator(
        task_id="dl", recording_id=REC, destination=f"{dest}/rec.mp4"
    ).execute({})
    assert result["path"] == f"file://{dest}/rec.mp4" and _written(tmp_path) == [f"{dest}/rec.mp4"]


@pytest.mark.parametrize(
    ("fmt", "extension"),
    [
        (None, "mp4"),
        ("", "mp4"),
        ("mp4", "mp4"),
        ("video/mp4", "mp4"),
        ("Video/MP4; codecs=avc1", "mp4"),
        ("webm", "webm"),
        ("video/x-matroska", "xmatroska"),
    ],
)
def test_a_plain_format_gives_the_extension(fmt, extension):
    assert file_extension(fmt) == extension


@pytest.mark.parametrize(("value", "fragment"), list(BAD_DESTINATIONS.values()), ids=list(BAD_DESTINATIONS))
def test_a_bad_literal_destination_is_refused_when_the_dag_is_parsed(space, value, fragment):
    with pytest.raises(SignalWireConfigError, match=fragment):
        DownloadVideoRoomRecordingOperator(task_id="dl", recording_id=REC, destination=value)
    assert _requests(space) == []


@pytest.mark.parametrize(("value", "fragment"), list(BAD_DESTINATIONS.values()), ids=list(BAD_DESTINATIONS))
def test_a_bad_rendered_destination_is_refused_before_any_request(
    space, tmp_path, monkeypatch, value, fragment
):
    monkeypatch.chdir(tmp_path)  # a relative destination would land here
    op = DownloadVideoRoomRecordingOperator(
        task_id="dl", recording_id=REC, destination="{{ var.value.dest }}"
    )
    op.destination = value
    with pytest.raises(SignalWireConfigError, match=fragment):
        op.execute({})
    assert _requests(space) == []
    assert _written(tmp_path) == []


def test_a_destination_scheme_without_a_filesystem_is_refused_before_any_request(space):
    op = DownloadVideoRoomRecordingOperator(task_id="dl", recording_id=REC, destination="nosuchfs://b/rec/")
    with pytest.raises(SignalWireConfigError, match="no filesystem for nosuchfs://"):
        op.execute({})
    assert _requests(space) == []


def test_an_http_object_storage_path_is_refused_when_the_dag_is_parsed(space):
    with pytest.raises(SignalWireConfigError, match="http"):
        DownloadVideoRoomRecordingOperator(
            task_id="dl", recording_id=REC, destination=ObjectStoragePath("https://files.example.com/x/")
        )


@pytest.mark.parametrize("form", ["text", "pathlib", "file-url"])
def test_an_existing_folder_without_a_trailing_slash_says_to_add_it(space, tmp_path, form):
    folder = tmp_path / "recordings"
    folder.mkdir()
    destination: Any = {"text": str(folder), "pathlib": folder, "file-url": f"file://{folder}"}[form]
    op = DownloadVideoRoomRecordingOperator(task_id="dl", recording_id=REC, destination=destination)
    with pytest.raises(SignalWireConfigError, match="an existing folder: end it with '/'"):
        op.execute({})
    assert _requests(space) == []
    assert _written(tmp_path) == []


def test_a_file_where_a_folder_should_be_is_our_error(space, tmp_path):
    (tmp_path / "taken").write_bytes(b"a file")
    op = DownloadVideoRoomRecordingOperator(
        task_id="dl", recording_id=REC, destination=f"{tmp_path}/taken/x/"
    )
    with pytest.raises(SignalWireConfigError, match="is a file, not a folder"):
        op.execute({})
    assert _requests(space) == []


def test_a_pathlib_destination_works(space, tmp_path):
    result = DownloadVideoRoomRecordingOperator(
        task_id="dl", recording_id=REC, destination=tmp_path / "rec.mp4"
    ).execute({})
    assert result["path"] == f"file://{tmp_path}/rec.mp4"
    assert (tmp_path / "rec.mp4").read_bytes() == b"data"


def test_a_relative_destination_no_longer_lands_in_the_working_directory(space, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SignalWireConfigError, match="relative path"):
        DownloadVideoRoomRecordingOperator(task_id="dl", recording_id=REC, destination="recordings/")
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------------------- log exports


@pytest.mark.parametrize(("value", "fragment"), list(BAD_DESTINATIONS.values()), ids=list(BAD_DESTINATIONS))
def test_a_bad_literal_export_destination_is_refused_when_the_dag_is_parsed(value, fragment):
    with pytest.raises(SignalWireConfigError, match=fragment):
        SignalWireLogsToStorageOperator(task_id="export", log_type="voice", destination=value)


def test_an_export_folder_destination_is_refused_when_the_dag_is_parsed():
    with pytest.raises(SignalWireConfigError, match="export: destination is .*names a folder"):
        SignalWireLogsToStorageOperator(
            task_id="export", log_type="voice", destination="/data/{window_start}/"
        )


def test_export_window_stamps_go_through_the_file_name_check(make_conn, tmp_path, monkeypatch):
    make_conn(conn_id="signalwire_default")
    monkeypatch.setattr(logs_module, "window_stamp", lambda moment: "../../escaped")
    op = SignalWireLogsToStorageOperator(
        task_id="export",
        log_type="voice",
        destination=f"{tmp_path}/out/{{window_start}}.jsonl",
        created_after="2026-11-01",
        created_before="2026-11-02",
    )
    with rm.Mocker() as mock, pytest.raises(SignalWireConfigError, match="window_start is '../../escaped'"):
        op.execute({})
    assert mock.request_history == []
    assert _written(tmp_path) == []
