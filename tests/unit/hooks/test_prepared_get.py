"""The next pages of a listing skip ``requests.Request`` (issue #11, row 2): a plain GET on the space is
prepared directly. It must be exactly what ``session.prepare_request`` makes of the same URL (URL,
headers, body), and anything requests would change (quoting, percent signs, non-ASCII, cookies) must
take the full preparation."""

from __future__ import annotations

import pytest
import requests
import requests_mock as rm

BASE = "https://acme.signalwire.com"

# URLs a server's next link could leave us with after re-basing, tricky ones included.
URLS = [
    f"{BASE}/api/video/rooms",
    f"{BASE}/api/video/rooms?page_size=50&page_token=PA3f9",
    f"{BASE}/api/video/rooms?cursor=a:b@c!d$e&f'g(h)i*j+k,l;m=n",
    f"{BASE}/api/video/rooms?filter[to]=+15551234567&x=~y",  # urllib3 quotes the brackets
    f"{BASE}/api/video/rooms?q=a%20b",  # percent-encoded: requests may normalise it
    f"{BASE}/api/video/rooms?q=%41%2f",  # %41 is unreserved: requests turns it into "A"
    f"{BASE}/api/video/rooms?q=caf\u00e9",  # non-ASCII: requests percent-encodes it
    f'{BASE}/api/video/rooms?q=a"b',  # unsafe: requests quotes it
    f"{BASE}/api/video/rooms?q=<b>&r={{c}}|d^e`f",
    f"{BASE}/api/video/rooms#frag",
    f"{BASE}/api/video/rooms?q=a#frag",
    f"{BASE}/api/video/rooms?",
    f"{BASE}/api/video/r%6Foms",
    f"{BASE}:443/api/video/rooms",  # not the space's own prefix: full preparation (and the origin check)
    "https://evil.example/api/video/rooms",
]


def _as_dicts(prepared: requests.PreparedRequest) -> tuple[object, ...]:
    cookies = prepared._cookies  # what requests copies when it reads a redirect answer
    return prepared.method, prepared.url, dict(prepared.headers), prepared.body, type(cookies), len(cookies)


@pytest.mark.parametrize("url", URLS)
def test_a_directly_prepared_get_equals_what_requests_prepares(make_hook, url):
    hook = make_hook()
    full = hook.session.prepare_request(requests.Request("GET", url))
    if hook._as_is(url):
        assert _as_dicts(hook._prepared_get(url)) == _as_dicts(full)
        assert full.headers["Authorization"] == hook.settings.authorization


def test_the_plain_urls_do_take_the_direct_path(make_hook):
    hook = make_hook()
    assert [u for u in URLS if hook._as_is(u)] == URLS[:3]


def test_a_session_with_cookies_takes_the_full_preparation(make_hook):
    hook = make_hook()
    url = f"{BASE}/api/video/rooms?page_token=2"
    assert hook._as_is(url)
    hook.session.cookies.set("sid", "1", domain="acme.signalwire.com")
    assert not hook._as_is(url)
    assert hook.session.prepare_request(requests.Request("GET", url)).headers["Cookie"] == "sid=1"


def test_every_page_of_a_listing_carries_the_same_headers(make_hook):
    hook = make_hook()
    with rm.Mocker(case_sensitive=True) as mock:
        mock.get(
            f"{BASE}/api/video/rooms?page_size=2",
            complete_qs=True,
            json={"data": [{"id": "a"}, {"id": "b"}], "links": {"next": "/api/video/rooms?page_token=p2"}},
        )
        mock.get(
            f"{BASE}/api/video/rooms?page_token=p2",
            complete_qs=True,
            json={"data": [{"id": "c"}], "links": {}},
        )
        assert [room["id"] for room in hook.paginate("/api/video/rooms", page_size=2)] == ["a", "b", "c"]
    first, second = mock.request_history
    assert second.url == f"{BASE}/api/video/rooms?page_token=p2"
    assert dict(second.headers) == dict(first.headers)
    assert second.headers["Authorization"] == hook.settings.authorization


def test_the_direct_path_still_meets_the_origin_check(make_hook, monkeypatch):
    hook = make_hook()
    seen = []
    import airflow_provider_signalwire.hooks.signalwire as module

    real = module.check_origin
    monkeypatch.setattr(module, "check_origin", lambda url, base: seen.append(url) or real(url, base))
    with rm.Mocker() as mock:
        mock.get(f"{BASE}/api/video/rooms?page_token=p2", json={"data": []})
        hook.request("GET", "/api/video/rooms?page_token=p2")
    assert seen == [f"{BASE}/api/video/rooms?page_token=p2"]


def test_a_redirect_on_a_next_page_is_refused_and_not_followed(make_hook):
    from airflow_provider_signalwire.exceptions import SignalWireAPIError

    hook = make_hook()
    with rm.Mocker(case_sensitive=True) as mock:
        mock.get(
            f"{BASE}/api/video/rooms",
            json={"data": [{"id": "a"}], "links": {"next": "/api/video/rooms?page_token=p2"}},
        )
        mock.get(
            f"{BASE}/api/video/rooms?page_token=p2",
            status_code=302,
            headers={"Location": "https://evil.example.com/steal"},
        )
        with pytest.raises(SignalWireAPIError, match="redirect"):
            list(hook.paginate("/api/video/rooms"))
    assert [r.hostname for r in mock.request_history] == ["acme.signalwire.com"] * 2
