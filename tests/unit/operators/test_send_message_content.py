"""SendMessageOperator: what a message holds decides what it is. Media count in ``deduplicate=True``;
a body longer than SignalWire accepts is refused before sending. Against the offline fake space."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

import pytest

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.operators.messaging import SendMessageOperator, compat_path

FROM = "+12025550150"
TO = "+12025550101"
IMAGE_A = "https://example.com/a.jpg"
IMAGE_B = "https://example.com/b.jpg"
MAX_BODY_CHARS = 1600  # compatibility-api.yaml, Message body: "Up to 1600 characters long."


def send(**kwargs: Any) -> SendMessageOperator:
    kwargs.setdefault("to", TO)
    kwargs.setdefault("from_", FROM)
    op = SendMessageOperator(task_id="send", deduplicate=True, **kwargs)
    op.hook._sleep = lambda _s: None
    return op


def context(try_number: int | None, started: datetime) -> dict[str, Any]:
    """A task's context; ``try_number=None``: a context that does not say (e.g. a direct execute)."""
    run = SimpleNamespace(start_date=started, run_id="manual__1")
    ctx: dict[str, Any] = {"dag_run": run}
    if try_number is not None:
        ctx["ti"] = SimpleNamespace(try_number=try_number)
    return ctx


def message_posts(space: Any) -> list[Any]:
    return [r for r in space.requests if r.method == "POST" and r.path.endswith("/Messages")]


def message_lists(space: Any) -> list[Any]:
    return [r for r in space.requests if r.method == "GET" and r.path.endswith("/Messages")]


# ------------------------------------------------------------------ deduplicate counts the media


@pytest.mark.parametrize("try_number", [1, None])
def test_two_mms_of_one_run_with_other_media_are_two_messages(signalwire_space, try_number):
    started = datetime.now(timezone.utc) - timedelta(seconds=5)
    first = send(media_url=IMAGE_A).execute(context(try_number, started))
    # Another media-only MMS to the same number in the same run: as many media on a first try, or two
    # media instead of one when the context does not say which try this is.
    media = IMAGE_B if try_number == 1 else [IMAGE_A, IMAGE_B]
    second = send(media_url=media).execute(context(try_number, started))
    assert first[0]["deduplicated"] is False and second[0]["deduplicated"] is False
    assert first[0]["sid"] != second[0]["sid"]
    assert [parse_qs(r.body)["MediaUrl"] for r in message_posts(signalwire_space)] == [
        [IMAGE_A],
        [IMAGE_A, IMAGE_B] if try_number is None else [IMAGE_B],
    ]


def test_an_mms_and_a_text_with_the_same_body_are_two_messages(signalwire_space):
    started = datetime.now(timezone.utc) - timedelta(seconds=5)
    send(body="Report ready").execute(context(2, started))
    mms = send(body="Report ready", media_url=IMAGE_A).execute(context(2, started))
    assert mms[0]["deduplicated"] is False
    assert len(message_posts(signalwire_space)) == 2


def test_a_first_try_sends_without_looking(signalwire_space):
    started = datetime.now(timezone.utc) - timedelta(seconds=5)
    send(body="Disk full").execute(context(1, started))
    again = send(body="Disk full").execute(context(1, started))  # e.g. another task of the run
    assert again[0]["deduplicated"] is False
    assert message_lists(signalwire_space) == []  # no earlier try, nothing to look up
    assert len(message_posts(signalwire_space)) == 2


def test_a_retry_of_an_mms_finds_what_the_first_try_sent(signalwire_space):
    started = datetime.now(timezone.utc) - timedelta(seconds=5)
    first = send(media_url=IMAGE_A).execute(context(1, started))  # then the worker died, say
    retry = send(media_url=IMAGE_A).execute(context(2, started))
    assert retry[0]["deduplicated"] is True and retry[0]["sid"] == first[0]["sid"]
    assert len(message_posts(signalwire_space)) == 1


# ------------------------------------------------------------------ the body's length


def test_a_literal_body_over_the_limit_is_refused_when_parsed():
    with pytest.raises(SignalWireConfigError, match=r"body is 1601 characters long.*at most 1600"):
        SendMessageOperator(task_id="send", to=TO, from_=FROM, body="x" * 1601)


@pytest.mark.parametrize("body", ["x" * (MAX_BODY_CHARS + 1), "é" * 2000, "line\n" * 400])
def test_a_rendered_body_over_the_limit_sends_nothing(signalwire_space, body):
    op = SendMessageOperator(task_id="send", to=[TO, "+12025550102"], from_=FROM, body="{{ params.text }}")
    op.body = body  # what the template rendered
    with pytest.raises(SignalWireConfigError, match=rf"{len(body)} characters long.*at most 1600"):
        op.execute(context(1, datetime.now(timezone.utc)))
    assert signalwire_space.requests == []


@pytest.mark.parametrize("body", ["x" * MAX_BODY_CHARS, "é" * MAX_BODY_CHARS])
def test_a_body_at_the_limit_is_sent(signalwire_space, body):
    op = SendMessageOperator(task_id="send", to=TO, from_=FROM, body=body)
    assert op.execute(context(1, datetime.now(timezone.utc)))[0]["sid"]
    assert parse_qs(message_posts(signalwire_space)[0].body)["Body"] == [body]


def test_the_fake_space_refuses_what_signalwire_refuses(signalwire_space):
    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

    hook = SignalWireHook()
    path = compat_path(signalwire_space.project_id, "Messages")
    with pytest.raises(SignalWireAPIError) as info:
        hook.request("POST", path, data={"To": TO, "From": FROM, "Body": "x" * (MAX_BODY_CHARS + 1)})
    assert info.value.status_code == 422 and "1600" in str(info.value)
