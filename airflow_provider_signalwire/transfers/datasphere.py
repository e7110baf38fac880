"""Keep SignalWire Datasphere documents in step with a folder of object storage (or a list of URLs)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowException, mask_secret

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.lazy import Record
from airflow_provider_signalwire.operators._arguments import is_missing, is_pending, shown
from airflow_provider_signalwire.operators._arguments import segment as _segment
from airflow_provider_signalwire.operators.base import SignalWireBaseOperator
from airflow_provider_signalwire.operators.datasphere import (
    CHUNKING_SETTINGS,
    DOCUMENTS,
    check_document_url,
    check_tags,
    chunking_fields,
)
from airflow_provider_signalwire.protocol import MAX_PAGE_SIZE
from airflow_provider_signalwire.storage import (
    asset_classes,
    destination_url,
    is_storage_path,
    open_destination,
)

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

__all__ = ["SYNC_TAG_PREFIX", "SyncPlan", "SyncToDatasphereOperator", "plan_sync"]

# Tags the sync writes on every document it manages; tags given by users may not start with this.
SYNC_TAG_PREFIX = "airflow-sync:"
COLLECTION_TAG = SYNC_TAG_PREFIX + "collection="
SOURCE_TAG = SYNC_TAG_PREFIX + "source="
SHA256_TAG = SYNC_TAG_PREFIX + "sha256="
URL_ONLY = "url"  # the version of a document synced from a URL list: its content is not read here
MAX_REPORTED_ACTIONS = 1000
_READ_CHUNK = 1024 * 1024


class SourceItem(Record):
    """One document of the source: its stable key, content hash, and (for folders) its path."""

    key: str
    sha256: str
    path: Any = None


class SyncPlan:
    """What one run does. ``create``: new sources; ``replace``: (source, old documents) pairs, the new
    version created first; ``delete_missing``: documents whose source is gone; ``delete_stale``: older
    copies of a source whose current version is already there (left by an interrupted run)."""

    def __init__(self) -> None:
        self.create: list[SourceItem] = []
        self.replace: list[tuple[SourceItem, list[dict[str, Any]]]] = []
        self.delete_missing: list[dict[str, Any]] = []
        self.delete_stale: list[dict[str, Any]] = []
        self.unchanged = 0


def sync_tags(document: Mapping[str, Any]) -> tuple[str | None, str | None, set[str]]:
    """(source key, sha256, the user's tags) of a document the sync manages."""
    source = sha = None
    user: set[str] = set()
    for tag in document.get("tags") or ():
        if not isinstance(tag, str):
            continue
        if tag.startswith(SOURCE_TAG):
            source = tag[len(SOURCE_TAG) :]
        elif tag.startswith(SHA256_TAG):
            sha = tag[len(SHA256_TAG) :]
        elif not tag.startswith(SYNC_TAG_PREFIX):
            user.add(tag)
    return source, sha, user


def plan_sync(
    items: Sequence[SourceItem],
    documents: Sequence[Mapping[str, Any]],
    *,
    user_tags: Sequence[str],
    chunking: Mapping[str, Any],
    delete_missing: bool,
) -> SyncPlan:
    """Compare the source with the collection's documents (no I/O).

    A source is unchanged when one of its documents has its content hash, the user's tags and the
    chunking settings asked for, and has not ``failed``; its other documents are stale copies. A
    source without such a document is created (none yet) or replaced (the old ones are deleted once
    the new one exists).
    """
    by_source: dict[str, list[Mapping[str, Any]]] = {}
    for doc in documents:
        source, _, _ = sync_tags(doc)
        by_source.setdefault(source or "", []).append(doc)
    plan = SyncPlan()
    wanted_tags = set(user_tags)

    def current(doc: Mapping[str, Any], item: SourceItem) -> bool:
        _, sha, user = sync_tags(doc)
        settings_match = all(doc.get(k) == v for k, v in chunking.items())
        return sha == item.sha256 and user == wanted_tags and settings_match and doc.get("status") != "failed"

    for item in items:
        docs = by_source.pop(item.key, [])
        good = sorted((d for d in docs if current(d, item)), key=lambda d: str(d.get("created_at")))
        if good:
            keep = good[-1]
            plan.unchanged += 1
            plan.delete_stale += [dict(d) for d in docs if d is not keep]
        elif docs:
            plan.replace.append((item, [dict(d) for d in docs]))
        else:
            plan.create.append(item)
    if delete_missing:
        plan.delete_missing = [dict(d) for docs in by_source.values() for d in docs]
    return plan


class SyncToDatasphereOperator(SignalWireBaseOperator):
    """
    Make the Datasphere documents of a collection match a source: a folder of object storage
    (``s3://``, ``gs://``, ``file://`` ...) or a list of URLs.

    Each document the sync makes carries three tags: ``airflow-sync:collection=<collection>``,
    ``airflow-sync:source=<key>`` (``s3://bucket/key``, ``file:///path``, or the URL) and
    ``airflow-sync:sha256=<hex>`` (the object's content; ``url`` for a URL list, whose content is not
    read), besides the ``tags`` given here (which may not start with ``airflow-sync:``). Only documents
    of the collection are ever touched. A run:

    - creates a document for each new object;
    - replaces a changed one (new content, tags or chunking settings): the new document is created
      first and the old one deleted after, so the knowledge base never lacks a document that is in the
      source; a new document that ``failed`` is deleted and the old one kept;
    - deletes the documents of objects gone from the source (``delete_missing``), at most
      ``max_deletes`` of them, checked before anything changes;
    - deletes stale copies (a run stopped between creating and deleting leaves two): reruns converge;
    - leaves the rest untouched, and logs each change (source key and document id) as an audit trail.

    Datasphere fetches each document from a URL: ``url_for(path)`` gives it, else the storage's own
    presigning (``fs.sign``: S3, GCS) for ``url_expires`` seconds. Those URLs are masked and never in
    logs or XCom. Objects whose names start with ``.`` are skipped. An empty source with documents in
    the collection fails (more often a wrong path than an empty knowledge base) unless
    ``allow_empty_source``.

    :param source: The folder (templated): a URL such as ``s3://bucket/kb/`` or ``file:///data/kb/``,
        or an ``ObjectStoragePath``; or a list of http(s) URLs.
    :param tags: Tags of every document, a list of strings (templated).
    :param collection: Names the set of documents this sync owns (templated); default: the folder's
        URL. Required for a list of URLs.
    :param chunking_strategy: ``sentence`` (default), ``sliding``, ``paragraph`` or ``page`` (templated).
    :param max_sentences_per_chunk: ``sentence`` only (templated; SignalWire's default 50).
    :param split_newlines: ``sentence`` only (templated).
    :param chunk_size: ``sliding`` only: words a chunk (templated; default 50).
    :param overlap_size: ``sliding`` only: words shared by consecutive chunks (templated; default 10).
    :param url_for: A callable giving the URL Datasphere fetches an object from (it gets the object's
        ``ObjectStoragePath``); default: presigned URLs.
    :param url_expires: Seconds presigned URLs stay valid (default 3600).
    :param delete_missing: Delete documents whose object is gone (default True).
    :param max_deletes: Most documents of gone objects one run may delete; more fails the task before
        any change (default: no limit).
    :param allow_empty_source: Let an empty source delete every document of the collection.
    :param dry_run: Read the source and the documents, log and return what would change, change nothing.
    :param knowledge_base_asset: Name of an asset announced (an outlet) for the knowledge base, with the
        counts as the event's extra; None for none. Not announced by a dry run.
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: ``{"created", "replaced", "deleted", "unchanged", "failed", "dry_run", "collection",
        "actions"}``; ``actions`` lists each change (``action``, ``source``, ``document_id``).
    :raises SignalWireConfigError: before any request, for a bad argument or a source that cannot be
        read; when ``max_deletes`` would be exceeded.
    :raises AirflowException: after the run, when some documents failed (the counts are logged; a rerun
        retries them).
    """

    required_permissions = ("datasphere",)

    template_fields: Sequence[str] = (
        "source",
        "tags",
        "collection",
        "chunking_strategy",
        *CHUNKING_SETTINGS,
        "signalwire_conn_id",
    )

    def __init__(
        self,
        *,
        source: Any,
        tags: list[str] | None = None,
        collection: str | None = None,
        chunking_strategy: str = "sentence",
        max_sentences_per_chunk: int | None = None,
        split_newlines: bool | None = None,
        chunk_size: int | None = None,
        overlap_size: int | None = None,
        url_for: Callable[[Any], str] | None = None,
        url_expires: int = 3600,
        delete_missing: bool = True,
        max_deletes: int | None = None,
        allow_empty_source: bool = False,
        dry_run: bool = False,
        knowledge_base_asset: str | None = "signalwire-datasphere",
        **kwargs: Any,
    ) -> None:
        task_id = kwargs.get("task_id")
        if knowledge_base_asset is not None and not dry_run:
            if not isinstance(knowledge_base_asset, str) or not knowledge_base_asset.strip():
                raise SignalWireConfigError(
                    f"{task_id}: knowledge_base_asset is {shown(knowledge_base_asset)}: give an asset name."
                )
            kwargs["outlets"] = [*(kwargs.get("outlets") or []), asset_classes()[0](knowledge_base_asset)]
        super().__init__(**kwargs)
        self.source = source
        self.tags = tags
        self.collection = collection
        self.chunking_strategy = chunking_strategy
        self.max_sentences_per_chunk = max_sentences_per_chunk
        self.split_newlines = split_newlines
        self.chunk_size = chunk_size
        self.overlap_size = overlap_size
        self.url_for = url_for
        self.url_expires = url_expires
        self.delete_missing = delete_missing
        self.max_deletes = max_deletes
        self.allow_empty_source = allow_empty_source
        # Not self.dry_run: BaseOperator.dry_run() is a method.
        self.is_dry_run = bool(dry_run)
        self.knowledge_base_asset = None if dry_run else knowledge_base_asset
        if url_for is not None and not callable(url_for):
            raise SignalWireConfigError(
                f"{self.task_id}: url_for is {shown(url_for)}: give a callable or None."
            )
        for name, value in (("max_deletes", max_deletes), ("url_expires", url_expires)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise SignalWireConfigError(
                    f"{self.task_id}: {name} is {shown(value)}: use a whole number >= 0."
                )
        if isinstance(source, (list, tuple)) and collection is None:
            raise SignalWireConfigError(
                f"{self.task_id}: source is a list of URLs: give collection, a name for the documents this "
                "sync owns (e.g. 'faq-pages')."
            )
        self._arguments(rendered=False)
        literal = isinstance(source, str) and not is_pending(source)
        local = literal and destination_url(source, "source", folder_ok=True).startswith(("file:", "local:"))
        if url_for is None and local:
            raise self._cannot_presign("file")

    def _cannot_presign(self, protocol: str) -> SignalWireConfigError:
        return SignalWireConfigError(
            f"{self.task_id}: {protocol}:// storage cannot presign URLs: give url_for, a callable returning "
            "a URL SignalWire can fetch each object from."
        )

    # ------------------------------------------------------------------ arguments
    def _arguments(self, *, rendered: bool) -> tuple[list[str], dict[str, Any]]:
        task = self.task_id
        tags = check_tags(task, self.tags, rendered=rendered) or []
        if not is_pending(tags):
            reserved = [t for t in tags if t.startswith(SYNC_TAG_PREFIX)]
            if reserved:
                raise SignalWireConfigError(
                    f"{task}: tags {reserved} start with {SYNC_TAG_PREFIX!r}, which the sync keeps for its "
                    "own tags (collection, source, content hash): rename them."
                )
        settings = {name: getattr(self, name) for name in CHUNKING_SETTINGS}
        chunking = chunking_fields(task, self.chunking_strategy, settings, rendered=rendered)
        source = self.source
        if isinstance(source, (list, tuple)):
            for url in source:
                check_document_url(task, url, rendered=rendered)
        elif not is_storage_path(source) and (rendered or not is_pending(source)):
            destination_url(source, f"{task}: source", folder_ok=True)
        return tags, chunking

    def _source_items(self) -> tuple[list[SourceItem], str]:
        """The source's documents (sorted by key) and the collection name."""
        task = self.task_id
        if isinstance(self.source, (list, tuple)):
            urls = sorted({check_document_url(task, u, rendered=True) for u in self.source})
            return [SourceItem(url, URL_ONLY) for url in urls], str(self.collection)
        folder = self.source
        if not is_storage_path(folder):
            folder = open_destination(
                destination_url(folder, f"{task}: source", folder_ok=True), f"{task}: source"
            )
        root = str(folder.path).rstrip("/")
        prefix = f"{folder.protocol}://{root}"
        # A filesystem Airflow keeps between runs may hold a listing (and ETags) from the last one.
        folder.fs.invalidate_cache(root)
        try:
            found = sorted(folder.fs.find(root, withdirs=False))
        except FileNotFoundError:
            found = []
        items = []
        for name in found:
            relative = str(name)[len(root) :].lstrip("/")
            if not relative or any(part.startswith(".") for part in relative.split("/")):
                continue
            path = folder / relative
            items.append(SourceItem(f"{prefix}/{relative}", _sha256(folder.fs, name), path))
        return items, str(self.collection or prefix)

    def _url(self, item: SourceItem) -> str:
        if item.path is None:
            return item.key
        if item.key in self._urls:
            return self._urls[item.key]
        if self.url_for is not None:
            url = self.url_for(item.path)
        else:
            try:
                url = item.path.fs.sign(item.path.path, expiration=self.url_expires)
            except NotImplementedError:
                raise self._cannot_presign(item.path.protocol) from None
        url = check_document_url(self.task_id, url, rendered=True)
        mask_secret(url)
        self._urls[item.key] = str(url)
        return str(url)

    # ------------------------------------------------------------------ run
    def execute(self, context: Context) -> dict[str, Any]:
        user_tags, chunking = self._arguments(rendered=True)
        self._urls: dict[str, str] = {}  # source key -> URL made this run (presigned once)
        items, collection = self._source_items()
        tag = COLLECTION_TAG + collection
        listing = self.hook.paginate(DOCUMENTS, page_size=MAX_PAGE_SIZE)
        documents = [d for d in listing if tag in (d.get("tags") or ())]
        explicit = {k: v for k, v in chunking.items() if k != "chunking_strategy"}
        plan = plan_sync(
            items,
            documents,
            user_tags=user_tags,
            chunking={"chunking_strategy": chunking["chunking_strategy"], **explicit},
            delete_missing=bool(self.delete_missing),
        )
        self.log.info(
            "Datasphere collection %r: %d objects in the source, %d documents; plan: %d to create, %d to "
            "replace, %d gone from the source, %d stale copies, %d unchanged%s.",
            collection,
            len(items),
            len(documents),
            len(plan.create),
            len(plan.replace),
            len(plan.delete_missing),
            len(plan.delete_stale),
            plan.unchanged,
            " (dry run: nothing is changed)" if self.is_dry_run else "",
        )
        if self.max_deletes is not None and len(plan.delete_missing) > self.max_deletes:
            raise SignalWireConfigError(
                f"{self.task_id}: {len(plan.delete_missing)} documents of collection {collection!r} have no "
                f"object in the source any more, more than max_deletes={self.max_deletes}: nothing was "
                "changed. Check the source; raise max_deletes if the deletions are intended."
            )
        if not items and documents and self.delete_missing and not self.allow_empty_source:
            raise SignalWireConfigError(
                f"{self.task_id}: the source has no objects but collection {collection!r} has "
                f"{len(documents)} documents: nothing was changed (a wrong path?). Pass "
                "allow_empty_source=True to delete them all."
            )
        news = [*plan.create, *(item for item, _ in plan.replace)]
        if news and not self.is_dry_run:
            self._url(news[0])  # storage that cannot presign fails here, before any change
        run = _Run(self, collection, [tag, *user_tags], chunking)
        run.apply(plan)
        report = run.report()
        self.log.info(
            "Datasphere sync of %r%s: %d created, %d replaced, %d deleted, %d unchanged, %d failed.",
            collection,
            " (dry run)" if self.is_dry_run else "",
            *(report[k] for k in ("created", "replaced", "deleted", "unchanged", "failed")),
        )
        events = context.get("outlet_events")
        if self.knowledge_base_asset and events is not None:
            asset = asset_classes()[0](self.knowledge_base_asset)
            counts = {k: report[k] for k in ("created", "replaced", "deleted", "unchanged", "failed")}
            events[asset].extra.update({"collection": collection, **counts})
        if report["failed"]:
            raise AirflowException(
                f"{self.task_id}: {report['failed']} of the collection's documents could not be synced (see "
                "the log above); the others were. Rerunning the task retries them."
            )
        return report


class _Run:
    """Applies a plan (or, in a dry run, only reports it), one document at a time."""

    def __init__(
        self, op: SyncToDatasphereOperator, collection: str, tags: list[str], chunking: dict[str, Any]
    ):
        self.op = op
        self.collection = collection
        self.tags = tags
        self.chunking = chunking
        self.counts = dict.fromkeys(("created", "replaced", "deleted", "unchanged", "failed"), 0)
        self.actions: list[dict[str, Any]] = []

    def audit(self, action: str, source: str | None, document_id: Any, note: str = "") -> None:
        prefix = "Would " + action if self.op.is_dry_run else action.capitalize()
        self.op.log.info("%s: source %s, document %s%s", prefix, source, document_id, note)
        if len(self.actions) < MAX_REPORTED_ACTIONS:
            self.actions.append({"action": action, "source": source, "document_id": document_id})

    def apply(self, plan: SyncPlan) -> None:
        self.counts["unchanged"] = plan.unchanged
        for item in plan.create:
            if self.create(item, "create") is not None:
                self.counts["created"] += 1
        for item, old in plan.replace:
            if self.op.is_dry_run:
                self.audit("replace", item.key, [d.get("id") for d in old])
                self.counts["replaced"] += 1
            elif self.create(item, "replace") is not None and all(
                self.delete(d, item.key, "delete old version") for d in old
            ):
                self.counts["replaced"] += 1
        for doc, why in [
            *((d, "delete gone") for d in plan.delete_missing),
            *((d, "delete stale copy") for d in plan.delete_stale),
        ]:
            if self.delete(doc, sync_tags(doc)[0], why):
                self.counts["deleted"] += 1

    def create(self, item: SourceItem, action: str) -> dict[str, Any] | None:
        """The new document (None when it could not be made: counted as failed)."""
        if self.op.is_dry_run:
            self.audit(action, item.key, None)
            return {}
        tags = [*self.tags, SOURCE_TAG + item.key, SHA256_TAG + item.sha256]
        try:
            body = {"url": self.op._url(item), "tags": tags, **self.chunking}
            document = self.op.hook.request("POST", DOCUMENTS, json=body)
        except (SignalWireAPIError, OSError, ValueError) as err:  # ValueError: a bad URL from url_for
            self.fail(f"{action} of {item.key} failed: {err}")
            return None
        if document.get("status") == "failed":
            self.fail(f"{action} of {item.key}: SignalWire could not fetch or process it (status failed)")
            self.delete(document, item.key, "delete failed new document", count=False)
            return None
        self.audit(action, item.key, document.get("id"), f" ({document.get('status')})")
        return dict(document)

    def delete(self, doc: Mapping[str, Any], source: str | None, why: str, *, count: bool = True) -> bool:
        if self.op.is_dry_run:
            self.audit(why, source, doc.get("id"))
            return True
        try:
            self.op.hook.request("DELETE", f"{DOCUMENTS}/{_segment(str(doc.get('id')))}")
        except SignalWireAPIError as err:
            if not is_missing(err):
                if count:
                    self.fail(f"{why} {doc.get('id')} (source {source}) failed: {err}")
                return False
        self.audit(why, source, doc.get("id"))
        return True

    def fail(self, message: str) -> None:
        self.counts["failed"] += 1
        self.op.log.warning("%s", message)

    def report(self) -> dict[str, Any]:
        return {
            **self.counts,
            "dry_run": bool(self.op.is_dry_run),
            "collection": self.collection,
            "actions": self.actions,
        }


def _sha256(fs: Any, name: str) -> str:
    digest = hashlib.sha256()
    with fs.open(name, "rb") as handle:
        while block := handle.read(_READ_CHUNK):
            digest.update(block)
    return digest.hexdigest()
