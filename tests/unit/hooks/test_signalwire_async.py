"""SignalWireAsyncHook specifics: one session per space and event loop, closed when the loop ends."""

from __future__ import annotations

import asyncio
import gc
import warnings

from airflow_provider_signalwire.hooks import _aiohttp_transport
from airflow_provider_signalwire.hooks.signalwire_async import SignalWireAsyncHook, shared_session


def test_hooks_on_one_loop_share_a_session_that_closes_with_the_loop(signalwire_space):
    seen = []

    async def main():
        first, second = SignalWireAsyncHook(), SignalWireAsyncHook()
        await first.request("GET", "/api/video/rooms")
        await second.request("GET", "/api/video/rooms")
        seen.append((await shared_session(await first.get_settings())).session)
        seen.append((await shared_session(await second.get_settings())).session)

    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        asyncio.run(main())
        gc.collect()
    assert seen[0] is seen[1]
    assert seen[0].closed  # closed by the closer task when asyncio.run ended the loop


def test_each_loop_gets_its_own_session(signalwire_space):
    async def session_of():
        hook = SignalWireAsyncHook()
        await hook.request("GET", "/api/video/rooms")
        return (await shared_session(await hook.get_settings())).session

    first, second = asyncio.run(session_of()), asyncio.run(session_of())
    assert first is not second and first.closed and second.closed
    assert not any(loop.is_running() for loop in list(_aiohttp_transport._SESSIONS.keys()))


def test_the_connection_is_read_once_with_the_async_lookup(signalwire_space, monkeypatch):
    from airflow.providers.common.compat import connection as compat

    calls = []
    real = compat.get_async_connection

    async def counting(conn_id, hook=None):
        calls.append(conn_id)
        return await real(conn_id, hook)

    monkeypatch.setattr(compat, "get_async_connection", counting)

    async def main():
        hook = SignalWireAsyncHook()
        for _ in range(3):
            await hook.request("GET", "/api/video/rooms")

    asyncio.run(main())
    assert calls == ["signalwire_default"]
