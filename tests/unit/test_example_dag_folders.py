"""The example DAGs that write files take their folder from the environment (tests point it at tmp_path),
and their default is a folder of the temp directory the process uses, never a fixed ``/tmp`` path."""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[2] / "dags_examples"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", DAGS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("dag_file", "variable", "attribute"),
    [
        ("signalwire_nightly_logs", "SIGNALWIRE_EXPORTS_URL", "ROOT"),
        ("signalwire_incremental_logs", "SIGNALWIRE_EXPORTS_URL", "ROOT"),
        ("signalwire_video_nightly", "SIGNALWIRE_RECORDINGS_URL", "RECORDINGS_URL"),
    ],
)
def test_example_dags_write_where_the_environment_says(dag_file, variable, attribute, monkeypatch, tmp_path):
    monkeypatch.setenv(variable, f"file://{tmp_path}/out/")
    assert f"file://{tmp_path}/out" in getattr(_load(dag_file), attribute)
    monkeypatch.delenv(variable)
    default = getattr(_load(dag_file), attribute)
    # The temp dir the process uses (for tests, the session's, under pytest's basetemp).
    assert f"file://{tempfile.gettempdir()}/signalwire-" in default


def test_no_example_dag_names_a_fixed_temp_folder():
    for path in sorted(DAGS.glob("*.py")):
        assert "/tmp/" not in path.read_text(), path.name
