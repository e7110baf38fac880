"""Connection arguments for the e2e Airflow processes' SQLite metadata database.

``[database] sql_alchemy_connect_args`` (and ``..._async``) name ``CONNECT_ARGS`` here; this folder is on
the PYTHONPATH of every Airflow process the e2e tests start (``e2e_support.airflow_env``).

``timeout``: how long a write waits for another process's write transaction before SQLite says
"database is locked" (Python's default is 5 s). On the 2-core CI machine the standalone scheduler, DAG
processor, API server and triggerer all write to one file, and a scheduler whose INSERT waited 5 s died
and left every later run queued (seen in a local run, 2026-12-04: the lock was held past 5 s while the
example DAGs were unpaused and triggered together). The file is in WAL mode (``make_airflow_home``), so
readers never wait; only writers wait, and longer.
"""

from __future__ import annotations

CONNECT_ARGS = {"timeout": 60}
