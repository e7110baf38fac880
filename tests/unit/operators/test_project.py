"""API token operators against the offline fake space: permissions checked before any request, token
values masked and kept out of XCom, deletes that succeed on a rerun; the least-privilege check."""

from __future__ import annotations

import json

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.operators import project
from airflow_provider_signalwire.operators.project import (
    CheckSignalWirePermissionsOperator,
    CreateSignalWireAPITokenOperator,
    DeleteSignalWireAPITokenOperator,
    UpdateSignalWireAPITokenOperator,
    probe_permissions,
)
from tests.helpers.space import api_calls


@pytest.fixture
def masked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the operators register with Airflow's secrets masker."""
    seen: list[str] = []
    monkeypatch.setattr(project, "mask_secret", seen.append)
    return seen


def _ids(space) -> list[str]:
    return [t["id"] for t in space.api_tokens()]


def test_create_update_delete(signalwire_space, masked):
    space = signalwire_space
    created = CreateSignalWireAPITokenOperator(task_id="c", name="app", permissions=["video", "fax"]).execute(
        {}
    )
    assert set(created) == {"id", "name", "permissions"} and created["permissions"] == ["video", "fax"]
    assert created["id"] in _ids(space)
    assert len(masked) == 1 and masked[0].startswith("PT")  # masked, not returned
    assert masked[0] not in json.dumps(created)

    with_token = CreateSignalWireAPITokenOperator(
        task_id="c", name="app2", permissions=["video"], return_token=True
    ).execute({})
    assert with_token["token"] == masked[-1]

    updated = UpdateSignalWireAPITokenOperator(
        task_id="u", token_id=created["id"], permissions=["messaging"]
    ).execute({})
    assert updated == {"id": created["id"], "name": "app", "permissions": ["messaging"]}
    assert masked[-1] == masked[0]  # the update's answer holds the token: masked again, not returned

    delete = DeleteSignalWireAPITokenOperator(task_id="d", token_id=created["id"], missing_ok=True)
    assert delete.execute({})["deleted"] is True
    assert created["id"] not in _ids(space)
    assert delete.execute({})["deleted"] is False  # a rerun
    with pytest.raises(SignalWireAPIError) as err:
        DeleteSignalWireAPITokenOperator(task_id="d", token_id=created["id"]).execute({})
    assert err.value.status_code == 404


def test_dry_run_deletes_nothing(signalwire_space):
    token_id = signalwire_space.token_id(signalwire_space.add_token(["video"]))
    before = len(signalwire_space.requests)
    result = DeleteSignalWireAPITokenOperator(task_id="d", token_id=token_id, dry_run=True).execute({})
    assert result == {"id": token_id, "deleted": False, "dry_run": True}
    assert token_id in _ids(signalwire_space) and len(signalwire_space.requests) == before


@pytest.mark.parametrize(
    ("permissions", "words"),
    [
        (["voice"], "'calling'"),
        (["video", "admin"], "unknown values"),
        ([], "empty"),
        ("video", "list of permission names"),
    ],
)
def test_permissions_refused_before_any_request(signalwire_space, permissions, words):
    with pytest.raises(SignalWireConfigError, match=words):
        CreateSignalWireAPITokenOperator(task_id="c", name="x", permissions=permissions)
    with pytest.raises(SignalWireConfigError, match=words):
        UpdateSignalWireAPITokenOperator(task_id="u", token_id="x", permissions=permissions)
    # A template is checked once rendered, still before any request.
    op = CreateSignalWireAPITokenOperator(task_id="c", name="x", permissions="{{ params.p }}")
    op.permissions = permissions
    with pytest.raises(SignalWireConfigError, match=words):
        op.execute({})
    assert signalwire_space.requests == []


def test_rendered_json_list_and_other_arguments(signalwire_space):
    op = CreateSignalWireAPITokenOperator(task_id="c", name="x", permissions="{{ params.p }}")
    op.permissions = '["chat", "pubsub"]'
    assert op.execute({})["permissions"] == ["chat", "pubsub"]
    with pytest.raises(SignalWireConfigError, match="token is not an argument"):
        CreateSignalWireAPITokenOperator(task_id="c", name="x", permissions=["video"], token="PTx")
    with pytest.raises(SignalWireConfigError, match="new name or new permissions"):
        UpdateSignalWireAPITokenOperator(task_id="u", token_id="x")
    assert CreateSignalWireAPITokenOperator(task_id="c", name="x", permissions=["video"]).retries == 0
    with pytest.raises(SignalWireAPIError) as err:
        CreateSignalWireAPITokenOperator(
            task_id="c", name="x", permissions=["video"], subproject_id="9a7fc048-984f-11ee-b9d1-0242ac120002"
        ).execute({})
    assert err.value.status_code == 422


def test_token_without_management_is_refused(signalwire_space, monkeypatch):
    stored = json.loads(signalwire_space.airflow_conn_json())
    stored["password"] = signalwire_space.add_token(["video"])
    monkeypatch.setenv("AIRFLOW_CONN_VIDEO_ONLY", json.dumps(stored))
    before = _ids(signalwire_space)
    with pytest.raises(SignalWireAPIError) as err:
        CreateSignalWireAPITokenOperator(
            task_id="c", name="x", permissions=["video"], signalwire_conn_id="video_only"
        ).execute({})
    assert err.value.status_code == 401 and stored["password"] not in str(err.value)
    assert _ids(signalwire_space) == before


def test_probe_and_check_permissions(signalwire_space, monkeypatch):
    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

    token = signalwire_space.add_token(["video", "fax", "chat"])
    hook = SignalWireHook().with_api_token(token)
    found = probe_permissions(hook, ["video", "fax", "messaging", "management", "chat"])
    assert found == {"video": True, "fax": True, "messaging": False, "management": False, "chat": None}

    stored = json.loads(signalwire_space.airflow_conn_json())
    stored["password"] = token
    monkeypatch.setenv("AIRFLOW_CONN_LIMITED", json.dumps(stored))
    ok = CheckSignalWirePermissionsOperator(
        task_id="check", permissions=["video", "chat"], signalwire_conn_id="limited"
    ).execute({})
    assert ok == {"needed": "chat and video", "has": ["video"], "missing": [], "not_checked": ["chat"]}
    with pytest.raises(AirflowFailException, match="lacks messaging"):
        CheckSignalWirePermissionsOperator(
            task_id="check", permissions=["video", "messaging"], signalwire_conn_id="limited"
        ).execute({})
    assert ("GET", "/api/messaging/logs") in api_calls(signalwire_space)


def test_check_derives_the_dag_needs(signalwire_space, monkeypatch):
    from airflow.providers.common.compat.sdk import DAG

    from airflow_provider_signalwire.operators.api import SignalWireAPIOperator
    from airflow_provider_signalwire.operators.video import ListVideoRoomsOperator

    stored = json.loads(signalwire_space.airflow_conn_json())
    stored["password"] = signalwire_space.add_token(["video"])
    monkeypatch.setenv("AIRFLOW_CONN_LIMITED", json.dumps(stored))
    with DAG("least_privilege", schedule=None) as dag:
        check = CheckSignalWirePermissionsOperator(task_id="check", signalwire_conn_id="limited")
        ListVideoRoomsOperator(task_id="rooms", signalwire_conn_id="limited")
        SignalWireAPIOperator(task_id="fax", path="/api/fax/logs", signalwire_conn_id="limited")
        SignalWireAPIOperator(task_id="other_conn", path="/api/messaging/logs")
    with pytest.raises(AirflowFailException, match=r"lacks fax \(needed: fax and video"):
        check.execute({"dag": dag})
