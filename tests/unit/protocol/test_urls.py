"""API paths, query fields and token scopes."""

from __future__ import annotations

from datetime import datetime

import pytest

from airflow_provider_signalwire.protocol import urls as p


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
