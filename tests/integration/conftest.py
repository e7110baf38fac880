from __future__ import annotations

import socket
import ssl
import struct
from collections.abc import Iterator

import pytest
import trustme
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response


@pytest.fixture(scope="session")
def tls_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_bundle(tls_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    tls_ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture(scope="session")
def tls_server(tls_ca: trustme.CA) -> Iterator[HTTPServer]:
    """A real HTTPS server on 127.0.0.1 with a throwaway CA; threaded so a slow handler blocks nothing."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls_ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context, threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def httpsserver(tls_server: HTTPServer) -> Iterator[HTTPServer]:
    tls_server.clear()
    yield tls_server
    tls_server.clear()


@pytest.fixture
def space_hook(make_hook, httpsserver, ca_bundle):
    """A hook on a connection to the local HTTPS server (CA bundle in the ``verify`` extra)."""

    def _make(**extra):
        hook_kwargs = extra.pop("hook_kwargs", None)
        return make_hook(
            host=f"https://127.0.0.1:{httpsserver.port}",
            extra={"verify": ca_bundle, **extra},
            hook_kwargs=hook_kwargs,
        )

    return _make


def reset_connection(request: Request) -> Response:
    """Handler that aborts the TCP connection (RST) after reading the request: no response at all."""
    sock = request.environ["werkzeug.socket"]
    raw = sock
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    socket.socket.close(raw)
    return Response("never sent")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(params=["sync", "async"])
def transport(request: pytest.FixtureRequest) -> str:
    """Run a contract test once per transport: a difference between the two hooks is a failure."""
    return request.param


@pytest.fixture
def make_client(transport, make_conn):
    """``make_client(hook_kwargs..., conn=dict(...))``: a sync or async client on a connection.

    Without ``conn`` the client uses ``signalwire_default`` (what the ``signalwire_space`` fixture sets).
    """
    import asyncio

    from tests.integration.clients import AsyncClient, SyncClient, close_loop

    loop = asyncio.new_event_loop() if transport == "async" else None
    clients = []

    def _make(conn: dict | None = None, **hook_kwargs):
        conn_id = make_conn(**conn) if conn is not None else "signalwire_default"
        client = (
            SyncClient(conn_id, **hook_kwargs) if loop is None else AsyncClient(conn_id, loop, **hook_kwargs)
        )
        clients.append(client)
        return client

    yield _make
    for client in clients:
        client.close()
    if loop is not None:
        close_loop(loop)
