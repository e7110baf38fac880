"""Provider registration: the dict Airflow discovers, validated against Airflow's own schemas."""

from __future__ import annotations

import importlib
import json
from importlib.metadata import entry_points
from pathlib import Path

import airflow
import jsonschema
import pytest

from airflow_provider_signalwire.get_provider_info import get_provider_info
from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

AIRFLOW_DIR = Path(airflow.__file__).parent


def test_entry_point_is_registered():
    eps = [ep for ep in entry_points(group="apache_airflow_provider") if ep.name == "provider_info"]
    values = {ep.value for ep in eps}
    assert "airflow_provider_signalwire.get_provider_info:get_provider_info" in values


def test_valid_against_airflow_provider_info_schema():
    schema = json.loads((AIRFLOW_DIR / "provider_info.schema.json").read_text())
    jsonschema.validate(get_provider_info(), schema)


def test_connection_type_valid_against_strict_provider_yaml_subschema():
    path = AIRFLOW_DIR / "provider.yaml.schema.json"
    if not path.exists():
        pytest.skip("provider.yaml.schema.json ships with Airflow 3 only")
    full = json.loads(path.read_text())
    subschema = full["properties"]["connection-types"]
    subschema = {**subschema, "definitions": full.get("definitions", {})}
    info = get_provider_info()
    jsonschema.validate(info["connection-types"], subschema)
    conn = info["connection-types"][0]
    assert set(conn) >= {
        "connection-type",
        "hook-class-name",
        "hook-name",
        "ui-field-behaviour",
        "conn-fields",
    }


def test_connection_form():
    conn = get_provider_info()["connection-types"][0]
    assert conn["connection-type"] == "signalwire"
    assert conn["hook-name"] == "SignalWire"
    ui = conn["ui-field-behaviour"]
    assert ui["relabeling"] == {"host": "Space URL", "login": "Project ID", "password": "API Token"}
    assert set(ui["hidden-fields"]) == {"port", "schema"}
    assert set(ui["placeholders"]) >= {"host", "login", "password"}
    fields = conn["conn-fields"]
    assert set(fields) == {"timeout", "max_retries", "verify"}
    for spec in fields.values():
        assert spec["label"] and spec["description"] and "default" in spec["schema"]


def test_hook_class_and_modules_import():
    info = get_provider_info()
    module, _, cls = info["connection-types"][0]["hook-class-name"].rpartition(".")
    assert getattr(importlib.import_module(module), cls) is SignalWireHook
    for group in ("hooks", "operators"):
        for entry in info[group]:
            for mod in entry["python-modules"]:
                importlib.import_module(mod)


def test_package_name_matches_distribution():
    from importlib.metadata import distribution

    assert get_provider_info()["package-name"] == distribution("airflow-provider-signalwire").metadata["Name"]


def test_airflow2_form_methods_match_provider_info():
    behaviour = SignalWireHook.get_ui_field_behaviour()
    conn = get_provider_info()["connection-types"][0]
    assert behaviour["relabeling"] == conn["ui-field-behaviour"]["relabeling"]
    assert behaviour["hidden_fields"] == conn["ui-field-behaviour"]["hidden-fields"]
    assert set(behaviour["placeholders"]) >= {"host", "login", "password", "timeout", "max_retries", "verify"}
    try:
        widgets = SignalWireHook.get_connection_form_widgets()
    except ImportError:
        pytest.skip("Flask AppBuilder (Airflow 2 UI) is not installed")
    assert set(widgets) == {"timeout", "max_retries", "verify"}


def test_providers_manager_discovers_the_connection_type():
    from airflow.providers_manager import ProvidersManager

    pm = ProvidersManager()
    assert "airflow-provider-signalwire" in pm.providers
    try:  # Airflow 3.3 moved hook lookup to the task SDK
        from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

        hooks = ProvidersManagerTaskRuntime().hooks
    except ImportError:
        hooks = pm.hooks
    hook_info = hooks.get("signalwire")
    assert hook_info is not None
    assert hook_info.hook_class_name == "airflow_provider_signalwire.hooks.signalwire.SignalWireHook"
    assert hook_info.connection_id_attribute_name == "signalwire_conn_id"


@pytest.mark.parametrize(
    ("extra", "shown"),
    [
        pytest.param({"timeout": 0.5, "max_retries": 0, "verify": False}, ("0.5", "0", "false"), id="falsy"),
        pytest.param({"max_retries": 5, "verify": True}, ("", "5", "true"), id="truthy"),
        pytest.param(
            {"extra__signalwire__max_retries": 0, "extra__signalwire__verify": "false"},
            ("", "0", "false"),
            id="prefixed",
        ),
        pytest.param({}, ("", "", ""), id="empty"),
    ],
)
def test_airflow2_form_keeps_stored_falsy_extras(extra: dict, shown: tuple[str, str, str]) -> None:
    """Airflow 2 prefills extra fields only from truthy values; ours show 0/false from the Extra JSON,
    so editing and saving such a connection keeps them (and no widget default replaces them)."""
    import json

    try:
        from wtforms import Form, StringField

        widgets = SignalWireHook.get_connection_form_widgets()
    except ImportError:
        pytest.skip("Flask AppBuilder (Airflow 2 UI) is not installed")

    # As Airflow 2's ConnectionModelView builds the form: widgets under prefixed names beside "extra".
    attrs = {f"extra__signalwire__{name}": field for name, field in widgets.items()}
    form_class = type("ConnectionForm", (Form,), {"extra": StringField(), **attrs})
    form = form_class()
    assert all(getattr(form, key).data in (None, "") for key in attrs), "no widget may have a default"
    # prefill_form: truthy values are copied into the fields, then Extra holds the JSON.
    for name, value in extra.items():
        if value and not name.startswith("extra__"):
            getattr(form, f"extra__signalwire__{name}").data = value
    form.extra.data = json.dumps(extra)
    for name, expected in zip(("timeout", "max_retries", "verify"), shown, strict=True):
        html = str(getattr(form, f"extra__signalwire__{name}")())  # what the browser submits back
        assert f'value="{expected}"' in html, (name, html)


def test_airflow2_placeholders_show_the_defaults() -> None:
    placeholders = SignalWireHook.get_ui_field_behaviour()["placeholders"]
    assert placeholders["timeout"] == "30 (default)"
    assert placeholders["max_retries"] == "3 (default)"
    assert placeholders["verify"] == "true (default)"
