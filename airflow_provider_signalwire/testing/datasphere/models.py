"""Datasphere backend: documents fetched from a URL and chunked by the requested strategy, and a
lexical search over their chunks.

The fake is not a vector store. Search scores a chunk by the share of the query's words it contains
(case-insensitive, words of letters and digits), and maps that share onto the spec's ``distance``
scale: every query word present is distance 0, none is the scale's maximum (no chunk at that
distance is returned). It is enough for tests and demos to see plausible chunks, not to judge
retrieval quality.

Documents are fetched when created, from loopback hosts only (``127.0.0.1``, ``::1``,
``localhost``): the fake never reaches the network. A URL it cannot fetch (another host, an error
answer, a timeout) gives a document whose ``status`` is ``failed``; one it fetched is ``completed`` at
once (SignalWire processes documents in the background: ``submitted``, ``in_progress``, then
``completed`` or ``failed``).
"""

from __future__ import annotations

import ipaddress
import re
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from airflow_provider_signalwire.testing.core import Backend
from airflow_provider_signalwire.testing.errors import FakeHTTPError
from airflow_provider_signalwire.testing.records import Record, TableOf
from airflow_provider_signalwire.testing.util import iso

STRATEGIES = ("sentence", "paragraph", "page", "sliding")
# Datasphere.DocumentSearchRequest.distance's maximum.
MAX_DISTANCE = 78.3836717690617
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
FETCH_TIMEOUT_S = 5.0
_WORD = re.compile(r"[^\W_]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def is_loopback_url(url: str) -> bool:
    """An ``http(s)`` URL whose host is a loopback address or ``localhost`` (nothing is resolved)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def fetch_text(url: str) -> str | None:
    """The text at a loopback ``url`` (UTF-8, invalid bytes replaced), or None when it cannot be had.

    HTTPS certificates are not checked: the hosts are loopback test servers with throwaway CAs.
    Redirects are not followed (one could lead off the machine).
    """
    if not is_loopback_url(url):
        return None

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    opener = urllib.request.build_opener(
        NoRedirect, urllib.request.HTTPSHandler(context=context), urllib.request.ProxyHandler({})
    )
    try:
        with opener.open(url, timeout=FETCH_TIMEOUT_S) as answer:
            if answer.status != 200:
                return None
            data = answer.read(MAX_DOCUMENT_BYTES + 1)
    except (OSError, ValueError, urllib.error.URLError):
        return None
    if len(data) > MAX_DOCUMENT_BYTES:
        return None
    return data.decode("utf-8", "replace")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def chunk_text(text: str, settings: dict[str, Any]) -> list[str]:
    """``text`` cut by the document's strategy and settings (validated); empty pieces dropped.

    ``sentence``: ``max_sentences_per_chunk`` sentences a chunk (``split_newlines``: a line break also
    ends a sentence); ``paragraph``: blank-line separated blocks; ``page``: form-feed separated pages
    (a text file without form feeds is one page); ``sliding``: ``chunk_size`` words a chunk, each
    starting ``chunk_size - overlap_size`` words after the previous one.
    """
    strategy = settings["chunking_strategy"]
    if strategy == "paragraph":
        pieces = re.split(r"\n\s*\n", text)
    elif strategy == "page":
        pieces = text.split("\f")
    elif strategy == "sliding":
        tokens = text.split()
        size, overlap = settings["chunk_size"], settings["overlap_size"]
        step = max(1, size - overlap)
        pieces = [" ".join(tokens[i : i + size]) for i in range(0, max(len(tokens) - overlap, 1), step)]
    else:
        blocks = text.splitlines() if settings["split_newlines"] else [text]
        sentences = [s for block in blocks for s in _SENTENCE_END.split(block.strip()) if s.strip()]
        per = settings["max_sentences_per_chunk"]
        pieces = [" ".join(sentences[i : i + per]) for i in range(0, len(sentences), per)]
    return [" ".join(p.split()) for p in pieces if p.strip()]


def distance(query: list[str], chunk: str) -> float:
    """The lexical stand-in for semantic distance: 0 when every query word is in the chunk, the
    scale's maximum when none is."""
    if not query:
        return MAX_DISTANCE
    present = set(words(chunk))
    share = sum(1 for w in query if w in present) / len(query)
    return (1 - share) * MAX_DISTANCE


@dataclass(kw_only=True)
class Document(Record):
    filename: str
    url: str
    status: str
    tags: list[str]
    settings: dict[str, Any]  # chunking_strategy and its settings, defaults filled in
    updated: Any
    number_of_chunks: int = 0

    def render(self) -> dict[str, Any]:
        s = self.settings
        sentence, sliding = s["chunking_strategy"] == "sentence", s["chunking_strategy"] == "sliding"
        return {
            "id": self.id,
            "filename": self.filename,
            "status": self.status,
            "tags": list(self.tags),
            "chunking_strategy": s["chunking_strategy"],
            "max_sentences_per_chunk": s["max_sentences_per_chunk"] if sentence else None,
            "split_newlines": s["split_newlines"] if sentence else None,
            "overlap_size": s["overlap_size"] if sliding else None,
            "chunk_size": s["chunk_size"] if sliding else None,
            "number_of_chunks": self.number_of_chunks,
            "chunks_uri": f"/api/datasphere/documents/{self.id}/chunks",
            "created_at": iso(self.created),
            "updated_at": iso(self.updated),
        }


@dataclass(kw_only=True)
class Chunk(Record):
    document_id: str
    project_id: str
    content: str
    tags: list[str] = field(default_factory=list)

    def render(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "datasphere_document_id": self.document_id,
            "project_id": self.project_id,
            "status": "completed",
            "tags": list(self.tags),
            "content": self.content,
            "created_at": iso(self.created),
            "updated_at": iso(self.created),
        }


DEFAULTS = {"max_sentences_per_chunk": 50, "split_newlines": False, "chunk_size": 50, "overlap_size": 10}


class DatasphereBackend(Backend):
    """Documents of one space and their chunks."""

    name: ClassVar[str] = "datasphere"
    documents = TableOf(Document)
    chunks = TableOf(Chunk)

    def create_document(self, fields: dict[str, Any], text: str | None) -> Document:
        """A document from validated API fields and the text fetched from its URL (None: failed)."""
        settings = {**DEFAULTS, **{k: v for k, v in fields.items() if k not in ("url", "tags")}}
        path = unquote(urlsplit(fields["url"]).path)
        filename = path.rstrip("/").rsplit("/", 1)[-1] or "document"
        now = self.now()
        tags = list(fields.get("tags", []))
        with self.lock:
            doc = self.documents.add(
                Document(
                    created=now,
                    updated=now,
                    seq=self.seq(),
                    filename=filename,
                    url=fields["url"],
                    status="failed" if text is None else "completed",
                    tags=tags,
                    settings=settings,
                )
            )
            for piece in chunk_text(text or "", settings) if text is not None else []:
                self.chunks.add(
                    Chunk(
                        created=now,
                        seq=self.seq(),
                        document_id=doc.id,
                        project_id=self.core.project_id,
                        content=piece,
                        tags=tags,
                    )
                )
            doc.number_of_chunks = len(self.chunks_of(doc.id))
        return doc

    def chunks_of(self, document_id: str) -> list[Chunk]:
        return self.chunks.oldest_first(lambda c: c.document_id == document_id)

    def update_tags(self, doc: Document, tags: list[str]) -> None:
        with self.lock:
            doc.tags = list(tags)
            doc.updated = self.now()
            for chunk in self.chunks_of(doc.id):
                chunk.tags = list(tags)

    def delete_document(self, document_id: str) -> None:
        with self.lock:
            self.documents.pop_or_404(document_id)
            for chunk in self.chunks_of(document_id):
                self.chunks.pop_or_404(chunk.id)

    def delete_chunk(self, document_id: str, chunk_id: str) -> None:
        with self.lock:
            doc = self.documents.get_or_404(document_id)
            chunk = self.chunks.get_or_404(chunk_id)
            if chunk.document_id != document_id:
                raise FakeHTTPError(404)  # another document's chunk
            self.chunks.pop_or_404(chunk_id)
            doc.number_of_chunks = len(self.chunks_of(document_id))

    def search(
        self,
        query: str,
        *,
        tags: list[str] | None = None,
        document_id: str | None = None,
        max_distance: float | None = None,
        count: int = 5,
    ) -> list[dict[str, Any]]:
        """The ``count`` closest chunks (lexically, see the module docstring) of completed documents
        that carry any of ``tags`` (if given) and are ``document_id`` (if given), closest first."""
        wanted = words(query)
        limit = MAX_DISTANCE if max_distance is None else max_distance
        docs = {
            d.id
            for d in self.documents
            if d.status == "completed"
            and (document_id is None or d.id == document_id)
            and (not tags or set(tags) & set(d.tags))
        }
        scored = []
        for chunk in self.chunks.oldest_first(lambda c: c.document_id in docs):
            far = distance(wanted, chunk.content)
            if far < MAX_DISTANCE and far <= limit:
                scored.append((far, chunk.order, chunk))
        scored.sort(key=lambda item: (item[0], item[1]))
        return [{"text": c.content, "document_id": c.document_id} for _, _, c in scored[:count]]


BACKEND = DatasphereBackend
