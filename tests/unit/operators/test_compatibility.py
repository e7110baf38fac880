"""The Compatibility API's argument checks (operators/_compatibility.py): paths, numbers, call
addresses, bodies and media URLs. The number table is in tests/unit/security/test_numbers.py."""

from __future__ import annotations

import pytest

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.operators._compatibility import (
    MAX_BODY_CHARS,
    call_address,
    check_body,
    check_literal,
    compat_path,
    parse_numbers,
    url_list,
)

TO = ["+12025550101", "+12025550102"]


def test_compat_path_quotes_ids():
    assert compat_path("p-1", "Messages") == "/api/laml/2010-04-01/Accounts/p-1/Messages"
    assert compat_path("p/1", "Calls", "CA/../x") == "/api/laml/2010-04-01/Accounts/p%2F1/Calls/CA%2F..%2Fx"


def test_numbers_are_normalised_and_repeats_dropped():
    assert parse_numbers(["+1 (202) 555-0101", "+12025550101", "+12025550102"], "to") == TO
    assert parse_numbers("+12025550101;+12025550102", "to") == TO
    assert parse_numbers("['+12025550101', '+12025550102']", "to") == TO
    assert parse_numbers("+1 (202) 555-0101", "to") == TO[:1]  # an area code, not a tuple


def test_an_empty_or_broken_list_is_refused():
    with pytest.raises(SignalWireConfigError, match="to is empty"):
        parse_numbers([], "to")
    with pytest.raises(SignalWireConfigError, match="is not a list of phone numbers"):
        parse_numbers("[+1202", "to")


def test_call_address_takes_sip_or_a_number():
    assert call_address(" sip:alice@example.com ", "to") == "sip:alice@example.com"
    assert call_address("+1 202 555 0101", "to") == TO[0]
    with pytest.raises(SignalWireConfigError, match="not an E.164 phone number"):
        call_address("sip:", "to")


def test_url_list():
    assert url_list(None, "media_url") == [] and url_list("", "media_url") == []
    assert url_list(" https://x.test/a.png ", "media_url") == ["https://x.test/a.png"]
    assert url_list("['https://x.test/a', 'http://y.test/b']", "media_url") == [
        "https://x.test/a",
        "http://y.test/b",
    ]
    with pytest.raises(SignalWireConfigError, match="'ftp://x' is not an http\\(s\\) URL"):
        url_list(["ftp://x"], "media_url")


def test_check_body_counts_characters():
    check_body("é" * MAX_BODY_CHARS)
    with pytest.raises(SignalWireConfigError, match=f"body is {MAX_BODY_CHARS + 1} characters long"):
        check_body("x" * (MAX_BODY_CHARS + 1))


def test_check_literal_leaves_templates_for_later():
    seen: list[tuple[object, str]] = []

    def check(value: object, name: str) -> None:
        seen.append((value, name))

    check_literal("{{ params.to }}", check, "to")
    check_literal(["{{ params.to }}", "+12025550101"], check, "to")
    check_literal("+12025550101", check, "to")
    assert seen == [("+12025550101", "to[1]"), ("+12025550101", "to")]
