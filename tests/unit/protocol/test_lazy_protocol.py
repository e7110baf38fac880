"""The ``protocol`` package loads each name's submodule on first use, and only that submodule."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import subprocess
import sys

import airflow_provider_signalwire.protocol as protocol

PACKAGE = "airflow_provider_signalwire.protocol"


def typed_imports() -> dict[str, str]:
    """name -> submodule, from the ``if TYPE_CHECKING:`` imports (what mypy and readers see)."""
    tree = ast.parse(inspect.getsource(protocol))
    block = next(node for node in tree.body if isinstance(node, ast.If))
    return {
        alias.name: node.module.rsplit(".", 1)[1]
        for node in block.body
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }


def test_the_table_matches_the_typed_imports_and_all():
    assert typed_imports() == protocol._HOME
    assert set(protocol._HOME) == set(protocol.__all__)


def test_every_name_is_the_one_its_submodule_defines():
    for name, submodule in protocol._HOME.items():
        module = importlib.import_module(f"{PACKAGE}.{submodule}")
        assert getattr(protocol, name) is vars(module)[name], name
        defined_in = getattr(vars(module)[name], "__module__", None)
        if inspect.isclass(vars(module)[name]) or inspect.isfunction(vars(module)[name]):
            assert defined_in == module.__name__, f"{name} is defined in {defined_in}, not {submodule}"


def test_an_unknown_name_is_an_attribute_error():
    try:
        protocol.no_such_rule  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as err:
        assert "no_such_rule" in str(err)
    else:
        raise AssertionError("no AttributeError")


def loaded_by(statement: str) -> list[str]:
    code = (
        "import json, sys\n"
        f"{statement}\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({PACKAGE + '.'!r}))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_a_name_loads_only_its_own_submodule():
    # Before: names were searched for submodule by submodule, so `no_redaction` loaded settings (and its
    # dataclass) first, `describe_errors` settings, redaction and URLs.
    assert loaded_by(f"from {PACKAGE} import no_redaction") == [f"{PACKAGE}.redaction"]
    assert loaded_by(f"from {PACKAGE} import MAX_PAGE_SIZE, METHODS") == [f"{PACKAGE}.constants"]
    # A submodule's own imports still load (errors needs the constants, redaction and URL rules).
    assert f"{PACKAGE}.errors" in loaded_by(f"from {PACKAGE} import describe_errors")
    assert f"{PACKAGE}.retry" not in loaded_by(f"from {PACKAGE} import describe_errors")


def test_the_constants_stay_importable_from_settings():
    from airflow_provider_signalwire.protocol import constants, settings
    from airflow_provider_signalwire.protocol.settings import MAX_PAGE_SIZE, RETRYABLE_STATUSES, USER_AGENT

    assert (MAX_PAGE_SIZE, RETRYABLE_STATUSES, USER_AGENT) == (
        constants.MAX_PAGE_SIZE,
        constants.RETRYABLE_STATUSES,
        constants.USER_AGENT,
    )
    try:
        settings.NO_SUCH_LIMIT  # noqa: B018
    except AttributeError as err:
        assert "NO_SUCH_LIMIT" in str(err)
    else:
        raise AssertionError("no AttributeError")
