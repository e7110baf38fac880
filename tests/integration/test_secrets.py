"""The API token never reaches a log line, an exception, a repr or XCom.

Airflow's loggers write straight to stdout through structlog, and the log level is fixed when airflow
is imported, so the sweep runs in a fresh interpreter with DEBUG on (urllib3 included) and captures
its whole stdout and stderr.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap

from werkzeug import Request, Response

from tests.fixtures import PROJECT, TOKEN

SCRIPT = textwrap.dedent(
    """
    import json, logging, os, sys
    logging.getLogger("urllib3").setLevel(logging.DEBUG)
    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook
    from airflow_provider_signalwire.operators.api import SignalWireAPIOperator
    from airflow_provider_signalwire.operators.video import ListVideoRoomsOperator
    logging.getLogger("urllib3").setLevel(logging.DEBUG)

    hook = SignalWireHook(retry_backoff=0.01)
    seen = []
    seen.append(repr(hook)); seen.append(repr(hook.settings)); seen.append(str(hook.__dict__))
    seen.append(json.dumps(SignalWireAPIOperator(task_id="a", path="/api/video/rooms").execute({})))
    seen.append(json.dumps(ListVideoRoomsOperator(task_id="b").execute({})))
    for call in (
        lambda: hook.request("POST", "/api/video/rooms", json={"name": "x"}),   # 500, not retried
        lambda: hook.request("GET", "/api/unauthorized"),                       # 401
        lambda: list(hook.paginate("/api/loop")),                               # paging loop
    ):
        try:
            call()
        except Exception as err:
            seen.append(str(err)); seen.append(repr(err)); seen.append(str(err.__dict__))
    seen.append(str(hook.test_connection()))
    bad = SignalWireHook(signalwire_conn_id="wrong_token")
    seen.append(str(bad.test_connection()))
    print("SEEN:" + json.dumps(seen))
    """
)


def test_token_never_logged_raised_or_returned(httpsserver, ca_bundle, tmp_path):
    base = f"https://127.0.0.1:{httpsserver.port}"
    httpsserver.expect_oneshot_request("/api/video/rooms", method="GET").respond_with_json(
        {"error": "slow down"}, status=429, headers={"Retry-After": "0"}
    )
    httpsserver.expect_request("/api/video/rooms", method="GET").respond_with_json(
        {"data": [{"id": "r1"}], "links": {}}
    )
    httpsserver.expect_request("/api/video/rooms", method="POST").respond_with_json(
        {"error": "boom"}, status=500
    )
    httpsserver.expect_request("/api/unauthorized").respond_with_json({"error": "Unauthorized"}, status=401)
    httpsserver.expect_request("/api/loop").respond_with_json({"data": [1], "links": {"next": "/api/loop"}})

    def account(request: Request) -> Response:
        if request.authorization is None or request.authorization.password != TOKEN:
            return Response(json.dumps({"code": 20003, "message": "Unauthorized"}), status=401)
        return Response(
            json.dumps({"sid": PROJECT, "friendly_name": "Local"}), content_type="application/json"
        )

    httpsserver.expect_request(f"/api/laml/2010-04-01/Accounts/{PROJECT}").respond_with_handler(account)
    conn = {
        "conn_type": "signalwire",
        "host": base,
        "login": PROJECT,
        "password": TOKEN,
        "extra": {"verify": ca_bundle},
    }
    env = {
        **os.environ,
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "DEBUG",
        "AIRFLOW_CONN_SIGNALWIRE_DEFAULT": json.dumps(conn),
        "AIRFLOW_CONN_WRONG_TOKEN": json.dumps({**conn, "password": TOKEN + "WRONG"}),
        "AIRFLOW_HOME": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # The sweep saw real traffic and real debug logging, or it proves nothing.
    assert "SEEN:" in result.stdout
    assert "HTTP 500" in output and "HTTP 401" in output and "repeats" in output
    assert "retry 1 of 3" in output
    assert "Connected to SignalWire space" in output
    assert "Project ID (login)" in output  # the wrong token was refused with our hint
    assert "GET /api/video/rooms" in output  # urllib3's DEBUG line made it out
    secrets = {
        TOKEN,
        base64.b64encode(f"{PROJECT}:{TOKEN}".encode()).decode(),
        base64.b64encode(f"{PROJECT}:{TOKEN}WRONG".encode()).decode(),
    }
    for secret in secrets:
        assert secret not in output
    # and the server really got the credentials, so they were in play
    assert httpsserver.log[0][0].authorization.password == TOKEN


def test_token_and_derived_header_are_masked(make_hook, monkeypatch):
    from airflow_provider_signalwire.hooks import base as signalwire

    masked = []
    monkeypatch.setattr(signalwire, "mask_secret", masked.append)
    make_hook().settings  # noqa: B018
    b64 = base64.b64encode(f"{PROJECT}:{TOKEN}".encode()).decode()
    assert TOKEN in masked and b64 in masked and f"Basic {b64}" in masked
