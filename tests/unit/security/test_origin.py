"""Credentials go only to the configured space: hostile paths and next links, table by table.

Each row is an input an attacker (a hostile or compromised answer) or a tired user could give. The
property checked is the same for every row: either the input is refused with our error, or the
request goes to the configured origin and nowhere else.
"""

from __future__ import annotations

import contextlib

import pytest
import requests_mock as rm

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.protocol import (
    PagingError,
    UnsafeURLError,
    check_origin,
    rebase_link,
    validate_path,
)

BASE = "https://acme.signalwire.com"
CURRENT = f"{BASE}/api/video/rooms?page_size=2"

# Next links that must never move the request (or the credentials) off the space.
HOSTILE_LINKS = [
    "http:@evil.example:80/api/video/rooms?page_token=2",
    "https:@evil.example/api/video/rooms",
    "x:@evil.example/api/video/rooms",
    "http:.evil.example/api/video/rooms",
    "http:evil.example/api/video/rooms",
    "//evil.example/api/video/rooms?page_token=2",
    "///evil.example/api/video/rooms",
    "HTTPS://EVIL.EXAMPLE/api/video/rooms",
    "HtTp://evil.example/api/video/rooms",
    "https://evil.example/api/video/rooms?page_token=2",
    "https://acme.signalwire.com@evil.example/api/video/rooms",
    "https://user:pass@acme.signalwire.com/api/video/rooms",
    "https://acme.signalwire.com:8443/api/video/rooms",
    "http://acme.signalwire.com/api/video/rooms",
    "https://acme.signalwire.com.evil.example/api/video/rooms",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "ftp://evil.example/api/video/rooms",
    "data:text/plain,hello",
    "\\\\evil.example\\api\\video\\rooms",
    "/\\evil.example/api/video/rooms",
    "https:\\\\evil.example/api/video/rooms",
    "/api/video/rooms/../../../evil",
    "/api/video/%2e%2e/%2E%2E/evil",
    "/%2F%2Fevil.example/api/video/rooms",
    "/api/video/rooms?page_token=2\r\nHost: evil.example",
    "/api/video/rooms\tx",
    "https://[::1]/api/video/rooms",
    "https://evil.example\u3002com/api/video/rooms",
    "https://127.0.0.1:1/api/video/rooms",
]


@pytest.mark.parametrize("link", HOSTILE_LINKS)
def test_a_hostile_next_link_never_leaves_the_space(link):
    try:
        url, _moved = rebase_link(link, BASE, CURRENT)
    except PagingError:
        return  # refused with our error: nothing is sent
    assert url.startswith(BASE + "/"), url
    assert check_origin(url, BASE) == url
    assert "evil" not in url.split("/", 3)[2]


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("/api/video/rooms?page_token=2", (f"{BASE}/api/video/rooms?page_token=2", False)),
        ("?page_token=3", (f"{BASE}/api/video/rooms?page_token=3", False)),
        (f"{BASE}/api/video/rooms?page_token=4", (f"{BASE}/api/video/rooms?page_token=4", False)),
        ("HTTPS://ACME.signalwire.com/api/video/rooms", (f"{BASE}/api/video/rooms", False)),
        ("https://evil.example/api/video/rooms?page_token=5", (f"{BASE}/api/video/rooms?page_token=5", True)),
        ("//evil.example/api/video/rooms", (f"{BASE}/api/video/rooms", True)),
    ],
)
def test_legitimate_and_foreign_links_are_rebased_by_parsing(link, expected):
    assert rebase_link(link, BASE, CURRENT) == expected


@pytest.mark.parametrize("link", [123, 1.5, ["/api/x"], {"href": "/api/x"}, True])
def test_a_next_link_that_is_not_a_string_is_our_error(link):
    with pytest.raises(PagingError, match="not a string"):
        rebase_link(link, BASE, CURRENT)  # type: ignore[arg-type]


HOSTILE_PATHS = [
    "https://evil.example/api/video/rooms",
    "HTTPS://evil.example/api/video/rooms",
    "//evil.example/api/video/rooms",
    "http:@evil.example/api/video/rooms",
    "x:@evil.example/api/video/rooms",
    "javascript:alert(1)",
    "/api/video/rooms/../../evil",
    "/api/%2e%2e/evil",
    "/api\\..\\evil",
    "\\\\evil.example\\api",
    "/api/video/rooms\r\nHost: evil",
    "/api/video/rooms x",
    "/../api/video/rooms",
]


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_a_hostile_request_path_is_refused(path):
    with pytest.raises(ValueError):
        validate_path(path)


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/api/video/rooms",
        "https://acme.signalwire.com@evil.example/api/video/rooms",
        "https://acme.signalwire.com.evil.example/api/video/rooms",
        "https://acme.signalwire.com:444/api/video/rooms",
        "http://acme.signalwire.com/api/video/rooms",
        "https://user@acme.signalwire.com/api/video/rooms",
        "https://acme.signalwire.com",
        "https://acme.signalwire.com\\@evil.example/",
        "https://acme.signalwire.com/api/x y",
        "",
    ],
)
def test_the_send_guard_refuses_every_other_origin(url):
    with pytest.raises(UnsafeURLError, match="not on the configured space"):
        check_origin(url, BASE)


def test_the_send_guard_passes_the_space():
    assert check_origin(f"{BASE}/api/video/rooms?x=1", BASE)
    assert check_origin("http://127.0.0.1:8080/api/x", "http://127.0.0.1:8080")


# ---- through the hook: the requests that actually leave the process


@pytest.fixture
def mock():
    with rm.Mocker(case_sensitive=True, real_http=False) as m:
        yield m


COMPAT = "/api/laml/2010-04-01/Accounts/p/Messages"


def _rest_page(link, n):
    return {"data": [{"id": f"r{n}"}], "links": {"next": link} if link else {}}


def _compat_page(link, n):
    return {"messages": [{"sid": f"SM{n}"}], "next_page_uri": link}


@pytest.mark.parametrize("link", HOSTILE_LINKS)
@pytest.mark.parametrize(("path", "page"), [("/api/video/rooms", _rest_page), (COMPAT, _compat_page)])
def test_the_hook_sends_every_page_request_to_the_space_only(make_hook, mock, link, path, page):
    hook = make_hook(retries=False)
    mock.register_uri(rm.ANY, rm.ANY, status_code=599)  # records a request to anywhere else
    mock.get(f"{BASE}{path}", [{"json": page(link, 0)}] + [{"json": page(None, i)} for i in range(1, 4)])
    # Refused (a pagination error) or the catch-all's 599 on the space itself.
    with contextlib.suppress(SignalWireAPIError):
        list(hook.paginate(path))
    for request in mock.request_history:
        assert f"{request.scheme}://{request.netloc}" == BASE
        assert request.headers["Authorization"].startswith("Basic ")


def test_the_guard_stops_a_request_that_would_leave(make_hook, mock, monkeypatch):
    """Even if a future code path built a foreign URL, the last check before sending refuses it."""
    hook = make_hook()
    with pytest.raises(SignalWireConfigError, match="not on the configured space"):
        hook._send("GET", "https://evil.example/api/video/rooms")
    with pytest.raises(SignalWireConfigError, match="not on the configured space"):
        hook._send("GET", f"{BASE}@evil.example/api/video/rooms")
    assert mock.call_count == 0
