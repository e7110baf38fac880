"""Over real HTTPS, on both transports: no cookie is kept between requests or connections, and no piece
of a secret echoed by the server reaches an exception, wherever the server cuts or places it."""

from __future__ import annotations

import json

import pytest
from werkzeug import Request, Response

from airflow_provider_signalwire.exceptions import SignalWireAPIError
from tests.fixtures import TOKEN
from tests.unit.security.test_partial_secrets import (
    FIELDS,
    LIMITS,
    PUNCT_TOKEN,
    exception_texts,
    fragments_in,
)

ROOMS = "/api/video/rooms"
OTHER_TOKEN = "PT" + "fedcba9876543210" * 3


@pytest.fixture
def client(make_client, httpsserver, ca_bundle):
    def _make(token: str = TOKEN, conn_id: str = "signalwire_test"):
        conn = {
            "host": f"https://127.0.0.1:{httpsserver.port}",
            "password": token,
            "conn_id": conn_id,
            "extra": {"verify": ca_bundle},
            "retries": False,
        }
        return make_client(conn=conn)

    return _make


def test_a_cookie_set_for_one_connection_is_never_sent_again(client, httpsserver):
    """The server sets a cookie on every answer; no request, on this or another connection to the same
    space (another token), ever carries one back."""
    seen: list[tuple[str | None, str | None]] = []

    def handler(request: Request) -> Response:
        seen.append((request.headers.get("Authorization"), request.headers.get("Cookie")))
        response = Response(json.dumps({"data": []}), content_type="application/json")
        response.set_cookie("session", f"s{len(seen)}", path="/", secure=True)
        response.set_cookie("sticky", "lb-1", path="/api")
        return response

    httpsserver.expect_request(ROOMS).respond_with_handler(handler)
    first, second = client(TOKEN, "sw_first"), client(OTHER_TOKEN, "sw_second")
    for hook in (first, second, first, second):
        assert hook.request("GET", ROOMS) == {"data": []}
    assert len(seen) == 4
    assert len({authorization for authorization, _ in seen}) == 2  # two connections, one space
    assert [cookie for _, cookie in seen] == [None, None, None, None]


def _respond(httpsserver, answer: dict) -> None:
    headers = {**answer.get("headers", {})}
    if answer.get("content_type"):
        headers["Content-Type"] = answer["content_type"]
    response = Response(answer["body"], headers=headers)
    response.status = f"{answer['status']} {answer['reason']}" if answer.get("reason") else answer["status"]
    httpsserver.expect_request(ROOMS).respond_with_response(response)


INTEGRATION_FIELDS = [
    "reason phrase",
    "header x-request-id",
    "header cf-ray",
    "errors[].message",
    "errors[].attribute",
    "compat more_info",
    "json escaped slashes",
    "json all unicode-escaped",
    "plain text body",
    "html body",
    "location header",
]


@pytest.mark.parametrize("token", [TOKEN, PUNCT_TOKEN], ids=["plain", "punct"])
@pytest.mark.parametrize("field", INTEGRATION_FIELDS)
def test_a_secret_across_every_cut_never_reaches_the_exception(client, httpsserver, field, token):
    hook = client(token)
    # 12 characters of the secret before each cut, and 12 after it (the shortest pieces that matter).
    for limit in LIMITS:
        for before in (12, len(token) - 12):
            value = "x" * (limit - 3 - before) + token + "y" * 20
            httpsserver.clear()
            _respond(httpsserver, FIELDS[field](value))
            with pytest.raises(SignalWireAPIError) as caught:
                hook.request("GET", ROOMS)
            text = "\n".join(exception_texts(caught.value))
            assert not fragments_in(text, token), (limit, before, text[:2000])
