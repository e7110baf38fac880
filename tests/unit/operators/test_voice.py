"""MakeCallOperator, ListCallsOperator, GetCallOperator against the offline fake space."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs

import pytest

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.operators.voice import GetCallOperator, ListCallsOperator, MakeCallOperator

FROM = "+12025550150"
TWIML = "<Response><Say>Disk full</Say></Response>"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of url"),
        ({"url": "https://example.com/a.xml", "twiml": TWIML}, "exactly one of url"),
        ({"twiml": TWIML, "timeout": 0}, "timeout"),
    ],
)
def test_parse_time_checks(kwargs, message):
    with pytest.raises(SignalWireConfigError, match=message):
        MakeCallOperator(task_id="call", to="+12025550101", from_=FROM, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"to": "2025550101", "twiml": TWIML}, "to: '2025550101' is not an E.164"),
        ({"from_": "x", "twiml": TWIML}, "from_"),
        ({"twiml": "https://example.com/a.xml"}, "for a URL use url="),
        ({"url": "example.com/a.xml"}, "not an http"),
    ],
)
def test_rendered_values_are_checked_before_calling(signalwire_space, kwargs, message):
    kwargs = {"to": "+12025550101", "from_": FROM, **kwargs}
    with pytest.raises(SignalWireConfigError, match=message):
        MakeCallOperator(task_id="call", **kwargs).execute({})
    assert signalwire_space.requests == []


def test_call_with_inline_cxml_then_get_it(signalwire_space):
    op = MakeCallOperator(task_id="call", to="+12025550101", from_=FROM, twiml=TWIML, timeout=30, record=True)
    call = op.execute({})
    assert call["status"] == "queued" and call["to"] == "+12025550101"
    form = parse_qs(signalwire_space.requests[-1].body)
    assert form["Twiml"] == [TWIML] and form["Timeout"] == ["30"] and form["Record"] == ["true"]
    assert "Url" not in form
    signalwire_space.clock.advance(20)
    assert GetCallOperator(task_id="get", call_sid=call["sid"]).execute({})["status"] == "completed"


def test_call_with_url_and_sip(signalwire_space):
    op = MakeCallOperator(task_id="call", to="sip:oncall@example.com", from_=FROM, url="https://e.com/x.xml")
    assert op.execute({})["to"] == "sip:oncall@example.com"
    assert parse_qs(signalwire_space.requests[-1].body)["Url"] == ["https://e.com/x.xml"]


def test_no_repeat_after_a_500(signalwire_space):
    prefix = f"/api/laml/2010-04-01/Accounts/{signalwire_space.project_id}/Calls"
    signalwire_space.inject_fault(prefix, "500", count=1, method="POST")
    with pytest.raises(SignalWireAPIError, match="500"):
        MakeCallOperator(task_id="call", to="+12025550101", from_=FROM, twiml=TWIML).execute({})
    assert len(signalwire_space.requests) == 1


def test_list_calls_window_and_filters(signalwire_space):
    now = signalwire_space.clock.now().replace(microsecond=0)
    signalwire_space.seed_calls(6, start=now - timedelta(hours=6), end=now)  # one an hour
    op = ListCallsOperator(task_id="list")
    inside = op.execute({"data_interval_start": now - timedelta(hours=3), "data_interval_end": now})
    assert len(inside) == 3
    assert "StartTime>" in signalwire_space.requests[-1].query
    assert len(op.execute({})) == 6  # no data interval: every call
    day = (now - timedelta(hours=4)).date().isoformat()  # the UTC day call 2 started
    filtered = ListCallsOperator(task_id="l", to="+12025550002", status="completed", start_time=day)
    assert [c["to"] for c in filtered.execute({})] == ["+12025550002"]
    assert signalwire_space.requests[-1].query == {
        "To": "+12025550002",
        "Status": "completed",
        "StartTime": day,
    }
