"""times.py: each helper's contract, and for the merged ones the inputs of the callers they replaced."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.times import (
    UTC,
    api_time,
    as_age,
    as_duration,
    as_utc,
    day_filter,
    iso_utc,
    iso_z,
    parse_record_time,
    parse_timestamp,
    user_time,
    utc,
    window_stamp,
)

NOON = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _old_parse_rfc2822(value):
    """operators/messaging.py's reader before times.py (the Compatibility dates of sends and lists)."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "value",
    [
        "Fri, 27 Nov 2026 12:00:00 +0000",
        "Fri, 27 Nov 2026 23:30:00 -0500",
        "Fri, 27 Nov 2026 12:00:00 -0000",
        "27 Nov 2026 12:00:00 GMT",
        None,
        "",
        "not a date",
        "Fri, 27 Nov 2026",
    ],
)
def test_parse_timestamp_reads_what_parse_rfc2822_read_as_the_same_instant(value):
    old = _old_parse_rfc2822(value)
    new = parse_timestamp(value)
    assert new == old  # aware datetimes compare by instant
    assert new is None or new.tzinfo == UTC


def test_parse_timestamp_reads_rfc3339_and_gives_none_for_the_rest():
    assert parse_timestamp("2026-11-27T12:00:00Z") == NOON
    assert parse_timestamp("2026-11-27T13:00:00+01:00") == NOON
    assert parse_timestamp("9999-12-31T23:59:59-12:00") is None  # out of range in UTC
    assert parse_timestamp(1234) is None
    assert parse_timestamp("   ") is None


def test_parse_record_time_is_strict():
    assert parse_record_time("2026-11-27T12:00:00Z") == NOON
    assert parse_record_time("Fri, 27 Nov 2026 12:00:00 +0000") == NOON
    assert parse_record_time("2026-11-27 12:00:00,5+00:00") == NOON + timedelta(milliseconds=500)
    with pytest.raises(ValueError, match="not an ISO 8601 or RFC 2822"):
        parse_record_time("yesterday")
    with pytest.raises(ValueError, match="offset out of range"):
        parse_record_time("2026-11-27T12:00:00+99:00")
    with pytest.raises(ValueError, match="out of range in UTC"):
        parse_record_time("9999-12-31T23:59:59-12:00")


def test_as_utc_is_lenient_for_context_values():
    assert as_utc(None) is None
    assert as_utc("") is None
    assert as_utc(object()) is None
    assert as_utc("2026-11-27T12:00:00Z") == NOON
    assert as_utc(datetime(2026, 11, 27, 12)) == NOON  # naive is UTC
    assert as_utc(date(2026, 11, 27)) == NOON - timedelta(hours=12)
    with pytest.raises(ValueError):
        as_utc("not a time")


def test_user_time_names_the_argument_it_refuses():
    assert user_time(None, "created_after") is None
    assert user_time(" ", "created_after") is None
    assert user_time("2026-11-27", "created_after") == NOON - timedelta(hours=12)
    moment = user_time(datetime(2026, 11, 27, 13, tzinfo=timezone(timedelta(hours=1))), "x")
    assert moment == NOON and type(moment) is datetime
    with pytest.raises(SignalWireConfigError, match="created_after is 'soon'"):
        user_time("soon", "created_after")
    with pytest.raises(SignalWireConfigError, match="created_before is 5"):
        user_time(5, "created_before")


def test_day_filter_gives_the_utc_day():
    assert day_filter(None, "d") is None
    assert day_filter(date(2026, 11, 27), "d") == "2026-11-27"
    assert day_filter("2026-11-27T23:30:00-05:00", "d") == "2026-11-28"
    assert day_filter("2026-02-30", "d") == "2026-02-30"  # the shape of a day is passed on as it is
    with pytest.raises(SignalWireConfigError, match="date_sent is 'x'"):
        day_filter("x", "date_sent")


def test_as_duration_keeps_the_settle_message():
    assert as_duration(timedelta(minutes=5), "t: settle") == timedelta(minutes=5)
    assert as_duration("300", "t: settle") == timedelta(minutes=5)
    assert as_duration(1.5, "t: settle") == timedelta(seconds=1.5)
    for bad in (-1, float("nan"), float("inf"), True, "soon", None):
        with pytest.raises(SignalWireConfigError, match=r"t: settle is .*: give a timedelta or a number"):
            as_duration(bad, "t: settle")


def test_writers():
    moment = NOON + timedelta(microseconds=250)
    assert iso_z(NOON) == "2026-11-27T12:00:00Z"
    assert iso_z(moment) == "2026-11-27T12:00:00.000250Z"
    assert iso_utc(datetime(2026, 11, 27, 12)) == "2026-11-27T12:00:00+00:00"
    assert window_stamp(moment) == "20261127T120000.000250Z"
    assert utc(datetime(2026, 11, 27, 12)) == NOON


def test_api_time_rounds_outwards_and_reads_naive_as_utc():
    # Both old callers: the export's window bounds (floor and ceiling) and the trigger's created_after
    # (whole seconds, truncated).
    moment = NOON + timedelta(microseconds=1)
    assert api_time(moment) == "2026-11-27T12:00:00Z"
    assert api_time(moment, floor=False) == "2026-11-27T12:00:01Z"
    assert api_time(NOON, floor=False) == "2026-11-27T12:00:00Z"
    assert api_time(datetime(2026, 11, 27, 12)) == "2026-11-27T12:00:00Z"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (timedelta(days=30), timedelta(days=30)),
        (3600, timedelta(hours=1)),
        ("86400", timedelta(days=1)),
        ("P90D", timedelta(days=90)),
        ("P2W", timedelta(weeks=2)),
        ("PT36H", timedelta(hours=36)),
        ("P1DT12H30M", timedelta(days=1, hours=12, minutes=30)),
        ("pt1,5h", timedelta(hours=1.5)),
        (str(timedelta(days=30)), timedelta(days=30)),  # "{{ macros.timedelta(days=30) }}" rendered
        ("5:00:00", timedelta(hours=5)),
    ],
)
def test_as_age_reads_timedeltas_seconds_and_iso_durations(value, expected):
    assert as_age(value, "older_than") == expected


@pytest.mark.parametrize(
    "bad", ["P1Y", "P3M", "P", "PT", "P1DT", "0", 0, -5, timedelta(0), "soon", None, True]
)
def test_as_age_refuses_naming_the_field_and_the_fix(bad):
    with pytest.raises(
        SignalWireConfigError, match=r"^t: older_than is .*: give a timedelta above zero.*'P90D'"
    ):
        as_age(bad, "t: older_than")
    if bad in ("P1Y", "P3M"):
        with pytest.raises(SignalWireConfigError, match="months and years have no fixed length"):
            as_age(bad, "t: older_than")
