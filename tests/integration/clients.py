"""The sync and the async hook behind one interface, so one contract test runs on both transports."""

from __future__ import annotations

import asyncio
from typing import Any

from airflow_provider_signalwire.hooks.signalwire import SignalWireHook
from airflow_provider_signalwire.hooks.signalwire_async import SignalWireAsyncHook


class SyncClient:
    transport = "sync"

    def __init__(self, conn_id: str, **hook_kwargs: Any) -> None:
        hook_kwargs.setdefault("retry_backoff", 0.01)
        self.hook = SignalWireHook(signalwire_conn_id=conn_id, **hook_kwargs)
        self.slept: list[float] = []
        self.hook._sleep = self.slept.append

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.hook.request(method, path, **kwargs)

    def listing(self, path: str, **kwargs: Any) -> list[Any]:
        return list(self.hook.paginate(path, **kwargs))

    def test_connection(self) -> tuple[bool, str]:
        return self.hook.test_connection()

    def close(self) -> None:
        self.hook.close()


class AsyncClient:
    """Runs the async hook on one event loop kept for the whole test (as a triggerer keeps its loop)."""

    transport = "async"

    def __init__(self, conn_id: str, loop: asyncio.AbstractEventLoop, **hook_kwargs: Any) -> None:
        hook_kwargs.setdefault("retry_backoff", 0.01)
        self.hook = SignalWireAsyncHook(signalwire_conn_id=conn_id, **hook_kwargs)
        self.loop = loop
        self.slept: list[float] = []

        async def record(delay: float) -> None:
            self.slept.append(delay)

        self.hook._sleep = record

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.loop.run_until_complete(self.hook.request(method, path, **kwargs))

    def listing(self, path: str, **kwargs: Any) -> list[Any]:
        async def collect() -> list[Any]:
            return [item async for item in self.hook.paginate(path, **kwargs)]

        return self.loop.run_until_complete(collect())

    def test_connection(self) -> tuple[bool, str]:
        return self.loop.run_until_complete(self.hook.test_connection())

    def close(self) -> None:
        pass


def close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """End a loop as asyncio.run does: cancel what is left (the hook's session closer), then close."""
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()
