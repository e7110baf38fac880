"""Typed records and the tables that hold them: what every family's backend stores.

Records are dataclasses with one :meth:`Record.render` giving the API shape; a backend declares its
tables as ``rooms = TableOf(Room)`` and gets its own locked :class:`Table` of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Generic, TypeVar, overload

from airflow_provider_signalwire.testing.errors import FakeHTTPError
from airflow_provider_signalwire.testing.util import new_id


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

    def oldest_first(self, predicate: Callable[[R], bool] | None = None) -> list[R]:
        return self.newest_first(predicate)[::-1]

    def __len__(self) -> int:
        with self._lock:
            return len(self._rows)

    def __iter__(self) -> Iterator[R]:
        with self._lock:
            return iter(list(self._rows.values()))

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """``{id: rendered record}``, a copy."""
        return {r.id: r.render() for r in self}


T = TypeVar("T")


class Fresh(Generic[T]):
    """Backend state declared on the class (``failures = Fresh[deque[str]](deque)``): each backend,
    and each reset, gets a new ``factory()``."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self.factory = factory
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type) -> Fresh[T]: ...

    @overload
    def __get__(self, obj: object, owner: type) -> T: ...

    def __get__(self, obj: object | None, owner: type) -> Fresh[T] | T:
        if obj is None:
            return self
        value: T = vars(obj).setdefault(self.name, self.factory())
        return value


class TableOf(Fresh[Table[R]]):
    """A backend's table, declared on the class: ``rooms = TableOf(Room)``."""

    def __init__(self, record: type[R]) -> None:
        super().__init__(Table)
        self.record = record


S = TypeVar("S", bound=Record)


@dataclass(kw_only=True)
class View(Record, Generic[S]):
    """A record as another listing shows it (a message in the messaging logs ...): same id and order."""

    source: S

    @classmethod
    def of(cls, source: S) -> View[S]:
        return cls(id=source.id, created=source.created, seq=source.seq, source=source)


@dataclass(kw_only=True)
class PhoneLog(View[S]):
    """A call or message as its logs listing shows it: id, from, to, then :meth:`fields`."""

    def render(self) -> dict[str, Any]:
        view = self.source.render()
        return {"id": self.id, "from": view["from"], "to": view["to"], **self.fields(view)}

    def fields(self, view: dict[str, Any]) -> dict[str, Any]:
        """The rest of the log entry, from the source's API shape ``view``."""
        raise NotImplementedError


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
