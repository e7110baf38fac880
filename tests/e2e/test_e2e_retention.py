"""``signalwire_retention`` under ``airflow dags test`` (Airflow 3.3 and 2.11): on the first of a month a
dry run that only reads, on another day the old recordings, transcriptions and media deleted and old
message bodies redacted (fax media too), with audits that match the fake space afterwards."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.e2e_support import airflow, timed

pytestmark = pytest.mark.e2e
DAG_ID = "signalwire_retention"


def _run(cli_env: dict[str, str], conn_json: str, day: str) -> None:
    env = {**cli_env, "AIRFLOW_CONN_SIGNALWIRE_DEFAULT": conn_json}
    with timed(f"retention: airflow dags test {DAG_ID} {day}"):
        result = airflow("dags", "test", DAG_ID, day, env=env, timeout=300)
    low = result.output.lower()
    assert result.returncode == 0 and "state=failed" not in low, str(result)


def _audit(home: Path, ds: str, name: str) -> list[dict[str, Any]]:
    path = home / "signalwire-retention" / ds / name
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_dry_run_on_the_first_then_delete_and_redact(
    cli_env: dict[str, str], conn_json: str, fake_space: Any
) -> None:
    now = datetime.now(timezone.utc)
    old, new = now - timedelta(days=400), now - timedelta(days=1)
    old_videos = {fake_space.add_completed_recording(old - timedelta(hours=k))["id"] for k in range(2)}
    new_video = fake_space.add_completed_recording(new)["id"]
    old_calls = {r["sid"] for r in fake_space.seed_recordings(2, old - timedelta(days=1), old)}
    old_faxes = {f["media_sid"] for f in fake_space.seed_faxes(2, old - timedelta(days=1), old)}
    # Redaction looks back a week before its 30-day cutoff.
    old_messages = {
        m["sid"] for m in fake_space.seed_messages(2, now - timedelta(days=33), now - timedelta(days=32))
    }
    new_message = fake_space.seed_messages(1, new, new + timedelta(minutes=1))[0]["sid"]
    home = Path(cli_env["AIRFLOW_HOME"])
    # A run given a date (as `dags test` and manual runs are) has a data interval ending then, on
    # Airflow 2.11 and 3.3 alike: the first is a dry run, the second not.
    first, second = "2026-11-01", "2026-11-02"

    before = len(fake_space.requests)
    videos, calls = set(fake_space.state.recordings), set(fake_space.state.call_recordings)
    _run(cli_env, conn_json, first)
    assert {r.method for r in fake_space.requests[before:]} == {"GET"}, "a dry run only reads"
    assert (set(fake_space.state.recordings), set(fake_space.state.call_recordings)) == (videos, calls)
    dry = _audit(home, first, "deleted.jsonl")
    assert {a["id"] for a in dry if a["kind"] == "video_recordings"} == old_videos
    assert {a["outcome"] for a in dry} == {"would_delete"}
    assert old_messages <= {a["id"] for a in _audit(home, first, "redacted.jsonl")}

    _run(cli_env, conn_json, second)
    deleted = _audit(home, second, "deleted.jsonl")
    assert {a["id"] for a in deleted if a["kind"] == "video_recordings"} == old_videos
    assert {a["id"] for a in deleted if a["kind"] == "call_recordings"} == old_calls
    assert {a["id"] for a in deleted if a["kind"] == "fax_media"} == old_faxes
    assert old_faxes.isdisjoint(fake_space.state.fax_media)
    assert {a["outcome"] for a in deleted} <= {"deleted", "already_gone"}
    assert old_videos.isdisjoint(fake_space.state.recordings) and new_video in fake_space.state.recordings
    assert old_calls.isdisjoint(fake_space.state.call_recordings)
    redacted = _audit(home, second, "redacted.jsonl")
    assert old_messages <= {a["id"] for a in redacted if a["outcome"] == "redacted"}
    messages = fake_space.state.messages
    assert all(messages[sid]["body"] == "" for sid in old_messages) and messages[new_message]["body"]
