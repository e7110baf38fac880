"""Provider metadata read by Airflow's ProvidersManager (entry point ``apache_airflow_provider``).

Kept free of heavy imports: Airflow calls this while discovering providers.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_signalwire import __version__

CONN_TYPE = "signalwire"
# The how-to pages of the documentation site (docs/, built by ``make docs``), as official providers list
# theirs: paths under /docs/ (tests/unit/test_docs.py checks that each exists).
HOW_TO_GUIDES = [
    "/docs/connection.md",
    "/docs/hook.md",
    "/docs/video.md",
    "/docs/messaging.md",
    "/docs/voice.md",
    "/docs/faxes.md",
    "/docs/log-exports.md",
    "/docs/sensors.md",
    "/docs/event-driven.md",
    "/docs/api-tokens.md",
    "/docs/datasphere.md",
    "/docs/retention.md",
]
HOOK_NAME = "SignalWire"

# The standard fields, as Airflow 3's UI and Airflow 2's form both show them.
UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": ["port", "schema"],
    "relabeling": {"host": "Space URL", "login": "Project ID", "password": "API Token"},
    "placeholders": {
        "host": "https://example.signalwire.com",
        "login": "Project ID, e.g. 1a2b3c4d-0000-1111-2222-333344445555",
        "password": "API token (PT...), from your space's API page",
        "extra": '{"timeout": 30, "max_retries": 3, "verify": "true"}',
    },
}

# Extra fields (stored in Connection.extra). Airflow 3.3 renders these from provider info alone;
# it does not send placeholders for them, so each says what it wants in its description.
CONN_FIELDS: dict[str, Any] = {
    "timeout": {
        "label": "Timeout (seconds)",
        "description": "How long to wait for SignalWire to answer one request. Default 30.",
        "schema": {"type": ["number", "null"], "default": 30, "minimum": 1},
    },
    "max_retries": {
        "label": "Max retries",
        "description": "Retries after 429, 5xx and connection errors (with backoff). Default 3; 0 turns "
        "retries off. POST/PATCH are retried only when SignalWire certainly did not act.",
        "schema": {"type": ["integer", "null"], "default": 3, "minimum": 0},
    },
    "verify": {
        "label": "Verify TLS",
        "description": "true (default) checks the space's certificate; a path to a PEM CA bundle trusts "
        "that CA instead; false turns verification off (not recommended).",
        "schema": {"type": ["string", "null"], "default": "true"},
    },
}


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "airflow-provider-signalwire",
        "name": "SignalWire",
        "description": "`SignalWire <https://signalwire.com/>`__: video rooms, messaging, calls, fax "
        "and logs from Airflow DAGs.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "SignalWire",
                "external-doc-url": "https://developer.signalwire.com/",
                "how-to-guide": HOW_TO_GUIDES,
                "tags": ["service"],
            }
        ],
        "hooks": [
            {
                "integration-name": "SignalWire",
                "python-modules": [
                    "airflow_provider_signalwire.hooks.signalwire",
                    "airflow_provider_signalwire.hooks.connection_stores",
                ],
            }
        ],
        "operators": [
            {
                "integration-name": "SignalWire",
                "python-modules": [
                    "airflow_provider_signalwire.operators.api",
                    "airflow_provider_signalwire.operators.video",
                    "airflow_provider_signalwire.operators.video_conferences",
                    "airflow_provider_signalwire.operators.video_recordings",
                    "airflow_provider_signalwire.operators.messaging",
                    "airflow_provider_signalwire.operators.voice",
                    "airflow_provider_signalwire.operators.call_recordings",
                    "airflow_provider_signalwire.operators.message_media",
                    "airflow_provider_signalwire.operators.fax",
                    "airflow_provider_signalwire.operators.project",
                    "airflow_provider_signalwire.operators.realtime",
                    "airflow_provider_signalwire.operators.datasphere",
                    "airflow_provider_signalwire.operators.retention",
                ],
            }
        ],
        "notifications": ["airflow_provider_signalwire.notifications.signalwire.SignalWireNotifier"],
        "sensors": [
            {
                "integration-name": "SignalWire",
                "python-modules": [
                    "airflow_provider_signalwire.sensors.video",
                    "airflow_provider_signalwire.sensors.messaging",
                    "airflow_provider_signalwire.sensors.voice",
                    "airflow_provider_signalwire.sensors.fax",
                ],
            }
        ],
        "triggers": [
            {
                "integration-name": "SignalWire",
                "python-modules": [
                    "airflow_provider_signalwire.triggers.status",
                    "airflow_provider_signalwire.triggers.events",
                ],
            }
        ],
        "transfers": [
            {
                # Writes through Airflow's ObjectStoragePath (file://, s3://, gs://, ...).
                "source-integration-name": "SignalWire",
                "target-integration-name": "Common IO",
                "python-module": "airflow_provider_signalwire.transfers.logs",
                "how-to-guide": "/docs/log-exports.md",
            },
            {
                # Reads through Airflow's ObjectStoragePath (s3://, gs://, file://, ...).
                "source-integration-name": "Common IO",
                "target-integration-name": "SignalWire",
                "python-module": "airflow_provider_signalwire.transfers.datasphere",
            },
        ],
        "connection-types": [
            {
                "connection-type": CONN_TYPE,
                "hook-class-name": "airflow_provider_signalwire.hooks.signalwire.SignalWireHook",
                "hook-name": HOOK_NAME,
                "ui-field-behaviour": UI_FIELD_BEHAVIOUR,
                "conn-fields": CONN_FIELDS,
            }
        ],
    }


def dag_facing_modules() -> list[str]:
    """Every module a DAG file imports classes from: the operators, sensors, notifier and transfers
    declared above (what tests/unit/test_import_cost.py guards and benchmarks/bench_import.py times)."""
    info = get_provider_info()
    modules = [
        m for kind in ("operators", "sensors") for entry in info[kind] for m in entry["python-modules"]
    ]
    modules += [path.rsplit(".", 1)[0] for path in info["notifications"]]
    modules += [entry["python-module"] for entry in info["transfers"]]
    return list(dict.fromkeys(modules))
