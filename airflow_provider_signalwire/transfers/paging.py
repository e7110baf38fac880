"""Concurrent windows of the log exports: ``run_windows`` lists several time windows of one log
family at once, on the hook's one session (one connection pool), each listing with its own retries
(``SignalWireHook.paginate_pages``), and hands their results back in window order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    pass

T = TypeVar("T")

# Worker threads for concurrent windows.  requests' default pool keeps 10 connections per host:
# staying below it lets every window reuse a kept-alive connection.
MAX_CONCURRENT_WINDOWS = 8


class Cancelled(Exception):
    """Raised inside a window's listing when another window failed (the export is abandoned)."""


def run_windows(
    windows: Sequence[T],
    work: Callable[[T, threading.Event], Any],
    *,
    concurrency: int,
) -> Iterator[Any]:
    """Run ``work(window, cancelled)`` for every window, at most ``concurrency`` at a time, and yield
    the results in window order, each as soon as it and all earlier ones are done.

    When one fails, ``cancelled`` is set for the others (``work`` should check it between pages),
    windows not yet started never start, and the first failure in window order is raised.
    """
    cancelled = threading.Event()
    workers = max(1, min(concurrency, MAX_CONCURRENT_WINDOWS, len(windows)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="signalwire-window") as pool:
        futures: list[Future[Any]] = [pool.submit(work, window, cancelled) for window in windows]
        try:
            for future in futures:
                yield future.result()
        except BaseException:
            cancelled.set()
            for future in futures:
                future.cancel()
            raise
