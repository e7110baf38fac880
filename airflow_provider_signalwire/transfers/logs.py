"""Export SignalWire logs to object storage: one file per window, exactly once, atomically."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.operators._window import (
    DAY_BEFORE_DUE,
    FROM_ARGUMENTS,
    Window,
    run_due,
    run_window,
)
from airflow_provider_signalwire.operators.base import SignalWireBaseOperator
from airflow_provider_signalwire.protocol.permissions import permissions_for_path
from airflow_provider_signalwire.storage import (
    destination_url,
    file_name,
    public_uri,
    storage_path,
    write_atomically,
)
from airflow_provider_signalwire.times import UTC, as_duration, iso_z, user_time, window_stamp
from airflow_provider_signalwire.transfers.encoders import CSV_FORMULAS, FORMATS, make_encoder
from airflow_provider_signalwire.transfers.log_families import LOG_FAMILIES, LOG_TYPES, has_margins

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_signalwire.protocol.permissions import Requirement
    from airflow_provider_signalwire.transfers.export import ExportStats

MAX_PARALLEL_WINDOWS = 64
DEFAULT_SETTLE = timedelta(minutes=5)
# Placeholders a destination may hold, filled with the window when the task runs.
WINDOW_START, WINDOW_END = "{window_start}", "{window_end}"
_SAMPLE_STAMP = "20261127T001500Z"  # stands in for the placeholders when a literal destination is checked
# Where an incremental export keeps its place, in its Asset's state store (one key per log family).
STATE_KEY = "signalwire.logs.{log_type}"
INCREMENTAL_MIN_AIRFLOW = (3, 3)
# A stored watermark may be this far past now (clocks that differ a little) before it is refused.
STATE_CLOCK_SKEW = timedelta(minutes=5)


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _airflow_version() -> tuple[int, int]:
    import airflow

    match = re.match(r"(\d+)\.(\d+)", getattr(airflow, "__version__", ""))
    return (int(match[1]), int(match[2])) if match else (0, 0)


def _settle(value: Any, task_id: str) -> timedelta:
    """``settle`` as a timedelta: a timedelta, or seconds (a number or a rendered template)."""
    return as_duration(value, f"{task_id}: settle")


class SignalWireLogsToStorageOperator(SignalWireBaseOperator):
    """
    Export one SignalWire log family for a time window to a file in object storage (JSON Lines or CSV).

    The window is half-open, ``[start, end)`` in UTC, and defaults to the run's data interval, so
    consecutive runs hold every record exactly once: the API is asked for a slightly wider window and
    only records whose own timestamp is in the window are written. Pages are streamed to the file as
    they come (constant memory), through a temporary object that is moved onto the destination when
    complete: a rerun replaces the file, a failed run leaves nothing under the final name, and an empty
    window writes an empty file (CSV: the header only).

    Runs without a data interval (Airflow 3 runs triggered without a logical date) and runs whose
    interval is empty (start == end: ``schedule=None`` runs, ``airflow dags test``, Airflow 3's cron and
    timedelta schedules unless ``[scheduler] create_cron_data_intervals`` is on) export the UTC day
    before the run: before its logical date if it has one, else before it was due
    (``dag_run.run_after``), unless ``created_after`` / ``created_before`` say otherwise. For a cron
    schedule whose runs should each export their own interval, use a ``CronDataIntervalTimetable``.
    The log says which window was used and why.

    **Incremental exports** (``incremental=True``, Airflow 3.3): the window starts where the previous
    export ended, a watermark kept in the state store of the task's one ``Asset`` outlet, and ends at
    now minus ``settle`` (records that reach the listing a little late are not missed). The watermark
    moves only once the file is in place, so a failed run is simply retried: nothing is lost or
    doubled. A retry (or the next run, after a failure) exports the very window the failed attempt
    chose, into the same file. The first run (no watermark yet) starts at ``created_after`` if given,
    else at the run's data interval start, else when the run was due (``dag_run.run_after``): from then
    on. A window that would be empty (the run comes before ``settle`` has passed) writes nothing and
    skips the task. The DAG must have ``max_active_runs=1``, and ``destination`` must differ per window:
    put ``{window_start}`` and/or ``{window_end}`` in it (e.g.
    ``s3://bucket/voice/{window_start}_{window_end}.jsonl``). To start over, delete the key
    ``signalwire.logs.<log_type>`` from the asset's state store.

    :param log_type: ``voice``, ``messaging``, ``fax``, ``video`` (``/api/<family>/logs``),
        ``conferences`` (``/api/logs/conferences``), ``compat_messages`` or ``compat_calls`` (the
        Compatibility API's Messages and Calls, filtered by ``DateSent`` / ``StartTime``; a message not
        sent or a call not answered is placed by its ``date_created``), ``compat_recordings`` or
        ``compat_transcriptions`` (call recordings' metadata, transcriptions with their text; by
        ``date_created``).
    :param destination: Where to write (templated): a URL for Airflow's ``ObjectStoragePath``
        (``file://``, ``s3://``, ``gs://``, ...; a connection id may precede the bucket as in
        ``s3://aws_default@bucket/key``) or an absolute local path, e.g.
        ``file:///data/signalwire/{{ ds }}/voice.jsonl``. ``{window_start}`` and ``{window_end}`` are
        replaced by the window's bounds when the task runs (``20261127T001500Z``).
    :param format: ``jsonl`` (one JSON object per line, keys sorted) or ``csv`` (the family's fields in
        the spec's order, then ``_other`` with any further fields as JSON; lists and objects as JSON
        text).
    :param csv_formulas: CSV only. ``"escape"`` (default): a text cell that spreadsheets would run as a
        formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, and not a plain
        number such as ``+15551234567`` or ``-5``) is written with a leading ``'`` (OWASP's CSV injection
        defence); the task log counts them. ``"raw"``: written as they are, for tools that are not
        spreadsheets.
    :param created_after: Window start, inclusive (templated; ISO date or datetime, naive = UTC).
        Default: the data interval's start. Incremental exports: where the first run starts.
    :param created_before: Window end, exclusive (templated). Default: the data interval's end. Not with
        ``incremental`` (its windows end at now minus ``settle``).
    :param page_size: Records per page, 1 to 1000.
    :param parallel_windows: Cut the window into this many slices listed concurrently (at most 8 at a
        time, on one connection pool); a busy slice hands its unlisted rest to idle workers, so bursty
        days spread too. The file is byte-for-byte the one a sequential export writes. The
        Compatibility families are cut at UTC midnights only (their filters take whole days).
    :param incremental: Continue from the watermark in the ``Asset`` outlet's state store (Airflow 3.3;
        see above).
    :param settle: Incremental exports end this long before now (templated): a timedelta or a number of
        seconds; default 5 minutes.
    :param include_events: For ``log_type="voice"`` only: add each call's events
        (``GET /api/voice/logs/{id}/events``: created, answered, ended ...) to its record as ``events``
        (a JSON list; a JSON column in CSV). One more request per record.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: ``{"path", "records", "pages", "bytes", "window": [start, end]}`` (ISO 8601 UTC).
    :raises SignalWireConfigError: before any request, for an unknown ``log_type`` or ``format``, a
        window that ends before it starts, a destination that is not a file path or URL, or an
        incremental export that cannot keep a watermark (Airflow before 3.3, not exactly one ``Asset``
        outlet, ``created_before`` given, ``max_active_runs`` above 1, a destination that never changes);
        and, before anything is written, for an incremental state that cannot be right (a watermark or
        pending window that is not a time, is out of range, or ends after now).

    Outlets: an ``AssetAlias`` outlet receives an asset for the file actually written, with ``extra``
    ``{"records": n, "window": "<start>/<end>"}`` (an ISO 8601 interval); an ``Asset`` outlet's event gets
    the same ``extra`` plus ``"path"``, the file's URL (an ``Asset``'s own URI names no file).

    Lineage: with ``apache-airflow-providers-openlineage`` installed, the input is the log family's
    listing in the space (namespace ``https://<space host>``, name ``/api/voice/logs``) and the output
    the file written, with its record count and size.
    """

    template_fields: Sequence[str] = ("destination", "created_after", "created_before", "settle")
    ui_color = "#f72a72"

    def permissions_needed(self) -> Requirement | None:
        """What listing this ``log_type`` needs."""
        return permissions_for_path(LOG_FAMILIES[self.log_type].path)

    def __init__(
        self,
        *,
        log_type: str,
        destination: str,
        format: str = "jsonl",
        csv_formulas: str = "escape",
        created_after: str | date | datetime | None = None,
        created_before: str | date | datetime | None = None,
        page_size: int = 1000,
        parallel_windows: int = 1,
        incremental: bool = False,
        settle: timedelta | float | str = DEFAULT_SETTLE,
        include_events: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if log_type not in LOG_FAMILIES:
            raise SignalWireConfigError(
                f"{self.task_id}: log_type is {log_type!r}: use one of {', '.join(LOG_TYPES)}."
            )
        if format not in FORMATS:
            raise SignalWireConfigError(f"{self.task_id}: format is {format!r}: use jsonl or csv.")
        if csv_formulas not in CSV_FORMULAS:
            raise SignalWireConfigError(
                f"{self.task_id}: csv_formulas is {csv_formulas!r}: use 'escape' (cells that spreadsheets "
                "would run as formulas get a leading ') or 'raw'."
            )
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
        if "{{" not in destination and "{%" not in destination:
            # A literal destination is judged now; a templated one once rendered, before any request.
            destination_url(
                destination.replace(WINDOW_START, _SAMPLE_STAMP).replace(WINDOW_END, _SAMPLE_STAMP),
                f"{self.task_id}: destination",
            )
        if not isinstance(include_events, bool):
            raise SignalWireConfigError(
                f"{self.task_id}: include_events is {include_events!r}: use True or False."
            )
        if include_events and log_type != "voice":
            raise SignalWireConfigError(
                f"{self.task_id}: include_events is for log_type='voice' (SignalWire lists events of voice "
                f"logs only), not {log_type!r}: remove it or export the voice logs."
            )
        if not isinstance(incremental, bool):
            raise SignalWireConfigError(f"{self.task_id}: incremental is {incremental!r}: use True or False.")
        if not (isinstance(settle, str) and "{{" in settle):
            _settle(settle, self.task_id)
        self.log_type = log_type
        self.destination = destination
        self.format = format
        self.csv_formulas = csv_formulas
        self.created_after = created_after
        self.created_before = created_before
        self.page_size = page_size
        self.parallel_windows = parallel_windows
        self.incremental = incremental
        self.settle = settle
        self.include_events = include_events
        self._written: dict[str, Any] | None = None
        self._lineage: dict[str, Any] | None = None
        if incremental:
            self._check_incremental()

    # ------------------------------------------------------------------------------------ execute

    def execute(self, context: Context) -> dict[str, Any]:
        if self.incremental:
            return self._execute_incremental(context)
        # Everything is checked before the first request.
        start, end = self.window(context)
        return self._export(context, start, end, storage_path(self._fill_window(start, end)))

    def _export(self, context: Context, start: datetime, end: datetime, path: Any) -> dict[str, Any]:
        from airflow_provider_signalwire.transfers.export import export_window

        family = LOG_FAMILIES[self.log_type]
        enrich = None
        if self.include_events:
            family = family._replace(columns=(*family.columns, "events"))
            enrich = self._with_events
        encoder = make_encoder(self.format, family, csv_formulas=self.csv_formulas)
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
                enrich=enrich,
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
        if encoder.tally.unencodable:
            self.log.warning(
                "%d %s records held text that UTF-8 cannot encode (lone surrogates such as \\ud800): "
                "written %s.",
                encoder.tally.unencodable,
                self.log_type,
                "with U+FFFD in their place"
                if self.format == "csv"
                else "as JSON escapes, which read back the same",
            )
        if encoder.tally.formulas:
            self.log.info(
                "%d CSV cells that spreadsheets would run as formulas were written with a leading ' "
                "(csv_formulas='raw' writes them as they are).",
                encoder.tally.formulas,
            )
        self._written = result
        self._lineage = {
            "space": self.hook.base_url,
            "listing": family.list_path(self.hook.settings.project_id),
            "path": uri,
            "records": stats.records,
            "bytes": stats.bytes,
        }
        # The window as one ISO 8601 interval string: Airflow 2.11 needs hashable extra values.
        extra: dict[str, Any] = {"records": stats.records, "window": f"{iso_z(start)}/{iso_z(end)}"}
        self._announce(context, uri, extra, {"path": uri})
        return result

    def _with_events(self, record: dict[str, Any]) -> dict[str, Any]:
        """``record`` with its ``events`` (``GET /api/voice/logs/{id}/events``, oldest first)."""
        answer = self.hook.request("GET", f"/api/voice/logs/{quote(str(record.get('id')), safe='')}/events")
        events = answer.get("data") if isinstance(answer, dict) else None
        return {**record, "events": events if isinstance(events, list) else []}

    def _fill_window(self, start: datetime, end: datetime) -> str:
        # The stamps go into file names: checked like every name built from data.
        return self.destination.replace(WINDOW_START, file_name(window_stamp(start), "window_start")).replace(
            WINDOW_END, file_name(window_stamp(end), "window_end")
        )

    # ------------------------------------------------------------------------------------ windows

    def window(self, context: Context) -> tuple[datetime, datetime]:
        """The export window [start, end) in UTC: the arguments, else the run's window (``run_window``:
        the data interval when it has width, else the UTC day before the run). Logged."""
        start = user_time(self.created_after, "created_after")
        end = user_time(self.created_before, "created_before")
        source = FROM_ARGUMENTS
        if start is None or end is None:
            default = self._default_window(context)
            if start is None and end is None:
                source = default.source
            else:
                given, taken = ("created_after", "end") if start is not None else ("created_before", "start")
                source = f"{FROM_ARGUMENTS} ({given}) and, for the {taken}, {default.source}"
            start, end = start or default.start, end or default.end
        assert start is not None and end is not None  # an export's default window has both ends
        for name, moment in (("created_after", start), ("created_before", end)):
            if not has_margins(moment):  # e.g. "0001-01-01" for "everything": the API's margins overflow
                raise SignalWireConfigError(
                    f"{self.task_id}: {name} is {iso_z(moment)}: out of the range an export can ask "
                    "SignalWire for; give a date from the year 1000 to 9999-12-30 (for everything so far, a "
                    "date before your space existed, e.g. '2000-01-01')."
                )
        chosen = Window(start, end, source)
        if end < start:
            raise SignalWireConfigError(
                f"{self.task_id}: the window ends ({iso_z(end)}) before it starts ({iso_z(start)}): "
                f"{chosen.describe()}."
            )
        self.log.info("Export window: %s.", chosen.describe())
        return start, end

    def _default_window(self, context: Context) -> Window:
        return run_window(
            context, fallback=DAY_BEFORE_DUE, arguments="created_after / created_before", now=self._now
        )

    def _due(self, context: Context) -> datetime:
        return run_due(context, self._now)

    def _now(self) -> datetime:
        return datetime.now(UTC)

    # ------------------------------------------------------------------------------------ incremental

    def _check_incremental(self, *, parsing: bool = True) -> None:
        """Refuse an incremental export that could not keep its place: when the DAG is parsed, and
        again (on rendered arguments) before the first request."""
        where = f"{self.task_id}: incremental=True"
        version = _airflow_version()
        if version < INCREMENTAL_MIN_AIRFLOW:
            import airflow

            raise SignalWireConfigError(
                f"{where} needs Airflow 3.3 or later (the watermark lives in an asset's state store); this "
                f"is Airflow {airflow.__version__}. Use incremental=False with a CronDataIntervalTimetable "
                "schedule instead: each run exports its data interval, also exactly once."
            )
        self._state_asset()
        if not (self.created_before is None or self.created_before == ""):
            raise SignalWireConfigError(
                f"{where}: created_before is {self.created_before!r}: incremental windows end at now minus "
                "settle; remove created_before (created_after is where the first run starts)."
            )
        text = self.destination
        # Only the unrendered destination says whether it changes from run to run.
        if (
            parsing
            and WINDOW_START not in text
            and WINDOW_END not in text
            and "{{" not in text
            and "{%" not in text
        ):
            raise SignalWireConfigError(
                f"{where}: destination is {text!r}, the same file for every run, so each run would replace "
                f"the last one's records: put {WINDOW_START} and/or {WINDOW_END} in it, e.g. "
                f"'s3://bucket/signalwire/{self.log_type}/{WINDOW_START}_{WINDOW_END}.{self.format}'."
            )
        self._check_one_run_at_a_time(self.dag if self.has_dag() else None)

    def _state_asset(self) -> Any:
        from airflow.providers.common.compat.sdk import Asset

        assets = [o for o in self.outlets or [] if isinstance(o, Asset)]
        if len(assets) != 1:
            raise SignalWireConfigError(
                f"{self.task_id}: incremental=True keeps its watermark in the state store of one Asset "
                f"outlet; this task has {len(assets)}: pass "
                f"outlets=[Asset('signalwire-{self.log_type}-logs')] (AssetAlias outlets may be added)."
            )
        return assets[0]

    def _stored(self, value: Any, what: str, key: str) -> datetime | None:
        """A time read back from the state store (None when absent); our error, before anything is
        written, when it is not a time an export window can start or end at."""
        if value is None:
            return None
        moment = None
        if isinstance(value, str) and value.strip():
            try:
                moment = user_time(value, what)
            except SignalWireConfigError:
                moment = None
        if moment is None or not has_margins(moment):
            raise SignalWireConfigError(
                f"{self.task_id}: the {what} stored under {key!r} in the asset's state store is "
                f"{_short(value)}: not a time an export window can start or end at (unreadable or out of "
                "range). Set it to an ISO 8601 UTC time such as '2026-11-27T00:00:00Z' (the end of the last "
                "window exported), or delete the key to start over at created_after."
            )
        return moment

    def _check_one_run_at_a_time(self, dag: Any) -> None:
        runs = getattr(dag, "max_active_runs", None)
        if isinstance(runs, int) and runs > 1:
            raise SignalWireConfigError(
                f"{self.task_id}: incremental=True in DAG {dag.dag_id!r} with max_active_runs={runs}: two "
                "runs at once would export the same window twice; set max_active_runs=1 on the DAG."
            )

    def _execute_incremental(self, context: Context) -> dict[str, Any]:
        # Everything is checked before the first request (and before the state store is written).
        self._check_incremental(parsing=False)
        self._check_one_run_at_a_time(context.get("dag"))
        settle = _settle(self.settle, self.task_id)
        asset = self._state_asset()
        accessors = context.get("asset_state_store")
        if accessors is None:
            raise SignalWireConfigError(
                f"{self.task_id}: incremental=True needs the asset state store "
                "(context['asset_state_store']), which Airflow 3.3's task runner provides; this run has none."
            )
        store = accessors[asset]
        key = STATE_KEY.format(log_type=self.log_type)
        state = store.get(key)
        state = dict(state) if isinstance(state, dict) else {}
        now = self._now()
        watermark = self._stored(state.get("watermark"), "watermark", key)
        if watermark is not None and watermark > now + STATE_CLOCK_SKEW:
            raise SignalWireConfigError(
                f"{self.task_id}: the watermark stored under {key!r} is {iso_z(watermark)}, after now "
                f"({iso_z(now)}): every run would skip until then. It was edited, or written by a clock that "
                "was wrong: set it to the end of the last window exported (the newest file's window_end), or "
                "delete the key to start over at created_after."
            )
        if watermark is not None:
            start = watermark
            origin = "the stored watermark"
        else:
            start = (
                user_time(self.created_after, "created_after")
                or user_time(context.get("data_interval_start"), "data_interval_start")
                or self._due(context)
            )
            origin = "the first start (no watermark yet)"
            if not has_margins(start):
                raise SignalWireConfigError(
                    f"{self.task_id}: the first window would start at {iso_z(start)}: out of the range an "
                    "export can ask SignalWire for; give created_after as a recent ISO 8601 date."
                )
        end = (now - settle).replace(microsecond=0)
        pending = state.get("pending")
        if pending is not None and not (isinstance(pending, list) and len(pending) == 2):
            raise SignalWireConfigError(
                f"{self.task_id}: the pending window stored under {key!r} is {_short(pending)}, not "
                "[start, end]: delete its 'pending' entry (keep 'watermark') to go on from the watermark."
            )
        if pending is not None and self._stored(pending[0], "pending window start", key) == start:
            # An earlier attempt chose this window and may have written its file: the same window again,
            # into the same file, so a failure between the write and the watermark doubles nothing.
            pending_end = self._stored(pending[1], "pending window end", key)
            why = None
            if pending_end is None or pending_end <= start:
                why = "it does not end after it starts, so no run could export it"
            elif pending_end > now:
                why = (
                    f"it ends after now ({iso_z(now)}), so records still to come would be missed (if this "
                    "worker's clock is behind, a retry after that end exports it)"
                )
            if why is not None or pending_end is None:
                raise SignalWireConfigError(
                    f"{self.task_id}: the pending window stored under {key!r} is {_short(pending)}: {why}. "
                    "Delete its 'pending' entry (keep 'watermark'), and any file written for that window, to "
                    "go on from the watermark."
                )
            end = pending_end
            origin += ", ending where an unfinished attempt ended"
        if end <= start:
            if watermark is None:
                store.set(key, {"watermark": iso_z(start)})
            from airflow.providers.common.compat.sdk import AirflowSkipException

            raise AirflowSkipException(
                f"Nothing to export yet: the window would start at {iso_z(start)} ({origin}) and end at "
                f"{iso_z(end)} (now minus settle {settle}); the next run continues from {iso_z(start)}."
            )
        path = storage_path(self._fill_window(start, end))
        self.log.info(
            "Incremental export of %s logs: [%s, %s), from %s to now minus %s.",
            self.log_type,
            iso_z(start),
            iso_z(end),
            origin,
            settle,
        )
        if state.get("pending") != [iso_z(start), iso_z(end)]:
            store.set(
                key,
                {
                    **({"watermark": iso_z(watermark)} if watermark else {}),
                    "pending": [iso_z(start), iso_z(end)],
                },
            )
        result = self._export(context, start, end, path)
        # The file is in place: only now does the watermark move.
        store.set(key, {"watermark": iso_z(end)})
        self.log.info("Watermark %s of asset %r moved to %s.", key, getattr(asset, "name", asset), iso_z(end))
        return result

    # ------------------------------------------------------------------------------------ assets

    def _announce(
        self, context: Context, uri: str, extra: dict[str, Any], asset_extra: dict[str, Any]
    ) -> None:
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
                events[outlet].extra.update({**extra, **asset_extra})

    # ------------------------------------------------------------------------------------ lineage

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """OpenLineage: the space's log listing in, the file written out (records and bytes).

        Called by apache-airflow-providers-openlineage after a successful run; imports nothing of it
        otherwise. Returns None when that provider is missing or nothing was written.
        """
        try:
            from airflow.providers.common.compat.openlineage.facet import (
                Dataset,
                OutputDataset,
                OutputStatisticsOutputDatasetFacet,
            )
            from airflow.providers.openlineage.extractors import OperatorLineage
        except ImportError:
            return None
        written = self._lineage
        if not written:
            return OperatorLineage()
        namespace, name = lineage_location(written["path"])
        return OperatorLineage(
            inputs=[Dataset(namespace=written["space"], name=written["listing"])],
            outputs=[
                OutputDataset(
                    namespace=namespace,
                    name=name,
                    outputFacets={
                        "outputStatistics": OutputStatisticsOutputDatasetFacet(
                            rowCount=written["records"], size=written["bytes"]
                        )
                    },
                )
            ],
        )


def lineage_location(uri: str) -> tuple[str, str]:
    """OpenLineage namespace and name of a file URL, as Airflow's asset converters make them:
    ``file:///data/x.jsonl`` -> (``file``, ``/data/x.jsonl``); ``s3://bucket/a/x.jsonl`` ->
    (``s3://bucket``, ``a/x.jsonl``)."""
    parts = urlsplit(uri)
    if parts.scheme in ("file", "local", ""):
        return ("file://" + parts.netloc if parts.netloc else "file"), parts.path
    return f"{parts.scheme}://{parts.netloc}", parts.path.lstrip("/")
