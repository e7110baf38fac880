"""Rows 2 and 3: a 200-page listing over loopback TLS, our hooks against what users would write.

Row 2: ``SignalWireHook.paginate`` vs a plain ``requests.Session`` loop and ``HttpHook.run`` per page.
Row 3: ``SignalWireAsyncHook.paginate`` vs a plain ``aiohttp`` loop. Same server, same TLS, same items.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from benchmarks.server import PROJECT, TOKEN, ServerProcess, http_conn, signalwire_conn

PATH = "/api/video/rooms"


def _interleaved(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, tuple[float, float, Any]]:
    """Median wall seconds and median client CPU seconds of each function, run round-robin so machine
    noise hits them alike. The CPU time is this process's only (the server runs in its own): steadier
    than wall time, which also holds the server's work and the loopback's."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    cpu: dict[str, list[float]] = {name: [] for name in fns}
    results: dict[str, Any] = {}
    for name, fn in fns.items():
        results[name] = fn()  # warm-up (imports, first handshakes)
    for _ in range(repeats):
        for name, fn in fns.items():
            started, cpu_started = time.perf_counter(), time.process_time()
            results[name] = fn()
            cpu[name].append(time.process_time() - cpu_started)
            times[name].append(time.perf_counter() - started)
    return {
        name: (statistics.median(times[name]), statistics.median(cpu[name]), results[name]) for name in fns
    }


def _cpu_note(cpu: float, cpu_base: float, repeats: int) -> str:
    return (
        f"client CPU {cpu * 1000:.0f} ms per listing, {cpu / cpu_base:.2f}x the plain loop's; "
        f"medians of {repeats} interleaved runs"
    )


def run(size: str = "full") -> list[dict[str, Any]]:
    pages, per_page, repeats = {"tiny": (3, 5, 1), "quick": (200, 50, 7)}.get(size, (200, 50, 15))
    server = ServerProcess(pages, per_page)
    os.environ["AIRFLOW_CONN_SIGNALWIRE_BENCH"] = signalwire_conn(server)
    os.environ["AIRFLOW_CONN_HTTP_BENCH"] = http_conn(server)
    total = pages * per_page
    rows: list[dict[str, Any]] = []
    try:
        import requests

        def plain_requests(loads: Callable[[bytes], Any] | None = None) -> int:
            session = requests.Session()
            session.auth = (PROJECT, TOKEN)
            url: str | None = f"{server.base_url}{PATH}?page_size={per_page}"
            items = []
            while url:
                response = session.get(url, verify=server.ca_bundle, timeout=30)
                response.raise_for_status()
                body = loads(response.content) if loads else response.json()
                items.extend(body["data"])
                nxt = body["links"].get("next")
                url = f"{server.base_url}{nxt}" if nxt else None
            session.close()
            return len(items)

        def http_hook() -> int:
            from airflow.providers.http.hooks.http import HttpHook

            hook = HttpHook(method="GET", http_conn_id="http_bench")
            endpoint: str | None = f"{PATH}?page_size={per_page}"
            items = []
            while endpoint:
                body = hook.run(endpoint, extra_options={"verify": server.ca_bundle}).json()
                items.extend(body["data"])
                endpoint = body["links"].get("next")
            return len(items)

        def ours_sync() -> int:
            from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

            hook = SignalWireHook("signalwire_bench")
            count = sum(1 for _ in hook.paginate(PATH, page_size=per_page))
            hook.close()
            return count

        import msgspec

        server.reset_counts()
        clients = {
            "plain requests loop": plain_requests,
            # What our hooks parse with (msgspec): how much of the difference is the JSON parser.
            "plain requests loop + msgspec": lambda: plain_requests(msgspec.json.decode),
            "HttpHook.run per page": http_hook,
            "SignalWireHook.paginate": ours_sync,
        }
        measured = _interleaved(clients, repeats)
        connections = server.connections / (len(clients) * (repeats + 1))
        base, cpu_base, _ = measured["plain requests loop"]
        for name, (seconds, cpu, count) in measured.items():
            assert count == total, (name, count)
            rows.append(
                {
                    "row": 2,
                    "what": name,
                    "seconds": seconds,
                    "ratio": seconds / base,
                    "note": f"{connections:.0f} TLS connection(s) per listing (all clients); "
                    + _cpu_note(cpu, cpu_base, repeats),
                }
            )

        import aiohttp

        async def plain_aiohttp(loads: Callable[[bytes], Any] | None = None) -> int:
            import ssl

            context = ssl.create_default_context(cafile=server.ca_bundle)
            async with aiohttp.ClientSession(auth=aiohttp.BasicAuth(PROJECT, TOKEN)) as session:
                url: str | None = f"{server.base_url}{PATH}?page_size={per_page}"
                items = []
                while url:
                    async with session.get(url, ssl=context) as response:
                        response.raise_for_status()
                        body = loads(await response.read()) if loads else await response.json()
                    items.extend(body["data"])
                    nxt = body["links"].get("next")
                    url = f"{server.base_url}{nxt}" if nxt else None
                return len(items)

        async def ours_async() -> int:
            from airflow_provider_signalwire.hooks.signalwire_async import SignalWireAsyncHook

            hook = SignalWireAsyncHook("signalwire_bench")
            return len([item async for item in hook.paginate(PATH, page_size=per_page)])

        measured = _interleaved(
            {
                "plain aiohttp loop": lambda: asyncio.run(plain_aiohttp()),
                "plain aiohttp loop + msgspec": lambda: asyncio.run(plain_aiohttp(msgspec.json.decode)),
                "SignalWireAsyncHook.paginate": lambda: asyncio.run(ours_async()),
            },
            repeats,
        )
        base, cpu_base, _ = measured["plain aiohttp loop"]
        for name, (seconds, cpu, count) in measured.items():
            assert count == total, (name, count)
            rows.append(
                {
                    "row": 3,
                    "what": name,
                    "seconds": seconds,
                    "ratio": seconds / base,
                    "note": _cpu_note(cpu, cpu_base, repeats),
                }
            )
    finally:
        server.close()
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
