"""Every ```python block of README.md and of the docs pages (docs/*.md) runs, as written, against the
offline fake space.

Each block runs in a fresh Python process (its own throwaway AIRFLOW_HOME with a migrated SQLite DB)
with ``AIRFLOW_CONN_SIGNALWIRE_DEFAULT`` pointing at the ``signalwire_space`` fixture. A block that
defines operators without a DAG (a fragment) is wrapped in one; every DAG is then run by
``dag.test()`` with a logical date and twice without one (Airflow 3's manual and REST runs; on
Airflow 2 every run gets one), so templates that need ``ds`` and names that repeat within a day fail
here before a user meets them. Tracebacks name the Markdown file and the line.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
RESULT_PREFIX = "README-BLOCK-RESULT "
# One run with a logical date, then two without: the second proves a block can run twice in one day.
MODES = ("logical_date", "no_logical_date", "no_logical_date")
TIMEOUT_S = 240

# The DAG file the block becomes (Airflow 3's dag.test() needs a DAG that lives in a file in the
# DAGs folder). Compiled with padding so that tracebacks point at the README's own line numbers.
DAG_FILE = textwrap.dedent(
    """
    import os
    from datetime import datetime
    from pathlib import Path

    from airflow.providers.common.compat.sdk import DAG

    _padding = "\\n" * (int(os.environ["README_BLOCK_LINE"]) - 1)
    _source = Path(os.environ["README_BLOCK_FILE"]).read_text(encoding="utf-8")
    _code = compile(_padding + _source, os.environ["README_BLOCK_NAME"], "exec")
    _namespace = {"__name__": "readme_block"}
    # One DAG id per block: Airflow 2.11's dag.test() replaces an earlier block's run of the same id.
    _dag_id = "readme_block_" + os.environ["README_BLOCK_ID"]
    with DAG(_dag_id, schedule=None, start_date=datetime(2026, 1, 1), catchup=False) as readme_block:
        exec(_code, _namespace)
    DAGS = [v for v in _namespace.values() if isinstance(v, DAG)]
    if DAGS:
        del readme_block
        globals().update({f"_readme_dag_{i}": d for i, d in enumerate(DAGS)})
    elif readme_block.task_dict:
        DAGS = [readme_block]  # a fragment: operators without a DAG of their own
    """
)

# Runs in the child process: argv = DAG file, modes (comma separated), result line prefix.
RUNNER = textwrap.dedent(
    """
    import importlib.util
    import inspect
    import json
    import sys
    from datetime import datetime, timezone

    from airflow.providers.common.compat.sdk import DAG

    spec = importlib.util.spec_from_file_location("readme_block_dag", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    modes, prefix = sys.argv[2].split(","), sys.argv[3]

    takes_logical_date = "logical_date" in inspect.signature(DAG.test).parameters
    results = []
    for dag in module.DAGS:
        for mode in modes:
            if mode == "logical_date":
                when = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
                kwargs = {"logical_date": when} if takes_logical_date else {"execution_date": when}
            elif takes_logical_date:
                kwargs = {"logical_date": None}
            else:
                kwargs = {}  # Airflow 2: dag.test() always makes a logical date (now)
            run = dag.test(**kwargs)
            tasks = {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in run.get_task_instances()}
            results.append(
                {"dag_id": dag.dag_id, "mode": mode, "run_id": run.run_id,
                 "state": str(getattr(run.state, "value", run.state)), "tasks": tasks}
            )
    print(prefix + json.dumps(results), flush=True)
    """
)


@dataclass(frozen=True)
class Block:
    line: int  # the Markdown file's line of the block's first code line
    source: str
    file: str = "README.md"  # relative to the repository

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def dag_id(self) -> str:
        return re.sub(r"\W", "_", f"{self.file}_{self.line}")


def python_blocks(text: str, file: str = "README.md") -> list[Block]:
    """The ```python blocks of a Markdown text, with the line each one's code starts on."""
    blocks = []
    for match in re.finditer(r"^```python[ \t]*\n(.*?)^```[ \t]*$", text, flags=re.M | re.S):
        line = text.count("\n", 0, match.start(1)) + 1
        blocks.append(Block(line, match.group(1), file))
    return blocks


PAGES = [README, *sorted((REPO / "docs").glob("*.md"))]
BLOCKS = [
    block
    for page in PAGES
    for block in python_blocks(page.read_text(encoding="utf-8"), str(page.relative_to(REPO)))
]


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway AIRFLOW_HOME with a migrated SQLite metadata DB (shared by this module's runs)."""
    home = tmp_path_factory.mktemp("readme-airflow-home")
    (home / "dags").mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        env=child_env(home),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert result.returncode == 0, f"airflow db migrate failed:\n{result.stdout}\n{result.stderr}"
    return home


def child_env(home: Path, conn: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_", "AIRFLOW__"))}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            # This checkout's package, also when the venv has another one installed.
            "PYTHONPATH": os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]),
        }
    )
    if conn is not None:
        env["AIRFLOW_CONN_SIGNALWIRE_DEFAULT"] = conn
    return env


def run_block(block: Block, home: Path, space: Any, tmp_path: Path) -> tuple[list[dict[str, Any]], str]:
    """Run one block in a child process; returns the DAG run results and the child's output."""
    source = tmp_path / "block.py"
    source.write_text(block.source, encoding="utf-8")
    dags = tmp_path / "dags"
    dags.mkdir()
    dag_file = dags / "readme_block.py"
    dag_file.write_text(DAG_FILE, encoding="utf-8")
    runner = tmp_path / "run_readme_block.py"
    runner.write_text(RUNNER, encoding="utf-8")
    env = child_env(home, space.airflow_conn_json())
    env.update(
        {
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "README_BLOCK_FILE": str(source),
            "README_BLOCK_LINE": str(block.line),
            "README_BLOCK_NAME": block.file,
            "README_BLOCK_ID": block.dag_id,
        }
    )
    result = subprocess.run(
        [sys.executable, str(runner), str(dag_file), ",".join(MODES), RESULT_PREFIX],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    output = f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
    lines = [line for line in result.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if result.returncode != 0 or not lines:
        raise AssertionError(f"{block.id}: the block failed (exit {result.returncode}):\n{output}")
    return json.loads(lines[-1][len(RESULT_PREFIX) :]), output


def check_runs(block: Block, runs: list[dict[str, Any]], output: str) -> None:
    failed = [r for r in runs if r["state"] != "success" or set(r["tasks"].values()) != {"success"}]
    assert not failed, f"{block.id}: DAG runs did not succeed: {failed}\n{output}"


def test_readme_has_python_blocks() -> None:
    assert len(BLOCKS) >= 3, f"expected the Operators, hook and fake-space blocks, found {BLOCKS}"


AIRFLOW3_ONLY = "# Airflow 3 only"  # a block's first line: skipped on Airflow 2 (asset watchers ...)


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_readme_block_runs_as_written(
    block: Block, airflow_home: Path, signalwire_space: Any, tmp_path: Path
) -> None:
    if block.source.startswith(AIRFLOW3_ONLY):
        from importlib.metadata import version

        if int(version("apache-airflow").split(".")[0]) < 3:
            pytest.skip(f"{block.id} is marked '{AIRFLOW3_ONLY}'")
    runs, output = run_block(block, airflow_home, signalwire_space, tmp_path)
    check_runs(block, runs, output)
    if runs:
        assert [r["mode"] for r in runs] == [*MODES] * len({r["dag_id"] for r in runs}), runs
        # Every run reached the space (the blocks talk to it, not to something else).
        assert signalwire_space.requests, f"{block.id}: no request reached the fake space\n{output}"


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param("boom = 1 / 0\n", id="python-error"),
        pytest.param(
            "from airflow_provider_signalwire.operators.video import ListVideoRoomsOperator\n\n"
            'rooms = ListVideoRoomsOperator(task_id="rooms", starts_after="{{ no_such_variable }}")\n',
            id="undefined-template-variable",
        ),
        pytest.param(
            "from airflow_provider_signalwire.operators.api import SignalWireAPIOperator\n\n"
            'room = SignalWireAPIOperator(task_id="room", method="POST", path="/api/video/rooms",\n'
            '                             json={"name": "same-name-every-run"})\n',
            id="room-name-taken-on-second-run",
        ),
    ],
)
def test_a_broken_block_fails(broken: str, airflow_home: Path, signalwire_space: Any, tmp_path: Path) -> None:
    """The checks above would catch a README block that breaks (not only one that crashes)."""
    block = Block(1, broken)
    with pytest.raises(AssertionError):
        runs, output = run_block(block, airflow_home, signalwire_space, tmp_path)
        check_runs(block, runs, output)
