"""Every timestamp helper of the provider: reading the API's and the user's times, writing them back.

Two readers of API timestamps, told apart by what they do with a bad one: :func:`parse_record_time`
raises (an export cannot place a record it cannot read), :func:`parse_timestamp` returns None (a watch
or a list skips it). Two readers of user and context values, likewise: :func:`user_time` raises
:class:`SignalWireConfigError` naming the argument, :func:`as_utc` returns None for what is not a time.

Nothing heavy is imported here: operator modules import this when a DAG file is parsed.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.lazy import LazyPattern

UTC = timezone.utc

_ISO = LazyPattern(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|z|[+-]\d{2}:?\d{2})?"
)
_DAY = LazyPattern(r"^\d{4}-\d{2}-\d{2}$")


def _short(value: Any, limit: int = 60) -> str:
    """``repr`` of API data for a message: escaped (lone surrogates, control characters), and short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------- reading


def utc(moment: datetime) -> datetime:
    """``moment`` as aware UTC; a naive one is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_record_time(text: str) -> datetime:
    """An ISO 8601 / RFC 3339 (``/api/*``) or RFC 2822 (Compatibility) timestamp, as aware UTC.

    Raises a short ``ValueError`` for anything else, including a date, time or UTC offset out of range
    (``+99:00``, ``9999-12-31T23:59:59-12:00``, which is past the year 9999 in UTC)."""
    text = text.strip()
    match = _ISO.fullmatch(text)
    if not match:
        try:
            return utc(parsedate_to_datetime(text))
        except (TypeError, ValueError, IndexError):
            raise ValueError(f"{_short(text)} is not an ISO 8601 or RFC 2822 timestamp") from None
        except OverflowError:
            raise ValueError(f"{_short(text)} is out of range in UTC") from None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz = UTC
    try:
        if offset and offset not in ("Z", "z"):
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    except ValueError:
        raise ValueError(f"{_short(text)} has a UTC offset out of range ({offset})") from None
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro, tz
        )
        return moment.astimezone(UTC)
    except ValueError:
        raise ValueError(f"{_short(text)} is not a real date and time") from None
    except OverflowError:
        raise ValueError(f"{_short(text)} is out of range in UTC") from None


def parse_timestamp(value: Any) -> datetime | None:
    """An API timestamp (RFC 3339 from ``/api/*``, RFC 2822 from the Compatibility API) in UTC; None
    for anything else: not a string, unreadable, or out of range in UTC (``9999-12-31T23:59:59-12:00``)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except (ValueError, OverflowError):
        pass
    try:
        return utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def as_utc(value: Any) -> datetime | None:
    """A context value (a datetime, a date, an ISO string such as a rendered ``data_interval_start``) as
    aware UTC. None for None, ``""`` and values of other types; ``ValueError`` for unreadable text."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


def user_time(value: Any, name: str) -> datetime | None:
    """A time argument (a datetime, a date or a rendered template: ISO date or datetime) as a plain
    aware-UTC datetime; naive times are UTC. None for None or an empty string; anything else:
    :class:`SignalWireConfigError` naming ``name``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        m = utc(value)
        # A plain datetime (Airflow passes pendulum's, whose arithmetic differs).
        return datetime(m.year, m.month, m.day, m.hour, m.minute, m.second, m.microsecond, tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str) and _ISO.fullmatch(value.strip()):
        try:
            return parse_record_time(value)
        except ValueError:
            pass
    raise SignalWireConfigError(
        f"{name} is {value!r}: give an ISO 8601 date or datetime, e.g. '2026-11-27' or "
        "'2026-11-27T00:00:00Z'."
    )


def day_filter(value: Any, name: str) -> str | None:
    """A ``DateSent``/``StartTime`` filter value: the UTC day (``YYYY-MM-DD``) of a date or datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    try:
        when = as_utc(value)
    except ValueError:
        when = None
        if isinstance(value, str) and _DAY.match(value.strip()):
            return value.strip()
    if when is None:
        raise SignalWireConfigError(f"{name} is {value!r}: give a date ('2026-11-27') or a datetime.")
    return when.date().isoformat()


def as_duration(value: Any, name: str) -> timedelta:
    """A timedelta, or seconds (a number or a rendered template), as a timedelta of 0 or more;
    :class:`SignalWireConfigError` naming ``name`` otherwise."""
    seconds: float | None = None
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        try:
            seconds = float(value.strip())
        except ValueError:
            seconds = None
    if seconds is None or seconds != seconds or seconds < 0 or seconds == float("inf"):
        raise SignalWireConfigError(
            f"{name} is {value!r}: give a timedelta or a number of seconds, 0 or more "
            "(e.g. timedelta(minutes=5) or '300')."
        )
    return timedelta(seconds=seconds)


_ISO_DURATION = LazyPattern(
    r"P(?:(?P<weeks>\d+(?:[.,]\d+)?)W)?(?:(?P<days>\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:[.,]\d+)?)H)?(?:(?P<minutes>\d+(?:[.,]\d+)?)M)?(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?",
    re.IGNORECASE,
)


# str(timedelta): what a template such as "{{ macros.timedelta(days=30) }}" renders to.
_TIMEDELTA_TEXT = LazyPattern(r"(?:(\d+) days?, )?(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")


def as_age(value: Any, name: str) -> timedelta:
    """An age threshold above zero: a timedelta, seconds (a number or its text), an ISO 8601 duration
    of weeks, days, hours, minutes and seconds (``P90D``, ``P2W``, ``PT36H``, ``P1DT12H``) or the text
    of a timedelta (``30 days, 0:00:00``), as templates render them. Years and months are refused (no
    fixed length). :class:`SignalWireConfigError` naming ``name`` otherwise."""
    age: timedelta | None = None
    text = value.strip() if isinstance(value, str) else ""
    match = _ISO_DURATION.fullmatch(text) if text[:1] in ("P", "p") else None
    if match and any(match.groupdict().values()) and not text.upper().endswith("T"):
        age = timedelta(**{k: float(v.replace(",", ".")) for k, v in match.groupdict().items() if v})
    elif rendered := _TIMEDELTA_TEXT.fullmatch(text):
        days, hours, minutes, seconds = rendered.groups()
        age = timedelta(days=int(days or 0), hours=int(hours), minutes=int(minutes), seconds=float(seconds))
    elif text[:1] not in ("P", "p"):
        try:
            age = as_duration(value, name)
        except SignalWireConfigError:
            age = None
    if age is None or age <= timedelta(0):
        months = (
            " (months and years have no fixed length: use days, e.g. 'P90D')"
            if "Y" in text.upper() or (text[:1] in ("P", "p") and "M" in text.upper().split("T")[0])
            else ""
        )
        raise SignalWireConfigError(
            f"{name} is {_short(value)}: give a timedelta above zero, a number of seconds, or an ISO 8601 "
            f"duration such as 'P90D', 'P2W' or 'PT36H'{months}."
        )
    return age


# --------------------------------------------------------------------------- writing


def iso_z(moment: datetime) -> str:
    """``2026-11-27T00:00:00Z`` (microseconds only when there are some)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def iso_utc(moment: datetime) -> str:
    """``2026-11-27T00:00:00+00:00`` (naive: UTC; microseconds only when there are some)."""
    return utc(moment).isoformat()


def api_time(moment: datetime, *, floor: bool = True) -> str:
    """``2026-11-27T00:00:00Z`` in whole seconds (naive: UTC), rounded down, or up with
    ``floor=False``: a window asked of the API never shrinks."""
    moment = utc(moment)
    if moment.microsecond and not floor:
        moment += timedelta(seconds=1)
    return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def window_stamp(moment: datetime) -> str:
    """A window bound for file names: ``20261127T001500Z`` (``.123456`` before the ``Z`` if needed)."""
    moment = moment.astimezone(UTC)
    fraction = f".{moment.microsecond:06d}" if moment.microsecond else ""
    return moment.strftime("%Y%m%dT%H%M%S") + fraction + "Z"
