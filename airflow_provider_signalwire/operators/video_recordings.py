"""Operators for SignalWire Video room recordings: list, delete and download them.

Every argument is checked when the DAG is parsed and again, rendered, before any request. Paths and
fields are those of the video section of SignalWire's OpenAPI spec.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowFailException, mask_secret

from airflow_provider_signalwire.operators._arguments import resource_id as _resource_id
from airflow_provider_signalwire.operators._arguments import segment as _segment
from airflow_provider_signalwire.operators._download import SignalWireDownloadOperator
from airflow_provider_signalwire.operators._video_schema import Spec, check_fields
from airflow_provider_signalwire.operators.base import SignalWireDeleteOperator, SignalWireListOperator
from airflow_provider_signalwire.storage import recording_target

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

__all__ = [
    "DeleteVideoRoomRecordingOperator",
    "DownloadVideoRoomRecordingOperator",
    "ListVideoRoomRecordingsOperator",
]


_MEDIA_TTL = {"media_ttl": Spec("int", minimum=0, maximum=2**31 - 1)}


class ListVideoRoomRecordingsOperator(SignalWireListOperator):
    """
    List room recordings, newest first: the space's (``GET /api/video/room_recordings``) or one
    session's (``GET /api/video/room_sessions/{id}/recordings``), following every page.

    :param session_id: Only this session's recordings (templated).
    :param media_ttl: Seconds the ``uri`` download links stay valid (templated; SignalWire's default
        900). :class:`DownloadVideoRoomRecordingOperator` fetches a fresh link anyway.
    :param page_size: Recordings per page, 1 to 1000.
    :param max_items: Stop after this many recordings.
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: A list of recording dicts (``id``, ``status``, ``size_in_bytes``, ``uri`` ...).
    """

    required_permissions = ("video",)

    template_fields: Sequence[str] = ("session_id", "media_ttl", "signalwire_conn_id")
    list_noun = "room recordings"

    def __init__(
        self,
        *,
        session_id: str | None = None,
        media_ttl: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.session_id = session_id
        self.media_ttl = media_ttl
        check_fields(self.task_id, {"media_ttl": media_ttl}, _MEDIA_TTL, rendered=False)

    def list_request(self, context: Context) -> tuple[str, dict[str, Any] | None]:
        params = check_fields(self.task_id, {"media_ttl": self.media_ttl}, _MEDIA_TTL, rendered=True)
        if self.session_id is None:
            return "/api/video/room_recordings", params
        session_id = _resource_id(self.task_id, "session_id", self.session_id)
        return f"/api/video/room_sessions/{_segment(session_id)}/recordings", params

    def list_all(self, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        recordings = super().list_all(path, params)
        for recording in recordings:
            _mask_uri(recording)
        return recordings


def _mask_uri(recording: Mapping[str, Any]) -> None:
    """A recording's ``uri`` is a signed link that lets anyone download the file while it lasts."""
    uri = recording.get("uri")
    if isinstance(uri, str) and uri:
        mask_secret(uri)


class DeleteVideoRoomRecordingOperator(SignalWireDeleteOperator):
    """
    Delete a room recording (``DELETE /api/video/room_recordings/{id}``).

    :param recording_id: The recording's id (templated).
    :param missing_ok: A recording that is already gone is success (default), so reruns succeed.
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: ``{"id": ..., "deleted": True}``, or ``"deleted": False`` when it was gone.
    """

    required_permissions = ("video",)

    template_fields: Sequence[str] = ("recording_id", "signalwire_conn_id")
    id_field = "recording_id"
    noun = "room recording"

    def __init__(self, *, recording_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.recording_id = recording_id

    def delete_path(self, resource_id: str) -> str:
        return f"/api/video/room_recordings/{_segment(resource_id)}"


class DownloadVideoRoomRecordingOperator(SignalWireDownloadOperator):
    """
    Download a room recording's file to a local path or any Airflow ``ObjectStoragePath`` (``file://``,
    ``s3://``, ``gs://`` ...).

    Right before downloading, it asks SignalWire for the recording again (``GET
    /api/video/room_recordings/{id}``): the ``uri`` link expires (about 15 minutes), so one listed hours
    earlier may be dead. The file is streamed in chunks (memory stays flat whatever its size) from the
    file host, which is never sent the space's credentials, into a temporary name beside the
    destination, then renamed over it: a failed download leaves nothing under the final name, and a
    rerun replaces the file. The byte count is checked against ``size_in_bytes`` (or the announced
    length) as the file arrives: a byte past it stops the download. A SHA-256 is computed on the way.

    The destination follows the rules of every operator that writes files: an absolute local path or
    a URL of a writable filesystem (not ``http(s)://``), refused when the DAG is parsed if literal, and
    before any request once rendered. The recording id (and, for a folder, the API's ``format``) must
    make one plain file name: no ``/``, ``\\``, ``..`` or control characters; the file always lands
    inside the folder.

    :param recording_id: The recording's id (templated). Map it over a list with
        ``.partial(...).expand(recording_id=...)``.
    :param destination: Where to write (templated): an absolute file path or URL such as
        ``file:///data/recordings/{{ ds }}/standup.mp4`` / ``s3://bucket/rec.mp4``, or a folder ending
        in ``/`` (the file is then named ``<recording id>.<format>``). An ``ObjectStoragePath`` works
        too (an existing local folder is used as a folder). Paths without a scheme are local.
    :param chunk_size: Bytes read at a time (default 1 MiB, at most 64 MiB).
    :param progress_interval: Seconds between progress log lines (bytes, percentage, rate); default 10.
    :param asset_alias: Name of an asset alias to declare the written file on (an ``AssetAlias``
        outlet on Airflow 3, a ``DatasetAlias`` on 2.x): DAGs scheduled on the alias run after it.
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: ``{"recording_id", "room_session_id", "path", "size", "sha256", "content_type",
        "seconds"}``.
    :raises SignalWireConfigError: before any request, for a recording id that cannot be a file name or
        a destination that cannot be written (relative, ``http(s)://``, an existing folder without a
        trailing ``/``).
    :raises AirflowFailException: when the recording has no download link yet (not ``completed``), or
        its ``format`` cannot be part of a file name.
    :raises AirflowException: when the file is shorter or longer than SignalWire said (retryable).
    """

    required_permissions = ("video",)

    template_fields: Sequence[str] = ("recording_id", "destination", "signalwire_conn_id")
    id_field = "recording_id"
    noun = "room recording"

    def __init__(self, *, recording_id: str, destination: Any, **kwargs: Any) -> None:
        super().__init__(destination=destination, **kwargs)
        self.recording_id = recording_id
        self.check_literal_id(recording_id)

    def execute(self, context: Context) -> dict[str, Any]:
        recording_id = self.file_name_of(_resource_id(self.task_id, "recording_id", self.recording_id))
        path, folder = self.destination_path()
        recording = self.hook.request("GET", f"/api/video/room_recordings/{_segment(recording_id)}")
        _mask_uri(recording)
        uri = recording.get("uri")
        if not isinstance(uri, str) or not uri:
            raise AirflowFailException(
                f"{self.task_id}: room recording {recording_id} is {recording.get('status')!r} and has no "
                "download link (uri) yet: wait for it with VideoRoomRecordingSensor first."
            )
        target = recording_target(
            path, recording_id, recording.get("format"), folder=folder, task_id=self.task_id
        )
        expected = recording.get("size_in_bytes")
        if isinstance(expected, bool) or not isinstance(expected, int) or expected < 0:
            expected = None
        written = self.stream_to(uri, target, expected)
        self.announce(context, written["path"], {"recording_id": recording_id, "sha256": written["sha256"]})
        return {"recording_id": recording_id, "room_session_id": recording.get("room_session_id"), **written}
