"""Export SignalWire logs to object storage: one file per window, exactly once, atomically."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.operators.base import SignalWireBaseOperator
from airflow_provider_signalwire.transfers.export import (
    ENCODERS,
    FORMATS,
    LOG_FAMILIES,
    LOG_TYPES,
    UTC,
    ExportStats,
    as_utc,
    export_window,
    iso_z,
    public_uri,
    storage_path,
    write_atomically,
)

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

MAX_PARALLEL_WINDOWS = 64


class SignalWireLogsToStorageOperator(SignalWireBaseOperator):
    """
    Export one SignalWire log family for a time window to a file in object storage (JSON Lines or CSV).

    The window is half-open, ``[start, end)`` in UTC, and defaults to the run's data interval, so
    consecutive runs hold every record exactly once: the API is asked for a slightly wider window and
    only records whose own timestamp is in the window are written. Pages are streamed to the file as
    they come (constant memory), through a temporary object that is moved onto the destination when
    complete: a rerun replaces the file, a failed run leaves nothing under the final name, and an empty
    window writes an empty file (CSV: the header only).

    Runs without a data interval (Airflow 3 runs triggered without a logical date, ``dag.test()``
    without one) export the UTC day before the run was due (``dag_run.run_after``) unless
    ``created_after`` / ``created_before`` say otherwise. A data interval of zero width (Airflow 3 cron
    and timedelta schedules, unless ``[scheduler] create_cron_data_intervals`` is on) is refused: use a
    ``CronDataIntervalTimetable`` schedule or give the window.

    :param log_type: ``voice``, ``messaging``, ``fax``, ``video`` (``/api/<family>/logs``),
        ``conferences`` (``/api/logs/conferences``), ``compat_messages`` or ``compat_calls`` (the
        Compatibility API's Messages and Calls, filtered by ``DateSent`` / ``StartTime``; a message not
        sent or a call not answered is placed by its ``date_created``).
    :param destination: Where to write (templated): a URL for Airflow's ``ObjectStoragePath``
        (``file://``, ``s3://``, ``gs://``, ...; a connection id may precede the bucket as in
        ``s3://aws_default@bucket/key``) or an absolute local path, e.g.
        ``file:///data/signalwire/{{ ds }}/voice.jsonl``.
    :param format: ``jsonl`` (one JSON object per line, keys sorted) or ``csv`` (the family's fields in
        the spec's order, then ``_other`` with any further fields as JSON; lists and objects as JSON
        text).
    :param created_after: Window start, inclusive (templated; ISO date or datetime, naive = UTC).
        Default: the data interval's start.
    :param created_before: Window end, exclusive (templated). Default: the data interval's end.
    :param page_size: Records per page, 1 to 1000.
    :param parallel_windows: Cut the window into this many slices listed concurrently (at most 8 at a
        time, on one connection pool); the file is byte-for-byte the one a sequential export writes.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: ``{"path", "records", "pages", "bytes", "window": [start, end]}`` (ISO 8601 UTC).
    :raises SignalWireConfigError: before any request, for an unknown ``log_type`` or ``format``, a
        window that ends before it starts, or a destination that is not a file path or URL.

    Outlets: an ``AssetAlias`` outlet receives an asset for the file actually written, with ``extra``
    ``{"records": n, "window": "<start>/<end>"}`` (an ISO 8601 interval); an ``Asset`` outlet's event gets
    the same ``extra``.
    """

    template_fields: Sequence[str] = ("destination", "created_after", "created_before")
    ui_color = "#f72a72"

    def __init__(
        self,
        *,
        log_type: str,
        destination: str,
        format: str = "jsonl",
        created_after: str | date | datetime | None = None,
        created_before: str | date | datetime | None = None,
        page_size: int = 1000,
        parallel_windows: int = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if log_type not in LOG_FAMILIES:
            raise SignalWireConfigError(
                f"{self.task_id}: log_type is {log_type!r}: use one of {', '.join(LOG_TYPES)}."
            )
        if format not in FORMATS:
            raise SignalWireConfigError(f"{self.task_id}: format is {format!r}: use jsonl or csv.")
        self.check_paging(page_size, None)
        if not (
            isinstance(parallel_windows, int)
            and not isinstance(parallel_windows, bool)
            and 1 <= parallel_windows <= MAX_PARALLEL_WINDOWS
        ):
            raise SignalWireConfigError(
                f"{self.task_id}: parallel_windows is {parallel_windows!r}: use a whole number from 1 to "
                f"{MAX_PARALLEL_WINDOWS}."
            )
        if not isinstance(destination, str):
            raise SignalWireConfigError(
                f"{self.task_id}: destination is {destination!r}: give a path or URL (a string)."
            )
        self.log_type = log_type
        self.destination = destination
        self.format = format
        self.created_after = created_after
        self.created_before = created_before
        self.page_size = page_size
        self.parallel_windows = parallel_windows
        self._written: dict[str, Any] | None = None

    def execute(self, context: Context) -> dict[str, Any]:
        # Everything is checked before the first request.
        start, end = self.window(context)
        path = storage_path(self.destination)
        family = LOG_FAMILIES[self.log_type]
        encoder = ENCODERS[self.format](family)
        self.log.info(
            "Exporting %s logs of [%s, %s) to %s (%s, %d window(s)).",
            self.log_type,
            iso_z(start),
            iso_z(end),
            public_uri(path),
            self.format,
            self.parallel_windows,
        )

        def progress(stats: ExportStats) -> None:
            self.log.info(
                "%s logs: %d pages, %d records so far (%.0f records/s).",
                self.log_type,
                stats.pages,
                stats.records,
                stats.rate,
            )

        stats: ExportStats = write_atomically(
            path,
            lambda out: export_window(
                self.hook,
                family,
                start,
                end,
                out,
                encoder=encoder,
                page_size=self.page_size,
                parallel_windows=self.parallel_windows,
                progress=progress,
            ),
        )
        uri = public_uri(path)
        result = {
            "path": uri,
            "records": stats.records,
            "pages": stats.pages,
            "bytes": stats.bytes,
            "window": [iso_z(start), iso_z(end)],
        }
        self.log.info(
            "Wrote %d %s records (%d pages, %d bytes, %.0f records/s) to %s.",
            stats.records,
            self.log_type,
            stats.pages,
            stats.bytes,
            stats.rate,
            uri,
        )
        self._written = result
        # The window as one ISO 8601 interval string: Airflow 2.11 needs hashable extra values.
        self._announce(context, uri, {"records": stats.records, "window": f"{iso_z(start)}/{iso_z(end)}"})
        return result

    def window(self, context: Context) -> tuple[datetime, datetime]:
        """The export window [start, end) in UTC: the arguments, else the run's data interval."""
        start = as_utc(self.created_after, "created_after")
        end = as_utc(self.created_before, "created_before")
        if start is None or end is None:
            default_start, default_end = self._default_window(context, explicit=start or end)
            start, end = start or default_start, end or default_end
        if end < start:
            raise SignalWireConfigError(
                f"{self.task_id}: the window ends ({iso_z(end)}) before it starts ({iso_z(start)})."
            )
        return start, end

    def _default_window(self, context: Context, explicit: datetime | None) -> tuple[datetime, datetime]:
        interval_start = as_utc(context.get("data_interval_start"), "data_interval_start")
        interval_end = as_utc(context.get("data_interval_end"), "data_interval_end")
        if interval_start is not None and interval_end is not None:
            if interval_start == interval_end and explicit is None:
                raise SignalWireConfigError(
                    f"{self.task_id}: this run's data interval is empty ({iso_z(interval_start)} to itself): "
                    "Airflow 3 makes single-point runs for cron and timedelta schedules. Schedule the DAG "
                    "with CronDataIntervalTimetable (e.g. CronDataIntervalTimetable('0 0 * * *', "
                    "timezone='UTC')) or give created_after and created_before."
                )
            return interval_start, interval_end
        # No logical date, hence no data interval: the UTC day before the run was due.
        dag_run = context.get("dag_run")
        due = as_utc(getattr(dag_run, "run_after", None), "run_after") or datetime.now(UTC)
        day = due.replace(hour=0, minute=0, second=0, microsecond=0)
        self.log.info(
            "This run has no data interval (no logical date): the window defaults to the UTC day before "
            "it was due, [%s, %s).",
            iso_z(day - timedelta(days=1)),
            iso_z(day),
        )
        return day - timedelta(days=1), day

    def _announce(self, context: Context, uri: str, extra: dict[str, Any]) -> None:
        """Attach the written file to the task's asset outlets (alias: an asset for this very file)."""
        if not self.outlets:
            return
        from airflow.providers.common.compat.sdk import Asset, AssetAlias

        events = context.get("outlet_events")
        if events is None:
            return
        for outlet in self.outlets:
            if isinstance(outlet, AssetAlias):
                events[outlet].add(Asset(uri), extra=extra)
            elif isinstance(outlet, Asset):
                events[outlet].extra.update(extra)
