"""SignalWireNotifier: an SMS when a task or DAG run fails (or succeeds, or misses a deadline).

Use it as any callback::

    from airflow_provider_signalwire.notifications.signalwire import send_signalwire_notification

    on_failure_callback = send_signalwire_notification(to="+12025550101", from_="+12025550150")

The hooks (``requests``, ``aiohttp``) are imported only when a message is sent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.notifier import BaseNotifier

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.operators._compatibility import (
    check_literal,
    compat_path,
    e164,
    parse_numbers,
)

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

# GSM 03.38: the basic set costs one septet, the extension set two (escape + character).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
# One segment holds 160 GSM-7 septets or 70 UCS-2 units; a message of several segments 153 / 67 each.
GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67
MAX_SEGMENTS = 10


def _is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _units(ch: str, gsm7: bool) -> int:
    """What one character costs: septets in GSM-7, UTF-16 code units in UCS-2 (2 beyond the BMP)."""
    if gsm7:
        return 2 if ch in GSM7_EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1


def sms_segments(text: str) -> int:
    """How many SMS segments ``text`` takes (GSM-7 when every character has one, else UCS-2)."""
    gsm7 = _is_gsm7(text)
    units = sum(_units(ch, gsm7) for ch in text)
    single, multi = (GSM7_SINGLE, GSM7_MULTI) if gsm7 else (UCS2_SINGLE, UCS2_MULTI)
    return 1 if units <= single else math.ceil(units / multi)


def fit_sms(text: str, max_segments: int = 1) -> tuple[str, int]:
    """``text`` cut so it fits ``max_segments`` SMS segments, and how many segments it takes.

    The cut is made between characters (never inside a multi-byte one, nor between a surrogate pair's
    halves in UCS-2) and drops a trailing joiner or combining mark, then ends with an ellipsis.
    """
    if sms_segments(text) <= max_segments:
        return text, sms_segments(text)
    gsm7 = _is_gsm7(text)
    single, multi = (GSM7_SINGLE, GSM7_MULTI) if gsm7 else (UCS2_SINGLE, UCS2_MULTI)
    budget = single if max_segments == 1 else multi * max_segments
    ellipsis = "..." if gsm7 else "…"
    budget -= sum(_units(ch, gsm7) for ch in ellipsis)
    used, cut = 0, 0
    for i, ch in enumerate(text):
        cost = _units(ch, gsm7)
        if used + cost > budget:
            break
        used += cost
        cut = i + 1
    kept = text[:cut]
    # Don't leave half of a composed character: a joiner, variation selector or combining mark.
    while kept and (kept[-1] in "\u200d\ufe0e\ufe0f" or 0x0300 <= ord(kept[-1]) <= 0x036F):
        kept = kept[:-1]
    kept = kept.rstrip() + ellipsis
    return kept, sms_segments(kept)


class SignalWireNotifier(BaseNotifier):
    """
    Send an SMS through SignalWire from an Airflow callback.

    Use it as ``on_failure_callback`` / ``on_success_callback`` of a task or a DAG (and on Airflow 3 in
    a deadline alert: ``AsyncCallback(SignalWireNotifier, kwargs={...})``). If sending fails it logs
    why and returns: the task's own outcome and error stay what they were. The text is cut to fit
    ``max_segments`` SMS segments (160 GSM-7 or 70 Unicode characters for one; 153 / 67 per segment
    beyond), never inside a character, after Airflow's secrets masker has replaced every secret it knows
    (``mask_secret``, connection passwords) with ``***``.

    :param to: One E.164 number or a list (templated). Literal numbers are checked when the DAG is
        parsed: a bad one would only show when a task fails, as an SMS not sent.
    :param from_: The sending number, E.164 (templated).
    :param body: The text (templated, with the callback's context: ``ti``, ``dag_run``, ``exception``
        ...). Default: what failed or succeeded, the run, the try, the error and the log URL.
    :param max_segments: The most SMS segments one message may take (1 to 10, default 2).
    :param signalwire_conn_id: The SignalWire connection to use.
    :param context: Airflow's context when awaited directly (deadline alerts pass it).
    """

    required_permissions = ("messaging",)
    template_fields: Sequence[str] = ("to", "from_", "body")

    def __init__(
        self,
        *,
        to: str | list[str],
        from_: str,
        body: str | None = None,
        max_segments: int = 2,
        signalwire_conn_id: str = "signalwire_default",
        context: Context | None = None,
    ) -> None:
        if context is None:
            super().__init__()
        else:  # Airflow 3 only (awaited notifiers, deadline alerts); Airflow 2's takes no context
            super().__init__(context=context)  # type: ignore[call-arg, unused-ignore]
        if isinstance(max_segments, bool) or not isinstance(max_segments, int):
            raise SignalWireConfigError(f"max_segments is {max_segments!r}: use a whole number, 1 to 10.")
        if not 1 <= max_segments <= MAX_SEGMENTS:
            raise SignalWireConfigError(f"max_segments is {max_segments}: use 1 to {MAX_SEGMENTS}.")
        check_literal(to, parse_numbers, "SignalWireNotifier: to")
        check_literal(from_, e164, "SignalWireNotifier: from_")
        self.to = to
        self.from_ = from_
        self.body = body
        self.max_segments = max_segments
        self.signalwire_conn_id = signalwire_conn_id

    def messages(self, context: Context) -> list[dict[str, str]]:
        """The form of each message to send (``To``, ``From``, ``Body``): built once for both transports."""
        recipients = parse_numbers(self.to, "to")
        sender = e164(self.from_, "from_")
        if self.body:
            text = str(self.body)
        else:
            text = default_text(context)
            # The log link only when it fits whole: a cut link is no link (Airflow 2's are ~250 long).
            url = log_url(context)
            if url and sms_segments(f"{text} Log: {url}") <= self.max_segments:
                text = f"{text} Log: {url}"
        text, segments = fit_sms(masked(text), self.max_segments)
        self.log.info(
            "SMS notification: %d characters, %d segment(s), to %d number(s).",
            len(text),
            segments,
            len(recipients),
        )
        return [{"To": number, "From": sender, "Body": text} for number in recipients]

    def notify(self, context: Context) -> None:
        from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

        try:
            forms = self.messages(context)
            hook = SignalWireHook(signalwire_conn_id=self.signalwire_conn_id)
            path = compat_path(hook.settings.project_id, "Messages")
        except Exception as err:  # a bad number or connection must not hide the task's own outcome
            self._log_failure(err, None)
            return
        for form in forms:
            try:
                message = hook.request("POST", path, data=form)
                self.log.info("SMS notification sent to %s: %s.", form["To"], message.get("sid"))
            except Exception as err:
                self._log_failure(err, form["To"])

    async def async_notify(self, context: Context) -> None:
        from airflow_provider_signalwire.hooks.signalwire_async import SignalWireAsyncHook

        try:
            forms = self.messages(context)
            hook = SignalWireAsyncHook(signalwire_conn_id=self.signalwire_conn_id)
            path = compat_path((await hook.get_settings()).project_id, "Messages")
        except Exception as err:
            self._log_failure(err, None)
            return
        for form in forms:
            try:
                message = await hook.request("POST", path, data=form)
                self.log.info("SMS notification sent to %s: %s.", form["To"], message.get("sid"))
            except Exception as err:
                self._log_failure(err, form["To"])

    def _log_failure(self, err: Exception, number: str | None) -> None:
        target = f"to {number}" if number else "at all"
        kind = "SignalWire error" if isinstance(err, SignalWireAPIError) else type(err).__name__
        # Logged, not raised: a failing notification must never replace the task's own error.
        self.log.error("SMS notification could not be sent %s (%s): %s", target, kind, err)


send_signalwire_notification = SignalWireNotifier


def masked(text: str) -> str:
    """``text`` through Airflow's secrets masker (connection passwords, Variables with sensitive names,
    anything given to ``mask_secret``): an error message must not text a password to a phone. Run on
    the whole text, before it is cut to fit, so no part of a secret is left at the cut."""
    from airflow.providers.common.compat.sdk import redact

    return str(redact(text))


def default_text(context: Any) -> str:
    """What happened, from whatever the callback's context holds (task, DAG, deadline callbacks)."""
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    dag = context.get("dag")

    def attr(obj: Any, name: str) -> Any:
        return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)

    dag_id = attr(ti, "dag_id") or attr(dag_run, "dag_id") or attr(dag, "dag_id") or "?"
    run_id = attr(ti, "run_id") or attr(dag_run, "run_id") or attr(dag_run, "dag_run_id")
    task_id = attr(ti, "task_id") if ti is not None else None
    exception = context.get("exception")
    reason = context.get("reason")
    deadline = context.get("deadline")
    if deadline is not None:
        what = "missed its deadline"
    elif exception is not None or (reason and "fail" in str(reason)):
        what = "failed"
    else:
        state = attr(ti, "state") if ti is not None else attr(dag_run, "state")
        what = str(getattr(state, "value", state) or "finished")
    subject = f"{dag_id}.{task_id}" if task_id else f"DAG {dag_id}"
    parts = [f"Airflow: {subject} {what}"]
    if run_id:
        parts.append(f"run {run_id}")
    try_number = attr(ti, "try_number") if ti is not None else None
    if try_number:
        parts.append(f"try {try_number}")
    text = ", ".join(parts) + "."
    if exception is not None:
        first_line = (str(exception).strip().splitlines() or [type(exception).__name__])[0]
        text += f" {type(exception).__name__}: {first_line}"
    elif reason:
        text += f" {reason}"
    return text


def log_url(context: Any) -> str | None:
    """The task instance's log URL, when the context has a task instance that knows it."""
    ti = context.get("ti") or context.get("task_instance")
    if ti is None:
        return None
    try:
        return str(ti.log_url) or None
    except Exception:  # a context without a full task instance (DAG-level callbacks)
        return None
