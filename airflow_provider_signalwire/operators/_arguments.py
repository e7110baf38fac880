"""Argument checks the operators share: values still pending at parse time, rendered ids and booleans,
choices, and the create/delete idempotence rules (``if_exists``, ``missing_ok``).

Each check refuses with :class:`SignalWireConfigError` naming the task, the argument and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError

if TYPE_CHECKING:
    from airflow_provider_signalwire.operators.base import SignalWireBaseOperator

IF_EXISTS = ("error", "reuse", "update")

_PLAIN = (str, int, float, bool, dict, list, tuple, date, type(None))


def is_pending(value: Any) -> bool:
    """A value that is only known when the task runs: a Jinja template, an XComArg, a mapped arg."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    return not isinstance(value, _PLAIN)


def shown(value: Any) -> str:
    """A value for an error message (shortened: it may be long)."""
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def rendered_bool(value: Any, name: str) -> bool | None:
    """A boolean argument that may arrive as a rendered template string ("true"/"false")."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise SignalWireConfigError(f"{name} is {value!r}: use true or false.")
    return text == "true"


def values(operator: Any, names: Mapping[str, Any] | Sequence[str]) -> dict[str, Any]:
    """The operator's attributes of these names (e.g. a request schema's fields)."""
    return {name: getattr(operator, name, None) for name in names}


def one_of(task_id: str, **given: Any) -> None:
    """Exactly one of ``given`` is set."""
    names = [k for k, v in given.items() if v is not None]
    if len(names) != 1:
        raise SignalWireConfigError(
            f"{task_id}: give exactly one of {' or '.join(given)} (got {len(names)})."
        )


def resource_id(task_id: str, name: str, value: Any) -> str:
    """A rendered id: refused when empty or the text of a missing XCom (``None``)."""
    text = "" if value is None else str(value).strip()
    if not text or text in ("None", "null"):
        raise SignalWireConfigError(
            f"{task_id}: {name} is {shown(value)}: give the id (check the template or the XCom it pulls)."
        )
    return text


def segment(value: str) -> str:
    """One path segment: quoted, so an id can never change the path."""
    return quote(value, safe="")


def check_choice(task_id: str, name: str, value: Any, choices: Sequence[str]) -> None:
    if value not in choices:
        raise SignalWireConfigError(
            f"{task_id}: {name} is {shown(value)}: use one of {', '.join(map(repr, choices))}."
        )


def is_missing(err: SignalWireAPIError) -> bool:
    return err.status_code == 404


def delete(
    op: SignalWireBaseOperator, path: str, noun: str, resource_id: str, missing_ok: bool
) -> dict[str, Any]:
    """DELETE ``path``; with ``missing_ok`` a 404 is success (a rerun), reported as ``deleted: False``."""
    try:
        op.hook.request("DELETE", path)
    except SignalWireAPIError as err:
        if not (missing_ok and is_missing(err)):
            raise
        op.log.info("%s %s is already gone.", noun.capitalize(), resource_id)
        return {"id": resource_id, "deleted": False}
    op.log.info("Deleted %s %s.", noun, resource_id)
    return {"id": resource_id, "deleted": True}


def name_taken(err: SignalWireAPIError) -> bool:
    """SignalWire's 422 for a name already in use (``code: name_taken`` on ``attribute: name``)."""
    if err.status_code != 422:
        return False
    return any(
        isinstance(e, Mapping) and (e.get("code") == "name_taken" or "taken" in str(e.get("message", "")))
        for e in err.errors
    )


class IfExistsMixin:
    """``if_exists`` for the create operators: what a rerun does when the name is already in use."""

    task_id: str

    def _check_if_exists(self, if_exists: str) -> str:
        check_choice(self.task_id, "if_exists", if_exists, IF_EXISTS)
        return if_exists

    def _exists_error(self, kind: str, name: str, err: SignalWireAPIError) -> AirflowFailException:
        return AirflowFailException(
            f"{self.task_id}: a video {kind} named {name!r} already exists in this space, and if_exists is "
            f"'error' (the default). Pass if_exists='reuse' to use the {kind} as it is, or "
            "if_exists='update' to apply this task's settings to it, so reruns of the task succeed "
            f"({err})."
        )
