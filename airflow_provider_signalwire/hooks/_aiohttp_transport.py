"""The aiohttp plumbing of :class:`~.signalwire_async.SignalWireAsyncHook`: one shared session per space
and event loop, capped reads, exceptions mapped onto :class:`Failure`, and the runner of the retry loop.
aiohttp is imported when this module is, so only async code loads it."""

from __future__ import annotations

import asyncio
import functools
import os
import ssl
import weakref
from collections.abc import Awaitable, Callable, Generator, Mapping
from types import MappingProxyType

import aiohttp
import yarl

from airflow_provider_signalwire.protocol import (
    USER_AGENT,
    Failure,
    Outcome,
    Send,
    SpaceSettings,
    Wait,
    check_headers,
    dns_failure,
)

READ_CHUNK = 64 * 1024

# One ClientSession per space (and TLS setting) and event loop, shared by every hook and trigger on
# that loop, so a triggerer's polls reuse connections instead of paying a TLS handshake each.
_SESSIONS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], _Shared]] = (
    weakref.WeakKeyDictionary()
)


class _Shared:
    """A session and the proxy the environment names for its space (both resolved once), and the
    process that made it: a forked child never uses its parent's session (its sockets are the parent's)."""

    __slots__ = ("pid", "proxy", "session")

    def __init__(self, session: aiohttp.ClientSession, proxy: str | None) -> None:
        self.session, self.proxy, self.pid = session, proxy, os.getpid()


async def _close_when_the_loop_ends(sessions: dict[tuple[str, str], _Shared]) -> None:
    """Waits forever; ``asyncio.run`` (and Airflow's triggerer) cancel it at the end, closing the sessions."""
    try:
        await asyncio.Event().wait()
    finally:
        for shared in list(sessions.values()):
            await shared.session.close()
        sessions.clear()


def ca_bundle_for(verify: bool | str) -> str | None:
    """The CA bundle to verify with, chosen as ``requests`` chooses it, so both hooks trust alike.

    A path in the connection's ``verify`` extra always wins over ``REQUESTS_CA_BUNDLE`` and
    ``SSL_CERT_FILE``; ``verify=true`` uses ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` or certifi.
    """
    if verify is False:
        return None
    if isinstance(verify, str):
        return verify
    env = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if env:
        return env
    import certifi

    return certifi.where()


async def shared_session(settings: SpaceSettings) -> _Shared:
    """The session for this space on the running loop (created on first use, closed with the loop)."""
    loop = asyncio.get_running_loop()
    sessions = _SESSIONS.get(loop)
    if sessions is None:
        sessions = _SESSIONS[loop] = {}
        closer = loop.create_task(_close_when_the_loop_ends(sessions), name="signalwire-session-closer")
        sessions_closers.add(closer)
        closer.add_done_callback(sessions_closers.discard)
    key = (settings.base_url, str(settings.verify))
    shared = sessions.get(key)
    if shared is None or shared.session.closed or shared.pid != os.getpid():
        cafile = ca_bundle_for(settings.verify)
        tls: ssl.SSLContext | bool = ssl.create_default_context(cafile=cafile) if cafile else False
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=tls, limit_per_host=16),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            # Not trust_env: it looks up netrc and proxies in a thread on every request. The proxy is
            # read from the environment once per session (env_proxy) and passed explicitly.
            trust_env=False,
            auto_decompress=True,
            # The session is shared by every connection on this space: it must carry no state from one
            # answer to another request (a Set-Cookie from one connection's answer sent by another).
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        # aiohttp silently re-sends an idempotent request once when a kept-alive connection drops;
        # retries are RetryPolicy's alone (counted, budgeted, logged), as on the sync hook.
        if hasattr(session, "_retry_connection"):
            session._retry_connection = False
        shared = sessions[key] = _Shared(session, env_proxy(settings.base_url))
    return shared


sessions_closers: set[asyncio.Task[None]] = set()  # strong references, so the closers are not collected


def env_proxy(url: str) -> str | None:
    """The proxy the environment names for ``url`` (HTTPS_PROXY, NO_PROXY ...), as requests reads it."""
    import urllib.request

    host = yarl.URL(url).host or ""
    if urllib.request.proxy_bypass_environment(host):  # type: ignore[attr-defined]
        return None
    return urllib.request.getproxies_environment().get(yarl.URL(url).scheme)


def classify_aiohttp_error(exc: BaseException) -> Failure:
    """Map an aiohttp exception onto :class:`Failure`, as ``classify_requests_error`` does for requests."""
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError | ssl.SSLError):
        return Failure("tls", sent=False)
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return dns_failure(exc.os_error.errno)
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return Failure("connect", sent=False, detail="connect timeout")
    if isinstance(exc, aiohttp.ClientConnectorError):
        os_error = exc.os_error
        if isinstance(os_error, ConnectionRefusedError):
            return Failure("refused", sent=False)
        if type(os_error).__name__ == "gaierror":
            return dns_failure(os_error.errno)
        return Failure("connect", sent=False)
    if isinstance(exc, TimeoutError | asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return Failure("timeout", sent=True)
    return Failure("dropped", sent=True)


class _AnswerTooLarge(Exception):
    def __init__(self, size: int | None) -> None:
        self.size = size


async def _read_capped(response: aiohttp.ClientResponse, cap: int) -> bytes:
    length = response.headers.get("Content-Length", "")
    if length.isdigit():
        if int(length) > cap:
            raise _AnswerTooLarge(int(length))
        if "Content-Encoding" not in response.headers:
            # aiohttp reads exactly Content-Length bytes (no more) when nothing is to be decompressed.
            return await response.read()
    body = bytearray()
    async for chunk in response.content.iter_chunked(READ_CHUNK):
        body += chunk
        if len(body) > cap:
            raise _AnswerTooLarge(None)
    return bytes(body)


@functools.lru_cache(maxsize=64)
def _auth_headers(authorization: str) -> Mapping[str, str]:
    """The headers of a request without a body, checked once per ``Authorization`` value (keyed by
    the credentials themselves, so a connection never gets another's). Read-only: aiohttp copies them."""
    headers = {"Authorization": authorization}
    check_headers(headers)
    return MappingProxyType(headers)


async def run_attempts(
    steps: Generator[Send | Wait, Outcome | None, Outcome],
    send: Callable[[], Awaitable[Outcome]],
    wait: Callable[[Wait], Awaitable[None]],
) -> Outcome:
    """Run the retry loop (:func:`~airflow_provider_signalwire.protocol.attempts`) on the event loop.

    :param steps: The loop.
    :param send: Sends the request once, returning its ``Reply`` or ``Failure``.
    :param wait: Logs and sleeps one :class:`Wait`.
    """
    step = next(steps)
    while True:
        reply: Outcome | None = None
        if isinstance(step, Wait):
            await wait(step)
        else:
            reply = await send()
        try:
            step = steps.send(reply)
        except StopIteration as done:
            return done.value
