"""No part of a secret comes back out: redaction runs on the whole text, before anything is shortened.

The rule: no substring of 12 characters or more of the token (or of the base64 ``Authorization``
value) appears in ``str``, ``repr``, any attribute or a pickle of an exception, nor in a log line,
wherever an answer puts the secret: any field, at any offset (so that it straddles every shortening
limit), in any encoding an answer may use (JSON ``\\uXXXX`` and ``\\/`` escapes, percent-encoding,
HTML character references). Both transports: requests-mock for the sync hook, a local aiohttp server
for the async one.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import html
import json
import logging
import pickle
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote

import pytest
import requests_mock as rm

from airflow_provider_signalwire.exceptions import SignalWireAPIError
from airflow_provider_signalwire.protocol import REQUEST_ID_HEADERS
from tests.fixtures import PROJECT, TOKEN

BASE = "https://acme.signalwire.com"
ROOMS = "/api/video/rooms"
COMPAT = f"/api/laml/2010-04-01/Accounts/{PROJECT}/Messages"
# A token may be any printable ASCII without spaces: this one has every character JSON, URLs, HTML and
# Python's repr escape.
PUNCT_TOKEN = "PT\"q\\/<&>'%41+=~!zz#;?secret-PUNCT-0123456789abcdef"
TOKENS = {"plain": TOKEN, "punct": PUNCT_TOKEN}
LIMITS = (60, 80, 120, 200, 300, 1000)  # every length the provider shortens server text to
FRAGMENT = 12


def basic_of(token: str) -> str:
    return base64.b64encode(f"{PROJECT}:{token}".encode()).decode()


@functools.lru_cache(maxsize=16)
def _windows(secret: str) -> frozenset[str]:
    return frozenset(secret[i : i + FRAGMENT] for i in range(len(secret) - FRAGMENT + 1))


def _views(text: str) -> list[str]:
    """``text`` as written and with each kind of escape undone (our own decoding, not the provider's)."""
    unescaped = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), text)
    unescaped = re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m[1], 16)), unescaped)
    unescaped = re.sub(r"\\([\\/\"'])", r"\1", unescaped)
    return [text, unescaped, unquote(text), unquote(unescaped), html.unescape(text), html.unescape(unescaped)]


def fragments_in(text: str, token: str) -> list[str]:
    """Every 12-character piece of ``token`` or of its base64 ``Authorization`` value in ``text``."""
    pieces = _windows(token) | _windows(basic_of(token))
    return sorted({p for view in _views(text) for p in pieces if p in view})


def exception_texts(err: BaseException) -> list[str]:
    texts = [str(err), repr(err), pickle.dumps(err).decode("latin-1"), str(pickle.loads(pickle.dumps(err)))]
    texts += [repr(value) for value in vars(err).values()]
    texts += [json.dumps(value, default=str) for value in vars(err).values()]
    texts += [str(arg) for arg in err.args]
    return texts


# --------------------------------------------------------------------------- how an answer may carry it


def _forms(token: str) -> dict[str, str]:
    """The secret as an answer may write it (the form, before the answer's own encoding)."""
    return {
        "as is": token,
        "basic": f"Basic {basic_of(token)}",
        "url-quoted": quote(token, safe=""),
        "html-escaped": html.escape(token),
        "json-unicode": "".join(f"\\u{ord(ch):04x}" for ch in token),
    }


def _json_answer(status: int, body: Any) -> dict[str, Any]:
    # ensure_ascii and json's "\/"-free default: the encoded body, as a server would send it.
    return {"status": status, "body": json.dumps(body), "content_type": "application/json"}


def _json_escaped_slashes(status: int, message: str) -> dict[str, Any]:
    body = json.dumps({"errors": [{"code": "x", "message": message}]}).replace("/", "\\/")
    return {"status": status, "body": body, "content_type": "application/json"}


def _all_unicode_escaped(status: int, message: str) -> dict[str, Any]:
    escaped = "".join(f"\\u{ord(ch):04x}" for ch in message)
    return {"status": status, "body": f'{{"error": "{escaped}"}}', "content_type": "application/json"}


def _header_answer(name: str, value: str) -> dict[str, Any]:
    return {"status": 500, "headers": {name: value}, "body": ""}


FIELDS: dict[str, Callable[[str], dict[str, Any]]] = {
    "reason phrase": lambda v: {"status": 418, "reason": v, "body": ""},
    **{f"header {name}": functools.partial(_header_answer, name) for name in REQUEST_ID_HEADERS},
    "errors[].message": lambda v: _json_answer(401, {"errors": [{"code": "unauthorized", "message": v}]}),
    "errors[].code": lambda v: _json_answer(400, {"errors": [{"code": v, "message": "bad"}]}),
    "errors[].attribute": lambda v: _json_answer(422, {"errors": [{"attribute": v, "message": "bad"}]}),
    "errors[].url": lambda v: _json_answer(422, {"errors": [{"url": v, "message": "bad"}]}),
    "errors[].type": lambda v: _json_answer(422, {"errors": [{"type": v, "message": "bad"}]}),
    "errors[].detail": lambda v: _json_answer(400, {"errors": [{"detail": v, "status": "400"}]}),
    "errors[].title": lambda v: _json_answer(400, {"errors": [{"title": v, "status": "400"}]}),
    "errors[] a string": lambda v: _json_answer(400, {"errors": [v]}),
    "errors[].message an object": lambda v: _json_answer(400, {"errors": [{"message": {"text": v}}]}),
    "error string": lambda v: _json_answer(400, {"error": v}),
    "error object": lambda v: _json_answer(400, {"error": {"message": v}}),
    "compat message": lambda v: _json_answer(401, {"code": 20003, "message": v, "status": 401}),
    "compat more_info": lambda v: _json_answer(401, {"code": 20003, "message": "m", "more_info": v}),
    "json without known fields": lambda v: _json_answer(500, {"oops": v}),
    "json escaped slashes": lambda v: _json_escaped_slashes(400, v),
    "json all unicode-escaped": lambda v: _all_unicode_escaped(400, v),
    "plain text body": lambda v: {"status": 502, "body": v, "content_type": "text/plain"},
    "html body": lambda v: {
        "status": 502,
        "body": f"<html><body><h1>Bad gateway</h1><pre>{html.escape(v)}</pre></body></html>",
        "content_type": "text/html",
    },
    "broken json body": lambda v: {
        "status": 400,
        "body": '{"error": "' + v,
        "content_type": "application/json",
    },
    "location header": lambda v: {
        "status": 302,
        "headers": {"Location": f"https://evil.example/{v}"},
        "body": "",
    },
}


def cut_counts(token: str) -> list[int]:
    """How many characters of the secret fall before a cut: both ends and the middle."""
    n = len(token)
    return sorted(
        {1, 2, 6, FRAGMENT - 1, FRAGMENT, FRAGMENT + 1, n // 2, n - FRAGMENT - 1, n - FRAGMENT, n - 2}
    )


def placements(form: str, token: str, cuts: list[int] | None = None) -> list[str]:
    """``form`` padded so that it straddles each shortening limit (and at the start, and alone)."""
    values = [form, f"{form} and more text after it"]
    for limit in LIMITS:
        for before in cut_counts(token) if cuts is None else cuts:
            pad = max(0, limit - 3 - before)
            values.append("x" * pad + form + "y" * 40)
    return values


# --------------------------------------------------------------------------- both transports


def _sync_error(make_hook, token: str, answer: dict[str, Any]) -> SignalWireAPIError:
    hook = make_hook(password=token, retries=False)
    headers = {**answer.get("headers", {})}
    if answer.get("content_type"):
        headers["Content-Type"] = answer["content_type"]
    with rm.Mocker(case_sensitive=True) as mock:
        mock.get(
            BASE + ROOMS,
            status_code=answer["status"],
            reason=answer.get("reason"),
            headers=headers,
            content=answer["body"].encode(),
        )
        with pytest.raises(SignalWireAPIError) as caught:
            hook.request("GET", ROOMS)
    return caught.value


class _AsyncSpace:
    """An aiohttp server on 127.0.0.1 (plain http is allowed to loopback) and the loop the async hook
    runs on; ``routes`` maps a path to the answer it gives. (aioresponses does not build responses on
    the installed aiohttp.)"""

    def __init__(self) -> None:
        from aiohttp import web
        from aiohttp.test_utils import TestServer

        self.loop = asyncio.new_event_loop()
        self.routes: dict[str, Callable[[], Any]] = {}
        self.hooks: dict[str, Any] = {}

        async def handle(request: web.Request) -> web.StreamResponse:
            answer = self.routes.get(request.path) or self.routes.get("*")
            assert answer is not None, request.path
            return answer()

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        self.server = TestServer(app, host="127.0.0.1")
        self.loop.run_until_complete(self.server.start_server())
        self.base = f"http://127.0.0.1:{self.server.port}"

    @staticmethod
    def response(answer: dict[str, Any]) -> Callable[[], Any]:
        from aiohttp import web

        headers = {**answer.get("headers", {})}
        if answer.get("content_type"):
            headers["Content-Type"] = answer["content_type"]
        return lambda: web.Response(
            status=answer["status"],
            reason=answer.get("reason"),
            headers=headers,
            body=answer["body"].encode(),
        )

    def hook(self, make_conn, token: str) -> Any:
        from airflow_provider_signalwire.hooks.signalwire_async import SignalWireAsyncHook

        if token not in self.hooks:
            conn_id = make_conn(host=self.base, password=token, retries=False, conn_id=f"c{len(self.hooks)}")
            self.hooks[token] = SignalWireAsyncHook(signalwire_conn_id=conn_id)
        return self.hooks[token]

    def error(self, make_conn, token: str, answer: dict[str, Any]) -> SignalWireAPIError:
        self.routes[ROOMS] = self.response(answer)
        with pytest.raises(SignalWireAPIError) as caught:
            self.loop.run_until_complete(self.hook(make_conn, token).request("GET", ROOMS))
        return caught.value

    def listing_error(self, make_conn, token: str, path: str) -> SignalWireAPIError:
        hook = self.hook(make_conn, token)

        async def listing() -> list[Any]:
            return [item async for item in hook.paginate(path)]

        with pytest.raises(SignalWireAPIError) as caught:
            self.loop.run_until_complete(listing())
        return caught.value

    def close(self) -> None:
        from tests.integration.clients import close_loop

        self.loop.run_until_complete(self.server.close())
        close_loop(self.loop)


@pytest.fixture
def async_space():
    space = _AsyncSpace()
    yield space
    space.close()


@pytest.fixture(params=["sync", "async"])
def transport(request):
    return request.param


@pytest.fixture
def raise_for(transport, request, make_hook, make_conn):
    """``raise_for(token, answer)``: the exception the hook of this transport raises for ``answer``."""
    if transport == "sync":
        return lambda token, answer: _sync_error(make_hook, token, answer)
    space = request.getfixturevalue("async_space")
    return lambda token, answer: space.error(make_conn, token, answer)


@pytest.mark.parametrize("token_name", list(TOKENS))
@pytest.mark.parametrize("field", list(FIELDS))
def test_no_fragment_of_the_secret_in_any_field_at_any_offset(raise_for, capfd, caplog, field, token_name):
    caplog.set_level(logging.DEBUG)
    token = TOKENS[token_name]
    tried = 0
    for form_name, form in _forms(token).items():
        # The secret as is at every cut; its encoded forms cut in their middle (the same code path).
        cuts = None if form_name == "as is" else [len(form) // 2]
        for value in placements(form, token, cuts):
            err = raise_for(token, FIELDS[field](value))
            text = "\n".join(exception_texts(err))
            found = fragments_in(text, token)
            assert not found, (form_name, len(value), found, text[:2000])
            tried += 1
    captured = capfd.readouterr()
    assert not fragments_in(captured.out + captured.err + caplog.text, token)
    assert tried >= 90


def test_the_secret_is_replaced_not_the_text_around_it(raise_for):
    err = raise_for(TOKEN, FIELDS["errors[].message"]("x" * 280 + TOKEN + " tail"))
    message = err.errors[0]["message"]
    assert message.startswith("x" * 280 + "***") and TOKEN[:FRAGMENT] not in message


@pytest.mark.parametrize("token_name", list(TOKENS))
@pytest.mark.parametrize("before", range(1, 40))
def test_every_cut_of_the_reason_phrase(raise_for, token_name, before):
    """The reported case at every offset: a token in the reason phrase across its 200-character cut."""
    token = TOKENS[token_name]
    err = raise_for(token, FIELDS["reason phrase"]("r" * (197 - before) + token))
    for text in exception_texts(err):
        assert not fragments_in(text, token), text


@pytest.mark.parametrize("before", range(1, 33))
def test_every_cut_of_the_request_id(raise_for, before):
    err = raise_for(TOKEN, FIELDS["header X-Request-Id".lower()]("q" * (117 - before) + TOKEN))
    for text in exception_texts(err):
        assert not fragments_in(text, TOKEN), text


# --------------------------------------------------------------------------- pages


def _page_error(transport, make_hook, make_conn, space, token, first, second=None, path=ROOMS):
    """The error of listing ``path`` when its first page is ``first`` and any other path answers
    ``second`` (an error answer)."""
    if transport == "sync":
        hook = make_hook(password=token, retries=False)
        with rm.Mocker(case_sensitive=True) as mock:
            if second is not None:
                mock.get(
                    re.compile(re.escape(BASE) + r"/api/.+"),
                    status_code=second["status"],
                    json=second["json"],
                )
            mock.get(BASE + path, json=first)
            with pytest.raises(SignalWireAPIError) as caught:
                list(hook.paginate(path))
        return caught.value
    space.routes.clear()
    space.routes[path] = space.response(
        {"status": 200, "body": json.dumps(first), "content_type": "application/json"}
    )
    if second is not None:
        space.routes["*"] = space.response(_json_answer(second["status"], second["json"]))
    return space.listing_error(make_conn, token, path)


LINK_LIMITS = (60, 120, 200, 300)


@pytest.mark.parametrize("token_name", list(TOKENS))
@pytest.mark.parametrize("limit", LINK_LIMITS)
def test_a_refused_next_link_that_carries_the_secret(
    make_hook, make_conn, async_space, transport, token_name, limit
):
    token = TOKENS[token_name]
    for before in cut_counts(token):
        # A backslash makes the link refused; the refusal quotes the (shortened) link.
        link = f"{ROOMS}?page_token=" + "p" * max(0, limit - 3 - before - 30) + quote(token, safe="") + "\\x"
        first = {"data": [{"id": "a"}], "links": {"next": link}}
        err = _page_error(transport, make_hook, make_conn, async_space, token, first)
        for text in exception_texts(err):
            assert not fragments_in(text, token), text


@pytest.mark.parametrize("limit", LINK_LIMITS)
def test_a_followed_next_link_that_carries_the_secret_then_fails(
    make_hook, make_conn, async_space, transport, limit
):
    for before in cut_counts(TOKEN):
        link = f"{ROOMS}/" + "n" * max(0, limit - 3 - before - len(BASE) - len(ROOMS)) + TOKEN
        first = {"data": [{"id": "a"}], "links": {"next": link}}
        second = {"status": 404, "json": {"error": "gone"}}
        err = _page_error(transport, make_hook, make_conn, async_space, TOKEN, first, second)
        assert err.status_code == 404
        for text in exception_texts(err):
            assert not fragments_in(text, TOKEN), text


@pytest.mark.parametrize("limit", (120, 200, 300))
def test_a_compatibility_page_with_a_secret_in_a_key(make_hook, make_conn, async_space, transport, limit):
    """A page whose resource key cannot be told names its keys in the error (cut at 200 in the reason)."""
    prefix = len(f"cannot tell the resource key of Compatibility list {COMPAT}: ['")
    for before in cut_counts(TOKEN):
        page = {"messages": [], "k" * max(0, limit - 3 - before - prefix) + TOKEN: [{"sid": "x"}]}
        err = _page_error(transport, make_hook, make_conn, async_space, TOKEN, page, path=COMPAT)
        for text in exception_texts(err):
            assert not fragments_in(text, TOKEN), text


# --------------------------------------------------------------------------- test_connection


@pytest.mark.parametrize("limit", (120, 200, 300))
def test_test_connection_never_shows_a_fragment(make_hook, limit):
    account = f"{BASE}/api/laml/2010-04-01/Accounts/{PROJECT}"
    for before in cut_counts(TOKEN):
        hook = make_hook(retries=False)
        with rm.Mocker() as mock:
            mock.get(account, status_code=401, reason="r" * max(0, limit - 3 - before) + TOKEN)
            ok, message = hook.test_connection()
        assert not ok and not fragments_in(message, TOKEN), message
        hook = make_hook(retries=False)
        with rm.Mocker() as mock:
            mock.get(account, json={"friendly_name": "f" * max(0, limit - 3 - before) + TOKEN})
            ok, message = hook.test_connection()
        assert ok and not fragments_in(message, TOKEN), message


# --------------------------------------------------------------------------- sensors and triggers


def test_a_failure_reason_from_the_resource_never_shows_a_fragment(make_hook):
    """A failed message whose ``error_message`` echoes the token: the sensor's failure (and the trigger's,
    which uses the same ``evaluate``) is redacted whole before its 500-character cut."""
    from airflow.providers.common.compat.sdk import AirflowException

    from airflow_provider_signalwire.sensors.messaging import MessageStatusSensor

    conn_id = make_hook(retries=False).signalwire_conn_id
    for before in cut_counts(TOKEN):
        sensor = MessageStatusSensor(task_id="wait", message_sid="SM1", signalwire_conn_id=conn_id)
        pad = 500 - 3 - before - len("The message is failed: error 30008: ")
        resource = {"status": "failed", "error_code": 30008, "error_message": "m" * pad + TOKEN}
        with rm.Mocker() as mock:
            mock.get(f"{BASE}{COMPAT}/SM1", json=resource)
            with pytest.raises(AirflowException) as caught:
                sensor.poke({})
        for text in exception_texts(caught.value):
            assert not fragments_in(text, TOKEN), text
