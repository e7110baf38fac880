"""Async hooks on one loop that ask for the same connection while a lookup runs share it.

A triggerer starting thousands of deferred sensors on one connection looked it up once per sensor, and
each Airflow lookup masks the password and the extra through the supervisor (a round trip each,
answered one per pass of its loop): 5,000 sensors sent ~15,000 messages before all of them polled
(benchmarks row 9). Nothing is kept after the lookup answers: a later hook reads the connection anew.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from airflow_provider_signalwire.hooks import signalwire_async
from airflow_provider_signalwire.hooks.signalwire_async import SignalWireAsyncHook
from tests.fixtures import PROJECT, TOKEN

CONN_ID = "signalwire_shared_lookup"
OTHER_TOKEN = "PTanothertoken0123456789SECRET"


def _define(monkeypatch, token=TOKEN):
    conn = {"conn_type": "signalwire", "host": "https://example.signalwire.com", "login": PROJECT}
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps({**conn, "password": token}))


@pytest.fixture
def lookups(monkeypatch):
    """Airflow's lookup, counted, and slow enough for other hooks to ask while it runs."""
    from airflow.providers.common.compat import connection as compat

    calls: list[str] = []
    real = compat.get_async_connection

    async def counting(conn_id, hook=None):
        calls.append(conn_id)
        await asyncio.sleep(0.05)
        return await real(conn_id, hook)

    monkeypatch.setattr(compat, "get_async_connection", counting)
    return calls


def test_hooks_asking_at_once_share_one_lookup(monkeypatch, lookups):
    _define(monkeypatch)

    async def main():
        return await asyncio.gather(*(SignalWireAsyncHook(CONN_ID).get_settings() for _ in range(200)))

    settings = asyncio.run(main())
    assert lookups == [CONN_ID]
    assert {s.api_token for s in settings} == {TOKEN}
    assert not any(signalwire_async._LOOKUPS.get(loop) for loop in list(signalwire_async._LOOKUPS.keys()))


def test_a_hook_asking_after_the_answer_reads_the_connection_anew(monkeypatch, lookups):
    """A rotated token is picked up by the next hook: answers are not kept."""
    _define(monkeypatch)

    async def main():
        first = await SignalWireAsyncHook(CONN_ID).get_settings()
        _define(monkeypatch, OTHER_TOKEN)
        second = await SignalWireAsyncHook(CONN_ID).get_settings()
        return first, second

    first, second = asyncio.run(main())
    assert lookups == [CONN_ID, CONN_ID]
    assert (first.api_token, second.api_token) == (TOKEN, OTHER_TOKEN)


def test_different_connections_are_not_shared(monkeypatch, lookups):
    _define(monkeypatch)
    conn = {"conn_type": "signalwire", "host": "https://other.signalwire.com", "login": PROJECT}
    monkeypatch.setenv("AIRFLOW_CONN_SIGNALWIRE_OTHER", json.dumps({**conn, "password": OTHER_TOKEN}))

    async def main():
        mine, other = SignalWireAsyncHook(CONN_ID), SignalWireAsyncHook("signalwire_other")
        return await asyncio.gather(mine.get_settings(), other.get_settings())

    mine, other = asyncio.run(main())
    assert sorted(lookups) == sorted([CONN_ID, "signalwire_other"])
    assert (mine.api_token, other.api_token) == (TOKEN, OTHER_TOKEN)
    assert mine.base_url != other.base_url


def test_a_failed_lookup_fails_every_waiter_and_the_next_one_retries(monkeypatch, lookups):
    from airflow_provider_signalwire.exceptions import SignalWireConfigError

    async def main():
        results = await asyncio.gather(
            *(SignalWireAsyncHook(CONN_ID).get_settings() for _ in range(5)), return_exceptions=True
        )
        _define(monkeypatch)
        return results, await SignalWireAsyncHook(CONN_ID).get_settings()

    monkeypatch.delenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", raising=False)
    results, later = asyncio.run(main())
    assert len(lookups) == 2
    assert all(isinstance(r, Exception) and not isinstance(r, SignalWireConfigError) for r in results)
    assert all(CONN_ID in str(r) for r in results)
    assert later.api_token == TOKEN


def test_a_cancelled_waiter_does_not_cancel_the_others(monkeypatch, lookups):
    _define(monkeypatch)

    async def main():
        first = asyncio.ensure_future(SignalWireAsyncHook(CONN_ID).get_settings())
        second = asyncio.ensure_future(SignalWireAsyncHook(CONN_ID).get_settings())
        await asyncio.sleep(0.01)
        first.cancel()
        return await second, first.cancelled()

    settings, cancelled = asyncio.run(main())
    assert cancelled and settings.api_token == TOKEN and lookups == [CONN_ID]


def test_each_loop_has_its_own_lookups(monkeypatch, lookups):
    _define(monkeypatch)
    for _ in range(2):
        asyncio.run(SignalWireAsyncHook(CONN_ID).get_settings())
    assert lookups == [CONN_ID, CONN_ID]
