"""What every SignalWire status sensor shares: poke once, then wait in the triggerer (or keep poking).

The hook, the trigger and with them ``requests``/``aiohttp`` are imported only when a task runs, so
DAG files that use these sensors stay cheap to parse.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

from airflow.providers.common.compat.sdk import (
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    BaseSensorOperator,
    PokeReturnValue,
    conf,
)

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.exceptions import SignalWireSensorFailure as SignalWireSensorFailure
from airflow_provider_signalwire.statuses import (
    FAILURE,
    SUCCESS,
    ResourceKind,
    Verdict,
    check_resource_id,
    evaluate,
    poll_error,
)

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

# A deferred sensor whose triggerer never reports back is failed by Airflow this long after its
# timeout (the trigger itself reports the timeout at the deadline; this only covers a lost triggerer).
DEFERRAL_GRACE = timedelta(minutes=10)


class SignalWireStatusSensor(BaseSensorOperator):
    """
    Base of the SignalWire status sensors: wait until one resource reaches an accepted status.

    In poke or reschedule mode every ``poke()`` is one GET with the sync hook; with ``deferrable=True``
    the sensor pokes once, then hands the wait to
    :class:`~airflow_provider_signalwire.triggers.status.SignalWireStatusTrigger`, which polls first one
    ``poke_interval`` later, applies the same rules (:mod:`airflow_provider_signalwire.statuses`) with the
    async hook and honours the same timeout.
    429, 5xx and network failures are retried inside a poll by the hook, and a poll that still fails is
    simply repeated; 401, 403, 404 and failure statuses fail the task at once
    (:class:`SignalWireSensorFailure`, skipped instead with ``soft_fail=True``).

    :param signalwire_conn_id: The SignalWire connection to use.
    :param success_statuses: Statuses that end the wait (default: the resource kind's own; each sensor
        documents its default).
    :param deferrable: Wait in the triggerer instead of a worker slot (default: Airflow's
        ``[operators] default_deferrable``).
    :param poke_interval: Seconds between polls (Airflow's default: 60).
    :param timeout: Seconds until the sensor gives up (``AirflowSensorTimeout``), in every mode.
    :param soft_fail: Skip the task instead of failing it on a timeout or failure.
    :param mode: ``"poke"`` or ``"reschedule"``; ignored when deferrable.
    :return: The resource's JSON as SignalWire returned it, on success (XCom ``return_value``).
    """

    resource_kind: ClassVar[ResourceKind]
    id_field: ClassVar[str]
    # The API token permissions the polls need (least-privilege checks: .permissions).
    required_permissions: ClassVar[tuple[str, ...]] = ()
    ui_color = "#f72a72"

    def __init__(
        self,
        *,
        signalwire_conn_id: str = "signalwire_default",
        success_statuses: Iterable[str] | str | None = None,
        deferrable: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.signalwire_conn_id = signalwire_conn_id
        self.success_statuses = self.resource_kind.success_statuses(success_statuses)
        if deferrable is None:
            deferrable = conf.getboolean("operators", "default_deferrable", fallback=False)
        self.deferrable = bool(deferrable)

    @cached_property
    def hook(self) -> SignalWireHook:
        from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

        return SignalWireHook(signalwire_conn_id=self.signalwire_conn_id)

    def resource_id(self) -> str:
        """The rendered id of the resource to wait for (refused when empty or ``None``)."""
        try:
            return check_resource_id(getattr(self, self.id_field), self.id_field)
        except SignalWireConfigError as err:
            raise SignalWireSensorFailure(f"{self.task_id}: {err}") from err

    def poke(self, context: Context) -> bool | PokeReturnValue:
        kind = self.resource_kind
        resource_id = self.resource_id()
        try:
            resource = self.hook.request("GET", kind.path(resource_id, self.hook.settings.project_id))
        except (SignalWireAPIError, SignalWireConfigError) as err:
            reason = poll_error(err)
            if reason is not None:
                raise SignalWireSensorFailure(reason) from err
            self.log.warning("Polling %s %s failed; polling again: %s", kind.noun, resource_id, err)
            return False
        verdict = evaluate(kind, resource, self.success_statuses, self.hook.settings.redact)
        self._log_verdict(verdict, resource_id)
        if verdict.state == FAILURE:
            raise SignalWireSensorFailure(verdict.reason)
        if verdict.state == SUCCESS:
            return PokeReturnValue(is_done=True, xcom_value=resource)
        return False

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        deadline = time.time() + self.timeout
        try:
            done = self.poke(context)
        except (AirflowFailException, AirflowSensorTimeout) as err:  # as BaseSensorOperator.execute does
            self._fail(err)
        if done:
            return done.xcom_value if isinstance(done, PokeReturnValue) else None
        remaining = deadline - time.time()
        if remaining <= 0:
            self._fail(AirflowSensorTimeout(f"Sensor has timed out after {self.timeout:g} s."))
        from airflow_provider_signalwire.triggers.status import SignalWireStatusTrigger

        self.defer(
            trigger=SignalWireStatusTrigger(
                kind=self.resource_kind.name,
                resource_id=self.resource_id(),
                success_statuses=self.success_statuses,
                signalwire_conn_id=self.signalwire_conn_id,
                poll_interval=self.poke_interval,
                end_time=deadline,
                # one interval after this poke, as in poke mode (and see the trigger's docstring)
                first_poll_at=min(time.time() + self.poke_interval, deadline),
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=remaining) + DEFERRAL_GRACE,
        )

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """Called when the trigger fires: return the resource, or fail as ``poke()`` would have."""
        event = event or {}
        state = event.get("status")
        if state == SUCCESS:
            self.log.info(
                "The %s %s is %s.",
                self.resource_kind.noun,
                event.get("resource_id"),
                event.get("resource_status"),
            )
            return event.get("resource")
        if state == "timeout":
            self._fail(AirflowSensorTimeout(event.get("reason") or "Sensor has timed out."))
        self._fail(SignalWireSensorFailure(event.get("reason") or f"Unexpected trigger event: {event!r}"))

    def _fail(self, err: BaseException) -> NoReturn:
        """Raise ``err``, or skip instead with ``soft_fail``/``never_fail``, as Airflow's poke loop does."""
        if self.soft_fail:
            raise AirflowSkipException(f"Skipping due to soft_fail is set to True: {err}") from err
        if getattr(self, "never_fail", False):
            raise AirflowSkipException(f"Skipping due to never_fail is set to True: {err}") from err
        raise err

    def _log_verdict(self, verdict: Verdict, resource_id: str) -> None:
        if verdict.state == SUCCESS:
            self.log.info("The %s %s is %s.", self.resource_kind.noun, resource_id, verdict.status)
        elif verdict.state != FAILURE:
            self.log.info(
                "The %s %s is %s; waiting.",
                self.resource_kind.noun,
                resource_id,
                verdict.status or "without a status",
            )
