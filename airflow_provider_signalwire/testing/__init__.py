"""An offline SignalWire space for tests and demos (like moto for AWS).

Usage::

    from airflow_provider_signalwire.testing import FakeSignalWireSpace

    with FakeSignalWireSpace() as space:
        requests.get(f"{space.base_url}/api/video/rooms",
                     auth=(space.project_id, space.api_token), verify=space.ca_bundle)

The fake runs two real HTTPS servers on 127.0.0.1 (the API and a media host for
recording downloads), shaped after SignalWire's official OpenAPI specs.  It needs the
``testing`` extra (fastapi, uvicorn, trustme); those are imported only when a space is
created, so importing this package is cheap.

Layout (like a moto service): the modules here are the core shared by every family (``space``,
``core`` (the space core and the base ``Backend``), ``records``, ``app``, ``middleware``, ``auth``,
``paging``, ``params``, ``errors``, ``bodies``, ``clock``, ``request_log``, ``faults``, ``compat``);
each API family is a subpackage (``video/``, ``messaging/``, ``voice/``, ``logs/``) with
``models.py`` (its backend and typed records) and ``routes.py``; :mod:`.families` says how to add one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_signalwire.testing.clock import FakeClock
    from airflow_provider_signalwire.testing.request_log import RecordedRequest
    from airflow_provider_signalwire.testing.space import FakeSignalWireSpace

__all__ = ["FakeClock", "FakeSignalWireSpace", "RecordedRequest"]

_LAZY = {
    "FakeSignalWireSpace": "airflow_provider_signalwire.testing.space",
    "FakeClock": "airflow_provider_signalwire.testing.clock",
    "RecordedRequest": "airflow_provider_signalwire.testing.request_log",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
