"""DAG files are parsed constantly: importing every DAG-facing module of ours loads nothing beyond what
Airflow's own base classes load, except the modules allowed below (benchmarks/bench_import.py times it)."""

from __future__ import annotations

import json
import subprocess
import sys

DAG_FACING = [
    "airflow_provider_signalwire.operators.api",
    "airflow_provider_signalwire.operators.video",
    "airflow_provider_signalwire.operators.messaging",
    "airflow_provider_signalwire.operators.voice",
    "airflow_provider_signalwire.sensors.video",
    "airflow_provider_signalwire.sensors.messaging",
    "airflow_provider_signalwire.sensors.voice",
    "airflow_provider_signalwire.notifications.signalwire",
    "airflow_provider_signalwire.transfers.logs",
]

# Ours that a DAG file may load: not the hooks (HTTP clients), triggers, or the fake space.
OURS_ALLOWED_PREFIXES = (
    "airflow_provider_signalwire.operators",
    "airflow_provider_signalwire.sensors",
    "airflow_provider_signalwire.notifications",
    "airflow_provider_signalwire.transfers",
    "airflow_provider_signalwire.protocol.",  # the pure rules' modules (no HTTP client)
)
OURS_ALLOWED = {
    "airflow_provider_signalwire",
    "airflow_provider_signalwire.exceptions",
    "airflow_provider_signalwire.protocol",
    "airflow_provider_signalwire.statuses",
    "airflow_provider_signalwire.storage",
}
# Not ours: the compatibility layer our imports go through, and the SDK base classes it loads lazily.
OTHERS_ALLOWED_PREFIXES = ("airflow.providers.common.compat",)
OTHERS_ALLOWED = {"airflow.providers.common", "airflow.sdk.bases.sensor", "airflow.sdk.bases.notifier"}

# Baseline: `import airflow.sdk` on Airflow 3; Airflow 2 has no SDK, so there its own base classes.
_CHILD = """
import json, sys
try:
    import airflow.sdk
except ImportError:
    import airflow.models.baseoperator, airflow.sensors.base, airflow.notifications.basenotifier
before = set(sys.modules)
for name in {modules!r}:
    __import__(name)
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def added_modules(modules: list[str]) -> list[str]:
    code = _CHILD.format(modules=modules)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def not_allowed(added: list[str]) -> list[str]:
    return [
        m
        for m in added
        if m not in OURS_ALLOWED
        and not m.startswith(OURS_ALLOWED_PREFIXES)
        and m not in OTHERS_ALLOWED
        and not m.startswith(OTHERS_ALLOWED_PREFIXES)
    ]


def test_dag_facing_modules_add_only_allowed_modules():
    added = added_modules(DAG_FACING)
    assert "airflow_provider_signalwire.protocol" in added  # the check sees our own imports
    assert not_allowed(added) == []


def test_the_check_catches_a_stray_import():
    # What a stray top-level `import aiohttp` (or a hook import) in an operator module would add.
    stray = added_modules(
        [*DAG_FACING[:1], "airflow_provider_signalwire.hooks.signalwire", "xml.dom.minidom"],
    )
    flagged = not_allowed(stray)
    assert "airflow_provider_signalwire.hooks.signalwire" in flagged
    assert "xml.dom.minidom" in flagged


def test_phonenumbers_loads_only_when_a_number_is_checked():
    # Importing every DAG-facing module (operators, notifier) leaves libphonenumber's data unloaded ...
    assert not [m for m in added_modules(DAG_FACING) if m.split(".")[0] == "phonenumbers"]
    # ... and the first number checked loads it (so the line above can see it when it is imported).
    code = (
        "import sys\n"
        "from airflow_provider_signalwire.operators.messaging import e164\n"
        "before = 'phonenumbers' in sys.modules\n"
        "e164('+12025550123', 'to')\n"
        "print(before, 'phonenumbers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1].split() == ["False", "True"]
