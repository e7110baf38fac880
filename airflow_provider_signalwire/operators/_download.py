"""What every operator that downloads a file shares: its arguments (destination, chunk size, progress,
asset alias), the streamed, size-checked, atomic write with its SHA-256, and the asset event.

Room recordings, call recordings and message media download through :class:`SignalWireDownloadOperator`;
the rules for destinations and file names are in :mod:`airflow_provider_signalwire.storage`.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.operators._arguments import is_pending, shown
from airflow_provider_signalwire.operators.base import SignalWireBaseOperator
from airflow_provider_signalwire.storage import (
    asset_classes,
    check_destination_object,
    download_destination,
    download_destination_text,
    file_extension,
    is_storage_path,
    join_under,
    rate_text,
    recording_file_name,
    store_download,
)

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

MAX_CHUNK = 64 << 20


class SignalWireDownloadOperator(SignalWireBaseOperator):
    """
    Base of the Download* operators: one file streamed onto a destination, atomically, its size checked
    as it arrives and its SHA-256 computed on the way.

    A subclass names the argument holding the id the file is named after (``id_field``) and what it
    downloads (``noun``), then calls :meth:`destination_path`, :meth:`stream_to` and
    :meth:`announce` from ``execute``.

    :param destination: Where to write (templated): a file path or URL, or a folder ending in ``/``.
    :param chunk_size: Bytes read at a time (default 1 MiB, at most 64 MiB).
    :param progress_interval: Seconds between progress log lines (bytes, percentage, rate); default 10.
    :param asset_alias: Name of an asset alias to declare the written file on.
    :param signalwire_conn_id: The SignalWire connection to use.
    """

    id_field: ClassVar[str]
    noun: ClassVar[str] = "recording"

    def __init__(
        self,
        *,
        destination: Any,
        chunk_size: int = 1024 * 1024,
        progress_interval: float = 10.0,
        asset_alias: str | None = None,
        **kwargs: Any,
    ) -> None:
        if asset_alias is not None:
            if not isinstance(asset_alias, str) or not asset_alias.strip():
                raise SignalWireConfigError(
                    f"{kwargs.get('task_id')}: asset_alias is {shown(asset_alias)}: give the alias name."
                )
            kwargs["outlets"] = [*(kwargs.get("outlets") or []), asset_classes()[1](asset_alias)]
        super().__init__(**kwargs)
        self.destination = destination
        self.chunk_size = chunk_size
        self.progress_interval = progress_interval
        self.asset_alias = asset_alias
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or not 0 < chunk_size <= MAX_CHUNK:
            raise SignalWireConfigError(
                f"{self.task_id}: chunk_size is {shown(chunk_size)}: use a whole number of bytes from 1 to "
                f"{MAX_CHUNK} (64 MiB)."
            )
        if isinstance(progress_interval, bool) or not isinstance(progress_interval, (int, float)):
            raise SignalWireConfigError(
                f"{self.task_id}: progress_interval is {shown(progress_interval)}: give seconds, e.g. 10."
            )
        if destination is None or (isinstance(destination, str) and not destination.strip()):
            raise SignalWireConfigError(
                f"{self.task_id}: destination is {shown(destination)}: give a path, a URL such as "
                "'s3://bucket/recordings/' or an ObjectStoragePath."
            )
        # Literal values are judged now; templated ones once rendered, before any request.
        if is_storage_path(destination):
            check_destination_object(destination, f"{self.task_id}: destination")
        elif isinstance(destination, os.PathLike) or not is_pending(destination):
            download_destination_text(self.task_id, destination)

    def check_literal_id(self, file_id: Any) -> None:
        """At parse time: a literal id that cannot name a file is refused (a subclass calls this)."""
        if isinstance(file_id, str) and file_id.strip() and not is_pending(file_id):
            self.file_name_of(file_id.strip())  # trimmed, as when the task runs

    def file_name_of(self, file_id: str) -> str:
        """``file_id`` when it can name a file (``<id>.<ext>``); refused naming ``id_field`` otherwise."""
        try:
            return recording_file_name(self.task_id, file_id)
        except SignalWireConfigError as err:
            raise SignalWireConfigError(str(err).replace("recording_id", self.id_field, 1)) from None

    def destination_path(self) -> tuple[Any, bool]:
        """The rendered destination (its filesystem loaded) and whether it is a folder; before any
        request."""
        if self.destination is None or (isinstance(self.destination, str) and not self.destination.strip()):
            raise SignalWireConfigError(f"{self.task_id}: destination rendered empty: check its template.")
        return download_destination(self.task_id, self.destination)

    def stream_to(
        self, uri: str, target: Any, expected: int | None, *, space_credentials: bool = False
    ) -> dict[str, Any]:
        """Stream ``uri`` onto ``target`` atomically (``.part`` beside it), checking its size against
        ``expected`` (or the announced length) as it comes; logs and returns ``{"path", "size",
        "sha256", "content_type", "seconds"}``."""
        started = time.monotonic()
        with self.hook.open_download(
            uri, chunk_size=self.chunk_size, space_credentials=space_credentials
        ) as download:
            size, sha256 = store_download(
                download,
                target,
                expected,
                task_id=self.task_id,
                what=f"the {self.noun}",
                report=self.log.info,
                report_every=self.progress_interval,
            )
            content_type = download.content_type
        seconds = time.monotonic() - started
        self.log.info(
            "Downloaded %s to %s: %d bytes in %.1f s (%s), sha256 %s.",
            self.noun,
            target,
            size,
            seconds,
            rate_text(size, seconds),
            sha256,
        )
        return {
            "path": str(target),
            "size": size,
            "sha256": sha256,
            "content_type": content_type,
            "seconds": round(seconds, 3),
        }

    def stream_compat_media(
        self, context: Context, file_path: str, media_sid: str, extra: dict[str, Any]
    ) -> dict[str, Any]:
        """One Compatibility API media file (a message's or a fax's): its metadata (``file_path +
        ".json"``) for the content type, which names the file in a folder (``<media sid>.<extension>``),
        then the file itself (``file_path`` on the space, with the space's credentials, as Media URL
        Protection needs), announced on the alias with ``extra`` and its SHA-256."""
        path, folder = self.destination_path()
        media = self.hook.request("GET", file_path + ".json")
        target = path
        if folder:
            try:
                extension = file_extension(media.get("content_type"))
            except SignalWireConfigError as err:
                raise AirflowFailException(
                    f"{self.task_id}: the content type of media {media_sid} cannot name the file: {err} "
                    "Give destination a file name (not a folder) to download it anyway."
                ) from None
            target = join_under(path, f"{media_sid}.{extension}", self.id_field)
        written = self.stream_to(self.hook.base_url + file_path, target, None, space_credentials=True)
        self.announce(context, written["path"], {**extra, "sha256": written["sha256"]})
        return {**extra, **written}

    def announce(self, context: Context, path: str, extra: dict[str, Any]) -> None:
        """Declare the written file on ``asset_alias`` (if given), with ``extra``."""
        if self.asset_alias:
            asset_cls, alias_cls = asset_classes()
            context["outlet_events"][alias_cls(self.asset_alias)].add(asset_cls(uri=path), extra=extra)
