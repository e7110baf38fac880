"""The requests/urllib3 plumbing of :class:`~.signalwire.SignalWireHook`: sockets that honour a whole-answer
deadline, capped reads, credentials without netrc or cookies, exceptions mapped onto :class:`Failure`,
and the runner of the retry loop."""

from __future__ import annotations

import http.cookiejar
import io
import socket
import ssl
import time
from collections.abc import Callable, Generator, Iterator
from contextvars import ContextVar
from typing import Any

import requests
import requests.adapters
import requests.auth
import urllib3
import urllib3.connection
import urllib3.exceptions

from airflow_provider_signalwire.protocol import Failure, Outcome, Reply, Send, Wait, dns_failure

READ_CHUNK = 64 * 1024

# When the answer to the request under way must be complete (time.monotonic()); read by every socket
# operation of this hook's connections, so ``timeout`` bounds connect, headers and body together.
_DEADLINE: ContextVar[float | None] = ContextVar("signalwire_deadline", default=None)


class _DeadlineSocket:
    """A socket that never waits past the current request's deadline (else as the socket it wraps)."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self._per_op = sock.gettimeout()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def settimeout(self, value: float | None) -> None:
        self._per_op = value
        self._sock.settimeout(value)

    def gettimeout(self) -> float | None:
        return self._per_op

    def _arm(self) -> None:
        deadline = _DEADLINE.get()
        if deadline is None:
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the whole answer took longer than the timeout")
        self._sock.settimeout(remaining if self._per_op is None else min(self._per_op, remaining))

    def recv_into(self, *args: Any) -> int:
        self._arm()
        return self._sock.recv_into(*args)

    def recv(self, *args: Any) -> bytes:
        self._arm()
        return self._sock.recv(*args)

    def sendall(self, *args: Any) -> None:
        self._arm()
        self._sock.sendall(*args)

    def makefile(self, mode: str = "rb", buffering: int | None = None, **_: Any) -> Any:
        # As socket.makefile does, but reading through this wrapper (http.client reads the answer here).
        self._sock._io_refs += 1
        raw = socket.SocketIO(self, "rb")  # type: ignore[arg-type]
        return io.BufferedReader(raw, buffering if buffering and buffering > 0 else io.DEFAULT_BUFFER_SIZE)


def _connect_before_deadline(connection: Any, connect: Callable[[], None]) -> None:
    deadline = _DEADLINE.get()
    if deadline is not None and isinstance(connection.timeout, int | float):
        connection.timeout = max(0.001, min(connection.timeout, deadline - time.monotonic()))
    connect()
    connection.sock = _DeadlineSocket(connection.sock)


class _HTTPSConnection(urllib3.connection.HTTPSConnection):
    def connect(self) -> None:
        _connect_before_deadline(self, super().connect)


class _HTTPConnection(urllib3.connection.HTTPConnection):
    def connect(self) -> None:
        _connect_before_deadline(self, super().connect)


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _DeadlineAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter with connections whose sockets honour :data:`_DEADLINE`."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
        return manager


class _NoAuth(requests.auth.AuthBase):
    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.pop("Authorization", None)
        return request


class _ConnectionAuth(requests.auth.AuthBase):
    """Sets the precomputed ``Authorization`` value (the one registered with the masker); no netrc lookup."""

    def __init__(self, value: str) -> None:
        self._value = value

    def __repr__(self) -> str:
        return "_ConnectionAuth(***)"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._value
        return request


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """A cookie policy that accepts no cookie and returns none."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


class _Redacted:
    """``redact(text)`` when a log line is written: a debug line that is not written costs no redaction."""

    __slots__ = ("redact", "text")

    def __init__(self, redact: Callable[[Any], Any], text: str) -> None:
        self.redact, self.text = redact, text

    def __str__(self) -> str:
        return str(self.redact(self.text))


class _AnswerTooLarge(Exception):
    def __init__(self, size: int | None, cap: int) -> None:
        self.size, self.cap = size, cap


def _read_capped(response: requests.Response, cap: int) -> bytes:
    """The whole body, refusing more than ``cap`` bytes (checked as it arrives: memory stays flat)."""
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > cap:
        raise _AnswerTooLarge(int(length), cap)
    body = bytearray()
    for chunk in response.raw.stream(READ_CHUNK, decode_content=True):
        body += chunk
        if len(body) > cap:
            raise _AnswerTooLarge(None, cap)
    return bytes(body)


def classify_requests_error(exc: BaseException) -> Failure:
    """Map a requests exception onto :class:`Failure` (did the request certainly not reach the server?)."""
    if isinstance(exc, requests.exceptions.SSLError):
        return Failure("tls", sent=False)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return Failure("connect", sent=False, detail="connect timeout")
    if isinstance(exc, requests.exceptions.Timeout | urllib3.exceptions.TimeoutError | TimeoutError):
        return Failure("timeout", sent=True)
    causes = list(_causes(exc))
    if any(isinstance(c, urllib3.exceptions.NameResolutionError | socket.gaierror) for c in causes):
        return dns_failure(next((c.errno for c in causes if isinstance(c, socket.gaierror)), None))
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return Failure("refused", sent=False)
    if any(isinstance(c, urllib3.exceptions.NewConnectionError) for c in causes):
        return Failure("connect", sent=False)
    if any(isinstance(c, ssl.SSLError) for c in causes):
        return Failure("tls", sent=False)
    return Failure("dropped", sent=True)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (requests and urllib3 nest them in args and .reason)."""
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        stack.extend([getattr(item, "reason", None), item.__cause__, item.__context__, *item.args])


def run_attempts(
    steps: Generator[Send | Wait, Outcome | None, Outcome],
    send: Callable[[], Outcome],
    wait: Callable[[Wait], None],
    discard: Callable[[Any], None] | None = None,
) -> Outcome:
    """Run the retry loop (:func:`~airflow_provider_signalwire.protocol.attempts`) with blocking I/O.

    :param steps: The loop.
    :param send: Sends the request once, returning its ``Reply`` or ``Failure``.
    :param wait: Logs and sleeps one :class:`Wait`.
    :param discard: Closes the transport's answer of a reply that is retried (streamed downloads).
    """
    step = next(steps)
    last: Outcome | None = None
    while True:
        if isinstance(step, Wait):
            if discard is not None and last is not None and not isinstance(last, Failure):
                discard(last.answer)
            wait(step)
            reply: Outcome | None = None
        else:
            reply = last = send()
        try:
            step = steps.send(reply)
        except StopIteration as done:
            return done.value


def reply_of(response: requests.Response) -> Reply:
    """A read answer as the retry loop and the error builders take it."""
    return Reply(
        response.status_code, response.reason, response.headers, response.content, response.url, response
    )
