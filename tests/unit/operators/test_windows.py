"""One rule for every operator that windows by the run (operators/_window.py), on the offline fake space.

The table: every windowed operator (message list, call list, log exports of a log family and of the
Compatibility API's Calls and Messages) times the run's contexts (a data interval, an empty one
(start == end: a ``schedule=None`` run with a logical date, ``airflow dags test``), none (an Airflow 3
run without a logical date), explicit arguments). For each: the window asked of the space, what came
back, the log line naming the window; and the empty interval's row equals the no-interval row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.operators._window import data_interval as shared_rule
from airflow_provider_signalwire.operators.messaging import ListMessagesOperator, data_interval
from airflow_provider_signalwire.operators.voice import ListCallsOperator
from airflow_provider_signalwire.transfers.logs import SignalWireLogsToStorageOperator

UTC = timezone.utc
RUN = datetime(2026, 11, 27, 5, 3, tzinfo=UTC)  # when the run was due (and its logical date)
INTERVAL = (datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC))
# One record in each window the table can choose, one more made a minute before the run.
SEEDS = {
    "explicit": datetime(2026, 11, 10, 12, tzinfo=UTC),
    "interval": datetime(2026, 11, 20, 12, tzinfo=UTC),
    "day_before": datetime(2026, 11, 26, 12, tzinfo=UTC),
    "a_minute_ago": RUN - timedelta(minutes=1),
}


def _dag(schedule: Any = None) -> Any:
    from airflow.providers.common.compat.sdk import DAG

    return DAG("windows", schedule=schedule, start_date=datetime(2026, 1, 1), catchup=False)


def contexts() -> dict[str, dict[str, Any]]:
    run = SimpleNamespace(run_after=RUN)
    return {
        "interval": {"data_interval_start": INTERVAL[0], "data_interval_end": INTERVAL[1], "dag_run": run},
        "zero_width": {"data_interval_start": RUN, "data_interval_end": RUN, "dag_run": run, "dag": _dag()},
        "no_interval": {"dag_run": run, "dag": _dag()},  # Airflow 3: triggered without a logical date
        # Explicit arguments win over the run's interval.
        "explicit": {"data_interval_start": INTERVAL[0], "data_interval_end": INTERVAL[1], "dag_run": run},
    }


@dataclass(frozen=True)
class Windowed:
    """One windowed operator: how to build it, seed its records, read its result and its window."""

    name: str
    build: Callable[[bool, Path], Any]  # (explicit, folder) -> operator
    seed: Callable[[Any, datetime], str]  # (space, moment) -> the record's id
    ids: Callable[[Any], list[str]]  # the result -> ids
    window_keys: tuple[str, ...]  # the query parameters that carry the window
    asked: dict[str, dict[str, str]]  # context -> the window asked of the space
    kept: dict[str, set[str]]  # context -> which seeds come back


def _list_ids(result: list[dict[str, Any]]) -> list[str]:
    return sorted(item["sid"] for item in result)


def _file_ids(key: str) -> Callable[[dict[str, Any]], list[str]]:
    def ids(result: dict[str, Any]) -> list[str]:
        text = Path(result["path"][len("file://") :]).read_text(encoding="utf-8")
        return sorted(json.loads(line)[key] for line in text.splitlines())

    return ids


def _seed_message(space: Any, moment: datetime) -> str:
    return space.seed_messages(1, moment, moment + timedelta(seconds=1))[0]["sid"]


def _seed_call(space: Any, moment: datetime) -> str:
    return space.seed_calls(1, moment, moment + timedelta(seconds=1))[0]["sid"]


def _seed_voice_log(space: Any, moment: datetime) -> str:
    return space.seed_logs("voice", 1, moment, moment + timedelta(seconds=1))[0]["id"]


def _export(log_type: str) -> Callable[[bool, Path], Any]:
    def build(explicit: bool, folder: Path) -> Any:
        window = {"created_after": "2026-11-10", "created_before": "2026-11-11"} if explicit else {}
        return SignalWireLogsToStorageOperator(
            task_id="export", log_type=log_type, destination=f"{folder}/{log_type}.jsonl", **window
        )

    return build


def _lists(filter_name: str) -> dict[str, dict[str, str]]:
    return {
        "interval": {f"{filter_name}>": "2026-11-20", f"{filter_name}<": "2026-11-20"},
        "zero_width": {},
        "no_interval": {},
        "explicit": {f"{filter_name}>": "2026-11-10", f"{filter_name}<": "2026-11-10"},
    }


LIST_KEPT = {
    "interval": {"interval"},
    "zero_width": set(SEEDS),  # no date filter: what was made a minute ago too
    "no_interval": set(SEEDS),
    "explicit": {"explicit"},
}
EXPORT_KEPT = {
    "interval": {"interval"},
    "zero_width": {"day_before"},  # the UTC day before the run
    "no_interval": {"day_before"},
    "explicit": {"explicit"},
}
# The Compatibility families ask whole UTC days (``<`` is "on or before"), a day wider each side.
COMPAT_ASKED = {
    "interval": ("2026-11-19", "2026-11-22"),
    "zero_width": ("2026-11-25", "2026-11-28"),
    "no_interval": ("2026-11-25", "2026-11-28"),
    "explicit": ("2026-11-09", "2026-11-12"),
}

OPERATORS = [
    Windowed(
        "ListMessagesOperator",
        lambda explicit, _: ListMessagesOperator(
            task_id="list",
            **({"date_sent_after": "2026-11-10", "date_sent_before": "2026-11-10"} if explicit else {}),
        ),
        _seed_message,
        _list_ids,
        ("DateSent", "DateSent>", "DateSent<"),
        _lists("DateSent"),
        LIST_KEPT,
    ),
    Windowed(
        "ListCallsOperator",
        lambda explicit, _: ListCallsOperator(
            task_id="list",
            **({"start_time_after": "2026-11-10", "start_time_before": "2026-11-10"} if explicit else {}),
        ),
        _seed_call,
        _list_ids,
        ("StartTime", "StartTime>", "StartTime<"),
        _lists("StartTime"),
        LIST_KEPT,
    ),
    Windowed(
        "SignalWireLogsToStorageOperator(voice)",
        _export("voice"),
        _seed_voice_log,
        _file_ids("id"),
        ("created_after", "created_before"),
        {  # a minute wider each side
            "interval": {"created_after": "2026-11-19T23:59:00Z", "created_before": "2026-11-21T00:01:00Z"},
            "zero_width": {"created_after": "2026-11-25T23:59:00Z", "created_before": "2026-11-27T00:01:00Z"},
            "no_interval": {
                "created_after": "2026-11-25T23:59:00Z",
                "created_before": "2026-11-27T00:01:00Z",
            },
            "explicit": {"created_after": "2026-11-09T23:59:00Z", "created_before": "2026-11-11T00:01:00Z"},
        },
        EXPORT_KEPT,
    ),
    Windowed(
        "SignalWireLogsToStorageOperator(compat_calls)",
        _export("compat_calls"),
        _seed_call,
        _file_ids("sid"),
        ("StartTime", "StartTime>", "StartTime<"),
        {k: {"StartTime>": a, "StartTime<": b} for k, (a, b) in COMPAT_ASKED.items()},
        EXPORT_KEPT,
    ),
    Windowed(
        "SignalWireLogsToStorageOperator(compat_messages)",
        _export("compat_messages"),
        _seed_message,
        _file_ids("sid"),
        ("DateSent", "DateSent>", "DateSent<"),
        {k: {"DateSent>": a, "DateSent<": b} for k, (a, b) in COMPAT_ASKED.items()},
        EXPORT_KEPT,
    ),
]

# The log line naming the window (the operator's own arguments named in the no-interval lines).
LOGGED = {
    ("list", "interval"): "[2026-11-20T00:00:00Z, 2026-11-21T00:00:00Z) from the run's data interval",
    ("list", "zero_width"): (
        "[any time, now) from no data interval: no date filter; this run's data interval is empty "
        "(2026-11-27T05:03:00Z to itself), as in every run of a DAG with schedule=None"
    ),
    ("list", "no_interval"): (
        "[any time, now) from no data interval: no date filter; this run has none (it was triggered "
        "without a logical date)"
    ),
    ("list", "explicit"): "[2026-11-10T00:00:00Z, 2026-11-11T00:00:00Z) from the explicit arguments",
    ("export", "interval"): "[2026-11-20T00:00:00Z, 2026-11-21T00:00:00Z) from the run's data interval",
    ("export", "zero_width"): (
        "[2026-11-26T00:00:00Z, 2026-11-27T00:00:00Z) from no data interval: the UTC day before the run's "
        "logical date (2026-11-27T05:03:00Z); this run's data interval is empty (2026-11-27T05:03:00Z to "
        "itself), as in every run of a DAG with schedule=None"
    ),
    ("export", "no_interval"): (
        "[2026-11-26T00:00:00Z, 2026-11-27T00:00:00Z) from no data interval: the UTC day before the run was "
        "due (2026-11-27T05:03:00Z); this run has none (it was triggered without a logical date)"
    ),
    ("export", "explicit"): "[2026-11-10T00:00:00Z, 2026-11-11T00:00:00Z) from the explicit arguments",
}


def _run(space: Any, windowed: Windowed, context_name: str, folder: Path) -> tuple[list[str], dict[str, str]]:
    """Run ``windowed`` in ``context_name``: (ids it returned, the window params of its requests)."""
    folder.mkdir(parents=True, exist_ok=True)
    before = len(space.requests)
    op = windowed.build(context_name == "explicit", folder)
    result = op.execute(contexts()[context_name])
    asked = {}
    for request in space.requests[before:]:
        asked.update({k: v for k, v in request.query.items() if k in windowed.window_keys})
    return windowed.ids(result), asked


@pytest.fixture
def logged(capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> Callable[[], str]:
    """What the operators logged so far (Airflow 3's structlog prints; Airflow 2 logs through logging)."""
    caplog.set_level("INFO")

    def read() -> str:
        out, err = capfd.readouterr()
        return out + err + caplog.text

    return read


@pytest.fixture
def seeded(signalwire_space: Any) -> Callable[[Windowed], dict[str, str]]:
    signalwire_space.clock.set(RUN + timedelta(minutes=1))
    signalwire_space.clock.freeze()

    def seed(windowed: Windowed) -> dict[str, str]:
        return {windowed.seed(signalwire_space, moment): name for name, moment in SEEDS.items()}

    return seed


@pytest.mark.parametrize("context_name", ["interval", "zero_width", "no_interval", "explicit"])
@pytest.mark.parametrize("windowed", OPERATORS, ids=[w.name for w in OPERATORS])
def test_every_windowed_operator_follows_one_rule(
    signalwire_space, seeded, tmp_path, logged, windowed, context_name
):
    names = seeded(windowed)
    ids, asked = _run(signalwire_space, windowed, context_name, tmp_path / context_name)
    assert asked == windowed.asked[context_name]
    assert {names[i] for i in ids} == windowed.kept[context_name]
    kind = "list" if windowed.name.startswith("List") else "export"
    assert LOGGED[(kind, context_name)] in logged()
    if context_name == "zero_width":
        # An empty interval is no interval: the same request and the same records.
        assert (ids, asked) == _run(signalwire_space, windowed, "no_interval", tmp_path / "again")


def test_the_shared_rule_is_the_one_messaging_exposes():
    assert data_interval is shared_rule
    assert data_interval({"data_interval_start": RUN, "data_interval_end": RUN}) is None
    assert data_interval({}) is None
    assert data_interval({"data_interval_start": INTERVAL[0], "data_interval_end": INTERVAL[1]}) == INTERVAL


# ------------------------------------------------------------------ the messages fit the DAG


def _cron_trigger() -> Any:
    from airflow.timetables.trigger import CronTriggerTimetable

    return CronTriggerTimetable("0 * * * *", timezone="UTC")  # Airflow 3's default for "0 * * * *"


def _delta_trigger() -> Any:
    from airflow.timetables.trigger import DeltaTriggerTimetable

    return DeltaTriggerTimetable(timedelta(hours=1))  # Airflow 3's default for timedelta(hours=1)


@pytest.mark.parametrize(
    ("schedule", "expected", "absent"),
    [
        (
            lambda: None,
            ", as in every run of a DAG with schedule=None (manual runs, airflow dags test)",
            "Cron",
        ),
        (lambda: "@once", ", as in every run of a DAG with schedule='@once'", "Cron"),
        (
            _cron_trigger,
            ": the DAG's schedule (CronTriggerTimetable '0 * * * *') makes each run a point in time; "
            "schedule it with CronDataIntervalTimetable('0 * * * *', timezone='UTC') for runs that each "
            "cover the time since the previous one",
            "schedule=None",
        ),
        (
            _delta_trigger,
            "schedule it with DeltaDataIntervalTimetable(datetime.timedelta(seconds=3600)) for runs",
            "schedule=None",
        ),
    ],
    ids=["None", "once", "cron_trigger", "delta_trigger"],
)
def test_the_log_words_the_empty_interval_after_the_dags_schedule(
    signalwire_space, tmp_path, logged, schedule, expected, absent
):
    op = SignalWireLogsToStorageOperator(
        task_id="export", log_type="voice", destination=f"{tmp_path}/v.jsonl"
    )
    context = {
        "data_interval_start": RUN,
        "data_interval_end": RUN,
        "dag_run": SimpleNamespace(run_after=RUN),
    }
    result = op.execute({**context, "dag": _dag(schedule())})
    assert result["window"] == ["2026-11-26T00:00:00Z", "2026-11-27T00:00:00Z"]
    line = next(x for x in logged().splitlines() if "Export window:" in x)
    assert expected in line and absent not in line
    assert "Give created_after / created_before for another window" in line


def test_a_logical_date_chosen_by_hand_exports_the_day_before_it(signalwire_space, tmp_path):
    """`airflow dags test DAG 2026-11-10` of a schedule=None DAG: the empty interval sits on Nov 10 while
    the run is due now; the export covers Nov 9, as a daily CronDataIntervalTimetable run would."""
    op = SignalWireLogsToStorageOperator(
        task_id="export", log_type="voice", destination=f"{tmp_path}/v.jsonl"
    )
    point = datetime(2026, 11, 10, 8, tzinfo=UTC)
    context = {
        "data_interval_start": point,
        "data_interval_end": point,
        "dag_run": SimpleNamespace(run_after=RUN),
    }
    assert op.execute(context)["window"] == ["2026-11-09T00:00:00Z", "2026-11-10T00:00:00Z"]


def test_one_explicit_bound_takes_the_other_from_the_runs_window(signalwire_space, tmp_path, logged):
    op = SignalWireLogsToStorageOperator(
        task_id="export",
        log_type="voice",
        destination=f"{tmp_path}/v.jsonl",
        created_after="2026-11-26T12:00:00Z",
    )
    assert op.execute(contexts()["zero_width"])["window"] == ["2026-11-26T12:00:00Z", "2026-11-27T00:00:00Z"]
    assert (
        "[2026-11-26T12:00:00Z, 2026-11-27T00:00:00Z) from the explicit arguments (created_after) and, "
        "for the end, no data interval: the UTC day before the run's logical date"
    ) in logged()
    late = SignalWireLogsToStorageOperator(
        task_id="export",
        log_type="voice",
        destination=f"{tmp_path}/v.jsonl",
        created_after="2026-11-27T01:00:00Z",
    )
    with pytest.raises(
        SignalWireConfigError, match=re.escape("before it starts (2026-11-27T01:00:00Z)")
    ) as err:
        late.execute(contexts()["no_interval"])
    assert "for the end, no data interval: the UTC day before the run was due" in str(err.value)
    assert len(signalwire_space.requests) == 1  # the first export's one request; none for the refused one


def test_a_list_whose_interval_holds_nothing_says_what_it_left_out(signalwire_space, seeded, logged):
    """Records on the interval's days but outside it are fetched, then dropped: the log says so."""
    signalwire_space.seed_calls(
        1, datetime(2026, 11, 20, 23, 59, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC)
    )
    context = {
        "data_interval_start": datetime(2026, 11, 20, 0, tzinfo=UTC),
        "data_interval_end": datetime(2026, 11, 20, 1, tzinfo=UTC),
    }
    assert ListCallsOperator(task_id="list").execute(context) == []
    assert (
        "Listed 0 calls of [2026-11-20T00:00:00Z, 2026-11-20T01:00:00Z) from the run's data interval "
        "(1 more on those UTC days fell outside it)."
    ) in logged()
