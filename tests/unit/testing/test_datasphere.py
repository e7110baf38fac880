"""The fake space's Datasphere: every route validated against SignalWire's spec (openapi-core), the
fetch from loopback hosts only, chunking by strategy, the lexical search."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_signalwire.testing import FakeSignalWireSpace
from airflow_provider_signalwire.testing.datasphere.models import (
    MAX_DISTANCE,
    chunk_text,
    fetch_text,
    is_loopback_url,
)
from airflow_provider_signalwire.testing.files import LocalFileHost
from tests.unit.testing import test_conformance as conformance
from tests.unit.testing.test_conformance import Validator, _follow_all

# The conformance module's fake space, validator and per-test reset serve here too.
space, v, _clean = conformance.space, conformance.v, conformance._clean

DOCS = "/api/datasphere/documents"
TEXT = (
    "Airflow schedules data pipelines. SignalWire answers calls! Datasphere searches documents?\n"
    "A second line about football.\n\nA new paragraph on pricing. Plans are monthly."
)


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalFileHost]:
    folder = tmp_path_factory.mktemp("datasphere-files")
    (folder / "guide.txt").write_text(TEXT)
    (folder / "pages.txt").write_text("Page one text.\fPage two text.\fPage three.")
    with LocalFileHost(folder) as served:
        yield served


def _create(v: Validator, host: LocalFileHost, name: str = "guide.txt", **body: Any) -> dict[str, Any]:
    body = {"url": f"{host.base_url}/{name}", "chunking_strategy": "sentence", **body}
    return v.call("POST", DOCS, json=body, expect=201).json()


def test_document_crud_and_chunks(v: Validator, host: LocalFileHost) -> None:
    doc = _create(v, host, tags=["kb", "support"], max_sentences_per_chunk=2)
    assert doc["status"] == "completed" and doc["filename"] == "guide.txt"
    assert doc["tags"] == ["kb", "support"] and doc["max_sentences_per_chunk"] == 2
    assert doc["chunk_size"] is None and doc["number_of_chunks"] == 3
    got = v.call("GET", f"{DOCS}/{doc['id']}", expect=200).json()
    assert got == doc
    chunks = _follow_all(v, f"{DOCS}/{doc['id']}/chunks?page_size=3")
    assert len(chunks) == 3 and chunks[0]["content"].startswith("Airflow schedules")
    assert {c["datasphere_document_id"] for c in chunks} == {doc["id"]}
    one = v.call("GET", f"{DOCS}/{doc['id']}/chunks/{chunks[1]['id']}", expect=200).json()
    assert one == chunks[1]
    v.call("DELETE", f"{DOCS}/{doc['id']}/chunks/{chunks[1]['id']}", expect=204)
    v.call("GET", f"{DOCS}/{doc['id']}/chunks/{chunks[1]['id']}", expect=404)
    assert v.call("GET", f"{DOCS}/{doc['id']}", expect=200).json()["number_of_chunks"] == 2
    updated = v.call("PATCH", f"{DOCS}/{doc['id']}", json={"tags": ["faq"]}, expect=200).json()
    assert updated["tags"] == ["faq"]
    assert all(c["tags"] == ["faq"] for c in _follow_all(v, f"{DOCS}/{doc['id']}/chunks"))
    v.call("DELETE", f"{DOCS}/{doc['id']}", expect=204)
    v.call("GET", f"{DOCS}/{doc['id']}", expect=404)
    v.call("DELETE", f"{DOCS}/{doc['id']}", expect=404)
    v.call("GET", f"{DOCS}/{doc['id']}/chunks", expect=404)
    v.call("PATCH", f"{DOCS}/{doc['id']}", json={"tags": []}, expect=404)


def test_documents_list_pages_newest_first(v: Validator, host: LocalFileHost) -> None:
    made = [_create(v, host)["id"] for _ in range(5)]
    listed = _follow_all(v, f"{DOCS}?page_size=2")
    assert [d["id"] for d in listed] == made[::-1]
    v.call("GET", DOCS, params={"page_size": 0}, expect=422, validate_request=False)


@pytest.mark.parametrize(
    ("strategy", "settings", "expected"),
    [
        ("sentence", {"max_sentences_per_chunk": 50}, 1),
        ("sentence", {"max_sentences_per_chunk": 1, "split_newlines": True}, 6),
        ("paragraph", {}, 2),
        ("page", {}, 1),
        ("sliding", {"chunk_size": 10, "overlap_size": 2}, 3),
    ],
)
def test_documents_are_chunked_by_strategy(
    v: Validator, host: LocalFileHost, strategy: str, settings: dict[str, Any], expected: int
) -> None:
    doc = _create(v, host, chunking_strategy=strategy, **settings)
    assert doc["chunking_strategy"] == strategy and doc["number_of_chunks"] == expected
    if strategy == "sliding":
        assert (doc["chunk_size"], doc["overlap_size"]) == (10, 2)
        assert doc["max_sentences_per_chunk"] is None


def test_pages_split_on_form_feeds() -> None:
    assert chunk_text("a.\fb.\f\fc.", {"chunking_strategy": "page"}) == ["a.", "b.", "c."]


def test_sliding_windows_overlap() -> None:
    text = " ".join(f"w{i}" for i in range(10))
    pieces = chunk_text(text, {"chunking_strategy": "sliding", "chunk_size": 4, "overlap_size": 1})
    assert pieces == ["w0 w1 w2 w3", "w3 w4 w5 w6", "w6 w7 w8 w9"]


@pytest.mark.parametrize(
    "body",
    [
        {"url": "https://127.0.0.1/a.txt"},  # no strategy: matches every member of the oneOf
        {"url": "https://127.0.0.1/a.txt", "chunking_strategy": "words"},
        {"url": "https://127.0.0.1/a.txt", "chunking_strategy": "sentence", "chunk_size": 5},
        {"url": "https://127.0.0.1/a.txt", "chunking_strategy": "sliding", "split_newlines": True},
        {"url": "https://127.0.0.1/a.txt", "chunking_strategy": "page", "max_sentences_per_chunk": 3},
        {
            "url": "https://127.0.0.1/a.txt",
            "chunking_strategy": "sliding",
            "chunk_size": 5,
            "overlap_size": 5,
        },
        {"url": "https://127.0.0.1/a.txt", "chunking_strategy": "paragraph", "tags": "kb"},
        {"chunking_strategy": "paragraph"},
        {"url": "ftp://127.0.0.1/a.txt", "chunking_strategy": "paragraph"},
    ],
)
def test_create_invalid_422(v: Validator, body: dict[str, Any]) -> None:
    resp = v.call("POST", DOCS, json=body, expect=422, validate_request=False)
    assert resp.json()["errors"][0]["attribute"]


def test_unfetchable_urls_make_failed_documents(v: Validator, host: LocalFileHost) -> None:
    missing = _create(v, host, name="missing.txt", chunking_strategy="paragraph")
    assert missing["status"] == "failed" and missing["number_of_chunks"] == 0
    remote = v.call(
        "POST", DOCS, json={"url": "https://example.com/doc.txt", "chunking_strategy": "page"}, expect=201
    ).json()
    assert remote["status"] == "failed" and remote["filename"] == "doc.txt"


def test_fetch_never_leaves_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    import urllib.request

    opened: list[Any] = []
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", lambda self, *a, **k: opened.append(a))
    for url in (
        "https://example.com/a",
        "http://10.0.0.1/a",
        "http://localhost.example.com/a",
        "file:///etc/passwd",
    ):
        assert not is_loopback_url(url)
        assert fetch_text(url) is None
    assert opened == []
    assert is_loopback_url("http://127.0.0.2:8/a") and is_loopback_url("https://[::1]/a")
    assert is_loopback_url("http://localhost:1/a")


def test_search_is_lexical_and_filtered(v: Validator, host: LocalFileHost) -> None:
    kb = _create(v, host, tags=["kb"], max_sentences_per_chunk=1)
    other = _create(v, host, name="pages.txt", chunking_strategy="page", tags=["other"])
    found = v.call("POST", f"{DOCS}/search", json={"query_string": "football line"}, expect=200).json()
    assert found["chunks"][0] == {"text": "A second line about football.", "document_id": kb["id"]}
    some = v.call("POST", f"{DOCS}/search", json={"query_string": "page text", "count": 1}, expect=200).json()
    assert [c["document_id"] for c in some["chunks"]] == [other["id"]]
    tagged = v.call(
        "POST", f"{DOCS}/search", json={"query_string": "page text", "tags": ["kb"]}, expect=200
    ).json()
    assert tagged["chunks"] == []
    by_doc = v.call(
        "POST", f"{DOCS}/search", json={"query_string": "text", "document_id": kb["id"]}, expect=200
    ).json()
    assert by_doc["chunks"] == []
    near = v.call(
        "POST", f"{DOCS}/search", json={"query_string": "football pricing", "distance": 0}, expect=200
    ).json()
    assert near["chunks"] == []  # no chunk has both words
    half = v.call(
        "POST", f"{DOCS}/search", json={"query_string": "football pricing", "distance": MAX_DISTANCE / 2}
    ).json()
    assert len(half["chunks"]) == 2


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"query_string": "x", "distance": 80},
        {"query_string": "x", "count": 0},
        {"query_string": "x", "document_id": "nope"},
        {"query_string": "x", "tags": [1]},
        {"query_string": "x", "bogus": True},
    ],
)
def test_search_invalid_422(v: Validator, body: dict[str, Any]) -> None:
    v.call("POST", f"{DOCS}/search", json=body, expect=422, validate_request=False)


def test_needs_the_datasphere_scope(v: Validator, space: FakeSignalWireSpace) -> None:
    token = space.add_token(["video"])
    v.call("GET", DOCS, auth=(space.project_id, token), expect=401)
    v.call("GET", DOCS, auth=(space.project_id, "wrong"), expect=401)


def test_file_host_serves_only_its_folder(host: LocalFileHost, tmp_path: Path) -> None:
    assert fetch_text(host.url_for(host.folder / "guide.txt")) == TEXT
    assert fetch_text(f"{host.base_url}/") is None  # no listings
    assert fetch_text(f"{host.base_url}/../../etc/hostname") is None
    with pytest.raises(ValueError, match="not under"):
        host.url_for(tmp_path / "x.txt")
