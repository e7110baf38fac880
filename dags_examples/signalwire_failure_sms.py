"""
A pipeline whose failure texts the on-call number: ``SignalWireNotifier`` as ``on_failure_callback``.

``load_orders`` fails on purpose (param ``fail``, default true) so the callback can be seen working:
the run ends ``failed`` and the on-call number gets an SMS saying which task failed, in which run and
try, the error, and the link to its log. If the SMS cannot be sent the callback logs why; the task's
own failure is what the run shows either way. Trigger with ``{"fail": false}`` to see a clean run.

Runs unchanged on a real space (set the ``signalwire_default`` connection and trigger the DAG with
your numbers: ``{"on_call": "+1...", "from_number": "+1..."}``, the sender being one of your space's
numbers) and on the offline fake space, which records the SMS.
"""

# [START howto_signalwire_failure_sms]

from __future__ import annotations

from datetime import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_signalwire.notifications.signalwire import send_signalwire_notification

try:  # Airflow 3
    from airflow.providers.standard.operators.python import PythonOperator
except ImportError:  # Airflow 2.11 without the standard provider
    from airflow.operators.python import PythonOperator  # type: ignore[no-redef]


def load_orders(params: dict) -> int:
    if params["fail"]:
        raise ValueError(
            "orders feed is empty: 0 rows (this example fails on purpose; trigger with fail=false)"
        )
    return 42


with DAG(
    dag_id="signalwire_failure_sms",
    description="A failing task texts the on-call number (SignalWireNotifier).",
    start_date=datetime(2026, 1, 1),
    schedule=None,
    catchup=False,
    params={"on_call": "+12025550100", "from_number": "+12025550150", "fail": True},
    default_args={
        "retries": 0,
        "on_failure_callback": send_signalwire_notification(
            to="{{ params.on_call }}",
            from_="{{ params.from_number }}",
            max_segments=2,
        ),
    },
    # e2e: this DAG's run is expected to fail (tests/e2e check that the SMS was sent instead).
    tags=["signalwire", "example", "fails-on-purpose"],
):
    PythonOperator(
        task_id="load_orders",
        python_callable=load_orders,
    )
# [END howto_signalwire_failure_sms]
