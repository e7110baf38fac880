"""The async SignalWire hook (aiohttp), for triggers and deferrable sensors.

The same rules as :class:`~airflow_provider_signalwire.hooks.signalwire.SignalWireHook` (origin
guard, redaction, retries and their budget, paging, size cap, errors) come from
:mod:`airflow_provider_signalwire.protocol` and :mod:`airflow_provider_signalwire.hooks.base`; only
the transport differs. aiohttp is imported when this module is, so operator and sensor modules import
it lazily.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import aiohttp
import yarl

from airflow_provider_signalwire.hooks._aiohttp_transport import (
    READ_CHUNK,
    _AnswerTooLarge,
    _auth_headers,
    _read_capped,
    ca_bundle_for,
    classify_aiohttp_error,
    env_proxy,
    run_attempts,
    sessions_closers,
    shared_session,
)
from airflow_provider_signalwire.hooks.base import SignalWireBaseHook, where_this_runs
from airflow_provider_signalwire.protocol import (
    Fetch,
    Outcome,
    RateLimitRule,
    Reply,
    SpaceSettings,
    Wait,
    attempts,
    check_headers,
    check_method,
    check_origin,
    encode_body,
    encode_fields,
    validate_path,
)

__all__ = [
    "READ_CHUNK",
    "SignalWireAsyncHook",
    "ca_bundle_for",
    "classify_aiohttp_error",
    "env_proxy",
    "sessions_closers",
    "shared_session",
]


# Connection lookups in flight on an event loop, by connection id. Hooks that ask while one is in
# flight share its answer: a triggerer starting 5,000 deferred sensors on one connection looks it up a
# few times, not 5,000 (each Airflow lookup masks the password and the extra through the triggerer's
# supervisor, a round trip each, answered one per pass of its loop). Nothing is kept once the lookup is
# answered: a hook that asks later reads the connection anew, so a changed token is picked up.
_LOOKUPS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Future[Any]]] = (
    weakref.WeakKeyDictionary()
)


async def _shared_lookup(conn_id: str, hook: SignalWireAsyncHook) -> Any:
    """Airflow's async connection lookup for ``conn_id``, shared with the hooks that ask while it runs."""
    from airflow.providers.common.compat.connection import get_async_connection

    loop = asyncio.get_running_loop()
    in_flight = _LOOKUPS.setdefault(loop, {})
    lookup = in_flight.get(conn_id)
    if lookup is None:
        lookup = in_flight[conn_id] = loop.create_task(get_async_connection(conn_id, hook))

        def done(task: asyncio.Future[Any]) -> None:
            if in_flight.get(conn_id) is task:
                del in_flight[conn_id]
            if not task.cancelled():
                task.exception()  # retrieved: every waiter raises it; none may be left to log it

        lookup.add_done_callback(done)
    # One waiter cancelled (its trigger ended) does not cancel the others' lookup.
    return await asyncio.shield(lookup)


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
        """The connection, validated (read once, with Airflow's async connection lookup, shared with the
        hooks on this loop that ask for the same connection while it runs)."""
        if self._settings is None:
            conn = await _shared_lookup(self.signalwire_conn_id, self)
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
        rate_limit: RateLimitRule | None = None,
    ) -> Any:
        """Call one endpoint and return its parsed JSON (None for an empty answer), as the sync hook does."""
        method = check_method(method)
        path = validate_path(path)
        settings = await self.get_settings()
        reply = await self._send(
            settings,
            method,
            settings.base_url + path,
            params=params,
            body=(json, data),
            rate_limit=rate_limit,
        )
        return self._parse(settings, method, reply)

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
        listing = self._listing(settings, path, params, page_size, max_items)
        while (step := listing.advance()) is not None:
            if isinstance(step, Fetch):
                listing.answered(await self._send(settings, "GET", step.url, params=step.params))
            else:
                for item in step:
                    yield item

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
        rate_limit: RateLimitRule | None = None,
    ) -> Reply:
        """Send one request with retries and return the whole answer; raise on an error answer."""
        with self._preparing(settings, method, url):
            final_url, target, payload, headers = self._build(settings, method, url, params, body)
        shared = await shared_session(settings)
        session, proxy = shared.session, shared.proxy
        timeout = self._timeouts.get(settings.timeout)
        if timeout is None:
            timeout = self._timeouts[settings.timeout] = aiohttp.ClientTimeout(
                total=settings.timeout, connect=min(10.0, settings.timeout)
            )

        async def attempt() -> Outcome:
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
                    return Reply(response.status, response.reason, response.headers, content, final_url)
            except _AnswerTooLarge as err:
                raise self._too_large_error(settings, method, url, response.status, err.size) from None
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
                return classify_aiohttp_error(exc)

        async def wait(step: Wait) -> None:
            self._log_wait(settings, method, url, step)
            await self._sleep(step.seconds)

        policy = self._policy(settings, method, rate_limit)
        outcome = await run_attempts(attempts(policy, settings.host, settings.timeout), attempt, wait)
        return self._outcome(settings, method, url, policy, outcome)

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
