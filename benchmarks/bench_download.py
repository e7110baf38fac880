"""Rows 7 and 11: a room recording's file (10, 50, 200 MB) downloaded to disk over loopback TLS.

Five clients fetch the same bytes from the same server (its own process, HTTPS on 127.0.0.1):

* **plain requests stream** (the baseline), as a user writes it: ``requests.Session().get(uri,
  stream=True)``, ``iter_content(chunk_size=1 MiB)``, ``f.write(chunk)``; the link given, no API call.
* **the same + hashlib.sha256** per chunk: the plain stream also hashing, to show what hashing costs.
* **the fair baseline** (row 11): the plain stream that also computes SHA-256 and writes the file the
  way the operator does: under a temporary name beside it, renamed over it when complete (the operator
  does not fsync, so neither does this). Row 11 compares the operator with it at every size.
* **SignalWireHook.open_download**: the same link through our hook (no credentials, no redirects,
  retries before the first byte), chunks (1 MiB, its default) written to a file: like for like.
* **DownloadVideoRoomRecordingOperator**: what a task does: one extra small request for a fresh link
  (``GET /api/video/room_recordings/{id}`` on the space, 127.0.0.1), then the file from the link on the
  file host (``localhost``: another host name, so another TLS connection), written under a temporary
  name, SHA-256 on the way, size checked, renamed over the destination. Its seconds include all that.

Each client runs in fresh worker processes (one per client and size), driven round-robin, so machine
noise hits them alike. A worker reports its RSS after its imports (the interpreter's); before every
download it resets the kernel's high-water mark (``/proc/self/clear_refs``), so the peak it reports
afterwards is that download's. Growth = peak - RSS after imports; what is still resident after the
download (modules a client imports on first use, e.g. the operator's ObjectStoragePath) is shown too.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CONN_ID = "signalwire_bench_download"
MB = 1_000_000
CHUNK = 1024 * 1024  # what the plain stream reads at a time; our hook's and operator's default too
SERIES = {
    "plain": "plain requests stream (1 MiB chunks)",
    "plain_sha256": "the same + hashlib.sha256 per chunk",
    "fair": "plain stream + SHA-256, temporary file, rename (written as the operator writes)",
    "hook": "SignalWireHook.open_download",
    "operator": "DownloadVideoRoomRecordingOperator",
}


def recording_id(size: int, rate: int = 0) -> str:
    """The recording's id carries its size and the file host's pace (MB/s, 0: as fast as it can), so
    the server needs no state."""
    return f"00000000-0000-4000-{rate:04d}-{size:012d}"


def _size_and_rate(rid: str) -> tuple[int, int]:
    parts = rid.split("-")
    return int(parts[4]), int(parts[3])


def media_url(file_base: str, size: int, rate: int = 0) -> str:
    """The signed link the API answers with (the same one the plain stream and the hook are given)."""
    return f"{file_base}/media/{recording_id(size, rate)}.mp4?Expires=1893456000&Signature=bench"


# ------------------------------------------------------------------ the server (its own process)


def _serve(conn: Any) -> None:  # pragma: no cover - runs in the server process
    import socket
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import urlsplit

    from benchmarks.server import server_tls

    context, ca_bundle, folder = server_tls()
    block = os.urandom(CHUNK)  # incompressible, like a video
    counts = {"requests": 0, "api": 0, "media": 0}
    bases: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().setup()

        def do_GET(self) -> None:
            counts["requests"] += 1
            path = urlsplit(self.path).path
            if path.startswith("/api/video/room_recordings/"):
                counts["api"] += 1
                rid = path.rsplit("/", 1)[1]
                size, rate = _size_and_rate(rid)
                body = json.dumps(
                    {
                        "id": rid,
                        "room_session_id": "11111111-0000-4000-8000-000000000001",
                        "status": "completed",
                        "format": "mp4",
                        "size_in_bytes": size,
                        "uri": media_url(bases["file"], size, rate),
                    }
                ).encode()
                self.wfile.write(self._head(len(body), "application/json") + body)
                return
            if path.startswith("/media/"):
                counts["media"] += 1
                size, rate = _size_and_rate(path.rsplit("/", 1)[1].split(".", 1)[0])
                self.wfile.write(self._head(size, "video/mp4"))
                view = memoryview(block)
                left, started = size, time.perf_counter()
                while left:
                    n = min(left, len(block))
                    self.wfile.write(view[:n])
                    left -= n
                    if rate:  # a line of ``rate`` MB/s: each chunk leaves no earlier than that pace allows
                        time.sleep(max(0.0, started + (size - left) / (rate * MB) - time.perf_counter()))
                return
            self.send_error(404)

        def _head(self, length: int, content_type: str) -> bytes:
            return (
                f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\n\r\n"
            ).encode()

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    port = httpd.server_address[1]
    bases["file"] = f"https://localhost:{port}"
    import threading

    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    conn.send((port, ca_bundle))
    while True:
        what = conn.recv()
        if what == "close":
            httpd.shutdown()
            httpd.server_close()
            folder.cleanup()
            conn.send(0)
            return
        conn.send(dict(counts))


class DownloadServer:
    """The space's API (``https://127.0.0.1:PORT``) and its file host (``https://localhost:PORT``)."""

    def __init__(self) -> None:
        from benchmarks.server import spawn_server

        self._conn, self._process, self.port, self.ca_bundle = spawn_server(_serve)
        self.base_url = f"https://127.0.0.1:{self.port}"
        self.file_base = f"https://localhost:{self.port}"

    def counts(self) -> dict[str, int]:
        self._conn.send("counts")
        return self._conn.recv()

    def close(self) -> None:
        self._conn.send("close")
        self._conn.recv()
        self._process.join(5)


# ------------------------------------------------------------------ a worker (one client, fresh process)


def _memory_kb() -> dict[str, int]:
    found = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
    return found


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux 4.0+), so the next reading is this download's peak."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _worker(variant: str) -> None:  # pragma: no cover - runs in a worker process
    """Read sizes on stdin, download each to a file, answer one JSON line per download."""
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything else printed goes to stderr, not into the answers
    sys.stdout = sys.stderr
    config = json.loads(os.environ["BENCH_DOWNLOAD"])
    folder = Path(config["folder"])

    if variant in ("plain", "plain_sha256", "fair"):
        import hashlib
        import uuid

        import requests

        ca, hashed = config["ca_bundle"], variant != "plain"

        def download(size: int, rate: int, path: Path) -> int:
            url = media_url(config["file_base"], size, rate)
            digest = hashlib.sha256()
            # "fair" writes as the operator does: a temporary name beside the file, renamed over it once
            # complete (the operator does not fsync, so neither does this).
            out = path.parent / f".{path.name}.{uuid.uuid4().hex[:12]}.part" if variant == "fair" else path
            with requests.Session() as session, session.get(url, stream=True, timeout=30, verify=ca) as r:
                r.raise_for_status()
                with open(out, "wb") as f:
                    for chunk in r.iter_content(chunk_size=CHUNK):
                        f.write(chunk)
                        if hashed:
                            digest.update(chunk)
            if out != path:
                os.replace(out, path)
            digest.hexdigest()
            return path.stat().st_size

    elif variant == "hook":
        from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

        def download(size: int, rate: int, path: Path) -> int:
            hook = SignalWireHook(CONN_ID)
            with hook.open_download(media_url(config["file_base"], size, rate)) as d, open(path, "wb") as f:
                for chunk in d.chunks:
                    f.write(chunk)
            hook.close()
            return path.stat().st_size

    else:
        from airflow_provider_signalwire.operators.video import DownloadVideoRoomRecordingOperator

        def download(size: int, rate: int, path: Path) -> int:
            op = DownloadVideoRoomRecordingOperator(
                task_id="download",
                recording_id=recording_id(size, rate),
                destination=str(path),
                signalwire_conn_id=CONN_ID,
            )
            result = op.execute({})
            op.hook.close()
            return result["size"]

    import gc

    gc.collect()
    baseline = _memory_kb()["VmRSS"]
    answers.write(json.dumps({"baseline_kb": baseline}) + "\n")
    for n, line in enumerate(sys.stdin):
        size, rate = map(int, line.split())
        path = folder / f"{variant}-{n}.mp4"
        reset = _reset_peak()
        started = time.perf_counter()
        written = download(size, rate, path)
        seconds = time.perf_counter() - started
        memory = _memory_kb()
        path.unlink()
        answer = {"size": written, "seconds": seconds, "peak_kb": memory["VmHWM"], "rss_kb": memory["VmRSS"]}
        answers.write(json.dumps({**answer, "reset": reset}) + "\n")


class Worker:
    def __init__(self, variant: str, env: dict[str, str]) -> None:
        self.variant = variant
        self.log = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed in close()); Airflow's warnings; shown only if the worker dies
        self.process = subprocess.Popen(
            [sys.executable, "-c", f"from benchmarks.bench_download import _worker; _worker({variant!r})"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            cwd=Path(__file__).resolve().parents[1],
            env=env,
            text=True,
        )

    def ready(self) -> int:
        """RSS (KiB) after its imports."""
        return self._answer()["baseline_kb"]

    def download(self, size: int, rate: int) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{size} {rate}\n")
        self.process.stdin.flush()
        answer = self._answer()
        assert answer["size"] == size, (self.variant, answer, size)
        return answer

    def _answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait()
            self.log.seek(0)
            raise RuntimeError(
                f"download worker {self.variant} died (exit {code}):\n{self.log.read()[-3000:]}"
            )
        return json.loads(line)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(30)
        self.log.close()


Load = tuple[int, int]  # (size in bytes, the file host's pace in MB/s; 0: as fast as it can)


def _measure(loads: list[Load], repeats: dict[Load, int], warmup: bool, env: dict[str, str]) -> dict:
    """Fresh workers (one per client) for these downloads; repeats interleaved round-robin."""
    workers = {variant: Worker(variant, env) for variant in SERIES}
    try:
        baselines = {variant: w.ready() for variant, w in workers.items()}
        found: dict[tuple[str, int, int], dict[str, Any]] = {}
        order = list(workers)
        for size, rate in loads:
            if warmup:
                for w in workers.values():
                    w.download(size, rate)
            for i in range(repeats[(size, rate)]):
                for variant in order[i % len(order) :] + order[: i % len(order)]:
                    answer = workers[variant].download(size, rate)
                    entry = found.setdefault(
                        (variant, size, rate), {"seconds": [], "growth_mb": [], "kept_mb": []}
                    )
                    entry["seconds"].append(answer["seconds"])
                    entry["growth_mb"].append((answer["peak_kb"] - baselines[variant]) / 1024)
                    entry["kept_mb"].append((answer["rss_kb"] - baselines[variant]) / 1024)
                    entry["reset"] = answer["reset"]
        return {"baselines": baselines, "found": found}
    finally:
        for w in workers.values():
            w.close()


def _points(found: dict[tuple[str, int, int], dict[str, Any]], variant: str, name: str) -> list[dict]:
    """One client's unpaced downloads by size, for the scaling plot."""
    points = []
    for size in sorted({s for v, s, r in found if v == variant and r == 0}):
        entry = found[(variant, size, 0)]
        seconds = statistics.median(entry["seconds"])
        points.append(
            {
                "series": name,
                "size": size / MB,
                "unit": "MB",
                "seconds": seconds,
                "mb_per_s": size / MB / seconds,
                "peak_rss_mb": max(entry["growth_mb"]),
                "rss_label": "peak RSS above the interpreter's, MB",
            }
        )
    return points


THROTTLED = 100  # MB/s: a fast real network, slower than this machine's SHA-256 (~1.6 GB/s)


def run(size: str = "full") -> list[dict[str, Any]]:
    if size == "tiny":
        groups: list[list[Load]] = [[(1 * MB, 0), (2 * MB, 0), (2 * MB, THROTTLED)]]
        repeats = {(1 * MB, 0): 1, (2 * MB, 0): 1, (2 * MB, THROTTLED): 1}
        row_size, warmup = 2 * MB, False
    else:
        groups = [[(10 * MB, 0)], [(50 * MB, 0)], [(200 * MB, 0)], [(50 * MB, THROTTLED)]]
        repeats = {(10 * MB, 0): 9, (50 * MB, 0): 15, (200 * MB, 0): 5, (50 * MB, THROTTLED): 5}
        if size == "quick":
            repeats = {load: max(2, n // 3) for load, n in repeats.items()}
        row_size, warmup = 50 * MB, True
    server = DownloadServer()
    folder = tempfile.TemporaryDirectory(prefix="bench-download-")
    env = dict(os.environ)
    env["BENCH_DOWNLOAD"] = json.dumps(
        {"file_base": server.file_base, "ca_bundle": server.ca_bundle, "folder": folder.name}
    )
    from benchmarks.server import signalwire_conn

    env[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = signalwire_conn(server)
    found: dict[tuple[str, int, int], dict[str, Any]] = {}
    baselines: dict[str, list[int]] = {variant: [] for variant in SERIES}
    try:
        for loads in groups:
            measured = _measure(loads, repeats, warmup, env)
            found.update(measured["found"])
            for variant, kb in measured["baselines"].items():
                baselines[variant].append(kb)
        counts = server.counts()
    finally:
        server.close()
        folder.cleanup()
    downloads = sum(len(v["seconds"]) for v in found.values()) + (
        len(SERIES) * sum(map(len, groups)) if warmup else 0
    )
    assert counts["media"] == downloads, (counts, downloads)

    rows: list[dict[str, Any]] = []
    for rate in (0, THROTTLED):
        base = statistics.median(found[("plain", row_size, rate)]["seconds"])
        for variant, name in SERIES.items():
            entry = found[(variant, row_size, rate)]
            seconds = statistics.median(entry["seconds"])
            growth = max(entry["growth_mb"])
            interpreter = statistics.median(baselines[variant]) / 1024
            note = (
                f"{row_size / MB / seconds:.0f} MB/s, {base / seconds:.2f}x the plain stream's throughput; "
                f"peak RSS +{growth:.1f} MB over the interpreter's {interpreter:.0f} MB, "
                f"{min(entry['kept_mb']):.1f} MB of it still resident after"
            )
            if variant == "operator":
                note += " (includes 1 API request for the link, SHA-256, atomic rename)"
            if variant in ("hook", "operator") and not rate:
                note += " (goal: >= 0.90x, < +60 MB)"
            if rate:
                note += f"; the file host paced to {rate} MB/s (context, not the goal's line)"
            if not entry["reset"]:
                note += " [peak not reset: includes imports]"
            row: dict[str, Any] = {
                "row": 7,
                "title": f"recording download, {row_size / MB:.0f} MB to a file",
                "what": f"{name}, line paced to {rate} MB/s" if rate else name,
                "seconds": seconds,
                "ratio": seconds / base,
                "note": note,
            }
            if not rate:  # the scaling plot: every size at full speed
                row["points"] = _points(found, variant, name)
            rows.append(row)
    return rows + _row11(found)


def _row11(found: dict[tuple[str, int, int], dict[str, Any]]) -> list[dict[str, Any]]:
    """Row 11: the operator against the fair baseline (the plain stream that also hashes and writes a
    temporary file renamed over the destination) at every unpaced size; the unhashed stream as context."""
    rows = []
    for size in sorted({s for v, s, r in found if v == "fair" and r == 0}):
        fair = statistics.median(found[("fair", size, 0)]["seconds"])
        for variant in ("plain", "fair", "operator"):
            seconds = statistics.median(found[(variant, size, 0)]["seconds"])
            note = f"{size / MB / seconds:.0f} MB/s, {fair / seconds:.2f}x the fair baseline's throughput"
            if variant == "operator":
                note += " (goal: >= 0.90x; includes its 1 API request for the link)"
            elif variant == "plain":
                note += " (context: no hash, writes the file in place)"
            rows.append(
                {
                    "row": 11,
                    "what": f"{SERIES[variant]}, {size / MB:.0f} MB",
                    "seconds": seconds,
                    "ratio": seconds / fair,
                    "note": note + f"; median of {len(found[(variant, size, 0)]['seconds'])}",
                }
            )
    return rows


def profile(size_mb: int, repeats: int = 9) -> None:  # pragma: no cover - a tool, run by hand
    """Where the operator's time goes at ``size_mb``: ``python -m benchmarks.bench_download --profile 10``
    (RESULTS.md row 11). In one process, after one warm-up: the operator's downloads under cProfile, and
    the same downloads split by a timer into the API request for the link (connection + TLS + answer)
    and the rest."""
    import cProfile
    import pstats

    from benchmarks.server import signalwire_conn

    server = DownloadServer()
    folder = tempfile.TemporaryDirectory(prefix="bench-download-")
    os.environ[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = signalwire_conn(server)
    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook
    from airflow_provider_signalwire.operators.video import DownloadVideoRoomRecordingOperator

    spent: dict[str, float] = {"api": 0.0}
    original = SignalWireHook.request

    def timed_request(self: Any, *args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            spent["api"] += time.perf_counter() - began

    def once(n: int) -> float:
        path = Path(folder.name) / f"profile-{n}.mp4"
        op = DownloadVideoRoomRecordingOperator(
            task_id="download",
            recording_id=recording_id(size_mb * MB),
            destination=str(path),
            signalwire_conn_id=CONN_ID,
        )
        began = time.perf_counter()
        op.execute({})
        took = time.perf_counter() - began
        op.hook.close()
        path.unlink()
        return took

    try:
        once(-1)
        SignalWireHook.request = timed_request  # type: ignore[method-assign]
        totals = [once(n) for n in range(repeats)]
        SignalWireHook.request = original  # type: ignore[method-assign]
        print(
            f"{size_mb} MB x {repeats}: median {statistics.median(totals) * 1000:.1f} ms per download, "
            f"of which the API request for the link {spent['api'] / repeats * 1000:.1f} ms on average"
        )
        profiler = cProfile.Profile()
        profiler.enable()
        for n in range(repeats):
            once(n)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    finally:
        server.close()
        folder.cleanup()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--profile"]:
        profile(int(sys.argv[2]))
        sys.exit()
    for row in run(size="tiny" if "--tiny" in sys.argv else "full"):
        print({k: v for k, v in row.items() if k != "points"})
        for point in row.get("points", ()):
            print("   ", point)
