"""The fake SignalWire space for the distributed deployment, with a small control API beside it.

``python -m airflow_provider_signalwire.testing serve --seed demo`` runs the space in its own process but
offers no way for another process to read its request log or inject faults. This runner starts the same
``FakeSignalWireSpace(seed="demo")`` and a plain-HTTP control server on 127.0.0.1 (stdlib only) that the
distributed tests call:

- ``GET  /info``                 conn JSON, project, token, CA bundle, base URLs
- ``GET  /requests?since=N``     the API request log from index N (``/media_requests`` the media host's)
- ``POST /fault``                ``inject_fault`` (path_prefix, kind, count, method, delay, retry_after)
- ``POST /clock``                ``{"action": "freeze" | "resume" | "advance", "seconds": n}``
- ``POST /recording``            ``add_completed_recording()``
- ``POST /recordings``           ``{"n"}``: n past sessions with one completed recording each (their ids)
- ``POST /session``              an in-progress session with one recording: ``{"session_id", "recording_id"}``
- ``POST /end_session``          ``{"session_id"}``: the session and its recordings end now
- ``POST /logs``                 ``seed_logs(kind, n, start, end)`` (ISO datetimes)
- ``POST /message`` / ``/call``  create a message / a call (``fail``: the next one fails)
- ``GET  /state/<table>``        a table snapshot (``messages``, ``recordings`` ...)

Usage: ``python tests/distributed/fake_space.py --info-file build/distributed/fake.json``; runs until
SIGTERM/SIGINT. The info file is written once both servers answer.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from airflow_provider_signalwire.testing import FakeSignalWireSpace


def _record(i: int, r: Any) -> dict[str, Any]:
    return {
        "i": i,
        "server": r.server,
        "method": r.method,
        "path": r.path,
        "query": r.query,
        "body": r.body,
        "status": r.status,
        "fault": r.fault,
        "time": r.time.isoformat(),
        "has_auth": r.has_auth,
        "client": r.client,
    }


class Control:
    def __init__(self, space: FakeSignalWireSpace) -> None:
        self.space = space

    def info(self, _: dict[str, Any]) -> dict[str, Any]:
        s = self.space
        return {
            "conn": json.loads(s.airflow_conn_json()),
            "project_id": s.project_id,
            "api_token": s.api_token,
            "base_url": s.base_url,
            "media_base_url": s.media_base_url,
            "ca_bundle": s.ca_bundle,
        }

    def add_token(self, body: dict[str, Any]) -> dict[str, Any]:
        """An API token limited to ``scopes`` (survives reset): its value and id."""
        token = self.space.add_token(body.get("scopes", ["messaging"]), body.get("name", "test token"))
        return {"token": token, "id": self.space.token_id(token)}

    def fault(self, body: dict[str, Any]) -> dict[str, Any]:
        self.space.inject_fault(
            body["path_prefix"],
            str(body["kind"]),
            int(body.get("count", 1)),
            method=body.get("method"),
            retry_after=body.get("retry_after"),
            delay=float(body.get("delay", 0.0)),
        )
        return {"ok": True}

    def clear_faults(self, _: dict[str, Any]) -> dict[str, Any]:
        self.space._core.faults.clear()
        return {"ok": True}

    def clock(self, body: dict[str, Any]) -> dict[str, Any]:
        action = body["action"]
        if action == "freeze":
            self.space.clock.freeze()
        elif action == "resume":
            self.space.clock.resume(float(body.get("rate", 1.0)))
        elif action == "advance":
            self.space.clock.advance(float(body["seconds"]))
        else:
            raise ValueError(f"clock action {action!r}")
        return {"now": self.space.clock.now().isoformat()}

    def recording(self, _: dict[str, Any]) -> dict[str, Any]:
        return self.space.add_completed_recording()

    def recordings(self, body: dict[str, Any]) -> list[str]:
        """``n`` completed sessions with one recording each, dated in the past (watchers skip them)."""
        sessions = self.space.seed_sessions(int(body["n"]), 1)
        ids = {s["id"] for s in sessions}
        return [r["id"] for r in self.space.state.recordings.values() if r["room_session_id"] in ids]

    def session(self, _: dict[str, Any]) -> dict[str, Any]:
        video = self.space.backends["video"]
        with video.lock:
            rooms = sorted(video.rooms, key=lambda r: r.order) or video.seed_rooms(1)
            session = video.create_session(rooms[0], recordings=1, in_progress=True)
            recording = next(r for r in video.recordings if r.room_session_id == session.id)
        return {"session_id": session.id, "recording_id": recording.id}

    def end_session(self, body: dict[str, Any]) -> dict[str, Any]:
        video = self.space.backends["video"]
        with video.lock:
            session = video.sessions.get(body["session_id"])
            session.end = self.space.clock.now()
            for recording in video.recordings:
                if recording.room_session_id == session.id:
                    recording.end = session.end
        return {"ok": True}

    def logs(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        from datetime import datetime

        start, end = (datetime.fromisoformat(body[k]) for k in ("start", "end"))
        return self.space.seed_logs(body.get("kind", "voice"), int(body.get("n", 1)), start, end)

    def message(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("fail"):
            self.space.fail_next_message(body["fail"], error_code="30003", error_message="Unreachable")
        m = self.space.backends["messaging"].create_message(
            {"To": body.get("to", "+15551230000"), "From": body.get("from", "+15557650000"), "Body": "d"}
        )
        return {"sid": m.id}

    def call(self, body: dict[str, Any]) -> dict[str, Any]:
        c = self.space.backends["voice"].create_call(
            {"To": "+15551230000", "From": "+15557650000", "Url": "https://example.com/laml.xml"}
        )
        return {"sid": c.id}


def serve(args: argparse.Namespace) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    space = FakeSignalWireSpace(seed="demo")
    space.start(port=args.port)
    control = Control(space)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a: Any) -> None:  # quiet
            pass

        def _answer(self, status: int, payload: Any) -> None:
            data = json.dumps(payload, default=str).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            q = {k: v[-1] for k, v in parse_qs(url.query).items()}
            since = int(q.get("since", 0))
            try:
                if url.path == "/info":
                    self._answer(200, control.info({}))
                elif url.path in ("/requests", "/media_requests"):
                    log = space.requests if url.path == "/requests" else space.media_requests
                    self._answer(200, [_record(i, r) for i, r in enumerate(log) if i >= since])
                elif url.path == "/api_tokens":  # every API token, without values (the API has no list)
                    self._answer(200, space.api_tokens())
                elif url.path.startswith("/state/"):
                    self._answer(200, getattr(space.state, url.path.split("/", 2)[2]))
                else:
                    self._answer(404, {"error": url.path})
            except Exception as exc:  # reported to the test
                self._answer(500, {"error": repr(exc)})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            name = urlparse(self.path).path.strip("/")
            method = getattr(control, name, None)
            if method is None or name.startswith("_") or name == "info":
                self._answer(404, {"error": name})
                return
            try:
                self._answer(200, method(body))
            except Exception as exc:
                self._answer(500, {"error": repr(exc)})

    server = ThreadingHTTPServer(("127.0.0.1", args.control_port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    info = control.info({}) | {"control_url": f"http://127.0.0.1:{server.server_address[1]}"}
    Path(args.info_file).write_text(json.dumps(info, indent=2))
    print(f"fake space {space.base_url}, control {info['control_url']}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.shutdown()
        space.stop()
    return 0


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--info-file", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--control-port", type=int, default=0)
    raise SystemExit(serve(p.parse_args()))
