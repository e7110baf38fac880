"""Message media operators against the offline fake space: list, download (exact, atomic, named by
content type, credentials only to the space) and delete (reruns, messages in progress)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.operators.message_media import (
    DeleteMessageMediaOperator,
    DownloadMessageMediaOperator,
    ListMessageMediaOperator,
)
from airflow_provider_signalwire.testing.media.models import MediaBackend
from tests.helpers.space import send_message


@pytest.fixture
def stored(signalwire_space) -> dict[str, Any]:
    first, _ = signalwire_space.seed_message_media(2)
    return first


def test_list_a_messages_media(signalwire_space, stored):
    listed = ListMessageMediaOperator(task_id="l", message_sid=stored["parent_sid"]).execute({})
    assert listed == [stored]
    with pytest.raises(SignalWireConfigError, match="message_sid"):
        ListMessageMediaOperator(task_id="l", message_sid="").execute({})


@pytest.mark.parametrize("protected", [False, True])
def test_download_to_a_folder_named_by_content_type(signalwire_space, stored, tmp_path, protected):
    if protected:
        signalwire_space.protect_media("messages")
    op = DownloadMessageMediaOperator(
        task_id="dl",
        message_sid=stored["parent_sid"],
        media_sid=stored["sid"],
        destination=f"{tmp_path}/mms/",
    )
    result = op.execute({})
    target = tmp_path / "mms" / f"{stored['sid']}.png"
    data = target.read_bytes()
    assert data == signalwire_space.media_file(stored["uri"].removesuffix(".json"))
    assert result["size"] == len(data) and result["sha256"] == hashlib.sha256(data).hexdigest()
    assert result["content_type"] == "image/png" and result["path"] == f"file://{target}"
    assert [p.name for p in (tmp_path / "mms").iterdir()] == [target.name]
    assert signalwire_space.media_requests == []  # the space's own host, nothing else


def test_bad_ids_fail_before_any_request(signalwire_space, tmp_path):
    with pytest.raises(SignalWireConfigError, match="media_sid is"):
        DownloadMessageMediaOperator(
            task_id="dl", message_sid="m", media_sid="../x", destination=f"{tmp_path}/"
        )
    op = DownloadMessageMediaOperator(
        task_id="dl", message_sid="None", media_sid="x", destination=f"{tmp_path}/"
    )
    with pytest.raises(SignalWireConfigError, match="message_sid"):
        op.execute({})
    assert signalwire_space.requests == []


def test_delete_twice_and_not_while_the_message_is_queued(signalwire_space, stored):
    delete = DeleteMessageMediaOperator(
        task_id="d", message_sid=stored["parent_sid"], media_sid=stored["sid"]
    )
    assert delete.execute({})["deleted"] is True and delete.execute({})["deleted"] is False
    backend = signalwire_space.backends["media"]
    assert isinstance(backend, MediaBackend)
    signalwire_space.clock.freeze()
    queued = send_message(signalwire_space)
    media = backend.add_message_media(queued, "image/jpeg", b"jpeg").render()
    with pytest.raises(SignalWireAPIError) as refused:
        DeleteMessageMediaOperator(task_id="d", message_sid=queued, media_sid=media["sid"]).execute({})
    assert refused.value.status_code == 422
    assert media["sid"] in signalwire_space.state.message_media
