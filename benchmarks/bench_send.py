"""Row 12: sending to a list at the configured pace while SignalWire refuses some messages for their rate.

A fake Compatibility ``Messages`` endpoint (HTTPS on loopback, its own process) accepts each message
POST (201) except a seeded fraction of attempts, which it refuses with HTTP 429 and SignalWire's error
20429: whether attempt ``k`` to a number is refused depends only on the seed, the number and ``k``, so
every client meets the same refusals. The server stamps every attempt with its own monotonic clock.

Two clients per pace, all four running at once (they mostly sleep), each from its own sending number:

* ``SendMessageOperator(messages_per_second=rate)`` to N recipients: the hook retries a refused message
  (its own backoff, then :func:`rate_limit_rule`'s), the operator paces the list.
* the baseline, a hand-written loop as users write it: ``requests.Session`` POST, on 429 ``time.sleep(2)``
  and send again, then ``time.sleep(1 / rate)`` before the next recipient.

From the server's stamps: every gap between two attempts of a client is either a backoff (the attempt
before it was refused: the wait before the resend) or a paced gap. The achieved rate "after backoffs"
is paced gaps / their total time; the goal is within 5% of the target. Also counted: duplicates (a
number accepted twice), numbers never accepted, and bursts (paced gaps under half the interval: a
message sent right behind another, what the pacer bug of issue #27 did after every resend).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from benchmarks.server import PROJECT, TOKEN, server_tls, signalwire_conn, spawn_server

MESSAGES = f"/api/laml/2010-04-01/Accounts/{PROJECT}/Messages"
CONN_ID = "signalwire_bench_send"
SEED = 27
OURS, LOOP = "SendMessageOperator", "hand-written loop, time.sleep pacing"


def refused(to: str, attempt: int, fraction: float) -> bool:
    """Whether the server refuses attempt ``attempt`` (1-based) to ``to``: seeded, client-independent."""
    return random.Random(f"{SEED}:{to}:{attempt}").random() < fraction


class SendServer:
    """``POST MESSAGES`` with a form body: 201 and a message, or 429 / 20429 for the seeded fraction."""

    def __init__(self, fraction: float) -> None:
        self.fraction = fraction
        self._lock = threading.Lock()
        self.log: list[tuple[float, str, str, int]] = []  # (monotonic, From, To, status)
        self._attempts: dict[tuple[str, str], int] = {}
        context, self.ca_bundle, self._dir = server_tls()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                arrived = time.monotonic()
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                status, body = server.answer(self.path, form, arrived)
                head = (
                    f"HTTP/1.1 {status} {'Created' if status == 201 else 'Too Many Requests'}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                ).encode()
                self.wfile.write(head + body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.base_url = f"https://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def answer(self, path: str, form: dict[str, list[str]], arrived: float) -> tuple[int, bytes]:
        sender, to = form.get("From", [""])[0], form.get("To", [""])[0]
        if path.split("?")[0].removesuffix(".json") != MESSAGES or not sender or not to:
            return 404, b'{"code":20404,"message":"Not Found","status":404}'
        with self._lock:
            attempt = self._attempts[(sender, to)] = self._attempts.get((sender, to), 0) + 1
            status = 429 if refused(to, attempt, self.fraction) else 201
            self.log.append((arrived, sender, to, status))
            count = len(self.log)
        if status == 429:
            return 429, b'{"code":20429,"message":"Too Many Requests","status":429}'
        message = {"sid": f"SM{count:032x}", "status": "queued", "to": to, "from": sender, "body": "x"}
        return 201, json.dumps(message).encode()

    def take_log(self) -> list[tuple[float, str, str, int]]:
        with self._lock:
            log, self.log = self.log, []
            self._attempts.clear()
            return log

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._dir.cleanup()


class SendServerProcess:
    def __init__(self, fraction: float) -> None:
        self._conn, self._process, self.port, self.ca_bundle = spawn_server(_serve, fraction)
        self.base_url = f"https://127.0.0.1:{self.port}"

    def take_log(self) -> list[tuple[float, str, str, int]]:
        self._conn.send("log")
        return self._conn.recv()

    def close(self) -> None:
        self._conn.send("close")
        self._conn.recv()
        self._process.join(5)


def _serve(conn: Any, fraction: float) -> None:
    server = SendServer(fraction)
    conn.send((server.port, server.ca_bundle))
    while True:
        what = conn.recv()
        if what == "log":
            conn.send(server.take_log())
        else:
            conn.send(0)
            server.close()
            return


def recipients(count: int) -> list[str]:
    return [f"+1202555{k:04d}" for k in range(count)]


# --------------------------------------------------------------------------- the clients (child processes)


def _child(variant: str, rate: float, sender: str, count: int) -> None:  # pragma: no cover - a child
    import logging

    logging.disable(logging.WARNING)  # the hook logs every retry wait
    numbers = recipients(count)
    if variant == OURS:
        from airflow_provider_signalwire.operators.messaging import SendMessageOperator
        from benchmarks.bench_export import _outside_task_runner

        _outside_task_runner()
        op = SendMessageOperator(
            task_id="send",
            to=numbers,
            from_=sender,
            body="Disk full on db-1",
            messages_per_second=rate,
            signalwire_conn_id=CONN_ID,
        )
        started = time.perf_counter()  # after the imports: both clients' seconds are their sending
        results = op.execute({})
        sent = sum(1 for r in results if r["sid"])
    else:
        import requests

        config = json.loads(os.environ["BENCH_SEND"])
        session = requests.Session()
        session.auth, ca = (PROJECT, TOKEN), config["ca_bundle"]
        url = config["base_url"] + MESSAGES
        sent = 0
        started = time.perf_counter()
        for to in numbers:
            while True:
                form = {"From": sender, "To": to, "Body": "Disk full on db-1"}
                response = session.post(url, data=form, verify=ca, timeout=30)
                if response.status_code == 429:
                    time.sleep(2.0)
                    continue
                response.raise_for_status()
                sent += 1
                break
            time.sleep(1.0 / rate)
    print(json.dumps({"seconds": time.perf_counter() - started, "sent": sent}))


def _start(variant: str, rate: float, sender: str, count: int, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "benchmarks.bench_send", "--child", variant, str(rate), sender, str(count)],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# --------------------------------------------------------------------------- judging the server's stamps


def judge(log: list[tuple[float, str, str, int]], sender: str, count: int, rate: float) -> dict[str, Any]:
    mine = sorted((t, to, status) for t, s, to, status in log if s == sender)
    accepted = [to for _, to, status in mine if status == 201]
    interval = 1.0 / rate
    paced: list[float] = []
    backoffs: list[float] = []
    for (t0, _, status0), (t1, _, _) in itertools.pairwise(mine):
        (backoffs if status0 == 429 else paced).append(t1 - t0)
    achieved = len(paced) / sum(paced) if paced else 0.0
    return {
        "attempts": len(mine),
        "refused": sum(1 for _, _, status in mine if status == 429),
        "accepted": len(accepted),
        "duplicates": len(accepted) - len(set(accepted)),
        "missing": len(set(recipients(count)) - set(accepted)),
        "achieved": achieved,
        "bursts": sum(1 for gap in paced if gap < interval / 2),
        "slow": sum(1 for gap in paced if gap > 1.5 * interval),
        "min_gap": min(paced) if paced else 0.0,
        "median_gap": statistics.median(paced) if paced else 0.0,
        "backoff_s": sum(backoffs),
        "span": mine[-1][0] - mine[0][0] if mine else 0.0,
    }


def run(size: str = "full") -> list[dict[str, Any]]:
    # Quick: 500 recipients (50 s at 10 a second) instead of 2,000 (200 s).
    count, fraction = {"tiny": (30, 0.1), "quick": (500, 0.03)}.get(size, (2000, 0.03))
    rates = (10.0, 50.0)
    server = SendServerProcess(fraction)
    env = {
        **os.environ,
        f"AIRFLOW_CONN_{CONN_ID.upper()}": signalwire_conn(server),
        "BENCH_SEND": json.dumps({"base_url": server.base_url, "ca_bundle": server.ca_bundle}),
    }
    env.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    runs = {}
    try:
        # All four at once: they mostly sleep, and the server tells them apart by their sending number.
        for k, (variant, rate) in enumerate((v, r) for r in rates for v in (LOOP, OURS)):
            sender = f"+1312555{k:04d}"
            runs[(variant, rate)] = (sender, _start(variant, rate, sender, count, env))
        answers = {}
        for key, (_, process) in runs.items():
            out, err = process.communicate()
            if process.returncode:
                raise RuntimeError(f"{key} failed:\n{err[-3000:]}")
            answers[key] = json.loads(out.strip().splitlines()[-1])
        log = server.take_log()
    finally:
        server.close()
    rows = []
    for rate in rates:
        base = answers[(LOOP, rate)]["seconds"]
        for variant in (LOOP, OURS):
            sender = runs[(variant, rate)][0]
            j = judge(log, sender, count, rate)
            goal = " (goal: within 5%, 0 duplicates, 0 missing)" if variant == OURS else ""
            rows.append(
                {
                    "row": 12,
                    "what": f"{variant}, {count:,} recipients at {rate:g}/s",
                    "seconds": answers[(variant, rate)]["seconds"],
                    "ratio": answers[(variant, rate)]["seconds"] / base,
                    "achieved_per_s": j["achieved"],
                    "note": (
                        f"achieved {j['achieved']:.2f}/s after backoffs, {j['achieved'] / rate:.3f}x the "
                        f"target{goal}; {j['accepted']} accepted, {j['duplicates']} duplicates, "
                        f"{j['missing']} missing; {j['refused']} of {j['attempts']} attempts refused (429, "
                        f"{fraction:.0%} seeded), {j['backoff_s']:.1f} s of backoffs; paced gaps median "
                        f"{1000 * j['median_gap']:.1f} ms, min {1000 * j['min_gap']:.1f} ms, "
                        f"{j['bursts']} under half the interval, {j['slow']} over 1.5 intervals"
                    ),
                }
            )
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], float(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
    else:
        for row in run(size="tiny" if "--tiny" in sys.argv else "full"):
            print(row)
