"""Rows 4, 8 and 10: the voice-log export (``SignalWireLogsToStorageOperator``) against what users
write today.

Both rows use :class:`benchmarks.server.LogServer`: ``/api/voice/logs`` over loopback TLS in its own
process, records generated in one UTC day, newest first, ``created_after`` / ``created_before`` honoured,
``links.next`` with a ``page_token``.  Every output file is checked byte for byte (sha256) against the
JSONL the generated records must give, so each variant provably wrote the same records.

Row 4 (memory): one fresh interpreter per variant and size exports the day to a local JSONL file:
ours (the operator, ``page_size=1000``) against ``HttpOperator`` with a ``pagination_function`` that
follows ``links.next``'s ``page_token`` and a ``response_filter`` that collects every page's records (what
users do today: HttpOperator keeps every response), the list then written to the same JSONL.  Peak RSS
is ``VmHWM`` at the end (the high-water mark of the process's own memory); the baseline is the RSS after
the variant's imports, before the operator is built.  Goal: ours grows under 30 MB of peak RSS from
10,000 to 200,000 records.

Row 10 (time): the same runs' seconds at 200,000 records, ours against HttpOperator (goal at most 1.0x),
with the operator at ``parallel_windows=8`` beside it (the same 200,000 records, no added latency).

Row 8 (latency hiding): 1,000 pages of 100 records (100,000 records, timestamps evenly spread over the
day), 50 ms waited by the server before each answer; the operator with ``parallel_windows=8`` against
itself with ``parallel_windows=1``.  Goal: at least 5x faster, identical bytes.  A second line runs the
same with bursty data (90% of the records in 2 of the 24 hours), which shows whether the windows follow
the records; its baseline is the uniform sequential time: a sequential export pays one wait per page
whatever the distribution, and its bytes are checked against the expected file.
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DAY_START = datetime(2026, 11, 26, tzinfo=timezone.utc)
START = int(DAY_START.timestamp())
END = START + 86400
CREATED_AFTER, CREATED_BEFORE = "2026-11-26T00:00:00Z", "2026-11-27T00:00:00Z"
OURS, HTTP = "SignalWireLogsToStorageOperator", "HttpOperator + pagination_function"
OURS8 = "SignalWireLogsToStorageOperator, parallel_windows=8"  # row 10's line, at the largest size only
MB = 1024 * 1024


def _sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(MB):
            digest.update(chunk)
    return digest.hexdigest()


def _expected_sha256(records: int, distribution: str = "uniform") -> str:
    """sha256 of the JSONL the day's generated records must give (newest first), built a record at a time."""
    from benchmarks.server import log_record, log_timestamps

    timestamps = log_timestamps(records, START, END, distribution)
    digest = hashlib.sha256()
    for index in range(len(timestamps) - 1, -1, -1):
        digest.update(log_record(index, timestamps[index]) + b"\n")
    return digest.hexdigest()


def _connections(server: Any) -> dict[str, str]:
    from benchmarks.server import http_conn, signalwire_conn

    return {
        "AIRFLOW_CONN_SIGNALWIRE_BENCH": signalwire_conn(server),
        "AIRFLOW_CONN_HTTP_BENCH": http_conn(server),
    }


def _outside_task_runner() -> None:
    """Let ``execute()`` run without Airflow's task runner (else Airflow 3 warns on every call)."""
    try:
        from airflow.sdk.bases.operator import ExecutorSafeguard
    except ImportError:  # Airflow 2
        return
    ExecutorSafeguard.test_mode = True


# --------------------------------------------------------------------------- row 4: one export per process


def _child(variant: str, page_size: int, out: str) -> dict[str, Any]:
    """Export the day in this fresh interpreter; what a worker's task process would hold."""
    import logging

    logging.disable(logging.INFO)
    if variant in (OURS, OURS8):
        from airflow_provider_signalwire.transfers.logs import SignalWireLogsToStorageOperator
    else:
        from urllib.parse import parse_qs, urlsplit

        from airflow.providers.http.operators.http import HttpOperator
    _outside_task_runner()
    try:
        import psutil

        baseline = psutil.Process().memory_info().rss / MB
    except ImportError:
        baseline = _peak_rss_mb()
    started = time.perf_counter()
    if variant in (OURS, OURS8):
        SignalWireLogsToStorageOperator(
            task_id="export",
            log_type="voice",
            destination=out,
            created_after=CREATED_AFTER,
            created_before=CREATED_BEFORE,
            page_size=page_size,
            parallel_windows=8 if variant == OURS8 else 1,
            signalwire_conn_id="signalwire_bench",
        ).execute({})
    else:

        def next_page(response: Any) -> dict[str, Any] | None:
            link = response.json()["links"].get("next")
            if not link:
                return None
            return {"data": {"page_token": parse_qs(urlsplit(link).query)["page_token"][0]}}

        records = HttpOperator(
            task_id="export",
            http_conn_id="http_bench",
            method="GET",
            endpoint="/api/voice/logs",
            data={"created_after": CREATED_AFTER, "created_before": CREATED_BEFORE, "page_size": page_size},
            extra_options={"verify": os.environ["BENCH_CA_BUNDLE"]},
            pagination_function=next_page,
            response_filter=lambda responses: [item for r in responses for item in r.json()["data"]],
        ).execute({})
        with open(out, "wb") as f:
            for record in records:
                line = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
                f.write((line + "\n").encode("utf-8"))
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "baseline_rss_mb": baseline,
        "peak_rss_mb": _peak_rss_mb(),
        "sha256": _sha256(out),
    }


def _peak_rss_mb() -> float:
    """This process's peak RSS.  Linux: ``VmHWM``, the high-water mark of this program's own memory.
    ``ru_maxrss`` would do only for a forked child: a process started by vfork/posix_spawn (as
    ``subprocess`` does) inherits the *parent's* peak in ``ru_maxrss`` at ``execve``."""
    import resource

    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (MB if sys.platform == "darwin" else 1024)


def _run_child(variant: str, page_size: int, out: str, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_export", "--child", variant, str(page_size), out],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"{variant} export failed:\n{done.stderr[-3000:]}")
    os.unlink(out)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _row4(
    server: Any, sizes: tuple[int, ...], page_size: int, repeats: int, together: bool = False
) -> list[dict[str, Any]]:
    """``together``: run both variants' processes at once (tiny runs: proves they run, in half the time)."""
    from concurrent.futures import ThreadPoolExecutor

    env = {**os.environ, **_connections(server), "BENCH_CA_BUNDLE": server.ca_bundle}
    env.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    measured: dict[str, dict[int, list[dict[str, Any]]]] = {OURS: {}, HTTP: {}, OURS8: {}}
    with tempfile.TemporaryDirectory(prefix="bench-export-") as folder, ThreadPoolExecutor(2) as pool:
        for size in sizes:
            server.configure(size, START, END)
            expected = _expected_sha256(size)
            for _ in range(repeats):  # interleaved: machine noise hits both alike
                runs = {
                    variant: pool.submit(_run_child, variant, page_size, f"{folder}/{k}-{size}.jsonl", env)
                    for k, variant in enumerate(measured)
                    if together and (variant != OURS8 or size == sizes[-1])
                }
                for k, variant in enumerate(measured):
                    if variant == OURS8 and size != sizes[-1]:
                        continue
                    if variant in runs:
                        result = runs[variant].result()
                    else:
                        result = _run_child(variant, page_size, f"{folder}/{k}-{size}.jsonl", env)
                    assert result["sha256"] == expected, (variant, size, "not the generated records")
                    measured[variant].setdefault(size, []).append(result)

    def median(variant: str, size: int, key: str) -> float:
        return statistics.median(r[key] for r in measured[variant][size])

    small, large = sizes[0], sizes[-1]
    base = median(HTTP, large, "seconds")
    rows = []
    for variant in (OURS, HTTP):
        low, high = median(variant, small, "peak_rss_mb"), median(variant, large, "peak_rss_mb")
        imported = median(variant, small, "baseline_rss_mb")
        goal = " (goal: under 30 MB)" if variant == OURS else ""
        rows.append(
            {
                "row": 4,
                "title": "log export, memory",
                "what": f"{variant}, {large:,} records",
                "seconds": median(variant, large, "seconds"),
                "ratio": median(variant, large, "seconds") / base,
                "note": (
                    f"peak RSS {low:.0f} MB at {small:,} -> {high:.0f} MB at {large:,} records: "
                    f"grows {high - low:+.0f} MB{goal}; {imported:.0f} MB after importing it; "
                    "same bytes as generated"
                ),
                "points": [
                    {
                        "series": variant,
                        "size": size,
                        "unit": "records",
                        "seconds": median(variant, size, "seconds"),
                        "peak_rss_mb": median(variant, size, "peak_rss_mb"),
                        "baseline_rss_mb": median(variant, size, "baseline_rss_mb"),
                    }
                    for size in sizes
                ],
            }
        )
    # Row 10: export time at the largest size, from the same runs, with the 8-window export beside it.
    for variant in (HTTP, OURS, OURS8):
        seconds = median(variant, large, "seconds")
        times = ", ".join(f"{r['seconds']:.2f}" for r in measured[variant][large])
        if variant == OURS8:
            memory = f"peak RSS {median(variant, large, 'peak_rss_mb'):.0f} MB"
        else:
            low, high = median(variant, small, "peak_rss_mb"), median(variant, large, "peak_rss_mb")
            memory = f"peak RSS {low:.0f} MB at {small:,} -> {high:.0f} MB at {large:,} records"
        goal = " (goal: at most 1.0x, memory flat)" if variant == OURS else ""
        rows.append(
            {
                "row": 10,
                "what": f"{variant}, {large:,} records",
                "seconds": seconds,
                "ratio": seconds / base,
                "note": f"median of {len(measured[variant][large])} ({times}) s; {memory}; same bytes{goal}",
            }
        )
    return rows


# --------------------------------------------------------------------------- row 8: concurrent windows


def _export(folder: str, windows: int, page_size: int) -> tuple[float, float, str]:
    """One in-process export of the day: (wall seconds, client CPU seconds, sha256 of the file)."""
    from airflow_provider_signalwire.transfers.logs import SignalWireLogsToStorageOperator

    out = f"{folder}/w{windows}.jsonl"
    op = SignalWireLogsToStorageOperator(
        task_id="export",
        log_type="voice",
        destination=out,
        created_after=CREATED_AFTER,
        created_before=CREATED_BEFORE,
        page_size=page_size,
        parallel_windows=windows,
        signalwire_conn_id="signalwire_bench",
    )
    cpu, started = time.process_time(), time.perf_counter()
    op.execute({})
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    sha = _sha256(out)
    os.unlink(out)
    return seconds, cpu, sha


def _once(server: Any, folder: str, windows: int, page_size: int) -> dict[str, Any]:
    server.reset_counts()
    seconds, cpu, sha = _export(folder, windows, page_size)
    return {
        "seconds": seconds,
        "cpu": cpu,
        "sha256": sha,
        "requests": server.requests,
        "connections": server.connections,
        "in_flight": server.max_in_flight,
    }


def _row8(
    server: Any, pages: int, page_size: int, latency: float, repeats: int, sequential_repeats: int, tiny: bool
) -> list[dict[str, Any]]:
    os.environ.update(_connections(server))
    from airflow_provider_signalwire.transfers.logs import SignalWireLogsToStorageOperator  # noqa: F401

    _outside_task_runner()
    records = pages * page_size
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-export-") as folder:
        # Warm-up, not timed: the first export in a process imports fsspec, the window pool and more.
        server.configure(500, START, END, "uniform", 0.0)
        _once(server, folder, 8, 50)
        _once(server, folder, 1, 50)
        server.configure(records, START, END, "uniform", latency)
        expected = _expected_sha256(records)
        # Alternate the two so noise hits both; the sequential export is ~pages x latency each time.
        par_runs, seq_runs = [], []
        for k in range(max(repeats, sequential_repeats)):
            if k < repeats:
                par_runs.append(_once(server, folder, 8, page_size))
            if k < sequential_repeats:
                seq_runs.append(_once(server, folder, 1, page_size))
        par, seq = _merge(par_runs), _merge(seq_runs)

        server.configure(records, START, END, "bursty", latency)
        bursty_expected = _expected_sha256(records, "bursty")
        bursty = _merge([_once(server, folder, 8, page_size) for _ in range(repeats)])
        # Tiny runs are cheap enough to check the bursty sequential export too.
        bursty_seq = _once(server, folder, 1, page_size) if tiny else None

    def counts(m: dict[str, Any]) -> str:
        return (
            f"{m['requests']} requests on {m['connections']} connection(s), at most {m['in_flight']} "
            f"in flight at the server; client CPU {m['cpu']:.1f} s"
        )

    same = par["sha256"] == seq["sha256"] == expected
    rows.append(
        {
            "row": 8,
            "what": "export, parallel_windows=1 (uniform)",
            "seconds": seq["seconds"],
            "ratio": 1.0,
            "note": f"{pages} pages x {page_size} records, {1000 * latency:.0f} ms per answer; {counts(seq)}",
        }
    )
    rows.append(
        {
            "row": 8,
            "what": "export, parallel_windows=8 (uniform)",
            "seconds": par["seconds"],
            "ratio": par["seconds"] / seq["seconds"],
            "note": (
                f"{seq['seconds'] / par['seconds']:.1f}x faster (goal: at least 5x); sha256 "
                f"{'identical' if same else 'DIFFERENT'} ({par['sha256'][:16]}..., "
                f"sequential {seq['sha256'][:16]}...); {counts(par)}"
            ),
        }
    )
    bursty_same = bursty["sha256"] == bursty_expected and (
        bursty_seq is None or bursty_seq["sha256"] == bursty_expected
    )
    rows.append(
        {
            "row": 8,
            "what": "parallel_windows=8, bursty (90% in 2 h)",
            "seconds": bursty["seconds"],
            "ratio": bursty["seconds"] / seq["seconds"],
            "note": (
                f"{seq['seconds'] / bursty['seconds']:.1f}x faster than the uniform sequential export; "
                f"bytes {'identical to' if bursty_same else 'DIFFERENT from'} the expected file"
                + (f" and the sequential export ({bursty_seq['seconds']:.2f} s)" if bursty_seq else "")
                + f"; {counts(bursty)}"
            ),
        }
    )
    return rows


def _merge(runs: list[dict[str, Any]]) -> dict[str, Any]:
    shas = {r["sha256"] for r in runs}
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "cpu": statistics.median(r["cpu"] for r in runs),
        "sha256": shas.pop() if len(shas) == 1 else f"differs between repeats: {sorted(shas)}",
        "requests": max(r["requests"] for r in runs),
        "connections": max(r["connections"] for r in runs),
        "in_flight": max(r["in_flight"] for r in runs),
    }


def run(size: str = "full") -> list[dict[str, Any]]:
    from benchmarks.server import LogServerProcess

    server = LogServerProcess()
    try:
        if size == "tiny":
            rows = _row4(server, sizes=(200, 1000), page_size=100, repeats=1, together=True)
            rows += _row8(server, 24, 10, 0.05, repeats=1, sequential_repeats=1, tiny=True)
        elif size == "quick":
            # ~1.5 min: one run per size; the 8-window line over 200 pages, not 1,000.
            rows = _row4(server, sizes=(10_000, 50_000, 200_000), page_size=1000, repeats=1)
            rows += _row8(server, 200, 100, 0.05, repeats=2, sequential_repeats=1, tiny=False)
        else:
            # Budget ~5 min: peak RSS varies under 1 MB between repeats; row 10 judges the 200,000-record
            # seconds, so 3 repeats; the sequential export is 1,000 x 50 ms of waiting plus ~3 s of work, so 2
            # repeats (~55 s each) pin it; the parallel ones (~7 s) get 3.
            rows = _row4(server, sizes=(10_000, 50_000, 200_000), page_size=1000, repeats=3)
            rows += _row8(server, 1000, 100, 0.05, repeats=3, sequential_repeats=2, tiny=False)
    finally:
        server.close()
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        variant, page_size, out = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        print(json.dumps(_child(variant if variant in (OURS, OURS8) else HTTP, page_size, out)))
    else:
        for row in run(size="tiny" if "--tiny" in sys.argv else "full"):
            print(row)
