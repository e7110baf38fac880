"""Where a rotated API token is written: the place the connection lives.

A :class:`ConnectionStore` reads a connection's extras and writes its password and/or extras:

- :class:`AirflowRESTConnectionStore`: Airflow's REST API (``PATCH`` of a connection kept in Airflow's
  database): Airflow 3's ``/api/v2`` with a JWT from ``/auth/token``, or Airflow 2.11's ``/api/v1``
  with basic auth.
- :class:`AwsSecretsManagerConnectionStore`: a connection kept as a JSON secret in AWS Secrets Manager
  (Airflow's ``SecretsManagerBackend`` layout), through the amazon provider.

Credentials come from Airflow connections, never from arguments. Nothing here puts the written
password into a log line or an exception.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cached_property
from typing import Any
from urllib.parse import quote

from airflow.providers.common.compat.sdk import BaseHook

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.exceptions import SignalWireConnectionStoreError as StoreError

__all__ = ["AirflowRESTConnectionStore", "AwsSecretsManagerConnectionStore", "ConnectionStore"]


class ConnectionStore:
    """Base of the stores: :meth:`read_extra` and :meth:`write` of one connection."""

    def describe(self, conn_id: str) -> str:
        """Where ``conn_id`` is written, in words, for logs."""
        raise NotImplementedError

    def read_extra(self, conn_id: str) -> dict[str, Any]:
        """The connection's extras as stored."""
        raise NotImplementedError

    def write(
        self, conn_id: str, *, password: str | None = None, extra: Mapping[str, Any] | None = None
    ) -> None:
        """Replace the connection's password and/or extras (only the fields given)."""
        raise NotImplementedError


def _extra_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    if not value:
        return {}
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        raise StoreError("the stored connection's extra is not a JSON object") from None
    if not isinstance(parsed, dict):
        raise StoreError("the stored connection's extra is not a JSON object")
    return parsed


class AirflowRESTConnectionStore(ConnectionStore):
    """
    Write a connection through Airflow's REST API.

    The ``airflow_conn_id`` connection gives the API server's URL (host, with ``http://`` or
    ``https://``, and port) and a user (login, password) allowed to edit connections. Airflow 3: a JWT
    from ``POST /auth/token``, then ``PATCH /api/v2/connections/{id}?update_mask=...``. Airflow 2.11:
    basic auth (``[api] auth_backends`` must include the FAB basic auth backend) and
    ``PATCH /api/v1/connections/{id}?update_mask=...``. Only the connections in Airflow's database are
    reachable this way, not those of a secrets backend or ``AIRFLOW_CONN_*`` variables.

    :param airflow_conn_id: The connection to Airflow's API server.
    :param api_version: ``"auto"`` (try Airflow 3's token endpoint, else ``/api/v1``), ``"v2"`` or ``"v1"``.
    :param timeout: Seconds to wait for each answer.
    """

    def __init__(
        self, airflow_conn_id: str = "airflow_api", *, api_version: str = "auto", timeout: float = 30
    ) -> None:
        if api_version not in ("auto", "v1", "v2"):
            raise SignalWireConfigError(f"api_version is {api_version!r}: use 'auto', 'v2' or 'v1'.")
        self.airflow_conn_id = airflow_conn_id
        self.api_version = api_version
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"AirflowRESTConnectionStore(airflow_conn_id={self.airflow_conn_id!r})"

    def describe(self, conn_id: str) -> str:
        return f"Airflow's REST API (connection '{conn_id}' via '{self.airflow_conn_id}')"

    @cached_property
    def _api(self) -> tuple[Any, str, str]:
        """(session, base URL, API version) with the session authenticated."""
        import requests

        conn = BaseHook.get_connection(self.airflow_conn_id)
        host = (conn.host or "").rstrip("/")
        if not host:
            raise SignalWireConfigError(
                f"connection '{self.airflow_conn_id}' has no host: give the Airflow API server's URL."
            )
        if "://" not in host:
            host = f"{conn.schema or 'http'}://{host}"
        base = f"{host}:{conn.port}" if conn.port else host
        session = requests.Session()
        session.headers["Accept"] = "application/json"
        version = self.api_version
        if version in ("auto", "v2"):
            answer = session.post(
                f"{base}/auth/token",
                json={"username": conn.login, "password": conn.password},
                timeout=self.timeout,
            )
            if answer.status_code in (200, 201):
                session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
                version = "v2"
            elif version == "v2" or answer.status_code not in (404, 405):
                raise StoreError(
                    f"Airflow's API at {base} refused the login of connection '{self.airflow_conn_id}' "
                    f"(POST /auth/token: {answer.status_code})"
                )
            else:
                version = "v1"
        if version == "v1":
            session.auth = (conn.login or "", conn.password or "")
        return session, base, version

    def _url(self, conn_id: str) -> str:
        _, base, version = self._api
        return f"{base}/api/{version}/connections/{quote(conn_id, safe='')}"

    def _get(self, conn_id: str) -> dict[str, Any]:
        session = self._api[0]
        answer = session.get(self._url(conn_id), timeout=self.timeout)
        if answer.status_code != 200:
            raise StoreError(f"GET connection '{conn_id}' through Airflow's API: {answer.status_code}")
        body: dict[str, Any] = answer.json()
        return body

    def read_extra(self, conn_id: str) -> dict[str, Any]:
        return _extra_dict(self._get(conn_id).get("extra"))

    def write(
        self, conn_id: str, *, password: str | None = None, extra: Mapping[str, Any] | None = None
    ) -> None:
        session, _, version = self._api
        current = self._get(conn_id)
        body: dict[str, Any] = {"connection_id": conn_id, "conn_type": current.get("conn_type")}
        fields = []
        if password is not None:
            body["password"] = password
            fields.append("password")
        if extra is not None:
            body["extra"] = json.dumps(dict(extra))
            fields.append("extra")
        if not fields:
            return
        # v2 repeats update_mask; v1 takes one comma-separated value.
        params: Any = (
            [("update_mask", f) for f in fields] if version == "v2" else {"update_mask": ",".join(fields)}
        )
        answer = session.patch(self._url(conn_id), params=params, json=body, timeout=self.timeout)
        if answer.status_code != 200:
            raise StoreError(f"PATCH connection '{conn_id}' through Airflow's API: {answer.status_code}")


class AwsSecretsManagerConnectionStore(ConnectionStore):
    """
    Write a connection kept in AWS Secrets Manager as a JSON secret (``{"conn_type", "host", "login",
    "password", "extra", ...}``, the layout Airflow's ``SecretsManagerBackend`` reads), through the
    amazon provider's ``SecretsManagerHook``. Only the ``password`` and ``extra`` keys are changed.

    :param connections_prefix: The secrets backend's ``connections_prefix``; the secret is
        ``<prefix><sep><conn_id>``.
    :param sep: The backend's ``sep``.
    :param secret_id: The secret's name, instead of prefix + id.
    :param aws_conn_id: The AWS connection to use (its extras may set ``endpoint_url``, region ...).
    :param region_name: The AWS region (default: the connection's).
    :param client: A boto3 Secrets Manager client to use instead of the hook's (tests).
    """

    def __init__(
        self,
        *,
        connections_prefix: str = "airflow/connections",
        sep: str = "/",
        secret_id: str | None = None,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        client: Any = None,
    ) -> None:
        self.connections_prefix = connections_prefix
        self.sep = sep
        self.secret_id = secret_id
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name
        self._client = client

    def __repr__(self) -> str:
        return f"AwsSecretsManagerConnectionStore(aws_conn_id={self.aws_conn_id!r})"

    def _id(self, conn_id: str) -> str:
        return self.secret_id or f"{self.connections_prefix}{self.sep}{conn_id}"

    def describe(self, conn_id: str) -> str:
        return f"AWS Secrets Manager (secret '{self._id(conn_id)}')"

    @cached_property
    def client(self) -> Any:
        if self._client is not None:
            return self._client
        try:
            from airflow.providers.amazon.aws.hooks.secrets_manager import SecretsManagerHook
        except ImportError:
            raise SignalWireConfigError(
                "AwsSecretsManagerConnectionStore needs the amazon provider: "
                "pip install apache-airflow-providers-amazon"
            ) from None
        return SecretsManagerHook(aws_conn_id=self.aws_conn_id, region_name=self.region_name).get_conn()

    def _read(self, conn_id: str) -> dict[str, Any]:
        try:
            text = self.client.get_secret_value(SecretId=self._id(conn_id))["SecretString"]
        except Exception as err:
            raise StoreError(f"reading secret '{self._id(conn_id)}': {type(err).__name__}") from None
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise StoreError(
                f"secret '{self._id(conn_id)}' is not a JSON object: store the connection as JSON "
                '({"conn_type": ..., "password": ..., "extra": {...}}) to let it be rotated'
            )
        return value

    def read_extra(self, conn_id: str) -> dict[str, Any]:
        return _extra_dict(self._read(conn_id).get("extra"))

    def write(
        self, conn_id: str, *, password: str | None = None, extra: Mapping[str, Any] | None = None
    ) -> None:
        value = self._read(conn_id)
        if password is not None:
            value["password"] = password
        if extra is not None:
            # Keep the layout the secret had: a JSON object, or JSON text.
            value["extra"] = (
                dict(extra) if isinstance(value.get("extra"), Mapping) else json.dumps(dict(extra))
            )
        try:
            self.client.put_secret_value(SecretId=self._id(conn_id), SecretString=json.dumps(value))
        except Exception as err:
            raise StoreError(f"writing secret '{self._id(conn_id)}': {type(err).__name__}") from None
