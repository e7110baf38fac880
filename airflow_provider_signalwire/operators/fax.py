"""Operators for SignalWire Fax (Compatibility API Faxes): send a fax, list, read and delete faxes, and
list, download and delete a fax's media (the PDF SignalWire stores for it).

Numbers are checked (E.164, or a ``sip:`` address for ``to``) before anything is sent, and a fax POST is
never repeated after an answer that leaves it unknown whether SignalWire took it, as for messages. Wait
for a sent fax with :class:`~airflow_provider_signalwire.sensors.fax.FaxStatusSensor`. See docs/faxes.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_signalwire.exceptions import (
    SignalWireAPIError,
    SignalWireConfigError,
    SignalWireSendError,
)
from airflow_provider_signalwire.lazy import LazyPattern
from airflow_provider_signalwire.operators._arguments import check_choice, is_pending, resource_id, segment
from airflow_provider_signalwire.operators._compatibility import (
    call_address,
    check_literal,
    compat_path,
    e164,
    first_try,
    run_started,
)
from airflow_provider_signalwire.operators._download import SignalWireDownloadOperator
from airflow_provider_signalwire.operators._window import data_interval
from airflow_provider_signalwire.operators.base import (
    SignalWireBaseOperator,
    SignalWireDeleteOperator,
    SignalWireListOperator,
)
from airflow_provider_signalwire.times import parse_timestamp, user_time

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

__all__ = [
    "DeleteFaxMediaOperator",
    "DeleteFaxOperator",
    "DownloadFaxMediaOperator",
    "GetFaxOperator",
    "ListFaxMediaOperator",
    "ListFaxesOperator",
    "SendFaxOperator",
]

QUALITIES = ("standard", "fine", "superfine")
URL = LazyPattern(r"^https?://[^\s/]+")


def fax_path(project_id: str, fax_sid: str | None = None) -> str:
    """``.../Faxes[/{fax_sid}]``; the id is quoted."""
    return compat_path(project_id, "Faxes", fax_sid)


def fax_media_path(project_id: str, fax_sid: str, media_sid: str | None = None) -> str:
    """``.../Faxes/{fax_sid}/Media[/{media_sid}]``; ids are quoted."""
    path = fax_path(project_id, fax_sid) + "/Media"
    return f"{path}/{segment(media_sid)}" if media_sid is not None else path


def document_url(value: Any, name: str = "media_url") -> str:
    """The document to fax: one http(s) URL SignalWire can fetch."""
    text = value.strip() if isinstance(value, str) else ""
    if not URL.match(text):
        raise SignalWireConfigError(
            f"{name} is {value!r}: give the http(s) URL of the document to fax (PDF, or TIFF), which "
            "SignalWire fetches."
        )
    return text


def find_sent_fax(
    hook: SignalWireHook, to: str, from_: str, media_url: str, since: datetime
) -> dict[str, Any] | None:
    """The newest outbound fax to ``to`` from ``from_`` of this document created at or after ``since``."""
    params = {"To": to, "From": from_, "DateCreatedAfter": (since - timedelta(seconds=1)).isoformat()}
    for fax in hook.paginate(fax_path(hook.settings.project_id), params=params, page_size=50):
        created = parse_timestamp(fax.get("date_created"))
        if created is not None and created < since:
            break
        if fax.get("direction") == "outbound" and fax.get("media_url") == media_url:
            return fax
    return None


class SendFaxOperator(SignalWireBaseOperator):
    """
    Send a fax (``POST .../Faxes``, Compatibility API): SignalWire fetches the document at ``media_url``
    and faxes it to ``to``.

    Numbers are checked before anything is sent (``from_`` E.164, ``to`` E.164 or a ``sip:`` address),
    literal ones when the DAG is parsed. The POST is never repeated after an answer that leaves its
    outcome unknown (HTTP 500, a read timeout, a connection dropped after sending): the task fails with
    :class:`~airflow_provider_signalwire.exceptions.SignalWireSendError` saying the fax may have been
    sent. An Airflow retry sends it again unless ``deduplicate=True``: then a retry (try 2 or later)
    first looks for an outbound fax of the same document to the same number from the same number
    created since the DAG run started, and returns it instead of sending another. Wait for delivery
    with :class:`~airflow_provider_signalwire.sensors.fax.FaxStatusSensor`.

    :param to: The number to fax, E.164, or a ``sip:`` address (templated).
    :param from_: The sending number, E.164, one of the space's (templated).
    :param media_url: The http(s) URL of the document to send (templated).
    :param quality: ``"standard"``, ``"fine"`` (SignalWire's default) or ``"superfine"`` (templated).
    :param status_callback: A URL SignalWire calls when the fax's status changes (templated).
    :param deduplicate: On a task retry, return a fax of this document to ``to`` from ``from_`` created
        since the DAG run started instead of sending again.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: ``{"sid", "status", "to", "from", "media_url", "deduplicated"}``.
    :raises SignalWireConfigError: before sending, for a bad number, URL or quality.
    :raises SignalWireSendError: when the fax could not be sent, or may have been.
    """

    required_permissions = ("fax",)

    template_fields: Sequence[str] = ("to", "from_", "media_url", "quality", "status_callback")

    def __init__(
        self,
        *,
        to: str,
        from_: str,
        media_url: str,
        quality: str | None = None,
        status_callback: str | None = None,
        deduplicate: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_literal(to, call_address, f"{self.task_id}: to")
        check_literal(from_, e164, f"{self.task_id}: from_")
        check_literal(media_url, document_url, f"{self.task_id}: media_url")
        if quality is not None and not is_pending(quality):
            check_choice(self.task_id, "quality", quality, QUALITIES)
        if status_callback and not is_pending(status_callback):
            document_url(status_callback, f"{self.task_id}: status_callback")
        self.to = to
        self.from_ = from_
        self.media_url = media_url
        self.quality = quality
        self.status_callback = status_callback
        self.deduplicate = bool(deduplicate)

    def execute(self, context: Context) -> dict[str, Any]:
        to = call_address(self.to, "to")
        sender = e164(self.from_, "from_")
        media_url = document_url(self.media_url)
        form: dict[str, Any] = {"To": to, "From": sender, "MediaUrl": media_url}
        if self.quality:
            check_choice(self.task_id, "quality", self.quality, QUALITIES)
            form["Quality"] = self.quality
        if self.status_callback:
            form["StatusCallback"] = document_url(self.status_callback, "status_callback")
        if self.deduplicate and not first_try(context):
            found = find_sent_fax(self.hook, to, sender, media_url, run_started(context))
            if found is not None:
                self.log.info(
                    "%s: fax %s to %s (%s) already created in this DAG run; not sending again.",
                    self.task_id,
                    found.get("sid"),
                    to,
                    found.get("status"),
                )
                return _result(found, deduplicated=True)
        try:
            fax = self.hook.request("POST", fax_path(self.hook.settings.project_id), data=form)
        except SignalWireAPIError as err:
            if err.may_have_acted:
                raise SignalWireSendError(
                    f"{self.task_id}: the fax to {to} may have been sent: SignalWire's answer left that "
                    f"unknown ({err}). It was not sent again; look for it with ListFaxesOperator "
                    f"(to={to}) before sending it again, or set deduplicate=True so a retry looks for you.",
                    {},
                    [],
                    [to],
                ) from err
            raise SignalWireSendError(
                f"{self.task_id}: the fax to {to} was not sent: {err}", {}, [to], []
            ) from err
        self.log.info("Fax %s to %s: %s.", fax.get("sid"), to, fax.get("status"))
        return _result(fax, deduplicated=False)


def _result(fax: dict[str, Any], *, deduplicated: bool) -> dict[str, Any]:
    return {
        "sid": fax.get("sid"),
        "status": fax.get("status"),
        "to": fax.get("to"),
        "from": fax.get("from"),
        "media_url": fax.get("media_url"),
        "deduplicated": deduplicated,
    }


class ListFaxesOperator(SignalWireListOperator):
    """
    List faxes, sent and received (``GET .../Faxes``, Compatibility API), newest first, every page.

    Without ``date_created_after`` and ``date_created_on_or_before``, a run with a data interval lists
    the faxes created within it ([start, end)); a run without one lists all, up to ``max_items``.

    :param to: Only faxes to this number (templated).
    :param from_: Only faxes from this number (templated).
    :param date_created_after: Only faxes created after this moment (a datetime or ISO 8601 text;
        ``DateCreatedAfter``; templated).
    :param date_created_on_or_before: Only faxes created on or before this moment
        (``DateCreatedOnOrBefore``; templated).
    :param page_size: Faxes per page, 1 to 1000.
    :param max_items: Stop after this many faxes.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: A list of fax dicts (``sid``, ``direction``, ``status``, ``num_pages``, ``media_url`` ...).
    """

    required_permissions = ("fax",)

    template_fields: Sequence[str] = ("to", "from_", "date_created_after", "date_created_on_or_before")
    list_noun = "faxes"

    def __init__(
        self,
        *,
        to: str | None = None,
        from_: str | None = None,
        date_created_after: str | datetime | None = None,
        date_created_on_or_before: str | datetime | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.to = to
        self.from_ = from_
        self.date_created_after = date_created_after
        self.date_created_on_or_before = date_created_on_or_before

    def execute(self, context: Context) -> list[dict[str, Any]]:
        params: dict[str, Any] = {
            "To": call_address(self.to, "to") if self.to else None,
            "From": e164(self.from_, "from_") if self.from_ else None,
        }
        after = user_time(self.date_created_after or None, "date_created_after")
        until = user_time(self.date_created_on_or_before or None, "date_created_on_or_before")
        window = data_interval(context) if after is None and until is None else None
        if window is not None:
            # [start, end): SignalWire's bounds are (after, on or before], so ask a second wider, then cut.
            after, until = window[0] - timedelta(seconds=1), window[1]
        params["DateCreatedAfter"] = after.isoformat() if after else None
        params["DateCreatedOnOrBefore"] = until.isoformat() if until else None
        faxes = self.list_all(fax_path(self.hook.settings.project_id), {k: v for k, v in params.items() if v})
        if window is not None:
            start, end = window
            faxes = [f for f in faxes if start <= (parse_timestamp(f.get("date_created")) or start) < end]
        self.log.info("%d faxes.", len(faxes))
        return faxes


class GetFaxOperator(SignalWireBaseOperator):
    """
    Read one fax (``GET .../Faxes/{sid}``, Compatibility API).

    :param fax_sid: The fax's SID (templated).
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: The fax dict (``sid``, ``status``, ``num_pages``, ``media_url``, ``error_code`` ...).
    """

    required_permissions = ("fax",)

    template_fields: Sequence[str] = ("fax_sid",)

    def __init__(self, *, fax_sid: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fax_sid = fax_sid

    def execute(self, context: Context) -> dict[str, Any]:
        sid = resource_id(self.task_id, "fax_sid", self.fax_sid)
        fax = self.hook.request("GET", fax_path(self.hook.settings.project_id, sid))
        self.log.info("Fax %s is %s (%s pages).", sid, fax.get("status"), fax.get("num_pages"))
        return fax


class DeleteFaxOperator(SignalWireDeleteOperator):
    """
    Delete a fax and its stored media (``DELETE .../Faxes/{sid}``). SignalWire refuses (HTTP 409) while
    the fax is still in progress.

    :param fax_sid: The fax's SID (templated).
    :param missing_ok: A fax that is already gone is success (default), so reruns succeed.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: ``{"id": ..., "deleted": True}``, or ``"deleted": False`` when it was gone.
    """

    required_permissions = ("fax",)

    template_fields: Sequence[str] = ("fax_sid",)
    id_field = "fax_sid"
    noun = "fax"

    def __init__(self, *, fax_sid: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fax_sid = fax_sid

    def delete_path(self, resource_id: str) -> str:
        return fax_path(self.hook.settings.project_id, resource_id)


class ListFaxMediaOperator(SignalWireListOperator):
    """
    List a fax's media (``GET .../Faxes/{sid}/Media``, Compatibility API), every page.

    :param fax_sid: The fax's SID (templated).
    :param page_size: Media per page, 1 to 1000.
    :param max_items: Stop after this many.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: A list of media dicts (``sid``, ``fax_sid``, ``content_type``, ``url`` ...).
    """

    required_permissions = ("fax",)

    template_fields: Sequence[str] = ("fax_sid",)
    list_noun = "fax media"

    def __init__(self, *, fax_sid: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fax_sid = fax_sid

    def list_request(self, context: Context) -> tuple[str, dict[str, Any] | None]:
        sid = resource_id(self.task_id, "fax_sid", self.fax_sid)
        return fax_media_path(self.hook.settings.project_id, sid), None


class DownloadFaxMediaOperator(SignalWireDownloadOperator):
    """
    Download a fax's document (the PDF SignalWire stored for it, sent or received) to a local path or
    any Airflow ``ObjectStoragePath`` (``file://``, ``s3://`` ...).

    Without ``media_sid`` it reads the fax first (``GET .../Faxes/{sid}``) for its ``media_sid``. It then
    reads the media (``.../Media/{media sid}.json``) for its content type and streams the file (the same
    URL without ``.json``, on the space) into a temporary name beside the destination, renamed over it
    once complete: atomic, its size checked against the announced length as it arrives, its SHA-256
    computed on the way. The request carries the connection's credentials (needed when the project
    protects its media URLs) and goes to the configured space only.

    :param fax_sid: The fax's SID (templated). Map it over :class:`ListFaxesOperator`'s result with
        ``.partial(...).expand(fax_sid=...)``.
    :param media_sid: The media's SID (templated); default: the fax's own ``media_sid``.
    :param destination: Where to write (templated): an absolute file path or URL, or a folder ending in
        ``/`` (the file is then named ``<media sid>.pdf``, after its content type), or an
        ``ObjectStoragePath``.
    :param chunk_size: Bytes read at a time (default 1 MiB, at most 64 MiB).
    :param progress_interval: Seconds between progress log lines; default 10.
    :param asset_alias: Name of an asset alias to declare the written file on, with ``extra``
        ``{"fax_sid", "media_sid", "sha256"}``.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: ``{"fax_sid", "media_sid", "path", "size", "sha256", "content_type", "seconds"}``.
    :raises SignalWireConfigError: before any request, for a SID that cannot be a file name or a
        destination that cannot be written.
    :raises AirflowFailException: when the fax has no stored media, or its content type cannot name a
        file (in a folder).
    :raises AirflowException: when the file is shorter or longer than announced (retryable).
    """

    required_permissions = ("fax",)

    template_fields: Sequence[str] = ("fax_sid", "media_sid", "destination")
    id_field = "media_sid"
    noun = "fax media"

    def __init__(
        self, *, fax_sid: str, destination: Any, media_sid: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(destination=destination, **kwargs)
        self.fax_sid = fax_sid
        self.media_sid = media_sid
        if media_sid is not None:
            self.check_literal_id(media_sid)

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow.providers.common.compat.sdk import AirflowFailException

        fax_sid = resource_id(self.task_id, "fax_sid", self.fax_sid)
        self.destination_path()  # refused before any request
        project = self.hook.settings.project_id
        if self.media_sid:
            media_sid = resource_id(self.task_id, "media_sid", self.media_sid)
        else:
            fax = self.hook.request("GET", fax_path(project, fax_sid))
            media_sid = str(fax.get("media_sid") or "").strip()
            if not media_sid:
                raise AirflowFailException(
                    f"{self.task_id}: fax {fax_sid} ({fax.get('status')}) has no stored media: nothing was "
                    "written. A fax sent with StoreMedia=false, or still in progress, has none."
                )
        media_sid = self.file_name_of(media_sid)
        return self.stream_compat_media(
            context,
            fax_media_path(project, fax_sid, media_sid),
            media_sid,
            {"fax_sid": fax_sid, "media_sid": media_sid},
        )


class DeleteFaxMediaOperator(SignalWireDeleteOperator):
    """
    Delete a fax's stored media (``DELETE .../Faxes/{sid}/Media/{media sid}``), keeping the fax's
    record. SignalWire refuses (HTTP 409) while the fax is in progress.

    :param fax_sid: The fax's SID (templated).
    :param media_sid: The media's SID (templated).
    :param missing_ok: Media that is already gone is success (default), so reruns succeed.
    :param signalwire_conn_id: The SignalWire connection to use.
    :return: ``{"id": ..., "deleted": True}``, or ``"deleted": False`` when it was gone.
    """

    required_permissions = ("fax",)

    template_fields: Sequence[str] = ("fax_sid", "media_sid")
    id_field = "media_sid"
    noun = "fax media"

    def __init__(self, *, fax_sid: str, media_sid: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fax_sid = fax_sid
        self.media_sid = media_sid

    def delete_path(self, resource_id_: str) -> str:
        fax_sid = resource_id(self.task_id, "fax_sid", self.fax_sid)
        return fax_media_path(self.hook.settings.project_id, fax_sid, resource_id_)
