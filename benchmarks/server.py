"""A small, fast HTTPS listing server for the benchmarks: precomputed pages, keep-alive, counts connections.

Every client in a row talks to the same server over the same loopback TLS, so the ratios compare
client cost. Pages are ``/api/video/rooms?page_token=N`` with ``links.next`` until the last. It runs
in its own process (:class:`ServerProcess`), so it never competes with the client for the GIL.
"""

from __future__ import annotations

import json
import socket
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import trustme


class ListingServer:
    def __init__(self, pages: int, per_page: int, latency: float = 0.0) -> None:
        self.pages, self.per_page, self.latency = pages, per_page, latency
        self.connections = 0
        self.requests = 0
        self._bodies = [self._page(n) for n in range(pages)]
        ca = trustme.CA()
        self._dir = tempfile.TemporaryDirectory()
        self.ca_bundle = str(Path(self._dir.name) / "ca.pem")
        ca.cert_pem.write_to_path(self.ca_bundle)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
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
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(child, pages, per_page, latency), daemon=True)
        self._process.start()
        self.port, self.ca_bundle = self._conn.recv()
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


def _serve(conn, pages: int, per_page: int, latency: float) -> None:  # type: ignore[no-untyped-def]
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
