"""Optional test dependencies (moto's servers, boto3, s3fs): skipped with one line where they are not
installed, an error where they must be. ``make test`` installs them (the ``dev`` dependency group);
``.ci/run`` sets ``SIGNALWIRE_REQUIRE_OPTIONAL=1`` for it, so CI cannot skip these tests silently. The
Airflow 2.11 venv (tests/e2e/run_airflow2.sh) does not install them and skips.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def import_or_skip(name: str) -> ModuleType:
    """``pytest.importorskip(name)``, unless ``SIGNALWIRE_REQUIRE_OPTIONAL=1``: then a failure naming it."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        if os.environ.get("SIGNALWIRE_REQUIRE_OPTIONAL") == "1":
            pytest.fail(
                f"{name} is not installed ({exc}); SIGNALWIRE_REQUIRE_OPTIONAL=1 requires it", pytrace=False
            )
        pytest.skip(
            f"{name} is not installed (the dev dependency group has it: make venv)", allow_module_level=True
        )
