"""A connection store for tests: the connection lives in its ``AIRFLOW_CONN_<ID>`` variable, and each
way a real store fails can be switched on."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from airflow_provider_signalwire.exceptions import SignalWireConnectionStoreError
from airflow_provider_signalwire.hooks.connection_stores import ConnectionStore


class EnvConnectionStore(ConnectionStore):
    """``fail``: ``"write"`` (nothing written), ``"write-applied"`` (written, then an error),
    ``"write-and-read"`` (nothing written, and the read-back fails too)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.fail: str | None = None
        self.writes: list[dict[str, Any]] = []

    def describe(self, conn_id: str) -> str:
        return f"AIRFLOW_CONN_{conn_id.upper()}"

    def _var(self, conn_id: str) -> str:
        return f"AIRFLOW_CONN_{conn_id.upper()}"

    def conn(self, conn_id: str) -> dict[str, Any]:
        import os

        conn: dict[str, Any] = json.loads(os.environ[self._var(conn_id)])
        return conn

    def read_extra(self, conn_id: str) -> dict[str, Any]:
        if self.fail == "write-and-read":
            raise SignalWireConnectionStoreError("read failed")
        return dict(self.conn(conn_id).get("extra") or {})

    def write(
        self, conn_id: str, *, password: str | None = None, extra: Mapping[str, Any] | None = None
    ) -> None:
        if self.fail in ("write", "write-and-read"):
            raise SignalWireConnectionStoreError("write failed")
        conn = self.conn(conn_id)
        if password is not None:
            conn["password"] = password
        if extra is not None:
            conn["extra"] = dict(extra)
        self.monkeypatch.setenv(self._var(conn_id), json.dumps(conn))
        self.writes.append(
            {"password": password is not None, "extra": dict(extra) if extra is not None else None}
        )
        if self.fail == "write-applied":
            raise SignalWireConnectionStoreError("timed out after writing")
