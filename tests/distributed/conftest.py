"""Fixtures for the distributed checks (tests/distributed/README.md).

Every test here is marked ``e2e`` and ``distributed`` and is skipped unless ``DIST_E2E=1`` is set and the
deployment that ``up.sh`` started answers (run.sh does both): ``make unit`` (``-m "not e2e"``) deselects
them, and a plain ``pytest`` skips them.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import deploy  # noqa: E402
from dist_support import FIGURES, TIMINGS, Airflow, Fake  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "distributed: runs on the distributed deployment (tests/distributed)")


def _deployment_up() -> str | None:
    if os.environ.get("DIST_E2E") != "1":
        return "set DIST_E2E=1 and start the deployment (bash tests/distributed/run.sh does both)"
    state = deploy.load_state()
    url = state.get("api_url")
    if not url:
        return f"no deployment state in {deploy.STATE}: run tests/distributed/up.sh"
    try:
        urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=5).close()
    except Exception as exc:
        return f"the deployment's API server {url} does not answer ({exc})"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mine = [i for i in items if HERE in Path(str(i.fspath)).resolve().parents]
    if not mine:
        return
    reason = _deployment_up()
    for item in mine:
        item.add_marker(pytest.mark.e2e)
        item.add_marker(pytest.mark.distributed)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TIMINGS:
        terminalreporter.section("distributed timings")
        for name, seconds in TIMINGS:
            terminalreporter.write_line(f"{seconds:7.1f}s  {name}")
    if FIGURES:
        terminalreporter.section("distributed figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def state() -> dict[str, Any]:
    return deploy.load_state()


@pytest.fixture(scope="session")
def airflow(state: dict[str, Any]) -> Airflow:
    return Airflow(state)


@pytest.fixture(scope="session")
def fake(state: dict[str, Any]) -> Fake:
    return Fake(state["fake"])


@pytest.fixture(scope="session")
def s3(state: dict[str, Any]) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{state['ports']['moto']}",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
