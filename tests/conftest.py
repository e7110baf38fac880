from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from tests.fixtures import PROJECT, TOKEN
from tests.tmp_guard import _no_writes_to_the_system_temp_dir, _temp_dir_of_the_session  # noqa: F401

if TYPE_CHECKING:
    from airflow_provider_signalwire.testing import FakeSignalWireSpace

os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")


@pytest.fixture(autouse=True)
def _every_test_masks_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hooks give a secret to Airflow's masker once per process: each test starts as a new one, so
    a test that watches ``mask_secret`` sees its hooks mask."""
    base = sys.modules.get("airflow_provider_signalwire.hooks.base")
    if base is not None:
        monkeypatch.setattr(base, "_MASKED", ((None, None), set()))


@pytest.fixture
def make_conn(monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """Define a signalwire connection through ``AIRFLOW_CONN_<ID>`` and return its id.

    ``space``: a fake space's connection (its URL, credentials and CA bundle) instead of host, login
    and password. ``retries=False``: ``max_retries`` 0 in the extra, so every fault reaches the caller
    at once (the one place the tests turn retries off).
    """

    def _make(
        host: str = "acme.signalwire.com",
        login: str | None = PROJECT,
        password: str | None = TOKEN,
        extra: dict[str, Any] | None = None,
        conn_id: str = "signalwire_test",
        port: int | None = None,
        *,
        space: FakeSignalWireSpace | None = None,
        retries: bool = True,
    ) -> str:
        conn: dict[str, Any] = {"conn_type": "signalwire", "host": host, "login": login, "password": password}
        if space is not None:
            conn = json.loads(space.airflow_conn_json())
        if port is not None:
            conn["port"] = port
        merged = {**conn.get("extra", {}), **(extra or {}), **({} if retries else {"max_retries": 0})}
        if merged or extra is not None:
            conn["extra"] = merged
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
        return conn_id

    return _make


@pytest.fixture
def make_hook(make_conn: Callable[..., str]) -> Callable[..., Any]:
    """A SignalWireHook on a fresh connection; sleeps are recorded, not slept."""
    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

    def _make(hook_kwargs: dict[str, Any] | None = None, **conn_kwargs: Any) -> SignalWireHook:
        conn_id = make_conn(**conn_kwargs)
        hook = SignalWireHook(signalwire_conn_id=conn_id, **(hook_kwargs or {}))
        hook.slept = []  # type: ignore[attr-defined]
        hook._sleep = hook.slept.append  # type: ignore[attr-defined]
        return hook

    return _make
