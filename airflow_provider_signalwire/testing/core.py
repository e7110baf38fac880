"""The core of a fake space (project, clock, tokens, faults, request logs) and the base of every
family's backend (like moto's ``BaseBackend``: tables declared on the class, a generic reset,
seeding helpers).  Records and tables are in :mod:`.records`."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from airflow_provider_signalwire.testing.auth import TokenStore
from airflow_provider_signalwire.testing.clock import FakeClock
from airflow_provider_signalwire.testing.faults import FaultQueue
from airflow_provider_signalwire.testing.records import Fresh, Record, Table, count_arg, spread
from airflow_provider_signalwire.testing.request_log import RequestLog

if TYPE_CHECKING:
    from fastapi import Request

R = TypeVar("R", bound=Record)


class Backend:
    """One API family's state, declared on the class: ``rooms = TableOf(Room)``, other ``Fresh`` state.

    ``lock`` serialises a backend's multi-step operations (find-then-create, read-then-update);
    single reads and writes go through the tables, which lock themselves.
    """

    name: ClassVar[str]

    def __init__(self, core: SpaceCore) -> None:
        self.core = core
        self.lock = threading.RLock()
        for cls in type(self).__mro__:
            for attr in vars(cls).values():
                if isinstance(attr, Fresh):
                    getattr(self, attr.name)  # creates this backend's table, queue ...

    def reset(self) -> None:
        """Forget every record: build a fresh backend and take its state (no per-family code)."""
        with self.lock:
            fresh = type(self)(self.core)
            vars(self).update({k: v for k, v in vars(fresh).items() if k != "lock"})

    def tables(self) -> dict[str, Table[Any]]:
        """This backend's tables by attribute name (``rooms``, ``messages`` ...)."""
        return {name: value for name, value in vars(self).items() if isinstance(value, Table)}

    def log_entries(self, kind: str) -> list[Record]:
        """Records this family contributes to the ``kind`` logs (``/api/<kind>/logs``).  None by default."""
        return []

    def children(self, parent: Table[Any], parent_id: str, table: Table[R], key: str) -> list[R]:
        """The records of ``table`` whose ``key`` is ``parent_id``, oldest first; 404 without the parent."""
        parent.get_or_404(parent_id)
        return table.oldest_first(lambda r: getattr(r, key) == parent_id)

    def seed_over(
        self, n: int, start: datetime | None, end: datetime | None, make: Callable[[int, datetime], R]
    ) -> list[R]:
        """``make(k, when)`` for ``n`` moments spread evenly over [start, end) (default: the last hour)."""
        count_arg("n", n)
        end = end or self.now().replace(microsecond=0)
        start = start or end - timedelta(hours=1)
        return [make(k, when) for k, when in enumerate(spread(n, start, end))]

    # shortcuts for records
    def now(self) -> datetime:
        return self.core.clock.now()

    def seq(self) -> int:
        return self.core.seq()


B = TypeVar("B", bound=Backend)


def core_of(request: Request) -> SpaceCore:
    """The space a request reached (the app's ``state.space``)."""
    core: SpaceCore = request.app.state.space
    return core


class SpaceCore:
    """What the servers and every family's backend share (``request.app.state.space``)."""

    def __init__(self, project_id: str, clock: FakeClock) -> None:
        self.project_id = project_id
        self.clock = clock
        self.created_at: datetime = clock.now().replace(microsecond=0)
        self.base_url = ""
        self.media_base_url = ""
        self.relative_links = False
        self.tokens = TokenStore(project_id)
        self.faults = FaultQueue()
        self.requests = RequestLog()
        self.media_requests = RequestLog()
        self.backends: dict[str, Backend] = {}
        self._seq = itertools.count()

    def seq(self) -> int:
        """A space-wide sequence number (orders records created in the same instant)."""
        return next(self._seq)

    def backend(self, cls: type[B]) -> B:
        """The family backend of class ``cls``."""
        found = self.backends[cls.name]
        assert isinstance(found, cls)
        return found

    def reset(self) -> None:
        """Forget every record, pending fault and logged request.  The clock is kept, and the tokens
        made by the controls (restored as made); tokens created through the API are forgotten."""
        self.tokens.reset()
        for backend in self.backends.values():
            backend.reset()
        self.faults.clear()
        self.requests.clear()
        self.media_requests.clear()
