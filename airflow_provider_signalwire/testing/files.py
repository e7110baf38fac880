"""A local file host: one folder served read-only over plain HTTP on 127.0.0.1.

The fake space's Datasphere fetches documents from loopback URLs only; this host gives local files
such URLs, for tests and demos of :class:`~airflow_provider_signalwire.operators.datasphere.
SyncToDatasphereOperator` without object storage::

    with LocalFileHost(folder) as host:
        SyncToDatasphereOperator(task_id="sync", source=f"file://{folder}", url_for=host.url_for, ...)
"""

from __future__ import annotations

import functools
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def list_directory(self, path: Any) -> None:
        self.send_error(404)
        return None


class LocalFileHost:
    """Serve ``folder`` on ``http://127.0.0.1:<free port>/`` from a thread (``start``/``stop`` or a
    ``with`` block). Folder listings are refused; files outside ``folder`` are not served."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder).resolve()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> LocalFileHost:
        if self._server is None:
            handler = functools.partial(_QuietHandler, directory=str(self.folder))
            self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
            self._server.daemon_threads = True
            self._thread = threading.Thread(target=self._server.serve_forever, name="file-host", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> LocalFileHost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        if self._server is None:
            raise RuntimeError("the file host is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def url_for(self, path: Any) -> str:
        """The URL of ``path`` (a local path, ``file://`` URL or local ``ObjectStoragePath`` under the
        folder); ValueError for a path outside it."""
        text = str(path)
        if text.startswith("file://"):
            text = text[len("file://") :]
        resolved = Path(text).resolve()
        if not resolved.is_relative_to(self.folder):
            raise ValueError(f"{path} is not under {self.folder}")
        return f"{self.base_url}/{quote(resolved.relative_to(self.folder).as_posix())}"
