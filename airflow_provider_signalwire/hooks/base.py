"""What the sync and the async SignalWire hooks share: the connection, settings, masking, errors.

Imports no HTTP client: each transport (``requests`` in
:mod:`airflow_provider_signalwire.hooks.signalwire`, ``aiohttp`` in
:mod:`airflow_provider_signalwire.hooks.signalwire_async`) maps its own responses and exceptions onto
these builders and onto the rules in :mod:`airflow_provider_signalwire.protocol`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from airflow.providers.common.compat.sdk import BaseHook, mask_secret

from airflow_provider_signalwire.exceptions import (
    SignalWireAPIError,
    SignalWireConfigError,
    SignalWirePaginationError,
)
from airflow_provider_signalwire.get_provider_info import CONN_TYPE, HOOK_NAME
from airflow_provider_signalwire.protocol import (
    DEFAULT_BACKOFF,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_RETRY_BUDGET,
    ConnectionConfigError,
    Failure,
    Fetch,
    Note,
    Pager,
    PagingError,
    RateLimitRule,
    Reply,
    RetryPolicy,
    SpaceSettings,
    UnsafeURLError,
    Wait,
    build_settings,
    failure_hint,
    failure_reason,
    pages,
    parse_error_body,
    parse_json_answer,
    request_id_from,
    shorten,
    status_hint,
)

# Settings validated in this process, keyed by every field of the connection they came from (a
# triggerer builds one hook per deferred sensor, most on the same connection).
_VALIDATED: dict[tuple[Any, ...], SpaceSettings] = {}
_VALIDATED_MAX = 256

# The secrets this process has given to Airflow's masker, and the supervisor channel they went over.
# Airflow keeps a masked value for the life of the process (and, in a task or trigger runner, tells its
# supervisor, which keeps it too), so masking the same value again changes nothing, but in a triggerer
# each call is a round trip to the supervisor, which answers one message per pass of its loop (a pass
# queries the trigger table): 5,000 deferred sensors on one connection, five forms of the token each,
# kept the supervisor answering masks for longer than 25 minutes before the first poll. Scoped to the
# process and to its ``SUPERVISOR_COMMS``: a forked child, or a process whose channel to a supervisor
# opens later, masks everything again.
_MASKED: tuple[Any, set[str]] = ((None, None), set())


def _mask_scope() -> tuple[int, Any]:
    runner = sys.modules.get("airflow.sdk.execution_time.task_runner")
    return os.getpid(), getattr(runner, "SUPERVISOR_COMMS", None)


def mask_once(secrets: Iterable[str]) -> None:
    """Give each secret to Airflow's masker (``mask_secret``) unless this process already has, over the
    same supervisor channel."""
    global _MASKED
    scope = _mask_scope()
    held_scope, masked = _MASKED
    if held_scope[0] != scope[0] or held_scope[1] is not scope[1]:
        masked = set()
        _MASKED = (scope, masked)
    for secret in secrets:
        if secret not in masked:
            # Marked before it is sent: in a trigger runner ``mask_secret`` waits for the supervisor's
            # answer while the other triggers run, and they must not send it again meanwhile (Airflow's
            # masker in this process has it before anything is sent).
            masked.add(secret)
            mask_secret(secret)


def where_this_runs() -> str:
    """Where a connection test runs, in words, since it is not where tasks run (a best guess from argv)."""
    argv = " ".join(sys.argv)
    if "connections" in sys.argv[1:3] and "test" in sys.argv[2:4]:
        return "this machine, where `airflow connections test` ran (tasks connect from their workers)"
    if any(word in argv for word in ("api-server", "api_server", "webserver", "gunicorn")):
        return "the Airflow API server or webserver that ran the Test (tasks connect from their workers)"
    if os.environ.get("_AIRFLOW_PROCESS_CONTEXT") == "client":
        return "this worker"
    return "this machine"


class SignalWireBaseHook(BaseHook):
    """Connection handling, error building and the loops' glue shared by
    :class:`~airflow_provider_signalwire.hooks.signalwire.SignalWireHook` and the async hook, whose
    docstrings list the arguments."""

    conn_name_attr = "signalwire_conn_id"
    default_conn_name = "signalwire_default"
    conn_type = CONN_TYPE
    hook_name = HOOK_NAME

    def __init__(
        self,
        signalwire_conn_id: str = default_conn_name,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        retry_backoff: float = DEFAULT_BACKOFF,
        retry_budget: float = DEFAULT_RETRY_BUDGET,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        super().__init__()
        self.signalwire_conn_id = signalwire_conn_id
        self._timeout = timeout
        self._max_retries = max_retries
        self.retry_backoff = retry_backoff
        self.retry_budget = float(retry_budget)
        self.max_response_bytes = int(max_response_bytes)
        self._where = "this worker"  # where calls run, for hints; test_connection says where it ran

    def _settings_from(self, conn: Any) -> SpaceSettings:
        """Validate a connection into :class:`SpaceSettings`, mask its secrets, apply the overrides."""
        # Validated settings are reused only for a connection equal in every field (token included),
        # so a changed connection is validated anew and no connection ever gets another's credentials.
        key = (conn.host, conn.login, conn.password, conn.extra, conn.port)
        cacheable = all(v is None or type(v) in (str, int) for v in key)
        settings = _VALIDATED.get(key) if cacheable else None
        if settings is None:
            try:
                settings = build_settings(conn.host, conn.login, conn.password, conn.extra_dejson, conn.port)
            except ConnectionConfigError as err:
                raise SignalWireConfigError(
                    f"SignalWire connection '{self.signalwire_conn_id}': {err}"
                ) from None
            if cacheable:
                if len(_VALIDATED) >= _VALIDATED_MAX:
                    _VALIDATED.clear()
                _VALIDATED[key] = settings
        # Mask the token and everything derived from it before anything can log them.
        mask_once(settings.secrets)
        if isinstance(settings.verify, str) and not os.path.exists(settings.verify):
            raise SignalWireConfigError(
                f"SignalWire connection '{self.signalwire_conn_id}': extra field 'verify' is "
                f"{settings.verify!r}, which is not a file: give the path of a PEM CA bundle, or true."
            )
        overrides: dict[str, Any] = {}
        if self._timeout is not None:
            overrides["timeout"] = float(self._timeout)
        if self._max_retries is not None:
            overrides["max_retries"] = int(self._max_retries)
        return replace(settings, **overrides) if overrides else settings

    # ------------------------------------------------------------------ what both transports' loops share

    def _policy(self, settings: SpaceSettings, method: str, rate_limit: RateLimitRule | None) -> RetryPolicy:
        return RetryPolicy(
            method,
            max_retries=settings.max_retries,
            backoff=self.retry_backoff,
            budget=self.retry_budget,
            rate_limit=rate_limit,
        )

    @contextmanager
    def _preparing(
        self, settings: SpaceSettings, method: str, url: str, *also: type[Exception]
    ) -> Iterator[None]:
        """Build a request: an unsafe URL is a config error; a request the client cannot build (``also``:
        the transport's own exceptions) fails as "invalid", never sent."""
        invalid_kinds: tuple[type[Exception], ...] = (ValueError, TypeError, UnicodeError, *also)
        try:
            yield
        except UnsafeURLError as err:
            raise SignalWireConfigError(str(err)) from None
        except invalid_kinds as err:
            invalid = Failure("invalid", sent=False, detail=str(err))
            raise self._transport_error(settings, method, url, invalid, 1) from None

    def _log_wait(self, settings: SpaceSettings, method: str, url: str, wait: Wait) -> None:
        self.log.warning(
            "SignalWire %s %s: %s; retry %d of %d in %.1fs.",
            method,
            settings.redact(url),
            wait.why,
            wait.retry,
            wait.of,
            wait.seconds,
        )

    def _outcome(
        self,
        settings: SpaceSettings,
        method: str,
        url: str,
        policy: RetryPolicy,
        outcome: Reply | Failure,
        check: bool = True,
    ) -> Reply:
        """The reply the retry loop ended with; raise for a failure, or (if ``check``) an error status."""
        if isinstance(outcome, Failure):
            raise self._transport_error(settings, method, url, outcome, policy.attempts, policy.gave_up)
        if check and outcome.status >= 300:
            raise self._status_error(
                settings,
                method,
                outcome.url,
                outcome.status,
                outcome.reason,
                outcome.content,
                outcome.headers,
                policy.attempts,
                policy.gave_up,
            )
        return outcome

    def _parse(self, settings: SpaceSettings, method: str, reply: Reply) -> Any:
        """The parsed answer; a JSON answer that does not parse is an error, not a string."""
        if reply.status == 204:
            return None
        try:
            return parse_json_answer(reply.content, reply.headers.get("Content-Type"))
        except ValueError as err:
            raise self._malformed_error(
                settings, method, reply.url, reply.status, str(err), reply.headers
            ) from None

    def _listing(
        self,
        settings: SpaceSettings,
        path: str,
        params: Mapping[str, Any] | None,
        page_size: int | None,
        max_items: int | None,
    ) -> _Listing:
        pager = Pager(
            path,
            settings.base_url,
            params=params,
            page_size=page_size,
            max_items=max_items,
            redact=settings.redact,
        )
        return _Listing(self, settings, pager, path)

    # ------------------------------------------------------------------ errors, for both transports

    def _status_error(
        self,
        settings: SpaceSettings,
        method: str,
        url: str,
        status: int,
        reason: str | None,
        content: bytes,
        headers: Mapping[str, str],
        attempts: int,
        gave_up: str | None = None,
    ) -> SignalWireAPIError:
        redact = settings.redact
        location = headers.get("Location")
        if location is not None:  # quoted in the hint: redacted whole, then shortened
            location = shorten(redact(str(location)), 300)
        hint = status_hint(status, urlsplit(url).path, settings.host, location)
        if gave_up:
            hint = f"Gave up: {gave_up}" + (f". {hint}" if hint else "")
        return SignalWireAPIError(
            method=method,
            url=url,
            status_code=status,
            reason=reason,
            errors=parse_error_body(content, redact),
            request_id=request_id_from(headers, redact),
            hint=hint,
            attempts=attempts,
            redact=redact,
        )

    def _transport_error(
        self,
        settings: SpaceSettings,
        method: str,
        url: str,
        failure: Failure,
        attempts: int,
        gave_up: str | None = None,
    ) -> SignalWireAPIError:
        hint = failure_hint(failure, method, settings.host, self._where)
        if gave_up:
            hint = f"Gave up: {gave_up}. {hint}"
        return SignalWireAPIError(
            method=method,
            url=url,
            reason=failure_reason(failure, settings.host, settings.timeout),
            hint=hint,
            attempts=attempts,
            failure_kind=failure.kind,
            sent=failure.sent,
            redact=settings.redact,
        )

    def _malformed_error(
        self,
        settings: SpaceSettings,
        method: str,
        url: str,
        status: int,
        why: str,
        headers: Mapping[str, str],
    ) -> SignalWireAPIError:
        return SignalWireAPIError(
            method=method,
            url=url,
            status_code=status,
            reason=why,
            request_id=request_id_from(headers, settings.redact),
            hint="SignalWire sent a malformed answer; try again, and report it if it persists",
            redact=settings.redact,
        )

    def _too_large_error(
        self, settings: SpaceSettings, method: str, url: str, status: int, size: int | None
    ) -> SignalWireAPIError:
        announced = f" ({size} announced)" if size else ""
        return SignalWireAPIError(
            method=method,
            url=url,
            status_code=status,
            reason=f"the answer is larger than {self.max_response_bytes} bytes{announced}",
            hint="Raise max_response_bytes if the answer is expected to be this large, or page it",
            redact=settings.redact,
        )

    def _connection_test_failure(self, err: Exception, settings: SpaceSettings | None) -> tuple[bool, str]:
        """``test_connection()``'s answer for a failure: never the random test id, never a secret."""
        if isinstance(err, SignalWireConfigError):
            text = str(err).replace(f"SignalWire connection '{self.signalwire_conn_id}': ", "", 1)
            return False, f"SignalWire connection test: {text}"
        if isinstance(err, SignalWireAPIError):
            return False, str(err)
        text = str(err)
        if settings is not None:
            text = settings.redact(text)
        text = shorten(text, 300)
        return False, f"SignalWire connection test failed: {type(err).__name__}: {text}"

    def _connection_test_message(self, settings: SpaceSettings, account: Any) -> str:
        name = account.get("friendly_name") if isinstance(account, dict) else None
        named = f" ({shorten(settings.redact(str(name)), 120)})" if name else ""
        return f"Connected to SignalWire space {settings.host}{named}, project {settings.project_id}."


class _Listing:
    """The paging driver (:func:`~airflow_provider_signalwire.protocol.pages`) as a runner meets it:
    :meth:`advance` gives the next :class:`Fetch` or page of items (None at the end), having logged the
    driver's notes; :meth:`answered` turns the reply to a Fetch into what the driver takes."""

    def __init__(self, hook: SignalWireBaseHook, settings: SpaceSettings, pager: Pager, path: str) -> None:
        self.hook, self.settings = hook, settings
        self.steps = pages(pager, path)
        self.url = pager.first_url  # the page last asked for, as named in a paging error
        self.answer: tuple[str, Any] | None = None

    def advance(self) -> Fetch | list[Any] | None:
        while True:
            answer, self.answer = self.answer, None
            try:
                step = self.steps.send(answer)
            except StopIteration:
                return None
            except PagingError as err:
                raise SignalWirePaginationError(
                    method="GET", url=self.url, reason=str(err), redact=self.settings.redact
                ) from None
            if not isinstance(step, Note):
                return step
            self.hook.log.log(step.level, step.message, *step.args)

    def answered(self, reply: Reply) -> None:
        self.url = reply.url
        self.answer = (reply.url, self.hook._parse(self.settings, "GET", reply))
