"""The core of a fake space, shared by every family: project, clock, tokens, faults, request logs."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from airflow_provider_signalwire.testing.auth import TokenStore
from airflow_provider_signalwire.testing.backend import Backend
from airflow_provider_signalwire.testing.clock import FakeClock
from airflow_provider_signalwire.testing.faults import FaultQueue
from airflow_provider_signalwire.testing.request_log import RequestLog

if TYPE_CHECKING:
    from fastapi import Request

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
        """Forget every record, pending fault and logged request (tokens and clock are kept)."""
        for backend in self.backends.values():
            backend.reset()
        self.faults.clear()
        self.requests.clear()
        self.media_requests.clear()
