"""Video operators against the offline fake space: idempotent reruns, checks before any request,
secrets kept out of XCom and logs (downloads: test_video_recordings.py)."""

from __future__ import annotations

import json

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.operators import video as video_module
from airflow_provider_signalwire.operators.video import (
    CreateVideoConferenceOperator,
    CreateVideoRoomOperator,
    CreateVideoRoomTokenOperator,
    DeleteVideoConferenceOperator,
    DeleteVideoRoomOperator,
    DeleteVideoRoomRecordingOperator,
    DownloadVideoRoomRecordingOperator,
    GetVideoRoomOperator,
    GetVideoRoomSessionOperator,
    ListVideoRoomRecordingsOperator,
    ListVideoRoomSessionsOperator,
    UpdateVideoRoomOperator,
)
from airflow_provider_signalwire.testing.video.models import JOIN_SECONDS


@pytest.fixture
def masked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the operators register with Airflow's secrets masker."""
    seen: list[str] = []
    monkeypatch.setattr(video_module, "mask_secret", seen.append)
    return seen


# ------------------------------------------------------------------------------------------ rooms
def test_create_room_reruns_per_if_exists(signalwire_space):
    create = CreateVideoRoomOperator(
        task_id="create", room_name="standup", max_members=10, layout="2x2", record_on_start=True
    )
    room = create.execute({})
    assert (room["name"], room["max_members"], room["layout"], room["record_on_start"]) == (
        "standup",
        10,
        "2x2",
        True,
    )
    json.dumps(room)

    with pytest.raises(AirflowFailException, match="if_exists='reuse'"):
        create.execute({})

    reuse = CreateVideoRoomOperator(task_id="reuse", room_name="standup", max_members=3, if_exists="reuse")
    assert reuse.execute({})["id"] == room["id"]
    assert reuse.execute({})["max_members"] == 10  # reused unchanged

    update = CreateVideoRoomOperator(task_id="update", room_name="standup", max_members=3, if_exists="update")
    updated = update.execute({})
    assert (updated["id"], updated["max_members"]) == (room["id"], 3)
    assert len(signalwire_space.state.rooms) == 1


@pytest.mark.parametrize(
    "operator",
    [
        pytest.param(lambda: CreateVideoRoomOperator(task_id="again", room_name="standup"), id="room"),
        pytest.param(
            lambda: CreateVideoConferenceOperator(
                task_id="again", display_name="x", conference_name="standup"
            ),
            id="conference",
        ),
    ],
)
def test_a_taken_name_with_the_default_if_exists_says_how_to_rerun(signalwire_space, operator):
    operator().execute({})
    with pytest.raises(AirflowFailException) as caught:
        operator().execute({})
    message = str(caught.value)
    assert message.startswith("again: a video ") and "named 'standup' already exists in this space" in message
    assert "if_exists is 'error' (the default)" in message
    assert "if_exists='reuse'" in message and "if_exists='update'" in message
    assert "name_taken" in message  # SignalWire's own words stay, after the fix


@pytest.mark.parametrize(
    ("operator", "hint"),
    [
        pytest.param(
            lambda: GetVideoRoomOperator(task_id="g", room_name="nope"),
            "No room named 'nope' in this space: check the name, or list rooms with ListVideoRoomsOperator",
            id="get-by-name",
        ),
        pytest.param(
            lambda: DeleteVideoRoomOperator(task_id="d", room_name="nope", missing_ok=False),
            "No room named 'nope' in this space",
            id="delete-by-name",
        ),
        pytest.param(
            lambda: GetVideoRoomOperator(task_id="g", room_id="3fa85f64-5717-4562-b3fc-2c963f66afa6"),
            "Check the path and the id in it",
            id="get-by-id",
        ),
    ],
)
def test_a_missing_room_gets_a_hint_for_how_it_was_looked_up(signalwire_space, operator, hint):
    with pytest.raises(SignalWireAPIError, match="404") as caught:
        operator().execute({})
    assert caught.value.hint == hint or str(caught.value.hint).startswith(hint)
    assert ("the id" in str(caught.value)) is ("the id" in hint)


@pytest.mark.parametrize(
    ("kwargs", "field", "fix"),
    [
        ({"room_name": "daily standup"}, "room_name", "letters, digits"),
        ({"room_name": "x" * 101}, "room_name", "1 to 100"),
        ({"room_name": "ok", "max_members": 0}, "max_members", "from 1 to 300"),
        ({"room_name": "ok", "max_members": 301}, "max_members", "from 1 to 300"),
        ({"room_name": "ok", "quality": "4k"}, "quality", "720p, 1080p"),
        ({"room_name": "ok", "layout": "3x2"}, "layout", "grid-responsive"),
        ({"room_name": "ok", "join_from": "tomorrow"}, "join_from", "RFC 3339"),
        ({"room_name": "ok", "record_on_start": "sometimes"}, "record_on_start", "true or false"),
        ({"room_name": "ok", "meta": "x"}, "meta", "dict"),
        ({"room_name": "ok", "if_exists": "replace"}, "if_exists", "'reuse'"),
    ],
)
def test_create_room_refuses_bad_arguments_when_parsed(signalwire_space, kwargs, field, fix):
    with pytest.raises(SignalWireConfigError, match=rf"create: {field} is .*{fix}"):
        CreateVideoRoomOperator(task_id="create", **kwargs)
    assert signalwire_space.requests == []


def test_rendered_values_are_checked_before_any_request(signalwire_space):
    create = CreateVideoRoomOperator(
        task_id="create", room_name="{{ params.name }}", max_members="{{ params.size }}"
    )
    create.room_name, create.max_members = "bad name!", "12"  # as rendered
    with pytest.raises(SignalWireConfigError, match="room_name is 'bad name!'"):
        create.execute({})
    create.room_name, create.max_members = "fine", "500"
    with pytest.raises(SignalWireConfigError, match="max_members is '500'"):
        create.execute({})
    assert signalwire_space.requests == []
    create.max_members = "12"
    assert create.execute({})["max_members"] == 12


def test_get_update_delete_room_and_reruns(signalwire_space):
    room = CreateVideoRoomOperator(task_id="c", room_name="weekly").execute({})
    assert GetVideoRoomOperator(task_id="g", room_name="weekly").execute({})["id"] == room["id"]
    assert GetVideoRoomOperator(task_id="g", room_id=room["id"]).execute({})["name"] == "weekly"
    updated = UpdateVideoRoomOperator(
        task_id="u", room_id=room["id"], description="Weekly sync", max_members=50
    ).execute({})
    assert (updated["description"], updated["max_members"]) == ("Weekly sync", 50)

    delete = DeleteVideoRoomOperator(task_id="d", room_name="weekly")
    assert delete.execute({}) == {"id": room["id"], "name": "weekly", "deleted": True}
    assert delete.execute({})["deleted"] is False  # a rerun succeeds
    with pytest.raises(SignalWireAPIError, match="404"):
        DeleteVideoRoomOperator(task_id="d", room_id=room["id"], missing_ok=False).execute({})
    with pytest.raises(SignalWireAPIError, match="404"):
        GetVideoRoomOperator(task_id="g", room_name="weekly").execute({})


@pytest.mark.parametrize(
    ("operator", "kwargs", "message"),
    [
        (GetVideoRoomOperator, {}, "exactly one of room_id or room_name"),
        (DeleteVideoRoomOperator, {"room_id": "a", "room_name": "b"}, "exactly one"),
        (UpdateVideoRoomOperator, {"room_id": "a"}, "at least one setting"),
        (UpdateVideoRoomOperator, {"room_id": "a", "layout": "big"}, "layout is 'big'"),
        (ListVideoRoomSessionsOperator, {"status": "done"}, "status is 'done'"),
        (ListVideoRoomRecordingsOperator, {"media_ttl": -1}, "media_ttl"),
        (CreateVideoConferenceOperator, {"display_name": "x", "if_exists": "reuse"}, "needs conference_name"),
        (CreateVideoConferenceOperator, {"display_name": "x", "dark_primary": "blue"}, "#RRGGBB"),
        (DownloadVideoRoomRecordingOperator, {"recording_id": "r", "destination": ""}, "destination"),
        (
            DownloadVideoRoomRecordingOperator,
            {"recording_id": "r", "destination": "/x", "chunk_size": 0},
            "chunk_size",
        ),
    ],
)
def test_other_operators_refuse_bad_arguments_when_parsed(signalwire_space, operator, kwargs, message):
    with pytest.raises(SignalWireConfigError, match=message):
        operator(task_id="t", **kwargs)
    assert signalwire_space.requests == []


def test_empty_ids_are_refused_before_any_request(signalwire_space):
    for op in (
        DeleteVideoRoomRecordingOperator(task_id="t", recording_id="None"),
        GetVideoRoomSessionOperator(task_id="t", session_id=""),
        DeleteVideoConferenceOperator(task_id="t", conference_id=None),  # type: ignore[arg-type]
    ):
        with pytest.raises(SignalWireConfigError, match="give the id"):
            op.execute({})
    assert signalwire_space.requests == []


# ------------------------------------------------------------------------------------ room tokens
def test_room_token_is_masked_and_kept_out_of_xcom_by_default(signalwire_space, masked, capfd):
    mint = CreateVideoRoomTokenOperator(
        task_id="mint",
        room_name="standup",
        user_name="airflow",
        permissions=["room.self.audio_mute", "room.recording"],
        join_as="member",
        media_allowed="audio-only",
        remove_after_seconds_elapsed=600,
        join_video_muted=True,
        room_meta={"team": "data"},
    )
    result = mint.execute({})
    assert "token" not in result
    assert result["room_name"] == "standup" and result["permissions"] == [
        "room.self.audio_mute",
        "room.recording",
    ]
    (token,) = masked
    assert token.count(".") == 2
    assert token not in json.dumps(result)
    assert token not in capfd.readouterr().out

    body = json.loads(signalwire_space.requests[-1].body)
    assert body["media_allowed"] == "audio-only" and body["join_video_muted"] is True

    with_token = CreateVideoRoomTokenOperator(task_id="mint", room_name="standup", return_token=True)
    assert with_token.execute({})["token"] == masked[-1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"permissions": ["room.self.fly"]}, "not a room permission"),
        ({"join_as": "speaker"}, "audience, member"),
        ({"media_allowed": "none"}, "video-only"),
        ({"remove_after_seconds_elapsed": 0}, "from 1 to 200000"),
        ({"user_name": "u" * 101}, "the most is 100"),
        ({"token": "abc"}, "SignalWire mints the token"),
    ],
)
def test_room_token_refuses_bad_fields(signalwire_space, kwargs, message):
    with pytest.raises(SignalWireConfigError, match=message):
        CreateVideoRoomTokenOperator(task_id="mint", room_name="standup", **kwargs)
    assert signalwire_space.requests == []


# ------------------------------------------------------------------------------- sessions & recordings
def test_a_minted_token_starts_a_session_the_fake_clock_ends(signalwire_space):
    clock = signalwire_space.clock
    clock.freeze()
    CreateVideoRoomOperator(task_id="c", room_name="standup", record_on_start=True).execute({})
    CreateVideoRoomTokenOperator(task_id="m", room_name="standup", user_name="bot").execute({})

    listing = ListVideoRoomSessionsOperator(task_id="l", room_name="standup", max_items=1)
    (session,) = listing.execute({})
    assert session["status"] == "in-progress"
    clock.advance(JOIN_SECONDS + 1)
    (session,) = listing.execute({})
    assert session["status"] == "completed"
    assert ListVideoRoomSessionsOperator(task_id="l", status="in-progress").execute({}) == []

    full = GetVideoRoomSessionOperator(
        task_id="g", session_id=session["id"], include_members=True, include_events=True
    ).execute({})
    assert [m["name"] for m in full["members"]] == ["bot"]
    names = [e["name"] for e in full["events"]]
    assert names[0] == "session.started" and names[-1] == "session.ended"
    assert "recording.started" in names and "recording.ended" in names

    (recording,) = ListVideoRoomRecordingsOperator(task_id="r", session_id=session["id"]).execute({})
    assert recording["status"] == "completed" and recording["uri"]
    events = list(_hook().paginate(f"/api/video/room_recordings/{recording['id']}/events"))
    assert [e["name"] for e in events] == ["recording.started", "recording.ended"]


def _hook():
    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

    return SignalWireHook()
