"""
e2e-only DAG (not an example): deliberately logs the connection's API token from a real task process.

Only ``airflow standalone`` in tests/e2e loads it (next to dags_examples/), to prove that a token
fetched through the API server is masked as ``***`` in task logs. Airflow 3 only.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import dag, task


@dag(
    dag_id="e2e_signalwire_masking_probe",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["e2e"],
)
def e2e_signalwire_masking_probe() -> None:
    @task
    def log_the_token() -> None:
        from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

        hook = SignalWireHook()
        conn = hook.get_connection(hook.signalwire_conn_id)
        print(f"E2E-PROBE print token={conn.password}")
        hook.log.info("E2E-PROBE logger token=%s", conn.password)
        ok, message = hook.test_connection()
        print(f"E2E-PROBE test_connection ok={ok} message={message}")
        if not ok:
            raise RuntimeError(message)

    log_the_token()


e2e_signalwire_masking_probe()
