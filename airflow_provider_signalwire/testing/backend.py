"""What every API family's backend is made of: typed records, tables of them, and a generic reset.

A family (``video/``, ``messaging/``, ``voice/``, ``logs/``) has ``models.py`` with a
:class:`Backend` subclass that owns its :class:`Table` s of :class:`Record` s, and ``routes.py``
with its HTTP routes.  Records are dataclasses with one :meth:`Record.render` giving the API shape;
tables lock inside, and :meth:`Backend.reset` needs no per-family code (like moto's
``BaseBackend.reset``): adding a resource touches one family.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from airflow_provider_signalwire.testing.errors import FakeHTTPError
from airflow_provider_signalwire.testing.util import new_id

if TYPE_CHECKING:
    from airflow_provider_signalwire.testing.core import SpaceCore


@dataclass(kw_only=True)
class Record:
    """One stored resource.  ``created`` and ``seq`` order listings (newest first)."""

    id: str = field(default_factory=new_id)
    created: datetime
    seq: int

    def render(self) -> dict[str, Any]:
        """The resource as the API answers it."""
        raise NotImplementedError

    @property
    def order(self) -> tuple[datetime, int]:
        return (self.created, self.seq)


R = TypeVar("R", bound=Record)


class Table(Generic[R]):
    """Records of one kind by id, safe to use from the server thread and the test thread."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._rows: dict[str, R] = {}

    def add(self, record: R) -> R:
        with self._lock:
            self._rows[record.id] = record
        return record

    def get(self, record_id: str) -> R | None:
        with self._lock:
            return self._rows.get(record_id)

    def get_or_404(self, record_id: str) -> R:
        """The record, or a 404 in the family's error shape."""
        record = self.get(record_id)
        if record is None:
            raise FakeHTTPError(404)
        return record

    def pop_or_404(self, record_id: str) -> R:
        with self._lock:
            record = self._rows.pop(record_id, None)
        if record is None:
            raise FakeHTTPError(404)
        return record

    def find(self, predicate: Callable[[R], bool]) -> R | None:
        with self._lock:
            return next((r for r in self._rows.values() if predicate(r)), None)

    def newest_first(self, predicate: Callable[[R], bool] | None = None) -> list[R]:
        with self._lock:
            rows = [r for r in self._rows.values() if predicate is None or predicate(r)]
        return sorted(rows, key=lambda r: r.order, reverse=True)

    def __len__(self) -> int:
        with self._lock:
            return len(self._rows)

    def __iter__(self) -> Iterator[R]:
        with self._lock:
            return iter(list(self._rows.values()))

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """``{id: rendered record}``, a copy."""
        return {r.id: r.render() for r in self}


def count_arg(name: str, value: Any) -> int:
    """``value`` if it is a whole number >= 0; else a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number, 0 or more, got {value!r}")
    return value


def spread(n: int, start: datetime, end: datetime) -> list[datetime]:
    """``n`` moments evenly over [start, end), whole seconds (naive datetimes are taken as UTC)."""
    start, end = (d if d.tzinfo else d.replace(tzinfo=timezone.utc) for d in (start, end))
    if end < start:
        raise ValueError(f"end ({end.isoformat()}) must not be before start ({start.isoformat()})")
    step = (end - start) / max(n, 1)
    return [(start + step * i).replace(microsecond=0) for i in range(n)]


class Backend:
    """One API family's state.  Subclasses create their tables and queues in ``__init__``.

    ``lock`` serialises a backend's multi-step operations (find-then-create, read-then-update);
    single reads and writes go through the tables, which lock themselves.
    """

    name: ClassVar[str]

    def __init__(self, core: SpaceCore) -> None:
        self.core = core
        self.lock = threading.RLock()

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

    # shortcuts for records
    def now(self) -> datetime:
        return self.core.clock.now()

    def seq(self) -> int:
        return self.core.seq()
