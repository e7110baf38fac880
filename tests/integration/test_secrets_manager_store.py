"""AwsSecretsManagerConnectionStore against moto's Secrets Manager server on 127.0.0.1, through boto3.

Needs ``boto3`` and ``moto[server]`` (the ``dev`` dependency group: ``make venv`` installs them; skipped
with one line elsewhere, an error in CI: tests/helpers/optional.py). The amazon provider, which builds
the client in production, is not needed: the store takes the client.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.optional import import_or_skip

boto3 = import_or_skip("boto3")
import_or_skip("moto.server")

from airflow_provider_signalwire.exceptions import SignalWireConnectionStoreError  # noqa: E402
from airflow_provider_signalwire.hooks.connection_stores import AwsSecretsManagerConnectionStore  # noqa: E402
from airflow_provider_signalwire.operators.project import RotateSignalWireTokenOperator  # noqa: E402

SECRET = "airflow/connections/app"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    port = _free_port()
    exe = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    argv = [exe] if exe else [sys.executable, "-m", "moto.server"]
    proc = subprocess.Popen(
        [*argv, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def client(moto_url: str) -> Any:
    return boto3.client(
        "secretsmanager",
        endpoint_url=moto_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def secret(client: Any, signalwire_space: Any) -> dict[str, Any]:
    """The connection ``app`` as Airflow's SecretsManagerBackend keeps it: a JSON secret."""
    token = signalwire_space.add_token(["video", "management"], name="aws app")
    conn = json.loads(signalwire_space.airflow_conn_json())
    conn["password"] = token
    conn["extra"].update(
        {"credential_id": signalwire_space.token_id(token), "permissions": ["video", "management"]}
    )
    with contextlib.suppress(client.exceptions.ResourceNotFoundException):
        client.delete_secret(SecretId=SECRET, ForceDeleteWithoutRecovery=True)
    client.create_secret(Name=SECRET, SecretString=json.dumps(conn))
    return conn


def _stored(client: Any) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(client.get_secret_value(SecretId=SECRET)["SecretString"])
    return value


def test_write_and_read_back(client, secret):
    store = AwsSecretsManagerConnectionStore(client=client)
    assert store.read_extra("app") == secret["extra"]
    store.write("app", password="PTnew", extra={**secret["extra"], "credential_id": "new"})
    stored = _stored(client)
    assert stored["password"] == "PTnew" and stored["extra"]["credential_id"] == "new"
    assert {k: v for k, v in stored.items() if k not in ("password", "extra")} == {
        k: v for k, v in secret.items() if k not in ("password", "extra")
    }
    store.write("app", extra={"only": "extra"})
    assert _stored(client)["password"] == "PTnew" and _stored(client)["extra"] == {"only": "extra"}
    with pytest.raises(SignalWireConnectionStoreError, match="reading secret 'airflow/connections/none'"):
        store.read_extra("none")


def test_rotation_into_secrets_manager(client, secret, signalwire_space, monkeypatch):
    """The rotation with this store; tasks read the connection from the secret (as Airflow's
    SecretsManagerBackend would: here the test copies it into AIRFLOW_CONN_APP after each write)."""
    monkeypatch.setenv("AIRFLOW_CONN_APP", json.dumps(secret))

    class Mirrored(AwsSecretsManagerConnectionStore):
        def write(self, conn_id: str, **kwargs: Any) -> None:
            super().write(conn_id, **kwargs)
            monkeypatch.setenv("AIRFLOW_CONN_APP", json.dumps(_stored(client)))

    old = secret["password"]
    before = [t["id"] for t in signalwire_space.api_tokens()]
    op = RotateSignalWireTokenOperator(
        task_id="r", signalwire_conn_id="app", store=Mirrored(client=client), grace_period=0
    )
    result = op.execute({"run_id": "manual", "dag": None})
    stored = _stored(client)
    assert (
        stored["password"] != old and signalwire_space.token_id(stored["password"]) == result["credential_id"]
    )
    assert signalwire_space.token_id(old) is None
    after = [t["id"] for t in signalwire_space.api_tokens()]
    assert after == [*(i for i in before if i != secret["extra"]["credential_id"]), result["credential_id"]]
