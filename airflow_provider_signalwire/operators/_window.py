"""The window of time an operator covers when its arguments give none: one rule for every operator
that windows by the run (message and call lists, log exports).

The run's data interval, when it has width. A run without one (Airflow 3 runs triggered without a
logical date) and a run whose interval is empty (start == end: every run of a ``schedule=None`` DAG
that has a logical date, ``airflow dags test`` included, and Airflow 3's cron and timedelta trigger
schedules) are treated alike: the operator's own default for "no interval" (lists: no date filter;
exports: the UTC day before the run), never an empty window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_signalwire.times import UTC, iso_z, user_time

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


@dataclass(frozen=True)
class Window:
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
