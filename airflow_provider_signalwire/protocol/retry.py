"""When a failed attempt is sent again, and how long to wait first."""

from __future__ import annotations

import random
import socket
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from airflow_provider_signalwire.protocol.constants import (
    DEFAULT_BACKOFF,
    DEFAULT_RETRY_BUDGET,
    IDEMPOTENT_METHODS,
    MAX_BACKOFF,
    MAX_RETRY_AFTER,
    NOT_ACTED_STATUSES,
    RETRYABLE_STATUSES,
)
from airflow_provider_signalwire.protocol.errors import parse_error_body


class Failure(NamedTuple):
    """A transport failure, classified so sync and async code decide retries alike.

    ``kind`` is one of :data:`FAILURE_WORDS`. ``sent`` is False only when the request certainly
    never reached the server (DNS failure, connection refused, connect timeout, a request that could
    not even be built); a reset or read timeout after sending leaves it True.
    """

    kind: str
    sent: bool
    detail: str = ""  # e.g. the host that does not resolve; never holds a secret


# ``detail`` of a "dns" Failure when the resolver could not answer (EAI_AGAIN): worth another try. Any
# other DNS failure means the name does not exist, and it will not exist a second later either.
DNS_TRY_AGAIN = "the resolver did not answer; it may be temporary"


def dns_failure(errno: int | None) -> Failure:
    """The :class:`Failure` for a failed name lookup, from the resolver's ``gaierror.errno``."""
    if errno == socket.EAI_AGAIN:
        return Failure("dns", sent=False, detail=DNS_TRY_AGAIN)
    return Failure("dns", sent=False)


def should_retry(method: str, *, status: int | None = None, failure: Failure | None = None) -> bool:
    """Whether one failed attempt may be sent again.

    Idempotent methods are retried on 429/5xx and transport failures. POST and PATCH only when the
    server certainly did not act: 429 or 503, or a connection that was never established. Never
    after a 500 or a read timeout, so a retry cannot create a second room or send a second SMS.
    TLS failures, requests that could not be built and host names that do not exist are never
    retried (a DNS failure is retried only when the resolver did not answer: :data:`DNS_TRY_AGAIN`).
    """
    method = method.upper()
    idempotent = method in IDEMPOTENT_METHODS
    if status is not None:
        if status not in RETRYABLE_STATUSES:
            return False
        return idempotent or status in NOT_ACTED_STATUSES
    if failure is not None:
        if failure.kind in ("tls", "invalid"):
            return False  # a certificate problem or a malformed request does not go away by retrying
        if failure.kind == "dns":
            return failure.detail == DNS_TRY_AGAIN  # a name that does not exist is not worth waiting for
        return idempotent or not failure.sent
    return False


def may_have_acted(*, status: int | None = None, failure: Failure | None = None) -> bool:
    """Whether SignalWire may have acted on a request that failed: a 500/502/504 answer, or a request
    that reached the server before the connection failed (read timeout, dropped). False for 4xx,
    429 and 503 (refused) and for failures before anything was sent."""
    if status is not None:
        return status >= 500 and status not in NOT_ACTED_STATUSES
    return failure is not None and failure.sent and failure.kind != "invalid"


@dataclass(frozen=True)
class RateLimitRule:
    """Also retry an answer that refuses a call for its rate: HTTP 429, or one of ``codes`` in its error
    body (SignalWire's 20429). Safe for any method, POST included: such a request was not accepted.

    Applies once the regular retries are spent (or their budget is): up to ``retries`` more attempts,
    waiting ``backoff`` seconds before the first and doubling up to ``max_backoff``.
    """

    codes: tuple[str, ...] = ("20429",)
    retries: int = 5
    backoff: float = 2.0
    max_backoff: float = 60.0

    def matches(self, status: int, codes: Sequence[Any] = ()) -> bool:
        return status == 429 or any(str(code) in self.codes for code in codes)


class RetryPolicy:
    """The retry loop's rules for one call, without I/O: :func:`attempts` asks it after each failure.

    :meth:`next_delay` returns the seconds to wait before the next attempt, or None to give up
    (then :attr:`gave_up` says why when it was the budget). Waits follow ``Retry-After`` or
    exponential backoff with jitter; their total stays within ``budget`` seconds. A ``rate_limit``
    rule adds retries for answers that refuse the call for its rate (see :class:`RateLimitRule`).
    """

    def __init__(
        self,
        method: str,
        *,
        max_retries: int,
        backoff: float = DEFAULT_BACKOFF,
        budget: float = DEFAULT_RETRY_BUDGET,
        rng: random.Random | None = None,
        rate_limit: RateLimitRule | None = None,
    ) -> None:
        self.method = method.upper()
        self.max_retries = max_retries
        self.backoff = backoff
        self.budget = budget
        self.rng = rng
        self.rate_limit = rate_limit
        self.attempts = 1  # the attempt under way
        self.waited = 0.0
        self.gave_up: str | None = None
        self._rate_retries = 0

    @property
    def most_retries(self) -> int:
        """Retries this call may make at most (the regular ones and the rate-limit rule's)."""
        return self.max_retries + (self.rate_limit.retries if self.rate_limit else 0)

    def next_delay(
        self,
        *,
        status: int | None = None,
        failure: Failure | None = None,
        retry_after: str | None = None,
        error_codes: Sequence[Any] = (),
    ) -> float | None:
        if self.attempts <= self.max_retries and should_retry(self.method, status=status, failure=failure):
            delay = retry_delay(self.attempts, retry_after, backoff=self.backoff, rng=self.rng)
            if self.waited + delay <= self.budget:
                self.waited += delay
                self.attempts += 1
                return delay
            asked = f" (the server asked to wait {delay:.0f} s more)" if retry_after else ""
            self.gave_up = (
                f"the retry budget of {self.budget:g} s ran out after {self.waited:.0f} s of waiting{asked}"
            )
        rule = self.rate_limit
        if rule is None or status is None or self._rate_retries >= rule.retries:
            return None
        if not rule.matches(status, error_codes):
            return None
        delay = min(rule.backoff * 2**self._rate_retries, rule.max_backoff)
        self._rate_retries += 1
        self.attempts += 1
        self.gave_up = None
        return delay


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def retry_delay(
    attempt: int,
    retry_after: str | None = None,
    *,
    backoff: float = DEFAULT_BACKOFF,
    cap: float = MAX_BACKOFF,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based).

    A server's ``Retry-After`` wins (capped at :data:`MAX_RETRY_AFTER`); otherwise exponential
    backoff ``backoff * 2**(attempt-1)``, capped, with "equal jitter" (half fixed, half random) so
    many workers hitting one limit do not come back in step.
    """
    server_says = parse_retry_after(retry_after)
    if server_says is not None:
        return min(server_says, MAX_RETRY_AFTER)
    base = min(cap, backoff * (2 ** max(0, attempt - 1)))
    return base / 2 + (rng or random).uniform(0, base / 2)


FAILURE_WORDS = {
    "dns": "the host name does not resolve",
    "refused": "the connection was refused",
    "connect": "could not connect",
    "tls": "TLS/certificate verification failed",
    "timeout": "timed out waiting for the answer",
    "dropped": "the connection was dropped",
    "invalid": "the request could not be built",
}


def failure_reason(failure: Failure, host: str, timeout: float) -> str:
    """The one-line cause of a transport failure, naming the host (never a secret)."""
    if failure.kind == "dns":
        name = urlsplit("//" + host).hostname or host
        if failure.detail == DNS_TRY_AGAIN:
            return f"could not connect: the DNS lookup of {name} failed ({DNS_TRY_AGAIN})"
        return f"could not connect: {name} does not resolve"
    if failure.kind == "refused":
        return f"could not connect: {host} refused the connection"
    if failure.kind == "timeout":
        return f"timed out: no complete answer from {host} within the {timeout:g} s timeout"
    words = FAILURE_WORDS[failure.kind]
    return f"{words} ({failure.detail})" if failure.detail else words


def failure_hint(failure: Failure, method: str, host: str, where: str = "this worker") -> str:
    """What to do after a transport failure; warns when a non-idempotent call may have been acted on.

    ``where`` names the machine the call ran on ("this worker" for tasks).
    """
    hint = {
        "dns": f"Check the Space URL ({host}) for typos, and the DNS of {where}",
        "refused": f"Check the Space URL ({host}) and its port, and that the space is reachable from {where}",
        "connect": f"Check that the Space URL ({host}) is right and reachable from {where}",
        "tls": "The space's certificate could not be verified: set the connection's extra 'verify' to the "
        "path of the CA bundle that signed it",
        "timeout": "Raise the connection's 'timeout' extra if SignalWire is slow to answer",
        "dropped": "The connection closed before an answer arrived",
        "invalid": "Check the request's path, query and headers for line breaks or invalid characters; "
        "it was not sent",
    }[failure.kind]
    if failure.sent and method.upper() not in IDEMPOTENT_METHODS:
        hint += (
            f"; {method.upper()} was not retried because SignalWire may have acted on it: check before "
            "running it again"
        )
    return hint


# --------------------------------------------------------------------------- the retry loop, once


class Reply(NamedTuple):
    """One answer as the retry loop and the error builders read it, whatever the transport."""

    status: int
    reason: str | None
    headers: Mapping[str, str]
    content: bytes  # the body read so far (b"" for a streamed download)
    url: str  # the URL as sent
    answer: Any = None  # the transport's own response, handed back untouched


class Send(NamedTuple):
    """Send the request (again); answer with its :class:`Reply` or :class:`Failure`."""

    attempt: int


class Wait(NamedTuple):
    """Wait ``seconds`` before the next attempt (answer with None); ``why`` names the failure."""

    seconds: float
    why: str
    retry: int
    of: int


Outcome = Reply | Failure


def attempts(
    policy: RetryPolicy, host: str, timeout: float
) -> Generator[Send | Wait, Outcome | None, Outcome]:
    """The retry loop, without I/O: yields :class:`Send` and :class:`Wait` steps, and returns the last
    outcome (a :class:`Reply` with any status, or the :class:`Failure` it gave up on).

    :param policy: The call's rules; after the loop, ``policy.attempts`` and ``policy.gave_up`` say how
        it ended.
    :param host: The host named in a failure's words (``host[:port]``).
    :param timeout: The timeout named in a timeout's words.
    """
    while True:
        outcome = yield Send(policy.attempts)
        assert outcome is not None, "answer a Send with a Reply or a Failure"
        if isinstance(outcome, Failure):
            delay = policy.next_delay(failure=outcome)
            why = failure_reason(outcome, host, timeout)
        else:
            codes: list[Any] = []
            if policy.rate_limit is not None and outcome.status >= 300:
                codes = [e.get("code") for e in parse_error_body(outcome.content)]
            retry_after = outcome.headers.get("Retry-After")
            delay = policy.next_delay(status=outcome.status, retry_after=retry_after, error_codes=codes)
            why = f"HTTP {outcome.status}"
        if delay is None:
            return outcome
        yield Wait(delay, why, policy.attempts - 1, policy.most_retries)
