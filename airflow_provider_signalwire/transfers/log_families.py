"""The log families an export can list: each one's path, CSV columns, time fields and date filters."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from airflow_provider_signalwire.lazy import Record
from airflow_provider_signalwire.times import _short, api_time, parse_record_time

# The window asked of the API is wider than [start, end) by this much on each side (whatever the
# server's boundary rule and rounding); records are then kept by their own timestamp.
REST_MARGIN = timedelta(minutes=1)
# The Compatibility date filters take whole UTC days.
COMPAT_MARGIN = timedelta(days=1)


class LogFamily(Record):
    """One exportable listing: its path, its CSV columns (the spec's field order), the record field
    that places a record in time, and how the API filters it by time."""

    log_type: str
    path: str  # ``{project_id}`` is filled in for the Compatibility API
    columns: tuple[str, ...]
    time_fields: tuple[str, ...]  # the first one present and not null places the record
    date_filter: str | None = None  # Compatibility: ``DateSent`` / ``StartTime`` (with ``>`` / ``<``)

    def list_path(self, project_id: str) -> str:
        return self.path.format(project_id=quote(project_id, safe=""))

    def server_params(self, start: datetime, end: datetime) -> dict[str, str]:
        """Filters for a window slightly wider than [start, end)."""
        if self.date_filter:
            return {
                f"{self.date_filter}>": (start - COMPAT_MARGIN).date().isoformat(),
                f"{self.date_filter}<": (end + COMPAT_MARGIN).date().isoformat(),
            }
        return {
            "created_after": api_time(start - REST_MARGIN, floor=True),
            "created_before": api_time(end + REST_MARGIN, floor=False),
        }

    def record_time(self, record: Mapping[str, Any]) -> datetime:
        """The moment that places ``record`` in a window; raises ValueError if it has none."""
        rid = record.get("id") or record.get("sid") if isinstance(record, Mapping) else None
        for name in self.time_fields:
            value = record.get(name) if isinstance(record, Mapping) else None
            if value:
                try:
                    return parse_record_time(str(value))
                except ValueError as err:
                    raise ValueError(
                        f"a {self.log_type} record ({_short(rid)}) has {name} {err}: it cannot be placed in "
                        "a window, so the export stopped instead of dropping or duplicating it"
                    ) from None
        raise ValueError(
            f"a {self.log_type} record ({rid!r}) has no {' or '.join(self.time_fields)}: it cannot be placed "
            "in a window, so the export stopped instead of dropping or duplicating it"
        )


def _fields(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Columns: each listing's item schema in SignalWire's OpenAPI specs, in the spec's order.
LOG_FAMILIES: dict[str, LogFamily] = {
    f.log_type: f
    for f in (
        LogFamily(
            "voice",
            "/api/voice/logs",
            _fields(
                "id from to source charge charge_details created_at type url direction status duration "
                "duration_ms billing_ms parent_id discarded_at"
            ),
            ("created_at",),
        ),
        LogFamily(
            "messaging",
            "/api/messaging/logs",
            _fields(
                "id from to status direction kind source type url number_of_segments charge charge_details "
                "created_at error_message error_code"
            ),
            ("created_at",),
        ),
        LogFamily(
            "fax",
            "/api/fax/logs",
            _fields(
                "id from to status direction source type url remote_station charge number_of_pages quality "
                "charge_details created_at error_code error_message"
            ),
            ("created_at",),
        ),
        LogFamily(
            "video",
            "/api/video/logs",
            _fields(
                "id source type url room_name status locked started_at ended_at charge created_at "
                "charge_details discarded_at"
            ),
            ("created_at",),
        ),
        LogFamily(
            "conferences",
            "/api/logs/conferences",
            _fields(
                "id created_at project_id region name status max_size current_participants updated_at type "
                "recording_url recording_duration recording_file_size source url room_name locked started_at "
                "ended_at charge charge_details"
            ),
            ("created_at",),
        ),
        LogFamily(
            "compat_messages",
            "/api/laml/2010-04-01/Accounts/{project_id}/Messages",
            _fields(
                "sid account_sid api_version body num_segments num_media date_created date_sent date_updated "
                "direction error_code error_message from price price_unit status to messaging_service_sid "
                "uri subresource_uris"
            ),
            # DateSent filters on the send time; a message not sent (yet) is placed by its creation.
            ("date_sent", "date_created"),
            date_filter="DateSent",
        ),
        LogFamily(
            "compat_calls",
            "/api/laml/2010-04-01/Accounts/{project_id}/Calls",
            _fields(
                "sid account_sid date_created date_updated parent_call_sid to formatted_to to_formatted from "
                "formatted_from from_formatted phone_number_sid status start_time end_time duration price "
                "price_unit direction answered_by api_version forwarded_from caller_name uri "
                "subresource_uris annotation group_sid audio_in_mos sip_result_code audio_rtt_avg "
                "audio_rtt_min audio_rtt_max audio_out_jitter_min audio_out_jitter_max "
                "audio_out_jitter_avg audio_out_lost"
            ),
            # StartTime filters on the start; a call never answered is placed by its creation.
            ("start_time", "date_created"),
            date_filter="StartTime",
        ),
        LogFamily(
            "compat_recordings",
            "/api/laml/2010-04-01/Accounts/{project_id}/Recordings",
            _fields(
                "sid account_sid api_version call_sid conference_sid channel channels date_created "
                "date_updated start_time end_time duration price price_unit source status error_code uri "
                "subresource_uris encryption_details trim"
            ),
            ("date_created",),
            date_filter="DateCreated",
        ),
        LogFamily(
            "compat_transcriptions",
            "/api/laml/2010-04-01/Accounts/{project_id}/Transcriptions",
            _fields(
                "sid account_sid api_version recording_sid date_created date_updated duration price "
                "price_unit status transcription_text type uri"
            ),
            ("date_created",),
            date_filter="DateCreated",
        ),
    )
}
LOG_TYPES = tuple(LOG_FAMILIES)


def has_margins(moment: datetime) -> bool:
    """Whether a window may start or end at ``moment``: a four-digit year, with room for the margins the
    API is asked with on either side."""
    try:
        moment - COMPAT_MARGIN, moment + COMPAT_MARGIN
    except OverflowError:
        return False
    return moment.year >= 1000
