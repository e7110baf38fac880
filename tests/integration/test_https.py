"""The hook against a real local HTTPS server: TLS, retries, timeouts, resets, paging."""

from __future__ import annotations

import json
import time

import pytest
from werkzeug import Request, Response

from airflow_provider_signalwire.exceptions import SignalWireAPIError
from tests.fixtures import PROJECT, TOKEN
from tests.integration.conftest import closed_port, reset_connection

ROOMS = "/api/video/rooms"


def counting(handler):
    calls = []

    def wrapped(request: Request) -> Response:
        calls.append(request)
        return handler(request)

    wrapped.calls = calls  # type: ignore[attr-defined]
    return wrapped


def test_tls_with_the_connections_ca_bundle(space_hook, httpsserver, monkeypatch):
    httpsserver.expect_request(ROOMS).respond_with_json({"data": [{"id": "r"}], "links": {}})
    for env in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.setenv(env, "/etc/ssl/certs/ca-certificates.crt")
    assert space_hook().request("GET", ROOMS) == {"data": [{"id": "r"}], "links": {}}
    for env in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(env)
    assert space_hook().request("GET", ROOMS)["data"] == [{"id": "r"}]
    request = httpsserver.log[0][0]
    assert request.authorization.username == PROJECT and request.authorization.password == TOKEN


def test_tls_verification_is_on_by_default(make_hook, httpsserver):
    httpsserver.expect_request(ROOMS).respond_with_json({})
    hook = make_hook(host=f"https://127.0.0.1:{httpsserver.port}", extra={"max_retries": 3})
    with pytest.raises(SignalWireAPIError) as err:
        hook.request("GET", ROOMS)
    assert "TLS/certificate" in str(err.value) and "verify" in str(err.value)
    assert hook.slept == []  # a certificate problem is not retried
    assert httpsserver.log == []


def test_verify_false_skips_the_check(make_hook, httpsserver):
    httpsserver.expect_request(ROOMS).respond_with_json({"ok": True})
    hook = make_hook(host=f"https://127.0.0.1:{httpsserver.port}", extra={"verify": "false"})
    assert hook.request("GET", ROOMS) == {"ok": True}


def test_429_with_retry_after_then_success(space_hook, httpsserver):
    httpsserver.expect_oneshot_request(ROOMS).respond_with_json(
        {"error": "Too many requests"}, status=429, headers={"Retry-After": "2"}
    )
    httpsserver.expect_request(ROOMS).respond_with_json({"data": [1], "links": {}})
    hook = space_hook()
    assert hook.request("GET", ROOMS)["data"] == [1]
    assert hook.slept == [2.0]
    assert len(httpsserver.log) == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_get_5xx_retried(space_hook, httpsserver, status):
    httpsserver.expect_oneshot_request(ROOMS).respond_with_data("upstream trouble", status=status)
    httpsserver.expect_request(ROOMS).respond_with_json({"data": [], "links": {}})
    hook = space_hook()
    hook.request("GET", ROOMS)
    assert len(httpsserver.log) == 2 and len(hook.slept) == 1


def test_post_not_retried_after_500(space_hook, httpsserver):
    handler = counting(
        lambda r: Response(json.dumps({"error": "boom"}), status=500, content_type="application/json")
    )
    httpsserver.expect_request(ROOMS, method="POST").respond_with_handler(handler)
    with pytest.raises(SignalWireAPIError, match="HTTP 500.*boom"):
        space_hook().request("POST", ROOMS, json={"name": "one"})
    assert len(handler.calls) == 1


def test_post_retried_after_503(space_hook, httpsserver):
    httpsserver.expect_oneshot_request(ROOMS, method="POST").respond_with_json({"error": "busy"}, status=503)
    httpsserver.expect_request(ROOMS, method="POST").respond_with_json({"id": "r1"}, status=201)
    assert space_hook().request("POST", ROOMS, json={"name": "one"}) == {"id": "r1"}
    assert len(httpsserver.log) == 2


def test_connection_reset_get_retried(space_hook, httpsserver):
    reset = counting(reset_connection)
    httpsserver.expect_oneshot_request(ROOMS).respond_with_handler(reset)
    httpsserver.expect_request(ROOMS).respond_with_json({"data": ["after reset"], "links": {}})
    assert list(space_hook().paginate(ROOMS)) == ["after reset"]
    assert len(reset.calls) == 1


def test_connection_reset_post_not_retried(space_hook, httpsserver):
    reset = counting(reset_connection)
    httpsserver.expect_request(ROOMS, method="POST").respond_with_handler(reset)
    with pytest.raises(SignalWireAPIError, match="dropped.*may have acted"):
        space_hook().request("POST", ROOMS, json={"name": "one"})
    assert len(reset.calls) == 1


def _slow(seconds):
    def handler(request: Request) -> Response:
        time.sleep(seconds)
        return Response(json.dumps({"data": ["slow"], "links": {}}), content_type="application/json")

    return counting(handler)


def test_read_timeout_get_retried(space_hook, httpsserver):
    slow = _slow(1.5)
    httpsserver.expect_oneshot_request(ROOMS).respond_with_handler(slow)
    httpsserver.expect_request(ROOMS).respond_with_json({"data": ["fast"], "links": {}})
    assert space_hook(timeout=0.5).request("GET", ROOMS)["data"] == ["fast"]
    assert len(slow.calls) == 1


def test_read_timeout_post_not_retried(space_hook, httpsserver):
    slow = _slow(1.5)
    httpsserver.expect_request(ROOMS, method="POST").respond_with_handler(slow)
    with pytest.raises(SignalWireAPIError, match="timed out.*not retried"):
        space_hook(timeout=0.5).request("POST", ROOMS, json={"name": "one"})
    time.sleep(1.2)  # let the slow handler finish before the server is cleared
    assert len(slow.calls) == 1


def test_connection_refused_post_retried_then_reported(make_hook):
    hook = make_hook(host=f"https://127.0.0.1:{closed_port()}", extra={"max_retries": 2})
    with pytest.raises(SignalWireAPIError, match="could not connect") as err:
        hook.request("POST", ROOMS, json={"name": "x"})
    assert err.value.attempts == 3 and len(hook.slept) == 2  # never reached the server: safe to retry


def test_paging_through_a_failing_page_yields_every_item_once(space_hook, httpsserver):
    base = f"https://127.0.0.1:{httpsserver.port}"
    pages = {
        None: {"data": [1, 2, 3], "links": {"next": f"{base}{ROOMS}?page_token=p2"}},
        "p2": {"data": [4, 5, 6], "links": {"next": f"{ROOMS}?page_token=p3"}},
        "p3": {"data": [7], "links": {"self": f"{ROOMS}?page_token=p3"}},
    }
    failed = []

    def handler(request: Request) -> Response:
        token = request.args.get("page_token")
        if token == "p2" and not failed:
            failed.append(token)
            return Response(json.dumps({"error": "hiccup"}), status=502, content_type="application/json")
        return Response(json.dumps(pages[token]), content_type="application/json")

    httpsserver.expect_request(ROOMS).respond_with_handler(handler)
    items = list(space_hook().paginate(ROOMS, page_size=3))
    assert items == [1, 2, 3, 4, 5, 6, 7]
    tokens = [r.args.get("page_token") for r, _ in httpsserver.log]
    assert tokens == [None, "p2", "p2", "p3"]  # only the failing page was fetched again


def test_http_operator_on_a_signalwire_connection(make_conn, httpsserver, ca_bundle):
    """The generic HttpOperator resolves our hook through the connection type."""
    from airflow.providers.http.operators.http import HttpOperator

    conn_id = make_conn(
        host=f"https://127.0.0.1:{httpsserver.port}",
        extra={"verify": ca_bundle, "timeout": 10, "max_retries": 1, "X-Leaky": "header?"},
    )
    httpsserver.expect_request(ROOMS).respond_with_json({"data": [{"id": "a"}], "links": {}})
    op = HttpOperator(
        task_id="generic",
        http_conn_id=conn_id,
        method="GET",
        endpoint="api/video/rooms",
        data={"page_size": 10},
        response_filter=lambda response: response.json()["data"],
    )
    assert op.execute({}) == [{"id": "a"}]
    request = httpsserver.log[0][0]
    assert request.url.startswith(f"https://127.0.0.1:{httpsserver.port}/api/video/rooms")
    assert request.authorization.username == PROJECT and request.authorization.password == TOKEN
    sent = {k.lower() for k, _ in request.headers.items()}
    assert not sent & {"x-leaky", "timeout", "verify", "max_retries"}
