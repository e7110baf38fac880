"""SignalWireNotifier against the offline fake space: templating, failures logged not raised, SMS cuts."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

import pytest

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.notifications.signalwire import (
    SignalWireNotifier,
    default_text,
    fit_sms,
    send_signalwire_notification,
    sms_segments,
)

FROM = "+12025550150"


def ti(**extra: Any) -> SimpleNamespace:
    fields = {
        "dag_id": "nightly_orders",
        "task_id": "load_orders",
        "run_id": "manual__2026-11-27T10:00:00+00:00",
        "try_number": 2,
        "state": "failed",
        "log_url": "http://airflow.example.com/dags/nightly_orders/runs/manual/tasks/load_orders?try_number=2",
    }
    fields.update(extra)
    return SimpleNamespace(**fields)


def failure_context(**extra: Any) -> dict[str, Any]:
    instance = ti()
    return {
        "dag": None,  # Airflow 2.11's notifier reads context["dag"] (for its template environment)
        "ti": instance,
        "task_instance": instance,
        "dag_run": SimpleNamespace(dag_id="nightly_orders", run_id=instance.run_id),
        "exception": ValueError("orders feed is empty\nTraceback ..."),
        "params": {"on_call": "+12025550101"},
        **extra,
    }


def sms_posts(space: Any) -> list[dict[str, list[str]]]:
    return [parse_qs(r.body) for r in space.requests if r.method == "POST" and r.path.endswith("/Messages")]


def test_alias_and_template_fields():
    assert send_signalwire_notification is SignalWireNotifier
    assert set(SignalWireNotifier.template_fields) == {"to", "from_", "body"}


def test_templated_body_and_recipients(signalwire_space):
    notifier = send_signalwire_notification(
        to="{{ params.on_call }}, +12025550102",
        from_=FROM,
        body="{{ ti.dag_id }}.{{ ti.task_id }} failed (try {{ ti.try_number }}): {{ exception }}",
    )
    notifier(failure_context())  # as Airflow calls an on_failure_callback
    posts = sms_posts(signalwire_space)
    assert [p["To"][0] for p in posts] == ["+12025550101", "+12025550102"]
    assert posts[0]["From"] == [FROM]
    assert posts[0]["Body"][0].startswith("nightly_orders.load_orders failed (try 2): orders feed is empty")


def test_default_text_says_what_failed():
    text = default_text(failure_context())
    assert text == (
        "Airflow: nightly_orders.load_orders failed, run manual__2026-11-27T10:00:00+00:00, try 2. "
        "ValueError: orders feed is empty"  # the first line of the error only
    )


def test_default_message_has_the_log_link_only_when_it_fits_whole(signalwire_space):
    SignalWireNotifier(to="+12025550101", from_=FROM)(failure_context())
    SignalWireNotifier(to="+12025550101", from_=FROM, max_segments=1)(failure_context())
    two, one = (p["Body"][0] for p in sms_posts(signalwire_space))
    assert two.endswith(" Log: " + ti().log_url) and "ValueError: orders feed is empty" in two
    assert "Log:" not in one and one.endswith("ValueError: orders feed is empty")


def test_default_text_for_dag_and_deadline_callbacks():
    dag_level = {"dag_run": SimpleNamespace(dag_id="d", run_id="r1", state="success"), "reason": "success"}
    assert default_text(dag_level) == "Airflow: DAG d success, run r1. success"
    # What Airflow 3's deadline alerts pass: plain dicts, no task instance.
    deadline = {"dag_run": {"dag_id": "d", "dag_run_id": "r2"}, "deadline": {"id": "x", "deadline_time": "t"}}
    assert default_text(deadline) == "Airflow: DAG d missed its deadline, run r2."


def test_a_send_error_is_logged_and_never_raised(signalwire_space, capfd):
    prefix = f"/api/laml/2010-04-01/Accounts/{signalwire_space.project_id}/Messages"
    signalwire_space.inject_fault(prefix, "500", count=1, method="POST")
    notifier = SignalWireNotifier(to=["+12025550101", "+12025550102"], from_=FROM)
    try:
        raise ValueError("the task's own error")
    except ValueError as task_error:
        notifier(failure_context(exception=task_error))  # returns: the task's error stays the story
    out = capfd.readouterr().out
    assert "SMS notification could not be sent to +12025550101 (SignalWire error)" in out
    assert "HTTP 500" in out
    # The 500 was not repeated (SignalWire may have sent it); the next recipient still got its SMS.
    assert [(p["To"][0]) for p in sms_posts(signalwire_space)] == ["+12025550101", "+12025550102"]
    assert [r.status for r in signalwire_space.requests] == [500, 201]


def test_a_bad_number_is_logged_and_sends_nothing(signalwire_space, capfd):
    notifier = SignalWireNotifier(to="+12025550101", from_=FROM)
    notifier.to = "not-a-number"  # as a template may render (a literal one is refused when parsed)
    notifier(failure_context())
    assert "SMS notification could not be sent at all (SignalWireConfigError)" in capfd.readouterr().out
    assert signalwire_space.requests == []


def test_bad_max_segments():
    with pytest.raises(SignalWireConfigError, match="max_segments"):
        SignalWireNotifier(to="+12025550101", from_=FROM, max_segments=0)


def test_long_text_is_cut_to_the_segments(signalwire_space):
    notifier = SignalWireNotifier(to="+12025550101", from_=FROM, body="x" * 1000, max_segments=1)
    notifier(failure_context())
    body = sms_posts(signalwire_space)[0]["Body"][0]
    assert len(body) == 160 and body.endswith("...")


@pytest.mark.parametrize(
    ("text", "max_segments", "limit"),
    [
        ("é" * 200, 1, 160),  # GSM-7 has é: 160 per single segment
        ("{" * 100, 1, 80),  # extension characters cost two septets
        ("ü" + "x" * 400, 2, 306),  # 153 per segment beyond one
        ("Ошибка " * 40, 1, 70),  # Cyrillic: UCS-2, 70 per segment
        ("🔥" * 100, 1, 35),  # beyond the BMP: two UTF-16 units each
        ("数据" * 150, 3, 201),  # 67 per segment beyond one
    ],
)
def test_fit_sms_never_splits_a_character(text, max_segments, limit):
    cut, segments = fit_sms(text, max_segments)
    assert segments <= max_segments and segments == sms_segments(cut)
    assert cut.encode("utf-8").decode("utf-8") == cut  # whole characters only
    assert cut.endswith(("...", "…"))
    body = cut.rstrip(".…")
    assert text.startswith(body)
    assert len(body) <= limit


def test_fit_sms_drops_a_dangling_joiner():
    family = "👩\u200d👩\u200d👧"
    cut, _ = fit_sms("a" + family * 30, 1)
    assert "\u200d…" not in cut


def test_fit_sms_keeps_short_text():
    assert fit_sms("Disk full", 1) == ("Disk full", 1)


def test_async_notify(signalwire_space):
    notifier = SignalWireNotifier(to=["+12025550101", "+12025550102"], from_=FROM, body="Disk full")
    asyncio.run(notifier.async_notify(failure_context()))
    assert [(p["To"][0], p["Body"][0]) for p in sms_posts(signalwire_space)] == [
        ("+12025550101", "Disk full"),
        ("+12025550102", "Disk full"),
    ]


def test_async_notify_as_a_deadline_callback_awaits_it(signalwire_space):
    # Airflow 3's deadline alerts run `await SignalWireNotifier(**kwargs, context=...)` in the triggerer.
    if not hasattr(SignalWireNotifier, "__await__"):
        pytest.skip("awaitable notifiers (deadline alerts) are Airflow 3")
    context = {"dag_run": {"dag_id": "nightly_orders", "dag_run_id": "r7"}, "deadline": {"id": "1"}}

    async def deadline_missed() -> None:
        await SignalWireNotifier(to="+12025550101", from_=FROM, context=context)

    asyncio.run(deadline_missed())
    assert sms_posts(signalwire_space)[0]["Body"] == [
        "Airflow: DAG nightly_orders missed its deadline, run r7."
    ]


def test_deadline_alert_accepts_the_notifier():
    callback = pytest.importorskip("airflow.sdk.definitions.callback")
    alert = callback.AsyncCallback(SignalWireNotifier, kwargs={"to": "+12025550101", "from_": FROM})
    assert alert.path == "airflow_provider_signalwire.notifications.signalwire.SignalWireNotifier"
