"""A Space URL whose host does not resolve: both transports fail at once, without spending retries.

Only a resolver that could not answer (``EAI_AGAIN``: "temporary failure in name resolution") is worth
another try. ``socket.getaddrinfo`` is replaced by a stand-in that answers for ``.invalid`` names as
RFC 6761 says every resolver must, so no DNS server or other network is ever asked; every other name
fails the test.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_signalwire.exceptions import SignalWireAPIError
from airflow_provider_signalwire.hooks.signalwire_async import SignalWireAsyncHook

HOST = "no-such-space.invalid"
ROOMS = "/api/video/rooms"


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], list[str]]:
    """Make ``.invalid`` lookups fail with the given errno; returns the list of names looked up."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)

    def install(errno: int) -> list[str]:
        asked: list[str] = []

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            name = host.decode() if isinstance(host, bytes) else str(host)
            asked.append(name)
            if not name.rstrip(".").endswith(".invalid"):
                raise AssertionError(f"the test asked the resolver for {name!r}")
            raise socket.gaierror(errno, "Name or service not known" if errno != socket.EAI_AGAIN else "busy")

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        return asked

    return install


def _sync_call(make_hook: Callable[..., Any]) -> tuple[SignalWireAPIError, list[float]]:
    hook = make_hook(host=f"https://{HOST}", extra={"max_retries": 3})
    with pytest.raises(SignalWireAPIError) as caught:
        hook.request("GET", ROOMS)
    return caught.value, hook.slept


def _async_call(make_conn: Callable[..., str]) -> tuple[SignalWireAPIError, list[float]]:
    hook = SignalWireAsyncHook(signalwire_conn_id=make_conn(host=f"https://{HOST}", extra={"max_retries": 3}))
    slept: list[float] = []

    async def sleep(delay: float) -> None:
        slept.append(delay)

    hook._sleep = sleep

    async def call() -> SignalWireAPIError:
        with pytest.raises(SignalWireAPIError) as caught:
            await hook.request("GET", ROOMS)
        return caught.value

    return asyncio.run(call()), slept


@pytest.mark.parametrize("transport", ["sync", "async"])
@pytest.mark.parametrize(
    ("errno", "attempts"),
    [
        pytest.param(socket.EAI_NONAME, 1, id="name-does-not-exist"),
        pytest.param(socket.EAI_NODATA, 1, id="no-address-for-name"),
        pytest.param(socket.EAI_FAIL, 1, id="resolver-refused-for-good"),
        pytest.param(socket.EAI_AGAIN, 4, id="resolver-did-not-answer"),
    ],
)
def test_a_space_host_that_does_not_resolve_is_not_retried(
    transport, errno, attempts, resolver, make_hook, make_conn
):
    asked = resolver(errno)
    err, slept = _sync_call(make_hook) if transport == "sync" else _async_call(make_conn)
    assert err.failure_kind == "dns" and err.status_code is None
    assert asked == [HOST] * attempts
    assert len(slept) == attempts - 1, slept
    assert err.attempts == attempts
    assert HOST in str(err) and "Space URL" in str(err)
    if attempts == 1:
        assert f"{HOST} does not resolve" in str(err) and "attempts" not in str(err)
    else:
        assert "may be temporary" in str(err) and f"after {attempts} attempts" in str(err)
