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

Nothing heavy is imported at module level: operator modules import this when a DAG file is parsed.
"""

from __future__ import annotations

import os
import posixpath
import re
import unicodedata
from typing import Any

from airflow_provider_signalwire.exceptions import SignalWireConfigError

# Longest file name built from data, in UTF-8 bytes: with the ".<name>.<12 hex>.part" temporary name
# written beside it, it stays under the 255 bytes most filesystems allow.
MAX_NAME_BYTES = 200
# Control, format (e.g. right-to-left override), surrogate and line/paragraph separator characters.
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
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
