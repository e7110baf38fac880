"""Operators for the media stored with Compatibility API messages (MMS pictures and files): list,
download and delete them (``.../Messages/{sid}/Media``).

A media file is its URL on the space without ``.json``; SignalWire serves it publicly by default and
behind the project's credentials once the project protects its message media URLs, so it is fetched
with the connection's credentials, which go to the configured space and nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_signalwire.operators._arguments import resource_id, segment
from airflow_provider_signalwire.operators._compatibility import compat_path
from airflow_provider_signalwire.operators._download import SignalWireDownloadOperator
from airflow_provider_signalwire.operators.base import SignalWireDeleteOperator, SignalWireListOperator

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

__all__ = ["DeleteMessageMediaOperator", "DownloadMessageMediaOperator", "ListMessageMediaOperator"]


def media_path(project_id: str, message_sid: str, media_sid: str | None = None) -> str:
    """``.../Messages/{message_sid}/Media[/{media_sid}]``; ids are quoted."""
    path = compat_path(project_id, "Messages", message_sid) + "/Media"
    return f"{path}/{segment(media_sid)}" if media_sid is not None else path


class ListMessageMediaOperator(SignalWireListOperator):
    """
    List a message's media (``GET .../Messages/{sid}/Media``, Compatibility API), every page.

    :param message_sid: The message's SID (templated).
    :param page_size: Media per page, 1 to 1000.
    :param max_items: Stop after this many.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: A list of media dicts (``sid``, ``parent_sid``, ``content_type``, ``uri`` ...).
    """

    required_permissions = ("messaging",)

    template_fields: Sequence[str] = ("message_sid",)
    list_noun = "message media"

    def __init__(self, *, message_sid: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message_sid = message_sid

    def list_request(self, context: Context) -> tuple[str, dict[str, Any] | None]:
        sid = resource_id(self.task_id, "message_sid", self.message_sid)
        return media_path(self.hook.settings.project_id, sid), None


class DownloadMessageMediaOperator(SignalWireDownloadOperator):
    """
    Download one of a message's media files to a local path or any Airflow ``ObjectStoragePath``.

    It reads the media first (``GET .../Messages/{sid}/Media/{media sid}.json``) for its content type,
    then streams the file (the same URL without ``.json``, on the space) into a temporary name beside
    the destination and renames it over: atomic, its size checked against the announced length as it
    arrives, its SHA-256 computed on the way. The request carries the connection's credentials (needed
    when the project protects its message media URLs) and goes to the configured space only.

    :param message_sid: The message's SID (templated).
    :param media_sid: The media's SID (templated). Map it over :class:`ListMessageMediaOperator`'s
        result with ``.partial(...).expand(media_sid=...)``.
    :param destination: Where to write (templated): an absolute file path or URL, or a folder ending in
        ``/`` (the file is then named ``<media sid>.<extension of its content type>``, e.g. ``.png``), or
        an ``ObjectStoragePath``.
    :param chunk_size: Bytes read at a time (default 1 MiB, at most 64 MiB).
    :param progress_interval: Seconds between progress log lines; default 10.
    :param asset_alias: Name of an asset alias to declare the written file on, with ``extra``
        ``{"message_sid", "media_sid", "sha256"}``.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: ``{"message_sid", "media_sid", "path", "size", "sha256", "content_type", "seconds"}``.
    :raises SignalWireConfigError: before any request, for a SID that cannot be a file name or a
        destination that cannot be written.
    :raises AirflowFailException: when the media's content type cannot name a file (in a folder).
    :raises AirflowException: when the file is shorter or longer than announced (retryable).
    """

    required_permissions = ("messaging",)

    template_fields: Sequence[str] = ("message_sid", "media_sid", "destination")
    id_field = "media_sid"
    noun = "message media"

    def __init__(self, *, message_sid: str, media_sid: str, destination: Any, **kwargs: Any) -> None:
        super().__init__(destination=destination, **kwargs)
        self.message_sid = message_sid
        self.media_sid = media_sid
        self.check_literal_id(media_sid)

    def execute(self, context: Context) -> dict[str, Any]:
        message_sid = resource_id(self.task_id, "message_sid", self.message_sid)
        media_sid = self.file_name_of(resource_id(self.task_id, "media_sid", self.media_sid))
        file_path = media_path(self.hook.settings.project_id, message_sid, media_sid)
        return self.stream_compat_media(
            context, file_path, media_sid, {"message_sid": message_sid, "media_sid": media_sid}
        )


class DeleteMessageMediaOperator(SignalWireDeleteOperator):
    """
    Delete one of a message's media (``DELETE .../Messages/{sid}/Media/{media sid}``). SignalWire
    refuses while the message is still in progress (queued).

    :param message_sid: The message's SID (templated).
    :param media_sid: The media's SID (templated).
    :param missing_ok: Media that is already gone is success (default), so reruns succeed.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: ``{"id": ..., "deleted": True}``, or ``"deleted": False`` when it was gone.
    """

    required_permissions = ("messaging",)

    template_fields: Sequence[str] = ("message_sid", "media_sid")
    id_field = "media_sid"
    noun = "message media"

    def __init__(self, *, message_sid: str, media_sid: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message_sid = message_sid
        self.media_sid = media_sid

    def delete_path(self, resource_id_: str) -> str:
        message_sid = resource_id(self.task_id, "message_sid", self.message_sid)
        return media_path(self.hook.settings.project_id, message_sid, resource_id_)
