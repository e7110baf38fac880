"""Rows 5 and 6: triggers polling in one event loop, counted on a TLS server in its own process.

Row 5: 200 deferred sensors' triggers, each polling its own resource until it is done after a fixed
number of polls: ``SignalWireStatusTrigger`` (as ``VideoRoomSessionSensor(deferrable=True)`` builds it)
against ``HttpSensorTrigger`` (as ``HttpSensor(deferrable=True)`` builds it, which waits while the
answer is 404). Both send the same HTTPS GET (same path length, Basic auth, the same CA, an answer
body of the same bytes); the client process's CPU time is measured, and the server counts TCP
connections, TLS handshakes and requests. Two more lines, not contenders: the floor, the same GETs
from a hand-written loop on one shared aiohttp session (what aiohttp and TLS cost per poll), and the
same loop waiting on the 50 ms grid our triggers wake on (``on_poll_grid``): how much of our figure is
that grid, and how much is the rest of our trigger.

Row 6: 10 asset watchers (``SignalWireNewItemsTrigger``, voice logs, one ``filters`` each) on one
listing, run through Airflow's own ``SharedStreamManager`` as the 3.3 triggerer does, against the same
10 triggers each polling on its own (``run()``: what a triggerer without shared streams, or 10
independent watchers, do). The server counts requests per poll interval.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import importlib
import json
import os
import socket
import ssl
import statistics
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from benchmarks.server import (
    PROJECT,
    TOKEN,
    ServerProcess,
    http_conn,
    server_tls,
    signalwire_conn,
    spawn_server,
)

AUTH = "Basic " + base64.b64encode(f"{PROJECT}:{TOKEN}".encode()).decode()
OURS_PREFIX = "/api/video/room_sessions/"  # what SignalWireStatusTrigger asks for a room session
HTTP_PREFIX = "/404/video/room_sessions/"  # same length; answered 404 until done (HttpSensorTrigger)
LOGS_PATH = "/api/voice/logs"
COMPAT_PREFIX = f"/api/laml/2010-04-01/Accounts/{PROJECT}/"  # + Messages/<sid> or Calls/<sid> (row 9)
# Row 9's message and call statuses move on the server's clock, never reaching a final one.
MOVING = {"Messages": ("queued", "sending", "sent"), "Calls": ("queued", "ringing", "in-progress")}
CONN_OURS, CONN_HTTP = "signalwire_bench_triggers", "http_bench_triggers"


# --------------------------------------------------------------------------------------- the server


class TriggerServer:
    """Keep-alive HTTPS on loopback, one thread per connection, the TLS handshake done (and counted) in
    that thread: ``connections`` (TCP accepts), ``handshakes`` (completed; ``resumed`` of them reused
    a TLS session), ``requests`` per kind (``status``, ``http``, ``logs``, ``other``).

    * ``/api/video/room_sessions/<id>``: a room session, ``in-progress`` until it has been asked for
      ``polls_until_done`` times, then ``completed``.
    * ``/404/video/room_sessions/<id>``: the same body, with status 404 until then, then 200.
    * ``COMPAT_PREFIX + Messages/<sid>`` and ``Calls/<sid>`` (row 9): a message or call whose status
      moves every 7 s since it was first asked for (``MOVING``), never to a final one.
    * ``/api/voice/logs``: one page of ``log_records`` voice log records created a minute before the
      server started (inside every watcher's overlap window, so no new items: a quiet listing).

    Every request must carry the benchmark's Basic auth (401 otherwise, counted as ``unauthorized``).
    """

    def __init__(self, polls_until_done: int = 1, log_records: int = 20) -> None:
        self.polls_until_done = polls_until_done
        self._lock = threading.Lock()
        self._asked: dict[str, int] = {}
        self._first_asked: dict[str, float] = {}
        self._last_asked: dict[str, float] = {}
        self.gaps: list[float] = []  # seconds between two polls of one resource (row 9's lateness)
        self.counts: dict[str, int] = {}
        self.reset_counts()
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
        records = [
            {
                "id": f"7c3e0000-0000-4000-8000-{k:012d}",
                "created_at": created,
                "type": "laml_call",
                "direction": "outbound-api",
                "from": "+15550000000",
                "to": f"+1666000{k:04d}",
                "status": "completed",
                "duration": 7 + k,
            }
            for k in range(log_records)
        ]
        self._logs_body = json.dumps({"data": records, "links": {"self": LOGS_PATH}}).encode()
        context, self.ca_bundle, self._dir = server_tls()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                server._count("connections")
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.request.settimeout(30)
                # The handshake happens here, in this connection's thread (not in the accept loop).
                self.request = context.wrap_socket(self.request, server_side=True)
                server._count("handshakes")
                if self.request.session_reused:
                    server._count("resumed")
                super().setup()

            def finish(self) -> None:
                try:
                    super().finish()
                finally:
                    self.request.close()

            def do_GET(self) -> None:
                status, body = server.answer(self.path, self.headers.get("Authorization"))
                # One write per answer: headers and body in separate segments would meet delayed ACKs.
                head = (
                    f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                ).encode()
                self.wfile.write(head + body)

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 1024  # 200 triggers may connect at once

            def handle_error(self, request: Any, client_address: Any) -> None:
                server._count("dropped")  # a client that closed mid-handshake or mid-request

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.base_url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def _count(self, what: str, n: int = 1) -> None:
        with self._lock:
            self.counts[what] = self.counts.get(what, 0) + n

    def answer(self, target: str, auth: str | None) -> tuple[int, bytes]:
        path = target.split("?", 1)[0]
        if auth != AUTH:
            self._count("unauthorized")
            return 401, b'{"errors":[{"code":"unauthorized","message":"Unauthorized"}]}'
        if path == LOGS_PATH:
            self._count("logs")
            return 200, self._logs_body
        if path.startswith(COMPAT_PREFIX):
            return self._compat(path[len(COMPAT_PREFIX) :])
        for prefix, kind in ((OURS_PREFIX, "status"), (HTTP_PREFIX, "http")):
            if path.startswith(prefix):
                self._count(kind)
                self._stamp(path)
                session_id = path[len(prefix) :]
                with self._lock:
                    asked = self._asked[path] = self._asked.get(path, 0) + 1
                done = asked >= self.polls_until_done
                body = json.dumps(
                    {
                        "id": session_id,
                        "room_id": "00000000-0000-4000-8000-000000000001",
                        "name": "standup",
                        "display_name": "Standup",
                        "status": "completed" if done else "in-progress",
                        "start_time": "2026-11-01T00:00:00Z",
                        "end_time": "2026-11-01T01:00:00Z" if done else None,
                        "duration": 3600 if done else None,
                        "cost_in_dollars": 0.0,
                    }
                ).encode()
                return (200 if done or kind == "status" else 404), body
        self._count("other")
        return 404, b'{"errors":[{"code":"not_found","message":"Not Found"}]}'

    def _stamp(self, path: str) -> float:
        """Note when ``path`` was asked for; returns seconds since it was first asked for."""
        now = time.monotonic()
        with self._lock:
            last = self._last_asked.get(path)
            if last is not None:
                self.gaps.append(now - last)
            self._last_asked[path] = now
            return now - self._first_asked.setdefault(path, now)

    def _compat(self, rest: str) -> tuple[int, bytes]:
        resource, _, sid = rest.partition("/")
        if resource not in MOVING or not sid:
            self._count("other")
            return 404, b'{"code":20404,"message":"Not Found","status":404}'
        self._count("status")
        since = self._stamp(COMPAT_PREFIX + rest)
        statuses = MOVING[resource]
        status = statuses[min(int(since // 7), len(statuses) - 1)]
        body: dict[str, Any] = {"sid": sid, "status": status, "to": "+12025550101", "from": "+12025550150"}
        body.update({"body": "x"} if resource == "Messages" else {"duration": None})
        return 200, json.dumps(body).encode()

    def configure(self, polls_until_done: int) -> int:
        with self._lock:
            self.polls_until_done = polls_until_done
            self._asked.clear()
            self._first_asked.clear()
            self._last_asked.clear()
            self.gaps = []
        return 0

    def take_gaps(self) -> list[float]:
        with self._lock:
            gaps, self.gaps = self.gaps, []
            return gaps

    def reset_counts(self) -> int:
        with self._lock:
            self.counts = {"connections": 0, "handshakes": 0, "resumed": 0}
        return 0

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {**self.counts, "resources": len(self._last_asked)}

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._dir.cleanup()


class TriggerServerProcess(ServerProcess):
    """:class:`TriggerServer` in a child process, so its handshakes never count as the client's CPU."""

    def __init__(self) -> None:
        self._conn, self._process, self.port, self.ca_bundle = spawn_server(_serve)
        self.base_url = f"https://127.0.0.1:{self.port}"

    def configure(self, polls_until_done: int) -> None:
        self._conn.send(("configure", polls_until_done))
        self._conn.recv()

    def snapshot(self) -> dict[str, int]:
        self._conn.send(("snapshot", None))
        return self._conn.recv()

    def reset_counts(self) -> None:
        self._conn.send(("reset", None))
        self._conn.recv()

    def take_gaps(self) -> list[float]:
        self._conn.send(("gaps", None))
        return self._conn.recv()

    def close(self) -> None:
        self._conn.send(("close", None))
        self._conn.recv()
        self._process.join(5)


def _serve(conn) -> None:
    server = TriggerServer()
    conn.send((server.port, server.ca_bundle))
    while True:
        what, arg = conn.recv()
        if what == "configure":
            conn.send(server.configure(arg))
        elif what == "snapshot":
            conn.send(server.snapshot())
        elif what == "reset":
            conn.send(server.reset_counts())
        elif what == "gaps":
            conn.send(server.take_gaps())
        elif what == "close":
            conn.send(0)
            server.close()
            return


@contextlib.contextmanager
def _quiet(*namespaces: str) -> Iterator[None]:
    """No log lines from these loggers: both triggers log one line per poll (ours at INFO,
    ``HttpSensorTrigger`` a warning per 404 answer); rendering them would measure the log sink."""
    import logging

    tries = []
    for module in ("airflow._shared.logging.structlog", "airflow.sdk._shared.logging.structlog"):
        with contextlib.suppress(ImportError, AttributeError):
            tries.append(importlib.import_module(module).PER_LOGGER_LEVELS)
    saved = [{n: t.get(n) for n in namespaces} for t in tries]
    for t in tries:
        for n in namespaces:
            t[n] = logging.ERROR
    try:
        yield
    finally:
        for t, old in zip(tries, saved, strict=True):
            for n, level in old.items():
                if level is None:
                    t.pop(n, None)
                else:
                    t[n] = level


def _delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items()}


# -------------------------------------------------------------------------------------------- row 5


def status_triggers(
    count: int, interval: float, tag: str, kinds: tuple[str, ...] = ("room_session",), first: int = 0
) -> list[Any]:
    """``count`` triggers as ``SignalWireStatusSensor(deferrable=True)`` builds them (numbered from
    ``first``), the kinds taken in turn (row 9: ``message`` and ``call``, as Message/CallStatusSensor)."""
    from airflow_provider_signalwire.triggers.status import SignalWireStatusTrigger

    # As SignalWireStatusSensor.execute defers: kind, id, default success statuses, the poke interval and
    # the sensor's deadline (a week: never reached here).
    deadline = time.time() + 7 * 24 * 3600
    return [
        SignalWireStatusTrigger(
            kind=kinds[k % len(kinds)],
            resource_id=f"5e55{tag}-0000-4000-8000-{k:012d}",
            signalwire_conn_id=CONN_OURS,
            poll_interval=interval,
            end_time=deadline,
        )
        for k in range(first, first + count)
    ]


def http_triggers(
    count: int, interval: float, tag: str, extra_options: dict[str, Any], first: int = 0
) -> list[Any]:
    """``count`` triggers as ``HttpSensor(deferrable=True).execute`` builds them (numbered from ``first``)."""
    from airflow.providers.http.triggers.http import HttpSensorTrigger

    return [
        HttpSensorTrigger(
            endpoint=f"{HTTP_PREFIX}5e55{tag}-0000-4000-8000-{k:012d}",
            http_conn_id=CONN_HTTP,
            method="GET",
            extra_options=extra_options,
            poke_interval=interval,
        )
        for k in range(first, first + count)
    ]


async def _drive(triggers: list[Any], interval: float) -> list[Any]:
    """Every trigger's ``run()`` in this loop until its one event; starts spread over one interval
    (sensors defer at different moments), so polls do not all land in the same instant."""

    async def one(k: int, trigger: Any) -> Any:
        await asyncio.sleep(interval * k / len(triggers))
        async for event in trigger.run():
            return event.payload
        return None

    return await asyncio.gather(*(one(k, t) for k, t in enumerate(triggers)))


async def _plain_polls(
    base_url: str, count: int, interval: float, tag: str, context: ssl.SSLContext, grid: bool = False
) -> list[Any]:
    """The floor, not a contender: the same GETs from a hand-written loop on one shared aiohttp session
    (no hook, no checks), so the table shows how much of a poll is aiohttp and TLS themselves; with
    ``grid``, its waits end on the same shared grid as our triggers'."""
    import aiohttp

    from airflow_provider_signalwire.triggers.status import on_poll_grid

    connector = aiohttp.TCPConnector(ssl=context, limit_per_host=16)
    async with aiohttp.ClientSession(connector=connector, headers={"Authorization": AUTH}) as session:

        async def one(k: int) -> Any:
            await asyncio.sleep(interval * k / count)
            url = f"{base_url}{OURS_PREFIX}5e55{tag}-0000-4000-8000-{k:012d}"
            while True:
                async with session.get(url) as response:
                    response.raise_for_status()
                    status = (await response.json())["status"]
                if status == "completed":
                    return status
                loop_time = asyncio.get_running_loop().time()
                await asyncio.sleep(on_poll_grid(interval, loop_time) if grid else interval)

        return await asyncio.gather(*(one(k) for k in range(count)))


def _row5(
    server: TriggerServerProcess, count: int, polls: int, interval: float, repeats: int
) -> list[dict[str, Any]]:
    context = ssl.create_default_context(cafile=server.ca_bundle)
    ssl_option = {"ssl": context}
    floor = "plain aiohttp, one shared session"
    floor_grid = "plain aiohttp, one shared session, waits on the same 50 ms grid"
    sides = {
        "SignalWireStatusTrigger": lambda n, tag: _drive(status_triggers(n, interval, tag), interval),
        # ``ssl``: one context trusting the benchmark's CA, shared by all (what aiohttp's cached default
        # context is for a public CA).
        "HttpSensorTrigger": lambda n, tag: _drive(http_triggers(n, interval, tag, ssl_option), interval),
        floor: lambda n, tag: _plain_polls(server.base_url, n, interval, tag, context),
        floor_grid: lambda n, tag: _plain_polls(server.base_url, n, interval, tag, context, grid=True),
    }
    runs = 0

    def measure(name: str, n: int, poll_count: int) -> tuple[float, dict[str, int]]:
        nonlocal runs
        runs += 1
        server.configure(poll_count)
        work = sides[name](n, f"{runs:04x}")
        before = server.snapshot()
        started = time.process_time()
        events = asyncio.run(work)
        cpu = time.process_time() - started
        counted = _delta(server.snapshot(), before)
        if name == "SignalWireStatusTrigger":
            assert all(e and e["status"] == "success" for e in events), events[:3]
        elif name == "HttpSensorTrigger":
            assert all(e is True for e in events), events[:3]
        else:
            assert all(e == "completed" for e in events), events[:3]
        return cpu, counted

    for name in sides:  # warm-up: imports, first contexts
        measure(name, 5, 2)
    cpu: dict[str, list[float]] = {name: [] for name in sides}
    totals: dict[str, dict[str, int]] = {name: {} for name in sides}
    order = list(sides)
    for r in range(repeats):
        for name in order if r % 2 == 0 else order[::-1]:
            seconds, counted = measure(name, count, polls)
            asked = counted.get("http" if name == "HttpSensorTrigger" else "status", 0)
            assert asked == count * polls, (name, asked, count * polls, counted)
            cpu[name].append(seconds * 1000 / asked)
            for k, v in counted.items():
                totals[name][k] = totals[name].get(k, 0) + v
    base = statistics.median(cpu["HttpSensorTrigger"])
    rows = []
    for name in ["HttpSensorTrigger", "SignalWireStatusTrigger", floor, floor_grid]:
        per_1000 = statistics.median(cpu[name])
        t = totals[name]
        asked = t.get("status", 0) + t.get("http", 0)
        spread = f"{min(cpu[name]):.3f}-{max(cpu[name]):.3f}" if repeats > 1 else f"{per_1000:.3f}"
        rows.append(
            {
                "row": 5,
                "what": f"(floor) {name}" if name in (floor, floor_grid) else f"{count} x {name}",
                "seconds": per_1000,
                "ratio": per_1000 / base,
                "note": (
                    f"client CPU s per 1,000 polls (median of {repeats}, {spread}); server counted "
                    f"{asked} polls, {t['connections']} TCP connections, {t['handshakes']} TLS "
                    f"handshakes ({t['resumed']} resumed), {t['handshakes'] / asked:.3f} per poll; "
                    f"{polls} polls each, every {interval:g} s"
                    + (f"; {t['dropped']} dropped" if t.get("dropped") else "")
                ),
            }
        )
    return rows


# -------------------------------------------------------------------------------------------- row 6


async def _watch(shared: bool, watchers: int, interval: float, window: float, server: Any) -> dict[str, Any]:
    from airflow.triggers.shared_stream import SharedStreamManager

    from airflow_provider_signalwire.triggers.events import SignalWireNewItemsTrigger

    triggers = [
        SignalWireNewItemsTrigger(
            kind="voice_logs",
            signalwire_conn_id=CONN_OURS,
            poll_interval=interval,
            filters={"to": f"+1666000{k:04d}"},
        )
        for k in range(watchers)
    ]
    manager = SharedStreamManager() if shared else None
    errors: list[BaseException] = []

    async def collect(k: int, trigger: Any) -> None:
        try:
            if manager is not None:
                stream = trigger.filter_shared_stream(
                    manager.subscribe(trigger_id=k, trigger=trigger, key=trigger.shared_stream_key())
                )
            else:
                stream = trigger.run()
            async for _ in stream:
                errors.append(AssertionError("a quiet listing fired an event"))
        except asyncio.CancelledError:
            raise
        except Exception as err:
            errors.append(err)

    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(collect(k, t)) for k, t in enumerate(triggers)]
    first = 1 if shared else watchers
    deadline = time.monotonic() + 30
    while server.snapshot().get("logs", 0) < first:  # every watcher took its first poll
        assert time.monotonic() < deadline and not errors, errors
        await asyncio.sleep(interval / 10)
    before, cpu0, t0 = server.snapshot(), time.process_time(), time.monotonic()
    await asyncio.sleep(window)
    after, cpu1, t1 = server.snapshot(), time.process_time(), time.monotonic()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if manager is not None:
        for k, trigger in enumerate(triggers):
            await manager.unsubscribe(k, trigger.shared_stream_key())
        await manager.stop_all()
    assert not errors, errors
    return {"counted": _delta(after, before), "cpu": cpu1 - cpu0, "elapsed": t1 - t0}


def _row6(
    server: TriggerServerProcess, watchers: int, interval: float, window: float
) -> list[dict[str, Any]]:
    rows = []
    results = {}
    for shared in (False, True):
        results[shared] = asyncio.run(_watch(shared, watchers, interval, window, server))
    base_cpu = results[False]["cpu"] / (results[False]["elapsed"] / interval)
    names = {False: f"{watchers} unshared watchers (run())", True: f"{watchers} shared watchers"}
    for shared, what in names.items():
        r = results[shared]
        intervals = r["elapsed"] / interval
        c = r["counted"]
        per_interval = c.get("logs", 0) / intervals
        cpu = r["cpu"] / intervals
        rows.append(
            {
                "row": 6,
                "what": what,
                "seconds": cpu,
                "ratio": cpu / base_cpu,
                "note": (
                    f"{per_interval:.2f} requests per poll interval ({c.get('logs', 0)} in "
                    f"{r['elapsed']:.1f} s at {interval:g} s); seconds: client CPU per interval; "
                    f"{c['connections']} new TCP connections"
                ),
            }
        )
    return rows


# ---------------------------------------------------------------------------------------------- run


def run(size: str = "full") -> list[dict[str, Any]]:
    if size == "tiny":
        count, polls, interval, repeats = 20, 3, 0.1, 1
        watchers, watch_interval, window = 10, 0.1, 1.0
    elif size == "quick":
        count, polls, interval, repeats = 200, 5, 1.0, 2
        watchers, watch_interval, window = 10, 0.25, 5.0
    else:
        count, polls, interval, repeats = 200, 10, 1.0, 3
        watchers, watch_interval, window = 10, 0.25, 10.0
    server = TriggerServerProcess()
    os.environ[f"AIRFLOW_CONN_{CONN_OURS.upper()}"] = signalwire_conn(server)
    # HttpSensorTrigger gets the CA through extra_options (its connection's verify is only a bool).
    os.environ[f"AIRFLOW_CONN_{CONN_HTTP.upper()}"] = http_conn(server, verify=False)
    try:
        with _quiet("airflow.providers.http", "airflow_provider_signalwire"):
            rows = _row5(server, count, polls, interval, repeats)
        rows += _row6(server, watchers, watch_interval, window)
    finally:
        server.close()
    return rows


if __name__ == "__main__":
    for row in run(size="tiny"):
        print(row)
