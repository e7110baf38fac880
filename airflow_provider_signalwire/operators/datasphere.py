"""Operators for SignalWire Datasphere, the documents SignalWire's AI agents search: list, create,
update (tags), delete documents, and search their chunks.

Every argument is checked when the DAG is parsed and again, rendered, before any request: a bad value
fails naming the field and the fix, and nothing is sent. Paths and fields are those of the datasphere
section of SignalWire's OpenAPI spec. :class:`~airflow_provider_signalwire.transfers.datasphere.
SyncToDatasphereOperator` keeps documents in step with a folder of object storage.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.operators._arguments import is_pending, shown
from airflow_provider_signalwire.operators._arguments import resource_id as _resource_id
from airflow_provider_signalwire.operators._arguments import segment as _segment
from airflow_provider_signalwire.operators._video_schema import Spec, check_field
from airflow_provider_signalwire.operators.base import (
    SignalWireBaseOperator,
    SignalWireDeleteOperator,
    SignalWireListOperator,
)

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

__all__ = [
    "CHUNKING_STRATEGIES",
    "CreateDatasphereDocumentOperator",
    "DeleteDatasphereDocumentOperator",
    "ListDatasphereDocumentsOperator",
    "SearchDatasphereOperator",
    "UpdateDatasphereDocumentOperator",
]

DOCUMENTS = "/api/datasphere/documents"
_INT_MAX = 2**31 - 1
# Datasphere.DocumentCreateRequest: a oneOf on chunking_strategy whose members are closed, so each
# setting belongs to one strategy (sentence: max_sentences_per_chunk, split_newlines; sliding:
# chunk_size, overlap_size; page and paragraph: none).
CHUNKING_STRATEGIES: dict[str, dict[str, Spec]] = {
    "sentence": {
        "max_sentences_per_chunk": Spec("int", minimum=1, maximum=_INT_MAX),
        "split_newlines": Spec("bool"),
    },
    "sliding": {
        "chunk_size": Spec("int", minimum=1, maximum=_INT_MAX),
        "overlap_size": Spec("int", minimum=0, maximum=_INT_MAX),
    },
    "page": {},
    "paragraph": {},
}
CHUNKING_SETTINGS = ("max_sentences_per_chunk", "split_newlines", "chunk_size", "overlap_size")
# Datasphere.DocumentSearchRequest.distance's maximum.
MAX_DISTANCE = 78.3836717690617
_SPEC_DEFAULTS = {"chunk_size": 50, "overlap_size": 10}


def chunking_fields(
    task_id: str, strategy: Any, settings: Mapping[str, Any], *, rendered: bool
) -> dict[str, Any]:
    """The body's ``chunking_strategy`` and its settings (``None`` ones left out), checked against the
    spec's ``oneOf``: a known strategy, only that strategy's settings, each of its type. Before
    rendering, templated values pass unchecked."""
    if not rendered and is_pending(strategy):
        return {"chunking_strategy": strategy, **{k: v for k, v in settings.items() if v is not None}}
    if strategy not in CHUNKING_STRATEGIES:
        raise SignalWireConfigError(
            f"{task_id}: chunking_strategy is {shown(strategy)}: use one of "
            f"{', '.join(map(repr, CHUNKING_STRATEGIES))}."
        )
    specs = CHUNKING_STRATEGIES[strategy]
    out: dict[str, Any] = {"chunking_strategy": strategy}
    for name, value in settings.items():
        if value is None:
            continue
        if name not in specs:
            owner = next(s for s, names in CHUNKING_STRATEGIES.items() if name in names)
            raise SignalWireConfigError(
                f"{task_id}: {name} applies to chunking_strategy={owner!r} only, and chunking_strategy is "
                f"{strategy!r}: remove {name} or change the strategy."
            )
        out[name] = (
            value if not rendered and is_pending(value) else check_field(task_id, name, value, specs[name])
        )
    if strategy == "sliding":
        size = out.get("chunk_size", _SPEC_DEFAULTS["chunk_size"])
        overlap = out.get("overlap_size", _SPEC_DEFAULTS["overlap_size"])
        if not is_pending(size) and not is_pending(overlap) and overlap >= size:
            raise SignalWireConfigError(
                f"{task_id}: overlap_size is {overlap} and chunk_size {size}: the overlap must be smaller "
                "than the chunk (SignalWire's defaults: chunk_size 50, overlap_size 10)."
            )
    return out


def check_tags(task_id: str, tags: Any, name: str = "tags", *, rendered: bool) -> list[str] | Any:
    """A list of non-empty strings (a single string is refused: it is almost always a missing list)."""
    if tags is None or (not rendered and is_pending(tags)):
        return tags
    if (
        isinstance(tags, str)
        or not isinstance(tags, (list, tuple))
        or not all(isinstance(t, str) and t.strip() for t in tags)
    ):
        raise SignalWireConfigError(
            f"{task_id}: {name} is {shown(tags)}: give a list of non-empty strings, e.g. ['support', 'faq']."
        )
    return list(tags)


def check_document_url(task_id: str, url: Any, *, rendered: bool) -> Any:
    """An ``http(s)`` URL with a host: Datasphere fetches the document from it."""
    if not rendered and is_pending(url):
        return url
    text = url.strip() if isinstance(url, str) else ""
    try:
        parts = urlsplit(text)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        raise SignalWireConfigError(
            f"{task_id}: url is {shown(url)}: give an http(s) URL that SignalWire can fetch the document "
            "from, e.g. a presigned object-storage URL."
        )
    return text


def _document_id(task_id: str, value: Any, name: str = "document_id") -> str:
    text = _resource_id(task_id, name, value)
    try:
        uuid.UUID(text)
    except ValueError:
        raise SignalWireConfigError(
            f"{task_id}: {name} is {shown(value)}: give the document's UUID."
        ) from None
    return text


class ListDatasphereDocumentsOperator(SignalWireListOperator):
    """
    List the space's Datasphere documents, newest first (``GET /api/datasphere/documents``), following
    every page.

    :param tags: Only documents carrying every one of these tags (templated; filtered here: the API
        has no tag filter on this list).
    :param page_size: Documents per page, 1 to 1000.
    :param max_items: Stop after this many documents (counted before the tag filter).
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: A list of document dicts (``id``, ``filename``, ``status``, ``tags``, ``chunking_strategy``,
        ``number_of_chunks`` ...).
    """

    required_permissions = ("datasphere",)

    template_fields: Sequence[str] = ("tags", "signalwire_conn_id")
    list_noun = "Datasphere documents"

    def __init__(self, *, tags: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tags = check_tags(self.task_id, tags, rendered=False)

    def list_request(self, context: Context) -> tuple[str, dict[str, Any] | None]:
        return DOCUMENTS, None

    def list_all(self, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        tags = check_tags(self.task_id, self.tags, rendered=True)
        documents = super().list_all(path, params)
        if not tags:
            return documents
        return [d for d in documents if set(tags) <= set(d.get("tags") or ())]


class CreateDatasphereDocumentOperator(SignalWireBaseOperator):
    """
    Create a Datasphere document from a URL (``POST /api/datasphere/documents``); SignalWire fetches and
    chunks it in the background (``status`` ``submitted``, then ``completed`` or ``failed``).

    The chunking strategy and its settings are checked against the spec before any request: a setting
    of another strategy (``chunk_size`` with ``sentence``) is refused. A rerun creates another document:
    for a knowledge base that reruns keep in step, use ``SyncToDatasphereOperator``.

    :param url: The document's http(s) URL, which SignalWire fetches (templated); e.g. a presigned URL.
    :param chunking_strategy: ``sentence`` (default), ``sliding``, ``paragraph`` or ``page`` (templated).
    :param max_sentences_per_chunk: ``sentence`` only: at most this many sentences a chunk (templated;
        SignalWire's default 50).
    :param split_newlines: ``sentence`` only: a line break also ends a chunk (templated; default false).
    :param chunk_size: ``sliding`` only: words a chunk (templated; default 50).
    :param overlap_size: ``sliding`` only: words shared by consecutive chunks, less than ``chunk_size``
        (templated; default 10).
    :param tags: Tags of the document, a list of strings (templated).
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: The document dict, as SignalWire returns it.
    """

    required_permissions = ("datasphere",)

    template_fields: Sequence[str] = (
        "url",
        "chunking_strategy",
        *CHUNKING_SETTINGS,
        "tags",
        "signalwire_conn_id",
    )

    def __init__(
        self,
        *,
        url: str,
        chunking_strategy: str = "sentence",
        max_sentences_per_chunk: int | None = None,
        split_newlines: bool | None = None,
        chunk_size: int | None = None,
        overlap_size: int | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.url = url
        self.chunking_strategy = chunking_strategy
        self.max_sentences_per_chunk = max_sentences_per_chunk
        self.split_newlines = split_newlines
        self.chunk_size = chunk_size
        self.overlap_size = overlap_size
        self.tags = tags
        self._body(rendered=False)

    def _body(self, *, rendered: bool) -> dict[str, Any]:
        settings = {name: getattr(self, name) for name in CHUNKING_SETTINGS}
        body = {
            "url": check_document_url(self.task_id, self.url, rendered=rendered),
            **chunking_fields(self.task_id, self.chunking_strategy, settings, rendered=rendered),
        }
        tags = check_tags(self.task_id, self.tags, rendered=rendered)
        if tags is not None:
            body["tags"] = tags
        return body

    def execute(self, context: Context) -> dict[str, Any]:
        document = self.hook.request("POST", DOCUMENTS, json=self._body(rendered=True))
        self.log.info(
            "Created Datasphere document %s (%s), status %s.",
            document.get("id"),
            document.get("filename"),
            document.get("status"),
        )
        return document


class UpdateDatasphereDocumentOperator(SignalWireBaseOperator):
    """
    Replace a Datasphere document's tags (``PATCH /api/datasphere/documents/{id}``), the one field the
    API lets change. Setting the same tags again is harmless, so reruns succeed.

    :param document_id: The document's id (templated).
    :param tags: The document's new tags, a list of strings (templated; ``[]`` removes them all).
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: The updated document dict.
    """

    required_permissions = ("datasphere",)

    template_fields: Sequence[str] = ("document_id", "tags", "signalwire_conn_id")

    def __init__(self, *, document_id: str, tags: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.document_id = document_id
        self.tags = tags
        if tags is None:
            raise SignalWireConfigError(f"{self.task_id}: tags is None: give the new tags ([] removes them).")
        check_tags(self.task_id, tags, rendered=False)

    def execute(self, context: Context) -> dict[str, Any]:
        document_id = _document_id(self.task_id, self.document_id)
        tags = check_tags(self.task_id, self.tags, rendered=True)
        document = self.hook.request("PATCH", f"{DOCUMENTS}/{_segment(document_id)}", json={"tags": tags})
        self.log.info("Datasphere document %s now has tags %s.", document_id, document.get("tags"))
        return document


class DeleteDatasphereDocumentOperator(SignalWireDeleteOperator):
    """
    Delete a Datasphere document and its chunks (``DELETE /api/datasphere/documents/{id}``).

    :param document_id: The document's id (templated).
    :param missing_ok: A document that is already gone is success (default), so reruns succeed.
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: ``{"id": ..., "deleted": True}``, or ``"deleted": False`` when it was gone.
    """

    required_permissions = ("datasphere",)

    template_fields: Sequence[str] = ("document_id", "signalwire_conn_id")
    id_field = "document_id"
    noun = "Datasphere document"

    def __init__(self, *, document_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.document_id = document_id

    def delete_path(self, resource_id: str) -> str:
        return f"{DOCUMENTS}/{_segment(_document_id(self.task_id, resource_id))}"


class SearchDatasphereOperator(SignalWireBaseOperator):
    """
    Search the Datasphere documents' chunks (``POST /api/datasphere/documents/search``).

    :param query_string: What to search for (templated).
    :param tags: Only documents with these tags (templated).
    :param document_id: Only this document (templated).
    :param distance: Only chunks at most this far from the query, 0 to 78.38 (templated; lower is
        closer).
    :param count: At most this many chunks (templated; SignalWire's default 5).
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: The list of chunks (``text``, ``document_id``), closest first.
    """

    required_permissions = ("datasphere",)

    template_fields: Sequence[str] = (
        "query_string",
        "tags",
        "document_id",
        "distance",
        "count",
        "signalwire_conn_id",
    )

    def __init__(
        self,
        *,
        query_string: str,
        tags: list[str] | None = None,
        document_id: str | None = None,
        distance: float | None = None,
        count: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.query_string = query_string
        self.tags = tags
        self.document_id = document_id
        self.distance = distance
        self.count = count
        self._body(rendered=False)

    def _body(self, *, rendered: bool) -> dict[str, Any]:
        task = self.task_id
        query = self.query_string
        if (rendered or not is_pending(query)) and (not isinstance(query, str) or not query.strip()):
            raise SignalWireConfigError(
                f"{task}: query_string is {shown(query)}: give the text to search for."
            )
        body: dict[str, Any] = {"query_string": query}
        tags = check_tags(task, self.tags, rendered=rendered)
        if tags is not None:
            body["tags"] = tags
        if self.document_id is not None:
            pending = not rendered and is_pending(self.document_id)
            body["document_id"] = self.document_id if pending else _document_id(task, self.document_id)
        if self.count is not None:
            count = self.count
            pending = not rendered and is_pending(count)
            body["count"] = (
                count
                if pending
                else check_field(task, "count", count, Spec("int", minimum=1, maximum=_INT_MAX))
            )
        if self.distance is not None:
            body["distance"] = (
                self.distance
                if not rendered and is_pending(self.distance)
                else _distance(task, self.distance)
            )
        return body

    def execute(self, context: Context) -> list[dict[str, Any]]:
        answer = self.hook.request("POST", f"{DOCUMENTS}/search", json=self._body(rendered=True))
        chunks = list((answer or {}).get("chunks") or [])
        self.log.info("Datasphere search found %d chunks.", len(chunks))
        return chunks


def _distance(task_id: str, value: Any) -> float:
    try:
        number = float(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or not 0 <= number <= MAX_DISTANCE:
        raise SignalWireConfigError(
            f"{task_id}: distance is {shown(value)}: give a number from 0 to {MAX_DISTANCE:.2f} (lower is "
            "closer to the query)."
        )
    return number
