"""Least privilege: the API token permissions a DAG's SignalWire tasks need.

Each operator and sensor declares its permissions (``required_permissions``); the generic
:class:`~airflow_provider_signalwire.operators.api.SignalWireAPIOperator` and the log export derive
theirs from the paths they call. ``python -m airflow_provider_signalwire permissions DAG_FILE`` prints
them; :class:`~airflow_provider_signalwire.operators.project.CheckSignalWirePermissionsOperator` checks
a token against them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_provider_signalwire.protocol.permissions import Requirement, combine, describe

__all__ = ["PermissionReport", "dag_file_permissions", "dag_permissions", "task_permissions"]


@dataclass
class PermissionReport:
    """What a DAG's SignalWire tasks need: all together (``requirement``), per task, and the tasks
    whose needs cannot be told (a templated path, an operator that declares nothing)."""

    requirement: Requirement = ()
    by_task: dict[str, Requirement] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report in words, one line each."""
        out = [f"needed: {describe(self.requirement)}"]
        out += [f"  {task_id}: {describe(req)}" for task_id, req in sorted(self.by_task.items())]
        out += [f"  unknown: {why}" for why in self.unknown]
        return out


def _operator_class(task: Any) -> type:
    return getattr(task, "operator_class", None) or type(task)  # a mapped task names its class


def _is_signalwire(cls: type) -> bool:
    return cls.__module__.startswith("airflow_provider_signalwire.")


def task_permissions(task: Any) -> Requirement | None:
    """What ``task`` needs; None when it cannot be told (the caller reports it)."""
    cls = _operator_class(task)
    needed = getattr(task, "permissions_needed", None)
    if cls is type(task) and callable(needed):
        result: Requirement | None = needed()
        return result
    declared = getattr(cls, "required_permissions", None)
    if declared and "permissions_needed" not in vars(cls):
        return (frozenset(declared),)
    return None


CALLBACKS = (
    "on_failure_callback",
    "on_success_callback",
    "on_retry_callback",
    "on_execute_callback",
    "on_skipped_callback",
    "sla_miss_callback",
)


def _notifiers(owner: Any) -> list[Any]:
    """The SignalWire notifiers among ``owner``'s callbacks (a DAG's or a task's)."""
    found = []
    for name in CALLBACKS:
        value = getattr(owner, name, None)
        for callback in value if isinstance(value, (list, tuple)) else [value]:
            if callback is not None and _is_signalwire(type(callback)):
                found.append(callback)
    return found


def dag_permissions(
    dag: Any, conn_id: str | None = None, *, templated_match: bool = False
) -> PermissionReport:
    """What the SignalWire tasks and notifiers of ``dag`` (only those on ``conn_id``, if given) need.

    ``templated_match``: a task whose connection id is still a template counts as on ``conn_id``
    (a running task's DAG holds its tasks unrendered).
    """
    report = PermissionReport()
    for owner in [dag, *dag.tasks]:
        for notifier in _notifiers(owner):
            if conn_id is not None and getattr(notifier, "signalwire_conn_id", conn_id) != conn_id:
                continue
            declared = getattr(notifier, "required_permissions", ())
            key = f"{getattr(owner, 'task_id', None) or 'dag'}:{type(notifier).__name__}"
            report.by_task[key] = (frozenset(declared),) if declared else ()
    for task in dag.tasks:
        cls = _operator_class(task)
        if not _is_signalwire(cls):
            continue
        task_conn = getattr(task, "signalwire_conn_id", None)
        if task_conn is None:
            task_conn = (getattr(task, "partial_kwargs", None) or {}).get(
                "signalwire_conn_id", "signalwire_default"
            )
        pending = isinstance(task_conn, str) and "{{" in task_conn
        if conn_id is not None and task_conn != conn_id and not (templated_match and pending):
            continue
        needed = task_permissions(task)
        if needed is None:
            report.unknown.append(f"{task.task_id} ({cls.__name__}: templated or unknown path)")
            continue
        if needed:
            report.by_task[task.task_id] = needed
    report.requirement = combine(report.by_task.values())
    return report


def dag_file_permissions(path: str | Path, conn_id: str | None = None) -> dict[str, PermissionReport]:
    """:func:`dag_permissions` of every DAG a file defines, by DAG id; ValueError naming import errors."""
    try:
        from airflow.dag_processing.dagbag import DagBag  # Airflow 3
    except ImportError:  # Airflow 2
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]

    bag = DagBag(dag_folder=str(path), safe_mode=False)
    if bag.import_errors:
        raise ValueError(f"{path} does not import: {'; '.join(str(e) for e in bag.import_errors.values())}")
    return {dag_id: dag_permissions(dag, conn_id) for dag_id, dag in sorted(bag.dags.items())}
