"""Space URLs, loopback hosts and connection settings."""

from __future__ import annotations

import pytest

from airflow_provider_signalwire.protocol import ConnectionConfigError
from airflow_provider_signalwire.protocol import settings as p


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
