"""Error bodies, JSON answers and status hints."""

from __future__ import annotations

import random
import struct

import pytest

from airflow_provider_signalwire.protocol import errors as p


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
