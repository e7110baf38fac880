"""Load step (opt-in, ``DIST_LOAD=1``; DIST_LOAD_N sets the size, default 200): one DAG run of N mapped
recording downloads to S3, spread over both workers. Every task succeeds on its first try, each recording
is fetched exactly once from the media host, both workers take part, and no worker log warns about a
full connection pool. TLS connections are counted from the fake's request log (a client address is one
connection): each task process opens at most one to the API host and one to the media host, so a
worker's connections grow with the tasks it ran, never with retries or pages; printed per worker."""

from __future__ import annotations

import os
from collections import Counter

import deploy
import pytest
from dist_support import Airflow, Fake, figure, timed, tls_connections

N = int(os.environ.get("DIST_LOAD_N", "200"))

pytestmark = pytest.mark.skipif(os.environ.get("DIST_LOAD") != "1", reason="load step: set DIST_LOAD=1")


def test_mapped_downloads_spread_over_both_workers(airflow: Airflow, fake: Fake) -> None:
    # The recordings are dated in the past, but keep the watcher DAG from running on them anyway.
    airflow.api("PATCH", "/dags/signalwire_new_recordings", json={"is_paused": True}, ok=(200, 404))
    ids = fake.post("/recordings", n=N)
    assert len(ids) == N
    offsets = {
        w: len((deploy.BUILD / "logs" / f"{w}.log").read_text(errors="replace")) for w in deploy.WORKERS
    }
    media_before = len(fake.get("/media_requests"))
    api_before = fake.count()
    with timed(f"load: {N} mapped downloads to S3"):
        run_id = airflow.trigger("dist_load", {"recording_ids": ids})
        run = airflow.wait_run("dist_load", run_id, 60 + 6 * N)
    tis = [t for t in airflow.tis("dist_load", run_id) if t["task_id"] == "download"]
    states = Counter(t["state"] for t in tis)
    hosts = Counter(t["hostname"] for t in tis)
    figure(f"load: {dict(states)}; tasks per worker: {dict(hosts)}")
    assert run["state"] == "success", states
    assert len(tis) == N and all(t["try_number"] == 1 for t in tis), Counter(t["try_number"] for t in tis)
    assert set(hosts) == set(deploy.WORKERS), hosts
    fetched = Counter(r["path"] for r in fake.get("/media_requests")[media_before:] if r["method"] == "GET")
    assert len(fetched) == N and set(fetched.values()) == {1}, fetched.most_common(3)
    for worker, offset in offsets.items():
        text = (deploy.BUILD / "logs" / f"{worker}.log").read_text(errors="replace")[offset:]
        assert "Connection pool is full" not in text, worker
    # TLS connections per task process (Airflow 3 runs each task in a process of its own), per worker.
    api = fake.requests(api_before)
    media_log = fake.get("/media_requests")[media_before:]
    per_worker = tls_connections(tis, ids, api, media_log)
    per_task = {w: round(per_worker[w] / hosts[w], 2) for w in per_worker}
    figure(f"load: TLS connections per worker (API + media host): {dict(per_worker)}, per task {per_task}")
