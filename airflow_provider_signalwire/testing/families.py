"""The API families of the fake space, each a subpackage ``testing/<family>/``.

To add a family (say ``fax``):

1. ``fax/models.py``: records (``@dataclass(kw_only=True) class Fax(Record)`` with ``render()``) and
   ``class FaxBackend(Backend)`` with ``name = "fax"``, ``faxes = TableOf(Fax)``; end with
   ``BACKEND = FaxBackend``.  Reset, ``space.state.faxes`` and paging need no code.
2. ``fax/routes.py``: ``router = APIRouter()`` (``media_router`` too if it serves the media host);
   use ``authenticate``, ``core_of(request).backend(FaxBackend)``, ``paginate``/``paginate_compat``.
3. Add ``"fax"`` to :data:`FAMILIES`, and tests under ``tests/unit/testing/``.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_provider_signalwire.testing.core import Backend

FAMILIES = ("video", "messaging", "voice", "logs", "project", "realtime", "datasphere", "media", "fax")


def _module(family: str, part: str) -> ModuleType:
    return importlib.import_module(f"airflow_provider_signalwire.testing.{family}.{part}")


def backend_classes() -> list[type[Backend]]:
    return [_module(family, "models").BACKEND for family in FAMILIES]


def route_modules() -> list[ModuleType]:
    return [_module(family, "routes") for family in FAMILIES]
