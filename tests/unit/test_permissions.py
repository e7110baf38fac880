"""Least privilege: what a DAG's SignalWire tasks need, from the operators' declarations and the generic
operator's paths; the ``permissions`` command line."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import textwrap

import pytest

import airflow_provider_signalwire
from airflow_provider_signalwire.__main__ import main
from airflow_provider_signalwire.operators.base import SignalWireBaseOperator
from airflow_provider_signalwire.permissions import dag_permissions, task_permissions
from airflow_provider_signalwire.protocol.permissions import TOKEN_PERMISSIONS, need
from airflow_provider_signalwire.sensors.base import SignalWireStatusSensor

DAG_FILE = """
from airflow.providers.common.compat.sdk import DAG
from airflow_provider_signalwire.notifications.signalwire import SignalWireNotifier
from airflow_provider_signalwire.operators.api import SignalWireAPIOperator
from airflow_provider_signalwire.operators.messaging import SendMessageOperator
from airflow_provider_signalwire.operators.project import RotateSignalWireTokenOperator
from airflow_provider_signalwire.hooks.connection_stores import AirflowRESTConnectionStore
from airflow_provider_signalwire.sensors.voice import CallStatusSensor
from airflow_provider_signalwire.transfers.logs import SignalWireLogsToStorageOperator

notify = SignalWireNotifier(to="+12025550123", from_="+12025550124", body="x")
with DAG("needs", schedule=None, on_failure_callback=notify):
    SendMessageOperator(task_id="sms", to="+12025550123", from_="+12025550124", body="hi")
    CallStatusSensor(task_id="call", call_sid="CA1")
    SignalWireAPIOperator(task_id="fax", path="/api/fax/logs")
    SignalWireAPIOperator(task_id="templated", path="{{ params.path }}")
    SignalWireAPIOperator.partial(task_id="mapped", method="GET").expand(path=["/api/video/rooms"])
    SignalWireLogsToStorageOperator(task_id="conf", log_type="conferences", destination="file:///tmp/x")
    RotateSignalWireTokenOperator(
        task_id="rotate", store=AirflowRESTConnectionStore(), signalwire_conn_id="admin"
    )
"""


@pytest.fixture
def dag_file(tmp_path):
    path = tmp_path / "needs.py"
    path.write_text(textwrap.dedent(DAG_FILE))
    return path


def test_dag_permissions(dag_file):
    from airflow_provider_signalwire.permissions import dag_file_permissions

    report = dag_file_permissions(dag_file)["needs"]
    assert {k: sorted(sorted(o) for o in v) for k, v in report.by_task.items()} == {
        "sms": [["messaging"]],
        "call": [["calling"]],
        "fax": [["fax"]],
        "conf": [["calling"], ["video"]],
        "rotate": [["management"]],
        "dag:SignalWireNotifier": [["messaging"]],
    }
    assert sorted(report.unknown) == [
        "mapped (SignalWireAPIOperator: templated or unknown path)",
        "templated (SignalWireAPIOperator: templated or unknown path)",
    ]
    assert report.requirement == need("calling+fax+management+messaging")
    only_default = dag_file_permissions(dag_file, conn_id="signalwire_default")["needs"]
    assert "rotate" not in only_default.by_task and only_default.requirement == need("calling+fax+messaging")


def test_command_line(dag_file, capsys):
    assert main(["permissions", str(dag_file), "--json"]) == 0
    text = capsys.readouterr().out
    answer = json.loads(text[text.index("{\n") :])  # after any log line Airflow printed
    assert answer["needs"]["needed"] == [["calling", "fax", "management", "messaging"]]
    assert main(["permissions", str(dag_file)]) == 0
    assert "needed: calling and fax and management and messaging" in capsys.readouterr().out
    broken = dag_file.with_name("broken.py")
    broken.write_text("import nothing_such\n")
    assert main(["permissions", str(broken)]) == 2


def _public_classes():
    for info in pkgutil.walk_packages(airflow_provider_signalwire.__path__, "airflow_provider_signalwire."):
        if ".testing" in info.name or info.name.endswith("__main__") or "example_dags" in info.name:
            continue
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and not name.startswith("_"):
                yield cls


def test_every_operator_and_sensor_says_what_it_needs():
    bases = (SignalWireBaseOperator, SignalWireStatusSensor)
    classes = {cls for cls in _public_classes() if issubclass(cls, bases)}
    undeclared = []
    for cls in classes:
        if any(other is not cls and issubclass(other, cls) for other in classes):
            continue  # a base (SignalWireListOperator ...): its subclasses are checked
        declared = getattr(cls, "required_permissions", ())
        assert set(declared) <= set(TOKEN_PERMISSIONS), cls
        overrides = any(
            "permissions_needed" in vars(c) for c in cls.__mro__ if c is not SignalWireBaseOperator
        )
        if not declared and not overrides:
            undeclared.append(cls.__name__)
    assert len(classes) > 25
    assert undeclared == [], "declare required_permissions (or override permissions_needed) on these"


def test_task_permissions_of_a_plain_task():
    try:
        from airflow.providers.standard.operators.empty import EmptyOperator
    except ImportError:  # Airflow 2
        from airflow.operators.empty import EmptyOperator  # type: ignore[no-redef]

    assert task_permissions(EmptyOperator(task_id="e")) is None
    assert dag_permissions(type("D", (), {"tasks": [EmptyOperator(task_id="e")]})()).requirement == ()
