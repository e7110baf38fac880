"""Downloads over real HTTPS (pytest-httpserver): the announced size is enforced as the file arrives, on its
decoded size, and API data never names a file outside the destination.

Downloads exist on the sync hook only (the async hook serves triggers, which fetch no files).
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException
from werkzeug import Response

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.hooks.signalwire import SignalWireHook
from airflow_provider_signalwire.operators.video import DownloadVideoRoomRecordingOperator
from airflow_provider_signalwire.protocol import UnsafeURLError

REC = "a1b2c3d4-0000-1111-2222-333344445555"
ANNOUNCED = 64 * 1024
CHUNK = 16 * 1024
BIG = 30 * 1024 * 1024
MEDIA = "/media/rec.mp4"


@pytest.fixture
def space(make_conn, httpsserver, ca_bundle):
    """The default connection on the local HTTPS server; ``answer(...)`` sets the recording's answer."""
    make_conn(
        conn_id="signalwire_default",
        host=f"https://127.0.0.1:{httpsserver.port}",
        extra={"verify": ca_bundle},
        retries=False,
    )

    def answer(**fields: Any) -> None:
        body = {
            "id": REC,
            "status": "completed",
            "format": "mp4",
            "size_in_bytes": ANNOUNCED,
            "uri": httpsserver.url_for(MEDIA),
            **fields,
        }
        httpsserver.expect_request(f"/api/video/room_recordings/{REC}").respond_with_json(body)

    return answer


def _paths(httpsserver) -> list[str]:
    return [request.path for request, _ in httpsserver.log]


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def watched(monkeypatch, tmp_path) -> dict[str, int]:
    """While the operator reads the body: the bytes it consumed and the largest ``.part`` file seen."""
    seen = {"consumed": 0, "part": 0}
    original = SignalWireHook.open_download

    def part_size() -> int:
        return sum(p.stat().st_size for p in tmp_path.rglob("*.part"))

    @contextmanager
    def open_download(self, url, **kwargs) -> Iterator[Any]:
        with original(self, url, **kwargs) as download:
            inner = download.chunks

            def chunks() -> Iterator[bytes]:
                for chunk in inner:
                    seen["part"] = max(seen["part"], part_size())
                    seen["consumed"] += len(chunk)
                    yield chunk

            download.chunks = chunks()
            yield download

    monkeypatch.setattr(SignalWireHook, "open_download", open_download)
    return seen


def _zeros(total: int, piece: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, total, piece):
        yield b"\0" * min(piece, total - start)


def _pieces(data: bytes, piece: int = 4096) -> Iterator[bytes]:
    for start in range(0, len(data), piece):
        yield data[start : start + piece]


BODIES = {
    # 30 MB, no Content-Length (chunked): only counting while streaming can stop it.
    "chunked": lambda: Response(_zeros(BIG), content_type="video/mp4"),
    # Content-Length says 30 MB: refused before the body is read.
    "long-content-length": lambda: Response(
        _zeros(BIG), content_type="video/mp4", headers={"Content-Length": str(BIG)}
    ),
    # 30 MB of zeros gzip-encoded: ~30 KB on the wire, under the announced size; decoded, far over it.
    "gzip": lambda: Response(
        gzip.compress(b"\0" * BIG), content_type="video/mp4", headers={"Content-Encoding": "gzip"}
    ),
    "gzip-chunked": lambda: Response(
        _pieces(gzip.compress(b"\0" * BIG)), content_type="video/mp4", headers={"Content-Encoding": "gzip"}
    ),
}


@pytest.mark.parametrize("body", list(BODIES.values()), ids=list(BODIES))
def test_bytes_past_the_announced_size_stop_the_download_at_once(space, httpsserver, tmp_path, watched, body):
    space()
    httpsserver.expect_request(MEDIA).respond_with_response(body())
    op = DownloadVideoRoomRecordingOperator(
        task_id="dl", recording_id=REC, destination=f"{tmp_path}/", chunk_size=CHUNK
    )
    with pytest.raises(AirflowException, match=rf"dl: the file host .* but SignalWire announced {ANNOUNCED}"):
        op.execute({})
    assert watched["part"] <= ANNOUNCED + CHUNK
    assert watched["consumed"] <= ANNOUNCED + CHUNK
    assert _files(tmp_path) == []  # the temporary file is gone too


@pytest.mark.parametrize("announced", [True, False], ids=["size_in_bytes", "no-size_in_bytes"])
def test_a_gzip_answer_of_the_announced_decoded_size_is_written_decoded(
    space, httpsserver, tmp_path, announced
):
    data = bytes(range(256)) * 512
    space(size_in_bytes=len(data) if announced else None)
    body = gzip.compress(data)
    httpsserver.expect_request(MEDIA).respond_with_response(
        Response(body, content_type="video/mp4", headers={"Content-Encoding": "gzip"})
    )
    result = DownloadVideoRoomRecordingOperator(
        task_id="dl", recording_id=REC, destination=f"{tmp_path}/"
    ).execute({})
    assert (tmp_path / f"{REC}.mp4").read_bytes() == data
    assert result["size"] == len(data) and result["sha256"] == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("fmt", ["../../x", "/etc/x", "../../../../tmp/evil", "mp4/../../x"])
def test_a_hostile_format_over_https_writes_nothing_and_fetches_nothing(space, httpsserver, tmp_path, fmt):
    space(format=fmt)
    httpsserver.expect_request(MEDIA).respond_with_data(b"x" * ANNOUNCED)
    dest = tmp_path / "a" / "b" / "dest"
    op = DownloadVideoRoomRecordingOperator(task_id="dl", recording_id=REC, destination=f"{dest}/")
    with pytest.raises(AirflowFailException, match="format is"):
        op.execute({})
    assert MEDIA not in _paths(httpsserver)
    assert _files(tmp_path) == []


@pytest.mark.parametrize("value", ["/opt/airflow/dags/evil", "../x", "a\\b", "rec\x00id", "rec\nid", ".."])
def test_a_hostile_recording_id_over_https_sends_no_request(space, httpsserver, tmp_path, value):
    space()
    op = DownloadVideoRoomRecordingOperator(
        task_id="dl", recording_id="{{ ti.xcom_pull('ids') }}", destination=f"{tmp_path}/"
    )
    op.recording_id = value  # as rendered
    with pytest.raises(SignalWireConfigError, match="dl: recording_id is"):
        op.execute({})
    assert httpsserver.log == []
    assert _files(tmp_path) == []


# ---------------------------------------------------------------------------------- download_hosts


@pytest.mark.parametrize(
    ("hosts", "fetched"),
    [
        (None, True),  # off by default: any https host
        ("127.0.0.1", True),
        (["files.example.com", "*.cdn.example.com"], False),
        ("*.0.0.1", False),  # '*.' matches hosts below a domain, never an address by its digits
    ],
)
def test_download_hosts_limits_where_files_are_fetched_from(
    make_conn, httpsserver, ca_bundle, tmp_path, hosts, fetched
):
    extra: dict[str, Any] = {"verify": ca_bundle}
    if hosts is not None:
        extra["download_hosts"] = hosts
    make_conn(
        conn_id="signalwire_default", host=f"https://127.0.0.1:{httpsserver.port}", extra=extra, retries=False
    )
    body = {"id": REC, "status": "completed", "size_in_bytes": 4, "uri": httpsserver.url_for(MEDIA)}
    httpsserver.expect_request(f"/api/video/room_recordings/{REC}").respond_with_json(body)
    httpsserver.expect_request(MEDIA).respond_with_data(b"data")
    op = DownloadVideoRoomRecordingOperator(task_id="dl", recording_id=REC, destination=f"{tmp_path}/")
    if fetched:
        assert op.execute({})["size"] == 4
    else:
        with pytest.raises(UnsafeURLError, match="download host '127.0.0.1' is not in the connection's"):
            op.execute({})
        assert _files(tmp_path) == []
    assert (MEDIA in _paths(httpsserver)) is fetched


@pytest.mark.parametrize("hosts", ["https://files.example.com", "*.com", "files.example.com:443", 42])
def test_a_bad_download_hosts_extra_is_refused_on_both_transports_before_any_request(
    make_client, httpsserver, ca_bundle, hosts
):
    conn = {
        "host": f"https://127.0.0.1:{httpsserver.port}",
        "extra": {"verify": ca_bundle, "download_hosts": hosts},
        "retries": False,
    }
    with pytest.raises(SignalWireConfigError, match="Extra field 'download_hosts'"):
        make_client(conn=conn).request("GET", "/api/video/rooms")
    assert httpsserver.log == []
