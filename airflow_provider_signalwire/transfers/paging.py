"""Listing helpers of the log exports that belong in the hook (to be moved there).

``iter_pages`` is ``SignalWireHook.paginate`` yielding whole pages instead of items (the exports count
pages and write page by page); ``list_windows`` lists several time windows of one log family at once,
on the hook's one session (one connection pool), each listing with its own retries, and hands their
pages back in window order.  Both use only the hook's sending and parsing, so every rule of the hook
(origin guard, retries, size caps, loop detection) applies unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

T = TypeVar("T")

# Worker threads for concurrent windows.  requests' default pool keeps 10 connections per host:
# staying below it lets every window reuse a kept-alive connection.
MAX_CONCURRENT_WINDOWS = 8


def iter_pages(
    hook: SignalWireHook,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    page_size: int | None = None,
) -> Iterator[list[Any]]:
    """Yield each page's items (a list, possibly empty) of a list endpoint, first page first.

    Same rules as ``SignalWireHook.paginate`` (next links re-based onto the space, loops stopped,
    each page retried on its own); only one page is held at a time.
    """
    from airflow_provider_signalwire.exceptions import SignalWirePaginationError
    from airflow_provider_signalwire.protocol import Pager, PagingError

    pager = Pager(path, hook.base_url, params=params, page_size=page_size)
    url: str | None = pager.first_url
    request_params: Mapping[str, Any] | None = pager.first_params
    while url:
        response = hook._send("GET", url, params=request_params)
        try:
            page = pager.feed(response.url, hook._parse("GET", response))
        except PagingError as err:
            raise SignalWirePaginationError(
                method="GET", url=response.url, reason=str(err), redact=hook.settings.redact
            ) from None
        yield page.items
        url, request_params = page.next_url, None


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
