"""Compatibility API Faxes (``/api/laml/2010-04-01/Accounts/{sid}/Faxes``) and their media.

Send (form body), list (newest first; ``From``, ``To``, ``DateCreatedAfter``, ``DateCreatedOnOrBefore``),
read, cancel a queued fax (``Status=canceled``), delete a fax that is done; list, read and delete a fax's
media. A media file is its URL on the space's own host without ``.json`` (a PDF), public unless the
project protects fax media (``FakeSignalWireSpace.protect_media("faxes")``); the metadata always needs
credentials (the Fax scope).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response

from airflow_provider_signalwire.testing.auth import authenticate
from airflow_provider_signalwire.testing.bodies import form_body
from airflow_provider_signalwire.testing.compat import ACCOUNT, space_of, text_filter
from airflow_provider_signalwire.testing.errors import FakeHTTPError, compat_bad_request
from airflow_provider_signalwire.testing.fax.models import FINAL_STATUSES, QUALITIES, Fax, FaxBackend
from airflow_provider_signalwire.testing.media.models import MediaBackend
from airflow_provider_signalwire.testing.middleware import asked_for_json
from airflow_provider_signalwire.testing.paging import paginate_compat
from airflow_provider_signalwire.testing.util import E164, parse_when

router = APIRouter()
FAX = ("fax",)


def faxes(request: Request, account_sid: str) -> FaxBackend:
    """Authenticate (Fax scope), check the account and return the fax backend."""
    authenticate(request, FAX)
    return space_of(request, account_sid).backend(FaxBackend)


def _refuse(code: int, message: str) -> FakeHTTPError:
    return FakeHTTPError(422, code=code, message=message)


def _number_or_sip(value: Any) -> bool:
    return isinstance(value, str) and (bool(E164.match(value)) or value.startswith("sip:"))


@router.post(ACCOUNT + "/Faxes")
async def send_fax(request: Request, account_sid: str) -> Any:
    """Send a fax: ``To`` (E.164 or SIP URI), ``From`` (E.164), ``MediaUrl`` (http(s) URL of the
    document), optional ``Quality``, ``StoreMedia``, ``Ttl`` (5-300). 422 otherwise."""
    backend = faxes(request, account_sid)
    form = await form_body(request)
    to, from_, media_url = form.get("To"), form.get("From"), form.get("MediaUrl")
    if not to:
        raise _refuse(21604, "A 'To' phone number is required.")
    if not _number_or_sip(to):
        raise _refuse(21211, f"Invalid 'To' Phone Number: {to}")
    if not from_ or not isinstance(from_, str) or not E164.match(from_):
        raise _refuse(21212, f"Invalid 'From' Phone Number: {from_}")
    if not isinstance(media_url, str) or not media_url.startswith(("https://", "http://")):
        raise _refuse(21620, f"Invalid 'MediaUrl': {media_url}")
    if form.get("Quality") and form["Quality"] not in QUALITIES:
        raise _refuse(21623, f"Invalid 'Quality': must be one of {', '.join(QUALITIES)}")
    ttl = form.get("Ttl")
    if ttl is not None and not (str(ttl).isdigit() and 5 <= int(ttl) <= 300):
        raise _refuse(21624, "Invalid 'Ttl': must be between 5 and 300 minutes")
    store = str(form.get("StoreMedia") or "true").lower() != "false"
    return backend.send_fax(form, store_media=store).render()


def _fax_time_filter(request: Request, fax: Fax) -> bool:
    q = request.query_params
    for name in ("DateCreatedAfter", "DateCreatedOnOrBefore"):
        value = q.get(name)
        if not value:
            continue
        try:
            bound, is_date = parse_when(value)
        except ValueError:
            raise compat_bad_request(f"Invalid {name}: not a valid ISO 8601 date") from None
        if name == "DateCreatedAfter" and not fax.created > bound:
            return False
        if name == "DateCreatedOnOrBefore" and not fax.created < bound + timedelta(
            days=1 if is_date else 0, seconds=0 if is_date else 1
        ):
            return False
    return True


@router.get(ACCOUNT + "/Faxes")
async def list_faxes(request: Request, account_sid: str) -> Any:
    """Faxes, newest first; filters ``From``, ``To``, ``DateCreatedAfter`` (strictly after),
    ``DateCreatedOnOrBefore``."""
    backend = faxes(request, account_sid)
    rows = [
        view
        for f in backend.faxes.newest_first()
        if _fax_time_filter(request, f)
        and text_filter(request, view := f.render(), {"To": "to", "From": "from"})
    ]
    return paginate_compat(request, rows, "faxes")


@router.get(ACCOUNT + "/Faxes/{sid}")
async def get_fax(request: Request, account_sid: str, sid: str) -> Any:
    return faxes(request, account_sid).faxes.get_or_404(sid).render()


@router.post(ACCOUNT + "/Faxes/{sid}")
async def update_fax(request: Request, account_sid: str, sid: str) -> Any:
    """Cancel a queued fax: ``Status=canceled`` is the only update (422 for another value, or once the
    fax is past ``queued``)."""
    backend = faxes(request, account_sid)
    fax = backend.faxes.get_or_404(sid)
    form = await form_body(request)
    if form.get("Status") != "canceled":
        raise _refuse(21625, "Invalid 'Status': only 'canceled' is allowed.")
    if not backend.cancel(fax):
        raise _refuse(
            21626, f"Cannot cancel a fax that is {fax.status()}: only a queued fax can be canceled."
        )
    return fax.render()


@router.delete(ACCOUNT + "/Faxes/{sid}")
async def delete_fax(request: Request, account_sid: str, sid: str) -> Any:
    """204, with its media; 409 while the fax is still in progress."""
    backend = faxes(request, account_sid)
    fax = backend.faxes.get_or_404(sid)
    if fax.status() not in FINAL_STATUSES:
        raise FakeHTTPError(409, code=20009, message=f"Cannot delete a fax that is {fax.status()}.")
    with backend.lock:
        for media in backend.fax_media.newest_first(lambda m: m.fax_sid == sid):
            backend.fax_media.pop_or_404(media.id)
        backend.faxes.pop_or_404(sid)
    return Response(status_code=204)


# ----------------------------------------------------------------- fax media
@router.get(ACCOUNT + "/Faxes/{fax_sid}/Media")
async def list_fax_media(request: Request, account_sid: str, fax_sid: str) -> Any:
    """A fax's media (404 for an unknown fax); the list is under ``media`` and its alias ``fax_media``."""
    backend = faxes(request, account_sid)
    backend.faxes.get_or_404(fax_sid)
    rows = [m.render() for m in backend.fax_media.newest_first(lambda m: m.fax_sid == fax_sid)]
    page = paginate_compat(request, rows, "media")
    return {**page, "fax_media": page["media"]}


@router.get(ACCOUNT + "/Faxes/{fax_sid}/Media/{sid}")
async def get_fax_media(request: Request, account_sid: str, fax_sid: str, sid: str) -> Any:
    """``.json``: the metadata (Fax scope); no extension: the PDF itself (credentials only when fax
    media is protected)."""
    if asked_for_json(request):
        backend = faxes(request, account_sid)
    else:
        backend = space_of(request, account_sid).backend(FaxBackend)
        if "faxes" in backend.core.backend(MediaBackend).protected:
            authenticate(request, FAX)
    found = backend.fax_media.get(sid)
    if found is None or found.fax_sid != fax_sid:
        raise FakeHTTPError(404)
    if asked_for_json(request):
        return found.render()
    return Response(found.data, media_type=found.content_type)


@router.delete(ACCOUNT + "/Faxes/{fax_sid}/Media/{sid}")
async def delete_fax_media(request: Request, account_sid: str, fax_sid: str, sid: str) -> Any:
    """204; 409 while the fax is still in progress."""
    backend = faxes(request, account_sid)
    found = backend.fax_media.get(sid)
    if found is None or found.fax_sid != fax_sid:
        raise FakeHTTPError(404)
    fax = backend.faxes.get(fax_sid)
    if fax is not None and fax.status() not in FINAL_STATUSES:
        raise FakeHTTPError(409, code=20009, message="Cannot delete media of a fax in progress.")
    with backend.lock:
        backend.fax_media.pop_or_404(sid)
        if fax is not None and fax.media_sid == sid:  # the fax keeps its record, no longer its document
            fax.media_sid = None
            if fax.direction == "inbound":
                fax.media_url = None
    return Response(status_code=204)
