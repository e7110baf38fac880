"""Benchmark row 13: distributed throughput. ``make bench-distributed`` (``DIST_BENCH=1``) runs it at
its size; ``make e2e-distributed`` (CI) runs it tiny (6 downloads), which proves it still runs and
means nothing as a figure.

One DAG run of N mapped recording downloads to S3 (``DIST_BENCH_N``, default 200, tiny 6) with both Celery
workers, then the same N with worker-2 stopped (worker-1 alone), then worker-2 started again. Each run
must succeed on the first try of every task and fetch each recording once. Figures, per run: wall time
from the trigger to the run's end, the span from the first task's start to the last task's end, tasks
and TLS connections per worker (from the fake's request log), how busy the machine's CPUs were
(``/proc/stat``) and the CPU seconds each component spent (workers with their task processes, API
server, scheduler, PostgreSQL, the fake space ...): what limits the ratio on a small machine. The
ratio is one worker's span over two workers' (goal: at least 1.7x). Written to
``build/distributed/throughput.json`` (tiny: ``throughput-tiny.json``); RESULTS.md row 13 discusses
it. Not a test of speed: nothing here fails on a slow figure."""

from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter
from datetime import datetime
from typing import Any

import deploy
from dist_support import (
    Airflow,
    Fake,
    cpu_seconds_by_component,
    figure,
    restart_component,
    timed,
    tls_connections,
)

BENCH = os.environ.get("DIST_BENCH") == "1"
N = int(os.environ.get("DIST_BENCH_N") or (200 if BENCH else 6))
RESULT = deploy.BUILD / ("throughput.json" if BENCH else "throughput-tiny.json")


def cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot."""
    with open("/proc/stat") as f:
        fields = [float(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _when(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def downloads(airflow: Airflow, fake: Fake, label: str) -> dict[str, Any]:
    ids = fake.post("/recordings", n=N)
    api_before, media_before = fake.count(), len(fake.get("/media_requests"))
    busy0, total0 = cpu_times()
    cpu0 = cpu_seconds_by_component()
    started = time.monotonic()
    with timed(f"throughput: {N} mapped downloads, {label}"):
        run_id = airflow.trigger("dist_load", {"recording_ids": ids})
        run = airflow.wait_run("dist_load", run_id, 60 + 10 * N)
    wall = time.monotonic() - started
    busy1, total1 = cpu_times()
    cpu1 = cpu_seconds_by_component()
    by_component = {k: round(v - cpu0.get(k, 0.0), 1) for k, v in cpu1.items() if k in cpu0}
    tis = [t for t in airflow.tis("dist_load", run_id) if t["task_id"] == "download"]
    assert run["state"] == "success", Counter(t["state"] for t in tis)
    assert len(tis) == N and all(t["try_number"] == 1 for t in tis), Counter(t["try_number"] for t in tis)
    media = fake.get("/media_requests")[media_before:]
    fetched = Counter(r["path"] for r in media if r["method"] == "GET")
    assert len(fetched) == N and set(fetched.values()) == {1}, fetched.most_common(3)
    hosts = Counter(t["hostname"] for t in tis)
    connections = tls_connections(tis, ids, fake.requests(api_before), media)
    span = max(_when(t["end_date"]) for t in tis) - min(_when(t["start_date"]) for t in tis)
    result = {
        "workers": len(hosts),
        "tasks_per_worker": dict(hosts),
        "wall_s": round(wall, 1),
        "span_s": round(span, 1),
        "tasks_per_s": round(N / span, 2),
        "tls_connections_per_worker": dict(connections),
        "cpu_busy": round((busy1 - busy0) / max(total1 - total0, 1), 3),
        "cpu_s_per_task": round(sum(by_component.values()) / N, 2),
        "cpu_s_by_component": dict(sorted(by_component.items(), key=lambda kv: -kv[1])),
        "cpus": os.cpu_count(),
    }
    figure(f"throughput, {label}: {result}")
    return result


def test_two_workers_against_one(airflow: Airflow, fake: Fake) -> None:
    airflow.api("PATCH", "/dags/signalwire_new_recordings", json={"is_paused": True}, ok=(200, 404))
    two = downloads(airflow, fake, "two workers")
    assert set(two["tasks_per_worker"]) == set(deploy.WORKERS), two
    deploy.kill("worker-2", signal.SIGTERM)  # a warm shutdown: it finishes nothing, it has nothing
    try:
        one = downloads(airflow, fake, "worker-1 alone")
        assert set(one["tasks_per_worker"]) == {"worker-1"}, one
    finally:
        restart_component("worker-2")
    ratio = one["span_s"] / two["span_s"]
    figure(f"throughput: two workers {ratio:.2f}x one (task spans; goal at least 1.7x)")
    RESULT.write_text(json.dumps({"n": N, "two": two, "one": one, "ratio": round(ratio, 2)}, indent=1))
