"""
Rotate a SignalWire connection's API token every week, without downtime.

``rotate_token`` creates a token with the same permissions, verifies it, writes it into the connection
through Airflow's REST API, waits ``grace_seconds`` (deferred: no worker slot) so tasks holding the old
token finish, then deletes the old token; ``use_rotated_connection`` then calls SignalWire with the
connection as it is now. A failure at any step leaves the connection working and no token behind.

Set up once:

- the connection to rotate (param ``conn_id``, default ``signalwire_default``) kept in Airflow's
  database, with the extras ``credential_id`` (the id of the token in its password, from the dashboard's
  API page) and ``permissions`` (e.g. ``["video", "management"]``); its token needs ``management``;
- an ``airflow_api`` connection: the API server's URL as host (``http://127.0.0.1:8080``) and a user
  allowed to edit connections (Airflow 3: a user of the auth manager, whose JWT comes from
  ``/auth/token``; Airflow 2.11: a FAB user, with basic auth enabled for the API).

Without an ``airflow_api`` connection there is nowhere to write a new token (``airflow dags test`` reads
the connection from an ``AIRFLOW_CONN_*`` variable no task can change): the run then only checks that
the token has what this DAG needs, and skips the rotation. ``python -m airflow_provider_signalwire
permissions`` on this file lists what its tasks need.
"""

# [START howto_signalwire_rotate_token]

from __future__ import annotations

from datetime import datetime

from airflow.providers.common.compat.sdk import DAG, Param, task

from airflow_provider_signalwire.hooks.connection_stores import AirflowRESTConnectionStore
from airflow_provider_signalwire.operators.project import (
    CheckSignalWirePermissionsOperator,
    RotateSignalWireTokenOperator,
)

CONN_ID = "{{ params.conn_id }}"

with DAG(
    dag_id="signalwire_rotate_token",
    description="Rotate a SignalWire connection's API token weekly, with a grace period.",
    start_date=datetime(2026, 1, 1),
    schedule="@weekly",
    catchup=False,
    max_active_runs=1,
    params={
        "conn_id": Param("signalwire_default", type="string", description="The connection to rotate."),
        "grace_seconds": Param(
            600, type="integer", minimum=0, description="How long the old token works on."
        ),
    },
    tags=["signalwire", "example"],
):
    # Fails at once, naming what the token lacks, rather than on a 401 halfway through.
    check_token = CheckSignalWirePermissionsOperator(task_id="check_token", signalwire_conn_id=CONN_ID)

    @task.short_circuit
    def store_configured() -> bool:
        """Only rotate when the new token can be written (an ``airflow_api`` connection exists)."""
        from airflow.providers.common.compat.sdk import BaseHook

        try:
            BaseHook.get_connection("airflow_api")
        except Exception:
            print("No airflow_api connection: nowhere to store a new token, so no rotation this run.")
            return False
        return True

    rotate_token = RotateSignalWireTokenOperator(
        task_id="rotate_token",
        signalwire_conn_id=CONN_ID,
        store=AirflowRESTConnectionStore(airflow_conn_id="airflow_api"),
        grace_period="{{ params.grace_seconds }}",
    )

    @task
    def use_rotated_connection(params: dict | None = None) -> int:
        """A downstream task: the connection as it is now (holding the new token) still works."""
        from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

        hook = SignalWireHook(signalwire_conn_id=(params or {})["conn_id"])
        rooms = list(hook.paginate("/api/video/rooms", page_size=10, max_items=10))
        print(f"The rotated connection works: {len(rooms)} rooms listed.")
        return len(rooms)

    check_token >> store_configured() >> rotate_token >> use_rotated_connection()
# [END howto_signalwire_rotate_token]
