"""SignalWireRetentionOperator's kinds on the Compatibility API (requests-mock): the spec's list paths,
date filters and delete paths; arguments refused before any request; permissions by kind."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import pytest
import requests_mock as rm

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.operators.retention import RETENTION_KINDS, SignalWireRetentionOperator
from airflow_provider_signalwire.protocol.permissions import need
from tests.fixtures import PROJECT

BASE = "https://acme.signalwire.com"
ACCOUNT = f"{BASE}/api/laml/2010-04-01/Accounts/{PROJECT}"
NOW = datetime.now(timezone.utc).replace(microsecond=0)
OLD = format_datetime(NOW - timedelta(days=40))
NEW = format_datetime(NOW - timedelta(days=1))


@pytest.fixture
def mock(make_conn):
    make_conn(conn_id="signalwire_default")
    with rm.Mocker(case_sensitive=True) as m:
        yield m


def _page(key: str, *items: dict[str, Any]) -> dict[str, Any]:
    return {key: list(items), "next_page_uri": None, "page": 0, "page_size": 50, "uri": "/x"}


def _run(**kwargs: Any) -> dict[str, Any]:
    op = SignalWireRetentionOperator(task_id="r", older_than="P30D", **kwargs)
    op.hook._sleep = lambda seconds: None
    return op.execute({})


def _deletes(mock: Any) -> list[str]:
    return [r.path for r in mock.request_history if r.method == "DELETE"]


@pytest.mark.parametrize(
    ("kind", "resource", "key"),
    [("call_recordings", "Recordings", "recordings"), ("transcriptions", "Transcriptions", "transcriptions")],
)
def test_recordings_and_transcriptions(mock, kind, resource, key):
    listing = mock.get(
        f"{ACCOUNT}/{resource}",
        json=_page(key, {"sid": "RE1", "date_created": OLD}, {"sid": "RE2", "date_created": NEW}),
    )
    mock.delete(f"{ACCOUNT}/{resource}/RE1", status_code=204)
    result = _run(kinds=[kind])
    assert result["counts"] == {kind: {"deleted": 1}}
    cutoff_day = (NOW - timedelta(days=30)).date().isoformat()
    assert listing.last_request.qs == {"DateCreated<": [cutoff_day]}
    assert _deletes(mock) == [f"/api/laml/2010-04-01/Accounts/{PROJECT}/{resource}/RE1"]


def test_message_media_is_listed_per_message(mock):
    messages = mock.get(
        f"{ACCOUNT}/Messages",
        json=_page("messages", {"sid": "SM1", "num_media": 2}, {"sid": "SM2", "num_media": 0}),
    )
    mock.get(
        f"{ACCOUNT}/Messages/SM1/Media",
        json=_page("media_list", {"sid": "ME1", "date_created": OLD}, {"sid": "ME2", "date_created": OLD}),
    )
    mock.delete(f"{ACCOUNT}/Messages/SM1/Media/ME1", status_code=204)
    mock.delete(f"{ACCOUNT}/Messages/SM1/Media/ME2", status_code=404, json={"code": 20404, "message": "gone"})
    result = _run(kinds=["message_media"], audit_to=None)
    assert result["counts"] == {"message_media": {"deleted": 1, "already_gone": 1}}
    assert "DateSent<" in messages.last_request.qs
    assert not any("/SM2/" in r.url for r in mock.request_history)  # no media: never listed


def test_fax_media_is_listed_per_fax(mock, tmp_path):
    faxes = mock.get(f"{ACCOUNT}/Faxes", json=_page("faxes", {"sid": "FX1"}))
    mock.get(f"{ACCOUNT}/Faxes/FX1/Media", json=_page("media", {"sid": "FM1", "date_created": OLD}))
    mock.delete(f"{ACCOUNT}/Faxes/FX1/Media/FM1", status_code=204)
    result = _run(kinds=["fax_media"], audit_to=str(tmp_path / "audit.jsonl"))
    assert result["counts"] == {"fax_media": {"deleted": 1}}
    assert faxes.last_request.qs["DateCreatedOnOrBefore"][0].endswith("Z")
    (line,) = [json.loads(x) for x in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert line["parent_id"] == "FX1" and line["kind"] == "fax_media" and line["outcome"] == "deleted"


def test_a_message_in_progress_answered_422_is_skipped(mock):
    logs = f"{BASE}/api/messaging/logs"
    old = (NOW - timedelta(days=40)).isoformat()
    mock.get(logs, json={"data": [{"id": "m1", "created_at": old, "status": "sent"}], "links": {}})
    errors = [
        {"type": "validation_error", "code": "cannot_redact_in_progress_message", "message": "x", "url": "u"}
    ]
    redact = mock.patch(f"{BASE}/api/messaging/messages/m1", status_code=422, json={"errors": errors})
    assert _run(kinds=["message_bodies"])["counts"] == {"message_bodies": {"skipped_in_progress": 1}}
    assert redact.last_request.json() == {"body": ""} and redact.call_count == 1


def test_items_without_a_readable_date_are_kept(mock):
    mock.get(f"{ACCOUNT}/Recordings", json=_page("recordings", {"sid": "RE1", "date_created": "yesterday"}))
    assert _run(kinds=["call_recordings"])["counts"] == {"call_recordings": {"skipped_no_date": 1}}
    assert _deletes(mock) == []


def test_transcriptions_are_archived_as_json(mock, tmp_path):
    record = {"sid": "TR1", "date_created": OLD, "transcription_text": "hello"}
    mock.get(f"{ACCOUNT}/Transcriptions", json=_page("transcriptions", record))
    mock.delete(f"{ACCOUNT}/Transcriptions/TR1", status_code=204)
    audit = tmp_path / "audit.jsonl"
    _run(kinds=["transcriptions"], archive_to=f"file://{tmp_path}/archive/", audit_to=str(audit))
    stored = (tmp_path / "archive" / "transcriptions" / "TR1.json").read_bytes()
    assert json.loads(stored) == record
    (line,) = [json.loads(x) for x in audit.read_text().splitlines()]
    assert line["archive"]["sha256"] == hashlib.sha256(stored).hexdigest()


# ---------------------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"older_than": "P1Y"}, "older_than is 'P1Y'.*months and years"),
        ({"older_than": 0}, "older_than is 0: give a timedelta above zero"),
        ({"kinds": ["recordings"]}, "kinds has \\['recordings'\\]: use call_recordings"),
        ({"kinds": "video_recordings"}, "kinds is 'video_recordings': give a list"),
        ({"dry_run": "maybe"}, "dry_run is 'maybe': use true or false"),
        ({"max_items": -1}, "max_items is -1"),
        ({"audit_to": "audit.jsonl"}, "audit_to is 'audit.jsonl': a relative path"),
        (
            {"archive_to": "/data/archive", "kinds": ["video_recordings"]},
            "archive_to is '/data/archive': give a folder",
        ),
        (
            {"archive_to": "/data/archive/"},
            "archive_to cannot archive fax_media yet",
        ),
        ({"redact_lookback": "soon"}, "redact_lookback is 'soon'"),
    ],
)
def test_bad_arguments_fail_when_the_dag_is_parsed(kwargs, message):
    with pytest.raises(SignalWireConfigError, match=message):
        SignalWireRetentionOperator(task_id="r", **{"older_than": "P30D", **kwargs})


def test_templated_arguments_are_checked_before_any_request(mock):
    op = SignalWireRetentionOperator(task_id="r", older_than="{{ params.age }}", kinds=["call_recordings"])
    op.older_than = "thirty days"  # as rendered
    with pytest.raises(SignalWireConfigError, match="r: older_than is 'thirty days'"):
        op.execute({})
    assert mock.request_history == []


def test_permissions_follow_the_kinds():
    assert SignalWireRetentionOperator(task_id="r", older_than=60).permissions_needed() == need(
        "calling+fax+messaging+video"
    )
    only_video = SignalWireRetentionOperator(task_id="r", older_than=60, kinds=["video_recordings"])
    assert only_video.permissions_needed() == need("video")
    assert set(RETENTION_KINDS) == {
        "call_recordings",
        "video_recordings",
        "transcriptions",
        "message_media",
        "fax_media",
        "message_bodies",
    }
