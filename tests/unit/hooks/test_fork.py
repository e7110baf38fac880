"""Fork safety (issue #22): Celery's prefork pool forks worker processes after DAG files (and whatever
hooks they hold) are imported. A hook used before the fork must open its own connections in the child:
the parent's pooled sockets are shared file descriptors, and two processes reading one TLS stream
corrupt each other's answers. The parent's session stays its own and keeps working after the child."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_signalwire.hooks.signalwire import SignalWireHook
from airflow_provider_signalwire.hooks.signalwire_async import SignalWireAsyncHook, shared_session

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")


def in_child(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``work`` in a forked child; its JSON answer (or the error it raised) comes back by a pipe."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 0
        try:
            os.close(read_end)
            try:
                answer = work()
            except BaseException as exc:  # reported to the parent
                answer, code = {"error": repr(exc)}, 1
            os.write(write_end, json.dumps(answer).encode())
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    answer: dict[str, Any] = json.loads(data or b'{"error": "no answer"}')
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, answer
    return answer


def _connections(session: Any) -> int:
    """TLS connections the session's pool has opened so far."""
    adapter = session.get_adapter("https://")
    return sum(pool.num_connections for pool in adapter.poolmanager.pools._container.values())


def test_a_sync_hook_used_before_a_fork_opens_its_own_connection_in_the_child(signalwire_space):
    hook = SignalWireHook()
    hook.request("GET", "/api/video/rooms")
    parent_session = hook.session
    assert _connections(parent_session) == 1

    def child() -> dict[str, Any]:
        session = hook.session
        hook.request("GET", "/api/video/rooms")
        return {"same_session": session is parent_session, "connections": _connections(session)}

    answer = in_child(child)
    assert answer == {"same_session": False, "connections": 1}
    # The parent's session is untouched by the child and keeps its one connection.
    hook.request("GET", "/api/video/rooms")
    assert hook.session is parent_session and _connections(parent_session) == 1


def test_the_download_session_is_per_process_too(signalwire_space):
    hook = SignalWireHook()
    parent_session = hook.download_session
    answer = in_child(lambda: {"same_session": hook.download_session is parent_session})
    assert answer == {"same_session": False}
    assert hook.download_session is parent_session


def test_close_in_the_parent_after_a_fork_closes_only_its_own(signalwire_space):
    hook = SignalWireHook()
    hook.request("GET", "/api/video/rooms")
    parent_session = hook.session

    def child() -> dict[str, Any]:
        hook.close()  # the child's close must not shut the parent's pooled sockets
        return {}

    in_child(child)
    hook.request("GET", "/api/video/rooms")
    assert hook.session is parent_session and _connections(parent_session) == 1


def test_an_async_shared_session_made_in_another_process_is_not_used(signalwire_space, monkeypatch):
    """The async sessions are per event loop, and a forked child runs its own loop; should a child
    reuse a loop object it inherited, the session on it is still its parent's: the pid says so. (A
    real fork with an inherited loop shares the parent's epoll descriptor, so this is shown in-process
    by changing what ``os.getpid`` answers.)"""
    from airflow_provider_signalwire.hooks import _aiohttp_transport

    async def main() -> tuple[Any, Any, Any]:
        hook = SignalWireAsyncHook()
        await hook.request("GET", "/api/video/rooms")
        settings = await hook.get_settings()
        first = (await shared_session(settings)).session
        again = (await shared_session(settings)).session
        parent = os.getpid()
        monkeypatch.setattr(_aiohttp_transport.os, "getpid", lambda: parent + 1)
        await hook.request("GET", "/api/video/rooms")
        in_the_child = (await shared_session(settings)).session
        return first, again, in_the_child

    first, again, in_the_child = asyncio.run(main())
    assert first is again
    assert in_the_child is not first
