"""Retry decisions, Retry-After and backoff."""

from __future__ import annotations

import random
import socket
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from airflow_provider_signalwire.protocol import Failure
from airflow_provider_signalwire.protocol import retry as p


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ({"status": 429}, True),
        ({"status": 500}, True),
        ({"status": 502}, True),
        ({"status": 503}, True),
        ({"status": 504}, True),
        ({"status": 400}, False),
        ({"status": 401}, False),
        ({"status": 404}, False),
        ({"status": 422}, False),
        ({"failure": Failure("connect", sent=False)}, True),
        ({"failure": Failure("timeout", sent=True)}, True),
        ({"failure": Failure("dropped", sent=True)}, True),
        ({"failure": Failure("tls", sent=False)}, False),
        ({"failure": Failure("dns", sent=False)}, False),  # the name does not exist: a retry cannot help
        ({"failure": p.dns_failure(socket.EAI_NONAME)}, False),
        ({"failure": p.dns_failure(socket.EAI_NODATA)}, False),
        ({"failure": p.dns_failure(None)}, False),
        ({"failure": p.dns_failure(socket.EAI_AGAIN)}, True),  # the resolver did not answer
    ],
)
def test_idempotent_calls_retry_on_transient_failures(when, expected):
    for method in ("GET", "DELETE", "PUT", "head"):
        assert p.should_retry(method, **when) is expected


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ({"status": 429}, True),
        ({"status": 503}, True),
        ({"status": 500}, False),
        ({"status": 502}, False),
        ({"status": 504}, False),
        ({"failure": Failure("connect", sent=False)}, True),
        ({"failure": Failure("timeout", sent=True)}, False),
        ({"failure": Failure("dropped", sent=True)}, False),
        ({"failure": p.dns_failure(socket.EAI_NONAME)}, False),
        ({"failure": p.dns_failure(socket.EAI_AGAIN)}, True),  # nothing was sent
    ],
)
def test_post_and_patch_retry_only_when_the_server_did_not_act(when, expected):
    for method in ("POST", "PATCH", "post"):
        assert p.should_retry(method, **when) is expected


def test_retry_after_seconds_and_http_date():
    now = datetime(2026, 11, 27, 12, 0, 0, tzinfo=timezone.utc)
    assert p.parse_retry_after("7", now) == 7.0
    assert p.parse_retry_after(" 0 ", now) == 0.0
    assert p.parse_retry_after("-3", now) == 0.0
    http_date = format_datetime(now + timedelta(seconds=42), usegmt=True)
    assert p.parse_retry_after(http_date, now) == pytest.approx(42)
    assert p.parse_retry_after(format_datetime(now - timedelta(seconds=5), usegmt=True), now) == 0.0
    assert p.parse_retry_after("soon", now) is None
    assert p.parse_retry_after("", now) is None
    assert p.parse_retry_after(None, now) is None


def test_retry_delay_prefers_retry_after_and_caps_it():
    assert p.retry_delay(1, "3") == 3.0
    assert p.retry_delay(5, "100000") == p.MAX_RETRY_AFTER


def test_retry_delay_backs_off_exponentially_with_jitter_and_a_cap():
    rng = random.Random(1)
    for attempt, base in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, p.MAX_BACKOFF)]:
        delays = [p.retry_delay(attempt, backoff=1.0, rng=rng) for _ in range(50)]
        assert all(base / 2 <= d <= base for d in delays)
        assert len(set(delays)) > 1  # jittered


@pytest.mark.parametrize(
    ("kwargs", "acted"),
    [
        ({"status": 500}, True),
        ({"status": 502}, True),
        ({"status": 504}, True),
        ({"status": 503}, False),
        ({"status": 429}, False),
        ({"status": 422}, False),
        ({"status": 401}, False),
        ({"failure": Failure("timeout", sent=True)}, True),
        ({"failure": Failure("dropped", sent=True)}, True),
        ({"failure": Failure("refused", sent=False)}, False),
        ({"failure": Failure("dns", sent=False)}, False),
        ({"failure": Failure("invalid", sent=False)}, False),
        ({"failure": Failure("tls", sent=False)}, False),
    ],
)
def test_may_have_acted(kwargs, acted):
    assert p.may_have_acted(**kwargs) is acted


def _drive(policy: p.RetryPolicy, outcomes: list) -> tuple[list, object]:
    """Run the retry driver on scripted outcomes; return its steps and its result."""
    steps = p.attempts(policy, "acme.signalwire.com", 30.0)
    seen, step, outcomes = [], next(steps), list(outcomes)
    while True:
        seen.append(step)
        try:
            step = steps.send(None if isinstance(step, p.Wait) else outcomes.pop(0))
        except StopIteration as done:
            assert outcomes == []
            return seen, done.value


def _reply(status: int, body: bytes = b"", **headers: str) -> p.Reply:
    return p.Reply(status, None, headers, body, "https://acme.signalwire.com/api/x")


def test_the_retry_driver_sends_waits_and_returns_the_last_outcome():
    policy = p.RetryPolicy("GET", max_retries=3, rng=random.Random(1))
    dropped = Failure("dropped", sent=True)
    steps, result = _drive(policy, [_reply(503, **{"Retry-After": "2"}), dropped, _reply(200)])
    assert [type(s).__name__ for s in steps] == ["Send", "Wait", "Send", "Wait", "Send"]
    assert steps[1] == p.Wait(2.0, "HTTP 503", 1, 3)
    assert steps[3].why == "the connection was dropped" and steps[3].retry == 2
    assert result == _reply(200) and policy.attempts == 3


def test_the_retry_driver_never_repeats_a_post_that_may_have_been_acted_on():
    dropped = Failure("dropped", sent=True)
    steps, result = _drive(p.RetryPolicy("POST", max_retries=3), [dropped])
    assert steps == [p.Send(1)] and result == dropped


def test_a_rate_limit_rule_retries_429_and_its_error_code_after_the_regular_retries():
    rule = p.RateLimitRule(retries=2, backoff=2.0, max_backoff=3.0)
    limited = _reply(400, b'{"code": 20429, "message": "Too Many Requests"}')
    steps, result = _drive(p.RetryPolicy("POST", max_retries=0, rate_limit=rule), [limited, limited, limited])
    assert [s.seconds for s in steps if isinstance(s, p.Wait)] == [2.0, 3.0]
    assert [s.of for s in steps if isinstance(s, p.Wait)] == [2, 2]
    assert result == limited  # the rule's retries are spent too
    other = _reply(400, b'{"code": 21211, "message": "bad number"}')
    assert _drive(p.RetryPolicy("POST", max_retries=0, rate_limit=rule), [other]) == ([p.Send(1)], other)
