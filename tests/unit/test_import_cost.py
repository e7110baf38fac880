"""The one import-cost test. DAG files are parsed constantly: importing every DAG-facing module of ours
loads nothing beyond what Airflow's own base classes load, except the modules allowed below
(benchmarks/bench_import.py times it). Triggers (imported by sensors when they defer, and by the
triggerer) and the fake space load no HTTP client, aiohttp, object storage or web server either."""

from __future__ import annotations

import json
import subprocess
import sys

from airflow_provider_signalwire.get_provider_info import dag_facing_modules

DAG_FACING = dag_facing_modules()

# Ours that a DAG file may load: anything but the hooks (HTTP clients), triggers, or the fake space (a
# deny-list, so the package's internal modules can move; third-party modules are allow-listed below).
OURS = "airflow_provider_signalwire"
OURS_FORBIDDEN_PREFIXES = (
    "airflow_provider_signalwire.hooks",
    "airflow_provider_signalwire.triggers",
    "airflow_provider_signalwire.testing",
)
# Not ours: the compatibility layer our imports go through, and the SDK base classes it loads lazily.
OTHERS_ALLOWED_PREFIXES = ("airflow.providers.common.compat",)
OTHERS_ALLOWED = {"airflow.providers.common", "airflow.sdk.bases.sensor", "airflow.sdk.bases.notifier"}

# Baseline: `import airflow.sdk` on Airflow 3; Airflow 2 has no SDK, so there its own base classes.
_BASELINE = """
try:
    import airflow.sdk
except ImportError:
    import airflow.models.baseoperator, airflow.sensors.base, airflow.notifications.basenotifier
"""
_CHILD = """
import json, sys
{baseline}
before = set(sys.modules)
for name in {modules!r}:
    __import__(name)
print(json.dumps(sorted(set(sys.modules) - before)))
"""

# Never at import time: HTTP clients, object storage, the fake space's server, our hooks.
HEAVY = (
    "aiohttp",
    "requests",
    "fsspec",
    "upath",
    "fastapi",
    "uvicorn",
    "starlette",
    "trustme",
    "airflow_provider_signalwire.hooks.signalwire",
    "airflow_provider_signalwire.hooks.signalwire_async",
    "airflow.sdk.io.path",
    "airflow.io.path",
)
TRIGGERS = [
    "airflow_provider_signalwire.triggers.status",
    "airflow_provider_signalwire.triggers.events",
]
FAKE_SPACE = ["airflow_provider_signalwire.testing", "airflow_provider_signalwire.testing.pytest_plugin"]


def added_modules(modules: list[str], baseline: bool = True) -> list[str]:
    """What importing ``modules`` adds to ``sys.modules`` in a fresh interpreter (after Airflow's base
    classes, or from nothing with ``baseline=False``)."""
    code = _CHILD.format(baseline=_BASELINE if baseline else "", modules=modules)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def not_allowed(added: list[str]) -> list[str]:
    return [
        m
        for m in added
        if (not (m == OURS or m.startswith(OURS + ".")) or m.startswith(OURS_FORBIDDEN_PREFIXES))
        and m not in OTHERS_ALLOWED
        and not m.startswith(OTHERS_ALLOWED_PREFIXES)
    ]


def test_dag_facing_modules_add_only_allowed_modules():
    added = added_modules(DAG_FACING)
    assert "airflow_provider_signalwire.protocol" in added  # the check sees our own imports
    assert not_allowed(added) == []


def heavy(added: list[str]) -> list[str]:
    return [m for m in added if m in HEAVY]


def test_dag_facing_modules_and_triggers_load_nothing_heavy():
    # Also against the allow-list above; this names the modules that matter most, and covers triggers.
    assert heavy(added_modules(DAG_FACING)) == []
    assert heavy(added_modules(TRIGGERS)) == []


def test_the_fake_space_starts_its_server_only_when_used():
    assert heavy(added_modules(FAKE_SPACE, baseline=False)) == []


def test_the_check_catches_a_stray_import():
    # What a stray top-level `import aiohttp` (or a hook import) in an operator module would add.
    stray = added_modules(
        [*DAG_FACING[:1], "airflow_provider_signalwire.hooks.signalwire", "xml.dom.minidom"],
    )
    flagged = not_allowed(stray)
    assert "airflow_provider_signalwire.hooks.signalwire" in flagged
    assert "xml.dom.minidom" in flagged
    assert "airflow_provider_signalwire.hooks.signalwire" in heavy(stray)


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


# What a DAG file's parse builds that only a running task needs (benchmarks/RESULTS.md, row 1): a frozen
# dataclass costs ~1 ms to create, a NamedTuple ~0.2-0.45 ms, a compiled pattern ~0.3 ms. Tables loaded at
# parse time are lazy.Record (a NamedTuple's behaviour for ~15 µs) or plain classes, patterns are
# LazyPattern; the connection settings (SpaceSettings), URL and error rules, the retry and paging drivers
# and the export loop load with the hook or the task.
_BUILT = """
import dataclasses, json, re, sys
{baseline}
for name in {modules!r}:
    __import__(name)
dataclass_types, patterns, named_tuples = [], [], []
for name, module in list(sys.modules.items()):
    if not name.startswith("airflow_provider_signalwire"):
        continue
    for key, value in vars(module).items():
        if isinstance(value, re.Pattern):
            patterns.append(name + "." + key)
        if (isinstance(value, type) and value.__module__ == name and "__dataclass_fields__" in vars(value)
                and not hasattr(value, "template_fields")):
            dataclass_types.append(name + "." + key)
        if isinstance(value, type) and value.__module__ == name and "_field_defaults" in vars(value):
            named_tuples.append(name + "." + key)
print(json.dumps([sorted(set(dataclass_types + named_tuples)), sorted(set(patterns))]))
"""
RUNTIME_ONLY = (
    "airflow_provider_signalwire.protocol.retry",
    "airflow_provider_signalwire.protocol.paging",
    "airflow_provider_signalwire.protocol.settings",
    "airflow_provider_signalwire.protocol.urls",
    "airflow_provider_signalwire.protocol.errors",
    "airflow_provider_signalwire.transfers.export",
)


def built_at_import(modules: list[str]) -> tuple[list[str], list[str]]:
    code = _BUILT.format(baseline=_BASELINE, modules=modules)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    dataclass_types, patterns = json.loads(out.strip().splitlines()[-1])
    return dataclass_types, patterns


def test_parsing_a_dag_builds_no_dataclass_or_pattern_a_task_needs_only_when_it_runs():
    dataclass_types, patterns = built_at_import(DAG_FACING)
    assert dataclass_types == []
    assert patterns == []
    assert [m for m in added_modules(DAG_FACING) if m in RUNTIME_ONLY] == []


def test_the_built_check_sees_dataclasses_named_tuples_and_patterns():
    # The hook builds RetryPolicy's rules and the paging driver's NamedTuples; the fake space compiles its
    # patterns: the check must see all three.
    dataclass_types, _ = built_at_import(["airflow_provider_signalwire.hooks.signalwire"])
    assert "airflow_provider_signalwire.protocol.retry.RateLimitRule" in dataclass_types
    assert "airflow_provider_signalwire.protocol.paging.Page" in dataclass_types
    assert set(RUNTIME_ONLY[:2]) <= set(added_modules(["airflow_provider_signalwire.hooks.signalwire"]))
    _, patterns = built_at_import(["airflow_provider_signalwire.testing.util"])
    assert "airflow_provider_signalwire.testing.util.ROOM_NAME" in patterns
