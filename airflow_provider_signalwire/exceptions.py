"""Exceptions raised by the SignalWire provider."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException

from airflow_provider_signalwire.protocol import MAX_ERROR_ENTRIES, no_redaction, shorten


def _safe_url(url: str, redact: Callable[[Any], Any] = no_redaction) -> str:
    """The URL without any user:password part, redacted, then shortened (a hostile link can be long)."""
    url = shorten(redact(str(url)), 300)
    try:
        parts = urlsplit(url)
        if parts.username is None and parts.password is None:
            return url
    except ValueError:
        return url
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class SignalWireAPIError(AirflowException):
    """SignalWire answered with an error, or could not be reached.

    :ivar status_code: HTTP status, or None when no response came (connection or TLS failure).
    :ivar method: HTTP method of the failed request.
    :ivar url: the request URL (never with credentials).
    :ivar errors: the error body parsed into dicts (``code``, ``message``, ``attribute`` ...).
    :ivar request_id: a request id from the response headers, when SignalWire sent one.
    :ivar hint: what to check or do next, when we can tell.
    :ivar failure_kind: when no answer came, why: ``dns``, ``refused``, ``connect``, ``tls``,
        ``timeout``, ``dropped`` or ``invalid`` (see ``protocol.FAILURE_WORDS``); None for an answer.
    :ivar may_have_acted: True when SignalWire may have acted on the request although it failed (a
        500/502/504, or a timeout or dropped connection after sending): check before sending again.
    """

    def __init__(
        self,
        *,
        method: str,
        url: str,
        status_code: int | None = None,
        reason: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        request_id: str | None = None,
        hint: str | None = None,
        attempts: int = 1,
        failure_kind: str | None = None,
        sent: bool = True,
        redact: Callable[[Any], Any] | None = None,
    ) -> None:
        # Everything a server sent is redacted here, before it can reach str(), repr(), a pickle or a log:
        # an answer that echoes the token must not carry it out, masker or not.
        redact = redact or (lambda value: value)
        errors = list(errors or [])
        self.method = method.upper()
        self.url = redact(_safe_url(url, redact))
        self.status_code = status_code  # type: ignore[assignment]  # AirflowException's is an HTTPStatus
        # Redacted whole, then shortened: a cut must never leave part of a secret behind.
        self.reason = shorten(redact(reason), 200) if reason else reason
        self.errors = redact(errors[:MAX_ERROR_ENTRIES])
        self.errors_omitted = max(0, len(errors) - MAX_ERROR_ENTRIES)
        self.request_id = redact(request_id) if request_id else request_id
        self.hint = redact(hint) if hint else hint
        self.attempts = attempts
        self.failure_kind = failure_kind
        # Here, not at the top: a DAG file that imports an operator does not load the retry rules.
        from airflow_provider_signalwire.protocol.retry import Failure, may_have_acted

        self.may_have_acted = may_have_acted(
            status=status_code, failure=Failure(failure_kind, sent=sent) if failure_kind else None
        )
        super().__init__(self._line())

    def _line(self) -> str:
        # The error rules load when an error is built, not when a DAG file imports an operator.
        from airflow_provider_signalwire.protocol.errors import describe_errors

        if self.status_code is not None:
            head = f"SignalWire {self.method} {self.url} failed: HTTP {self.status_code}"
            if self.reason:
                head += f" {self.reason}"
        else:
            head = f"SignalWire {self.method} {self.url} failed: {self.reason or 'no response'}"
        details = describe_errors(self.errors, getattr(self, "errors_omitted", 0))
        if details:
            head += f": {details}"
        if self.attempts > 1:
            head += f" (after {self.attempts} attempts)"
        if self.request_id:
            head += f" [request id {self.request_id}]"
        if self.hint:
            head += f". {self.hint}"
        return head

    def __reduce__(self):  # keep it picklable (tasks, triggers) despite keyword-only arguments
        return (_rebuild, (self.__dict__.copy(),))


def _rebuild(state: dict[str, Any]) -> SignalWireAPIError:
    err = SignalWireAPIError.__new__(SignalWireAPIError)
    err.__dict__.update(state)
    Exception.__init__(err, err._line())
    return err


class SignalWirePaginationError(SignalWireAPIError):
    """A listing could not be followed to its end (e.g. a next link that repeats)."""


class SignalWireConfigError(AirflowException, ValueError):
    """The SignalWire connection or an operator argument is missing or malformed (no request was sent)."""


class SignalWireSendError(AirflowException):
    """Sending stopped: says which recipients were sent, which were not, and which are unknown.

    :ivar sent: ``{number: message SID}`` of messages SignalWire accepted.
    :ivar not_sent: numbers SignalWire certainly did not send to.
    :ivar unknown: numbers SignalWire may or may not have sent to (check before sending again).
    """

    def __init__(self, message: str, sent: dict[str, str], not_sent: list[str], unknown: list[str]) -> None:
        super().__init__(message)
        self.sent = sent
        self.not_sent = not_sent
        self.unknown = unknown

    def __reduce__(self):  # picklable despite the extra arguments
        return (SignalWireSendError, (str(self), self.sent, self.not_sent, self.unknown))


class SignalWireSensorFailure(AirflowFailException):
    """The resource reached a failure status, or SignalWire refused the poll (401, 403, 404 ...).

    An ``AirflowFailException``: retrying the task would not change it, and ``soft_fail=True`` skips the
    task instead, in poke, reschedule and deferrable mode alike.
    """


class SignalWireWatchError(AirflowException):
    """Watching a SignalWire list cannot go on (a wrong token, a missing scope, a wrong connection)."""


class SignalWireConnectionStoreError(AirflowException):
    """A connection store (where a rotated API token is written) refused or failed a read or a write.
    The message never holds a secret."""
