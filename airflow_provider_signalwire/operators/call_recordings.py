"""Operators for the Compatibility API's call recordings and their transcriptions: list, read, delete,
and download a recording's file (WAV or MP3).

A recording's file is its URL on the space without ``.json``; SignalWire serves it publicly by default
and behind the project's credentials once the project turns on Media URL Protection, so it is fetched
with the connection's credentials, which go to the configured space and nowhere else. Transcription
text is exported per window with ``SignalWireLogsToStorageOperator(log_type="compat_transcriptions")``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_signalwire.operators._arguments import check_choice, resource_id
from airflow_provider_signalwire.operators._compatibility import compat_path
from airflow_provider_signalwire.operators._download import SignalWireDownloadOperator
from airflow_provider_signalwire.operators._window import list_window
from airflow_provider_signalwire.operators.base import (
    SignalWireBaseOperator,
    SignalWireDeleteOperator,
    SignalWireListOperator,
)
from airflow_provider_signalwire.storage import join_under
from airflow_provider_signalwire.times import day_filter

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

__all__ = [
    "DeleteCallRecordingOperator",
    "DeleteTranscriptionOperator",
    "DownloadCallRecordingOperator",
    "GetCallRecordingOperator",
    "GetTranscriptionOperator",
    "ListCallRecordingsOperator",
    "ListTranscriptionsOperator",
]

RECORDING_FORMATS = ("wav", "mp3")
Day = str | date | datetime | None


def compat_json(operator: SignalWireBaseOperator, resource: str, sid: str) -> Any:
    """``GET .../{resource}/{sid}.json``: the metadata (without ``.json`` a recording's URL is its file)."""
    return operator.hook.request(
        "GET", compat_path(operator.hook.settings.project_id, resource, sid) + ".json"
    )


class _CreatedListOperator(SignalWireListOperator):
    """A Compatibility list filtered by ``DateCreated`` (UTC days); given no day, the run's window."""

    resource: ClassVar[str]

    def __init__(
        self,
        *,
        date_created: Day = None,
        date_created_after: Day = None,
        date_created_before: Day = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.date_created = date_created
        self.date_created_after = date_created_after
        self.date_created_before = date_created_before

    def filters(self) -> dict[str, Any]:
        """Further query filters (rendered, checked)."""
        return {}

    def execute(self, context: Context) -> list[dict[str, Any]]:
        params: dict[str, Any] = {
            **self.filters(),
            "DateCreated": day_filter(self.date_created, "date_created"),
            "DateCreated>": day_filter(self.date_created_after, "date_created_after"),
            "DateCreated<": day_filter(self.date_created_before, "date_created_before"),
        }
        return list_window(self, context, self.resource, params, "DateCreated", "date_created")


class ListCallRecordingsOperator(_CreatedListOperator):
    """
    List call recordings (``GET .../Recordings``, Compatibility API), newest first, every page.

    Without any of ``date_created``, ``date_created_after`` and ``date_created_before``, a run with a
    data interval lists the recordings created within it (the days are asked of SignalWire, then each
    recording's ``date_created`` is checked); a run without one lists all, up to ``max_items``. With
    ``call_sid`` and no days, every recording of that call is listed, whatever the run's window.

    :param call_sid: Only this call's recordings (``CallSid``; templated).
    :param conference_sid: Only this conference's recordings (``ConferenceSid``; templated).
    :param date_created: Only recordings created on this UTC day (templated).
    :param date_created_after: Only recordings created on or after this day (``DateCreated>``; templated).
    :param date_created_before: Only recordings created on or before this day (``DateCreated<``;
        templated).
    :param page_size: Recordings per page, 1 to 1000.
    :param max_items: Stop after this many recordings.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: A list of recording dicts (``sid``, ``call_sid``, ``duration``, ``status``, ``uri`` ...).
    """

    required_permissions = ("calling",)

    template_fields: Sequence[str] = (
        "call_sid",
        "conference_sid",
        "date_created",
        "date_created_after",
        "date_created_before",
    )
    resource = "Recordings"
    list_noun = "call recordings"

    def __init__(
        self, *, call_sid: str | None = None, conference_sid: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.call_sid = call_sid
        self.conference_sid = conference_sid

    def filters(self) -> dict[str, Any]:
        return {
            "CallSid": resource_id(self.task_id, "call_sid", self.call_sid) if self.call_sid else None,
            "ConferenceSid": (
                resource_id(self.task_id, "conference_sid", self.conference_sid)
                if self.conference_sid
                else None
            ),
        }

    def execute(self, context: Context) -> list[dict[str, Any]]:
        days = (self.date_created, self.date_created_after, self.date_created_before)
        if self.call_sid and not any(days):
            path = compat_path(self.hook.settings.project_id, self.resource)
            return self.list_all(path, {k: v for k, v in self.filters().items() if v})
        return super().execute(context)


class GetCallRecordingOperator(SignalWireBaseOperator):
    """
    Read one call recording's metadata (``GET .../Recordings/{sid}.json``, Compatibility API).

    :param recording_sid: The recording's SID (templated).
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: The recording dict (``sid``, ``call_sid``, ``duration``, ``status``, ``uri`` ...).
    """

    required_permissions = ("calling",)

    template_fields: Sequence[str] = ("recording_sid",)

    def __init__(self, *, recording_sid: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.recording_sid = recording_sid

    def execute(self, context: Context) -> dict[str, Any]:
        sid = resource_id(self.task_id, "recording_sid", self.recording_sid)
        recording = compat_json(self, "Recordings", sid)
        self.log.info(
            "Call recording %s is %s (%s s).", sid, recording.get("status"), recording.get("duration")
        )
        return recording


class DeleteCallRecordingOperator(SignalWireDeleteOperator):
    """
    Delete a call recording and its file (``DELETE .../Recordings/{sid}``, Compatibility API).

    :param recording_sid: The recording's SID (templated).
    :param missing_ok: A recording that is already gone is success (default), so reruns succeed.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: ``{"id": ..., "deleted": True}``, or ``"deleted": False`` when it was gone.
    """

    required_permissions = ("calling",)

    template_fields: Sequence[str] = ("recording_sid",)
    id_field = "recording_sid"
    noun = "call recording"

    def __init__(self, *, recording_sid: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.recording_sid = recording_sid

    def delete_path(self, resource_id: str) -> str:
        return compat_path(self.hook.settings.project_id, "Recordings", resource_id)


class DownloadCallRecordingOperator(SignalWireDownloadOperator):
    """
    Download a call recording's file (WAV or MP3) to a local path or any Airflow ``ObjectStoragePath``
    (``file://``, ``s3://``, ``gs://`` ...).

    It first reads the recording (``GET .../Recordings/{sid}.json``): one that is not ``completed`` has
    no file yet and fails the task. The file, ``.../Recordings/{sid}.wav`` or ``.mp3`` on the space, is
    then streamed in chunks into a temporary name beside the destination and renamed over it: a failed
    download leaves nothing under the final name, a rerun replaces the file. Its size is checked against
    the announced length as it arrives and a SHA-256 computed on the way. The request carries the
    connection's credentials (needed when the project protects its recording media URLs) and goes to
    the configured space only, as every API call.

    The destination follows the rules of every operator that writes files: an absolute local path or a
    writable filesystem URL (not ``http(s)://``), refused when the DAG is parsed if literal, and before
    any request once rendered.

    :param recording_sid: The recording's SID (templated). Map it over a list with
        ``.partial(...).expand(recording_sid=...)``.
    :param destination: Where to write (templated): an absolute file path or URL such as
        ``s3://bucket/calls/{{ ds }}/`` (a folder ending in ``/``: the file is then named
        ``<recording sid>.<format>``) or ``file:///data/calls/x.wav``, or an ``ObjectStoragePath``.
    :param format: ``"wav"`` (default) or ``"mp3"`` (templated).
    :param chunk_size: Bytes read at a time (default 1 MiB, at most 64 MiB).
    :param progress_interval: Seconds between progress log lines (bytes, percentage, rate); default 10.
    :param asset_alias: Name of an asset alias to declare the written file on (an ``AssetAlias`` outlet on
        Airflow 3, a ``DatasetAlias`` on 2.x), with ``extra`` ``{"recording_sid", "call_sid", "sha256"}``.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: ``{"recording_sid", "call_sid", "format", "duration", "path", "size", "sha256",
        "content_type", "seconds"}``.
    :raises SignalWireConfigError: before any request, for a SID that cannot be a file name, a format
        other than wav or mp3, or a destination that cannot be written.
    :raises AirflowFailException: when the recording is not ``completed``.
    :raises AirflowException: when the file is shorter or longer than announced (retryable).
    """

    required_permissions = ("calling",)

    template_fields: Sequence[str] = ("recording_sid", "destination", "format")
    id_field = "recording_sid"
    noun = "call recording"

    def __init__(self, *, recording_sid: str, destination: Any, format: str = "wav", **kwargs: Any) -> None:
        super().__init__(destination=destination, **kwargs)
        self.recording_sid = recording_sid
        self.format = format
        self.check_literal_id(recording_sid)
        if not (isinstance(format, str) and "{{" in format):
            check_choice(self.task_id, "format", format, RECORDING_FORMATS)

    def execute(self, context: Context) -> dict[str, Any]:
        sid = self.file_name_of(resource_id(self.task_id, "recording_sid", self.recording_sid))
        fmt = str(self.format).strip().lower()
        check_choice(self.task_id, "format", fmt, RECORDING_FORMATS)
        path, folder = self.destination_path()
        target = join_under(path, f"{sid}.{fmt}", "recording_sid") if folder else path
        recording = compat_json(self, "Recordings", sid)
        if recording.get("status") != "completed":
            raise AirflowFailException(
                f"{self.task_id}: call recording {sid} is {recording.get('status')!r}, not 'completed': its "
                "file is not ready yet. Nothing was written."
            )
        url = self.hook.base_url + compat_path(self.hook.settings.project_id, "Recordings", sid) + f".{fmt}"
        written = self.stream_to(url, target, None, space_credentials=True)
        call_sid = recording.get("call_sid")
        self.announce(
            context,
            written["path"],
            {"recording_sid": sid, "call_sid": call_sid, "sha256": written["sha256"]},
        )
        return {
            "recording_sid": sid,
            "call_sid": call_sid,
            "format": fmt,
            "duration": recording.get("duration"),
            **written,
        }


class ListTranscriptionsOperator(_CreatedListOperator):
    """
    List recording transcriptions (``GET .../Transcriptions``, Compatibility API), newest first, every
    page, each with its ``transcription_text``.

    Without any of ``date_created``, ``date_created_after`` and ``date_created_before``, a run with a
    data interval lists the transcriptions created within it; a run without one lists all, up to
    ``max_items``. To write them to storage per window, use ``SignalWireLogsToStorageOperator`` with
    ``log_type="compat_transcriptions"``.

    :param date_created: Only transcriptions created on this UTC day (templated).
    :param date_created_after: Only those created on or after this day (``DateCreated>``; templated).
    :param date_created_before: Only those created on or before this day (``DateCreated<``; templated).
    :param page_size: Transcriptions per page, 1 to 1000.
    :param max_items: Stop after this many transcriptions.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: A list of transcription dicts (``sid``, ``recording_sid``, ``transcription_text`` ...).
    """

    required_permissions = ("calling",)

    template_fields: Sequence[str] = ("date_created", "date_created_after", "date_created_before")
    resource = "Transcriptions"
    list_noun = "transcriptions"


class GetTranscriptionOperator(SignalWireBaseOperator):
    """
    Read one transcription (``GET .../Transcriptions/{sid}``, Compatibility API).

    :param transcription_sid: The transcription's SID (templated).
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: The transcription dict (``sid``, ``recording_sid``, ``transcription_text`` ...).
    """

    required_permissions = ("calling",)

    template_fields: Sequence[str] = ("transcription_sid",)

    def __init__(self, *, transcription_sid: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.transcription_sid = transcription_sid

    def execute(self, context: Context) -> dict[str, Any]:
        sid = resource_id(self.task_id, "transcription_sid", self.transcription_sid)
        return compat_json(self, "Transcriptions", sid)


class DeleteTranscriptionOperator(SignalWireDeleteOperator):
    """
    Delete a recording transcription (``DELETE .../Transcriptions/{sid}``, Compatibility API).

    :param transcription_sid: The transcription's SID (templated).
    :param missing_ok: A transcription that is already gone is success (default), so reruns succeed.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: ``{"id": ..., "deleted": True}``, or ``"deleted": False`` when it was gone.
    """

    required_permissions = ("calling",)

    template_fields: Sequence[str] = ("transcription_sid",)
    id_field = "transcription_sid"
    noun = "transcription"

    def __init__(self, *, transcription_sid: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.transcription_sid = transcription_sid

    def delete_path(self, resource_id: str) -> str:
        return compat_path(self.hook.settings.project_id, "Transcriptions", resource_id)
