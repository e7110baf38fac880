"""One scripted conversation, run through the sync runner (requests) and the async runner (aiohttp).

A tiny HTTP server answers from a script (statuses, Retry-After, a reset connection, an answer that
never comes); both hooks must send the same requests, wait the same seconds, log the same lines and end
the same way, and that must be the expected script.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_signalwire.exceptions import SignalWireAPIError
from airflow_provider_signalwire.protocol import RateLimitRule
from airflow_provider_signalwire.protocol import retry as retry_rules
from tests.fixtures import PROJECT

ROOMS = "/api/video/rooms"
MESSAGES = f"/api/laml/2010-04-01/Accounts/{PROJECT}/Messages"
TIMEOUT = 0.5


def answer(status: int, body: Any = None, **headers: str) -> tuple[str, int, dict[str, str], bytes]:
    content = b"" if body is None else json.dumps(body).encode()
    return ("answer", status, {"Content-Type": "application/json", **headers}, content)


RESET = ("reset",)
HANG = ("hang",)


class ScriptedServer:
    """Answers each request with the next action of its script; records every request it reads."""

    def __init__(self) -> None:
        self.script: list[tuple[Any, ...]] = []
        self.seen: list[tuple[str, str, str | None, str | None, bool, str]] = []
        self.authorization: str | None = None
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        try:
            while True:
                line = reader.readline()
                if not line:
                    return
                method, target, _ = line.decode().split(" ", 2)
                headers: dict[str, str] = {}
                while (header := reader.readline().decode().strip()) != "":
                    name, _, value = header.partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = reader.read(int(headers.get("content-length", "0") or 0)).decode()
                self.seen.append(
                    (
                        method,
                        target,
                        headers.get("accept"),
                        headers.get("content-type"),
                        headers.get("authorization") == self.authorization,
                        body,
                    )
                )
                action = self.script.pop(0)
                if action[0] == "reset":  # the connection drops after the request was sent
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                if action[0] == "hang":  # no answer within the timeout
                    time.sleep(TIMEOUT * 3)
                    return
                _, status, extra, content = action
                head = [f"HTTP/1.1 {status} Scripted", f"Content-Length: {len(content)}"]
                head += [f"{k}: {v}" for k, v in extra.items()]
                conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + content)
        finally:
            reader.close()
            conn.close()

    def close(self) -> None:
        self._sock.close()


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    yield scripted
    scripted.close()


# Each call of the conversation: what the hooks are asked, and what the server answers to each request.
def page(items: list[str], next_link: str | None) -> tuple[str, int, dict[str, str], bytes]:
    return answer(
        200, {"data": [{"id": i} for i in items], "links": {"next": next_link} if next_link else {}}
    )


CONVERSATION: list[tuple[str, dict[str, Any], list[tuple[Any, ...]]]] = [
    (
        "paginate",
        {"path": ROOMS, "params": {"page_size": 2}},
        [
            answer(503, {"error": "busy"}, **{"Retry-After": "2"}),
            RESET,
            answer(429, {"error": "slow down"}, **{"Retry-After": "1"}),
            page(["r1", "r2"], f"{ROOMS}?page_token=p2"),
            HANG,
            page(["r3"], None),
        ],
    ),
    ("request", {"method": "POST", "path": ROOMS, "json": {"name": "once"}}, [RESET]),
    (
        "request",
        {"method": "POST", "path": ROOMS, "json": {"name": "twice"}},
        [answer(503, {"error": "busy"}, **{"Retry-After": "0"}), answer(201, {"id": "r9", "name": "twice"})],
    ),
    (
        "request",
        {
            "method": "POST",
            "path": MESSAGES,
            "data": {"To": "+12025550101", "Body": "hi"},
            "rate_limit": RateLimitRule(retries=2),
        },
        [
            answer(429, {"code": 20429, "message": "Too Many Requests"}, **{"Retry-After": "0"}),
            answer(429, {"code": 20429, "message": "Too Many Requests"}, **{"Retry-After": "0"}),
            answer(429, {"code": 20429, "message": "Too Many Requests"}, **{"Retry-After": "0"}),
            answer(429, {"code": 20429, "message": "Too Many Requests"}, **{"Retry-After": "0"}),
            answer(429, {"code": 20429, "message": "Too Many Requests"}, **{"Retry-After": "0"}),
            answer(201, {"sid": "SM1", "status": "queued"}),
        ],
    ),
    ("request", {"method": "GET", "path": ROOMS + "/nope"}, [answer(404, {"error": "Room not found"})]),
]

JSON, FORM = "application/json", "application/x-www-form-urlencoded"
PAGE_1, PAGE_2 = f"{ROOMS}?page_size=2", f"{ROOMS}?page_token=p2"
EXPECTED_REQUESTS = [
    *[("GET", PAGE_1, JSON, None, True, "")] * 4,
    *[("GET", PAGE_2, JSON, None, True, "")] * 2,
    ("POST", ROOMS, JSON, JSON, True, '{"name": "once"}'),
    *[("POST", ROOMS, JSON, JSON, True, '{"name": "twice"}')] * 2,
    *[("POST", MESSAGES, JSON, FORM, True, "To=%2B12025550101&Body=hi")] * 6,
    ("GET", ROOMS + "/nope", JSON, None, True, ""),
]
# Retry-After 2; a reset (backoff 2 s before retry 2); Retry-After 1; a timeout (backoff 1 s); Retry-After
# 0; 429 three times within max_retries (Retry-After 0), then the rate-limit rule's 2 s and 4 s.
EXPECTED_WAITS = [2.0, 2.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 2.0, 4.0]
URL = "http://127.0.0.1:{port}"
EXPECTED_OUTCOMES = [
    ("ok", [{"id": "r1"}, {"id": "r2"}, {"id": "r3"}]),
    ("error", None, "dropped", True, 1),  # a POST that may have been acted on: never sent again
    ("ok", {"id": "r9", "name": "twice"}),
    ("ok", {"sid": "SM1", "status": "queued"}),
    ("error", 404, None, False, 1),
]
EXPECTED_LOGS = [
    (logging.WARNING, "SignalWire GET {url}/api/video/rooms: HTTP 503; retry 1 of 3 in 2.0s."),
    (
        logging.WARNING,
        "SignalWire GET {url}/api/video/rooms: the connection was dropped; retry 2 of 3 in 2.0s.",
    ),
    (logging.WARNING, "SignalWire GET {url}/api/video/rooms: HTTP 429; retry 3 of 3 in 1.0s."),
    (
        logging.WARNING,
        "SignalWire GET {url}/api/video/rooms?page_token=p2: timed out: no complete answer from "
        "127.0.0.1:{port} within the 0.5 s timeout; retry 1 of 3 in 1.0s.",
    ),
    (logging.INFO, "Listed 3 items of /api/video/rooms in 2 pages."),
    (logging.WARNING, "SignalWire POST {url}/api/video/rooms: HTTP 503; retry 1 of 3 in 0.0s."),
    *[
        (logging.WARNING, f"SignalWire POST {{url}}{MESSAGES}: HTTP 429; retry {n} of 5 in {s}s.")
        for n, s in [(1, "0.0"), (2, "0.0"), (3, "0.0"), (4, "2.0"), (5, "4.0")]
    ],
]


def outcome(result: Any = None, err: BaseException | None = None) -> tuple[Any, ...]:
    if err is None:
        return ("ok", result)
    assert isinstance(err, SignalWireAPIError), err
    return ("error", err.status_code, err.failure_kind, err.may_have_acted, err.attempts)


class Log:
    """Stands in for a hook's logger: keeps the lines of INFO and above (whatever Airflow logs with)."""

    def __init__(self) -> None:
        self.lines: list[tuple[int, str]] = []

    def log(self, level: int, message: str, *args: Any) -> None:
        if level >= logging.INFO:
            self.lines.append((level, message % args))

    def debug(self, message: str, *args: Any) -> None:
        self.log(logging.DEBUG, message, *args)

    def info(self, message: str, *args: Any) -> None:
        self.log(logging.INFO, message, *args)

    def warning(self, message: str, *args: Any) -> None:
        self.log(logging.WARNING, message, *args)


def run_sync(conn_id: str, slept: list[float], log: Log) -> tuple[list[Any], list[str]]:
    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

    hook = SignalWireHook(conn_id)
    hook._sleep = slept.append
    hook._log = log
    results, errors = [], []
    for call, kwargs, _ in CONVERSATION:
        try:
            if call == "paginate":
                results.append(outcome(list(hook.paginate(**kwargs))))
            else:
                results.append(outcome(hook.request(**kwargs)))
        except SignalWireAPIError as err:
            results.append(outcome(err=err))
            errors.append(str(err))
    hook.close()
    return results, errors


def run_async(conn_id: str, slept: list[float], log: Log) -> tuple[list[Any], list[str]]:
    from airflow_provider_signalwire.hooks.signalwire_async import SignalWireAsyncHook

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def main() -> tuple[list[Any], list[str]]:
        hook = SignalWireAsyncHook(conn_id)
        hook._sleep = sleep
        hook._log = log
        results, errors = [], []
        for call, kwargs, _ in CONVERSATION:
            try:
                if call == "paginate":
                    results.append(outcome([item async for item in hook.paginate(**kwargs)]))
                else:
                    results.append(outcome(await hook.request(**kwargs)))
            except SignalWireAPIError as err:
                results.append(outcome(err=err))
                errors.append(str(err))
        return results, errors

    return asyncio.run(main())


@pytest.fixture
def no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff without its random half, so both runs wait the same seconds."""
    monkeypatch.setattr(retry_rules.random, "uniform", lambda low, high: high)


@pytest.mark.parametrize("runner", ["sync", "async"])
def test_each_runner_holds_the_expected_conversation(make_conn, server, no_jitter, runner):
    conn_id = make_conn(host="http://127.0.0.1", port=server.port, extra={"timeout": TIMEOUT})
    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

    server.authorization = SignalWireHook(conn_id).settings.authorization
    server.script = [action for _, _, actions in CONVERSATION for action in actions]
    slept: list[float] = []
    log = Log()
    results, errors = (run_sync if runner == "sync" else run_async)(conn_id, slept, log)
    url = URL.format(port=server.port)
    assert server.seen == EXPECTED_REQUESTS
    assert slept == EXPECTED_WAITS
    assert results == EXPECTED_OUTCOMES
    assert log.lines == [(level, text.format(url=url, port=server.port)) for level, text in EXPECTED_LOGS]
    assert "may have acted on it" in errors[0] and "404" in errors[1]
    assert server.script == []


def test_both_runners_hold_the_same_conversation(make_conn, server, no_jitter):
    conn_id = make_conn(host="http://127.0.0.1", port=server.port, extra={"timeout": TIMEOUT})
    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

    server.authorization = SignalWireHook(conn_id).settings.authorization
    seen = {}
    for name, run in (("sync", run_sync), ("async", run_async)):
        server.script = [action for _, _, actions in CONVERSATION for action in actions]
        server.seen = []
        slept: list[float] = []
        log = Log()
        results, errors = run(conn_id, slept, log)
        seen[name] = (server.seen, slept, results, errors, log.lines)
    assert seen["sync"] == seen["async"]


def test_a_download_goes_through_the_same_loop(make_conn, server, no_jitter):
    """The download path (sync only: no async download exists) retries as the script says."""
    conn_id = make_conn(host="http://127.0.0.1", port=server.port, extra={"timeout": TIMEOUT})
    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

    hook = SignalWireHook(conn_id)
    server.authorization = hook.settings.authorization
    slept: list[float] = []
    hook._sleep = slept.append
    hook._log = log = Log()
    server.script = [
        answer(503, {"error": "busy"}, **{"Retry-After": "3"}),
        RESET,
        ("answer", 200, {"Content-Type": "audio/mpeg"}, b"ID3" + b"x" * 100),
        answer(404, {"error": "gone"}),
    ]
    file_url = f"http://127.0.0.1:{server.port}/files/rec.mp3"
    with hook.open_download(file_url) as download:
        body = b"".join(download.chunks)
    assert body == b"ID3" + b"x" * 100 and download.size == 103
    with pytest.raises(SignalWireAPIError) as gone, hook.open_download(file_url):
        pass
    assert gone.value.status_code == 404
    # No credentials to a file host: the Authorization header is never sent.
    assert [(m, t, auth) for m, t, _, _, auth, _ in server.seen] == [("GET", "/files/rec.mp3", False)] * 4
    assert slept == [3.0, 2.0]
    assert [text for _, text in log.lines] == [
        f"SignalWire GET {file_url}: HTTP 503; retry 1 of 3 in 3.0s.",
        f"SignalWire GET {file_url}: the connection was dropped; retry 2 of 3 in 2.0s.",
    ]
