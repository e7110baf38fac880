"""transfers/log_families.py: the families' paths, server filters, record times and window margins."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_signalwire.transfers.log_families import LOG_FAMILIES, LOG_TYPES, has_margins

UTC = timezone.utc
START = datetime(2026, 11, 1, 0, 0, 0, 500, tzinfo=UTC)
END = datetime(2026, 11, 2, tzinfo=UTC)


def test_rest_families_ask_a_wider_window_in_whole_seconds():
    assert LOG_FAMILIES["voice"].server_params(START, END) == {
        "created_after": "2026-10-31T23:59:00Z",
        "created_before": "2026-11-02T00:01:00Z",
    }


def test_compatibility_families_ask_whole_days_and_fill_the_project():
    family = LOG_FAMILIES["compat_calls"]
    assert family.server_params(START, END) == {"StartTime>": "2026-10-31", "StartTime<": "2026-11-03"}
    assert family.list_path("p/1") == "/api/laml/2010-04-01/Accounts/p%2F1/Calls"
    assert set(LOG_TYPES) >= {"voice", "messaging", "fax", "video", "conferences", "compat_messages"}


def test_record_time_takes_the_first_time_field_present():
    family = LOG_FAMILIES["compat_messages"]
    assert family.record_time({"date_sent": None, "date_created": "Sun, 01 Nov 2026 00:00:00 +0000"}) == (
        datetime(2026, 11, 1, tzinfo=UTC)
    )
    with pytest.raises(ValueError, match="has no date_sent or date_created"):
        family.record_time({"sid": "SM1"})
    with pytest.raises(ValueError, match="has date_sent 'soon' is not an ISO 8601"):
        family.record_time({"sid": "SM1", "date_sent": "soon"})


def test_has_margins():
    assert has_margins(START)
    assert not has_margins(datetime(999, 12, 31, tzinfo=UTC))
    assert not has_margins(datetime.max.replace(tzinfo=UTC) - timedelta(hours=1))
