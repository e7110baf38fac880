"""Phone numbers a tired user or a bad template gives: refused before any request, table by table.

Each row is a number (or list of numbers) and a fragment the error must contain: what is wrong, named
plainly. Every row is tried on each number field of ``SendMessageOperator``, ``MakeCallOperator`` and
``SignalWireNotifier``, twice: as a literal (refused when the DAG is parsed, in ``__init__``) and as
what a template rendered (refused when the task runs). No row may send an HTTP request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import requests_mock as rm

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.notifications.signalwire import SignalWireNotifier
from airflow_provider_signalwire.operators.messaging import SendMessageOperator, e164, parse_numbers
from airflow_provider_signalwire.operators.voice import MakeCallOperator
from tests.fixtures import PROJECT

GOOD = "+12025550101"
FROM = "+12025550150"
TWIML = "<Response><Say>Disk full</Say></Response>"
TEMPLATE = "{{ params.number }}"

# One number: (value, what the error must say).
BAD_NUMBERS: list[tuple[Any, str]] = [
    ("+\u0661\u0662\u0660\u0662\u0665\u0665\u0665\u0660\u0661\u0662\u0663", "ARABIC-INDIC DIGIT ONE"),
    ("+\u06f1\u06f2\u06f0\u06f2\u06f5\u06f5\u06f5\u06f0\u06f1\u06f2\u06f3", "EXTENDED ARABIC-INDIC DIGIT"),
    ("+\uff11\uff12\uff10\uff12\uff15\uff15\uff15\uff10\uff11\uff12\uff13", "FULLWIDTH DIGIT ONE"),
    ("+1 202 555 \uff10\uff11\uff12\uff13", "FULLWIDTH DIGIT ZERO"),
    ("+1\u0662\u0660\u0662\u0665\u0665\u0665\u0660\u0661\u0662\u0663", "ARABIC-INDIC DIGIT TWO"),
    ("+1\uff12\uff10\uff12\uff15\uff15\uff15\uff10\uff11\uff12\uff13", "FULLWIDTH DIGIT TWO"),
    ("+44 \u0662\u0660 7946 0000", "ARABIC-INDIC DIGIT TWO"),
    ("+\u0967\u0968\u0966\u0968\u096b\u096b\u096b\u0966\u0967\u0968\u0969", "DEVANAGARI DIGIT ONE"),
    ("+1202555O123", "'O' is not a digit"),
    ("+1800FLOWERS", "'F' is not a digit"),
    ("+12025550123 ext 5", "'e' is not a digit"),
    ("tel:+12025550123", "'t' is not a digit"),
    ("+12025550123\x00", "'\\x00' is not a digit"),
    ("+1202\u200b5550123", "'\\u200b' is not a digit"),
    ("+1+2025550123", "only one +"),
    ("+12", "too short for US"),
    ("+1", "too short for US"),
    ("+1 555 123", "too short for US and the 24 other regions of +1: numbers there have 10 digits"),
    ("+1 202 555 01", "too short for US"),
    ("+44 20 7946", "too short for GB"),
    ("+1202555012345", "too long for US"),
    ("+123456789012345678", "at most 15 digits"),
    ("+15551234567", "555 is not an area code"),
    ("+44791112345", "invalid for GB"),
    ("+999123456", "no country code starts '+999'"),
    ("+0123", "no country code after the +"),
    ("+", "no country code after the +"),
    ("2025550123", "the + and country code are missing"),
    ("5551239999", "the + and country code are missing"),
    ("(202) 555-0123", "the + and country code are missing"),
    ("1-202-555-0123", "the + and country code are missing"),
    ("0044 20 7946 0000", "instead of the international prefix 00"),
    (12025550123, "the + and country code are missing"),
    ("", "empty"),
    ("   ", "empty"),
    ("- ( ) .", "empty"),
    (None, "give it as a string"),
    (True, "give it as a string"),
    (1.5, "give it as a string"),
    ({"to": GOOD}, "give it as a string"),
]

# A list of recipients (``to`` of messages and the notifier): one bad entry refuses all of them.
BAD_LISTS: list[tuple[Any, str]] = [
    ([GOOD, "+\u0661\u0662\u0660\u0662\u0665\u0665\u0665\u0660\u0661\u0660\u0662"], "to[1]"),
    ([GOOD, "2025550102"], "to[1]: '2025550102'"),
    ([GOOD, "+1 555 123"], "to[1]: '+1 555 123'"),
    ([GOOD, None], "to[1]: None"),
    ([GOOD, GOOD, "+12"], "to[2]: '+12'"),
    ([], "to is empty"),
    (f"{GOOD}, +1 555 123", "to[1]: '+1 555 123'"),
    (f"{GOOD}; 2025550102", "to[1]: '2025550102'"),
    (f"['{GOOD}', '+12']", "to[1]: '+12'"),
    (f"['{GOOD}', None]", "to[1]: None"),
    (",", "to[0]: ''"),
]


# Where a number goes: (operator or notifier built with that number, the field's name).
def _message_to(value: Any) -> Any:
    return SendMessageOperator(task_id="send", to=value, from_=FROM, body="Disk full")


def _message_from(value: Any) -> Any:
    return SendMessageOperator(task_id="send", to=GOOD, from_=value, body="Disk full")


def _call_to(value: Any) -> Any:
    return MakeCallOperator(task_id="call", to=value, from_=FROM, twiml=TWIML)


def _call_from(value: Any) -> Any:
    return MakeCallOperator(task_id="call", to=GOOD, from_=value, twiml=TWIML)


def _notifier_to(value: Any) -> Any:
    return SignalWireNotifier(to=value, from_=FROM, signalwire_conn_id="signalwire_test")


def _notifier_from(value: Any) -> Any:
    return SignalWireNotifier(to=GOOD, from_=value, signalwire_conn_id="signalwire_test")


SCALAR_FIELDS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "message.to": (_message_to, "to"),
    "message.from_": (_message_from, "from_"),
    "call.to": (_call_to, "to"),
    "call.from_": (_call_from, "from_"),
    "notifier.to": (_notifier_to, "to"),
    "notifier.from_": (_notifier_from, "from_"),
}
LIST_FIELDS = {k: SCALAR_FIELDS[k] for k in ("message.to", "notifier.to")}


def _rows(fields: dict[str, Any], table: list[tuple[Any, str]]) -> list[Any]:
    return [
        pytest.param(name, value, fragment, id=f"{name}-{i}")
        for name in fields
        for i, (value, fragment) in enumerate(table)
    ]


ROWS = _rows(SCALAR_FIELDS, BAD_NUMBERS) + _rows(LIST_FIELDS, BAD_LISTS)


@pytest.fixture
def no_http(make_conn: Callable[..., str]) -> Iterator[rm.Mocker]:
    """A connection (so a number wrongly accepted reaches the wire) and a wire with no routes."""
    make_conn(conn_id="signalwire_default")
    make_conn(conn_id="signalwire_test")
    with rm.Mocker() as mock:
        yield mock


def _context() -> dict[str, Any]:
    ti = SimpleNamespace(dag_id="nightly", task_id="load", run_id="manual__1", try_number=1, log_url="")
    return {"dag": None, "ti": ti, "task_instance": ti, "dag_run": SimpleNamespace(run_id="manual__1")}


@pytest.mark.parametrize(("value", "fragment"), BAD_NUMBERS)
def test_the_check_says_what_is_wrong(value, fragment):
    with pytest.raises(SignalWireConfigError, match="is not an E.164 phone number") as info:
        e164(value, "to")
    assert fragment in str(info.value)
    assert str(info.value).startswith("to: ")


@pytest.mark.parametrize(("field", "value", "fragment"), ROWS)
def test_refused_when_the_dag_is_parsed(no_http, field, value, fragment):
    build, name = SCALAR_FIELDS[field]
    with pytest.raises(SignalWireConfigError) as info:
        build(value)
    assert fragment in str(info.value) and name in str(info.value)
    assert no_http.request_history == []


@pytest.mark.parametrize(("field", "value", "fragment"), ROWS)
def test_refused_when_rendered(no_http, capfd, field, value, fragment):
    build, name = SCALAR_FIELDS[field]
    target = build(TEMPLATE)  # a template: left for later when the DAG is parsed
    setattr(target, name, value)  # what rendering gave
    if field.startswith("notifier"):
        target(_context())  # a notifier logs why and returns: the task's own outcome stays
        out = capfd.readouterr().out
        assert "SMS notification could not be sent at all (SignalWireConfigError)" in out
        assert fragment in out
    else:
        with pytest.raises(SignalWireConfigError) as info:
            target.execute(_context())
        assert fragment in str(info.value)
    assert no_http.request_history == []


@pytest.mark.parametrize(
    "value",
    [
        [GOOD, TEMPLATE],
        [TEMPLATE, GOOD],
        f"{TEMPLATE}, {GOOD}",
        "{% for n in params.on_call %}{{ n }},{% endfor %}",
    ],
)
def test_templates_are_left_for_later_but_literal_entries_are_not(value):
    _message_to(value)
    _notifier_to(value)
    if isinstance(value, list):
        bad = [("+12" if item == GOOD else item) for item in value]
        index = bad.index("+12")
        with pytest.raises(SignalWireConfigError, match=rf"to\[{index}\]: '\+12'"):
            _message_to(bad)
        with pytest.raises(SignalWireConfigError, match=rf"to\[{index}\]: '\+12'"):
            _notifier_to(bad)


def test_an_xcom_arg_is_left_for_later():
    pending = SimpleNamespace(operator=None)  # not a plain value: known only when the task runs
    _message_to(pending)
    _call_to(pending)
    _notifier_to(pending)


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("+1 (202) 555-0123", "+12025550123"),
        ("+1.202.555.0123", "+12025550123"),
        (" +12025550123\n", "+12025550123"),
        ("+44 20 7946 0000", "+442079460000"),
        ("+44 (0)20 7946 0000", "+442079460000"),  # the UK trunk 0 written in brackets
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+49 30 901820", "+4930901820"),
        ("+800 1234 5678", "+80012345678"),  # a non-geographic (freephone) number
    ],
)
def test_good_numbers_are_normalised(value, number):
    assert e164(value, "to") == number
    assert _message_to(value).to == value  # kept as given; normalised when sent
    assert _call_to(value).to == value


def test_a_sip_address_is_a_call_target():
    assert _call_to("sip:alice@example.com").to == "sip:alice@example.com"


def test_duplicates_are_sent_once(no_http):
    assert parse_numbers([GOOD, "+1 (202) 555-0101", "+1-202-555-0101"], "to") == [GOOD]
    url = f"https://acme.signalwire.com/api/laml/2010-04-01/Accounts/{PROJECT}/Messages"
    no_http.post(url, status_code=201, json={"sid": "SM1", "status": "queued"})
    op = SendMessageOperator(
        task_id="send",
        to=f"{GOOD}, +1 (202) 555-0101",
        from_=FROM,
        body="hi",
        signalwire_conn_id="signalwire_test",
    )
    assert [r["to"] for r in op.execute(_context())] == [GOOD]
    assert len(no_http.request_history) == 1
