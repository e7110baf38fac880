"""The shared rules: URL normalisation, retry decisions, Retry-After, paging links, error bodies."""

from __future__ import annotations

import random
import socket
import struct
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from airflow_provider_signalwire import protocol as p
from airflow_provider_signalwire.protocol import ConnectionConfigError, Failure


@pytest.mark.parametrize(
    "raw",
    [
        "acme",
        "acme.signalwire.com",
        "https://acme.signalwire.com/",
        "HTTPS://Acme.SignalWire.com/dashboard/rooms?x=1",
        "  acme.signalwire.com  ",
        "\thttps://acme.signalwire.com\n",
        "acme.signalwire.com:443",
    ],
)
def test_space_url_variants_normalise_to_the_space(raw):
    assert p.normalize_space_url(raw) == "https://acme.signalwire.com"


@pytest.mark.parametrize(
    ("raw", "port", "expected"),
    [
        ("api.example.org", None, "https://api.example.org"),
        ("api.example.org:8443", None, "https://api.example.org:8443"),
        ("https://api.example.org:8443/x", None, "https://api.example.org:8443"),
        ("127.0.0.1", 9443, "https://127.0.0.1:9443"),
        ("http://127.0.0.1:8080", None, "http://127.0.0.1:8080"),
        ("http://localhost:8080/", None, "http://localhost:8080"),
        ("http://[::1]:8080", None, "http://[::1]:8080"),
        ("http://127.0.0.5:81", None, "http://127.0.0.5:81"),
        ("https://127.0.0.1:9443", 1234, "https://127.0.0.1:9443"),
        ("::1", 8443, "https://[::1]:8443"),
        ("http://[::ffff:127.0.0.1]:80", None, "http://[::ffff:127.0.0.1]"),
    ],
)
def test_other_hosts_are_used_as_given(raw, port, expected):
    assert p.normalize_space_url(raw, port) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "ftp://proj:PTsecretABCDEF123@acme",
        "https://proj:PTsecretABCDEF123@acme .x",
        "proj:PTsecretABCDEF123@acme.signalwire.com",
        "https://PTsecretABCDEF123@acme.signalwire.com",
    ],
)
def test_credentials_pasted_into_the_space_url_are_refused_without_echo(raw):
    with pytest.raises(ConnectionConfigError, match="must not contain credentials") as err:
        p.normalize_space_url(raw)
    assert "PTsecretABCDEF123" not in str(err.value)


def test_plain_http_refused_for_remote_hosts():
    with pytest.raises(ConnectionConfigError, match="https"):
        p.normalize_space_url("http://acme.signalwire.com")


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "::ffff:127.0.0.1"])
def test_loopback(host):
    assert p.is_loopback(host)


@pytest.mark.parametrize(
    "host", ["acme.signalwire.com", "10.0.0.1", "128.0.0.1", "localhost.example.com", "evil.localhost"]
)
def test_not_loopback(host):
    assert not p.is_loopback(host)


def test_settings_read_prefixed_and_unprefixed_extras():
    s = p.build_settings("acme", "proj", "tok", {"timeout": "12.5", "max_retries": 0, "verify": "false"})
    assert (s.timeout, s.max_retries, s.verify) == (12.5, 0, False)
    s = p.build_settings(
        "acme",
        "proj",
        "tok",
        {
            "extra__signalwire__timeout": 7,
            "extra__signalwire__max_retries": "5",
            "extra__signalwire__verify": "/tmp/ca.pem",
        },
    )
    assert (s.timeout, s.max_retries, s.verify) == (7.0, 5, "/tmp/ca.pem")
    s = p.build_settings("acme", "proj", "tok", {"timeout": "", "verify": True})
    assert (s.timeout, s.max_retries, s.verify) == (p.DEFAULT_TIMEOUT, p.DEFAULT_MAX_RETRIES, True)


def test_settings_repr_hides_the_token():
    s = p.build_settings("acme", "proj", "PTverysecret")
    assert "PTverysecret" not in repr(s)
    assert "PTverysecret" not in str(s)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ({"status": 429}, True),
        ({"status": 500}, True),
        ({"status": 502}, True),
        ({"status": 503}, True),
        ({"status": 504}, True),
        ({"status": 400}, False),
        ({"status": 401}, False),
        ({"status": 404}, False),
        ({"status": 422}, False),
        ({"failure": Failure("connect", sent=False)}, True),
        ({"failure": Failure("timeout", sent=True)}, True),
        ({"failure": Failure("dropped", sent=True)}, True),
        ({"failure": Failure("tls", sent=False)}, False),
        ({"failure": Failure("dns", sent=False)}, False),  # the name does not exist: a retry cannot help
        ({"failure": p.dns_failure(socket.EAI_NONAME)}, False),
        ({"failure": p.dns_failure(socket.EAI_NODATA)}, False),
        ({"failure": p.dns_failure(None)}, False),
        ({"failure": p.dns_failure(socket.EAI_AGAIN)}, True),  # the resolver did not answer
    ],
)
def test_idempotent_calls_retry_on_transient_failures(when, expected):
    for method in ("GET", "DELETE", "PUT", "head"):
        assert p.should_retry(method, **when) is expected


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ({"status": 429}, True),
        ({"status": 503}, True),
        ({"status": 500}, False),
        ({"status": 502}, False),
        ({"status": 504}, False),
        ({"failure": Failure("connect", sent=False)}, True),
        ({"failure": Failure("timeout", sent=True)}, False),
        ({"failure": Failure("dropped", sent=True)}, False),
        ({"failure": p.dns_failure(socket.EAI_NONAME)}, False),
        ({"failure": p.dns_failure(socket.EAI_AGAIN)}, True),  # nothing was sent
    ],
)
def test_post_and_patch_retry_only_when_the_server_did_not_act(when, expected):
    for method in ("POST", "PATCH", "post"):
        assert p.should_retry(method, **when) is expected


def test_retry_after_seconds_and_http_date():
    now = datetime(2026, 11, 27, 12, 0, 0, tzinfo=timezone.utc)
    assert p.parse_retry_after("7", now) == 7.0
    assert p.parse_retry_after(" 0 ", now) == 0.0
    assert p.parse_retry_after("-3", now) == 0.0
    http_date = format_datetime(now + timedelta(seconds=42), usegmt=True)
    assert p.parse_retry_after(http_date, now) == pytest.approx(42)
    assert p.parse_retry_after(format_datetime(now - timedelta(seconds=5), usegmt=True), now) == 0.0
    assert p.parse_retry_after("soon", now) is None
    assert p.parse_retry_after("", now) is None
    assert p.parse_retry_after(None, now) is None


def test_retry_delay_prefers_retry_after_and_caps_it():
    assert p.retry_delay(1, "3") == 3.0
    assert p.retry_delay(5, "100000") == p.MAX_RETRY_AFTER


def test_retry_delay_backs_off_exponentially_with_jitter_and_a_cap():
    rng = random.Random(1)
    for attempt, base in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, p.MAX_BACKOFF)]:
        delays = [p.retry_delay(attempt, backoff=1.0, rng=rng) for _ in range(50)]
        assert all(base / 2 <= d <= base for d in delays)
        assert len(set(delays)) > 1  # jittered


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


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"error": "Room not found"}', [{"message": "Room not found"}]),
        (
            '{"errors": [{"type": "validation_error", "code": "invalid_parameter", "message": "is invalid",'
            ' "attribute": "name", "url": "https://developer.signalwire.com/rest/overview/error-codes"}]}',
            [
                {
                    "code": "invalid_parameter",
                    "message": "is invalid",
                    "attribute": "name",
                    "type": "validation_error",
                    "url": "https://developer.signalwire.com/rest/overview/error-codes",
                }
            ],
        ),
        (
            '{"errors": [{"detail": "Name is too long", "status": "422", "title": "Invalid", "code": "x1"}]}',
            [{"code": "x1", "detail": "Name is too long", "title": "Invalid", "status": "422"}],
        ),
        (
            '{"code": 21211, "message": "Invalid To number", "more_info": "https://x", "status": 400}',
            [{"code": 21211, "message": "Invalid To number", "status": 400, "more_info": "https://x"}],
        ),
        ("Bad Gateway\n", [{"message": "Bad Gateway"}]),
        ("", []),
        (b'{"error": {"message": "nested"}}', [{"message": "nested"}]),
    ],
)
def test_error_bodies_of_every_shape(body, expected):
    assert p.parse_error_body(body) == expected


def test_describe_errors_is_one_line():
    line = p.describe_errors(
        [{"attribute": "name", "message": "is invalid", "code": "invalid_parameter"}, {"message": "second"}]
    )
    assert line == "name: is invalid (code invalid_parameter); second"


def test_scope_for_path():
    assert p.scope_for_path("/api/video/rooms") == "Video"
    assert p.scope_for_path("/api/laml/2010-04-01/Accounts/x/Messages") == "Messaging"
    assert p.scope_for_path("/api/laml/2010-04-01/Accounts/x/Calls/y") == "Voice"
    assert p.scope_for_path("/api/fax/logs") == "Fax"
    assert p.scope_for_path("/api/laml/2010-04-01/Accounts/x/Messages.json") == "Messaging"
    assert p.scope_for_path("/api/logs/conferences") == "Voice or Video"


def test_encode_fields():
    dt = datetime(2026, 11, 27, 1, 2, 3)
    assert p.encode_fields({"a": True, "b": False, "c": None, "d": dt, "e": ["x", True]}) == {
        "a": "true",
        "b": "false",
        "d": "2026-11-27T01:02:03+00:00",
        "e": ["x", "true"],
    }


@pytest.mark.parametrize(
    "path", ["https://evil.example.com/api/video/rooms", "//evil.example.com/api/x", "", "  "]
)
def test_full_urls_and_empty_paths_refused(path):
    with pytest.raises(ValueError, match="path"):
        p.validate_path(path)


def test_urls_inside_the_query_are_fine():
    path = "/api/laml/2010-04-01/Accounts/x/Calls?StatusCallback=https://example.com/cb"
    assert p.validate_path(path) == path


def test_paths_are_made_absolute_and_must_be_api_paths():
    assert p.validate_path("api/video/rooms") == "/api/video/rooms"
    with pytest.raises(ValueError, match="/api/"):
        p.validate_path("/video/rooms")


@pytest.mark.parametrize(
    ("kwargs", "acted"),
    [
        ({"status": 500}, True),
        ({"status": 502}, True),
        ({"status": 504}, True),
        ({"status": 503}, False),
        ({"status": 429}, False),
        ({"status": 422}, False),
        ({"status": 401}, False),
        ({"failure": Failure("timeout", sent=True)}, True),
        ({"failure": Failure("dropped", sent=True)}, True),
        ({"failure": Failure("refused", sent=False)}, False),
        ({"failure": Failure("dns", sent=False)}, False),
        ({"failure": Failure("invalid", sent=False)}, False),
        ({"failure": Failure("tls", sent=False)}, False),
    ],
)
def test_may_have_acted(kwargs, acted):
    assert p.may_have_acted(**kwargs) is acted


# ------------------------------------------------------------------ JSON answers (msgspec, then json)

_JSON_ANSWERS = [
    b'{"data": [{"id": "a", "n": 1.5, "ok": true, "none": null}], "links": {}}',
    b'{"id": "\xc3\xa9t\xc3\xa9 \\u00e9 \\ud83d\\ude00"}',  # UTF-8 and escaped pairs
    b'{"a": 1, "a": 2}',  # duplicate keys: the last wins, as with json
    b'{"count": NaN, "max": Infinity, "min": -Infinity}',  # msgspec refuses these; json reads them
    b'{"id": 123456789012345678901234567890}',  # past 64 bits: still an exact int
    b'{"id": -9223372036854775809, "n": 18446744073709551616}',  # just past the signed and unsigned ends
    b'{"id": 9223372036854775807, "n": -9223372036854775808, "u": 18446744073709551615}',  # just within
    b'{"x": 0.1234567890123456789012, "y": 2.2250738585072011e-308, "z": 1e400, "w": -0.0}',
    b'{"name": "\\ud800 lone surrogate"}',  # msgspec refuses; json reads it
    b'{"name": "\xed\xa0\x80"}',  # an encoded lone surrogate: json reads it (surrogatepass)
    '{"name": "utf-16"}'.encode("utf-16"),  # json detects UTF-16/32; msgspec reads UTF-8 only
    b"[" * 500 + b"]" * 500,  # deep, within both parsers' reach (both stop at Python's recursion limit)
    b'  \n{"padded": true}\n',
    b'\xef\xbb\xbf{"bom": 1}',  # a UTF-8 byte order mark: json skips it
]


def _same(a, b) -> bool:
    """Equal, with the same types all the way down and floats bit for bit (NaN included); no recursion,
    so deep documents compare too."""
    import struct

    pending = [(a, b)]
    while pending:
        x, y = pending.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, float):
            if struct.pack("<d", x) != struct.pack("<d", y):
                return False
        elif isinstance(x, list):
            if len(x) != len(y):
                return False
            pending.extend(zip(x, y, strict=True))
        elif isinstance(x, dict):
            if list(x) != list(y):
                return False
            pending.extend((x[k], y[k]) for k in x)
        elif x != y:
            return False
    return True


@pytest.mark.parametrize("content", _JSON_ANSWERS)
def test_json_answers_parse_exactly_as_json_reads_them(content):
    import json

    assert _same(p.parse_json_answer(content, "application/json"), json.loads(content))


@pytest.mark.parametrize(
    "content, match",
    [
        (b'{"data": [', "labelled JSON but does not parse"),
        (b'{"a": 1} trailing', "labelled JSON but does not parse"),
        (b'{"a": 1}\x00', "labelled JSON but does not parse"),
        (b'{"a": "\xff"}', "labelled JSON but does not parse"),  # not UTF-8
        (b'{"a": "tab\tin a string"}', "labelled JSON but does not parse"),  # a raw control character
        (b"[" + b"7" * 5000 + b"]", "labelled JSON but does not parse"),  # past Python's 4,300 digits
        (b"[" * 100_000 + b"]" * 100_000, "nested too deep"),
    ],
)
def test_broken_json_answers_still_fail_with_json_s_reasons(content, match):
    with pytest.raises(ValueError, match=match):
        p.parse_json_answer(content, "application/json")


def _random_json(rng: random.Random, depth: int = 0) -> str:
    """A JSON-ish document: numbers of every shape, escapes, raw control characters, broken bits."""
    kind = rng.random()
    if depth > 3 or kind < 0.35:
        sign = rng.choice(["", "-"])
        shape = rng.random()
        if shape < 0.3:
            return sign + str(rng.randint(0, 10 ** rng.randint(1, 45)))
        if shape < 0.6:
            fraction = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 30)))
            exponent = rng.choice(["", f"e{rng.randint(-330, 330)}", f"E+{rng.randint(0, 330)}"])
            return f"{sign}{rng.randint(0, 9)}.{fraction}{exponent}"
        if shape < 0.8:
            return repr(struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0])
        return rng.choice(
            ["-0", "00", "01", "1.", ".1", "1e", "+1", "0x10", "Infinity", "NaN", "1e-400", "-1e400",
             "9223372036854775808", "-9223372036854775809", "18446744073709551615", "18446744073709551616"]
        )  # fmt: skip
    if kind < 0.6:
        pieces = ["a", "é", "😀", " ", '\\"', "\\\\", "\\/", "\\n", "\\t", "\\ud83d\\ude00", "\\ud83d",
                  "\\ude00", "\\u0000", "\\u00e9", "\\x41", "\\u12", "\x01", "\x1f", "\u2028"]  # fmt: skip
        return '"' + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6))) + '"'
    if kind < 0.7:
        return rng.choice(["true", "false", "null", "True", "nul"])
    if kind < 0.85:
        return "[" + ",".join(_random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))) + "]"
    members = (f"{_random_json(rng, 9)}:{_random_json(rng, depth + 1)}" for _ in range(rng.randint(0, 4)))
    return "{" + ",".join(members) + "}"


@pytest.mark.parametrize("seed", range(3))
def test_generated_documents_parse_or_fail_exactly_as_with_json(seed):
    import json

    assert not _same([1.0, {"a": 1}], [1, {"a": 1}]) and not _same(-0.0, 0.0)
    assert _same(float("nan"), float("nan"))
    rng = random.Random(seed)
    read = 0
    for i in range(10_000):
        content = _random_json(rng).encode("utf-8", "surrogatepass")
        if i % 9 == 0:
            content = rng.choice([b" ", b"\n", b""]) + content + rng.choice([b" ", b"", b"\x00", b" x"])
        if i % 11 == 0:
            content = b'"a' + rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"]) + b'b"'
        try:
            expected = json.loads(content)
        except (ValueError, RecursionError):
            with pytest.raises(ValueError):
                p.parse_json_answer(content, "application/json")
            continue
        assert _same(p.parse_json_answer(content, "application/json"), expected), content
        read += 1
    assert read > 3000  # most documents are valid: the comparison is really made


def test_msgspec_reads_ordinary_answers_and_json_only_what_msgspec_refuses(monkeypatch):
    import json

    import msgspec

    by_json: list[bytes] = []
    real = json.loads
    monkeypatch.setattr(json, "loads", lambda content: by_json.append(content) or real(content))
    ordinary = b'{"data": [{"id": "a", "size": 1048576, "big": 123456789012345678901234567890}]}'
    big = p.parse_json_answer(ordinary, "application/json")["data"][0]["big"]
    assert big == 123456789012345678901234567890 and isinstance(big, int)
    large = b'{"data": [' + b",".join([b'{"id": "%d"}' % i for i in range(80_000)]) + b"]}"
    assert len(p.parse_json_answer(large, "application/json")["data"]) == 80_000
    assert by_json == []  # msgspec read both
    assert p.parse_json_answer(b'{"n": NaN}', "application/json")
    assert by_json == [b'{"n": NaN}']
    with pytest.raises(msgspec.DecodeError):  # the case above really is one msgspec refuses
        msgspec.json.decode(b'{"n": NaN}')


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


ROOM_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


@pytest.mark.parametrize(
    ("path", "wanted", "unwanted"),
    [
        # SignalWire looks a room up by id or by name on one path: a name gets a name's hint.
        ("/api/video/rooms/standup", "No room named 'standup' in this space", "the id"),
        ("/api/video/rooms/standup/", "ListVideoRoomsOperator", "the id"),
        ("/api/video/rooms/daily%20standup", "No room named 'daily standup'", "the id"),
        (f"/api/video/rooms/{ROOM_ID}", "the id in it", "No room named"),
        (f"/api/video/rooms/{ROOM_ID.upper()}", "the id in it", "No room named"),
        (f"/api/video/rooms/{ROOM_ID}/streams", "the id in it", "No room named"),
        ("/api/video/conferences/abc", "the id in it", "No room named"),
        ("/api/video/room_sessions/abc", "the id in it", "No room named"),
        ("/api/laml/2010-04-01/Accounts/x/Calls/CA1.json", "the id in it", "No room named"),
    ],
)
def test_a_404_hint_fits_a_lookup_by_name_or_by_id(path, wanted, unwanted):
    hint = p.status_hint(404, path, "acme.signalwire.com")
    assert wanted in hint and unwanted not in hint


def test_a_404_hint_quotes_a_hostile_room_name_on_one_short_line():
    hint = p.status_hint(404, "/api/video/rooms/" + "x%0Ay" * 200, "acme.signalwire.com")
    assert "\n" not in hint and len(hint) < 250
