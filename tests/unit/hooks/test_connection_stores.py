"""The connection stores: Airflow's REST API (v2 with a JWT, v1 with basic auth) over requests-mock,
and AWS Secrets Manager through a stand-in client; no secret in any error."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_signalwire.exceptions import SignalWireConfigError, SignalWireConnectionStoreError
from airflow_provider_signalwire.hooks.connection_stores import (
    AirflowRESTConnectionStore,
    AwsSecretsManagerConnectionStore,
)

API = "http://airflow.test:8080"
SECRET = "PTnewtokenvalue0123456789"


@pytest.fixture
def airflow_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_AIRFLOW_API",
        json.dumps(
            {
                "conn_type": "http",
                "host": "http://airflow.test",
                "port": 8080,
                "login": "admin",
                "password": "pw",
            }
        ),
    )


def _conn(extra: dict[str, Any]) -> dict[str, Any]:
    return {"connection_id": "app", "conn_type": "signalwire", "password": "***", "extra": json.dumps(extra)}


def test_rest_v2(requests_mock, airflow_api):
    requests_mock.post(f"{API}/auth/token", json={"access_token": "jwt"}, status_code=201)
    requests_mock.get(f"{API}/api/v2/connections/app", json=_conn({"credential_id": "a"}))
    patch = requests_mock.patch(f"{API}/api/v2/connections/app", json={})
    store = AirflowRESTConnectionStore()
    assert store.read_extra("app") == {"credential_id": "a"}
    store.write("app", password=SECRET, extra={"credential_id": "b"})
    sent = patch.last_request
    assert sent.headers["Authorization"] == "Bearer jwt"
    assert sent.qs == {"update_mask": ["password", "extra"]}
    assert sent.json() == {
        "connection_id": "app",
        "conn_type": "signalwire",
        "password": SECRET,
        "extra": json.dumps({"credential_id": "b"}),
    }
    store.write("app", extra={"x": 1})
    assert patch.last_request.qs == {"update_mask": ["extra"]} and "password" not in patch.last_request.json()
    assert requests_mock.request_history[0].json() == {"username": "admin", "password": "pw"}


def test_rest_v1_basic_auth(requests_mock, airflow_api):
    requests_mock.post(f"{API}/auth/token", status_code=404)
    requests_mock.get(f"{API}/api/v1/connections/app", json=_conn({}))
    patch = requests_mock.patch(f"{API}/api/v1/connections/app", json={})
    AirflowRESTConnectionStore().write("app", password=SECRET, extra={"credential_id": "b"})
    assert patch.last_request.qs == {"update_mask": ["password,extra"]}
    assert patch.last_request.headers["Authorization"].startswith("Basic ")


def test_rest_failures_never_show_the_password(requests_mock, airflow_api):
    requests_mock.post(f"{API}/auth/token", json={"access_token": "jwt"})
    requests_mock.get(f"{API}/api/v2/connections/app", json=_conn({}))
    requests_mock.patch(f"{API}/api/v2/connections/app", status_code=403, text=f"denied {SECRET}")
    with pytest.raises(SignalWireConnectionStoreError, match="PATCH connection 'app'.*403") as err:
        AirflowRESTConnectionStore().write("app", password=SECRET)
    assert SECRET not in str(err.value)
    requests_mock.post(f"{API}/auth/token", status_code=401)
    with pytest.raises(SignalWireConnectionStoreError, match="refused the login"):
        AirflowRESTConnectionStore().read_extra("app")
    with pytest.raises(SignalWireConfigError, match="api_version"):
        AirflowRESTConnectionStore(api_version="3")


class FakeSecrets:
    """A stand-in for boto3's Secrets Manager client: the two calls the store makes."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def get_secret_value(self, SecretId: str) -> dict[str, str]:
        if SecretId not in self.values:
            raise KeyError(SecretId)
        return {"SecretString": self.values[SecretId]}

    def put_secret_value(self, SecretId: str, SecretString: str) -> None:
        self.values[SecretId] = SecretString


def test_secrets_manager_json_secret():
    stored = {"conn_type": "signalwire", "login": "p", "password": "old", "extra": {"credential_id": "a"}}
    client = FakeSecrets({"airflow/connections/app": json.dumps(stored)})
    store = AwsSecretsManagerConnectionStore(client=client)
    assert store.read_extra("app") == {"credential_id": "a"}
    store.write("app", password=SECRET, extra={"credential_id": "b"})
    assert json.loads(client.values["airflow/connections/app"]) == {
        **stored,
        "password": SECRET,
        "extra": {"credential_id": "b"},
    }
    client.values["x"] = json.dumps({"conn_type": "signalwire", "extra": "{}"})  # extra kept as text
    AwsSecretsManagerConnectionStore(secret_id="x", client=client).write("app", extra={"k": 1})
    assert json.loads(client.values["x"])["extra"] == '{"k": 1}'


def test_secrets_manager_refusals():
    client = FakeSecrets({"airflow/connections/uri": "signalwire://p:t@host"})
    with pytest.raises(SignalWireConnectionStoreError, match="not a JSON object"):
        AwsSecretsManagerConnectionStore(client=client).write("uri", password=SECRET)
    with pytest.raises(SignalWireConnectionStoreError, match="reading secret 'airflow/connections/none'"):
        AwsSecretsManagerConnectionStore(client=client).read_extra("none")
    assert client.values["airflow/connections/uri"] == "signalwire://p:t@host"
