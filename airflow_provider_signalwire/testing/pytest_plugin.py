"""pytest plugin (entry point ``signalwire``): the ``signalwire_space`` fixture.

``signalwire_space`` yields a :class:`~airflow_provider_signalwire.testing.FakeSignalWireSpace`
with an empty state and sets ``AIRFLOW_CONN_SIGNALWIRE_DEFAULT`` to its connection
(JSON form), so hooks and operators using the default connection id talk to it.

One server pair is started per test session and :meth:`reset` between tests (fast);
the clock is put back to real time, running, and ``relative_links`` to False.
Needs the ``testing`` extra; nothing heavy is imported until the fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from airflow_provider_signalwire.testing.space import FakeSignalWireSpace


@pytest.fixture(scope="session")
def signalwire_space_session() -> Iterator[FakeSignalWireSpace]:
    """One fake space shared by the whole test session (prefer ``signalwire_space``)."""
    from airflow_provider_signalwire.testing.space import FakeSignalWireSpace

    space = FakeSignalWireSpace()
    space.start()
    try:
        yield space
    finally:
        space.stop()


@pytest.fixture
def signalwire_space(
    signalwire_space_session: FakeSignalWireSpace, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeSignalWireSpace]:
    """A fake space with a clean state, wired as ``AIRFLOW_CONN_SIGNALWIRE_DEFAULT``."""
    from datetime import datetime, timezone

    space = signalwire_space_session
    space.reset()
    space.clock.set(datetime.now(timezone.utc))
    space.clock.resume()
    space.relative_links = False
    monkeypatch.setenv("AIRFLOW_CONN_SIGNALWIRE_DEFAULT", space.airflow_conn_json())
    yield space
    space.reset()
