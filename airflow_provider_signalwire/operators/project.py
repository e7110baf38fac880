"""Operators for the project's API tokens (SignalWire's Project API, ``/api/project/tokens``): create,
update and delete them, check that a token has what a DAG needs, and rotate a connection's token
without downtime.

An API token is a credential: every token value is registered with Airflow's secrets masker the
moment it arrives and is never logged; XCom gets ids, names and permissions, and a token's value only
where an argument says so. Permissions are checked against SignalWire's list before any request.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowFailException, mask_secret

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.operators._arguments import delete, is_pending, resource_id, segment, shown
from airflow_provider_signalwire.operators.base import SignalWireBaseOperator
from airflow_provider_signalwire.protocol.permissions import (
    check_permissions,
    describe,
    missing,
)

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_signalwire.hooks.connection_stores import ConnectionStore
    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook
    from airflow_provider_signalwire.protocol.permissions import Requirement

__all__ = [
    "CheckSignalWirePermissionsOperator",
    "CreateSignalWireAPITokenOperator",
    "DeleteSignalWireAPITokenOperator",
    "RotateSignalWireTokenOperator",
    "UpdateSignalWireAPITokenOperator",
    "probe_permissions",
]

TOKENS = "/api/project/tokens"
# Connection extras the rotation keeps (no "token" in the names: Airflow masks extras whose names
# look secret, and these ids are not).
CREDENTIAL_ID = "credential_id"
PREVIOUS_CREDENTIAL_ID = "previous_credential_id"
PERMISSIONS = "permissions"
ROTATED_AT = "rotated_at"
# One harmless read per permission (the first item of a list); the others have no read to try.
PROBES = {
    "video": "/api/video/rooms",
    "messaging": "/api/messaging/logs",
    "calling": "/api/voice/logs",
    "fax": "/api/fax/logs",
    "management": "/api/projects",
    "numbers": "/api/relay/rest/phone_numbers",
    "datasphere": "/api/datasphere/documents",
}


def _permissions(task_id: str, value: Any, name: str = "permissions") -> list[str]:
    """A rendered permission list (a template may render a JSON list as text)."""
    if isinstance(value, str) and value.strip().startswith("["):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    try:
        return check_permissions(value, name)
    except ValueError as err:
        raise SignalWireConfigError(f"{task_id}: {err}") from None


def _token_view(task_id: str, answer: Any, with_token: bool) -> dict[str, Any]:
    """An API token answer for XCom: its value masked at once, and kept only when asked."""
    if not isinstance(answer, Mapping):
        raise AirflowFailException(f"{task_id}: SignalWire's answer is not a token.")
    value = answer.get("token")
    if isinstance(value, str) and value:
        mask_secret(value)
    view = {
        "id": answer.get("id"),
        "name": answer.get("name"),
        "permissions": list(answer.get("permissions") or []),
    }
    if with_token:
        if not isinstance(value, str) or not value:
            raise AirflowFailException(f"{task_id}: SignalWire's answer held no token.")
        view["token"] = value
    return view


def probe_permissions(hook: SignalWireHook, permissions: Sequence[str]) -> dict[str, bool | None]:
    """Whether ``hook``'s token has each permission: one harmless read (the first item of a list) per
    permission. True: allowed; False: refused (401/403); None: not checked (no harmless read exists
    for it, or the answer was another error)."""
    found: dict[str, bool | None] = {}
    for permission in permissions:
        path = PROBES.get(permission)
        if path is None:
            found[permission] = None
            continue
        try:
            hook.request("GET", path, params={"page_size": 1})
        except SignalWireAPIError as err:
            found[permission] = False if err.status_code in (401, 403) else None
            continue
        found[permission] = True
    return found


class CreateSignalWireAPITokenOperator(SignalWireBaseOperator):
    """
    Create an API token (``POST /api/project/tokens``) limited to ``permissions``.

    The connection's token needs the ``management`` permission. The new token is registered with
    Airflow's secrets masker at once and never logged; XCom gets its ``id``, ``name`` and
    ``permissions``, and the token itself only with ``return_token=True``. The API cannot read a token
    back, so a token not returned is only useful for its id. Airflow does not retry this task unless
    ``retries`` is given: a retry would create a second token.

    :param name: The token's name, as the dashboard shows it (templated).
    :param permissions: What the token may do, from SignalWire's list: calling, chat, datasphere, fax,
        management, messaging, numbers, pubsub, storage, tasking, video (templated).
    :param subproject_id: Create the token for this subproject of the connection's project (templated).
    :param return_token: Also return the token itself (it is then stored in XCom in clear).
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: ``{"id", "name", "permissions"}`` (plus ``"token"`` with ``return_token``).
    """

    template_fields: Sequence[str] = ("name", "permissions", "subproject_id", "signalwire_conn_id")
    required_permissions = ("management",)

    def __init__(
        self,
        *,
        name: str,
        permissions: list[str],
        subproject_id: str | None = None,
        return_token: bool = False,
        **kwargs: Any,
    ) -> None:
        if "token" in kwargs:
            raise SignalWireConfigError(
                f"{kwargs.get('task_id')}: token is not an argument: SignalWire creates the token."
            )
        kwargs.setdefault("retries", 0)
        super().__init__(**kwargs)
        self.name = name
        self.permissions = permissions
        self.subproject_id = subproject_id
        self.return_token = return_token
        if not is_pending(permissions):
            _permissions(self.task_id, permissions)
        if not is_pending(name):
            resource_id(self.task_id, "name", name)

    def execute(self, context: Context) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": resource_id(self.task_id, "name", self.name),
            "permissions": _permissions(self.task_id, self.permissions),
        }
        if self.subproject_id:
            body["subproject_id"] = resource_id(self.task_id, "subproject_id", self.subproject_id)
        view = _token_view(self.task_id, self.hook.request("POST", TOKENS, json=body), self.return_token)
        self.log.info(
            "Created API token %s (%r, permissions %s; %s).",
            view["id"],
            view["name"],
            ", ".join(view["permissions"]),
            "returned in XCom" if self.return_token else "the token itself is not returned",
        )
        return view


class UpdateSignalWireAPITokenOperator(SignalWireBaseOperator):
    """
    Rename an API token or change its permissions (``PATCH /api/project/tokens/{id}``); new permissions
    apply from the token's next request. The connection's token needs ``management``. SignalWire's
    answer holds the token: it is masked at once and never returned.

    :param token_id: The token's id (templated).
    :param name: Its new name (templated).
    :param permissions: Its new permissions, from SignalWire's list (templated).
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: ``{"id", "name", "permissions"}`` as SignalWire answers them.
    """

    template_fields: Sequence[str] = ("token_id", "name", "permissions", "signalwire_conn_id")
    required_permissions = ("management",)

    def __init__(
        self,
        *,
        token_id: str,
        name: str | None = None,
        permissions: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.token_id = token_id
        self.name = name
        self.permissions = permissions
        if name is None and permissions is None:
            raise SignalWireConfigError(f"{self.task_id}: give a new name or new permissions (or both).")
        if permissions is not None and not is_pending(permissions):
            _permissions(self.task_id, permissions)

    def execute(self, context: Context) -> dict[str, Any]:
        token_id = resource_id(self.task_id, "token_id", self.token_id)
        body: dict[str, Any] = {}
        if self.name is not None:
            body["name"] = resource_id(self.task_id, "name", self.name)
        if self.permissions is not None:
            body["permissions"] = _permissions(self.task_id, self.permissions)
        answer = self.hook.request("PATCH", f"{TOKENS}/{segment(token_id)}", json=body)
        view = _token_view(self.task_id, answer, with_token=False)
        self.log.info(
            "Updated API token %s: %r, permissions %s.",
            token_id,
            view["name"],
            ", ".join(view["permissions"]),
        )
        return view


class DeleteSignalWireAPITokenOperator(SignalWireBaseOperator):
    """
    Delete an API token (``DELETE /api/project/tokens/{id}``): it is refused from its next request.
    The connection's token needs ``management``. Cannot be undone.

    :param token_id: The token's id (templated).
    :param missing_ok: Treat an already deleted token as success (``deleted: False``), so a rerun
        succeeds.
    :param dry_run: Only log what would be deleted; send nothing.
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: ``{"id", "deleted"}``.
    """

    template_fields: Sequence[str] = ("token_id", "signalwire_conn_id")
    required_permissions = ("management",)

    def __init__(
        self, *, token_id: str, missing_ok: bool = False, dry_run: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.token_id = token_id
        self.missing_ok = missing_ok
        self.only_log = dry_run  # not self.dry_run: BaseOperator.dry_run() is a method

    def execute(self, context: Context) -> dict[str, Any]:
        token_id = resource_id(self.task_id, "token_id", self.token_id)
        if self.only_log:
            self.log.info("Dry run: would delete API token %s.", token_id)
            return {"id": token_id, "deleted": False, "dry_run": True}
        return delete(self, f"{TOKENS}/{segment(token_id)}", "API token", token_id, self.missing_ok)


class CheckSignalWirePermissionsOperator(SignalWireBaseOperator):
    """
    Fail early, naming what the connection's token lacks, instead of on a 401/403 halfway through a run.

    What is needed: ``permissions``, or else every SignalWire task of this DAG (see
    :func:`airflow_provider_signalwire.permissions.dag_permissions`). What the token has: one harmless
    read per permission (:func:`probe_permissions`); permissions no read can show (chat, pubsub,
    storage, tasking) are taken from the connection's ``permissions`` extra when it has one, else
    reported as not checked.

    :param permissions: The permissions to check (templated); default: what this DAG's tasks need.
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: ``{"needed": str, "has": [...], "missing": [...], "not_checked": [...]}``.
    :raises AirflowFailException: naming the missing permissions.
    """

    template_fields: Sequence[str] = ("permissions", "signalwire_conn_id")

    def __init__(self, *, permissions: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.permissions = permissions
        if permissions is not None and not is_pending(permissions):
            _permissions(self.task_id, permissions)

    def permissions_needed(self) -> Requirement | None:
        return ()  # it only reads what the token allows; a refused read is its answer, not a failure

    def _needed(self, context: Context) -> Requirement:
        if self.permissions is not None:
            return (frozenset(_permissions(self.task_id, self.permissions)),)
        from airflow_provider_signalwire.permissions import dag_permissions

        report = dag_permissions(context["dag"], conn_id=self.signalwire_conn_id, templated_match=True)
        if report.unknown:
            self.log.warning("Cannot tell what these tasks need: %s.", "; ".join(report.unknown))
        return report.requirement

    def execute(self, context: Context) -> dict[str, Any]:
        needed = self._needed(context)
        candidates = sorted({p for option in needed for p in option})
        found = probe_permissions(self.hook, candidates)
        declared = self.hook.get_connection(self.signalwire_conn_id).extra_dejson.get(PERMISSIONS)
        declared = set(declared) if isinstance(declared, list) else set()
        has = {p for p, ok in found.items() if ok or (ok is None and p in declared)}
        refused = {p for p, ok in found.items() if ok is False}
        not_checked = sorted(p for p, ok in found.items() if ok is None and p not in declared)
        lacks = missing(needed, has | set(not_checked))  # unchecked ones are given the benefit of the doubt
        result = {
            "needed": describe(needed),
            "has": sorted(has),
            "missing": sorted(lacks),
            "not_checked": not_checked,
        }
        if lacks:
            raise AirflowFailException(
                f"{self.task_id}: the token of connection '{self.signalwire_conn_id}' lacks "
                f"{', '.join(sorted(lacks))} (needed: {describe(needed)}; refused: "
                f"{', '.join(sorted(refused)) or 'none'}). Add them to the token in the dashboard, or "
                "with UpdateSignalWireAPITokenOperator."
            )
        self.log.info(
            "The token has what is needed (%s)%s.",
            describe(needed),
            f"; not checked (no harmless read): {', '.join(not_checked)}" if not_checked else "",
        )
        return result


class RotateSignalWireTokenOperator(SignalWireBaseOperator):
    """
    Replace a connection's API token with a new one, without downtime.

    1. Create a token with the same permissions (the ``permissions`` argument, else the connection's
       ``permissions`` extra), named after the DAG, run and date.
    2. Verify it: the connection test and one harmless read per permission, with the new token.
    3. Write it where the connection lives (``store``): the password, and in the extras the new
       token's id (``credential_id``), its ``permissions`` and the old token's id
       (``previous_credential_id``) until that one is deleted.
    4. Wait ``grace_period`` without holding a worker slot (the task defers on a timer whose trigger
       holds no token), so tasks that read the old token finish.
    5. Delete the old token, then clear ``previous_credential_id``.

    A new token that fails verification or cannot be stored is deleted, and the task fails: the
    connection keeps its working token and no token is left behind. A failed delete of the old token
    fails the task naming the old token's id; a rerun (or the next scheduled run) then finishes that
    rotation first instead of starting another, so reruns are always safe. The connection's token
    needs the ``management`` permission, and the connection must name its token's id in the
    ``credential_id`` extra (the dashboard shows it): the API cannot tell it. Token values never reach
    logs, XCom, exceptions, rendered fields or the trigger.

    :param store: Where the connection lives and is written:
        :class:`~airflow_provider_signalwire.hooks.connection_stores.AirflowRESTConnectionStore` (the
        Airflow REST API) or
        :class:`~airflow_provider_signalwire.hooks.connection_stores.AwsSecretsManagerConnectionStore`.
    :param permissions: The new token's permissions (templated); default: the connection's
        ``permissions`` extra.
    :param grace_period: How long the old token keeps working after the connection holds the new one
        (a ``timedelta`` or seconds, up to 7 days; templated; default 10 minutes).
    :param token_name: The new token's name (templated); default ``airflow <dag> <run> <date>``.
    :param dry_run: Only check the arguments and the connection and log what would happen.
    :param signalwire_conn_id: The connection whose token is rotated (templated).
    :return: ``{"credential_id", "previous_credential_id", "permissions", "name"}`` (ids only).
    """

    template_fields: Sequence[str] = ("permissions", "grace_period", "token_name", "signalwire_conn_id")
    required_permissions = ("management",)

    def __init__(
        self,
        *,
        store: ConnectionStore,
        permissions: list[str] | None = None,
        grace_period: timedelta | float = timedelta(minutes=10),
        token_name: str | None = None,
        dry_run: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("retries", 0)  # a rerun resumes safely, but a blind retry is not needed
        super().__init__(**kwargs)
        self.store = store
        self.permissions = permissions
        self.grace_period = grace_period
        if not is_pending(grace_period):
            self._grace_seconds()
        self.token_name = token_name
        self.only_log = dry_run  # not self.dry_run: BaseOperator.dry_run() is a method
        if not hasattr(store, "write") or not hasattr(store, "read_extra"):
            raise SignalWireConfigError(
                f"{self.task_id}: store is {shown(store)}: give a ConnectionStore, e.g. "
                "AirflowRESTConnectionStore(airflow_conn_id='airflow_api')."
            )
        if permissions is not None and not is_pending(permissions):
            _permissions(self.task_id, permissions)

    def _grace_seconds(self) -> float:
        value = self.grace_period
        seconds: Any = value.total_seconds() if isinstance(value, timedelta) else value
        if isinstance(seconds, str):
            with contextlib.suppress(ValueError):
                seconds = float(seconds)
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, (int, float))
            or not 0 <= seconds <= 7 * 86400
        ):
            raise SignalWireConfigError(
                f"{self.task_id}: grace_period is {shown(value)}: give a timedelta or seconds, 0 to 7 days."
            )
        return float(seconds)

    # -- steps

    def execute(self, context: Context) -> dict[str, Any]:
        self.grace_seconds = self._grace_seconds()
        conn = self.hook.get_connection(self.signalwire_conn_id)
        extra = dict(conn.extra_dejson)
        old_id = extra.get(CREDENTIAL_ID)
        if not isinstance(old_id, str) or not old_id.strip():
            raise SignalWireConfigError(
                f"{self.task_id}: connection '{self.signalwire_conn_id}' has no '{CREDENTIAL_ID}' extra: add "
                "the id of the token in its password (the dashboard's API page shows it), and its "
                f"'{PERMISSIONS}', so the old token can be deleted after the rotation. Nothing was changed."
            )
        pending = extra.get(PREVIOUS_CREDENTIAL_ID)
        if isinstance(pending, str) and pending:
            # An earlier rotation stored its new token but did not delete the old one: finish it.
            self.log.info(
                "An earlier rotation left API token %s to delete; finishing it (no new token is created).",
                pending,
            )
            return self._wait_then_delete(context, pending, old_id, extra.get(PERMISSIONS), "")
        permissions = _permissions(
            self.task_id,
            self.permissions if self.permissions is not None else extra.get(PERMISSIONS),
            "permissions" if self.permissions is not None else f"the connection's '{PERMISSIONS}' extra",
        )
        name = self.token_name or self._default_name(context)
        if self.only_log:
            self.log.info(
                "Dry run: would create API token %r (%s), verify it, store it in %s, wait %.0f s and "
                "delete API token %s.",
                name,
                ", ".join(permissions),
                self.store.describe(self.signalwire_conn_id),
                self.grace_seconds,
                old_id,
            )
            return {
                "credential_id": old_id,
                "previous_credential_id": None,
                "permissions": permissions,
                "name": name,
            }

        # 1. create
        answer = self.hook.request("POST", TOKENS, json={"name": name, "permissions": permissions})
        created = _token_view(self.task_id, answer, with_token=True)
        new_id, token = str(created["id"]), created.pop("token")
        self.log.info("1/5 Created API token %s (%r, %s).", new_id, name, ", ".join(permissions))
        # 2. verify
        problem = self._verify(token, permissions, created["permissions"])
        if problem:
            self._discard(new_id, f"2/5 the new token failed verification: {problem}")
        self.log.info("2/5 Verified API token %s: connection test and %s.", new_id, ", ".join(permissions))
        # 3. store
        new_extra = {
            **extra,
            CREDENTIAL_ID: new_id,
            PERMISSIONS: permissions,
            PREVIOUS_CREDENTIAL_ID: old_id,
            ROTATED_AT: datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        self._store(new_id, old_id, token, new_extra)
        self.log.info("3/5 Stored API token %s in %s.", new_id, self.store.describe(self.signalwire_conn_id))
        return self._wait_then_delete(context, old_id, new_id, permissions, name)

    def _default_name(self, context: Context) -> str:
        dag = context.get("dag")
        run_id = context.get("run_id") or "manual"
        day = datetime.now(timezone.utc).strftime("%Y-%m-%d")
        return f"airflow {getattr(dag, 'dag_id', 'dag')} {run_id} {day}"[:200]

    def _verify(self, token: str, permissions: list[str], granted: list[str]) -> str | None:
        """Why the new token is not fit to replace the old one, or None."""
        if sorted(set(granted)) != sorted(permissions):
            return f"SignalWire granted {sorted(granted)}, not {sorted(permissions)}"
        hook = self.hook.with_api_token(token)
        try:
            ok, message = hook.test_connection()
            if not ok:
                return f"the connection test failed ({message})"
            refused = [p for p, has in probe_permissions(hook, permissions).items() if has is False]
        finally:
            hook.close()
        if refused:
            return f"a read needing {', '.join(refused)} was refused"
        return None

    def _store(self, new_id: str, old_id: str, token: str, new_extra: dict[str, Any]) -> None:
        try:
            self.store.write(self.signalwire_conn_id, password=token, extra=new_extra)
            return
        except Exception as err:  # any failure of any store: decide by what the store now holds
            failure = f"{type(err).__name__}: {err}"
        try:
            held = self.store.read_extra(self.signalwire_conn_id).get(CREDENTIAL_ID)
        except Exception as err:
            raise AirflowFailException(
                f"{self.task_id}: 3/5 writing the connection failed ({failure}) and reading it back failed "
                f"too ({type(err).__name__}). Both API tokens are kept: the old one {old_id} and the new one "
                f"{new_id}; the connection holds one of them. Check it, then rerun: a connection holding "
                f"{new_id} finishes this rotation, one holding {old_id} starts a new one (then delete "
                f"{new_id} in the dashboard)."
            ) from None
        if held == new_id:
            self.log.warning("3/5 The store reported a failure (%s) but holds the new token.", failure)
            return
        self._discard(new_id, f"3/5 the connection could not be written: {failure}")

    def _discard(self, new_id: str, why: str) -> None:
        """Delete the new token and fail; the connection still holds the old, working one."""
        try:
            self.hook.request("DELETE", f"{TOKENS}/{segment(new_id)}")
        except SignalWireAPIError as err:
            if err.status_code != 404:
                raise AirflowFailException(
                    f"{self.task_id}: {why}. Deleting the new API token {new_id} failed too ({err}): delete "
                    "it in the dashboard. The connection still holds its old, working token."
                ) from None
        raise AirflowFailException(
            f"{self.task_id}: {why}. The new API token {new_id} was deleted; the connection still holds "
            "its old, working token. Nothing is left to clean up: rerun when the cause is fixed."
        )

    def _wait_then_delete(
        self, context: Context, old_id: str, new_id: str, permissions: Any, name: str
    ) -> dict[str, Any]:
        kwargs = {"old_id": old_id, "new_id": new_id, "permissions": permissions, "name": name}
        if self.grace_seconds <= 0:
            return self.delete_old(context, None, **kwargs)
        self.log.info(
            "4/5 Waiting %.0f s before deleting API token %s (deferred).", self.grace_seconds, old_id
        )
        self.defer(
            trigger=_timer(timedelta(seconds=self.grace_seconds)),
            method_name="delete_old",
            kwargs=kwargs,  # ids only: next_kwargs are stored in Airflow's database
        )
        raise AssertionError("defer() returned")  # pragma: no cover - defer raises

    def delete_old(
        self,
        context: Context,
        event: Any = None,
        *,
        old_id: str | None = None,
        new_id: str | None = None,
        permissions: Any = None,
        name: str = "",
    ) -> dict[str, Any]:
        """5. Delete the old token (already gone counts as done), then clear ``previous_credential_id``.

        The ids come from the deferral's kwargs, else from the connection, which holds both until the
        old token is deleted (Airflow 2.11's ``airflow dags test`` resumes with the event only).
        """
        if old_id is None or new_id is None:
            extra = self.hook.get_connection(self.signalwire_conn_id).extra_dejson
            old_id, new_id = extra.get(PREVIOUS_CREDENTIAL_ID), extra.get(CREDENTIAL_ID)
            permissions = permissions if permissions is not None else extra.get(PERMISSIONS)
            if not old_id or not new_id:
                raise AirflowFailException(
                    f"{self.task_id}: 5/5 connection '{self.signalwire_conn_id}' names no token to delete "
                    f"({PREVIOUS_CREDENTIAL_ID} is missing): nothing was deleted."
                )
        try:
            self.hook.request("DELETE", f"{TOKENS}/{segment(old_id)}")
            self.log.info("5/5 Deleted the old API token %s.", old_id)
        except SignalWireAPIError as err:
            if err.status_code != 404:
                raise AirflowFailException(
                    f"{self.task_id}: 5/5 deleting the old API token {old_id} failed ({err}). The connection "
                    f"holds the new token {new_id} and works; rerun to delete {old_id} (the rerun creates "
                    "no new token), or delete it in the dashboard."
                ) from None
            self.log.info("5/5 The old API token %s was already deleted.", old_id)
        try:
            # The connection as tasks read it: a store may show secret-looking extras masked.
            extra = dict(self.hook.get_connection(self.signalwire_conn_id).extra_dejson)
            if extra.get(PREVIOUS_CREDENTIAL_ID) is not None:
                extra.pop(PREVIOUS_CREDENTIAL_ID, None)
                self.store.write(self.signalwire_conn_id, extra=extra)
        except Exception as err:  # harmless: the next run deletes the already deleted id and goes on
            self.log.warning(
                "Could not clear %s from the connection (%s); the next run finds %s already deleted.",
                PREVIOUS_CREDENTIAL_ID,
                type(err).__name__,
                old_id,
            )
        return {
            "credential_id": new_id,
            "previous_credential_id": old_id,
            "permissions": list(permissions or []),
            "name": name,
        }


def _timer(delta: timedelta) -> Any:
    """A trigger that only sleeps (its serialized kwargs are a moment, no credential)."""
    try:
        from airflow.providers.standard.triggers.temporal import TimeDeltaTrigger
    except ImportError:  # Airflow 2 without the standard provider
        from airflow.triggers.temporal import TimeDeltaTrigger  # type: ignore[no-redef]
    return TimeDeltaTrigger(delta)
