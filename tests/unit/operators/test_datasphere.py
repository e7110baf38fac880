"""Datasphere operators: arguments checked against the spec before any request (the chunking oneOf
above all), the bodies sent, and each operator against the offline fake space."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.operators.datasphere import (
    CreateDatasphereDocumentOperator,
    DeleteDatasphereDocumentOperator,
    ListDatasphereDocumentsOperator,
    SearchDatasphereOperator,
    UpdateDatasphereDocumentOperator,
)
from airflow_provider_signalwire.testing.files import LocalFileHost
from airflow_provider_signalwire.transfers.datasphere import SourceItem, SyncToDatasphereOperator, plan_sync

DOCS = "/api/datasphere/documents"
URL = "https://files.example.com/guide.txt"
DOC_ID = "acaa5c49-be5e-4477-bce0-48f4b23b7720"


@pytest.fixture
def host(tmp_path: Path):
    (tmp_path / "guide.txt").write_text(
        "Airflow runs pipelines. SignalWire answers calls.\n\nPricing is monthly."
    )
    with LocalFileHost(tmp_path) as served:
        yield served


def _sent(space: Any, method: str) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in space.requests if r.method == method and r.path.startswith(DOCS)]


# ------------------------------------------------------------------------------ parse-time checks
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"chunking_strategy": "words"}, "chunking_strategy is 'words': use one of 'sentence'"),
        ({"chunk_size": 10}, "chunk_size applies to chunking_strategy='sliding' only"),
        (
            {"chunking_strategy": "sliding", "split_newlines": True},
            "split_newlines applies to chunking_strategy='sentence'",
        ),
        ({"chunking_strategy": "page", "max_sentences_per_chunk": 3}, "max_sentences_per_chunk applies"),
        ({"max_sentences_per_chunk": 0}, "max_sentences_per_chunk is 0: use a whole number from 1"),
        ({"split_newlines": "maybe"}, "split_newlines is 'maybe': use true or false"),
        ({"chunking_strategy": "sliding", "chunk_size": 5, "overlap_size": 5}, "the overlap must be smaller"),
        ({"chunking_strategy": "sliding", "overlap_size": 60}, "overlap_size is 60 and chunk_size 50"),
        ({"url": "ftp://x/y"}, "url is 'ftp://x/y': give an http(s) URL"),
        ({"url": "guide.txt"}, "give an http(s) URL"),
        ({"tags": "kb"}, "tags is 'kb': give a list of non-empty strings"),
        ({"tags": ["kb", ""]}, "give a list of non-empty strings"),
    ],
)
def test_create_refuses_bad_arguments_when_parsed(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(SignalWireConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        CreateDatasphereDocumentOperator(task_id="c", **{"url": URL, **kwargs})


def test_templated_arguments_wait_for_rendering_then_are_checked(signalwire_space) -> None:
    op = CreateDatasphereDocumentOperator(
        task_id="c", url="{{ params.url }}", chunking_strategy="{{ params.s }}", chunk_size="{{ params.n }}"
    )
    op.url, op.chunking_strategy, op.chunk_size = URL, "sentence", "10"  # as rendered
    with pytest.raises(SignalWireConfigError, match="chunk_size applies to chunking_strategy='sliding'"):
        op.execute({})
    assert signalwire_space.requests == []


def test_create_sends_the_strategy_and_its_settings_only(signalwire_space, host) -> None:
    url = f"{host.base_url}/guide.txt"
    doc = CreateDatasphereDocumentOperator(
        task_id="c", url=url, chunking_strategy="sliding", chunk_size="4", overlap_size=1, tags=["kb"]
    ).execute({})
    assert doc["status"] == "completed" and doc["chunk_size"] == 4 and doc["tags"] == ["kb"]
    para = CreateDatasphereDocumentOperator(task_id="p", url=url, chunking_strategy="paragraph").execute({})
    assert para["number_of_chunks"] == 2
    assert _sent(signalwire_space, "POST") == [
        {"url": url, "chunking_strategy": "sliding", "chunk_size": 4, "overlap_size": 1, "tags": ["kb"]},
        {"url": url, "chunking_strategy": "paragraph"},
    ]


def test_list_update_search_delete(signalwire_space, host) -> None:
    url = f"{host.base_url}/guide.txt"
    first = CreateDatasphereDocumentOperator(task_id="c", url=url, tags=["kb", "a"]).execute({})
    second = CreateDatasphereDocumentOperator(task_id="c", url=url, tags=["kb"]).execute({})
    listed = ListDatasphereDocumentsOperator(task_id="l", page_size=1).execute({})
    assert [d["id"] for d in listed] == [second["id"], first["id"]]
    tagged = ListDatasphereDocumentsOperator(task_id="l", tags=["kb", "a"]).execute({})
    assert [d["id"] for d in tagged] == [first["id"]]
    updated = UpdateDatasphereDocumentOperator(task_id="u", document_id=second["id"], tags=["b"]).execute({})
    assert updated["tags"] == ["b"]
    chunks = SearchDatasphereOperator(task_id="s", query_string="pricing", tags=["b"], count=3).execute({})
    assert chunks == [
        {
            "text": "Airflow runs pipelines. SignalWire answers calls. Pricing is monthly.",
            "document_id": second["id"],
        }
    ]
    none = SearchDatasphereOperator(
        task_id="s", query_string="pricing", document_id=first["id"], distance=0
    ).execute({})
    assert none == [{"text": chunks[0]["text"], "document_id": first["id"]}]
    delete = DeleteDatasphereDocumentOperator(task_id="d", document_id=first["id"])
    assert delete.execute({}) == {"id": first["id"], "deleted": True}
    assert delete.execute({}) == {"id": first["id"], "deleted": False}
    strict = DeleteDatasphereDocumentOperator(task_id="d", document_id=first["id"], missing_ok=False)
    with pytest.raises(SignalWireAPIError, match="404"):
        strict.execute({})
    assert _sent(signalwire_space, "PATCH") == [{"tags": ["b"]}]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"query_string": " "}, "query_string is ' ': give the text"),
        ({"distance": 79}, "distance is 79: give a number from 0 to 78.38"),
        ({"distance": True}, "distance is True"),
        ({"count": 0}, "count is 0: use a whole number from 1"),
        ({"document_id": "nope"}, "document_id is 'nope': give the document's UUID"),
        ({"tags": [1]}, "tags is \\[1\\]"),
    ],
)
def test_search_refuses_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(SignalWireConfigError, match=message):
        SearchDatasphereOperator(task_id="s", **{"query_string": "x", **kwargs})


def test_update_and_delete_refuse_bad_ids_before_any_request(signalwire_space) -> None:
    with pytest.raises(SignalWireConfigError, match="document_id is 'x/../y': give the document's UUID"):
        UpdateDatasphereDocumentOperator(task_id="u", document_id="x/../y", tags=[]).execute({})
    with pytest.raises(SignalWireConfigError, match="document_id is 'None'"):
        DeleteDatasphereDocumentOperator(task_id="d", document_id="None").execute({})
    with pytest.raises(SignalWireConfigError, match="tags is None"):
        UpdateDatasphereDocumentOperator(task_id="u", document_id=DOC_ID, tags=None)  # type: ignore[arg-type]
    assert signalwire_space.requests == []


# ------------------------------------------------------------------------------------------ sync
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tags": ["airflow-sync:source=x"]}, "start with 'airflow-sync:', which the sync keeps"),
        ({"source": ["https://a.example.com/x.txt"]}, "source is a list of URLs: give collection"),
        ({"source": ["ftp://a/x"], "collection": "c"}, "url is 'ftp://a/x'"),
        ({"source": "relative/kb/"}, "source is 'relative/kb/': a relative path"),
        ({"source": "https://example.com/kb/"}, "http\\(s\\) URLs cannot be written"),
        ({"max_deletes": -1}, "max_deletes is -1: use a whole number >= 0"),
        ({"url_for": "https://x"}, "url_for is 'https://x': give a callable"),
        ({"chunking_strategy": "page", "chunk_size": 3}, "chunk_size applies to chunking_strategy='sliding'"),
        ({"knowledge_base_asset": ""}, "knowledge_base_asset is '': give an asset name"),
    ],
)
def test_sync_refuses_bad_arguments_when_parsed(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(SignalWireConfigError, match=message):
        SyncToDatasphereOperator(task_id="s", **{"source": "s3://bucket/kb/", **kwargs})


def test_sync_announces_the_knowledge_base_asset_unless_dry_run() -> None:
    op = SyncToDatasphereOperator(task_id="s", source="s3://bucket/kb/", knowledge_base_asset="kb")
    assert [getattr(o, "name", getattr(o, "uri", None)) for o in op.outlets] == ["kb"]
    assert SyncToDatasphereOperator(task_id="s", source="s3://bucket/kb/", dry_run=True).outlets == []


def _doc(
    source: str, sha: str, *, status: str = "completed", created: str = "2026-01-01T00:00:00Z", **kw: Any
):
    tags = ["airflow-sync:collection=c", f"airflow-sync:source={source}", f"airflow-sync:sha256={sha}", "kb"]
    return {
        "id": f"{source}-{sha}-{created}",
        "tags": tags,
        "status": status,
        "created_at": created,
        "chunking_strategy": "sentence",
        **kw,
    }


def test_plan_sync() -> None:
    items = [
        SourceItem("a", "1"),
        SourceItem("b", "2"),
        SourceItem("c", "3"),
        SourceItem("d", "4"),
        SourceItem("e", "5"),
    ]
    docs = [
        _doc("a", "1"),  # unchanged
        _doc("b", "old"),  # changed
        _doc("c", "3", status="failed"),  # failed: made again
        _doc("d", "4"),  # current, plus a stale copy left by an interrupted run
        _doc("d", "old", created="2025-01-01T00:00:00Z"),
        _doc("gone", "9"),
    ]
    plan = plan_sync(
        items, docs, user_tags=["kb"], chunking={"chunking_strategy": "sentence"}, delete_missing=True
    )
    assert [i.key for i in plan.create] == ["e"]
    assert [(i.key, [d["id"] for d in old]) for i, old in plan.replace] == [
        ("b", [docs[1]["id"]]),
        ("c", [docs[2]["id"]]),
    ]
    assert plan.unchanged == 2
    assert [d["id"] for d in plan.delete_stale] == [docs[4]["id"]]
    assert [d["id"] for d in plan.delete_missing] == [docs[5]["id"]]
    kept = plan_sync(
        items, docs, user_tags=["kb"], chunking={"chunking_strategy": "sentence"}, delete_missing=False
    )
    assert kept.delete_missing == []
    retagged = plan_sync(
        items[:1],
        docs[:1],
        user_tags=["faq"],
        chunking={"chunking_strategy": "sentence"},
        delete_missing=True,
    )
    assert [i.key for i, _ in retagged.replace] == ["a"]  # new user tags: the document is remade
    rechunked = plan_sync(
        items[:1], docs[:1], user_tags=["kb"], chunking={"chunking_strategy": "page"}, delete_missing=True
    )
    assert [i.key for i, _ in rechunked.replace] == ["a"]


def test_sync_presigns_with_the_storage_when_no_url_for_is_given(
    signalwire_space, host, tmp_path, monkeypatch
):
    """Storage that can presign (S3, GCS) is asked through fsspec's ``sign``; the URL is masked and
    never logged or returned."""
    from airflow_provider_signalwire.transfers import datasphere as sync_module

    masked: list[str] = []
    monkeypatch.setattr(sync_module, "mask_secret", masked.append)
    signed: list[tuple[str, int]] = []
    import fsspec.implementations.local as local

    def sign(self: Any, path: str, expiration: int = 100, **kwargs: Any) -> str:
        signed.append((path, expiration))
        return host.url_for(path) + "?X-Signature=secret"

    monkeypatch.setattr(local.LocalFileSystem, "sign", sign)
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    op = SyncToDatasphereOperator(
        task_id="s",
        source=ObjectStoragePath(f"file://{tmp_path}"),
        url_expires=600,
        knowledge_base_asset=None,
    )
    report = op.execute({})
    assert report["created"] == 1
    assert signed == [(str(tmp_path / "guide.txt"), 600)]
    assert masked == [f"{host.base_url}/guide.txt?X-Signature=secret"]
    assert "secret" not in json.dumps(report)


def test_sync_without_presigning_or_url_for_says_what_to_give(signalwire_space, host, tmp_path):
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    with pytest.raises(SignalWireConfigError, match="file:// storage cannot presign URLs: give url_for"):
        SyncToDatasphereOperator(task_id="s", source=f"file://{tmp_path}/")
    op = SyncToDatasphereOperator(task_id="s", source=ObjectStoragePath(f"file://{tmp_path}/"))
    with pytest.raises(SignalWireConfigError, match="file:// storage cannot presign URLs: give url_for"):
        op.execute({})
    assert [r.method for r in signalwire_space.requests] == ["GET"]  # the listing only
