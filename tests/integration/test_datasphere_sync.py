"""SyncToDatasphereOperator end to end: a local folder, a loopback file host that the fake space's
Datasphere fetches from, and the fake space (real HTTPS)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.operators.datasphere import CreateDatasphereDocumentOperator
from airflow_provider_signalwire.testing.files import LocalFileHost
from airflow_provider_signalwire.transfers.datasphere import SyncToDatasphereOperator
from tests.helpers.space import api_calls

DOCS = "/api/datasphere/documents"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    kb = tmp_path / "kb"
    (kb / "faq").mkdir(parents=True)
    (kb / "pricing.txt").write_text("Plans are monthly. The pro plan costs ten dollars.")
    (kb / "faq" / "hours.txt").write_text("Support answers calls from nine to five.")
    (kb / "faq" / "returns.txt").write_text("Returns are free within thirty days.")
    (kb / ".draft.txt").write_text("Not ready.")
    return kb


@pytest.fixture
def host(folder: Path):
    with LocalFileHost(folder) as served:
        yield served


def _sync(folder: Path, host: LocalFileHost, conn_id: str = "signalwire_default", **kwargs: Any) -> Any:
    op = SyncToDatasphereOperator(
        task_id="sync",
        source=f"file://{folder}/",
        tags=["kb"],
        chunking_strategy="sentence",
        max_sentences_per_chunk=1,
        url_for=host.url_for,
        signalwire_conn_id=conn_id,
        **kwargs,
    )
    events: Any = defaultdict(lambda: SimpleNamespace(extra={}))
    return op, op.execute({"outlet_events": events}), events


def _documents(space) -> dict[str, dict[str, Any]]:
    """The space's documents by their source's file name."""
    out = {}
    for doc in space.state.documents.values():
        source = next(t for t in doc["tags"] if t.startswith("airflow-sync:source="))
        assert source.rsplit("/", 1)[-1] not in out, "two documents for one source"
        out[source.rsplit("/", 1)[-1]] = doc
    return out


def _counts(report: dict[str, Any]) -> tuple[int, ...]:
    return tuple(report[k] for k in ("created", "replaced", "deleted", "unchanged", "failed"))


def test_first_run_then_no_change_then_change_remove_add(signalwire_space, folder, host):
    space = signalwire_space
    _, report, events = _sync(folder, host)
    assert _counts(report) == (3, 0, 0, 0, 0)
    docs = _documents(space)
    assert sorted(docs) == ["hours.txt", "pricing.txt", "returns.txt"]  # the dot file is skipped
    assert all(d["status"] == "completed" and "kb" in d["tags"] for d in docs.values())
    assert docs["pricing.txt"]["number_of_chunks"] == 2
    collection = f"file://{folder}"
    assert f"airflow-sync:collection={collection}" in docs["hours.txt"]["tags"]
    (asset_event,) = events.values()
    assert asset_event.extra == {
        "collection": collection,
        "created": 3,
        "replaced": 0,
        "deleted": 0,
        "unchanged": 0,
        "failed": 0,
    }

    before = len(space.requests)
    _, report, _ = _sync(folder, host)
    assert _counts(report) == (0, 0, 0, 3, 0)
    assert [m for m, _ in api_calls(space)[before:]] == ["GET"]  # one listing, nothing changed
    assert _documents(space) == docs

    (folder / "pricing.txt").write_text("Plans are yearly now. The pro plan costs a hundred dollars.")
    (folder / "faq" / "returns.txt").unlink()
    (folder / "faq" / "shipping.txt").write_text("Shipping takes two days.")
    before = len(space.requests)
    _, report, _ = _sync(folder, host)
    assert _counts(report) == (1, 1, 1, 1, 0)
    after = _documents(space)
    assert sorted(after) == ["hours.txt", "pricing.txt", "shipping.txt"]
    assert after["hours.txt"] == docs["hours.txt"]
    assert after["pricing.txt"]["id"] != docs["pricing.txt"]["id"]
    # The new version of pricing.txt is created before the old one is deleted.
    calls = api_calls(space)[before:]
    old_delete = calls.index(("DELETE", f"{DOCS}/{docs['pricing.txt']['id']}"))
    assert calls.count(("POST", DOCS)) == 2 and calls.index(("POST", DOCS)) < old_delete
    found = space.backends["datasphere"].search("yearly", tags=["kb"])
    assert found[0]["document_id"] == after["pricing.txt"]["id"]
    assert {a["action"] for a in report["actions"]} == {
        "create",
        "replace",
        "delete old version",
        "delete gone",
    }


def test_dry_run_touches_nothing(signalwire_space, folder, host):
    _sync(folder, host)
    (folder / "pricing.txt").write_text("changed")
    (folder / "faq" / "hours.txt").unlink()
    (folder / "new.txt").write_text("A new document.")
    before = len(signalwire_space.requests)
    snapshot = signalwire_space.state.documents
    served: list[Any] = []
    op, report, events = _sync(folder, host, dry_run=True)
    op.url_for = served.append  # never asked for a URL in a dry run
    assert _counts(report) == (1, 1, 1, 1, 0) and report["dry_run"] is True
    assert {m for m, _ in api_calls(signalwire_space)[before:]} == {"GET"}
    assert signalwire_space.state.documents == snapshot
    assert not events and not op.outlets  # a dry run announces no asset


def test_a_failure_mid_run_then_a_rerun_converges(signalwire_space, folder, host, make_conn):
    conn_id = make_conn(space=signalwire_space, retries=False)
    _sync(folder, host, conn_id)
    (folder / "pricing.txt").write_text("Changed prices.")
    (folder / "faq" / "returns.txt").unlink()
    (folder / "a-new.txt").write_text("Brand new.")
    # The first create (a-new.txt) fails; the run goes on with the rest, then fails the task.
    signalwire_space.inject_fault(DOCS, "500", count=1, method="POST")
    with pytest.raises(AirflowException, match="1 of the collection's documents could not be synced"):
        _sync(folder, host, conn_id)
    docs = _documents(signalwire_space)
    assert sorted(docs) == ["hours.txt", "pricing.txt"]
    _, report, _ = _sync(folder, host, conn_id)
    assert _counts(report) == (1, 0, 0, 2, 0)
    _, report, _ = _sync(folder, host, conn_id)
    assert _counts(report) == (0, 0, 0, 3, 0)
    assert sorted(_documents(signalwire_space)) == ["a-new.txt", "hours.txt", "pricing.txt"]


def test_a_crash_between_create_and_delete_leaves_a_copy_the_rerun_deletes(
    signalwire_space, folder, host, make_conn
):
    conn_id = make_conn(space=signalwire_space, retries=False)
    _sync(folder, host, conn_id)
    old = _documents(signalwire_space)["pricing.txt"]
    (folder / "pricing.txt").write_text("New prices.")
    # The replacement's DELETE of the old version fails: the task fails after creating the new one.
    signalwire_space.inject_fault(f"{DOCS}/{old['id']}", "500", count=1, method="DELETE")
    with pytest.raises(AirflowException, match="could not be synced"):
        _sync(folder, host, conn_id)
    versions = [
        d
        for d in signalwire_space.state.documents.values()
        if any(t.endswith("/pricing.txt") for t in d["tags"])
    ]
    assert len(versions) == 2  # both versions: the knowledge base never lacked one
    _, report, _ = _sync(folder, host, conn_id)
    assert _counts(report) == (0, 0, 1, 3, 0)
    assert [a["action"] for a in report["actions"]] == ["delete stale copy"]
    assert _documents(signalwire_space)["pricing.txt"]["id"] != old["id"]


def test_an_unfetchable_object_is_a_failure_and_keeps_the_old_version(signalwire_space, folder, host):
    _sync(folder, host)
    old = _documents(signalwire_space)["pricing.txt"]
    (folder / "pricing.txt").write_text("New prices.")

    def broken(path: Any) -> str:
        return host.url_for(path) + ".missing" if path.name == "pricing.txt" else host.url_for(path)

    op = SyncToDatasphereOperator(
        task_id="sync", source=str(folder), tags=["kb"], max_sentences_per_chunk=1, url_for=broken
    )
    with pytest.raises(AirflowException, match="1 of the collection"):
        op.execute({})
    assert _documents(signalwire_space)["pricing.txt"]["id"] == old["id"]  # the failed new one is deleted


def test_max_deletes_fails_before_any_change(signalwire_space, folder, host):
    _sync(folder, host)
    (folder / "faq" / "hours.txt").unlink()
    (folder / "faq" / "returns.txt").unlink()
    (folder / "new.txt").write_text("New.")
    before = len(signalwire_space.requests)
    with pytest.raises(SignalWireConfigError, match="more than max_deletes=1: nothing was changed"):
        _sync(folder, host, max_deletes=1)
    assert {m for m, _ in api_calls(signalwire_space)[before:]} == {"GET"}


def test_an_empty_source_deletes_nothing_unless_allowed(signalwire_space, folder, host, tmp_path):
    _sync(folder, host)
    for path in [folder / "pricing.txt", folder / "faq" / "hours.txt", folder / "faq" / "returns.txt"]:
        path.unlink()
    with pytest.raises(SignalWireConfigError, match="the source has no objects"):
        _sync(folder, host)
    assert len(signalwire_space.state.documents) == 3
    _, report, _ = _sync(folder, host, allow_empty_source=True)
    assert report["deleted"] == 3 and not signalwire_space.state.documents


def test_other_documents_are_never_touched(signalwire_space, folder, host, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.txt").write_text("Another collection.")
    with LocalFileHost(other) as other_host:
        _sync(other, other_host)
    # A document made by hand, without the sync's tags.
    CreateDatasphereDocumentOperator(
        task_id="c", url=host.url_for(folder / "pricing.txt"), tags=["kb"]
    ).execute({})
    _, report, _ = _sync(folder, host)
    assert _counts(report) == (3, 0, 0, 0, 0)
    assert len(signalwire_space.state.documents) == 5


def test_a_list_of_urls(signalwire_space, folder, host):
    urls = [host.url_for(folder / "pricing.txt"), host.url_for(folder / "faq" / "hours.txt")]
    op = SyncToDatasphereOperator(
        task_id="s", source=urls, collection="faq-pages", chunking_strategy="paragraph"
    )
    assert _counts(op.execute({})) == (2, 0, 0, 0, 0)
    op = SyncToDatasphereOperator(
        task_id="s", source=urls[:1], collection="faq-pages", chunking_strategy="paragraph"
    )
    assert _counts(op.execute({})) == (0, 0, 1, 1, 0)
    op = SyncToDatasphereOperator(
        task_id="s", source=urls[:1], collection="faq-pages", chunking_strategy="page"
    )
    assert _counts(op.execute({})) == (0, 1, 0, 0, 0)  # new chunking settings: the document is remade


def test_a_bad_url_from_url_for_fails_that_file_only(signalwire_space, folder, host):
    def url_for(path: Any) -> str:
        return "ftp://nowhere/returns.txt" if path.name == "returns.txt" else host.url_for(path)

    op = SyncToDatasphereOperator(task_id="s", source=str(folder), url_for=url_for, knowledge_base_asset=None)
    with pytest.raises(AirflowException, match="1 of the collection's documents could not be synced"):
        op.execute({})
    assert sorted(_documents(signalwire_space)) == ["hours.txt", "pricing.txt"]
