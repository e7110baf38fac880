"""The status trigger behind every deferrable SignalWire sensor: poll one resource until it is done.

aiohttp and the async hook are imported inside :meth:`SignalWireStatusTrigger.run`, so DAG files and
the scheduler never load them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timezone
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.statuses import check_resource_id, evaluate, kind_named, poll_error

MIN_POLL_INTERVAL = 0.1  # seconds; a poll interval of 0 must not turn into a busy loop
POLL_GRID = 0.05  # seconds; every status trigger's polls wake on this shared grid (see on_poll_grid)


def on_poll_grid(delay: float, now: float) -> float:
    """``delay`` stretched by less than :data:`POLL_GRID` so that it ends on the grid shared by every
    status trigger in the process (``now`` is the event loop's clock).

    A triggerer running hundreds of deferred sensors then wakes once for all the polls due within the
    same 50 ms, instead of once per poll: their timers fire in one pass of the event loop, their
    requests leave together and their answers are read together. That halves the CPU a poll costs
    (``benchmarks/RESULTS.md``, row 5); no poll is more than 50 ms later than its interval.
    """
    return delay + (-(now + delay) % POLL_GRID)


class SignalWireStatusTrigger(BaseTrigger):
    """
    Poll one SignalWire resource until it reaches an accepted status, a failure status, or the deadline.

    The rules come from :mod:`airflow_provider_signalwire.statuses`, the same ones the sensors' ``poke()``
    uses. Failed polls with 429, 5xx or a network error (after the hook's own retries) are repeated at
    the next interval; any other error (401, 403, 404 ...) ends the wait at once.

    :param kind: ``"room_session"``, ``"room_recording"``, ``"message"``, ``"call"`` or ``"fax"``.
    :param resource_id: The session or recording id, message or call SID.
    :param success_statuses: Statuses that end the wait successfully (None: the kind's default).
    :param signalwire_conn_id: The SignalWire connection; only its id is serialized, never a secret.
    :param poll_interval: Seconds between polls (each wait ends on a 50 ms grid shared by all status
        triggers, so a poll may come up to 50 ms later; see :func:`on_poll_grid`).
    :param end_time: The deadline as a UNIX timestamp (None: no deadline).
    :param first_poll_at: When to poll first, as a UNIX timestamp (None: at once; a time already past, as
        after a triggerer restart: at once). The sensors set it one ``poke_interval`` after the poke they
        make before deferring, so the triggerer does not repeat a poll made a moment ago, and a status
        reached at that moment does not fire the trigger within a second of the deferral: Airflow 3.3's
        scheduler can then still hold the worker's report of the deferral and fail the resumed task
        (apache/airflow#72716).

    Yields exactly one event: ``{"status": "success" | "failure" | "error" | "timeout", "kind",
    "resource_id", "resource" (the last JSON read, or None), "resource_status", "reason"}``.
    """

    def __init__(
        self,
        *,
        kind: str,
        resource_id: str,
        success_statuses: Iterable[str] | None = None,
        signalwire_conn_id: str = "signalwire_default",
        poll_interval: float = 60.0,
        end_time: float | None = None,
        first_poll_at: float | None = None,
    ) -> None:
        super().__init__()
        self.kind = kind_named(kind).name
        self.resource_id = check_resource_id(resource_id, "resource_id")
        self.success_statuses = list(kind_named(kind).success_statuses(success_statuses))
        self.signalwire_conn_id = signalwire_conn_id
        self.poll_interval = float(poll_interval)
        self.end_time = None if end_time is None else float(end_time)
        self.first_poll_at = None if first_poll_at is None else float(first_poll_at)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "kind": self.kind,
                "resource_id": self.resource_id,
                "success_statuses": list(self.success_statuses),
                "signalwire_conn_id": self.signalwire_conn_id,
                "poll_interval": self.poll_interval,
                "end_time": self.end_time,
                "first_poll_at": self.first_poll_at,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow_provider_signalwire.hooks.signalwire_async import SignalWireAsyncHook

        kind = kind_named(self.kind)
        hook = SignalWireAsyncHook(signalwire_conn_id=self.signalwire_conn_id)
        last_status: str | None = None
        last_error: str | None = None
        last_resource: Any = None
        path: tuple[str, str] | None = None  # (project id, the resource's path), built once
        if self.first_poll_at is not None:
            wait = self.first_poll_at - time.time()
            if self.end_time is not None:
                wait = min(wait, self.end_time - time.time())
            if wait > 0:
                await asyncio.sleep(on_poll_grid(wait, asyncio.get_running_loop().time()))
        while True:
            try:
                settings = await hook.get_settings()
                if path is None or path[0] != settings.project_id:
                    path = (settings.project_id, kind.path(self.resource_id, settings.project_id))
                resource = await hook.request("GET", path[1])
            except (SignalWireAPIError, SignalWireConfigError) as err:
                reason = poll_error(err)
                if reason is not None:
                    yield self._event("error", last_resource, last_status, reason)
                    return
                last_error = str(err)
                self.log.warning(
                    "Polling %s %s failed; polling again in %.0f s: %s",
                    kind.noun,
                    self.resource_id,
                    self.poll_interval,
                    last_error,
                )
            else:
                verdict = evaluate(kind, resource, self.success_statuses, settings.redact)
                if verdict.done:
                    yield self._event(verdict.state, resource, verdict.status, verdict.reason)
                    return
                last_status, last_error, last_resource = verdict.status, None, resource
                self.log.info(
                    "The %s %s is %s; polling again in %.0f s.",
                    kind.noun,
                    self.resource_id,
                    verdict.status or "without a status",
                    self.poll_interval,
                )
            delay = self.poll_interval
            if self.end_time is not None:
                remaining = self.end_time - time.time()
                if remaining <= 0:
                    yield self._event(
                        "timeout", last_resource, last_status, self._timeout_reason(last_status, last_error)
                    )
                    return
                delay = min(delay, remaining)
            now = asyncio.get_running_loop().time()
            await asyncio.sleep(on_poll_grid(max(delay, MIN_POLL_INTERVAL), now))

    def _event(self, state: str, resource: Any, status: str | None, reason: str | None) -> TriggerEvent:
        return TriggerEvent(
            {
                "status": state,
                "kind": self.kind,
                "resource_id": self.resource_id,
                "resource": resource,
                "resource_status": status,
                "reason": reason,
            }
        )

    def _timeout_reason(self, status: str | None, error: str | None) -> str:
        deadline = datetime.fromtimestamp(self.end_time or 0, tz=timezone.utc).isoformat(timespec="seconds")
        noun = kind_named(self.kind).noun
        where = f"still {status}" if status else "not read yet"
        reason = f"Sensor has timed out: the {noun} {self.resource_id} was {where} at the deadline {deadline}"
        return f"{reason}; the last poll failed: {error}" if error else reason
