"""Where operators write files: the destination a user gives, and file names made of API data.

The rules are written once, for every operator that writes files (recording downloads, log exports):

* A destination is an absolute local path or the URL of a filesystem Airflow's ``ObjectStoragePath``
  can write (``file://``, ``s3://``, ``gs://`` ...): never relative to the worker's directory, never
  ``http(s)://``. :func:`destination_url` checks the text (no I/O, no imports: it runs when a DAG is
  parsed, for literal values, and again on rendered values before any request); :func:`open_destination`
  then loads its filesystem, still before any request.
* A file name built from data (a recording id, the API's ``format``, a window stamp) is one plain name:
  :func:`file_name` refuses ``/``, ``\\``, ``..``, NUL and control characters, empty and overlong names,
  and :func:`join_under` checks that the file it names stays under its folder.

* A file is written atomically (:func:`write_atomically`): through a temporary object beside it, moved
  onto the final name once complete; a download is copied through :func:`copy_checked`, which stops at
  the announced size and hashes on the way.

Nothing heavy is imported at module level: operator modules import this when a DAG file is parsed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import posixpath
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from typing import IO, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.lazy import LazyPattern

log = logging.getLogger(__name__)
T = TypeVar("T")

# Longest file name built from data, in UTF-8 bytes: with the ".<name>.<12 hex>.part" temporary name
# written beside it, it stays under the 255 bytes most filesystems allow.
MAX_NAME_BYTES = 200
# Control, format (e.g. right-to-left override), surrogate and line/paragraph separator characters.
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_SCHEME = LazyPattern(r"[a-z][a-z0-9+.-]*")
_LOCAL = ("file", "local", "")


def _shown(value: Any) -> str:
    text = repr(value)  # repr escapes control characters: the message shows them, never prints them
    return text if len(text) <= 120 else text[:117] + "..."


def name_problem(value: Any) -> str | None:
    """Why ``value`` cannot be one file name inside a folder, or None when it can."""
    if not isinstance(value, str):
        return "a file name must be text"
    if not value.strip():
        return "an empty file name"
    if "/" in value or "\\" in value:
        return "it holds a path separator ('/' or '\\'), so it could name a file in another folder"
    if "\x00" in value:
        return "it holds a NUL character"
    if any(unicodedata.category(ch) in _CONTROL_CATEGORIES for ch in value):
        return "it holds a control character (a line break, tab, escape ...)"
    if ".." in value or value == ".":
        return "it holds '..' (or is '.'), which names a folder, not a file"
    size = len(value.encode("utf-8"))
    if size > MAX_NAME_BYTES:
        return f"it is {size} bytes long; a file name made of it is kept to {MAX_NAME_BYTES}"
    return None


def file_name(value: Any, field: str) -> str:
    """``value`` when it is safe as one file name inside a folder; otherwise
    :class:`SignalWireConfigError` naming ``field``."""
    problem = name_problem(value)
    if problem:
        raise SignalWireConfigError(f"{field} is {_shown(value)}: {problem}.")
    return value


def _location(path: Any) -> tuple[str, str]:
    """(protocol, normalised path) of a local path or an ``ObjectStoragePath``."""
    protocol = getattr(path, "protocol", None)
    if protocol is None:  # a plain str or os.PathLike
        return "file", os.path.normpath(os.path.abspath(os.fspath(path)))
    protocol = "file" if protocol in _LOCAL else str(protocol)
    text = str(path.path)
    return protocol, posixpath.normpath(text) if text else text


def is_under(folder: Any, target: Any) -> bool:
    """Whether ``target`` lies inside ``folder`` (same filesystem, below it once ``.`` and ``..`` are
    resolved); both local paths or both ``ObjectStoragePath``."""
    folder_protocol, folder_path = _location(folder)
    target_protocol, target_path = _location(target)
    if folder_protocol != target_protocol or not target_path:
        return False
    prefix = folder_path.rstrip("/") + "/"
    return target_path.startswith(prefix) and len(target_path) > len(prefix)


def join_under(folder: Any, name: Any, field: str) -> Any:
    """``folder / name``: ``name`` checked by :func:`file_name` and the result checked to stay under
    ``folder``; :class:`SignalWireConfigError` naming ``field`` otherwise."""
    target = folder / file_name(name, field)
    if not is_under(folder, target):
        raise SignalWireConfigError(
            f"{field} is {_shown(name)}: the file it names, {_shown(str(target))}, is not inside "
            f"{_shown(str(folder))}."
        )
    return target


# --------------------------------------------------------------------------- destinations


def destination_url(destination: Any, name: str = "destination", *, folder_ok: bool = False) -> str:
    """``destination`` (text) as a URL: ``file://`` added to an absolute local path.

    Refused, naming ``name``: empty, a relative or ``~`` path (it would depend on the worker's
    directory and user), a malformed scheme, ``http(s)://`` (not writable), control characters, and a
    folder (a trailing ``/``) unless ``folder_ok``. No I/O and no imports: safe when a DAG is parsed.
    """
    text = destination.strip() if isinstance(destination, str) else ""
    if not text:
        raise SignalWireConfigError(
            f"{name} is {_shown(destination)}: give a file path or URL, e.g. "
            "'file:///data/signalwire/voice.jsonl' or 's3://bucket/signalwire/voice.jsonl'."
        )
    if any(unicodedata.category(ch) in _CONTROL_CATEGORIES for ch in text):
        raise SignalWireConfigError(
            f"{name} is {_shown(text)}: it holds a control character (a line break, tab ...); check its "
            "template or the XCom it pulls."
        )
    if "://" not in text:
        if not text.startswith("/"):
            raise SignalWireConfigError(
                f"{name} is {_shown(text)}: a relative path depends on the worker's directory (and '~' on "
                "its user); give an absolute path or a URL (file://, s3://, gs://, ...)."
            )
        text = "file://" + text
    scheme = text.split("://", 1)[0].lower()
    if not _SCHEME.fullmatch(scheme):
        raise SignalWireConfigError(f"{name} is {_shown(text)}: the part before :// is not a URL scheme.")
    if scheme in _LOCAL and not text.split("://", 1)[1].startswith("/"):
        # fsspec reads file://data/x (and file://~/x, file://localhost/x) relative to the worker's directory.
        raise SignalWireConfigError(
            f"{name} is {_shown(text)}: a {scheme}:// URL needs the absolute path after it, three slashes "
            f"in all (e.g. '{scheme}:///data/signalwire/'); with two the path is relative to the worker's "
            "directory."
        )
    if scheme in ("http", "https"):
        raise SignalWireConfigError(
            f"{name} is {_shown(text)}: http(s) URLs cannot be written; use an object store URL (s3://, "
            "gs://, ...) or a file path."
        )
    if not folder_ok and is_folder_text(text):
        raise SignalWireConfigError(f"{name} is {_shown(text)}: that names a folder; add the file name.")
    return text


def is_folder_text(text: str) -> bool:
    """A destination written as a folder: a trailing ``/`` (or ``/.``, ``/..``)."""
    return text.endswith("/") or text.rstrip("/").endswith(("/.", "/.."))


def open_destination(url: str, name: str = "destination") -> Any:
    """The ``ObjectStoragePath`` of a URL from :func:`destination_url`, with its filesystem loaded
    (a scheme whose filesystem is not installed is refused here, before any request)."""
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    scheme = url.split("://", 1)[0].lower()
    try:
        path = ObjectStoragePath(url)
        path.fs  # noqa: B018  # the filesystem implementation is loaded (and may be missing) here
    except (ImportError, ValueError) as err:
        raise SignalWireConfigError(
            f"{name} is {_shown(url)}: no filesystem for {scheme}:// could be loaded ({err}); install its "
            "fsspec implementation (e.g. the Amazon provider for s3://, Google's for gs://)."
        ) from None
    return path


def check_destination_object(path: Any, name: str = "destination") -> Any:
    """An ``ObjectStoragePath`` given as destination: refused when it is ``http(s)`` or a relative
    local path (the same rules as for text)."""
    protocol = str(getattr(path, "protocol", "") or "")
    if protocol in ("http", "https"):
        raise SignalWireConfigError(
            f"{name} is {_shown(str(path))}: http(s) URLs cannot be written; use an object store URL "
            "(s3://, gs://, ...) or a file path."
        )
    if protocol in _LOCAL and not str(getattr(path, "path", "")).startswith("/"):
        raise SignalWireConfigError(
            f"{name} is {_shown(str(path))}: a relative path depends on the worker's directory; give an "
            "absolute path or a URL (file://, s3://, gs://, ...)."
        )
    return path


def storage_path(destination: Any, name: str = "destination") -> Any:
    """``destination`` as an ``ObjectStoragePath`` (``file://``, ``s3://``, ... or an absolute local
    path), refusing what cannot be a file to write: empty, relative, a folder (trailing ``/``), an
    ``http(s)://`` URL, or a scheme whose filesystem is not installed."""
    text = destination_url(destination, name)
    path = open_destination(text, name)
    if not path.name:
        raise SignalWireConfigError(f"{name} is {text!r}: that names no file.")
    return path


def public_uri(path: Any) -> str:
    """The path's URL without a connection id or credentials (for assets, lineage and XCom)."""
    parts = urlsplit(str(path))
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def is_local(path: Any) -> bool:
    """Whether ``path`` (an ``ObjectStoragePath``) is on the local disk."""
    return getattr(path, "protocol", "file") in _LOCAL


def is_storage_path(value: Any) -> bool:
    """An ``ObjectStoragePath`` (Airflow 2 or 3), told apart without importing it."""
    return hasattr(type(value), "protocol") and hasattr(type(value), "fs")


def asset_classes() -> tuple[Any, Any]:
    """(Asset, AssetAlias) on Airflow 3; (Dataset, DatasetAlias) on 2.x."""
    try:
        from airflow.sdk import Asset, AssetAlias
    except ImportError:  # Airflow 2
        from airflow.datasets import Dataset as Asset  # type: ignore[no-redef]
        from airflow.datasets import DatasetAlias as AssetAlias  # type: ignore[no-redef]
    return Asset, AssetAlias


# --------------------------------------------------------------------------- download targets


def download_destination_text(task_id: str, destination: Any) -> str:
    """A download destination given as text or a ``pathlib`` path, checked and made a URL (no I/O);
    a folder (trailing ``/``) is allowed."""
    if isinstance(destination, os.PathLike):
        destination = os.fspath(destination)
    if not isinstance(destination, str):
        raise SignalWireConfigError(
            f"{task_id}: destination is {_shown(destination)}: give a path, a URL such as "
            "'s3://bucket/recordings/' or an ObjectStoragePath."
        )
    return destination_url(destination, f"{task_id}: destination", folder_ok=True)


def download_destination(task_id: str, destination: Any) -> tuple[Any, bool]:
    """The rendered download destination as an ``ObjectStoragePath`` (its filesystem loaded) and whether
    it is a folder; refused before any request when it cannot be written."""
    if is_storage_path(destination):
        path = check_destination_object(destination, f"{task_id}: destination")
        return path, str(path).endswith("/") or (is_local(path) and path.is_dir())
    url = download_destination_text(task_id, destination)
    folder = is_folder_text(url)
    path = open_destination(url, f"{task_id}: destination")
    if is_local(path):
        _check_local(task_id, url, path, folder)
    return path, folder


def _check_local(task_id: str, url: str, path: Any, folder: bool) -> None:
    """A local destination a file can be moved onto: not an existing folder (unless written as one),
    and below a folder, not a file."""
    if not folder and path.is_dir():
        raise SignalWireConfigError(
            f"{task_id}: destination is {_shown(url)}, an existing folder: end it with '/' to download into "
            "it (the file is then named <recording id>.<format>), or add the file name."
        )
    parent = os.path.normpath(str(path.path) if folder else os.path.dirname(str(path.path)))
    while parent and not os.path.exists(parent) and os.path.dirname(parent) != parent:
        parent = os.path.dirname(parent)
    if os.path.exists(parent) and not os.path.isdir(parent):
        raise SignalWireConfigError(
            f"{task_id}: destination is {_shown(url)}, but {parent} is a file, not a folder: choose another "
            "destination."
        )


def recording_file_name(task_id: str, recording_id: str) -> str:
    """A recording id that can be a file name (``<id>.<format>``): refused naming the field otherwise."""
    try:
        return file_name(recording_id, "recording_id")
    except SignalWireConfigError as err:
        raise SignalWireConfigError(
            f"{task_id}: {err} Give the recording's id as SignalWire lists it (a UUID)."
        ) from None


def recording_target(path: Any, recording_id: str, fmt: Any, *, folder: bool, task_id: str = "") -> Any:
    """The file to write: ``path`` itself, or ``<recording id>.<ext>`` inside it when it is a folder,
    checked to stay inside it."""
    if not folder:
        return path
    try:
        extension = file_extension(fmt)
    except SignalWireConfigError as err:
        from airflow.providers.common.compat.sdk import AirflowFailException

        raise AirflowFailException(
            f"{task_id}: SignalWire's answer for room recording {recording_id} cannot name the file: {err} "
            "Give destination a file name (not a folder) to download it anyway."
        ) from None
    return join_under(path, f"{recording_id}.{extension}", "recording_id")


_MIME = LazyPattern(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


def file_extension(fmt: Any) -> str:
    """``mp4`` from ``mp4`` or ``video/mp4`` (the spec calls ``format`` a MIME type); default mp4.
    A value that could not be part of a file name (``../x``, ``/etc/x``, control characters) is refused
    (:class:`SignalWireConfigError` naming ``format``), not cleaned up."""
    if fmt is None or (isinstance(fmt, str) and not fmt.strip()):
        return "mp4"
    text = fmt.strip().lower() if isinstance(fmt, str) else fmt
    if isinstance(text, str):
        mime = text.split(";", 1)[0].strip()
        if _MIME.fullmatch(mime):
            text = mime.split("/", 1)[1]
    file_name(text, "format")
    text = "".join(c for c in text if c.isascii() and c.isalnum())
    return text[:10] or "mp4"


# --------------------------------------------------------------------------- writing


def write_atomically(path: Any, write: Callable[[IO[bytes]], T], *, suffix: str = ".tmp") -> T:
    """Write through ``write(file)`` to a temporary object beside ``path`` (``.<name>.<12 hex><suffix>``),
    then move it onto ``path``; returns what ``write`` returned.

    The final name is untouched until the data is complete (a rerun replaces it, a failure leaves
    what was there, or nothing); the temporary object is removed on failure.
    """
    local = is_local(path)
    if local:
        path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / f".{path.name}.{uuid.uuid4().hex[:12]}{suffix}"
    try:
        with temporary.open("wb") as fh:
            result = write(fh)
        if local:
            os.replace(temporary.path, path.path)
        else:
            # fsspec's move: copy then delete on object stores, where the final object appears whole or
            # not at all.
            temporary.fs.mv(temporary.path, path.path)
    except BaseException:
        try:
            temporary.unlink(missing_ok=True)
        except Exception:  # the original error matters more than the cleanup's
            log.warning("Could not remove the temporary file %s.", temporary)
        raise
    return result


def copy_checked(
    chunks: Iterable[bytes],
    out: IO[bytes],
    *,
    limit: int | None,
    too_long: Callable[[int], BaseException],
    report: Callable[[int, float], None] | None = None,
    report_every: float = 10.0,
) -> tuple[int, str]:
    """Copy ``chunks`` to ``out``; returns (bytes, SHA-256 hex digest).

    A chunk that would take the size past ``limit`` raises ``too_long(size)`` before it is written, so
    ``out`` never holds more than ``limit`` bytes. ``report(size, seconds)`` is called at most every
    ``report_every`` seconds."""
    digest = hashlib.sha256()
    size = 0
    started = last = time.monotonic()
    for chunk in chunks:
        size += len(chunk)
        if limit is not None and size > limit:
            raise too_long(size)
        out.write(chunk)
        digest.update(chunk)
        if report is not None:
            now = time.monotonic()
            if now - last >= report_every:
                last = now
                report(size, now - started)
    return size, digest.hexdigest()


def store_download(
    download: Any,
    target: Any,
    expected: int | None,
    *,
    task_id: str,
    what: str,
    report: Callable[[str], None] | None = None,
    report_every: float = 10.0,
) -> tuple[int, str]:
    """Write an open download (the hook's ``open_download``) onto ``target`` atomically (``.part``
    beside it), checking its size as it comes against ``expected`` (else the announced length): a byte
    past it stops the download, a short file is refused. Returns (bytes, SHA-256 hex digest).

    ``what`` names the file in errors ("the recording"); ``report(text)`` gets progress lines.
    :raises AirflowException: when the file is longer or shorter than announced (retryable).
    """
    from airflow.providers.common.compat.sdk import AirflowException

    total = expected if expected is not None else download.size

    def too_long(size: int, verb: str) -> AirflowException:
        return AirflowException(
            f"{task_id}: the file host {verb} {size} bytes but SignalWire announced {total}: the download "
            f"was stopped; nothing was written to {target}. Retrying the task downloads it again."
        )

    if total is not None and download.size is not None and download.size > total:
        raise too_long(download.size, "announces")

    def progress(size: int, seconds: float) -> None:
        if report is not None:
            report(f"Downloaded {progress_text(size, total)} ({rate_text(size, seconds)}).")

    def write(out: IO[bytes]) -> tuple[int, str]:
        size, sha256 = copy_checked(
            download.chunks,
            out,
            limit=total,
            too_long=lambda size: too_long(size, "sent at least"),
            report=progress,
            report_every=report_every,
        )
        if total is not None and size != total:
            raise AirflowException(
                f"{task_id}: {what}'s file has {size} bytes but SignalWire announced {total}: the download "
                f"is incomplete or the file changed; nothing was written to {target}. Retrying the task "
                "downloads it again."
            )
        return size, sha256

    return write_atomically(target, write, suffix=".part")


def stored_digest(path: Any, chunk_size: int = 1024 * 1024) -> tuple[int, str]:
    """(bytes, SHA-256 hex digest) of a stored file, read back from its filesystem."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(chunk_size):
            size += len(chunk)
            digest.update(chunk)
    return size, digest.hexdigest()


def progress_text(size: int, total: int | None) -> str:
    """``1.5 MB of 3.0 MB (50%)``."""
    if total:
        return f"{size / 1e6:.1f} MB of {total / 1e6:.1f} MB ({100 * size / total:.0f}%)"
    return f"{size / 1e6:.1f} MB"


def rate_text(size: int, seconds: float) -> str:
    """``12.5 MB/s`` (``instant`` for no time)."""
    return f"{size / 1e6 / seconds:.1f} MB/s" if seconds > 0 else "instant"
