"""List pages, next links and page identities."""

from __future__ import annotations

import random

import pytest

from airflow_provider_signalwire.protocol import paging as p


def test_page_items_and_next_links():
    rest = {"data": [1, 2], "links": {"self": "x", "next": "/api/video/rooms?page_token=b"}}
    assert p.page_items(rest, "/api/video/rooms") == [1, 2]
    assert p.next_page_link(rest, "/api/video/rooms") == "/api/video/rooms?page_token=b"
    assert p.next_page_link({"data": [], "links": {"self": "x"}}, "/api/video/rooms") is None
    compat_path = "/api/laml/2010-04-01/Accounts/a/Messages"
    compat = {"messages": [{"sid": "1"}], "next_page_uri": "/api/laml/x?Page=1", "uri": "u", "page": 0}
    assert p.page_items(compat, compat_path) == [{"sid": "1"}]
    assert p.next_page_link(compat, compat_path) == "/api/laml/x?Page=1"
    assert p.next_page_link({**compat, "next_page_uri": None}, compat_path) is None
    with pytest.raises(ValueError, match="data"):
        p.page_items({"items": []}, "/api/video/rooms")


def test_a_compatibility_list_under_two_names_is_one_list():
    # A fax's Media answers its list as both ``media`` and ``fax_media`` (FaxMediaListResponse).
    path = "/api/laml/2010-04-01/Accounts/a/Faxes/f/Media"
    items = [{"sid": "m1"}]
    assert p.page_items({"media": items, "fax_media": list(items), "page": 0}, path) == items
    with pytest.raises(ValueError, match="cannot tell the resource key"):
        p.page_items({"media": items, "fax_media": [{"sid": "m2"}], "page": 0}, path)


def test_rebase_link_keeps_credentials_on_the_space():
    base = "https://acme.signalwire.com"
    cur = "https://acme.signalwire.com/api/video/rooms?page_size=2"
    assert p.rebase_link("/api/video/rooms?page_token=b", base, cur) == (
        "https://acme.signalwire.com/api/video/rooms?page_token=b",
        False,
    )
    assert p.rebase_link("https://ACME.signalwire.com/api/video/rooms?page_token=c", base, cur)[1] is False
    url, moved = p.rebase_link("https://evil.example.com/api/video/rooms?page_token=d", base, cur)
    assert (url, moved) == ("https://acme.signalwire.com/api/video/rooms?page_token=d", True)
    assert (
        p.rebase_link("?page_token=e", base, cur)[0]
        == "https://acme.signalwire.com/api/video/rooms?page_token=e"
    )


def _parsed_identity(url: str) -> tuple[tuple[tuple[str, str], ...], str | None]:
    """The page identity by urlsplit and parse_qsl alone, as before the direct split existed."""
    from urllib.parse import parse_qsl, urlsplit

    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=False)
    token = next(
        (
            f"{key.lower()}={value}"
            for key, value in pairs
            if key.lower() in ("page_token", "pagetoken", "page") and value
        ),
        None,
    )
    return ((" path", parts.path), *sorted(pairs)), token


_URL_PIECES = [
    "a", "Z", "0", "9", "page_token", "PageToken", "page", "start", "page_size", "=", "=", "&", "&&",
    "?", "/", "//", ".", "..", "%", "%20", "%3D", "%26", "+", "#", "#x", ";", ":", "@", "[", "]", "\\",
    " ", "\t", "\n", "\x00", "é", "~", "!", "$", "'", "(", ")", "*", ",", "-", "_",
]  # fmt: skip


@pytest.mark.parametrize("seed", range(4))
def test_page_identity_of_plain_urls_is_exactly_what_parsing_gives(seed):
    rng = random.Random(seed)
    heads = [
        "https://space.signalwire.com", "https://127.0.0.1:8443", "http://localhost:80", "HTTPS://Space.Example",
        "https://[::1]:8443", "https://user:pw@space.example", "https://space.example?", "https://a.b/",
        "mailto:x", "/api", "",
    ]  # fmt: skip
    plain = 0
    for _ in range(5000):
        head = rng.choice(heads)
        pieces = _URL_PIECES if rng.random() < 0.5 else _URL_PIECES[:13]  # half of them plain
        tail = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        path = rng.choice(["/api/video/rooms", "/api/laml/2010-04-01/Accounts/x/Calls.json", "", "/"])
        url = head + path + tail
        plain += p._PLAIN_URL.fullmatch(url) is not None
        try:
            expected = _parsed_identity(url)
        except ValueError:  # urlsplit refuses it (an unbalanced bracket): the pager must refuse it too
            with pytest.raises(ValueError):
                p._page_identity(url)
            continue
        assert p._page_identity(url) == expected, url
    assert plain > 1000  # the direct split is really exercised, not only the parsing path


@pytest.mark.parametrize(
    "url",
    [
        "https://s.example/api/x?page_size=50&page_token=PA2",
        "https://s.example/api/x?page_token=PA2&page_size=50",
        "https://s.example/api/x?page_size=50&&page_token=PA2&empty=&bare",
        "https://s.example/api/x?a=1=2&page_token=",
        "https://s.example/api/x?",
        "https://s.example/api/x",
        "https://s.example:8443/api/x?PageToken=T&Page=3",
        "https://s.example/api/x?=v&page=2?x=y",
    ],
)
def test_page_identity_of_the_links_hooks_build(url):
    assert p._PLAIN_URL.fullmatch(url) is not None
    assert p._page_identity(url) == _parsed_identity(url)


def test_the_paging_driver_fetches_yields_and_notes():
    import logging

    pager = p.Pager("/api/video/rooms", "https://acme.signalwire.com", page_size=2)
    steps = p.pages(pager, "/api/video/rooms")
    first = next(steps)
    assert first == p.Fetch("https://acme.signalwire.com/api/video/rooms", {"page_size": 2})
    body = {"data": [{"id": "a"}], "links": {"next": "/api/video/rooms?page_token=b"}}
    assert steps.send(("https://acme.signalwire.com/api/video/rooms?page_size=2", body)) == [{"id": "a"}]
    second = next(steps)
    assert second == p.Fetch("https://acme.signalwire.com/api/video/rooms?page_token=b", None)
    assert steps.send((second.url, {"data": [{"id": "b"}], "links": {}})) == [{"id": "b"}]
    assert next(steps) == p.Note(
        logging.INFO, "Listed %d items of %s in %d pages.", (2, "/api/video/rooms", 2)
    )
    with pytest.raises(StopIteration):
        next(steps)
