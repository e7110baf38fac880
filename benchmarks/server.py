"""A small, fast HTTPS listing server for the benchmarks: precomputed pages, keep-alive, counts connections.

Every client in a row talks to the same server over the same loopback TLS, so the ratios compare
client cost. Pages are ``/api/video/rooms?page_token=N`` with ``links.next`` until the last. It runs
in its own process (:class:`ServerProcess`), so it never competes with the client for the GIL.
:class:`LogServer` (:class:`LogServerProcess`) serves ``/api/voice/logs`` with time filters, per-answer
latency and generated records, for the log-export rows.
"""

from __future__ import annotations

import bisect
import json
import socket
import ssl
import tempfile
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import trustme

# The benchmarks' Airflow connections: a project and token for the servers here (never a real space).
PROJECT, TOKEN = "0a1b2c3d-0000-4000-8000-00000000abcd", "PTbenchtoken0123456789SECRET"


def signalwire_conn(server: Any) -> str:
    """``AIRFLOW_CONN_*`` JSON of a SignalWire connection to ``server`` (base_url, ca_bundle)."""
    return json.dumps(
        {
            "conn_type": "signalwire",
            "host": server.base_url,
            "login": PROJECT,
            "password": TOKEN,
            "extra": {"verify": server.ca_bundle},
        }
    )


def http_conn(server: Any, *, verify: bool = True) -> str:
    """``AIRFLOW_CONN_*`` JSON of an HTTP connection (providers-http) to ``server`` (port, ca_bundle);
    ``verify=False`` leaves the CA out of the extra (for clients given it another way)."""
    conn: dict[str, Any] = {
        "conn_type": "http",
        "host": "127.0.0.1",
        "port": server.port,
        "schema": "https",
        "login": PROJECT,
        "password": TOKEN,
    }
    if verify:
        conn["extra"] = {"verify": server.ca_bundle}
    return json.dumps(conn)


def server_tls() -> tuple[ssl.SSLContext, str, tempfile.TemporaryDirectory[str]]:
    """A server TLS context for 127.0.0.1 and localhost signed by a throwaway CA, the CA bundle's path
    (what clients verify with) and the folder holding it (clean it up when the server closes)."""
    ca = trustme.CA()
    folder = tempfile.TemporaryDirectory()
    ca_bundle = str(Path(folder.name) / "ca.pem")
    ca.cert_pem.write_to_path(ca_bundle)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context, ca_bundle, folder


def spawn_server(target: Any, *args: Any) -> tuple[Any, Any, int, str]:
    """Start ``target(conn, *args)`` in a child process (so the server's CPU is never the client's and
    never competes with it for the GIL); it first sends back ``(port, ca_bundle)``, then answers what
    the parent sends on ``conn``.  Returns ``(conn, process, port, ca_bundle)``."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    conn, child = ctx.Pipe()
    process = ctx.Process(target=target, args=(child, *args), daemon=True)
    process.start()
    port, ca_bundle = conn.recv()
    return conn, process, port, ca_bundle


class ListingServer:
    def __init__(self, pages: int, per_page: int, latency: float = 0.0) -> None:
        self.pages, self.per_page, self.latency = pages, per_page, latency
        self.connections = 0
        self.requests = 0
        self._bodies = [self._page(n) for n in range(pages)]
        context, self.ca_bundle, self._dir = server_tls()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                server.connections += 1
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                super().setup()

            def do_GET(self) -> None:
                server.requests += 1
                query = parse_qs(urlsplit(self.path).query)
                n = int(query.get("page_token", ["0"])[0])
                body = server._bodies[n]
                if server.latency:
                    threading.Event().wait(server.latency)
                # One write per answer: headers and body in separate segments would meet delayed ACKs.
                head = (
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n"
                ).encode()
                self.wfile.write(head + body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.base_url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def _page(self, n: int) -> bytes:
        rooms = [
            {
                "id": f"00000000-0000-4000-8000-{n * self.per_page + i:012d}",
                "name": f"room-{n}-{i}",
                "display_name": f"Room {n} {i}",
                "max_members": 20,
                "quality": "720p",
                "enable_room_previews": False,
                "created_at": "2026-11-01T00:00:00Z",
                "updated_at": "2026-11-01T00:00:00Z",
            }
            for i in range(self.per_page)
        ]
        links = {"self": f"/api/video/rooms?page_token={n}"}
        if n + 1 < self.pages:
            links["next"] = f"/api/video/rooms?page_size={self.per_page}&page_token={n + 1}"
        return json.dumps({"data": rooms, "links": links}).encode()

    def reset_counts(self) -> None:
        self.connections = self.requests = 0

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._dir.cleanup()


class ServerProcess:
    """:class:`ListingServer` in a child process; ``connections`` and ``requests`` are read from it."""

    def __init__(self, pages: int, per_page: int, latency: float = 0.0) -> None:
        self._conn, self._process, self.port, self.ca_bundle = spawn_server(_serve, pages, per_page, latency)
        self.base_url = f"https://127.0.0.1:{self.port}"

    def _ask(self, what: str) -> int:
        self._conn.send(what)
        return self._conn.recv()

    @property
    def connections(self) -> int:
        return self._ask("connections")

    @property
    def requests(self) -> int:
        return self._ask("requests")

    def reset_counts(self) -> None:
        self._ask("reset")

    def close(self) -> None:
        self._ask("close")
        self._process.join(5)


def _serve(conn, pages: int, per_page: int, latency: float) -> None:
    server = ListingServer(pages, per_page, latency)
    conn.send((server.port, server.ca_bundle))
    while True:
        what = conn.recv()
        if what == "reset":
            server.reset_counts()
            conn.send(0)
        elif what == "close":
            conn.send(0)
            server.close()
            return
        else:
            conn.send(getattr(server, what))


# --------------------------------------------------------------------------- /api/voice/logs

LOGS_PATH = "/api/voice/logs"
LOGS_MAX_PAGE_SIZE = 1000


def log_timestamps(records: int, start: int, end: int, distribution: str = "uniform") -> list[int]:
    """``records`` creation times (whole epoch seconds in [start, end)), ascending, deterministic.

    ``uniform``: evenly spread.  ``bursty``: 90% of them in two of the window's 24 equal parts (the 4th
    and the 15th: two busy hours of a day), the rest evenly over the other 22.
    """
    span = end - start

    def spread(n: int, lo: int, hi: int) -> list[int]:
        return [lo + (2 * k + 1) * (hi - lo) // (2 * n) for k in range(n)]

    if distribution == "uniform":
        return spread(records, start, end)
    if distribution != "bursty":
        raise ValueError(f"unknown distribution {distribution!r}")
    part = span // 24
    busy = (3, 14)
    burst = records * 9 // 10
    out = spread(burst // 2, start + busy[0] * part, start + (busy[0] + 1) * part)
    out += spread(burst - burst // 2, start + busy[1] * part, start + (busy[1] + 1) * part)
    quiet = [h for h in range(24) if h not in busy]
    rest = records - burst
    for n, hour in enumerate(quiet):
        share = rest * (n + 1) // len(quiet) - rest * n // len(quiet)
        out += spread(share, start + hour * part, start + (hour + 1) * part)
    return sorted(out)


def log_record(index: int, created: int) -> bytes:
    """The JSON of voice log ``index`` (``/api/voice/logs`` fields), keys sorted and compact: exactly the
    line ``json.dumps(record, sort_keys=True, separators=(",", ":"))`` gives, so an export's JSONL file
    can be checked byte for byte."""
    duration = 7 + index % 593
    charge = (index % 97) / 1000
    created_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created))
    rid = f"7c3e0000-0000-4000-8000-{index:012d}"
    return (
        f'{{"billing_ms":{duration * 1000},"charge":{charge!r},"charge_details":[],'
        f'"created_at":"{created_at}","direction":"outbound-api","duration":{duration},'
        f'"duration_ms":{duration * 1000},"from":"+1555{index % 10**7:07d}","id":"{rid}",'
        f'"parent_id":null,"source":"laml","status":"completed","to":"+1666{(index * 7) % 10**7:07d}",'
        f'"type":"laml_call","url":"{LOGS_PATH}/{rid}"}}'
    ).encode()


def expected_jsonl(timestamps: list[int], start: int, end: int) -> bytes:
    """What a JSONL export of [start, end) must hold: the records in it, newest first."""
    lo, hi = bisect.bisect_left(timestamps, start), bisect.bisect_left(timestamps, end)
    return b"".join(log_record(i, timestamps[i]) + b"\n" for i in range(hi - 1, lo - 1, -1))


def _epoch(text: str) -> float:
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


class LogServer:
    """``GET /api/voice/logs`` over keep-alive HTTPS, newest first, like SignalWire's log listings.

    ``created_after`` (inclusive) and ``created_before`` (exclusive) take RFC 3339 / ISO 8601 times or
    dates; ``page_size`` 1..1000 (default 50); ``links.next`` is a relative link carrying the same
    filters and a ``page_token`` (an offset in the filtered listing).  Records are rendered per page
    from their index and timestamp (no per-record state beyond one int).  ``latency`` seconds are
    waited before each answer, in the answering thread (one thread per connection), so concurrent
    listings wait concurrently.  Counts connections, requests and the most answers in flight at once.
    """

    def __init__(
        self,
        records: int = 0,
        start: int = 0,
        end: int = 1,
        distribution: str = "uniform",
        latency: float = 0.0,
    ) -> None:
        self.configure(records, start, end, distribution, latency)
        self._lock = threading.Lock()
        self.connections = self.requests = self.in_flight = self.max_in_flight = 0
        context, self.ca_bundle, self._dir = server_tls()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                with server._lock:
                    server.connections += 1
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                super().setup()

            def do_GET(self) -> None:
                with server._lock:
                    server.requests += 1
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    status, body = server.answer(self.path)
                    if server.latency:
                        time.sleep(server.latency)
                    head = (
                        f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
                        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                    ).encode()
                    self.wfile.write(head + body)
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.request_queue_size = 64
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.base_url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def configure(self, records: int, start: int, end: int, distribution: str, latency: float) -> int:
        self.timestamps = log_timestamps(records, start, end, distribution)
        self.latency = latency
        return len(self.timestamps)

    def answer(self, target: str) -> tuple[int, bytes]:
        parts = urlsplit(target)
        if parts.path != LOGS_PATH:
            return 404, b'{"errors":[{"code":"not_found","message":"Not Found"}]}'
        query = parse_qs(parts.query)

        def one(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values else None

        try:
            size = int(one("page_size") or 50)
            offset = int(one("page_token") or 0)
            after, before = one("created_after"), one("created_before")
            lo = bisect.bisect_left(self.timestamps, _epoch(after)) if after else 0
            hi = bisect.bisect_left(self.timestamps, _epoch(before)) if before else len(self.timestamps)
        except ValueError as err:
            return 422, json.dumps({"errors": [{"code": "invalid_parameter", "message": str(err)}]}).encode()
        if not 1 <= size <= LOGS_MAX_PAGE_SIZE or offset < 0:
            return 422, b'{"errors":[{"code":"invalid_parameter","message":"page_size or page_token"}]}'
        total = max(0, hi - lo)
        newest = hi - 1 - offset
        indexes = range(newest, max(newest - size, lo - 1), -1)
        data = b",".join(log_record(i, self.timestamps[i]) for i in indexes)
        kept = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("page_token", "page_size")]
        kept.append(("page_size", str(size)))
        links = {"self": f"{LOGS_PATH}?{urlencode([*kept, ('page_token', str(offset))])}"}
        if offset + size < total:
            links["next"] = f"{LOGS_PATH}?{urlencode([*kept, ('page_token', str(offset + size))])}"
        return 200, b'{"data":[' + data + b'],"links":' + json.dumps(links).encode() + b"}"

    def reset_counts(self) -> None:
        with self._lock:
            self.connections = self.requests = self.max_in_flight = 0

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._dir.cleanup()


class LogServerProcess(ServerProcess):
    """:class:`LogServer` in a child process; :meth:`configure` swaps its records and latency."""

    def __init__(self) -> None:
        self._conn, self._process, self.port, self.ca_bundle = spawn_server(_serve_logs)
        self.base_url = f"https://127.0.0.1:{self.port}"

    def configure(
        self, records: int, start: int, end: int, distribution: str = "uniform", latency: float = 0.0
    ) -> int:
        self._conn.send(("configure", (records, start, end, distribution, latency)))
        return self._conn.recv()

    @property
    def max_in_flight(self) -> int:
        return self._ask("max_in_flight")


def _serve_logs(conn) -> None:
    server = LogServer()
    conn.send((server.port, server.ca_bundle))
    while True:
        what = conn.recv()
        if isinstance(what, tuple):
            conn.send(server.configure(*what[1]))
        elif what == "reset":
            server.reset_counts()
            conn.send(0)
        elif what == "close":
            conn.send(0)
            server.close()
            return
        else:
            conn.send(getattr(server, what))
