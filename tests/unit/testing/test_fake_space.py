"""Focused tests of the fake space's controls: faults, scopes, media host, clock, plugin, CLI."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from airflow_provider_signalwire.testing import FakeSignalWireSpace

COMPAT = "/api/laml/2010-04-01"


def get(space: FakeSignalWireSpace, path: str, token: str | None = None, **kw: Any) -> requests.Response:
    auth = (space.project_id, token or space.api_token)
    return requests.get(space.base_url + path, auth=auth, verify=space.ca_bundle, timeout=10, **kw)


def post(space: FakeSignalWireSpace, path: str, token: str | None = None, **kw: Any) -> requests.Response:
    auth = (space.project_id, token or space.api_token)
    return requests.post(space.base_url + path, auth=auth, verify=space.ca_bundle, timeout=10, **kw)


def test_import_is_cheap() -> None:
    code = (
        "import sys, airflow_provider_signalwire.testing, airflow_provider_signalwire.testing.pytest_plugin;"
        "heavy = [m for m in ('fastapi', 'uvicorn', 'trustme', 'starlette') if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_urls_and_connection_forms(signalwire_space: FakeSignalWireSpace) -> None:
    space = signalwire_space
    assert space.base_url.startswith("https://127.0.0.1:") and not space.base_url.endswith("/")
    assert space.media_base_url.startswith("https://localhost:")
    assert space.media_base_url.split(":")[-1] != space.base_url.split(":")[-1]
    assert space.api_token.startswith("PT")
    assert Path(space.ca_bundle).is_file()
    assert json.loads(os.environ["AIRFLOW_CONN_SIGNALWIRE_DEFAULT"]) == json.loads(space.airflow_conn_json())
    from airflow.models.connection import Connection

    conn = Connection(conn_id="x", uri=space.airflow_conn_uri())
    assert (conn.conn_type, conn.host, conn.port) == ("signalwire", "127.0.0.1", space.port)
    assert (conn.login, conn.password) == (space.project_id, space.api_token)
    assert conn.extra_dejson == {"verify": space.ca_bundle}


def test_start_stop_fast_and_ca_removed() -> None:
    t0 = time.monotonic()
    space = FakeSignalWireSpace().start()
    started = time.monotonic() - t0
    session = requests.Session()  # keep an idle keep-alive connection open across stop()
    assert session.get(space.base_url + "/api/video/rooms", verify=space.ca_bundle).status_code == 401
    t1 = time.monotonic()
    ca = space.ca_bundle
    space.stop()
    stopped = time.monotonic() - t1
    session.close()
    assert started < 3 and stopped < 2, (started, stopped)
    assert not Path(ca).exists()


@pytest.mark.parametrize("kind", ["500", "502", "503", "504"])
def test_5xx_faults_have_family_bodies(signalwire_space: FakeSignalWireSpace, kind: str) -> None:
    space = signalwire_space
    space.inject_fault("/api/video", kind, count=2)
    for _ in range(2):
        r = get(space, "/api/video/rooms")
        assert r.status_code == int(kind) and "error" in r.json()
    assert get(space, "/api/video/rooms").status_code == 200
    space.inject_fault(COMPAT, kind)
    body = get(space, f"{COMPAT}/Accounts/{space.project_id}").json()
    assert body["status"] == int(kind) and {"code", "message", "more_info"} <= body.keys()


def test_429_retry_after_and_method_filter(signalwire_space: FakeSignalWireSpace) -> None:
    space = signalwire_space
    space.inject_fault("/api/video/rooms", "429", method="POST", retry_after="3")
    assert get(space, "/api/video/rooms").status_code == 200  # GET not affected
    r = post(space, "/api/video/rooms", json={"name": "r1"})
    assert r.status_code == 429 and r.headers["Retry-After"] == "3"
    assert post(space, "/api/video/rooms", json={"name": "r1"}).status_code == 200
    space.inject_fault(COMPAT, "429")
    assert get(space, f"{COMPAT}/Accounts/{space.project_id}").json()["code"] == 20429


def test_drop_is_a_connection_error(signalwire_space: FakeSignalWireSpace) -> None:
    space = signalwire_space
    space.inject_fault("/api/video/rooms", "drop")
    with pytest.raises(requests.ConnectionError):
        post(space, "/api/video/rooms", json={"name": "dropped"})
    rec = space.requests[-1]
    assert rec.fault == "drop" and rec.status is None and json.loads(rec.body) == {"name": "dropped"}
    # the request was not applied, and the next one is fine
    assert get(space, "/api/video/rooms").json()["data"] == []


def test_delay_fault(signalwire_space: FakeSignalWireSpace) -> None:
    space = signalwire_space
    space.inject_fault("/api/video/rooms", "delay", delay=0.5)
    t0 = time.monotonic()
    assert get(space, "/api/video/rooms").status_code == 200
    assert time.monotonic() - t0 >= 0.5
    with pytest.raises(ValueError):
        space.inject_fault("/api", "418")


def test_scoped_tokens(signalwire_space: FakeSignalWireSpace) -> None:
    space = signalwire_space
    msg_token = space.add_token(scopes=("messaging",))
    video_token = space.add_token(scopes=("video",))
    assert get(space, "/api/messaging/logs", token=msg_token).status_code == 200
    assert get(space, "/api/video/rooms", token=msg_token).json() == {"error": "Unauthorized"}
    assert get(space, "/api/video/logs", token=msg_token).status_code == 403  # spec declares 403 here
    assert get(space, "/api/video/rooms", token=video_token).status_code == 200
    acct = f"{COMPAT}/Accounts/{space.project_id}"
    assert get(space, acct, token=video_token).status_code == 200  # any valid token
    data = {"To": "+15551230001", "From": "+15557650001", "Url": "https://e.x/a"}
    r = post(space, f"{acct}/Calls", token=msg_token, data=data)
    assert r.status_code == 401 and r.json()["status"] == 401
    with pytest.raises(ValueError):
        space.add_token(scopes=("nonsense",))


def test_request_log_redacts_credentials(signalwire_space: FakeSignalWireSpace) -> None:
    space = signalwire_space
    get(space, "/api/video/rooms", params={"page_size": "5"})
    rec = space.requests[-1]
    assert (rec.method, rec.path, rec.query, rec.status) == (
        "GET",
        "/api/video/rooms",
        {"page_size": "5"},
        200,
    )
    assert rec.headers["Authorization"] == "<redacted>" and rec.has_auth
    assert space.api_token not in repr(space.requests)


def test_request_log_tells_connections_apart(signalwire_space: FakeSignalWireSpace) -> None:
    # A keep-alive session's requests share one client address (one TLS connection); a new session
    # opens another: what the distributed load step counts per task process.
    space = signalwire_space
    auth = (space.project_id, space.api_token)
    with requests.Session() as one:
        for _ in range(3):
            one.get(space.base_url + "/api/video/rooms", auth=auth, verify=space.ca_bundle, timeout=10)
    get(space, "/api/video/rooms")
    clients = [r.client for r in space.requests]
    assert all(c and c.startswith("127.0.0.1:") for c in clients), clients
    assert clients[0] == clients[1] == clients[2] != clients[3]


def test_media_server_serves_recordings_without_auth(signalwire_space: FakeSignalWireSpace) -> None:
    space = signalwire_space
    space.seed_sessions(1)
    rec = get(space, "/api/video/room_recordings").json()["data"][0]
    r = requests.get(rec["uri"], verify=space.ca_bundle, timeout=10)
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
    assert len(r.content) == rec["size_in_bytes"]
    media = space.media_requests[-1]
    assert media.path == f"/recordings/{rec['id']}.mp4" and not media.has_auth
    # a client that (wrongly) sends credentials is visible in the log, redacted
    requests.get(rec["uri"], auth=("a", "b"), verify=space.ca_bundle, timeout=10)
    assert space.media_requests[-1].headers["authorization"] == "<redacted>"
    assert not any(r.server == "media" for r in space.requests)
    requests.delete(
        f"{space.base_url}/api/video/room_recordings/{rec['id']}",
        auth=(space.project_id, space.api_token),
        verify=space.ca_bundle,
        timeout=10,
    )
    assert requests.get(rec["uri"], verify=space.ca_bundle, timeout=10).status_code == 404


def _send_message(space: FakeSignalWireSpace) -> dict[str, Any]:
    data = {"To": "+15551230001", "From": "+15557650001", "Body": "hello"}
    r = post(space, f"{COMPAT}/Accounts/{space.project_id}/Messages", data=data)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def _fetch(space: FakeSignalWireSpace, kind: str, sid: str) -> dict[str, Any]:
    body: dict[str, Any] = get(space, f"{COMPAT}/Accounts/{space.project_id}/{kind}/{sid}").json()
    return body


def test_message_status_follows_clock(signalwire_space: FakeSignalWireSpace) -> None:
    space = signalwire_space
    space.clock.freeze()
    sid = _send_message(space)["sid"]
    assert _fetch(space, "Messages", sid)["status"] == "queued"
    space.clock.advance(1.5)
    sent = _fetch(space, "Messages", sid)
    assert sent["status"] == "sent" and sent["date_sent"]
    space.clock.advance(2)
    assert _fetch(space, "Messages", sid)["status"] == "delivered"
    log = get(space, f"/api/messaging/logs/{sid}").json()  # live messages show up in logs
    assert log["status"] == "delivered"


@pytest.mark.parametrize("status", ["failed", "undelivered"])
def test_fail_next_message(signalwire_space: FakeSignalWireSpace, status: str) -> None:
    space = signalwire_space
    space.clock.freeze()
    space.fail_next_message(status, error_code="30003")
    sid = _send_message(space)["sid"]
    space.clock.advance(10)
    msg = _fetch(space, "Messages", sid)
    assert msg["status"] == status and msg["error_code"] == "30003"
    assert _fetch(space, "Messages", _send_message(space)["sid"])["status"] == "queued"  # only the next one


def test_call_progression_failure_and_hangup(signalwire_space: FakeSignalWireSpace) -> None:
    space = signalwire_space
    space.clock.freeze()
    acct = f"{COMPAT}/Accounts/{space.project_id}"
    data = {"To": "+15551230001", "From": "+15557650001", "Url": "https://e.x/a"}
    space.fail_next_call("busy")
    busy = post(space, f"{acct}/Calls.json", data=data).json()  # ".json" suffix accepted too
    live = post(space, f"{acct}/Calls", data=data).json()
    space.clock.advance(5)
    assert _fetch(space, "Calls", busy["sid"])["status"] == "busy"
    assert _fetch(space, "Calls", live["sid"])["status"] == "in-progress"
    hung = post(space, f"{acct}/Calls/{live['sid']}", data={"Status": "completed"}).json()
    assert hung["status"] == "completed" and hung["end_time"]
    assert get(space, f"/api/voice/logs/{live['sid']}").json()["status"] == "completed"


def test_reset_clears_state(signalwire_space: FakeSignalWireSpace) -> None:
    space = signalwire_space
    space.seed_rooms(2)
    space.inject_fault("/api", "500", count=5)
    space.reset()
    assert get(space, "/api/video/rooms").json()["data"] == []
    assert len(space.requests) == 1


def test_seed_demo_fills_every_family() -> None:
    with FakeSignalWireSpace(seed="demo") as space:
        rooms = get(space, "/api/video/rooms").json()["data"]
        assert len(rooms) == 3
        # ListVideoRoomsOperator(starts_after="{{ data_interval_start }}") finds them: they open later
        since = (space.clock.now() - timedelta(days=1)).isoformat()
        assert len(get(space, "/api/video/rooms", params={"starts_after": since}).json()["data"]) == 3
        assert get(space, "/api/video/room_sessions").json()["data"]
        assert get(space, "/api/video/room_recordings").json()["data"]
        acct = f"{COMPAT}/Accounts/{space.project_id}"
        yesterday = (space.clock.now() - timedelta(days=1)).date().isoformat()
        messages = get(space, f"{acct}/Messages", params={"DateSent>": yesterday}).json()["messages"]
        assert len(messages) == 5 and {m["status"] for m in messages} == {"delivered"}
        calls = get(space, f"{acct}/Calls", params={"StartTime>": yesterday}).json()["calls"]
        assert len(calls) == 5 and {c["status"] for c in calls} == {"completed"}
        recordings = get(space, f"{acct}/Recordings").json()["recordings"]
        assert len(recordings) == 3 and {r["call_sid"] for r in recordings} < {c["sid"] for c in calls}
        assert len(get(space, f"{acct}/Transcriptions").json()["transcriptions"]) == 3
        for path, at_least in (
            ("/api/voice/logs", 10),  # 5 seeded + the 5 calls
            ("/api/messaging/logs", 10),  # 5 seeded + the 5 messages
            ("/api/fax/logs", 5),
            ("/api/video/logs", 5),
            ("/api/logs/conferences", 5),
        ):
            assert len(get(space, path).json()["data"]) >= at_least, path


def test_seed_logs_messages_and_calls() -> None:
    with FakeSignalWireSpace() as space:
        start = datetime(2023, 1, 1, tzinfo=timezone.utc)
        logs = space.seed_logs("fax", 4, start, start + timedelta(days=4))
        assert [log["created_at"][:10] for log in logs] == [
            "2023-01-01",
            "2023-01-02",
            "2023-01-03",
            "2023-01-04",
        ]
        messages = space.seed_messages(2, start, start + timedelta(hours=2))
        assert [m["date_created"] for m in messages] == [
            "Sun, 01 Jan 2023 00:00:00 +0000",
            "Sun, 01 Jan 2023 01:00:00 +0000",
        ]
        assert {m["status"] for m in messages} == {"delivered"}
        space.fail_next_call("busy")  # a pending failure is for the next created call, not seeds
        calls = space.seed_calls(3)
        assert {c["status"] for c in calls} == {"completed"} and len({c["to"] for c in calls}) == 3
        voice_ids = {log["id"] for log in get(space, "/api/voice/logs").json()["data"]}
        assert {c["sid"] for c in calls} <= voice_ids
        messaging_log = get(space, f"/api/messaging/logs/{messages[0]['sid']}").json()
        assert messaging_log["status"] == "delivered"
        assert space.seed_messages(0) == [] and space.seed_calls(0) == []


def test_state_snapshots_and_generic_reset() -> None:
    with FakeSignalWireSpace() as space:
        room = space.seed_rooms(1)[0]
        space.seed_messages(1)
        space.fail_next_message("failed")
        assert space.state.rooms == {room["id"]: room}
        assert len(space.state.messages) == 1
        with pytest.raises(AttributeError, match="rooms"):
            _ = space.state.roomz
        space.reset()
        assert all(len(table) == 0 for b in space.backends.values() for table in b.tables().values())
        assert space.state.rooms == {} and space.state.messages == {}
        sent = _send_message(space)  # the pending failure went with the reset
        space.clock.advance(10)
        assert _fetch(space, "Messages", sent["sid"])["status"] == "delivered"


def test_many_spaces_in_one_run() -> None:
    for _ in range(3):
        with FakeSignalWireSpace() as space:
            assert get(space, "/api/video/rooms").status_code == 200


def test_cli_serve() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_signalwire.testing", "serve", "--seed", "demo"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        prefix = "export AIRFLOW_CONN_SIGNALWIRE_DEFAULT="
        assert line.startswith(prefix)
        # Airflow refuses `airflow connections test` unless [core] test_connection is Enabled: say so first.
        assert proc.stdout.readline().strip() == "export AIRFLOW__CORE__TEST_CONNECTION=Enabled"
        assert proc.stdout.readline().startswith("airflow connections test signalwire_default")
        conn = json.loads(line[len(prefix) :].strip("'"))
        r = requests.get(
            conn["host"] + "/api/video/rooms",
            auth=(conn["login"], conn["password"]),
            verify=conn["extra"]["verify"],
            timeout=10,
        )
        assert r.status_code == 200 and len(r.json()["data"]) == 3
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def _lines_until(proc: subprocess.Popen[str], start: str, timeout: float = 60) -> list[str]:
    """The process's output lines up to the first that starts with ``start``; fails, never hangs."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
            if line.startswith(start):
                return

    threading.Thread(target=read, daemon=True).start()
    seen: list[str] = []
    while not (seen and seen[-1].startswith(start)):
        try:
            seen.append(lines.get(timeout=timeout))
        except queue.Empty:
            pytest.fail(f"no line starting {start!r} within {timeout:g} s; got {seen}")
    return seen


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_cli_serve_leaves_no_key_material_when_interrupted(tmp_path, signum) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # tempfile.mkdtemp() puts the CA and key here
    proc = subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_signalwire.testing", "serve"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        lines = _lines_until(proc, "# Ctrl-C to stop")
        ca_bundle = Path(
            next(line for line in lines if "CA bundle: " in line).split("CA bundle: ", 1)[1].strip()
        )
        folder = ca_bundle.parent
        assert folder.parent == tmp_path and ca_bundle.is_file()
        # The server's private key is on disk only while the servers load it; the CA's key never is.
        assert sorted(p.name for p in folder.iterdir()) == ["ca.pem"]
        proc.send_signal(signum)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert list(tmp_path.iterdir()) == []


def test_demo_leaves_no_files_when_interrupted(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["TMPDIR"] = str(tmp_path)  # the demo's AIRFLOW_HOME and the fake space's CA go here
    proc = subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_signalwire.testing", "demo"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        lines = _lines_until(proc, "Preparing a throwaway Airflow home")  # then Airflow is busy
        assert lines[0].startswith("Fake SignalWire space on "), lines
        assert len(list(tmp_path.iterdir())) == 2  # the Airflow home and the CA's folder
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert list(tmp_path.iterdir()) == []


def test_api_bodies_without_json_content_type_are_refused(signalwire_space):
    import requests

    auth = (signalwire_space.project_id, signalwire_space.api_token)
    url = f"{signalwire_space.base_url}/api/video/rooms"
    sent_as_text = requests.post(
        url,
        data='{"name": "x"}',
        auth=auth,
        verify=signalwire_space.ca_bundle,
        headers={"Content-Type": "text/plain"},
    )
    assert sent_as_text.status_code == 415 and sent_as_text.json() == {"error": "Unsupported Media Type"}
    assert signalwire_space.state.rooms == {}
    as_json = requests.post(url, json={"name": "x"}, auth=auth, verify=signalwire_space.ca_bundle)
    assert as_json.status_code == 200
