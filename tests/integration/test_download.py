"""SignalWireHook.open_download: files from the media host, streamed, never with the space's credentials."""

from __future__ import annotations

import pytest

from airflow_provider_signalwire.exceptions import SignalWireAPIError
from airflow_provider_signalwire.hooks.signalwire import SignalWireHook
from airflow_provider_signalwire.protocol import UnsafeURLError


@pytest.fixture
def hook(signalwire_space):
    hook = SignalWireHook(retry_backoff=0.01)
    yield hook
    hook.close()


def test_a_recording_is_streamed_from_the_media_host_without_credentials(signalwire_space, hook):
    signalwire_space.seed_sessions(1, recordings_per_session=1)
    (recording,) = hook.paginate("/api/video/room_recordings")
    with hook.open_download(recording["uri"], chunk_size=1024) as download:
        body = b"".join(download.chunks)
    assert len(body) > 0 and (download.size is None or download.size == len(body))
    (fetched,) = signalwire_space.media_requests
    assert not fetched.has_auth and "cookie" not in fetched.headers
    assert all(r.server != "media" for r in signalwire_space.requests)


@pytest.mark.parametrize(
    "url",
    [
        "http://files.example.com/rec.mp4",
        "ftp://files.example.com/rec.mp4",
        "https://user:pw@files.example.com/rec.mp4",
        "https://files.example.com/rec mp4",
        "file:///etc/passwd",
        "/api/video/room_recordings/x",
        "https:///nohost",
        123,
    ],
)
def test_unsafe_download_urls_are_refused_before_any_request(signalwire_space, hook, url):
    with pytest.raises(UnsafeURLError), hook.open_download(url):
        pass
    assert signalwire_space.media_requests == [] and signalwire_space.requests == []


def test_a_missing_file_is_our_error(signalwire_space, hook):
    with (
        pytest.raises(SignalWireAPIError, match="HTTP 404"),
        hook.open_download(f"{signalwire_space.media_base_url}/no-such-file.mp4"),
    ):
        pass
