"""The API families of the fake space.  Each is a subpackage with ``models.py`` (its
:class:`~airflow_provider_signalwire.testing.backend.Backend` subclass, exported as ``BACKEND``)
and ``routes.py`` (its ``router``, and ``media_router`` if it serves the media host)."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_provider_signalwire.testing.backend import Backend

FAMILIES = ("video", "messaging", "voice", "logs")


def _module(family: str, part: str) -> ModuleType:
    return importlib.import_module(f"airflow_provider_signalwire.testing.{family}.{part}")


def backend_classes() -> list[type[Backend]]:
    return [_module(family, "models").BACKEND for family in FAMILIES]


def route_modules() -> list[ModuleType]:
    return [_module(family, "routes") for family in FAMILIES]
