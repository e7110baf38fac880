"""Retention: delete SignalWire data older than a threshold, and redact old message bodies.

One operator covers every kind of data, each a row of :data:`RETENTION_KINDS` (where it is listed, its
date field, the call that deletes or redacts it): one task then holds one threshold, one ``max_items``
guard over everything it would touch and one audit trail. ``kinds=["call_recordings"]`` makes a task
per kind when kinds need different thresholds, tokens or schedules. Paths and bodies are those of
SignalWire's OpenAPI specs (the Compatibility API and the REST video and messaging sections).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException, mask_secret

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.lazy import Record
from airflow_provider_signalwire.operators._arguments import is_pending, rendered_bool, segment, shown
from airflow_provider_signalwire.operators._compatibility import COMPAT_API
from airflow_provider_signalwire.operators._window import run_due
from airflow_provider_signalwire.operators.base import SignalWireBaseOperator
from airflow_provider_signalwire.protocol.permissions import Requirement, combine, need
from airflow_provider_signalwire.storage import (
    check_destination_object,
    destination_url,
    download_destination,
    download_destination_text,
    is_storage_path,
    join_under,
    public_uri,
    recording_target,
    storage_path,
    store_download,
    stored_digest,
    write_atomically,
)
from airflow_provider_signalwire.times import api_time, as_age, day_filter, iso_z, parse_timestamp

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

__all__ = ["RETENTION_KINDS", "RetentionKind", "SignalWireRetentionOperator"]

ACCOUNT = COMPAT_API + "/Accounts/{account}"
DELETE, REDACT = "delete", "redact"
# How an item is archived before it goes: the item itself as JSON (RECORD), or a function giving the
# (url, format, size or None) of its file; None: this kind cannot be archived yet.
RECORD = "record"
# Messages SignalWire refuses to redact (messaging spec, "Redact a message").
IN_PROGRESS = ("queued", "initiated")
IN_PROGRESS_CODE = "cannot_redact_in_progress_message"
DEFAULT_MAX_ITEMS = 1000
LOGGED_ITEMS = 200  # items listed one per line in the task log; the audit has them all


def _no_filter(cutoff: datetime) -> dict[str, str]:
    return {}


def _day_before(name: str) -> Callable[[datetime], dict[str, str]]:
    """A Compatibility date filter on or before the cutoff's UTC day (coarse: the exact time is
    compared on each item)."""
    return lambda cutoff: {name: day_filter(cutoff, name) or ""}


def _created_before(cutoff: datetime) -> dict[str, str]:
    return {"created_before": api_time(cutoff, floor=False)}


def _has_media(message: Mapping[str, Any]) -> bool:
    return str(message.get("num_media", "1")) not in ("0", "")


FileSource = Callable[["SignalWireHook", Mapping[str, Any], str], tuple[str, Any, Any]]


def _fresh_link(hook: SignalWireHook, data: Mapping[str, Any], path: str) -> tuple[str, Any, Any]:
    """A room recording's file: its ``uri`` expires (about 15 minutes), so ask for a fresh one."""
    fresh = hook.request("GET", path)
    uri = fresh.get("uri")
    if isinstance(uri, str) and uri:
        mask_secret(uri)  # a signed link: anyone holding it can download the file while it lasts
    return uri, fresh.get("format"), fresh.get("size_in_bytes")


def _beside(suffix: str, format_field: str | None = None) -> FileSource:
    """A Compatibility resource's file: its ``uri`` on the space, ``.json`` replaced by ``suffix``."""

    def source(hook: SignalWireHook, data: Mapping[str, Any], path: str) -> tuple[str, Any, Any]:
        uri = str(data.get("uri") or "")
        url = hook.base_url + uri.removesuffix(".json") + suffix if uri.startswith("/") else ""
        return url, data.get(format_field) if format_field else suffix.lstrip("."), None

    return source


class Parents(Record):
    """Items listed per parent (a message's or fax's media): the parents' list, its filter, which to
    open."""

    path: str
    filters: Callable[[datetime], dict[str, str]]
    worth_listing: Callable[[Mapping[str, Any]], bool] = lambda parent: True
    id_field: str = "sid"


class RetentionKind(Record):
    """One kind of data: where it is listed, its date and id fields, what is done to it and where.

    ``list_path`` and ``item_path`` may hold ``{account}`` (the project), ``{parent}`` (the parent's id,
    with ``parents``) and ``{id}`` (the item's id)."""

    name: str
    noun: str
    permission: str
    list_path: str
    date_field: str
    action: str
    item_path: str
    id_field: str = "sid"
    filters: Callable[[datetime], dict[str, str]] = _no_filter
    parents: Parents | None = None
    archive: str | FileSource | None = None


# The kinds, one row each: adding one is a row (and its fake routes and tests).
RETENTION_KINDS: dict[str, RetentionKind] = {
    kind.name: kind
    for kind in (
        RetentionKind(
            "call_recordings",
            "call recording",
            "calling",
            f"{ACCOUNT}/Recordings",
            "date_created",
            DELETE,
            f"{ACCOUNT}/Recordings/{{id}}",
            filters=_day_before("DateCreated<"),
            archive=_beside(".wav"),
        ),
        RetentionKind(
            "video_recordings",
            "room recording",
            "video",
            "/api/video/room_recordings",
            "created_at",
            DELETE,
            "/api/video/room_recordings/{id}",
            id_field="id",
            archive=_fresh_link,
        ),
        RetentionKind(
            "transcriptions",
            "transcription",
            "calling",
            f"{ACCOUNT}/Transcriptions",
            "date_created",
            DELETE,
            f"{ACCOUNT}/Transcriptions/{{id}}",
            filters=_day_before("DateCreated<"),
            archive=RECORD,
        ),
        RetentionKind(
            "message_media",
            "message media",
            "messaging",
            f"{ACCOUNT}/Messages/{{parent}}/Media",
            "date_created",
            DELETE,
            f"{ACCOUNT}/Messages/{{parent}}/Media/{{id}}",
            parents=Parents(f"{ACCOUNT}/Messages", _day_before("DateSent<"), _has_media),
            archive=_beside("", "content_type"),
        ),
        RetentionKind(
            "fax_media",
            "fax media",
            "fax",
            f"{ACCOUNT}/Faxes/{{parent}}/Media",
            "date_created",
            DELETE,
            f"{ACCOUNT}/Faxes/{{parent}}/Media/{{id}}",
            parents=Parents(
                f"{ACCOUNT}/Faxes", lambda cutoff: {"DateCreatedOnOrBefore": api_time(cutoff, floor=False)}
            ),
        ),
        RetentionKind(
            "message_bodies",
            "message body",
            "messaging",
            "/api/messaging/logs",
            "created_at",
            REDACT,
            "/api/messaging/messages/{id}",
            id_field="id",
            filters=_created_before,
        ),
    )
}


class Item:
    """One thing to delete or redact, and what became of it."""

    def __init__(
        self,
        kind: RetentionKind,
        id: str,
        created: datetime | None,
        data: Mapping[str, Any],
        parent: str | None = None,
    ) -> None:
        self.kind = kind
        self.id = id
        self.created = created
        self.data = data
        self.parent = parent
        self.outcome = ""
        self.archive: dict[str, Any] | None = None
        self.error: str | None = None

    def __repr__(self) -> str:  # without data: a whole record, maybe with personal details
        return f"Item({self.kind.name!r}, {self.id!r}, outcome={self.outcome!r})"

    def path(self, account: str) -> str:
        return self.kind.item_path.format(
            account=segment(account), parent=segment(self.parent or ""), id=segment(self.id)
        )

    def audit(self) -> dict[str, Any]:
        line: dict[str, Any] = {
            "kind": self.kind.name,
            "id": self.id,
            "created": iso_z(self.created) if self.created else None,
            "action": self.kind.action,
            "outcome": self.outcome or "not_reached",
        }
        if self.parent is not None:
            line["parent_id"] = self.parent
        if self.archive is not None:
            line["archive"] = self.archive
        if self.error is not None:
            line["error"] = self.error
        return line


class SignalWireRetentionOperator(SignalWireBaseOperator):
    """
    Delete call recordings, room recordings, transcriptions, message media and fax media older than
    ``older_than``, and redact the bodies of older messages (``PATCH /api/messaging/messages/{id}``
    with ``{"body": ""}``).

    Everything is listed first; nothing is touched when ``dry_run`` is true, nor when more than
    ``max_items`` items would be (the task then fails before the first delete). Items already gone
    (404) count as done, so a rerun after a partial failure converges. Messages still in progress
    (queued, initiated) cannot be redacted: they are skipped and counted. Rate-limited calls (429) are
    retried with the hook's backoff; once its retries are spent the task stops and fails, with the
    items not reached in the audit. Each item acted on is one JSON line of ``audit_to`` (kind, id,
    created, action, outcome), written atomically, also when the task fails.

    With ``archive_to``, each item is first copied there and read back: the files of room recordings,
    call recordings (WAV) and message media (downloaded without the space's credentials, size checked
    where SignalWire announces it, SHA-256 computed on the way) and transcriptions (their JSON); an item
    is deleted only once its copy is stored and verified, and kept when the copy fails (files behind
    SignalWire's Media URL Protection are kept so). Fax media cannot be archived yet (refused before
    any request); message bodies are redacted, not archived.

    :param older_than: Age of what goes (templated): a ``timedelta``, seconds, or an ISO 8601 duration
        such as ``P90D``. Measured from when the run was due (``run_after``), else from now.
    :param kinds: What to clean, names of :data:`RETENTION_KINDS` (default all): ``call_recordings``,
        ``video_recordings``, ``transcriptions``, ``message_media``, ``fax_media``, ``message_bodies``.
    :param dry_run: List what would go and touch nothing; ``"True"``/``"False"`` from a template are
        accepted. Templated as ``only_log`` (``BaseOperator.dry_run`` is a method).
    :param max_items: Fail before touching anything when more items than this would go (templated;
        default 1000; None for no limit).
    :param audit_to: Where to write the audit as JSON lines (templated): an absolute path, a URL
        (``s3://bucket/audit/{{ ds }}.jsonl``) or an ``ObjectStoragePath``; None logs it only.
    :param archive_to: A folder to copy items into before deleting them (templated), laid out as
        ``<kind>/<id>.<ext>``: an absolute path or URL ending in ``/``, or an ``ObjectStoragePath``.
    :param redact_lookback: Redact only messages created within this long before the cutoff
        (templated; as ``older_than``): redacted messages stay listed, so a daily run would otherwise
        redact every old message again. None: all of them.
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: ``{"dry_run", "cutoff", "older_than_seconds", "counts": {kind: {outcome: n}}, "total":
        {outcome: n}, "audit"}``; outcomes ``deleted``, ``redacted``, ``already_gone``,
        ``skipped_in_progress``, ``would_delete``, ``would_redact``.
    :raises SignalWireConfigError: before any request, for a bad argument.
    :raises AirflowFailException: when more than ``max_items`` items would go.
    :raises AirflowException: when items could not be archived or deleted (the rest of the run done).
    """

    required_permissions = ("calling", "fax", "messaging", "video")

    template_fields: Sequence[str] = (
        "older_than",
        "only_log",
        "max_items",
        "audit_to",
        "archive_to",
        "redact_lookback",
        "signalwire_conn_id",
    )

    def __init__(
        self,
        *,
        older_than: Any,
        kinds: Sequence[str] | None = None,
        dry_run: Any = False,
        max_items: Any = DEFAULT_MAX_ITEMS,
        audit_to: Any = None,
        archive_to: Any = None,
        redact_lookback: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.older_than = older_than
        self.kinds = self._check_kinds(kinds)
        self.only_log = dry_run  # not self.dry_run: BaseOperator.dry_run() is a method
        self.max_items = max_items
        self.audit_to = audit_to
        self.archive_to = archive_to
        self.redact_lookback = redact_lookback
        # Literal values are judged now; templated ones once rendered, before any request.
        self._check_values(rendered=False)

    # ------------------------------------------------------------------ arguments

    def _check_kinds(self, kinds: Sequence[str] | None) -> tuple[str, ...]:
        if kinds is None:
            return tuple(RETENTION_KINDS)
        if isinstance(kinds, str) or not isinstance(kinds, (list, tuple)) or not kinds:
            raise SignalWireConfigError(
                f"{self.task_id}: kinds is {shown(kinds)}: give a list of {', '.join(RETENTION_KINDS)}."
            )
        unknown = [k for k in kinds if k not in RETENTION_KINDS]
        if unknown:
            raise SignalWireConfigError(
                f"{self.task_id}: kinds has {shown(unknown)}: use {', '.join(RETENTION_KINDS)}."
            )
        return tuple(dict.fromkeys(kinds))

    def _check_values(self, *, rendered: bool) -> None:
        def ready(value: Any) -> bool:
            return rendered or not is_pending(value)

        name = f"{self.task_id}: "
        if ready(self.older_than):
            as_age(self.older_than, name + "older_than")
        if self.redact_lookback is not None and ready(self.redact_lookback):
            as_age(self.redact_lookback, name + "redact_lookback")
        if ready(self.only_log):
            rendered_bool(self.only_log, name + "dry_run")
        if ready(self.max_items):
            self._limit()
        if self.audit_to is not None and ready(self.audit_to) and not is_storage_path(self.audit_to):
            destination_url(self.audit_to, name + "audit_to")
        if self.archive_to is not None:
            self._check_archive_kinds()
            if is_storage_path(self.archive_to):
                check_destination_object(self.archive_to, name + "archive_to")
            elif ready(self.archive_to):
                text = download_destination_text(self.task_id, self.archive_to)
                if not text.endswith("/"):
                    raise SignalWireConfigError(
                        f"{name}archive_to is {shown(self.archive_to)}: give a folder, ending in '/'."
                    )

    def _check_archive_kinds(self) -> None:
        cannot = [
            k
            for k in self.kinds
            if RETENTION_KINDS[k].archive is None and RETENTION_KINDS[k].action == DELETE
        ]
        if cannot:
            raise SignalWireConfigError(
                f"{self.task_id}: archive_to cannot archive {', '.join(cannot)} yet: give kinds without them "
                "(e.g. a second task for them without archive_to)."
            )

    def _limit(self) -> int | None:
        value = self.max_items
        if value is None or (isinstance(value, str) and value.strip() in ("", "None")):
            return None
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise SignalWireConfigError(
                f"{self.task_id}: max_items is {shown(self.max_items)}: give a whole number, 0 or more "
                "(or None for no limit)."
            )
        return value

    def permissions_needed(self) -> Requirement:
        return combine(need(RETENTION_KINDS[k].permission) for k in self.kinds)

    # ------------------------------------------------------------------ run

    def execute(self, context: Context) -> dict[str, Any]:
        self._check_values(rendered=True)
        age = as_age(self.older_than, f"{self.task_id}: older_than")
        dry_run = bool(rendered_bool(self.only_log, f"{self.task_id}: dry_run"))
        limit = self._limit()
        audit = None if self.audit_to is None else self._audit_path()
        archive = None if self.archive_to is None or dry_run else self._archive_root()
        cutoff = run_due(context) - age
        self.log.info(
            "Retention%s: %s older than %s (created before %s).",
            " (dry run: nothing is touched)" if dry_run else "",
            ", ".join(self.kinds),
            age,
            iso_z(cutoff),
        )
        items = self._list(cutoff)
        planned = [i for i in items if not i.outcome]
        failure: BaseException | None = None
        try:
            if dry_run:
                for item in planned:
                    item.outcome = f"would_{item.kind.action}"
                if limit is not None and len(planned) > limit:
                    self.log.warning(
                        "A real run would stop here: %d items would go, more than max_items=%d.",
                        len(planned),
                        limit,
                    )
            elif limit is not None and len(planned) > limit:
                for item in planned:
                    item.outcome = "not_run_max_items"
                failure = AirflowFailException(
                    f"{self.task_id}: {len(planned)} items are older than {age} ({self._by_kind(planned)}), "
                    f"more than max_items={limit}: nothing was deleted or redacted. Check older_than; if "
                    "the count is right, raise max_items (or run with dry_run=True to see the list)."
                )
            else:
                failure = self._act(planned, archive)
        finally:
            self._report(items, audit)
        result = self._result(items, dry_run, cutoff, age, audit)
        if failure is not None:
            raise failure
        return result

    def _audit_path(self) -> Any:
        if is_storage_path(self.audit_to):
            return check_destination_object(self.audit_to, f"{self.task_id}: audit_to")
        return storage_path(self.audit_to, f"{self.task_id}: audit_to")

    def _archive_root(self) -> Any:
        path, folder = download_destination(self.task_id, self.archive_to)
        if not folder:
            raise SignalWireConfigError(
                f"{self.task_id}: archive_to is {shown(str(self.archive_to))}: give a folder, ending in '/'."
            )
        return path

    # ------------------------------------------------------------------ listing

    def _list(self, cutoff: datetime) -> list[Item]:
        account = self.hook.settings.project_id
        lookback = None
        if self.redact_lookback is not None:
            lookback = cutoff - as_age(self.redact_lookback, f"{self.task_id}: redact_lookback")
        items: list[Item] = []
        for name in self.kinds:
            kind = RETENTION_KINDS[name]
            found = 0
            for data, parent in self._listing(kind, account, cutoff):
                item = self._item(kind, data, parent)
                if item.created is None:
                    item.outcome = "skipped_no_date"
                elif item.created >= cutoff or (
                    kind.action == REDACT and lookback and item.created < lookback
                ):
                    continue
                elif kind.action == REDACT and data.get("status") in IN_PROGRESS:
                    item.outcome = "skipped_in_progress"
                items.append(item)
                found += 1
            self.log.info("%s: %d older than the cutoff.", name, found)
        return items

    def _listing(
        self, kind: RetentionKind, account: str, cutoff: datetime
    ) -> Iterator[tuple[Mapping[str, Any], str | None]]:
        quoted = segment(account)
        if kind.parents is None:
            for data in self.hook.paginate(
                kind.list_path.format(account=quoted), params=kind.filters(cutoff)
            ):
                yield data, None
            return
        parents = kind.parents
        for parent in self.hook.paginate(parents.path.format(account=quoted), params=parents.filters(cutoff)):
            parent_id = str(parent.get(parents.id_field) or "")
            if not parent_id or not parents.worth_listing(parent):
                continue
            path = kind.list_path.format(account=quoted, parent=segment(parent_id))
            try:
                for data in self.hook.paginate(path, params=kind.filters(cutoff)):
                    yield data, parent_id
            except SignalWireAPIError as err:
                if err.status_code != 404:  # the parent went between the two listings
                    raise

    def _item(self, kind: RetentionKind, data: Mapping[str, Any], parent: str | None) -> Item:
        item_id = data.get(kind.id_field)
        if not isinstance(item_id, str) or not item_id.strip():
            raise AirflowException(
                f"{self.task_id}: a listed {kind.noun} has no {kind.id_field!r}: nothing was deleted."
            )
        return Item(kind, item_id, parse_timestamp(data.get(kind.date_field)), data, parent)

    # ------------------------------------------------------------------ acting

    def _act(self, planned: list[Item], archive: Any) -> BaseException | None:
        """Archive and delete (or redact) each item; returns the failure that ended the run, if any."""
        account = self.hook.settings.project_id
        kept = 0
        for n, item in enumerate(planned):
            try:
                if archive is not None and item.kind.archive is not None:
                    item.archive = self._archive(item, archive)
                if item.kind.action == DELETE:
                    self.hook.request("DELETE", item.path(account))
                    item.outcome = "deleted"
                else:
                    self.hook.request("PATCH", item.path(account), json={"body": ""})
                    item.outcome = "redacted"
            except SignalWireAPIError as err:
                if err.status_code == 404:
                    item.outcome = "already_gone"
                elif item.kind.action == REDACT and _in_progress(err):
                    item.outcome = "skipped_in_progress"
                else:  # a 429 storm past the hook's retries, 5xx, a refused token: stop, never skip
                    item.outcome, item.error = "failed", str(err)[:500]
                    for rest in planned[n + 1 :]:
                        rest.outcome = "not_reached"
                    return AirflowException(
                        f"{self.task_id}: stopped at {item.kind.noun} {item.id}: {err} Items not reached are "
                        "in the audit as not_reached; a rerun continues (what is gone counts as done)."
                    )
            except (AirflowException, OSError) as err:  # the archive copy failed: keep the item
                item.outcome, item.error = "kept_archive_failed", str(err)[:500]
                kept += 1
        if kept:
            return AirflowException(
                f"{self.task_id}: {kept} items could not be archived and were kept (kept_archive_failed in "
                "the audit); the others are done. A rerun tries the kept ones again."
            )
        return None

    def _archive(self, item: Item, root: Any) -> dict[str, Any]:
        """Copy the item under ``root/<kind>/``, read it back and check it; returns the audit's record."""
        folder = join_under(root, item.kind.name, "kind")
        if item.kind.archive == RECORD:
            data = json.dumps(item.data, sort_keys=True).encode("utf-8")
            target = join_under(folder, f"{item.id}.json", f"{item.kind.noun} id")

            def write(out: Any) -> tuple[int, str]:
                out.write(data)
                return len(data), hashlib.sha256(data).hexdigest()

            size, sha256 = write_atomically(target, write)
        else:
            target, size, sha256 = self._download(item, folder)
        if stored_digest(target) != (size, sha256):
            raise AirflowException(
                f"{self.task_id}: the archived copy of {item.kind.noun} {item.id} at {target} does not read "
                "back as written: it was kept."
            )
        return {"path": public_uri(target), "size": size, "sha256": sha256}

    def _download(self, item: Item, folder: Any) -> tuple[Any, int, str]:
        source = item.kind.archive
        assert callable(source)
        url, fmt, expected = source(self.hook, item.data, item.path(self.hook.settings.project_id))
        if not isinstance(url, str) or not url:
            raise AirflowException(f"{self.task_id}: {item.kind.noun} {item.id} has no file to download.")
        target = recording_target(folder, item.id, fmt, folder=True, task_id=self.task_id)
        if isinstance(expected, bool) or not isinstance(expected, int) or expected < 0:
            expected = None
        try:
            with self.hook.open_download(url) as download:
                size, sha256 = store_download(
                    download, target, expected, task_id=self.task_id, what=f"{item.kind.noun} {item.id}"
                )
        except SignalWireAPIError as err:
            # The file host never gets the space's credentials: files behind SignalWire's Media URL
            # Protection answer 401 and are kept.
            raise AirflowException(
                f"{self.task_id}: the file of {item.kind.noun} {item.id} could not be downloaded ({err})."
            ) from None
        return target, size, sha256

    # ------------------------------------------------------------------ reporting

    def _report(self, items: list[Item], audit: Any) -> None:
        for item in items[:LOGGED_ITEMS]:
            self.log.info(
                "%s %s (created %s): %s",
                item.kind.noun,
                item.id,
                iso_z(item.created) if item.created else "?",
                item.outcome or "not_reached",
            )
        if len(items) > LOGGED_ITEMS:
            self.log.info("... and %d more items (the audit lists them all).", len(items) - LOGGED_ITEMS)
        for kind, counts in _counts(items, self.kinds).items():
            self.log.info(
                "%s: %s", kind, ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing"
            )
        if audit is not None:
            lines = "".join(json.dumps(item.audit(), sort_keys=True) + "\n" for item in items).encode("utf-8")
            write_atomically(audit, lambda out: out.write(lines))
            self.log.info("Wrote the audit of %d items to %s.", len(items), public_uri(audit))

    def _by_kind(self, items: list[Item]) -> str:
        counts = Counter(i.kind.name for i in items)
        return ", ".join(f"{k} {n}" for k, n in counts.items())

    def _result(
        self, items: list[Item], dry_run: bool, cutoff: datetime, age: Any, audit: Any
    ) -> dict[str, Any]:
        counts = _counts(items, self.kinds)
        total: Counter[str] = Counter()
        for per_kind in counts.values():
            total.update(per_kind)
        return {
            "dry_run": dry_run,
            "cutoff": iso_z(cutoff),
            "older_than_seconds": age.total_seconds(),
            "counts": counts,
            "total": dict(total),
            "audit": public_uri(audit) if audit is not None else None,
        }


def _counts(items: list[Item], kinds: Sequence[str]) -> dict[str, dict[str, int]]:
    """{kind: {outcome: n}} for every kind of the task (empty when nothing of it was old enough)."""
    counts: dict[str, dict[str, int]] = {kind: {} for kind in kinds}
    for item in items:
        per_kind = counts.setdefault(item.kind.name, {})
        outcome = item.outcome or "not_reached"
        per_kind[outcome] = per_kind.get(outcome, 0) + 1
    return counts


def _in_progress(err: SignalWireAPIError) -> bool:
    return err.status_code == 422 and any(
        isinstance(e, Mapping) and e.get("code") == IN_PROGRESS_CODE for e in err.errors
    )
