"""Injected faults: the next N matching requests answer 429/5xx, are dropped or delayed."""

from __future__ import annotations

from dataclasses import dataclass

from airflow_provider_signalwire.testing.util import LockedList

FAULT_KINDS = ("429", "500", "502", "503", "504", "drop", "delay")


@dataclass
class Fault:
    """A pending injected fault (see ``FakeSignalWireSpace.inject_fault``)."""

    path_prefix: str
    kind: str
    count: int
    method: str | None = None
    retry_after: str | None = None
    delay: float = 0.0

    def __post_init__(self) -> None:
        """Refuse values that would make the fault never fire or fire nonsensically."""
        self.kind = str(self.kind)
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"kind: unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        if not isinstance(self.path_prefix, str) or not self.path_prefix.startswith("/"):
            raise ValueError(f"path_prefix must be a path starting with '/', got {self.path_prefix!r}")
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise ValueError(f"count must be a whole number of requests, 1 or more, got {self.count!r}")
        if isinstance(self.delay, bool) or not isinstance(self.delay, (int, float)) or not self.delay >= 0:
            raise ValueError(f"delay must be a number of seconds, 0 or more, got {self.delay!r}")
        if self.method is not None and (not isinstance(self.method, str) or not self.method.isalpha()):
            raise ValueError(f"method must be an HTTP method name such as 'POST', got {self.method!r}")
        if self.retry_after is not None:
            if self.kind in ("drop", "delay"):
                raise ValueError(f"retry_after needs an HTTP answer; kind {self.kind!r} sends none")
            self.retry_after = str(self.retry_after)
            if not (self.retry_after.isascii() and self.retry_after.isprintable()):
                raise ValueError(f"retry_after must be printable ASCII, got {self.retry_after!r}")


class FaultQueue(LockedList[Fault]):
    """Pending faults (``append``), consumed first-match-first by the servers."""

    def take(self, method: str, path: str) -> Fault | None:
        """Consume and return the first pending fault matching this request."""
        with self._lock:
            for fault in self._items:
                if not path.startswith(fault.path_prefix):
                    continue
                if fault.method and fault.method.upper() != method.upper():
                    continue
                fault.count -= 1
                if fault.count <= 0:
                    self._items.remove(fault)
                return fault
        return None
