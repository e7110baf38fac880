"""Driving the fake space in tests: its video backend, the API calls it saw, new resources, polls seen,
running a trigger."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from airflow_provider_signalwire.testing import FakeSignalWireSpace
from airflow_provider_signalwire.testing.video.models import VideoBackend

COMPAT = "/api/laml/2010-04-01/Accounts"


def video(space: Any) -> VideoBackend:
    """The fake space's video backend."""
    backend = space.backends["video"]
    assert isinstance(backend, VideoBackend)
    return backend


def token_works(space: Any, token: str) -> bool:
    """Whether the fake space accepts ``token`` (a video read with it answers 200)."""
    import requests

    answer = requests.get(
        space.base_url + "/api/video/rooms",
        auth=(space.project_id, token),
        verify=space.ca_bundle,
        timeout=10,
    )
    return answer.status_code == 200


def api_calls(space: Any) -> list[tuple[str, str]]:
    """(method, path) of every request the fake space answered, in order."""
    return [(r.method, r.path) for r in space.requests]


def _create(space: FakeSignalWireSpace, resource: str, **data: str) -> str:
    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

    sent = SignalWireHook().request(
        "POST",
        f"{COMPAT}/{space.project_id}/{resource}",
        data={"To": "+15551230000", "From": "+15557650000", **data},
    )
    return str(sent["sid"])


def send_message(space: FakeSignalWireSpace) -> str:
    """A new outbound message (queued now; sent after 1 s, delivered after 3 s of fake time)."""
    return _create(space, "Messages", Body="hello")


def start_call(space: FakeSignalWireSpace) -> str:
    """A new call (queued; ringing after 1 s, answered after 3 s, completed after 13 s of fake time)."""
    return _create(space, "Calls", Url="https://example.com/laml.xml")


def live_session(space: FakeSignalWireSpace) -> tuple[str, str]:
    """An in-progress room session with one recording still recording: (session id, recording id)."""
    video: Any = space.backends["video"]
    room = video.seed_rooms(1)[0]
    session = video.create_session(room, recordings=1, in_progress=True)
    recording = next(r for r in video.recordings if r.room_session_id == session.id)
    return session.id, recording.id


def end_session(space: FakeSignalWireSpace, session_id: str) -> None:
    """End a live session now: it turns ``completed``, and so do its recordings."""
    video: Any = space.backends["video"]
    with video.lock:
        now = space.clock.now()
        video.sessions.get(session_id).end = now
        for recording in video.recordings:
            if recording.room_session_id == session_id:
                recording.end = now


def polls(space: FakeSignalWireSpace, resource_id: str) -> list[Any]:
    """The GETs of ``resource_id`` the space has answered (or refused) so far."""
    return [r for r in space.requests if r.method == "GET" and resource_id in r.path]


def run_trigger(
    trigger: Any,
    *,
    when: Callable[[], bool] | None = None,
    then: Callable[[], None] | None = None,
    timeout: float = 20,
) -> list[Any]:
    """Run ``trigger`` to its end in a fresh event loop and return every event it yielded.

    ``then()`` is called (once) as soon as ``when()`` is true, while the trigger keeps polling: that is
    how a test moves the fake's clock or state on under a waiting trigger.
    """

    async def main() -> list[Any]:
        events: list[Any] = []

        async def consume() -> None:
            async for event in trigger.run():
                events.append(event)

        task = asyncio.create_task(consume())
        if then is not None:
            while not (when is None or when()) and not task.done():
                await asyncio.sleep(0.01)
            then()
        await asyncio.wait_for(task, timeout)
        return events

    return asyncio.run(main())
