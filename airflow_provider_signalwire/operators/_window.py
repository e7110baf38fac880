"""The window of time an operator covers when its arguments give none: one rule for every operator
that windows by the run (message and call lists, log exports); and the base of the message and call
lists, which list within it.

The run's data interval, when it has width. A run without one (Airflow 3 runs triggered without a
logical date) and a run whose interval is empty (start == end: every run of a ``schedule=None`` DAG
that has a logical date, ``airflow dags test`` included, and Airflow 3's cron and timedelta trigger
schedules) are treated alike: the operator's own default for "no interval" (lists: no date filter;
exports: the UTC day before the run), never an empty window.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_signalwire.lazy import Record
from airflow_provider_signalwire.operators._compatibility import compat_path
from airflow_provider_signalwire.operators.base import SignalWireListOperator
from airflow_provider_signalwire.times import UTC, day_filter, iso_z, parse_timestamp, user_time

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

FROM_INTERVAL = "the run's data interval"
FROM_ARGUMENTS = "the explicit arguments"
# What an operator covers without a data interval.
# Exports: a whole, settled day, the UTC day before the run's logical date, else before it was due.
DAY_BEFORE_DUE = "day_before_due"
EVERYTHING = "everything"  # no date filter at all (lists: what was just made is included)

# Timetables whose runs are points in time (Airflow 3's defaults for cron and timedelta schedules).
_POINT_SCHEDULES = ("CronTriggerTimetable", "MultipleCronTriggerTimetable", "DeltaTriggerTimetable")


class Window(Record):
    """``[start, end)`` in UTC (None: unbounded on that side) and where it came from."""

    start: datetime | None
    end: datetime | None
    source: str

    def describe(self) -> str:
        """``[2026-11-26T00:00:00Z, 2026-11-27T00:00:00Z) from the run's data interval``."""
        start = iso_z(self.start) if self.start else "any time"
        end = iso_z(self.end) if self.end else "now"
        return f"[{start}, {end}) from {self.source}"


def data_interval(context: Context) -> tuple[datetime, datetime] | None:
    """The run's data interval, or None when it has none or it is empty (start == end)."""
    start = user_time(context.get("data_interval_start"), "data_interval_start")
    end = user_time(context.get("data_interval_end"), "data_interval_end")
    if start is None or end is None or end <= start:
        return None
    return start, end


def run_due(context: Context, now: Callable[[], datetime] | None = None) -> datetime:
    """When the run was due (``dag_run.run_after``), else now."""
    dag_run = context.get("dag_run")
    due = user_time(getattr(dag_run, "run_after", None), "run_after")
    return due or (now() if now else datetime.now(UTC))


def run_window(
    context: Context, *, fallback: str, arguments: str, now: Callable[[], datetime] | None = None
) -> Window:
    """The run's data interval; without one (none, or start == end) the ``fallback`` window.

    :param fallback: :data:`DAY_BEFORE_DUE` or :data:`EVERYTHING`.
    :param arguments: The operator's window arguments, named in the log (``"created_after /
        created_before"``).
    """
    interval = data_interval(context)
    if interval is not None:
        return Window(interval[0], interval[1], FROM_INTERVAL)
    why = no_interval_reason(context)
    if fallback == DAY_BEFORE_DUE:
        # An empty interval sits at the run's logical date: the day before it, as a daily interval
        # timetable's run with that logical date would cover (the same day as "before it was due"
        # unless the logical date was chosen by hand, e.g. `airflow dags test DAG 2026-11-27`).
        point = user_time(context.get("data_interval_start"), "data_interval_start")
        if point is not None:
            moment, what = point, f"the UTC day before the run's logical date ({iso_z(point)})"
        else:
            moment = run_due(context, now)
            what = f"the UTC day before the run was due ({iso_z(moment)})"
        day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        start: datetime | None
        end: datetime | None
        start, end = day - timedelta(days=1), day
    else:
        what = "no date filter"
        start = end = None
    return Window(start, end, f"no data interval: {what}; {why}. Give {arguments} for another window")


def no_interval_reason(context: Context) -> str:
    """Why this run has no usable data interval, in the words of its DAG's schedule."""
    start = user_time(context.get("data_interval_start"), "data_interval_start")
    end = user_time(context.get("data_interval_end"), "data_interval_end")
    if start is None or end is None:
        return "this run has none (it was triggered without a logical date)"
    width = "to itself" if start == end else f"to {iso_z(end)}"
    return f"this run's data interval is empty ({iso_z(start)} {width}){_schedule_note(context.get('dag'))}"


def _schedule_note(dag: Any) -> str:
    timetable = getattr(dag, "timetable", None)
    if timetable is None:
        return ""
    kind = type(timetable).__name__
    if kind == "NullTimetable":
        return ", as in every run of a DAG with schedule=None (manual runs, airflow dags test)"
    if kind == "OnceTimetable":
        return ", as in every run of a DAG with schedule='@once'"
    if kind in _POINT_SCHEDULES:
        # The SDK's timetables say `expression` / `delta`; Airflow 2's keep them private.
        cron = getattr(timetable, "expression", None) or getattr(timetable, "_expression", None)
        delta = getattr(timetable, "delta", None) or getattr(timetable, "_delta", None)
        every = repr(cron) if isinstance(cron, str) else repr(delta)
        example = (
            f"CronDataIntervalTimetable({cron!r}, timezone='UTC')"
            if isinstance(cron, str)
            else f"DeltaDataIntervalTimetable({delta!r})"
        )
        return (
            f": the DAG's schedule ({kind} {every}) makes each run a point in time; schedule it with "
            f"{example} for runs that each cover the time since the previous one"
        )
    return f", as the DAG's timetable ({kind}) makes it"


def days_window(on: str | None, after: str | None, before: str | None) -> Window:
    """The window of the Compatibility API's day filters (``X`` that day, ``X>`` on or after, ``X<``
    on or before; UTC days as ``YYYY-MM-DD``)."""
    days = {name: user_time(day, name) for name, day in (("on", on), ("after", after), ("before", before))}
    starts = [d for d in (days["on"], days["after"]) if d is not None]
    ends = [d + timedelta(days=1) for d in (days["on"], days["before"]) if d is not None]
    return Window(max(starts, default=None), min(ends, default=None), FROM_ARGUMENTS)


def list_window(
    op: Any, context: Context, resource: str, params: dict[str, Any], filter_name: str, moment_key: str
) -> list[dict[str, Any]]:
    """List ``resource`` with ``params``; with no date filter given, the run's window (``run_window``:
    the data interval when it has width, else no date filter), kept exact and logged."""

    days = [params.get(filter_name + suffix) for suffix in ("", ">", "<")]
    if any(days):
        window = days_window(*days)
    else:
        arguments = f"{moment_key}, {moment_key}_after or {moment_key}_before"
        window = run_window(context, fallback=EVERYTHING, arguments=arguments)
        if window.start is not None and window.end is not None:
            params[filter_name + ">"] = window.start.date().isoformat()
            params[filter_name + "<"] = (window.end - timedelta(microseconds=1)).date().isoformat()
    path = compat_path(op.hook.settings.project_id, resource)
    fetched = list(op.hook.paginate(path, params=params, page_size=op.page_size, max_items=op.max_items))
    items = fetched
    if window.source == FROM_INTERVAL:
        start, end = window.start, window.end

        def inside(item: dict[str, Any]) -> bool:
            moment = parse_timestamp(item.get(moment_key) or item.get("date_created"))
            return moment is not None and start <= moment < end  # type: ignore[operator]

        items = [item for item in fetched if inside(item)]
    outside = len(fetched) - len(items)
    op.log.info(
        "Listed %d %s of %s%s.",
        len(items),
        resource.lower(),
        window.describe(),
        f" ({outside} more on those UTC days fell outside it)" if outside else "",
    )
    return items


class DayListOperator(SignalWireListOperator):
    """
    Base of the Compatibility API lists that filter by UTC day (messages by ``DateSent``, calls by
    ``StartTime``) and, given no day, list within the run's window (:func:`list_window`).

    A subclass names the ``resource``, its ``date_param`` and ``moment_key`` (whose ``""``/``_after``/
    ``_before`` attributes hold the day arguments), and how to check an address (``address``).

    :param to: Only items to this address.
    :param from_: Only items from this address.
    :param status: Only items with this status.
    :param page_size: Items per page, 1 to 1000.
    :param max_items: Stop after this many items.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: A list of dicts, as SignalWire returns them.
    """

    resource: ClassVar[str]
    date_param: ClassVar[str]
    moment_key: ClassVar[str]

    def __init__(
        self, *, to: str | None = None, from_: str | None = None, status: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.to = to
        self.from_ = from_
        self.status = status

    @staticmethod
    def address(value: Any, name: str) -> str:
        """``value`` checked as an address of this resource (``e164``, ``call_address``)."""
        raise NotImplementedError

    def days(self) -> list[str | date | datetime | None]:
        """The day arguments: on, after, before."""
        return [getattr(self, self.moment_key + suffix) for suffix in ("", "_after", "_before")]

    def execute(self, context: Context) -> list[dict[str, Any]]:

        check = self.address
        key, name = self.date_param, self.moment_key
        on, after, before = self.days()
        params: dict[str, Any] = {
            "To": check(self.to, "to") if self.to else None,
            "From": check(self.from_, "from_") if self.from_ else None,
            "Status": self.status or None,
            key: day_filter(on, name),
            f"{key}>": day_filter(after, f"{name}_after"),
            f"{key}<": day_filter(before, f"{name}_before"),
        }
        return list_window(self, context, self.resource, params, key, name)
