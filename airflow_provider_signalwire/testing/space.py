"""FakeSignalWireSpace: an offline SignalWire space on two local HTTPS servers."""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import shutil
import socket
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from airflow_provider_signalwire.testing.clock import FakeClock
from airflow_provider_signalwire.testing.core import Backend, SpaceCore
from airflow_provider_signalwire.testing.families import backend_classes
from airflow_provider_signalwire.testing.faults import Fault
from airflow_provider_signalwire.testing.fax.models import FaxBackend, FaxFailure
from airflow_provider_signalwire.testing.logs.models import LOG_KINDS, LogsBackend
from airflow_provider_signalwire.testing.media.models import MediaBackend
from airflow_provider_signalwire.testing.messaging.models import Failure, MessagingBackend
from airflow_provider_signalwire.testing.records import Table
from airflow_provider_signalwire.testing.request_log import RecordedRequest
from airflow_provider_signalwire.testing.video.models import VideoBackend
from airflow_provider_signalwire.testing.voice.models import VoiceBackend

log = logging.getLogger(__name__)


def _bind(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


class FakeSignalWireSpace:
    """An offline SignalWire space for tests, demos and local development.

    Two real HTTPS servers on 127.0.0.1 with certificates from a throwaway ``trustme``
    CA: the API (``base_url``) and a media host (``media_base_url``, reached as
    ``localhost``) serving room-recording downloads without authentication.  Shapes,
    paging and error bodies follow SignalWire's OpenAPI specs; state lives in memory.

    Use as a context manager, or call :meth:`start` / :meth:`stop`::

        with FakeSignalWireSpace(seed="demo") as space:
            conn_json = space.airflow_conn_json()

    ``seed="demo"`` fills every family: rooms with sessions and recordings, messages, calls
    and logs of every kind.  ``clock`` (a :class:`FakeClock`) drives message / call status
    progression.

    State lives in one backend per API family (``backends["video"]``, ``["messaging"]``,
    ``["voice"]``, ``["logs"]``; see :mod:`airflow_provider_signalwire.testing.families`).
    """

    def __init__(self, seed: str | None = None, *, clock: FakeClock | None = None) -> None:
        if seed not in SEEDS:
            raise ValueError(f"seed: unknown seed {seed!r}; expected one of {SEEDS}")
        self.project_id = str(uuid.uuid4())
        self.clock = clock or FakeClock()
        self._core = SpaceCore(self.project_id, self.clock)
        self.api_token = self._core.tokens.add(name="fake space token")
        for cls in backend_classes():
            self._core.backends[cls.name] = cls(self._core)
        self._seed = seed
        self._tmpdir: str | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[Any] = []
        self._port = 0
        self._media_port = 0
        self.ca_bundle = ""

    # ----------------------------------------------------------- lifecycle
    def start(self, port: int = 0) -> FakeSignalWireSpace:
        """Start both servers (returns once they accept connections, well under a second).

        ``port``: the API port (default: a free one); the media port is always free-picked.
        """
        if self._thread is not None:
            return self
        import trustme
        import uvicorn

        from airflow_provider_signalwire.testing.app import build_api_app, build_media_app

        self._tmpdir = tempfile.mkdtemp(prefix="fake-signalwire-")
        # Removed at interpreter exit even if stop() is never called; `serve` and `demo` turn SIGTERM
        # and SIGINT into a normal exit, so an interrupted process leaves no files behind either.
        atexit.register(self._remove_files)
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        tmp = Path(self._tmpdir)
        self.ca_bundle = str(tmp / "ca.pem")
        ca.cert_pem.write_to_path(self.ca_bundle)
        cert_file, key_file = tmp / "server.pem", tmp / "server.key"
        cert.private_key_pem.write_to_path(str(key_file))
        cert_file.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))

        api_sock, media_sock = _bind(port), _bind()
        self._port = api_sock.getsockname()[1]
        self._media_port = media_sock.getsockname()[1]
        self._core.base_url = self.base_url
        self._core.media_base_url = self.media_base_url

        def config(app: Any) -> Any:
            return uvicorn.Config(
                app,
                ssl_certfile=str(cert_file),
                ssl_keyfile=str(key_file),
                http="h11",
                loop="asyncio",
                lifespan="off",
                log_level="warning",
                access_log=False,
                timeout_graceful_shutdown=1,
                timeout_keep_alive=5,
            )

        api_server = uvicorn.Server(config(build_api_app(self._core)))
        media_server = uvicorn.Server(config(build_media_app(self._core)))
        self._servers = [api_server, media_server]
        errors: list[BaseException] = []

        async def serve() -> None:
            await asyncio.gather(api_server.serve([api_sock]), media_server.serve([media_sock]))

        def run() -> None:
            try:
                asyncio.run(serve())
            except BaseException as exc:  # reported by start()
                errors.append(exc)
            finally:
                api_sock.close()
                media_sock.close()

        self._thread = threading.Thread(target=run, name="fake-signalwire", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not all(s.started for s in self._servers):
            if errors or not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"fake SignalWire space failed to start: {errors!r}")
            time.sleep(0.005)
        # Both servers hold the certificate and key in their SSL contexts now: the private key stays on
        # disk for the start-up only (the CA's key never touches it). ca.pem is public: clients need it.
        cert_file.unlink(missing_ok=True)
        key_file.unlink(missing_ok=True)
        if self._seed:
            self._apply_seed(self._seed)
        return self

    def stop(self) -> None:
        """Stop both servers (force-closing idle keep-alive connections) and remove the temp CA."""
        for server in self._servers:
            server.should_exit = True
            server.force_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            if self._thread.is_alive():  # pragma: no cover
                log.warning("fake SignalWire servers did not stop within 10 s")
        self._thread = None
        self._servers = []
        self._remove_files()

    def _remove_files(self) -> None:
        """Remove the temp folder of the CA bundle and server key (idempotent; also run at exit)."""
        atexit.unregister(self._remove_files)
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> FakeSignalWireSpace:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -------------------------------------------------------------- access
    @property
    def base_url(self) -> str:
        """``https://127.0.0.1:<port>`` (no trailing slash)."""
        return f"https://127.0.0.1:{self._port}"

    @property
    def port(self) -> int:
        return self._port

    @property
    def media_base_url(self) -> str:
        """``https://localhost:<other port>``: the recording download host (no auth)."""
        return f"https://localhost:{self._media_port}"

    @property
    def relative_links(self) -> bool:
        """When true, ``/api/*`` list ``links`` are relative (``/api/...?...``), not absolute."""
        return self._core.relative_links

    @relative_links.setter
    def relative_links(self, value: bool) -> None:
        self._core.relative_links = bool(value)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Requests received by the API server, oldest first (a snapshot copy)."""
        return self._core.requests.snapshot()

    @property
    def media_requests(self) -> list[RecordedRequest]:
        """Requests received by the media server, oldest first (a snapshot copy)."""
        return self._core.media_requests.snapshot()

    @property
    def backends(self) -> dict[str, Backend]:
        """The family backends by name (for advanced tests: typed records, tables)."""
        return dict(self._core.backends)

    @property
    def state(self) -> StateView:
        """Snapshots of every table in the API shape: ``space.state.rooms`` is ``{id: room}``."""
        return StateView(self._core)

    def airflow_conn_uri(self) -> str:
        """``signalwire://<project>:<token>@127.0.0.1:<port>/?verify=<ca path>``."""
        return (
            f"signalwire://{quote(self.project_id, safe='')}:{quote(self.api_token, safe='')}"
            f"@127.0.0.1:{self._port}/?verify={quote(self.ca_bundle, safe='')}"
        )

    def airflow_conn_json(self) -> str:
        """The connection as Airflow's JSON form (``AIRFLOW_CONN_...`` value)."""
        return json.dumps(
            {
                "conn_type": "signalwire",
                "host": self.base_url,
                "login": self.project_id,
                "password": self.api_token,
                "extra": {"verify": self.ca_bundle},
            }
        )

    # ------------------------------------------------------------ controls
    def add_token(
        self, scopes: tuple[str, ...] | list[str] = ("messaging",), name: str = "test token"
    ) -> str:
        """Create an extra API token limited to ``scopes`` (lower-case names) and return it.

        Such tokens survive :meth:`reset`, which restores them as made even if a test changed or
        deleted them through the API.
        """
        return self._core.tokens.add(scopes, name)

    def api_tokens(self) -> list[dict[str, Any]]:
        """Every API token of the space, oldest first: ``{"id", "name", "permissions", "created_at"}``
        (never the value).  The real API cannot list tokens; tests use this to see what a task left."""
        return self._core.tokens.listing()

    def token_id(self, token: str) -> str | None:
        """The id of the API token with this value (``space.token_id(space.api_token)``), or None once
        it is deleted."""
        return self._core.tokens.id_of(token)

    def inject_fault(
        self,
        path_prefix: str,
        kind: str,
        count: int = 1,
        *,
        method: str | None = None,
        retry_after: str | None = None,
        delay: float = 0.0,
    ) -> None:
        """Make the next ``count`` requests whose path starts with ``path_prefix`` fail.

        ``kind``: ``"429"`` (adds ``Retry-After: <retry_after>`` if given), ``"500"``,
        ``"502"``, ``"503"``, ``"504"`` (family-shaped error bodies), ``"drop"`` (the
        connection is aborted after the request is read, no response bytes) or
        ``"delay"`` (sleep ``delay`` seconds, then answer normally).  ``method``
        restricts it to one HTTP method.  Works on both servers (media paths start
        with ``/recordings``).  Bad values (``count`` below 1, a negative ``delay``, an
        unknown ``kind``) raise ValueError naming the argument.
        """
        self._core.faults.append(Fault(path_prefix, str(kind), count, method, retry_after, delay))

    def fail_next_message(
        self, status: str = "failed", *, error_code: str | None = None, error_message: str | None = None
    ) -> None:
        """Make the next created message end ``failed`` or ``undelivered`` (after being queued)."""
        self._core.backend(MessagingBackend).fail_next(Failure(status, error_code, error_message))

    def fail_next_fax(
        self, status: str = "failed", *, error_code: str | None = None, error_message: str | None = None
    ) -> None:
        """Make the next sent fax end ``failed``, ``busy`` or ``no-answer`` (after queued, processing,
        sending)."""
        self._core.backend(FaxBackend).fail_next(FaxFailure(status, error_code, error_message))

    def fail_next_call(self, status: str = "failed") -> None:
        """Make the next created call end ``failed``, ``busy``, ``no-answer`` or ``canceled``."""
        self._core.backend(VoiceBackend).fail_next(status)

    def reset(self) -> None:
        """Forget all resources, faults, pending failures and logged requests.

        Tokens made by the controls (``api_token`` and :meth:`add_token`'s) are kept and restored as
        made; tokens created through the API are forgotten.  The clock and ``relative_links`` are kept;
        the clock is not rewound.
        """
        self._core.reset()

    # ------------------------------------------------------------- seeding
    def seed_rooms(self, n: int) -> list[dict[str, Any]]:
        """Create ``n`` rooms named ``seeded-room-<k>`` and return them (API shape).

        Room ``k`` is scheduled to open ``k`` hours from now (``join_from``) for an hour.
        """
        return [r.render() for r in self._core.backend(VideoBackend).seed_rooms(n)]

    def seed_sessions(self, n: int, recordings_per_session: int = 1) -> list[dict[str, Any]]:
        """Create ``n`` completed room sessions (2 members, events, recordings) and return them.

        Sessions are spread over the existing rooms (one room is created if none exist).
        Each recording's ``uri`` points at the media server.
        """
        sessions = self._core.backend(VideoBackend).seed_sessions(n, recordings_per_session)
        return [s.render() for s in sessions]

    def add_completed_recording(self, finished_at: datetime | None = None) -> dict[str, Any]:
        """Record a 20-minute room session whose recording completes at ``finished_at`` (default: now,
        on the fake clock) and return the recording (API shape).  One room is created if none exist."""
        video = self._core.backend(VideoBackend)
        with video.lock:
            rooms = sorted(video.rooms, key=lambda r: r.order) or video.seed_rooms(1)
            when = finished_at or self.clock.now()
            session = video.create_session(rooms[0], ended_at=when)
            recording = video.recordings.find(lambda r: r.room_session_id == session.id)
        assert recording is not None
        return recording.render()

    def receive_message(
        self, from_: str = "+15557650000", to: str = "+15551230000", body: str = "Hello"
    ) -> dict[str, Any]:
        """Deliver an inbound message from ``from_`` to the space's number ``to`` (status ``received``,
        sent now on the fake clock) and return it (Compatibility API shape)."""
        return self._core.backend(MessagingBackend).receive_message(from_, to, body).render()

    def seed_messages(
        self, n: int, start: datetime | None = None, end: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Create ``n`` delivered Compatibility API messages sent evenly over [start, end)
        (default: the hour before now) and return them (API shape).  They show in the
        messaging logs too."""
        return [m.render() for m in self._core.backend(MessagingBackend).seed_messages(n, start, end)]

    def seed_calls(
        self, n: int, start: datetime | None = None, end: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Create ``n`` completed Compatibility API calls started evenly over [start, end)
        (default: the hour before now) and return them (API shape).  They show in the voice
        logs too."""
        return [c.render() for c in self._core.backend(VoiceBackend).seed_calls(n, start, end)]

    def seed_recordings(
        self, n: int, start: datetime | None = None, end: datetime | None = None, *, transcribe: bool = True
    ) -> list[dict[str, Any]]:
        """Create ``n`` completed calls started evenly over [start, end) (default: the hour before now),
        each with a completed recording (Compatibility API shape, returned) and, with ``transcribe``, a
        transcription.  The files are ``<recording uri without .json>.wav`` / ``.mp3`` on the space's
        host, public unless :meth:`protect_media` protects them."""
        backend = self._core.backend(MediaBackend)
        return [r.render() for r in backend.seed_recordings(n, start, end, transcribe=transcribe)]

    def seed_message_media(
        self, n: int, start: datetime | None = None, end: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Create ``n`` received MMS messages sent evenly over [start, end), each with one stored PNG, and
        return the media (API shape; the file is the ``uri`` without ``.json``)."""
        return [m.render() for m in self._core.backend(MediaBackend).seed_message_media(n, start, end)]

    def seed_faxes(
        self, n: int, start: datetime | None = None, end: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Create ``n`` faxes received by ``+12025550150`` evenly over [start, end) (default: the hour
        before now), 1 to 4 pages each, each with its PDF stored as the fax's media, and return them
        (Compatibility API shape; ``media_url`` is the PDF on the space's host)."""
        return [f.render() for f in self._core.backend(FaxBackend).seed_faxes(n, start, end)]

    def protect_media(self, kind: str = "recordings", on: bool = True) -> None:
        """Turn SignalWire's Media URL Protection on (or off) for ``kind``: ``"recordings"``,
        ``"messages"`` or ``"faxes"``. Protected files answer 401 without the project's credentials."""
        self._core.backend(MediaBackend).protect(kind, on)

    def media_file(self, uri: str) -> bytes:
        """The bytes the space serves for a recording or message media file path (for checks in tests):
        ``.../Recordings/<sid>.wav`` / ``.mp3``, ``.../Messages/<m>/Media/<sid>`` or
        ``.../Faxes/<f>/Media/<sid>``."""
        backend = self._core.backend(MediaBackend)
        name = uri.rstrip("/").rsplit("/", 1)[-1]
        if "/Recordings/" in uri:
            rec_id, _, fmt = name.partition(".")
            return backend.call_recordings.get_or_404(rec_id).content(fmt or "wav")
        if "/Faxes/" in uri:
            return self._core.backend(FaxBackend).fax_media.get_or_404(name).data
        return backend.message_media.get_or_404(name).data

    def seed_logs(self, kind: str, n: int, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Create ``n`` log entries of ``kind`` (voice, messaging, fax, video, conferences) with
        ``created_at`` spread evenly over [start, end) and return them (API shape)."""
        return [e.render() for e in self._core.backend(LogsBackend).seed_logs(kind, n, start, end)]

    def seed_logs_burst(
        self,
        kind: str,
        n: int,
        start: datetime,
        end: datetime,
        burst_start: datetime,
        burst_end: datetime,
        share: float = 0.95,
    ) -> list[dict[str, Any]]:
        """Create ``n`` log entries of ``kind``, ``share`` of them spread evenly over [burst_start,
        burst_end) and the rest over [start, end), and return them (API shape), oldest first."""
        logs = self._core.backend(LogsBackend)
        return [
            e.render() for e in logs.seed_logs_burst(kind, n, (start, end), (burst_start, burst_end), share)
        ]

    def _apply_seed(self, seed: str) -> None:
        """``demo``: something in every family, so every docs example shows data."""
        now = self.clock.now()
        self.seed_rooms(3)
        self.seed_sessions(2)
        self.seed_messages(5)
        self.seed_faxes(2)
        calls = self._core.backend(VoiceBackend).seed_calls(5)
        self._core.backend(MediaBackend).record_calls(calls[:3])
        for kind in LOG_KINDS:
            self.seed_logs(kind, 5, now - timedelta(days=2), now)


SEEDS = (None, "demo")


class StateView:
    """Read-only snapshots of the space's tables by name, each ``{id: record in API shape}``
    (``space.state.rooms``, ``.sessions``, ``.recordings``, ``.conferences``, ``.messages``,
    ``.calls``, ``.call_recordings``, ``.transcriptions``, ``.message_media``, ``.faxes``, ``.fax_media``,
    ``.entries``)."""

    def __init__(self, core: SpaceCore) -> None:
        self._core = core

    def _tables(self) -> dict[str, Table[Any]]:
        return {name: t for b in self._core.backends.values() for name, t in b.tables().items()}

    def __getattr__(self, name: str) -> dict[str, dict[str, Any]]:
        table = self._tables().get(name)
        if table is None:
            raise AttributeError(f"no table {name!r}; tables: {sorted(self._tables())}")
        return table.snapshot()

    def __dir__(self) -> list[str]:
        return sorted(self._tables())
