"""The async SignalWire hook (aiohttp), for triggers and deferrable sensors.

The same rules as :class:`~airflow_provider_signalwire.hooks.signalwire.SignalWireHook` (origin
guard, redaction, retries and their budget, paging, size cap, errors) come from
:mod:`airflow_provider_signalwire.protocol` and :mod:`.base`; only the transport differs. aiohttp is
imported when this module is, so operator and sensor modules import it lazily.
"""

from __future__ import annotations

import asyncio
import functools
import json as jsonlib
import logging
import os
import ssl
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import Any
from urllib.parse import urlencode

import aiohttp
import yarl

from airflow_provider_signalwire.exceptions import (
    SignalWireConfigError,
    SignalWirePaginationError,
)
from airflow_provider_signalwire.hooks.base import SignalWireBaseHook, where_this_runs
from airflow_provider_signalwire.protocol import (
    USER_AGENT,
    Failure,
    Pager,
    PagingError,
    RetryPolicy,
    SpaceSettings,
    UnsafeURLError,
    check_headers,
    check_method,
    check_origin,
    dns_failure,
    encode_body,
    encode_fields,
    failure_reason,
    parse_json_answer,
    validate_path,
)

READ_CHUNK = 64 * 1024

# One ClientSession per space (and TLS setting) and event loop, shared by every hook and trigger on
# that loop, so a triggerer's polls reuse connections instead of paying a TLS handshake each.
_SESSIONS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], _Shared]] = (
    weakref.WeakKeyDictionary()
)


class _Shared:
    """A session and the proxy the environment names for its space (both resolved once)."""

    __slots__ = ("proxy", "session")

    def __init__(self, session: aiohttp.ClientSession, proxy: str | None) -> None:
        self.session, self.proxy = session, proxy


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
    if shared is None or shared.session.closed:
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


class _Answer:
    """What one request brought back: enough for parsing, paging and errors."""

    __slots__ = ("content", "headers", "reason", "status", "url")

    def __init__(self, status: int, reason: str | None, headers: Mapping[str, str], content: bytes, url: str):
        self.status, self.reason, self.headers, self.content, self.url = status, reason, headers, content, url


class SignalWireAsyncHook(SignalWireBaseHook):
    """
    Talk to a SignalWire space from async code (triggers): ``await request(...)``, ``async for ... in
    paginate(...)``, ``await test_connection()``.

    Same connection, rules and errors as :class:`~airflow_provider_signalwire.hooks.signalwire.
    SignalWireHook`. The connection is read with Airflow's async lookup. One ``aiohttp.ClientSession``
    per space and event loop is shared by every hook on that loop and closed when the loop ends.

    :param signalwire_conn_id: The SignalWire connection to use.
    :param timeout: Seconds for one whole answer; overrides the connection's ``timeout``.
    :param max_retries: Retries after a retryable failure; overrides the connection's ``max_retries``.
    :param retry_backoff: Seconds before the first retry without ``Retry-After`` (doubles, jittered).
    :param retry_budget: Seconds one call may spend waiting between retries in total (default 300).
    :param max_response_bytes: Largest JSON answer accepted (default 64 MB).
    """

    def __init__(self, signalwire_conn_id: str = SignalWireBaseHook.default_conn_name, **kwargs: Any) -> None:
        super().__init__(signalwire_conn_id, **kwargs)
        self._settings: SpaceSettings | None = None
        self._sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}  # one per whole-answer deadline

    async def get_settings(self) -> SpaceSettings:
        """The connection, validated (read once, with Airflow's async connection lookup)."""
        if self._settings is None:
            from airflow.providers.common.compat.connection import get_async_connection

            conn = await get_async_connection(self.signalwire_conn_id, self)
            self._settings = self._settings_from(conn)
        return self._settings

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
    ) -> Any:
        """Call one endpoint and return its parsed JSON (None for an empty answer), as the sync hook does."""
        method = check_method(method)
        path = validate_path(path)
        settings = await self.get_settings()
        answer = await self._send(
            settings, method, settings.base_url + path, params=params, body=(json, data)
        )
        return self._parse(settings, method, answer)

    async def paginate(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
    ) -> AsyncIterator[Any]:
        """Yield every item of a list endpoint, page by page; see ``SignalWireHook.paginate``."""
        settings = await self.get_settings()
        pager = Pager(
            path,
            settings.base_url,
            params=params,
            page_size=page_size,
            max_items=max_items,
            redact=settings.redact,
        )
        if pager.finished_before_start:
            return
        url: str | None = pager.first_url
        request_params: Mapping[str, Any] | None = pager.first_params
        while url:
            answer = await self._send(settings, "GET", url, params=request_params)
            try:
                page = pager.feed(answer.url, self._parse(settings, "GET", answer))
            except PagingError as err:
                raise SignalWirePaginationError(
                    method="GET", url=answer.url, reason=str(err), redact=settings.redact
                ) from None
            for item in page.items:
                yield item
            if page.moved:
                self.log.warning(
                    "Next-page link of %s names another host; asking the configured space instead.", path
                )
            url, request_params = page.next_url, None

    async def test_connection(self) -> tuple[bool, str]:
        """One cheap authenticated GET, as ``SignalWireHook.test_connection``; never shows the token."""
        self._where = where_this_runs()
        try:
            settings = await self.get_settings()
            account = await self.request("GET", f"/api/laml/2010-04-01/Accounts/{settings.project_id}")
        except Exception as err:  # anything at all, worded without secrets
            return self._connection_test_failure(err, self._settings)
        finally:
            self._where = "this worker"
        message = self._connection_test_message(settings, account)
        logging.getLogger(__name__).info("%s", message)
        return True, message

    # ------------------------------------------------------------------ transport

    async def _send(
        self,
        settings: SpaceSettings,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: tuple[Any, Any] = (None, None),
    ) -> _Answer:
        """Send one request with retries and return the whole answer; raise on an error answer."""
        policy = RetryPolicy(
            method, max_retries=settings.max_retries, backoff=self.retry_backoff, budget=self.retry_budget
        )
        try:
            final_url, target, payload, headers = self._build(settings, method, url, params, body)
        except UnsafeURLError as err:
            raise SignalWireConfigError(str(err)) from None
        except (ValueError, TypeError, UnicodeError) as err:
            invalid = Failure("invalid", sent=False, detail=str(err))
            raise self._transport_error(settings, method, url, invalid, 1) from None
        shared = await shared_session(settings)
        session, proxy = shared.session, shared.proxy
        timeout = self._timeouts.get(settings.timeout)
        if timeout is None:
            timeout = self._timeouts[settings.timeout] = aiohttp.ClientTimeout(
                total=settings.timeout, connect=min(10.0, settings.timeout)
            )
        while True:
            try:
                async with session.request(
                    method,
                    target,
                    data=payload,
                    headers=headers,
                    allow_redirects=False,
                    timeout=timeout,
                    proxy=proxy,
                ) as response:
                    no_body = response.status == 204 or method == "HEAD"
                    content = b"" if no_body else await _read_capped(response, self.max_response_bytes)
                    answer = _Answer(response.status, response.reason, response.headers, content, final_url)
            except _AnswerTooLarge as err:
                raise self._too_large_error(settings, method, url, response.status, err.size) from None
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
                failure = classify_aiohttp_error(exc)
                delay = policy.next_delay(failure=failure)
                if delay is not None:
                    await self._wait(
                        settings,
                        policy,
                        method,
                        url,
                        failure_reason(failure, settings.host, settings.timeout),
                        delay,
                    )
                    continue
                raise self._transport_error(
                    settings, method, url, failure, policy.attempts, policy.gave_up
                ) from None
            delay = policy.next_delay(status=answer.status, retry_after=answer.headers.get("Retry-After"))
            if delay is not None:
                await self._wait(settings, policy, method, url, f"HTTP {answer.status}", delay)
                continue
            if answer.status >= 300:
                raise self._status_error(
                    settings,
                    method,
                    answer.url,
                    answer.status,
                    answer.reason,
                    answer.content,
                    answer.headers,
                    policy.attempts,
                    policy.gave_up,
                )
            return answer

    @staticmethod
    def _build(
        settings: SpaceSettings,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        body: tuple[Any, Any],
    ) -> tuple[str, yarl.URL, bytes | None, Mapping[str, str]]:
        """The final URL, the same as the ``yarl.URL`` that is sent (checked against the space), the body
        bytes and the headers of one request."""
        query = urlencode(encode_fields(params), doseq=True) if params else ""
        final_url = f"{url}{'&' if '?' in url else '?'}{query}" if query else url
        target = yarl.URL(final_url, encoded=True)
        check_origin(str(target), settings.base_url)
        encoded = encode_body(target.path, json=body[0], data=body[1])
        if not encoded:  # no body (every poll): this connection's checked headers, built once
            return final_url, target, None, _auth_headers(settings.authorization)
        headers = {"Authorization": settings.authorization, **encoded.get("headers", {})}
        payload: bytes | None = None
        if "json" in encoded:
            payload = jsonlib.dumps(encoded["json"], allow_nan=False).encode()
            headers["Content-Type"] = "application/json"
        elif isinstance(encoded.get("data"), Mapping):
            payload = urlencode(encoded["data"], doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif "data" in encoded:
            raw = encoded["data"]
            payload = raw.encode() if isinstance(raw, str) else raw
        check_headers(headers)
        return final_url, target, payload, headers

    async def _wait(
        self, settings: SpaceSettings, policy: RetryPolicy, method: str, url: str, why: str, delay: float
    ) -> None:
        self.log.warning(
            "SignalWire %s %s: %s; retry %d of %d in %.1fs.",
            method,
            settings.redact(url),
            why,
            policy.attempts - 1,
            policy.max_retries,
            delay,
        )
        await self._sleep(delay)

    def _parse(self, settings: SpaceSettings, method: str, answer: _Answer) -> Any:
        if answer.status == 204:
            return None
        try:
            return parse_json_answer(answer.content, answer.headers.get("Content-Type"))
        except ValueError as err:
            raise self._malformed_error(
                settings, method, answer.url, answer.status, str(err), answer.headers
            ) from None
