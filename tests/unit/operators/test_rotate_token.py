"""RotateSignalWireTokenOperator against the offline fake space: every step's failure leaves a working
connection and no token behind (checked in the fake's token list), reruns are safe, and no token value
reaches XCom, logs, exceptions or the trigger."""

from __future__ import annotations

import json
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.operators.project import RotateSignalWireTokenOperator
from tests.helpers.space import api_calls, token_works
from tests.helpers.stores import EnvConnectionStore

PERMISSIONS = ["video", "management"]
CONTEXT: dict[str, Any] = {"run_id": "scheduled__2026-12-03", "dag": None}


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> EnvConnectionStore:
    return EnvConnectionStore(monkeypatch)


@pytest.fixture
def app(signalwire_space, monkeypatch) -> dict[str, str]:
    """Connection ``app``: a token with video and management, its id and permissions in the extras."""
    token = signalwire_space.add_token(PERMISSIONS, name="app")
    conn = json.loads(signalwire_space.airflow_conn_json())
    conn["password"] = token
    conn["extra"].update(
        {"credential_id": signalwire_space.token_id(token), "permissions": PERMISSIONS, "max_retries": 0}
    )
    monkeypatch.setenv("AIRFLOW_CONN_APP", json.dumps(conn))
    return {"token": token, "id": str(signalwire_space.token_id(token))}


def _rotate(store: EnvConnectionStore, **kwargs: Any) -> RotateSignalWireTokenOperator:
    kwargs.setdefault("grace_period", 0)
    return RotateSignalWireTokenOperator(task_id="rotate", signalwire_conn_id="app", store=store, **kwargs)


def _ids(space) -> list[str]:
    return [t["id"] for t in space.api_tokens()]


def test_rotation_replaces_the_token(signalwire_space, app, store, capfd):
    space = signalwire_space
    before = _ids(space)
    result = _rotate(store).execute(CONTEXT)
    conn = store.conn("app")
    new_token, extra = conn["password"], conn["extra"]
    assert (
        new_token != app["token"] and token_works(space, new_token) and not token_works(space, app["token"])
    )
    assert extra["credential_id"] == result["credential_id"] == space.token_id(new_token)
    assert extra["permissions"] == PERMISSIONS and "previous_credential_id" not in extra
    assert result == {
        "credential_id": extra["credential_id"],
        "previous_credential_id": app["id"],
        "permissions": PERMISSIONS,
        "name": result["name"],
    }
    assert result["name"].startswith("airflow dag scheduled__2026-12-03 ")
    (made,) = [t for t in space.api_tokens() if t["id"] == extra["credential_id"]]
    assert made["permissions"] == PERMISSIONS
    assert app["id"] not in _ids(space) and len(_ids(space)) == len(before)  # one out, one in
    out = "".join(capfd.readouterr())
    assert new_token not in out and app["token"] not in out and new_token not in json.dumps(result)
    assert "5/5 Deleted the old API token" in out


def test_grace_period_defers_with_no_token_in_the_trigger(signalwire_space, app, store):
    try:
        from airflow.sdk.exceptions import TaskDeferred
    except ImportError:  # Airflow 2
        from airflow.exceptions import TaskDeferred  # type: ignore[no-redef]

    op = _rotate(store, grace_period=600)
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(CONTEXT)
    new_token = store.conn("app")["password"]
    classpath, trigger_kwargs = deferred.value.trigger.serialize()
    assert classpath.endswith("TimeDeltaTrigger") or classpath.endswith("DateTimeTrigger")
    shown = json.dumps([str(trigger_kwargs), str(deferred.value.kwargs)])
    assert new_token not in shown and app["token"] not in shown
    assert set(deferred.value.kwargs) == {"old_id", "new_id", "permissions", "name"}
    # During the grace period both tokens work.
    assert token_works(signalwire_space, app["token"]) and token_works(signalwire_space, new_token)
    op.delete_old(CONTEXT, None, **deferred.value.kwargs)
    assert not token_works(signalwire_space, app["token"]) and token_works(signalwire_space, new_token)
    assert "previous_credential_id" not in store.conn("app")["extra"]


def test_create_fails(signalwire_space, app, store):
    before = _ids(signalwire_space)
    signalwire_space.inject_fault("/api/project/tokens", "503", method="POST")
    with pytest.raises(SignalWireAPIError):
        _rotate(store).execute(CONTEXT)
    assert _ids(signalwire_space) == before and store.conn("app")["password"] == app["token"]
    assert store.writes == []


def test_verification_fails_and_the_new_token_is_deleted(signalwire_space, app, store):
    before = _ids(signalwire_space)
    signalwire_space.inject_fault("/api/laml/2010-04-01/Accounts/", "500", method="GET")
    with pytest.raises(AirflowFailException, match="2/5 the new token failed verification") as err:
        _rotate(store).execute(CONTEXT)
    assert "was deleted" in str(err.value) and "old, working token" in str(err.value)
    assert _ids(signalwire_space) == before and store.writes == []
    assert token_works(signalwire_space, app["token"])
    # A rerun once the cause is gone rotates normally.
    _rotate(store).execute(CONTEXT)
    assert app["id"] not in _ids(signalwire_space) and len(_ids(signalwire_space)) == len(before)


def test_store_write_fails_and_the_new_token_is_deleted(signalwire_space, app, store):
    before = _ids(signalwire_space)
    store.fail = "write"
    with pytest.raises(AirflowFailException, match="3/5 the connection could not be written"):
        _rotate(store).execute(CONTEXT)
    assert _ids(signalwire_space) == before and store.conn("app")["password"] == app["token"]
    assert token_works(signalwire_space, app["token"])


def test_store_reports_a_failure_after_writing(signalwire_space, app, store):
    before = _ids(signalwire_space)
    store.fail = "write-applied"
    # The write landed: the rotation goes on (the extras clean-up write "fails" the same way).
    _rotate(store).execute(CONTEXT)
    new_token = store.conn("app")["password"]
    assert token_works(signalwire_space, new_token) and not token_works(signalwire_space, app["token"])
    assert _ids(signalwire_space) == [
        *(i for i in before if i != app["id"]),
        signalwire_space.token_id(new_token),
    ]
    assert "previous_credential_id" not in store.conn("app")["extra"]  # that write landed too


def test_store_write_and_read_back_fail(signalwire_space, app, store):
    before = _ids(signalwire_space)
    store.fail = "write-and-read"
    with pytest.raises(AirflowFailException, match="Both API tokens are kept") as err:
        _rotate(store).execute(CONTEXT)
    (new_id,) = set(_ids(signalwire_space)) - set(before)
    assert new_id in str(err.value) and app["id"] in str(err.value)
    assert store.conn("app")["password"] == app["token"] and token_works(signalwire_space, app["token"])


def test_verification_fails_and_so_does_deleting_the_new_token(signalwire_space, app, store):
    before = _ids(signalwire_space)
    signalwire_space.inject_fault("/api/laml/2010-04-01/Accounts/", "500", method="GET")
    signalwire_space.inject_fault("/api/project/tokens/", "500", method="DELETE")
    with pytest.raises(AirflowFailException, match="delete it in the dashboard") as err:
        _rotate(store).execute(CONTEXT)
    (new_id,) = set(_ids(signalwire_space)) - set(before)
    assert f"new API token {new_id}" in str(err.value)
    assert store.conn("app")["password"] == app["token"] and token_works(signalwire_space, app["token"])


def test_deleting_the_old_token_fails_then_a_rerun_finishes(signalwire_space, app, store):
    space = signalwire_space
    before = _ids(space)
    space.inject_fault(f"/api/project/tokens/{app['id']}", "500", method="DELETE")
    with pytest.raises(
        AirflowFailException, match=f"5/5 deleting the old API token {app['id']} failed"
    ) as err:
        _rotate(store).execute(CONTEXT)
    new_token = store.conn("app")["password"]
    assert new_token not in str(err.value) and app["token"] not in str(err.value)
    assert token_works(space, new_token) and token_works(
        space, app["token"]
    )  # nothing lost; the old one lingers
    assert store.conn("app")["extra"]["previous_credential_id"] == app["id"]
    posts = api_calls(space).count(("POST", "/api/project/tokens"))
    result = _rotate(store).execute(CONTEXT)  # the rerun finishes that rotation: no new token
    assert api_calls(space).count(("POST", "/api/project/tokens")) == posts
    assert result["previous_credential_id"] == app["id"] and not token_works(space, app["token"])
    assert (
        store.conn("app")["password"] == new_token
        and "previous_credential_id" not in store.conn("app")["extra"]
    )
    assert _ids(space) == [*(i for i in before if i != app["id"]), space.token_id(new_token)]


def test_refused_before_any_request(signalwire_space, app, store, monkeypatch):
    conn = store.conn("app")
    del conn["extra"]["credential_id"]
    monkeypatch.setenv("AIRFLOW_CONN_APP", json.dumps(conn))
    with pytest.raises(SignalWireConfigError, match="no 'credential_id' extra"):
        _rotate(store).execute(CONTEXT)
    conn["extra"].update({"credential_id": app["id"], "permissions": ["root"]})
    monkeypatch.setenv("AIRFLOW_CONN_APP", json.dumps(conn))
    with pytest.raises(SignalWireConfigError, match="the connection's 'permissions' extra has unknown"):
        _rotate(store).execute(CONTEXT)
    with pytest.raises(SignalWireConfigError, match="grace_period"):
        _rotate(store, grace_period=-1)
    with pytest.raises(SignalWireConfigError, match="store"):
        RotateSignalWireTokenOperator(task_id="r", store="airflow")  # type: ignore[arg-type]
    assert signalwire_space.requests == []


def test_dry_run_changes_nothing(signalwire_space, app, store):
    before = _ids(signalwire_space)
    result = _rotate(store, dry_run=True, permissions=["video", "management", "fax"]).execute(CONTEXT)
    assert result["credential_id"] == app["id"] and result["permissions"] == ["video", "management", "fax"]
    assert _ids(signalwire_space) == before and store.writes == [] and signalwire_space.requests == []


def test_resumed_without_kwargs_reads_the_ids_from_the_connection(signalwire_space, app, store):
    """Airflow 2.11's ``airflow dags test`` resumes a deferred task with the event only."""
    from airflow_provider_signalwire.operators import project

    op = _rotate(store, grace_period=600)
    with pytest.raises(BaseException, match="") as deferred:
        op.execute(CONTEXT)
    assert type(deferred.value).__name__ == "TaskDeferred"
    new_token = store.conn("app")["password"]
    result = op.delete_old(CONTEXT, {"status": "success"})
    assert result["previous_credential_id"] == app["id"] and result[
        "credential_id"
    ] == signalwire_space.token_id(new_token)
    assert not token_works(signalwire_space, app["token"]) and token_works(signalwire_space, new_token)
    with pytest.raises(AirflowFailException, match="names no token to delete"):
        op.delete_old(CONTEXT, None)
    assert project.PREVIOUS_CREDENTIAL_ID not in store.conn("app")["extra"]
