"""The permission rules against every operation of SignalWire's specs (``endpoints.tsv``)."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pytest

from airflow_provider_signalwire.protocol.permissions import (
    TOKEN_PERMISSIONS,
    check_permissions,
    combine,
    describe,
    missing,
    need,
    permissions_for_path,
)

SPECS = Path(
    os.environ.get(
        "SIGNALWIRE_OPENAPI_DIR", Path(__file__).resolve().parents[4] / "shared/signalwire-openapi"
    )
)
# The specs' scope words -> permission names ("Voice" is the calling permission).
WORDS = {
    "voice": "calling",
    "calling": "calling",
    "messaging": "messaging",
    "fax": "fax",
    "video": "video",
    "chat": "chat",
    "pubsub": "pubsub",
    "datasphere": "datasphere",
    "management": "management",
    "numbers": "numbers",
}
# The one operation the spec leaves without a scope where the rules ask for calling (stricter).
STRICTER = {("GET", "/api/laml/2010-04-01/Accounts/{AccountSid}/Recordings/{Sid}")}


def _from_words(text: str) -> tuple[frozenset[str], ...]:
    text = text.strip().lower()
    if text in ("", "none"):
        return ()
    if " and " in text:
        return (frozenset(WORDS[w.strip()] for w in text.split(" and ")),)
    words = [w for w in re.split(r",\s*or\s+|\s+or\s+|,\s*", text) if w]
    return tuple(sorted((frozenset([WORDS[w.strip()]]) for w in words), key=sorted))


def _rows() -> list[dict[str, str]]:
    if not (SPECS / "endpoints.tsv").is_file():
        pytest.skip(f"no endpoints.tsv in {SPECS} (set SIGNALWIRE_OPENAPI_DIR)")
    with open(SPECS / "endpoints.tsv", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_rules_match_every_operation_of_both_specs() -> None:
    rows = _rows()
    assert len(rows) > 300
    wrong = []
    for row in rows:
        method, path, scopes = row["method"], row["path"], row["scopes"]
        expected = _from_words(scopes)
        got = permissions_for_path(path)
        got_sorted = tuple(sorted(got, key=sorted)) if got is not None else None
        if (method, path) in STRICTER:
            assert got == need("calling")
            continue
        if got_sorted != expected:
            wrong.append((method, path, scopes, got))
    assert not wrong, wrong[:10]


def test_unknown_paths() -> None:
    assert permissions_for_path("/api/somethingnew/x") is None
    assert permissions_for_path("/api/laml/2010-04-01/Accounts/abc/Widgets") is None


def test_combine_describe_missing() -> None:
    req = combine([need("video"), need("calling", "video"), need("messaging+numbers"), ()])
    assert req == (frozenset({"messaging", "numbers", "video"}),)
    either = combine([need("calling", "video"), need("fax")])
    assert describe(either) == "calling and fax or fax and video"
    assert missing(either, ["fax"]) == {"calling"}
    assert missing(either, ["fax", "video"]) == frozenset()
    assert missing((), []) == frozenset() and describe(()) == "none"


def test_check_permissions() -> None:
    assert check_permissions(["video", "fax", "video"]) == ["video", "fax"]
    for bad, words in ((["voice"], "'calling'"), ("video", "list"), ([], "empty"), (["Video"], "unknown")):
        with pytest.raises(ValueError, match=words):
            check_permissions(bad)
    assert "management" in TOKEN_PERMISSIONS and len(TOKEN_PERMISSIONS) == 11
