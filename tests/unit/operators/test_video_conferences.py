"""Video conference operators against the offline fake space: reruns per if_exists, tokens masked and
kept out of XCom unless asked, deletes that succeed on a rerun."""

from __future__ import annotations

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_signalwire.operators import video_conferences
from airflow_provider_signalwire.operators.video_conferences import (
    CreateVideoConferenceOperator,
    DeleteVideoConferenceOperator,
    ListVideoConferencesOperator,
    ListVideoConferenceTokensOperator,
    ResetVideoConferenceTokenOperator,
)


@pytest.fixture
def masked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the operators register with Airflow's secrets masker."""
    seen: list[str] = []
    monkeypatch.setattr(video_conferences, "mask_secret", seen.append)
    return seen


def test_conferences_and_their_tokens(signalwire_space, masked):
    create = CreateVideoConferenceOperator(
        task_id="c", display_name="All hands", conference_name="all_hands", size="large", if_exists="reuse"
    )
    conference = create.execute({})
    assert create.execute({})["id"] == conference["id"]  # a rerun reuses it
    update = CreateVideoConferenceOperator(
        task_id="c", display_name="All hands", conference_name="all_hands", size="small", if_exists="update"
    )
    assert update.execute({})["size"] == "small"
    with pytest.raises(AirflowFailException, match="if_exists"):
        CreateVideoConferenceOperator(task_id="c", display_name="x", conference_name="all_hands").execute({})
    assert [c["id"] for c in ListVideoConferencesOperator(task_id="l").execute({})] == [conference["id"]]

    tokens = ListVideoConferenceTokensOperator(task_id="t", conference_id=conference["id"]).execute({})
    assert {t["name"] for t in tokens} == {"Moderator", "Guest"}
    assert all("token" not in t for t in tokens)
    assert len(masked) == 2 and all(m.startswith("vpt_") for m in masked)
    (guest,) = ListVideoConferenceTokensOperator(
        task_id="t", conference_id=conference["id"], token_name="Guest", return_tokens=True
    ).execute({})
    assert guest["token"] in masked

    reset = ResetVideoConferenceTokenOperator(task_id="r", token_id=guest["id"], return_token=True).execute(
        {}
    )
    assert reset["token"] != guest["token"] and reset["token"] == masked[-1]

    delete = DeleteVideoConferenceOperator(task_id="d", conference_id=conference["id"])
    assert delete.execute({})["deleted"] is True
    assert delete.execute({})["deleted"] is False
