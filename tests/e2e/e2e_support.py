"""Helpers for the end-to-end tests: DAG discovery, airflow subprocesses, timings.

Imports only the standard library, so `make unit` (which collects but deselects tests/e2e) stays
cheap and the Airflow 2.11 venv (no selenium) can import it.
"""

from __future__ import annotations

import ast
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DAGS_FOLDER = REPO / "dags_examples"
SCREENSHOTS = REPO / "build" / "e2e-screenshots"
VENV_BIN = Path(sys.executable).parent
CONN_ID = "signalwire_default"

# ---------------------------------------------------------------------------------------- timings

TIMINGS: list[tuple[str, float]] = []


class timed:
    """``with timed("stage"):`` records how long a stage took (printed at the end of the session)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> timed:
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        seconds = time.monotonic() - self.started
        TIMINGS.append((self.name, seconds))
        print(f"[e2e] {self.name}: {seconds:.1f}s", flush=True)


# ---------------------------------------------------------------------------------------- DAG ids


def _const_str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _call_name(node: ast.AST) -> str | None:
    func = node.func if isinstance(node, ast.Call) else node
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _dag_id_of_call(call: ast.Call) -> str | None:
    for kw in call.keywords:
        if kw.arg == "dag_id":
            return _const_str(kw.value)
    return _const_str(call.args[0]) if call.args else None


def dag_ids_in_file(path: Path) -> list[str]:
    """The DAG ids a file defines: ``DAG("id")``, ``DAG(dag_id=...)``, ``@dag(...)`` and bare ``@dag``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    decorator_calls: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for deco in node.decorator_list:
                if _call_name(deco) == "dag":
                    dag_id = _dag_id_of_call(deco) if isinstance(deco, ast.Call) else None
                    found.append(dag_id or node.name)
                    decorator_calls.add(id(deco))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and id(node) not in decorator_calls and _call_name(node) == "DAG":
            dag_id = _dag_id_of_call(node)
            if dag_id:
                found.append(dag_id)
    return found


FAILS_ON_PURPOSE_TAG = "fails-on-purpose"


def _tags_of_call(call: ast.Call) -> list[str]:
    for kw in call.keywords:
        if kw.arg == "tags" and isinstance(kw.value, ast.List | ast.Tuple | ast.Set):
            return [t for t in (_const_str(e) for e in kw.value.elts) if t]
    return []


def dags_failing_on_purpose(folder: Path = DAGS_FOLDER) -> set[str]:
    """Example DAGs tagged ``fails-on-purpose`` (a task fails to show a failure callback): their runs
    must end ``failed``; tests/e2e/test_e2e_messaging.py checks what their callbacks did."""
    found: set[str] = set()
    for path in sorted(folder.rglob("*.py")):
        if path.name.startswith("_") or "__pycache__" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            is_dag = isinstance(node, ast.Call) and _call_name(node) in ("DAG", "dag")
            if is_dag and FAILS_ON_PURPOSE_TAG in _tags_of_call(node):  # type: ignore[arg-type]
                dag_id = _dag_id_of_call(node)  # type: ignore[arg-type]
                if dag_id:
                    found.add(dag_id)
    return found


def example_dag_ids(folder: Path = DAGS_FOLDER) -> list[str]:
    """
    Every DAG id defined in ``dags_examples/`` -- the one list all e2e stages iterate over.

    Adding an example DAG file is all it takes to run it in every stage; ``test_dag_discovery``
    cross-checks this static list against what Airflow itself parses. ``E2E_DAG_IDS=a,b`` narrows it
    (for debugging one DAG).
    """
    ids: list[str] = []
    for path in sorted(folder.rglob("*.py")):
        if path.name.startswith("_") or "__pycache__" in path.parts:
            continue
        ids.extend(dag_ids_in_file(path))
    wanted = [x.strip() for x in os.environ.get("E2E_DAG_IDS", "").split(",") if x.strip()]
    if wanted:
        ids = [d for d in ids if d in wanted]
    return sorted(set(ids))


# ---------------------------------------------------------------------------------------- airflow


def airflow_version() -> tuple[int, ...]:
    from importlib.metadata import version

    return tuple(int(p) for p in version("apache-airflow").split(".")[:2] if p.isdigit())


def airflow_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A clean environment for airflow subprocesses: no ambient AIRFLOW_* settings leak in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not (k.startswith("AIRFLOW__") or k.startswith("AIRFLOW_CONN_") or k == "AIRFLOW_HOME")
    }
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
            # The CLI and standalone homes get this file in WAL mode first (conftest.make_airflow_home).
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            # rich (Airflow's console) wraps at 80 columns when not on a tty; keep messages on one line.
            "COLUMNS": "400",
            "PYTHONUNBUFFERED": "1",
            # The example DAGs write here, not in fixed folders of the system temp dir (a Variable
            # signalwire_exports set by a test still wins).
            "SIGNALWIRE_EXPORTS_URL": f"file://{home}/exports",
            "SIGNALWIRE_RECORDINGS_URL": f"file://{home}/recordings/",
            "TMPDIR": str(home),
        }
    )
    if extra:
        env.update(extra)
    return env


@dataclass
class Result:
    args: list[str]
    returncode: int
    output: str
    seconds: float

    def __str__(self) -> str:
        tail = "\n".join(self.output.splitlines()[-60:])
        return f"$ {' '.join(self.args)}\n(rc={self.returncode}, {self.seconds:.1f}s)\n{tail}"


def run(args: Iterable[str], env: Mapping[str, str], timeout: float, cwd: Path | None = None) -> Result:
    """Run a command in its own process group, stdout+stderr combined; kill the group on timeout."""
    argv = [str(a) for a in args]
    started = time.monotonic()
    proc = subprocess.Popen(
        argv,
        env=dict(env),
        cwd=str(cwd or REPO),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc, grace=3)
        out, _ = proc.communicate()
        out += f"\n[e2e] TIMEOUT after {timeout:.0f}s: {' '.join(argv)}"
        rc = -9
    else:
        rc = proc.returncode
    seconds = time.monotonic() - started
    result = Result(argv, rc, out, seconds)
    print(
        f"[e2e] {' '.join(argv[:4])}{' ...' if len(argv) > 4 else ''}: rc={rc} in {seconds:.1f}s", flush=True
    )
    return result


def airflow(*args: str, env: Mapping[str, str], timeout: float = 120) -> Result:
    return run([str(VENV_BIN / "airflow"), *args], env=env, timeout=timeout)


def kill_group(proc: subprocess.Popen, grace: float = 10) -> None:
    """TERM the process group, then KILL it after ``grace`` seconds (standalone's children ignore TERM)."""
    try:
        pgid = os.getpgid(proc.pid)
    except ProcessLookupError:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)  # anything left in the group?
            except ProcessLookupError:
                proc.poll()
                return
            proc.poll()
            time.sleep(0.2)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def parse_json_output(text: str) -> object:
    """The JSON document in a CLI's output, skipping log/warning lines printed before it."""
    for i, line in enumerate(text.splitlines()):
        if line.lstrip().startswith(("[", "{")):
            candidate = "\n".join(text.splitlines()[i:])
            try:
                return json.loads(candidate)
            except ValueError:
                decoder = json.JSONDecoder()
                try:
                    return decoder.raw_decode(candidate.lstrip())[0]
                except ValueError:
                    continue
    raise ValueError(f"no JSON in output:\n{text[-2000:]}")


def one_line(text: str) -> str:
    return " ".join(text.split())


# The browser checks (test_e2e_ui.py, test_e2e_docs.py).
BROWSER_WAIT_S = 20


def wait_until(what: str, probe: Callable[[], Any], driver: Any, timeout: float = BROWSER_WAIT_S) -> Any:
    """Poll ``probe`` until it returns something truthy; on timeout save a screenshot and fail."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = probe()
            if value:
                return value
        except Exception as err:  # stale elements, not-yet-rendered nodes
            last = err
        time.sleep(0.25)
    shot(driver, f"timeout-{what.replace(' ', '-')}")
    raise AssertionError(
        f"timed out after {timeout}s waiting for {what} (last error: {last!r}) at {driver.current_url}"
    )


def shot(driver: Any, name: str) -> None:
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    print(f"[e2e] screenshot {path}", flush=True)
