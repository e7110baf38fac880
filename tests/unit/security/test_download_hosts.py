"""The ``download_hosts`` extra: an allow-list of file hosts for downloads (off by default)."""

from __future__ import annotations

import pytest

from airflow_provider_signalwire.protocol import (
    ConnectionConfigError,
    download_host_allowed,
    parse_download_hosts,
)


@pytest.mark.parametrize(
    ("value", "hosts"),
    [
        (None, ()),
        ("files.example.com", ("files.example.com",)),
        ("Files.Example.com, *.cdn.example.com", ("files.example.com", "*.cdn.example.com")),
        (["a.example.com", "b.example.com a.example.com"], ("a.example.com", "b.example.com")),
        ("127.0.0.1 [::1] localhost", ("127.0.0.1", "::1", "localhost")),
    ],
)
def test_download_hosts_are_parsed(value, hosts):
    assert parse_download_hosts(value) == hosts


@pytest.mark.parametrize(
    "value",
    [
        "https://files.example.com",
        "files.example.com/recordings",
        "files.example.com:443",
        "user@files.example.com",
        "*.com",
        "*",
        "com",
        "fïles.example.com",
        ",",
        [],
        ["files.example.com", 3],
        {"host": "files.example.com"},
        42,
    ],
)
def test_bad_download_hosts_are_refused_naming_the_extra(value):
    with pytest.raises(ConnectionConfigError, match="Extra field 'download_hosts'"):
        parse_download_hosts(value)


@pytest.mark.parametrize(
    ("host", "allowed", "ok"),
    [
        ("files.example.com", (), True),  # no allow-list: any host
        ("files.example.com", ("files.example.com",), True),
        ("FILES.example.com.", ("files.example.com",), True),
        ("evil.example.com", ("files.example.com",), False),
        ("a.cdn.example.com", ("*.cdn.example.com",), True),
        ("cdn.example.com", ("*.cdn.example.com",), False),
        ("evilcdn.example.com", ("*.cdn.example.com",), False),
        ("169.254.169.254", ("files.example.com",), False),
        ("[::1]", ("::1",), True),
        ("127.0.0.1", ("127.0.0.2",), False),
    ],
)
def test_download_host_allowed(host, allowed, ok):
    assert download_host_allowed(host, allowed) is ok


def test_a_domain_wildcard_never_matches_an_address():
    assert download_host_allowed("127.0.0.1", ("*.0.0.1",)) is False
    assert download_host_allowed("10.0.0.1", parse_download_hosts("*.0.1, files.example.com")) is False
