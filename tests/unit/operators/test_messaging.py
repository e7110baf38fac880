"""SendMessageOperator, ListMessagesOperator, GetMessageOperator against the offline fake space."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

import pytest

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.operators.messaging import (
    GetMessageOperator,
    ListMessagesOperator,
    SendMessageOperator,
    SignalWireSendError,
    outcome_of,
    parse_rfc2822,
    sender_pool,
)

FROM = "+12025550150"
TO = ["+12025550101", "+12025550102", "+12025550103", "+12025550104"]


class FakeTime:
    """A monotonic clock that only moves when slept on."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def make_send(max_retries: int | None = None, **kwargs: Any) -> tuple[SendMessageOperator, FakeTime]:
    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

    kwargs.setdefault("to", TO)
    kwargs.setdefault("from_", FROM)
    kwargs.setdefault("body", "Disk full on db-1")
    op = SendMessageOperator(task_id="send", **kwargs)
    fake = FakeTime()
    op._sleep, op._clock = fake.sleep, fake.clock
    if max_retries is not None:
        op.__dict__["hook"] = SignalWireHook(max_retries=max_retries)
    op.hook._sleep = fake.sleep  # the hook's own retry waits
    return op, fake


def context(started: datetime | None = None, **extra: Any) -> dict[str, Any]:
    run = SimpleNamespace(start_date=started or datetime.now(timezone.utc), run_id="manual__1")
    return {"dag_run": run, **extra}


def posts(space: Any) -> list[Any]:
    return [r for r in space.requests if r.method == "POST" and r.path.endswith("/Messages")]


def sent_to(request: Any) -> str:
    return parse_qs(request.body)["To"][0]


# ------------------------------------------------------------------ validation before any request


@pytest.mark.parametrize(
    ("to", "named"),
    [
        (["+12025550101", "2025550102", "+12025550103"], "to[1]: '2025550102'"),
        ("+1202555010x", "to: '+1202555010x'"),
        ("['+12025550101', '+0123']", "to[1]: '+0123'"),
        ("+12025550101, 12025550102", "to[1]: '12025550102'"),
        ([], "to is empty"),
    ],
)
def test_one_bad_number_sends_nothing_and_is_named(signalwire_space, to, named):
    with pytest.raises(SignalWireConfigError, match=r"E\.164|empty") as info:
        make_send(to=to)  # a literal number is checked when the DAG is parsed
    assert named in str(info.value)
    assert signalwire_space.requests == []


def test_bad_sender_or_media_sends_nothing(signalwire_space):
    with pytest.raises(SignalWireConfigError, match="from_"):
        make_send(from_="SignalWire")[0].execute(context())
    with pytest.raises(SignalWireConfigError, match="media_url"):
        make_send(media_url=["ftp://x/y.png"])[0].execute(context())
    op, _ = make_send()
    op.body = ""  # as if a template rendered empty
    with pytest.raises(SignalWireConfigError, match="nothing to send"):
        op.execute(context())
    assert signalwire_space.requests == []


def test_parse_time_checks():
    with pytest.raises(SignalWireConfigError, match="body or media_url"):
        SendMessageOperator(task_id="t", to=TO[0], from_=FROM)
    with pytest.raises(SignalWireConfigError, match="messages_per_second"):
        SendMessageOperator(task_id="t", to=TO[0], from_=FROM, body="x", messages_per_second=0)


# ------------------------------------------------------------------ sending


def test_sends_each_recipient_paced(signalwire_space):
    op, fake = make_send(messages_per_second=2, media_url="https://example.com/a.png")
    result = op.execute(context())
    assert [r["to"] for r in result] == TO
    assert all(r["sid"] and r["status"] == "queued" and not r["deduplicated"] for r in result)
    assert [sent_to(r) for r in posts(signalwire_space)] == TO
    assert parse_qs(posts(signalwire_space)[0].body)["MediaUrl"] == ["https://example.com/a.png"]
    # 4 messages at 2 per second: 3 gaps of 0.5 s (the requests themselves take no fake time).
    assert fake.sleeps == pytest.approx([0.5, 0.5, 0.5])


def test_rate_limits_resend_only_the_refused_recipient(signalwire_space):
    prefix = f"/api/laml/2010-04-01/Accounts/{signalwire_space.project_id}/Messages"
    op, fake = make_send(max_retries=0)  # every 429 reaches the operator's own backoff
    signalwire_space.inject_fault(prefix, "429", count=1, method="POST")
    first = op.execute(context())
    # The first POST was refused (429 / 20429) and sent again; every recipient exactly once.
    accepted = [sent_to(r) for r in posts(signalwire_space) if r.status == 201]
    assert accepted == TO
    assert [r.status for r in posts(signalwire_space)] == [429, 201, 201, 201, 201]
    assert 2.0 in fake.sleeps  # the backoff
    assert len({r["sid"] for r in first}) == 4


def test_after_a_rate_limited_retry_the_next_send_waits_its_interval(signalwire_space):
    op, fake = make_send(max_retries=0, messages_per_second=2)
    fault_on_post(signalwire_space, op, 2, "429")  # the second recipient is refused once
    op.execute(context())
    assert [r.status for r in posts(signalwire_space)] == [201, 429, 201, 201, 201]
    # 0.5 s, then the 2 s backoff before TO[1] is sent again; the next send waits its full 0.5 s from
    # that resend (it used to follow right behind it: the pace counted from the refused attempt).
    assert fake.sleeps == pytest.approx([0.5, 2.0, 0.5, 0.5])


def test_rate_limits_with_the_hooks_retries_too(signalwire_space):
    prefix = f"/api/laml/2010-04-01/Accounts/{signalwire_space.project_id}/Messages"
    op, _ = make_send()
    # More 429s than the hook retries (3): the operator backs off and sends the same recipient again.
    signalwire_space.inject_fault(prefix, "429", count=6, method="POST", retry_after="1")
    op.execute(context())
    accepted = [sent_to(r) for r in posts(signalwire_space) if r.status == 201]
    assert accepted == TO
    assert [sent_to(r) for r in posts(signalwire_space) if r.status == 429] == [TO[0]] * 6


def fault_on_post(space: Any, op: SendMessageOperator, number: int, kind: str) -> None:
    """Inject ``kind`` for the ``number``-th message POST of ``op`` (1-based)."""
    prefix = f"/api/laml/2010-04-01/Accounts/{space.project_id}/Messages"
    real_request = op.hook.request
    seen = {"posts": 0}

    def request(method: str, path: str, **kwargs: Any) -> Any:
        if method == "POST":
            seen["posts"] += 1
            if seen["posts"] == number:
                space.inject_fault(prefix, kind, count=1, method="POST")
        return real_request(method, path, **kwargs)

    op.hook.request = request  # type: ignore[method-assign]


def test_no_repeat_after_a_500(signalwire_space):
    op, _ = make_send()
    fault_on_post(signalwire_space, op, 2, "500")
    with pytest.raises(SignalWireSendError) as info:
        op.execute(context())
    err = info.value
    assert list(err.sent) == [TO[0]]
    assert err.unknown == [TO[1]]
    assert err.not_sent == TO[2:]
    assert "Unknown: +12025550102" in str(err) and "Not sent: +12025550103, +12025550104" in str(err)
    # The POST that got the 500 was never repeated, and nothing after it was sent.
    assert [(sent_to(r), r.status) for r in posts(signalwire_space)] == [(TO[0], 201), (TO[1], 500)]


def test_dropped_connection_is_unknown_and_refused_is_not_sent(signalwire_space):
    prefix = f"/api/laml/2010-04-01/Accounts/{signalwire_space.project_id}/Messages"
    op, _ = make_send(to=TO[:2])
    signalwire_space.inject_fault(prefix, "drop", count=1, method="POST")
    with pytest.raises(SignalWireSendError) as info:
        op.execute(context())
    assert info.value.unknown == [TO[0]] and info.value.not_sent == [TO[1]]
    assert len(posts(signalwire_space)) == 1


def test_outcome_of_errors():
    from airflow_provider_signalwire.exceptions import SignalWireAPIError

    def err(status: int | None, kind: str | None = None, sent: bool = True) -> SignalWireAPIError:
        return SignalWireAPIError(
            method="POST", url="https://x/api/laml", status_code=status, failure_kind=kind, sent=sent
        )

    assert outcome_of(err(422)) == "not sent"
    assert outcome_of(err(503)) == "not sent"
    assert outcome_of(err(500)) == "unknown"
    assert outcome_of(err(504)) == "unknown"
    assert outcome_of(err(None, "dropped")) == "unknown"
    assert outcome_of(err(None, "timeout")) == "unknown"
    assert outcome_of(err(None, "refused", sent=False)) == "not sent"
    assert outcome_of(err(None, "dns", sent=False)) == "not sent"


def test_a_refused_message_stops_the_list_as_not_sent(signalwire_space):
    op, _ = make_send(max_retries=0)
    fault_on_post(signalwire_space, op, 2, "503")  # SignalWire did not act
    with pytest.raises(SignalWireSendError) as info:
        op.execute(context())
    assert list(info.value.sent) == [TO[0]] and info.value.unknown == []
    assert info.value.not_sent == TO[1:]
    assert "Unknown" not in str(info.value)


# ------------------------------------------------------------------ deduplicate across retries


def test_deduplicate_across_a_retry(signalwire_space):
    started = datetime.now(timezone.utc) - timedelta(seconds=5)
    op, _ = make_send(deduplicate=True)
    fault_on_post(signalwire_space, op, 3, "500")
    with pytest.raises(SignalWireSendError) as info:
        op.execute(context(started))  # try 1: two sent, the third unknown, the fourth not sent
    assert len(info.value.sent) == 2 and info.value.unknown == [TO[2]]

    retry, _ = make_send(deduplicate=True)  # try 2: a fresh operator, as after an Airflow retry
    result = retry.execute(context(started))
    assert [r["deduplicated"] for r in result] == [True, True, False, False]
    assert [r["sid"] for r in result[:2]] == list(info.value.sent.values())
    accepted = [sent_to(r) for r in posts(signalwire_space) if r.status == 201]
    assert accepted == TO  # each exactly once


def test_deduplicate_ignores_other_bodies_and_older_runs(signalwire_space):
    op, _ = make_send(to=TO[0], deduplicate=True)
    op.execute(context())
    # A new run (started later) with the same text sends again; a different text sends again.
    later = datetime.now(timezone.utc) + timedelta(seconds=2)
    signalwire_space.clock.advance(3)
    again, _ = make_send(to=TO[0], deduplicate=True)
    assert again.execute(context(later))[0]["deduplicated"] is False
    other, _ = make_send(to=TO[0], deduplicate=True, body="Other text")
    assert other.execute(context(later))[0]["deduplicated"] is False
    assert len([r for r in posts(signalwire_space) if r.status == 201]) == 3


# ------------------------------------------------------------------ list / get


def test_list_messages_default_window_is_the_data_interval(signalwire_space):
    now = signalwire_space.clock.now().replace(microsecond=0)
    signalwire_space.seed_messages(6, start=now - timedelta(hours=6), end=now)  # one an hour
    op = ListMessagesOperator(task_id="list")
    start, end = now - timedelta(hours=3), now - timedelta(hours=1)
    inside = op.execute({"data_interval_start": start, "data_interval_end": end})
    assert len(inside) == 2
    request = signalwire_space.requests[-1]
    assert request.query["DateSent>"] == start.date().isoformat()
    # No data interval (an Airflow 3 manual run): every message.
    assert len(op.execute({"data_interval_start": None, "data_interval_end": None})) == 6
    assert len(op.execute({})) == 6


def test_list_messages_filters(signalwire_space):
    seeded = signalwire_space.seed_messages(3)
    day = parse_rfc2822(seeded[1]["date_sent"]).date().isoformat()  # the UTC day message 1 was sent
    op = ListMessagesOperator(task_id="list", to="+12025550001", date_sent=day, status="delivered")
    assert [m["to"] for m in op.execute({})] == ["+12025550001"]
    query = signalwire_space.requests[-1].query
    assert query == {"To": "+12025550001", "DateSent": day, "Status": "delivered"}


def test_get_message(signalwire_space):
    op, _ = make_send(to=TO[0])
    sid = op.execute(context())[0]["sid"]
    signalwire_space.clock.advance(5)
    message = GetMessageOperator(task_id="get", message_sid=sid).execute({})
    assert message["status"] == "delivered"


# ------------------------------------------------------------------ one pace per sending number


def test_sender_pool_names_the_number():
    assert sender_pool("+1 202 555 0150") == "signalwire-sender-12025550150"
    assert sender_pool(FROM) == "signalwire-sender-12025550150"
    with pytest.raises(SignalWireConfigError, match="number"):
        sender_pool("2025550150")


def test_in_another_numbers_pool_nothing_is_sent(signalwire_space):
    op, _ = make_send(pool=sender_pool("+12025550199"))
    with pytest.raises(SignalWireConfigError, match=r"pool=sender_pool\(from_\)"):
        op.execute(context())
    assert signalwire_space.requests == []


def test_outside_a_sender_pool_no_previous_send_is_looked_up(signalwire_space):
    op, fake = make_send(to=TO[:1])
    op.execute(context())
    assert [r.method for r in signalwire_space.requests] == ["POST"]
    assert fake.sleeps == []


def test_in_its_pool_a_task_waits_out_the_numbers_previous_send(signalwire_space):
    # An earlier task (another worker) sent from the number a moment ago: this one waits the interval
    # plus the second SignalWire's whole-second dates may hide, then paces its own list as usual.
    first = make_send(to=TO[:1])[0].execute(context())[0]
    sent_at = parse_rfc2822(signalwire_space.state.messages[first["sid"]]["date_created"])
    op, fake = make_send(to=TO[1:3], messages_per_second=2, pool=sender_pool(FROM))
    op._utcnow = lambda: sent_at + timedelta(seconds=0.2)  # 0.2 s after that send (SignalWire's clock)
    op.execute(context())
    lookup = signalwire_space.requests[1]
    assert (lookup.method, lookup.query.get("From")) == ("GET", FROM)
    # The interval (0.5 s) plus the second whole-second dates may hide, less the 0.2 s gone by; then
    # its own list at its pace.
    assert fake.sleeps == pytest.approx([1.3, 0.5])
    assert [sent_to(r) for r in posts(signalwire_space)] == TO[:3]
    # Long after that send, a task starts at once; a clock far behind SignalWire's never waits longer.
    for now, wait in ((sent_at + timedelta(minutes=5), []), (sent_at - timedelta(hours=1), [1.5])):
        op, fake = make_send(to=TO[:1], messages_per_second=2, pool=sender_pool(FROM))
        op._utcnow = lambda now=now: now
        op.execute(context())
        assert fake.sleeps == pytest.approx(wait)


def test_in_its_pool_a_number_that_never_sent_starts_at_once(signalwire_space):
    op, fake = make_send(to=TO[:2], messages_per_second=2, pool=sender_pool(FROM))
    op.execute(context())
    assert fake.sleeps == pytest.approx([0.5])
