"""Fax operators against the offline fake space: send (numbers checked before any request, no repeat after
an ambiguous answer, deduplication on a retry), list in the run's window, read, delete (reruns), and a
fax's media listed, downloaded (exact, atomic, named by content type, credentials only to the space) and
deleted."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_signalwire.exceptions import (
    SignalWireAPIError,
    SignalWireConfigError,
    SignalWireSendError,
)
from airflow_provider_signalwire.operators.fax import (
    DeleteFaxMediaOperator,
    DeleteFaxOperator,
    DownloadFaxMediaOperator,
    GetFaxOperator,
    ListFaxesOperator,
    ListFaxMediaOperator,
    SendFaxOperator,
)

FROM, TO, DOC = "+12025550150", "+12025550101", "https://example.com/invoice.pdf"
DAY = datetime(2026, 11, 20, tzinfo=timezone.utc)


def faxes_path(space: Any) -> str:
    return f"/api/laml/2010-04-01/Accounts/{space.project_id}/Faxes"


def posts(space: Any) -> list[Any]:
    return [r for r in space.requests if r.method == "POST" and r.path == faxes_path(space)]


def retry_context(started: datetime, try_number: int = 2) -> dict[str, Any]:
    return {
        "dag_run": SimpleNamespace(start_date=started, run_id="manual__1"),
        "ti": SimpleNamespace(try_number=try_number),
    }


# ------------------------------------------------------------------------------------------ send
def test_send_a_fax(signalwire_space):
    result = SendFaxOperator(task_id="fax", to=TO, from_=FROM, media_url=DOC, quality="superfine").execute({})
    assert result["status"] == "queued" and result["to"] == TO and not result["deduplicated"]
    (post,) = posts(signalwire_space)
    assert parse_qs(post.body) == {"To": [TO], "From": [FROM], "MediaUrl": [DOC], "Quality": ["superfine"]}


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"to": "2025550101"}, "to"),
        ({"from_": "+1 202 555"}, "from_"),
        ({"media_url": "file:///etc/passwd"}, "media_url"),
        ({"quality": "best"}, "quality"),
        ({"status_callback": "not a url"}, "status_callback"),
    ],
)
def test_bad_literal_arguments_fail_when_the_dag_is_parsed(kwargs, named):
    args = {"to": TO, "from_": FROM, "media_url": DOC, **kwargs}
    with pytest.raises(SignalWireConfigError, match=named):
        SendFaxOperator(task_id="fax", **args)


def test_bad_rendered_arguments_send_nothing(signalwire_space):
    op = SendFaxOperator(task_id="fax", to="{{ params.to }}", from_=FROM, media_url=DOC)
    op.to = "12345"  # as rendered
    with pytest.raises(SignalWireConfigError, match="to"):
        op.execute({})
    assert signalwire_space.requests == []


def test_an_ambiguous_answer_is_never_repeated(signalwire_space):
    signalwire_space.inject_fault(faxes_path(signalwire_space), "500", count=1, method="POST")
    with pytest.raises(SignalWireSendError, match="may have been sent") as caught:
        SendFaxOperator(task_id="fax", to=TO, from_=FROM, media_url=DOC).execute({})
    assert caught.value.unknown == [TO] and len(posts(signalwire_space)) == 1


def test_a_refused_fax_is_not_sent(signalwire_space):
    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

    signalwire_space.inject_fault(faxes_path(signalwire_space), "503", count=1, method="POST")
    op = SendFaxOperator(task_id="fax", to=TO, from_=FROM, media_url=DOC)
    op.__dict__["hook"] = SignalWireHook(max_retries=0)
    with pytest.raises(SignalWireSendError, match="was not sent") as caught:
        op.execute({})
    assert caught.value.not_sent == [TO] and len(posts(signalwire_space)) == 1


def test_deduplicate_on_a_retry_finds_the_fax_the_first_try_sent(signalwire_space):
    started = signalwire_space.clock.now().replace(microsecond=0) - timedelta(seconds=5)
    first = SendFaxOperator(task_id="fax", to=TO, from_=FROM, media_url=DOC, deduplicate=True)
    sent = first.execute(retry_context(started, try_number=1))
    again = SendFaxOperator(task_id="fax", to=TO, from_=FROM, media_url=DOC, deduplicate=True)
    found = again.execute(retry_context(started))
    assert found["sid"] == sent["sid"] and found["deduplicated"] and len(posts(signalwire_space)) == 1
    # Another document, or a run that started after the fax, sends a new one.
    other = SendFaxOperator(
        task_id="fax", to=TO, from_=FROM, media_url=DOC + "?v=2", deduplicate=True
    ).execute(retry_context(started))
    assert not other["deduplicated"] and len(posts(signalwire_space)) == 2
    later = signalwire_space.clock.now() + timedelta(minutes=1)
    assert not again.execute(retry_context(later))["deduplicated"]


# ------------------------------------------------------------------------------------ list/get/delete
def test_list_in_the_runs_window_and_by_number(signalwire_space):
    seeded = signalwire_space.seed_faxes(5, DAY, DAY + timedelta(days=5))
    window = {"data_interval_start": DAY + timedelta(days=1), "data_interval_end": DAY + timedelta(days=3)}
    listed = ListFaxesOperator(task_id="l").execute(window)
    assert [f["sid"] for f in listed] == [seeded[2]["sid"], seeded[1]["sid"]]
    assert len(ListFaxesOperator(task_id="l", page_size=2).execute({})) == 5
    by_from = ListFaxesOperator(task_id="l", from_=seeded[3]["from"]).execute({})
    assert [f["sid"] for f in by_from] == [seeded[3]["sid"]]
    after = ListFaxesOperator(task_id="l", date_created_after=(DAY + timedelta(days=3)).isoformat()).execute(
        {}
    )
    assert [f["sid"] for f in after] == [seeded[4]["sid"]]
    with pytest.raises(SignalWireConfigError, match="date_created_after"):
        ListFaxesOperator(task_id="l", date_created_after="soon").execute({})


def test_get_and_delete_twice(signalwire_space):
    (fax,) = signalwire_space.seed_faxes(1)
    assert GetFaxOperator(task_id="g", fax_sid=fax["sid"]).execute({})["status"] == "received"
    assert DeleteFaxOperator(task_id="d", fax_sid=fax["sid"]).execute({})["deleted"] is True
    assert DeleteFaxOperator(task_id="d", fax_sid=fax["sid"]).execute({})["deleted"] is False
    with pytest.raises(SignalWireAPIError, match="404"):
        DeleteFaxOperator(task_id="d", fax_sid=fax["sid"], missing_ok=False).execute({})


# ----------------------------------------------------------------------------------------- media
@pytest.mark.parametrize("protected", [False, True])
def test_download_a_received_fax_by_its_sid(signalwire_space, tmp_path, protected):
    (fax,) = signalwire_space.seed_faxes(1)
    if protected:
        signalwire_space.protect_media("faxes")
    result = DownloadFaxMediaOperator(
        task_id="dl", fax_sid=fax["sid"], destination=f"{tmp_path}/in/"
    ).execute({})
    target = tmp_path / "in" / f"{fax['media_sid']}.pdf"
    data = target.read_bytes()
    assert data == signalwire_space.media_file(fax["media_url"]) and data.startswith(b"%PDF")
    assert result["size"] == len(data) and result["sha256"] == hashlib.sha256(data).hexdigest()
    assert (result["fax_sid"], result["media_sid"]) == (fax["sid"], fax["media_sid"])
    assert [p.name for p in (tmp_path / "in").iterdir()] == [target.name]  # no temporary file left
    # The file itself was asked of the space (credentials go nowhere else).
    last = signalwire_space.requests[-1]
    assert last.path.endswith(f"/Media/{fax['media_sid']}") and last.has_auth and last.status == 200


def test_list_and_delete_a_faxs_media(signalwire_space):
    (fax,) = signalwire_space.seed_faxes(1)
    listed = ListFaxMediaOperator(task_id="l", fax_sid=fax["sid"]).execute({})
    assert [m["sid"] for m in listed] == [fax["media_sid"]]
    delete = DeleteFaxMediaOperator(task_id="d", fax_sid=fax["sid"], media_sid=fax["media_sid"])
    assert delete.execute({})["deleted"] is True and delete.execute({})["deleted"] is False
    assert ListFaxMediaOperator(task_id="l", fax_sid=fax["sid"]).execute({}) == []
    with pytest.raises(AirflowFailException, match="no stored media"):
        DownloadFaxMediaOperator(task_id="dl", fax_sid=fax["sid"], destination="/tmp/x.pdf").execute({})


def test_a_fax_sent_without_stored_media_and_bad_ids(signalwire_space, tmp_path):
    with pytest.raises(SignalWireConfigError, match="media_sid"):
        DownloadFaxMediaOperator(task_id="dl", fax_sid="FX1", media_sid="../x", destination=str(tmp_path))
    with pytest.raises(SignalWireConfigError, match="fax_sid"):
        DownloadFaxMediaOperator(task_id="dl", fax_sid="", destination=f"{tmp_path}/").execute({})
    with pytest.raises(SignalWireConfigError, match="destination"):
        DownloadFaxMediaOperator(task_id="dl", fax_sid="FX1", destination="https://example.com/x.pdf")
    assert signalwire_space.requests == []
