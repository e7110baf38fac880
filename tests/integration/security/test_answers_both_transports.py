"""The unit tables of echoed secrets and malformed answers, over real HTTPS, on both transports."""

from __future__ import annotations

import contextlib
import json
import pickle
import re

import pytest
import trustme
from werkzeug import Response

from airflow_provider_signalwire.exceptions import (
    SignalWireAPIError,
    SignalWireConfigError,
    SignalWirePaginationError,
)
from tests.fixtures import TOKEN
from tests.unit.security.test_echoed_secrets import BASIC, ECHOES
from tests.unit.security.test_malformed_answers import SPACE_URL_TYPOS
from tests.unit.security.test_origin import HOSTILE_LINKS

ROOMS = "/api/video/rooms"


@pytest.fixture
def client(make_client, httpsserver, ca_bundle):
    def _make(**hook_kwargs):
        conn = {
            "host": f"https://127.0.0.1:{httpsserver.port}",
            "extra": {"verify": ca_bundle},
            "retries": False,
        }
        return make_client(conn=conn, **hook_kwargs)

    return _make


def _respond(httpsserver, answer: dict) -> None:
    status = answer.get("status_code", 200)
    reason = answer.get("reason")
    if "json" in answer:
        body, content_type = json.dumps(answer["json"]), "application/json"
    else:
        body, content_type = answer.get("text", ""), "text/plain"
    headers = {"Content-Type": content_type, **answer.get("headers", {})}
    response = Response(body, headers=headers)
    response.status = f"{status} {reason}" if reason else status
    httpsserver.expect_request(ROOMS).respond_with_response(response)


@pytest.mark.parametrize("answer", list(ECHOES.values()), ids=list(ECHOES))
def test_an_echoed_secret_never_reaches_the_exception(client, httpsserver, answer):
    _respond(httpsserver, answer)
    with pytest.raises(SignalWireAPIError) as caught:
        client().request("GET", ROOMS)
    err = caught.value
    texts = [str(err), repr(err), json.dumps(err.errors), str(err.request_id), str(err.reason), str(err.hint)]
    texts.append(pickle.dumps(err).decode("latin-1"))
    for text in texts:
        assert TOKEN not in text and BASIC not in text, text


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deep"),
        ('{"data": [1, 2', "does not parse"),
        ("not json", "does not parse"),
    ],
    ids=["deep", "truncated", "not-json"],
)
def test_a_2xx_answer_that_is_not_json_fails_the_call(client, httpsserver, body, match):
    httpsserver.expect_request(ROOMS).respond_with_data(body, content_type="application/json")
    with pytest.raises(SignalWireAPIError, match=match) as caught:
        client().request("GET", ROOMS)
    assert len(str(caught.value)) < 600


def test_an_error_body_with_thousands_of_entries_gives_a_short_message(client, httpsserver):
    errors = [{"code": f"e{i}", "message": "m" * 500} for i in range(20_000)]
    httpsserver.expect_request(ROOMS).respond_with_json({"errors": errors}, status=422)
    with pytest.raises(SignalWireAPIError) as caught:
        client().request("GET", ROOMS)
    assert len(str(caught.value)) < 1200 and "and 19997 more errors" in str(caught.value)


@pytest.mark.parametrize("link", [42, ["/api/video/rooms"], {"href": "x"}])
def test_a_next_link_that_is_not_a_string(client, httpsserver, link):
    httpsserver.expect_request(ROOMS).respond_with_json({"data": [{"id": "r1"}], "links": {"next": link}})
    with pytest.raises(SignalWirePaginationError, match="not a string"):
        client().listing(ROOMS)


def test_a_page_served_again_behind_a_new_link_stops(client, httpsserver):
    calls = []

    def handler(request):
        calls.append(1)
        n = len(calls)
        return Response(
            json.dumps({"data": [{"id": "a"}], "links": {"next": f"{ROOMS}?page_token=t{n}&nonce={n}"}}),
            content_type="application/json",
        )

    httpsserver.expect_request(ROOMS).respond_with_handler(handler)
    with pytest.raises(SignalWirePaginationError, match="loop"):
        client().listing(ROOMS)
    assert len(calls) == 2


def test_the_verify_extra_wins_over_ca_variables_in_the_environment(
    client, httpsserver, monkeypatch, tmp_path
):
    other = tmp_path / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.setenv(name, str(other))
    httpsserver.expect_request(ROOMS).respond_with_json({"data": []})
    assert client().request("GET", ROOMS) == {"data": []}


def test_verify_true_trusts_what_requests_trusts(make_client, httpsserver, ca_bundle, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca_bundle)
    httpsserver.expect_request(ROOMS).respond_with_json({"data": []})
    conn = {"host": f"https://127.0.0.1:{httpsserver.port}", "retries": False}
    assert make_client(conn=conn).request("GET", ROOMS) == {"data": []}


@pytest.mark.parametrize("link", HOSTILE_LINKS)
def test_every_hostile_next_link_stays_on_the_space(client, httpsserver, link):
    """The unit table of hostile links, on both transports: a refusal, or a request to this server only."""
    served = []

    def handler(request):
        served.append(request.full_path)
        if len(served) == 1:
            return Response(
                json.dumps({"data": [{"id": "r0"}], "links": {"next": link}}), content_type="application/json"
            )
        return Response(
            json.dumps({"data": [{"id": f"r{len(served)}"}], "links": {}}), content_type="application/json"
        )

    httpsserver.expect_request(re.compile("/.*")).respond_with_handler(handler)
    with contextlib.suppress(SignalWirePaginationError):  # the link was refused: nothing sent for it
        client().listing(ROOMS)
    # Otherwise the second page came from this server: no connection was tried anywhere else (that
    # would have been a transport error: DNS, refused, TLS).
    assert 1 <= len(served) <= 2


@pytest.mark.parametrize(("host", "match"), SPACE_URL_TYPOS)
def test_space_url_typos_are_refused_on_both_transports(make_client, host, match):
    with pytest.raises(SignalWireConfigError, match=match):
        make_client(conn={"host": host}).request("GET", ROOMS)
