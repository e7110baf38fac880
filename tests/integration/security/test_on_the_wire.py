"""Bounds and origins over real local HTTPS: trickling and endless answers, a second host, failures.

Every server here is on 127.0.0.1 with certificates from a throwaway CA.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator

import pytest
import trustme
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWirePaginationError
from tests.fixtures import TOKEN
from tests.integration.conftest import closed_port

ROOMS = "/api/video/rooms"


class RawTLSServer:
    """A TLS server that runs ``script(conn)`` for each connection: for answers no framework would send."""

    def __init__(self, ca: trustme.CA, script: Callable[[ssl.SSLSocket], None]) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(self.context)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.script = script
        self.connections = 0
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                raw, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            threading.Thread(target=self._handle, args=(raw,), daemon=True).start()

    def _handle(self, raw: socket.socket) -> None:
        try:
            with self.context.wrap_socket(raw, server_side=True) as conn:
                conn.settimeout(10)
                buf = b""
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    buf += chunk
                self.script(conn)
        except (OSError, ssl.SSLError):
            pass

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


@pytest.fixture
def raw_server(tls_ca) -> Iterator[Callable[[Callable[[ssl.SSLSocket], None]], RawTLSServer]]:
    servers: list[RawTLSServer] = []

    def _make(script: Callable[[ssl.SSLSocket], None]) -> RawTLSServer:
        servers.append(RawTLSServer(tls_ca, script))
        return servers[-1]

    yield _make
    for server in servers:
        server.close()


def _hook_on(make_client, ca_bundle, port: int, retries: bool = True, **extra):
    """A sync or async client (the ``transport`` fixture runs each test on both) on a local server."""
    hook_kwargs = extra.pop("hook_kwargs", None) or {}
    conn = {"host": f"https://127.0.0.1:{port}", "extra": {"verify": ca_bundle, **extra}, "retries": retries}
    return make_client(conn=conn, **hook_kwargs)


def _trickle(head: bytes, body_byte: bytes | None, every: float, count: int = 60):
    def script(conn: ssl.SSLSocket) -> None:
        if body_byte is None:  # trickle the headers themselves
            for byte in head:
                conn.sendall(bytes([byte]))
                time.sleep(every)
            return
        conn.sendall(head)
        for _ in range(count):
            conn.sendall(body_byte)
            time.sleep(every)

    return script


def _keep_alive(answers: list[int] | None = None) -> Callable[[ssl.SSLSocket], None]:
    """A script answering every request on one connection with an empty list (HTTP/1.1 keep-alive)."""

    def script(conn: ssl.SSLSocket) -> None:
        body = b'{"data": []}'
        while True:
            if answers is not None:
                answers.append(1)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                % (len(body), body)
            )
            buf = b""
            while b"\r\n\r\n" not in buf:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                buf += chunk

    return script


@pytest.mark.parametrize(
    "script",
    [
        _trickle(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n", b" ", 0.4
        ),
        _trickle(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + b"X-Pad: x\r\n" * 20 + b"\r\n",
            None,
            0.2,
        ),
        _trickle(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"1\r\n \r\n",
            0.4,
        ),
    ],
    ids=["body-byte-by-byte", "headers-byte-by-byte", "chunks-byte-by-byte"],
)
def test_timeout_bounds_the_whole_answer(raw_server, make_client, ca_bundle, script):
    server = raw_server(script)
    hook = _hook_on(make_client, ca_bundle, server.port, timeout=1.5, retries=False)
    started = time.monotonic()
    with pytest.raises(SignalWireAPIError, match="timed out: no complete answer .* within the 1.5 s timeout"):
        hook.request("GET", ROOMS)
    elapsed = time.monotonic() - started
    assert 1.2 < elapsed < 3.0, elapsed  # about the timeout, not timeout-per-byte


def test_an_endless_answer_fails_clearly_with_flat_memory(raw_server, make_client, ca_bundle):
    def endless(conn: ssl.SSLSocket) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"[" + b"1," * 32_000
        framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        for _ in range(10_000):  # up to ~640 MB if nobody stops reading
            conn.sendall(framed)

    def small(conn: ssl.SSLSocket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")

    # One small call first, so what is measured is reading the answer, not the first call's one-time
    # costs in this worker (lazy imports, the connection lookup: on Airflow 2.11 that alone was ~2 MB).
    warm = _hook_on(make_client, ca_bundle, raw_server(small).port, retries=False)
    assert warm.request("GET", ROOMS) == {}
    server = raw_server(endless)
    cap = 2 * 1024 * 1024
    hook = _hook_on(
        make_client, ca_bundle, server.port, retries=False, hook_kwargs={"max_response_bytes": cap}
    )
    tracemalloc.start()
    try:
        with pytest.raises(SignalWireAPIError, match=f"larger than {cap} bytes"):
            hook.request("GET", ROOMS)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * cap, peak


def test_a_small_content_length_with_an_endless_chunked_body_is_refused(raw_server, make_client, ca_bundle):
    """Both framings at once (request smuggling's shape): a small Content-Length must not let an endless
    chunked body through the size cap."""

    def both(conn: ssl.SSLSocket) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"[" + b"1," * 32_000
        framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        with contextlib.suppress(OSError):
            for _ in range(2_000):  # ~128 MB if nobody stops reading
                conn.sendall(framed)

    cap = 1024 * 1024
    hook = _hook_on(
        make_client, ca_bundle, raw_server(both).port, retries=False, hook_kwargs={"max_response_bytes": cap}
    )
    # requests/urllib3 ignore the Content-Length and the cap stops the chunks; aiohttp refuses the answer.
    with pytest.raises(SignalWireAPIError, match=f"larger than {cap} bytes|connection was dropped"):
        hook.request("GET", ROOMS)


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_small_compressed_answer_that_inflates_past_the_cap_is_refused(
    raw_server, make_client, ca_bundle, encoding
):
    """Content-Length counts the compressed bytes: the cap must hold for what they inflate to."""
    import zlib

    inflated = b"[" + b"1," * (3 * 1024 * 1024) + b"1]"  # ~6 MB of JSON
    packer = zlib.compressobj(9, zlib.DEFLATED, 31 if encoding == "gzip" else 15)
    body = packer.compress(inflated) + packer.flush()  # a few KB

    def bomb(conn: ssl.SSLSocket) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Encoding: {encoding}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )

    cap = 1024 * 1024
    assert len(body) < cap < len(inflated)
    hook = _hook_on(
        make_client, ca_bundle, raw_server(bomb).port, retries=False, hook_kwargs={"max_response_bytes": cap}
    )
    with pytest.raises(SignalWireAPIError, match=f"larger than {cap} bytes"):
        hook.request("GET", ROOMS)


def test_an_announced_huge_answer_is_refused_before_reading(raw_server, make_client, ca_bundle):
    sent = threading.Event()

    def huge(conn: ssl.SSLSocket) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 999999999999\r\n\r\n["
        )
        sent.set()
        time.sleep(2)

    server = raw_server(huge)
    hook = _hook_on(make_client, ca_bundle, server.port, retries=False)
    with pytest.raises(SignalWireAPIError, match=r"larger than 67108864 bytes \(999999999999 announced\)"):
        hook.request("GET", ROOMS)
    assert sent.is_set()


def test_a_second_host_named_by_next_links_never_sees_a_request(make_client, httpsserver, ca_bundle, tls_ca):
    """The attacker's server is real and would accept our TLS: it must still receive nothing."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls_ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    evil = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    evil.expect_request("/api/video/rooms").respond_with_json({"data": [{"id": "evil"}], "links": {}})
    evil.start()
    try:
        e = f"127.0.0.1:{evil.port}"
        links = [
            f"http:@{e}/api/video/rooms?page_token=a",
            f"https:@{e}/api/video/rooms?page_token=b",
            f"x:@{e}/api/video/rooms?page_token=c",
            f"//{e}/api/video/rooms?page_token=d",
            f"HTTPS://{e}/api/video/rooms?page_token=e",
            f"https://127.0.0.1:{httpsserver.port}@{e}/api/video/rooms?page_token=f",
            f"/\\{e}/api/video/rooms?page_token=g",
        ]
        for link in links:
            httpsserver.clear()
            httpsserver.expect_request(ROOMS).respond_with_json(
                {"data": [{"id": "r1"}], "links": {"next": link}}
            )
            hook = _hook_on(make_client, ca_bundle, httpsserver.port, retries=False)
            with contextlib.suppress(SignalWireAPIError):
                hook.listing(ROOMS)
        assert evil.log == [], [req.url for req, _ in evil.log]
    finally:
        evil.clear()
        evil.stop()


def test_a_host_that_does_not_resolve_says_so(make_client):
    hook = make_client(conn={"host": "no-such-space.invalid", "extra": {"timeout": 5}, "retries": False})
    with pytest.raises(SignalWireAPIError, match="no-such-space.invalid does not resolve") as caught:
        hook.request("GET", ROOMS)
    assert caught.value.failure_kind == "dns" and caught.value.status_code is None


def test_a_refused_connection_says_so(make_client):
    port = closed_port()
    hook = make_client(conn={"host": f"https://127.0.0.1:{port}", "retries": False})
    with pytest.raises(SignalWireAPIError, match=f"127.0.0.1:{port} refused the connection") as caught:
        hook.request("GET", ROOMS)
    assert caught.value.failure_kind == "refused"


def test_a_certificate_from_another_ca_says_tls(make_client, httpsserver, tmp_path):
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    httpsserver.expect_request(ROOMS).respond_with_json({"data": []})
    hook = make_client(
        conn={
            "host": f"https://127.0.0.1:{httpsserver.port}",
            "extra": {"verify": str(other), "max_retries": 3},
        }
    )
    with pytest.raises(SignalWireAPIError, match="TLS/certificate verification failed") as caught:
        hook.request("GET", ROOMS)
    assert caught.value.attempts == 1 and hook.slept == [] and caught.value.failure_kind == "tls"


def test_keep_alive_survives_the_deadline_reader(raw_server, make_client, ca_bundle):
    """The deadline and size checks read whole answers, so the connection goes back to the pool."""
    answers = []

    server = raw_server(_keep_alive(answers))
    hook = _hook_on(make_client, ca_bundle, server.port)
    for _ in range(5):
        assert hook.request("GET", ROOMS) == {"data": []}
    assert len(answers) == 5 and server.connections == 1


def test_a_paging_loop_on_a_real_server_stops(make_client, httpsserver, ca_bundle):
    calls = []

    def handler(request: Request) -> Response:
        calls.append(request.full_path)
        n = len(calls)
        return Response(
            f'{{"data": [{{"id": "same"}}], "links": {{"next": "{ROOMS}?page_token=t{n}&nonce={n}"}}}}',
            content_type="application/json",
        )

    httpsserver.expect_request(ROOMS).respond_with_handler(handler)
    hook = _hook_on(make_client, ca_bundle, httpsserver.port)
    with pytest.raises(SignalWirePaginationError, match="loop"):
        hook.listing(ROOMS)
    assert len(calls) == 2
    assert TOKEN not in "".join(calls)


def test_async_hooks_on_one_loop_share_one_connection(raw_server, make_client, ca_bundle, transport):
    """Triggers in one triggerer share the session: one TLS handshake, not one per poll or per hook."""

    server = raw_server(_keep_alive())
    hooks = [_hook_on(make_client, ca_bundle, server.port) for _ in range(3)]
    for _ in range(4):
        for hook in hooks:
            hook.request("GET", ROOMS)
    # The sync hook keeps one session per hook (per task); the async one per space and event loop.
    assert server.connections == (1 if transport == "async" else 3)
