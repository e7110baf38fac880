"""Datasphere REST routes (``/api/datasphere/documents...``): documents, their chunks, search."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from airflow_provider_signalwire.testing.auth import authenticate
from airflow_provider_signalwire.testing.bodies import Field, json_body, validate
from airflow_provider_signalwire.testing.core import core_of
from airflow_provider_signalwire.testing.datasphere.models import (
    MAX_DISTANCE,
    STRATEGIES,
    DatasphereBackend,
    fetch_text,
)
from airflow_provider_signalwire.testing.errors import FakeHTTPError, unprocessable
from airflow_provider_signalwire.testing.paging import paginate

router = APIRouter()
DATASPHERE = ("datasphere",)
DOCUMENTS = "/api/datasphere/documents"

# Datasphere.DocumentCreateRequest is a oneOf on chunking_strategy, each member closed
# (unevaluatedProperties: not {}): a field of another strategy is refused.
_BASE = {"url": Field("str", 2048), "tags": Field("list"), "chunking_strategy": Field("str", enum=STRATEGIES)}
CREATE_FIELDS: dict[str, dict[str, Field]] = {
    "sentence": {
        **_BASE,
        "max_sentences_per_chunk": Field("int", minimum=1),
        "split_newlines": Field("bool"),
    },
    "sliding": {**_BASE, "chunk_size": Field("int", minimum=1), "overlap_size": Field("int", minimum=0)},
    "page": _BASE,
    "paragraph": _BASE,
}
SEARCH_FIELDS: dict[str, Field] = {
    "query_string": Field("str"),
    "tags": Field("list"),
    "document_id": Field("str"),
    "count": Field("int", minimum=1),
    "language": Field("str"),
    "pos_to_expand": Field("list"),
    "max_synonyms": Field("int", minimum=1),
}


def datasphere(request: Request) -> DatasphereBackend:
    """Authenticate (DataSphere scope) and return the space's datasphere backend."""
    authenticate(request, DATASPHERE)
    return core_of(request).backend(DatasphereBackend)


def _tags(body: dict[str, Any]) -> None:
    tags = body.get("tags")
    if tags is not None and not all(isinstance(t, str) and t for t in tags):
        raise unprocessable("tags", "tags must be a list of non-empty strings")


def _uuid_or_404(value: str) -> str:
    try:
        uuid.UUID(value)
    except ValueError:
        raise FakeHTTPError(404) from None
    return value


# --------------------------------------------------------------- documents
@router.post(DOCUMENTS)
async def create_document(request: Request) -> Any:
    """Create a document: fetch its ``url`` (loopback hosts only) and chunk it; 201 either way, with
    ``status`` ``completed`` or ``failed``."""
    backend = datasphere(request)
    body = await json_body(request)
    strategy = body.get("chunking_strategy")
    if strategy not in STRATEGIES:
        raise unprocessable("chunking_strategy", f"chunking_strategy must be one of {', '.join(STRATEGIES)}")
    validate(body, CREATE_FIELDS[strategy], ("url",))
    _tags(body)
    if not body["url"].startswith(("http://", "https://")):
        raise unprocessable("url", "url must be an http(s) URL")
    if strategy == "sliding" and body.get("overlap_size", 10) >= body.get("chunk_size", 50):
        raise unprocessable("overlap_size", "overlap_size must be smaller than chunk_size")
    text = await asyncio.to_thread(fetch_text, body["url"])
    return JSONResponse(backend.create_document(body, text).render(), status_code=201)


@router.get(DOCUMENTS)
async def list_documents(request: Request) -> Any:
    """Documents, newest first."""
    return paginate(request, [d.render() for d in datasphere(request).documents.newest_first()])


@router.post(DOCUMENTS + "/search")
async def search_documents(request: Request) -> Any:
    """Chunks closest to ``query_string`` (a lexical score: see :mod:`.models`)."""
    backend = datasphere(request)
    body = await json_body(request)
    distance = body.pop("distance", None)
    validate(body, SEARCH_FIELDS, ("query_string",))
    _tags(body)
    if distance is not None and (
        isinstance(distance, bool)
        or not isinstance(distance, (int, float))
        or not 0 <= distance <= MAX_DISTANCE
    ):
        raise unprocessable("distance", f"distance must be a number from 0 to {MAX_DISTANCE}")
    document_id = body.get("document_id")
    if document_id is not None:
        try:
            uuid.UUID(document_id)
        except ValueError:
            raise unprocessable("document_id", "document_id must be a UUID") from None
    chunks = backend.search(
        body["query_string"],
        tags=body.get("tags"),
        document_id=document_id,
        max_distance=distance,
        count=body.get("count", 5),
    )
    return {"chunks": chunks}


@router.get(DOCUMENTS + "/{document_id}")
async def get_document(request: Request, document_id: str) -> Any:
    backend = datasphere(request)
    return backend.documents.get_or_404(_uuid_or_404(document_id)).render()


@router.patch(DOCUMENTS + "/{document_id}")
async def update_document(request: Request, document_id: str) -> Any:
    """Replace a document's tags (the only field the spec lets change)."""
    backend = datasphere(request)
    doc = backend.documents.get_or_404(_uuid_or_404(document_id))
    body = await json_body(request)
    validate(body, {"tags": Field("list")}, ("tags",))
    _tags(body)
    backend.update_tags(doc, body["tags"])
    return doc.render()


@router.delete(DOCUMENTS + "/{document_id}")
async def delete_document(request: Request, document_id: str) -> Any:
    datasphere(request).delete_document(_uuid_or_404(document_id))
    return Response(status_code=204)


# ------------------------------------------------------------------ chunks
@router.get(DOCUMENTS + "/{document_id}/chunks")
async def list_chunks(request: Request, document_id: str) -> Any:
    """A document's chunks, in document order."""
    backend = datasphere(request)
    backend.documents.get_or_404(_uuid_or_404(document_id))
    return paginate(request, [c.render() for c in backend.chunks_of(document_id)])


@router.get(DOCUMENTS + "/{document_id}/chunks/{chunk_id}")
async def get_chunk(request: Request, document_id: str, chunk_id: str) -> Any:
    backend = datasphere(request)
    backend.documents.get_or_404(_uuid_or_404(document_id))
    chunk = backend.chunks.get_or_404(_uuid_or_404(chunk_id))
    if chunk.document_id != document_id:
        raise FakeHTTPError(404)
    return chunk.render()


@router.delete(DOCUMENTS + "/{document_id}/chunks/{chunk_id}")
async def delete_chunk(request: Request, document_id: str, chunk_id: str) -> Any:
    datasphere(request).delete_chunk(_uuid_or_404(document_id), _uuid_or_404(chunk_id))
    return Response(status_code=204)
