"""Operators for SignalWire Messaging (Compatibility API Messages): send SMS/MMS, list and read messages.

Every number is checked (E.164) before anything is sent. Sending to a list paces itself and backs off
when SignalWire rate-limits, and a message POST is never repeated after an answer that leaves it unknown
whether SignalWire sent it. See docs/messaging.md for the delivery
semantics.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_signalwire.exceptions import (
    SignalWireAPIError,
    SignalWireConfigError,
    SignalWireSendError,
)

# Importable from here as before (they moved; operator modules are no library of each other).
from airflow_provider_signalwire.operators._compatibility import COMPAT_API as COMPAT_API
from airflow_provider_signalwire.operators._compatibility import E164 as E164
from airflow_provider_signalwire.operators._compatibility import MAX_BODY_CHARS as MAX_BODY_CHARS
from airflow_provider_signalwire.operators._compatibility import (
    check_body,
    check_literal,
    compat_path,
    e164,
    parse_numbers,
    url_list,
)
from airflow_provider_signalwire.operators._compatibility import first_try as first_try
from airflow_provider_signalwire.operators._compatibility import run_started as run_started
from airflow_provider_signalwire.operators._window import DayListOperator
from airflow_provider_signalwire.operators._window import data_interval as data_interval
from airflow_provider_signalwire.operators._window import list_window as list_window
from airflow_provider_signalwire.operators.base import SignalWireBaseOperator
from airflow_provider_signalwire.times import as_utc as as_utc
from airflow_provider_signalwire.times import day_filter as day_filter
from airflow_provider_signalwire.times import parse_timestamp

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook
    from airflow_provider_signalwire.protocol import RateLimitRule

RATE_LIMIT_CODES = ("20429",)
# Backoff after SignalWire refused a message for its rate (on top of the hook's own retries; see
# rate_limit_rule).
RATE_LIMIT_BACKOFF_S = 2.0
RATE_LIMIT_BACKOFF_MAX_S = 60.0
RATE_LIMIT_ATTEMPTS = 6
SENDER_POOL_PREFIX = "signalwire-sender-"


# The time helpers live in times.py (as_utc is imported from there); a Compatibility
# date (RFC 2822) is read by times.parse_timestamp, which also reads RFC 3339 and returns UTC.
parse_rfc2822 = parse_timestamp


def rate_limit_rule(per_second: float) -> RateLimitRule:
    """The hook's extra retries of a message SignalWire refused for its rate (HTTP 429 or error 20429):
    it was not accepted, so sending it again cannot send it twice."""
    from airflow_provider_signalwire.protocol import RateLimitRule

    return RateLimitRule(
        codes=RATE_LIMIT_CODES,
        retries=RATE_LIMIT_ATTEMPTS - 1,
        backoff=max(RATE_LIMIT_BACKOFF_S, 1.0 / per_second),
        max_backoff=RATE_LIMIT_BACKOFF_MAX_S,
    )


def is_rate_limited(err: SignalWireAPIError) -> bool:
    codes = [e.get("code") for e in err.errors or []]
    return err.status_code is not None and rate_limit_rule(1.0).matches(err.status_code, codes)


def outcome_of(err: SignalWireAPIError) -> str:
    """After a failed message POST: ``"not sent"`` (SignalWire certainly did not act) or ``"unknown"``.

    4xx answers and 503 mean SignalWire refused the request; a transport failure before anything was
    sent also means not sent. A 500/502/504, a read timeout or a connection dropped after sending
    leave it unknown: the hook never repeats such a POST, and neither does this operator.
    """
    return "unknown" if err.may_have_acted else "not sent"


def sender_pool(number: str) -> str:
    """The Airflow pool of one sending number, ``signalwire-sender-<digits>`` (``+1 202 555 0150`` gives
    ``signalwire-sender-12025550150``).

    Carriers limit each sending number (a long code is about one message a second), and a task paces
    only itself. Run every task that sends from the number in this pool, created with one slot
    (``airflow pools set signalwire-sender-12025550150 1 "SignalWire +12025550150"``): then one task at a
    time sends from it, whatever worker runs it, and :class:`SendMessageOperator` in the pool also waits
    out the interval after the number's previous message, sent by another task. Give it as
    ``pool=sender_pool(FROM)`` (in ``.partial()`` for mapped tasks).

    :raises SignalWireConfigError: when ``number`` is not E.164.
    """
    return SENDER_POOL_PREFIX + e164(number, "number").lstrip("+")


class Pacer:
    """Spaces sends ``1 / per_second`` apart (monotonic clock; ``sleep`` injectable for tests).

    :meth:`wait` before each send; :meth:`sent_again` when a send is repeated (the hook's retry after
    a wait): the next send then waits its interval from that repeat, not from the first attempt.
    """

    def __init__(
        self,
        per_second: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_second = per_second
        self.sleep = sleep
        self.clock = clock
        self._last: float | None = None

    def __repr__(self) -> str:
        return f"Pacer(per_second={self.per_second!r})"

    def wait(self) -> None:
        if self._last is not None:
            delay = self._last + 1.0 / self.per_second - self.clock()
            if delay > 0:
                self.sleep(delay)
        self._last = self.clock()

    def sent_again(self) -> None:
        self._last = self.clock()


class SendMessageOperator(SignalWireBaseOperator):
    """
    Send an SMS or MMS to one number or a list (``POST .../Messages``, Compatibility API).

    Every number is checked as E.164 before anything is sent: one bad number in a list means nothing is
    sent, and the error names it. A list is sent one message at a time, ``messages_per_second`` apart;
    when SignalWire refuses a message for its rate (HTTP 429 or error 20429) the operator waits and
    sends that recipient again, so each recipient is sent exactly once when the task succeeds.

    A message POST is never repeated after an answer that leaves its outcome unknown (HTTP 500, a read
    timeout, a connection dropped after sending): the task fails with :class:`SignalWireSendError`,
    saying which recipients were sent, which were not and which are unknown. Any other failure also
    stops the list there. An Airflow retry of the task sends the list again, unless ``deduplicate=True``:
    then, on a retry (try 2 or later), a message with the same to, from, body and number of media
    created since the DAG run started is returned instead of sending another. A first try always sends:
    no earlier try of it can have sent anything (so two tasks of one run each send their own message).

    Numbers and a literal body are checked when the DAG is parsed; templated values when rendered.

    The pace holds per task. To hold it per sending number across tasks and workers, run the tasks in
    the number's pool (``pool=sender_pool(from_)``, a pool of one slot, see :func:`sender_pool`): one
    task at a time then sends from the number, and each waits out the interval after the number's
    newest message before its first send.

    :param to: One E.164 number or a list (templated; a rendered list such as ``"['+1...', '+1...']"``
        or ``"+1..., +1..."`` works too).
    :param from_: The sending number, E.164 (templated).
    :param body: The text (templated), at most 1600 characters. ``body`` or ``media_url`` is required.
    :param media_url: One URL or a list of URLs of media to send as MMS (templated).
    :param status_callback: A URL SignalWire calls on each status change (templated).
    :param messages_per_second: Pace of a list (default 1, a long code's rate; more for toll-free or
        short codes).
    :param deduplicate: On a task retry, return an identical message (to, from, body, number of media)
        created since the DAG run started instead of sending again. SignalWire does not return a
        message's media URLs, so two MMS with the same text and as many media count as identical.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: One dict per recipient, in order: ``{"to", "sid", "status", "deduplicated"}``.
    :raises SignalWireConfigError: before sending, for a bad number, URL, a missing or too long body,
        or a task in the :func:`sender_pool` of another number than ``from_``.
    :raises SignalWireSendError: when a message could not be sent (see above).
    """

    required_permissions = ("messaging",)

    template_fields: Sequence[str] = ("to", "from_", "body", "media_url", "status_callback")

    def __init__(
        self,
        *,
        to: str | list[str],
        from_: str,
        body: str | None = None,
        media_url: str | list[str] | None = None,
        status_callback: str | None = None,
        messages_per_second: float = 1.0,
        deduplicate: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(messages_per_second, bool) or not isinstance(messages_per_second, (int, float)):
            raise SignalWireConfigError(f"{self.task_id}: messages_per_second must be a number above 0.")
        if not messages_per_second > 0:
            raise SignalWireConfigError(f"{self.task_id}: messages_per_second must be above 0.")
        if not body and not media_url:
            raise SignalWireConfigError(f"{self.task_id}: give body or media_url (or both).")
        check_literal(to, parse_numbers, f"{self.task_id}: to")
        check_literal(from_, e164, f"{self.task_id}: from_")
        check_literal(body, check_body, f"{self.task_id}: body")
        self.to = to
        self.from_ = from_
        self.body = body
        self.media_url = media_url
        self.status_callback = status_callback
        self.messages_per_second = float(messages_per_second)
        self.deduplicate = bool(deduplicate)
        self._sleep: Callable[[float], None] = time.sleep
        self._clock: Callable[[], float] = time.monotonic
        self._utcnow: Callable[[], datetime] = lambda: datetime.now(timezone.utc)

    def execute(self, context: Context) -> list[dict[str, Any]]:
        recipients = parse_numbers(self.to, "to")
        sender = e164(self.from_, "from_")
        media = url_list(self.media_url, "media_url")
        body = self.body or None
        if not body and not media:
            raise SignalWireConfigError("body and media_url rendered empty: nothing to send.")
        check_body(body)
        form: dict[str, Any] = {"From": sender}
        if body:
            form["Body"] = body
        if media:
            form["MediaUrl"] = media
        if self.status_callback:
            form["StatusCallback"] = self.status_callback

        pacer = Pacer(self.messages_per_second, self._sleep, self._clock)
        if str(getattr(self, "pool", "") or "").startswith(SENDER_POOL_PREFIX):
            if self.pool != sender_pool(sender):
                raise SignalWireConfigError(
                    f"{self.task_id}: the task runs in pool {self.pool!r}, the sending pool of another "
                    f"number than from_ {sender}: use pool=sender_pool(from_) ({sender_pool(sender)!r}). "
                    "Nothing was sent."
                )
            self._after_previous_send(sender)

        results: dict[str, dict[str, Any]] = {}
        if self.deduplicate and first_try(context):
            self.log.info("%s: first try, so nothing of it to find already sent; sending.", self.task_id)
        elif self.deduplicate:
            since = run_started(context)
            for number in recipients:
                found = find_identical(self.hook, number, sender, body, since, media)
                if found is not None:
                    self.log.info(
                        "%s: message %s to %s (%s) already created in this DAG run; not sending again.",
                        self.task_id,
                        found["sid"],
                        number,
                        found.get("status"),
                    )
                    results[number] = _result(number, found, deduplicated=True)
        pending = [n for n in recipients if n not in results]
        sent = send_each(self.hook, pending, form, pacer, self.log)
        results.update({n: _result(n, m, deduplicated=False) for n, m in sent.items()})
        self.log.info(
            "Sent %d messages (%d found already sent in this run).", len(sent), len(results) - len(sent)
        )
        return [results[n] for n in recipients]

    def _after_previous_send(self, sender: str) -> None:
        """In the number's pool (one task at a time): wait out the interval after the newest message
        from ``sender``, which an earlier task may have sent a moment ago on another worker.

        SignalWire's dates have whole seconds, so a second is added; the wait never exceeds the
        interval plus that second (a clock ahead of ours cannot hold the task longer).
        """
        path = compat_path(self.hook.settings.project_id, "Messages")
        answer = self.hook.request("GET", path, params={"From": sender, "PageSize": 1})
        newest = (answer.get("messages") or [None])[0] if isinstance(answer, dict) else None
        created = parse_timestamp(newest.get("date_created")) if isinstance(newest, dict) else None
        if created is None:
            return
        longest = 1.0 / self.messages_per_second + 1.0
        since = (self._utcnow() - created).total_seconds()
        wait = min(longest, max(0.0, longest - since))
        if wait > 0:
            self.log.info(
                "%s: %s sent its last message %.1f s ago; waiting %.1f s to keep its pace.",
                self.task_id,
                sender,
                since,
                wait,
            )
            self._sleep(wait)


def _result(number: str, message: dict[str, Any], *, deduplicated: bool) -> dict[str, Any]:
    return {
        "to": number,
        "sid": message.get("sid"),
        "status": message.get("status"),
        "deduplicated": deduplicated,
    }


def find_identical(
    hook: SignalWireHook,
    to: str,
    from_: str,
    body: str | None,
    since: datetime,
    media: Sequence[str] | None = None,
) -> dict[str, Any] | None:
    """The newest message to ``to`` from ``from_`` with this body and as many media (``num_media``;
    SignalWire does not return the media URLs) created at or after ``since``."""
    path = compat_path(hook.settings.project_id, "Messages")
    for message in hook.paginate(path, params={"To": to, "From": from_}, page_size=50):
        created = parse_rfc2822(message.get("date_created"))
        if created is not None and created < since:
            return None  # newest first: everything after this is older
        if (
            created is not None
            and (message.get("body") or None) == body
            and _num_media(message) == len(media or ())
        ):
            return message
    return None


def _num_media(message: dict[str, Any]) -> int | None:
    """``num_media`` as a number (the Compatibility API may send it as a string); None if unreadable."""
    try:
        return int(message.get("num_media") or 0)
    except (TypeError, ValueError):
        return None


def send_each(
    hook: SignalWireHook, recipients: list[str], form: dict[str, Any], pacer: Pacer, log: Any
) -> dict[str, dict[str, Any]]:
    """POST one message per recipient, paced; the hook backs off and re-sends only a rate-limited
    recipient (:func:`rate_limit_rule`).

    Returns ``{number: message}``; raises :class:`SignalWireSendError` at the first other failure.
    ``log`` is unused: the hook logs each wait.
    """
    path = compat_path(hook.settings.project_id, "Messages")
    rule = rate_limit_rule(pacer.per_second)
    sent: dict[str, dict[str, Any]] = {}
    hook_sleep = hook._sleep

    def retry_wait(seconds: float) -> None:
        # The hook waits, then sends the refused message again at once: that send is the pace's mark.
        hook_sleep(seconds)
        pacer.sent_again()

    hook._sleep = retry_wait
    try:
        for index, number in enumerate(recipients):
            pacer.wait()
            try:
                sent[number] = hook.request("POST", path, data={**form, "To": number}, rate_limit=rule)
            except SignalWireAPIError as err:
                raise _stopped(err, number, recipients[index + 1 :], sent) from err
    finally:
        hook._sleep = hook_sleep
    return sent


def _stopped(
    err: SignalWireAPIError, number: str, rest: list[str], sent: dict[str, dict[str, Any]]
) -> SignalWireSendError:
    outcome = outcome_of(err)
    unknown = [number] if outcome == "unknown" else []
    not_sent = ([] if unknown else [number]) + rest
    sids = {n: str(m.get("sid")) for n, m in sent.items()}
    parts = [f"Sending stopped at {number}: {err}"]
    parts.append("Sent: " + (", ".join(f"{n} ({s})" for n, s in sids.items()) or "none"))
    parts.append("Not sent: " + (", ".join(not_sent) or "none"))
    if unknown:
        parts.append(
            f"Unknown: {number} (SignalWire may have sent it; check its Messages before sending again, "
            "or use deduplicate=True so a task retry finds it)"
        )
    return SignalWireSendError(". ".join(parts), sids, not_sent, unknown)


class ListMessagesOperator(DayListOperator):
    """
    List the project's messages (``GET .../Messages``, Compatibility API), newest first, every page.

    The spec's ``DateSent`` filters take UTC days. Without any of ``date_sent``, ``date_sent_after`` and
    ``date_sent_before``, a run with a data interval lists the messages sent within it (exactly: the
    days are asked of SignalWire, then each message's ``date_sent`` is checked); a run without one, or
    with an empty one (``schedule=None`` runs, ``airflow dags test``), lists all messages, up to
    ``max_items``. The log says which window was used.

    :param to: Only messages to this number (templated).
    :param from_: Only messages from this number (templated).
    :param status: Only messages with this status, e.g. ``"delivered"`` (templated).
    :param date_sent: Only messages sent on this UTC day (``DateSent``; templated).
    :param date_sent_after: Only messages sent on or after this day (``DateSent>``; templated).
    :param date_sent_before: Only messages sent on or before this day (``DateSent<``; templated).
    :param page_size: Messages per page, 1 to 1000.
    :param max_items: Stop after this many messages.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: A list of message dicts, as SignalWire returns them.
    """

    required_permissions = ("messaging",)

    template_fields: Sequence[str] = (
        "to",
        "from_",
        "status",
        "date_sent",
        "date_sent_after",
        "date_sent_before",
    )

    resource = "Messages"
    date_param = "DateSent"
    moment_key = "date_sent"
    address = staticmethod(e164)

    def __init__(
        self,
        *,
        date_sent: str | date | datetime | None = None,
        date_sent_after: str | date | datetime | None = None,
        date_sent_before: str | date | datetime | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.date_sent = date_sent
        self.date_sent_after = date_sent_after
        self.date_sent_before = date_sent_before


class GetMessageOperator(SignalWireBaseOperator):
    """
    Read one message (``GET .../Messages/{sid}``, Compatibility API): its status, error code, price ...

    :param message_sid: The message SID (templated).
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: The message dict, as SignalWire returns it.
    """

    required_permissions = ("messaging",)

    template_fields: Sequence[str] = ("message_sid",)

    def __init__(self, *, message_sid: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message_sid = message_sid

    def execute(self, context: Context) -> dict[str, Any]:
        sid = str(self.message_sid or "").strip()
        if not sid:
            raise SignalWireConfigError("message_sid rendered empty.")
        message = self.hook.request("GET", compat_path(self.hook.settings.project_id, "Messages", sid))
        self.log.info("Message %s is %s.", sid, message.get("status"))
        return message
