"""SignalWireRetentionOperator against the offline fake space (room recordings, message redaction):
dry runs and max_items touch nothing, the audit matches what is left, reruns converge, 404 is done,
in-progress messages are skipped, archives are verified before anything is deleted."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException

from airflow_provider_signalwire.operators.retention import SignalWireRetentionOperator
from airflow_provider_signalwire.testing.video.models import recording_bytes
from tests.helpers.space import send_message, video

NOW = datetime.now(timezone.utc).replace(microsecond=0)
OLD = NOW - timedelta(days=40)
KINDS = ["video_recordings", "message_bodies"]


def _op(**kwargs: Any) -> SignalWireRetentionOperator:
    kwargs.setdefault("task_id", "retention")
    kwargs.setdefault("older_than", timedelta(days=30))
    kwargs.setdefault("kinds", KINDS)
    op = SignalWireRetentionOperator(**kwargs)
    op.hook._sleep = lambda seconds: None  # retries back off without sleeping in tests
    return op


@pytest.fixture
def data(signalwire_space) -> dict[str, list[str]]:
    """Three old recordings and one new, two old delivered messages and one new."""
    space = signalwire_space
    old = [space.add_completed_recording(OLD - timedelta(hours=k))["id"] for k in range(3)]
    new = [space.add_completed_recording(NOW - timedelta(days=1))["id"]]
    old_messages = [m["sid"] for m in space.seed_messages(2, OLD - timedelta(days=2), OLD)]
    new_messages = [
        m["sid"] for m in space.seed_messages(1, NOW - timedelta(hours=2), NOW - timedelta(hours=1))
    ]
    return {"old": old, "new": new, "old_messages": old_messages, "new_messages": new_messages}


def _writes(space: Any, since: int = 0) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in space.requests[since:] if r.method != "GET"]


def _audit(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_dry_run_touches_nothing(signalwire_space, data, tmp_path):
    before = signalwire_space.state.recordings, signalwire_space.state.messages
    result = _op(dry_run="True", audit_to=str(tmp_path / "audit.jsonl")).execute({})
    assert _writes(signalwire_space) == []  # only GETs reached the space
    assert (signalwire_space.state.recordings, signalwire_space.state.messages) == before
    assert result["dry_run"] is True and "https:" not in json.dumps(result)
    assert result["counts"] == {
        "video_recordings": {"would_delete": 3},
        "message_bodies": {"would_redact": 2},
    }
    audit = _audit(tmp_path / "audit.jsonl")
    assert {(a["kind"], a["id"], a["outcome"]) for a in audit} == {
        *(("video_recordings", i, "would_delete") for i in data["old"]),
        *(("message_bodies", i, "would_redact") for i in data["old_messages"]),
    }
    json.dumps(result)


def test_max_items_exceeded_deletes_nothing(signalwire_space, data, tmp_path):
    with pytest.raises(
        AirflowFailException, match=r"5 items are older than .* more than max_items=4: nothing"
    ):
        _op(max_items=4, audit_to=str(tmp_path / "audit.jsonl")).execute({})
    assert _writes(signalwire_space) == []
    assert set(data["old"]) <= set(signalwire_space.state.recordings)
    assert {a["outcome"] for a in _audit(tmp_path / "audit.jsonl")} == {"not_run_max_items"}
    # A dry run over the limit lists everything and only warns.
    assert _op(max_items="4", dry_run=True).execute({})["total"] == {"would_delete": 3, "would_redact": 2}


def test_the_audit_matches_the_space_afterwards(signalwire_space, data, tmp_path):
    audit_file = tmp_path / "audit" / "run.jsonl"
    result = _op(audit_to=f"file://{audit_file}").execute({})
    assert result["counts"] == {"video_recordings": {"deleted": 3}, "message_bodies": {"redacted": 2}}
    assert result["audit"] == f"file://{audit_file}"
    audit = _audit(audit_file)
    recordings, messages = signalwire_space.state.recordings, signalwire_space.state.messages
    for line in audit:
        assert set(line) == {"kind", "id", "created", "action", "outcome"}
        assert line["created"] < (NOW - timedelta(days=30)).isoformat()
        if line["kind"] == "video_recordings":
            assert (
                line["action"] == "delete" and line["outcome"] == "deleted" and line["id"] not in recordings
            )
        else:
            assert line["action"] == "redact" and line["outcome"] == "redacted"
            assert messages[line["id"]]["body"] == ""
    assert sorted(a["id"] for a in audit if a["kind"] == "video_recordings") == sorted(data["old"])
    assert list(recordings) == data["new"]
    assert messages[data["new_messages"][0]]["body"] != ""
    # A second run finds nothing new to delete; messages stay redacted.
    again = _op(kinds=["video_recordings"]).execute({})
    assert again["counts"] == {"video_recordings": {}} and again["total"] == {}


def test_a_rerun_after_a_partial_failure_converges(signalwire_space, data, tmp_path, make_conn):
    conn_id = make_conn(space=signalwire_space, retries=False, conn_id="no_retries")
    second = sorted(data["old"], key=lambda i: signalwire_space.state.recordings[i]["created_at"])[1]
    signalwire_space.inject_fault(f"/api/video/room_recordings/{second}", "500", method="DELETE")
    audit_file = tmp_path / "first.jsonl"
    op = _op(kinds=["video_recordings"], signalwire_conn_id=conn_id, audit_to=str(audit_file))
    with pytest.raises(
        AirflowException, match=rf"stopped at room recording {second}: .*500.* a rerun continues"
    ):
        op.execute({})
    outcomes = {a["id"]: a["outcome"] for a in _audit(audit_file)}
    assert outcomes[second] == "failed"
    assert sorted(outcomes.values()) == sorted(["deleted", "failed", "not_reached"])
    left = set(signalwire_space.state.recordings)
    assert {i for i, o in outcomes.items() if o == "deleted"}.isdisjoint(left)
    assert {i for i, o in outcomes.items() if o != "deleted"} <= left
    rerun = _op(kinds=["video_recordings"], signalwire_conn_id=conn_id).execute({})
    assert rerun["counts"] == {"video_recordings": {"deleted": 2}}
    assert list(signalwire_space.state.recordings) == data["new"]


def test_a_429_storm_slows_down_and_never_skips(signalwire_space, data, make_conn):
    path = "/api/video/room_recordings/"
    signalwire_space.inject_fault(path, "429", count=2, method="DELETE", retry_after="1")
    op = _op(kinds=["video_recordings"])
    slept: list[float] = []
    op.hook._sleep = slept.append
    assert op.execute({})["counts"] == {"video_recordings": {"deleted": 3}}
    assert slept == [1.0, 1.0]  # the server's Retry-After, twice
    # Past the hook's retries: the task fails, and what was not deleted is in the counts as such.
    signalwire_space.add_completed_recording(OLD)
    conn_id = make_conn(space=signalwire_space, retries=False, conn_id="no_retries")
    signalwire_space.inject_fault(path, "429", count=1, method="DELETE")
    failing = _op(kinds=["video_recordings"], signalwire_conn_id=conn_id)
    with pytest.raises(AirflowException, match="429"):
        failing.execute({})
    assert len(signalwire_space.state.recordings) == 2


def test_already_deleted_items_count_as_done(signalwire_space, data):
    # Log entries that are no message of the space answer 404 to the redaction: done, not failed.
    signalwire_space.seed_logs("messaging", 2, OLD - timedelta(days=1), OLD)
    result = _op(kinds=["message_bodies"]).execute({})
    assert result["counts"] == {"message_bodies": {"redacted": 2, "already_gone": 2}}


def test_redaction_skips_messages_in_progress(signalwire_space, data):
    signalwire_space.clock.freeze()
    signalwire_space.clock.set(OLD)
    queued = send_message(signalwire_space)  # 40 days old and still queued on the fake's clock
    result = _op(kinds=["message_bodies"]).execute({})
    assert result["counts"] == {"message_bodies": {"redacted": 2, "skipped_in_progress": 1}}
    assert ("PATCH", f"/api/messaging/messages/{queued}") not in _writes(signalwire_space)
    assert signalwire_space.state.messages[queued]["body"] == "hello"


def test_redact_lookback_bounds_the_messages(signalwire_space, data):
    signalwire_space.seed_messages(1, OLD - timedelta(days=30), OLD - timedelta(days=29))
    result = _op(kinds=["message_bodies"], redact_lookback="P15D").execute({})
    assert result["counts"] == {"message_bodies": {"redacted": 2}}


def test_archive_then_delete_only_what_was_verified(signalwire_space, data, tmp_path):
    keep = data["old"][0]
    video(signalwire_space).break_download(keep, "short")
    op = _op(
        kinds=["video_recordings"], archive_to=f"{tmp_path}/archive/", audit_to=str(tmp_path / "a.jsonl")
    )
    with pytest.raises(AirflowException, match="1 items could not be archived and were kept"):
        op.execute({})
    audit = {a["id"]: a for a in _audit(tmp_path / "a.jsonl")}
    assert audit[keep]["outcome"] == "kept_archive_failed" and keep in signalwire_space.state.recordings
    for rec_id in data["old"][1:]:
        stored = tmp_path / "archive" / "video_recordings" / f"{rec_id}.mp4"
        content = recording_bytes(rec_id)
        assert stored.read_bytes() == content
        assert audit[rec_id]["outcome"] == "deleted"
        assert audit[rec_id]["archive"] == {
            "path": f"file://{stored}",
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
        }
        assert rec_id not in signalwire_space.state.recordings
    assert all(not r.has_auth for r in signalwire_space.media_requests)  # the file host got no credentials
    # The rerun archives and deletes the one kept.
    assert op.execute({})["counts"] == {"video_recordings": {"deleted": 1}}
    assert keep not in signalwire_space.state.recordings


# ------------------------------------------------------------- Compatibility kinds (the fake's media family)
COMPAT_KINDS = ["call_recordings", "transcriptions", "message_media"]
TABLES = {
    "call_recordings": "call_recordings",
    "transcriptions": "transcriptions",
    "message_media": "message_media",
}


@pytest.fixture
def media(signalwire_space) -> dict[str, set[str]]:
    space = signalwire_space
    old_recordings = space.seed_recordings(2, OLD - timedelta(days=3), OLD)
    space.seed_recordings(1, NOW - timedelta(days=2), NOW - timedelta(days=1))
    old_media = space.seed_message_media(2, OLD - timedelta(days=3), OLD)
    space.seed_message_media(1, NOW - timedelta(days=2), NOW - timedelta(days=1))
    # The fake's seeded MMS say num_media 0 (h-recordings' seed): give their messages the media they hold.
    messages = space.backends["messaging"].messages
    for item in space.state.message_media.values():
        messages.get(item["parent_sid"]).media = [item["uri"]]
    old_transcriptions = {
        sid
        for sid, t in space.state.transcriptions.items()
        if t["recording_sid"] in {r["sid"] for r in old_recordings}
    }
    return {
        "call_recordings": {r["sid"] for r in old_recordings},
        "transcriptions": old_transcriptions,
        "message_media": {m["sid"] for m in old_media},
    }


def test_compatibility_kinds_dry_run_then_delete(signalwire_space, media, tmp_path):
    before = {kind: dict(getattr(signalwire_space.state, table)) for kind, table in TABLES.items()}
    dry = _op(kinds=COMPAT_KINDS, dry_run=True).execute({})
    assert _writes(signalwire_space) == []
    assert dry["counts"] == {kind: {"would_delete": len(ids)} for kind, ids in media.items()}
    # Transcriptions first, so deleting a recording cannot take one of them along before it is audited.
    audit_file = tmp_path / "audit.jsonl"
    result = _op(
        kinds=["transcriptions", "call_recordings", "message_media"], audit_to=str(audit_file)
    ).execute({})
    assert result["counts"] == {
        kind: {"deleted": len(media[kind])} for kind in ["transcriptions", "call_recordings", "message_media"]
    }
    audit = _audit(audit_file)
    for kind, table in TABLES.items():
        left = getattr(signalwire_space.state, table)
        assert {a["id"] for a in audit if a["kind"] == kind} == media[kind]
        assert media[kind].isdisjoint(left)
        assert set(left) == set(before[kind]) - media[kind]
    assert all(a["parent_id"] for a in audit if a["kind"] == "message_media")
    # A rerun finds nothing left to delete.
    assert _op(kinds=COMPAT_KINDS).execute({})["total"] == {}


def test_call_recordings_and_message_media_are_archived_from_the_space(signalwire_space, media, tmp_path):
    kinds = ["call_recordings", "message_media"]
    space = signalwire_space
    content = {sid: space.media_file(f"/Recordings/{sid}.wav") for sid in media["call_recordings"]}
    content |= {sid: space.media_file(f"/Media/{sid}") for sid in media["message_media"]}
    audit_file = tmp_path / "audit.jsonl"
    result = _op(kinds=kinds, archive_to=f"{tmp_path}/archive/", audit_to=str(audit_file)).execute({})
    assert result["counts"] == {kind: {"deleted": len(media[kind])} for kind in kinds}
    for line in _audit(audit_file):
        stored = Path(line["archive"]["path"].removeprefix("file://"))
        assert stored.parent == tmp_path / "archive" / line["kind"]
        assert stored.name == line["id"] + (".wav" if line["kind"] == "call_recordings" else ".png")
        assert stored.read_bytes() == content[line["id"]]
        assert line["archive"]["sha256"] == hashlib.sha256(content[line["id"]]).hexdigest()
    files = [
        r for r in space.requests if r.path.endswith(".wav") or ("/Media/" in r.path and r.method == "GET")
    ]
    assert len(files) == len(content) and not any(r.has_auth for r in files)  # no credentials sent


def test_protected_files_are_kept_not_deleted_unarchived(signalwire_space, media, tmp_path):
    signalwire_space.protect_media("recordings")
    op = _op(kinds=["call_recordings"], archive_to=f"{tmp_path}/archive/")
    with pytest.raises(AirflowException, match="2 items could not be archived and were kept"):
        op.execute({})
    assert media["call_recordings"] <= set(signalwire_space.state.call_recordings)
    assert _writes(signalwire_space) == []


def test_fax_media_dry_run_then_delete_against_the_fake(signalwire_space, tmp_path):
    # Received faxes older than the cutoff lose their stored PDF; the faxes' records and newer media stay.
    space = signalwire_space
    old = {f["media_sid"] for f in space.seed_faxes(3, OLD - timedelta(days=3), OLD)}
    new = {f["media_sid"] for f in space.seed_faxes(1, NOW - timedelta(days=2), NOW - timedelta(days=1))}
    faxes_before = set(space.state.faxes)
    dry = _op(kinds=["fax_media"], dry_run=True).execute({})
    assert _writes(space) == [] and dry["counts"] == {"fax_media": {"would_delete": 3}}
    audit_file = tmp_path / "audit.jsonl"
    assert _op(kinds=["fax_media"], audit_to=str(audit_file)).execute({})["counts"] == {
        "fax_media": {"deleted": 3}
    }
    audit = _audit(audit_file)
    assert {a["id"] for a in audit} == old and all(a["parent_id"] for a in audit)
    assert set(space.state.fax_media) == new and set(space.state.faxes) == faxes_before
    assert _op(kinds=["fax_media"]).execute({})["total"] == {}  # a rerun finds nothing left
