"""Row 1: DAG-parse cost. Fresh interpreters run ``from airflow.sdk import DAG, BaseOperator`` (what every
DAG file has already paid) plus our DAG-facing modules, against the same with providers-http's operator
module; the difference to ``airflow.sdk`` alone (that line alone) is what we add.

Two figures per variant, because ``import airflow.sdk`` alone takes 1.5-2 s and a shared machine moves
that by more than what we add:

- ``seconds``: median wall time of the whole fresh process (what the issue's row says); the note gives
  its difference to ``airflow.sdk`` alone, median and minimum.
- ``in-process``: CPU time spent by the imports after that first line *inside* each fresh
  process (``time.process_time``, so time the process waits for a CPU is not counted), median and
  minimum. This is the steady figure; the goal is judged on it.

Bytecode: pip compiles a wheel's modules to ``.pyc`` when it installs them, so users never pay for
compiling our source. This checkout is an editable install and machines here set
``PYTHONDONTWRITEBYTECODE=1``, which would make every run compile our ~9,000 lines again (about 30 ms)
while Airflow's site-packages ``.pyc`` are used. The measured processes therefore write and read
bytecode under a temporary ``PYTHONPYCACHEPREFIX`` (warmed once per variant); one extra row shows
what ours costs compiled from source each time, for comparison.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from airflow_provider_signalwire.get_provider_info import dag_facing_modules

OURS = dag_facing_modules()

_CHILD = """\
import time
c0, w0 = time.process_time(), time.perf_counter()
from airflow.sdk import DAG, BaseOperator
c1, w1 = time.process_time(), time.perf_counter()
{imports}
c2, w2 = time.process_time(), time.perf_counter()
print("BENCH", c1 - c0, c2 - c1, w2 - w1)
"""


def _importable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def _run(modules: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(wall seconds of the whole process, CPU and wall seconds of ``modules`` after ``import
    airflow.sdk``, both measured inside the process)."""
    code = _CHILD.format(imports="\n".join(f"import {m}" for m in modules))
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    line = next(x for x in out.stdout.splitlines() if x.startswith("BENCH "))
    return wall, float(line.split()[2]), float(line.split()[3])


def run(size: str = "full") -> list[dict[str, Any]]:
    repeats = {"tiny": 1, "quick": 5}.get(size, 15)
    ours = [m for m in OURS if _importable(m)]
    ours_name = f"+ our {len(ours)} DAG-facing modules"
    variants = {
        "airflow.sdk alone": [],
        "+ providers-http HttpOperator": ["airflow.providers.http.operators.http"],
        ours_name: ours,
    }
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as cache:
        cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cached["PYTHONPYCACHEPREFIX"] = cache
        # As this checkout runs here: Airflow's .pyc from site-packages, ours compiled in every process.
        source = {k: v for k, v in os.environ.items() if k != "PYTHONPYCACHEPREFIX"}
        source["PYTHONDONTWRITEBYTECODE"] = "1"
        runs = {name: (modules, cached) for name, modules in variants.items()}
        runs[ours_name + ", compiled from source each time (no .pyc)"] = (ours, source)
        for modules, env in runs.values():
            _run(modules, env)  # writes the bytecode, warms the file cache
        samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in runs}
        for _ in range(repeats):  # round-robin, so machine noise hits every variant alike
            for name, (modules, env) in runs.items():
                samples[name].append(_run(modules, env))
    walls = {name: [w for w, _, _ in s] for name, s in samples.items()}
    cpus = {name: [c for _, c, _ in s] for name, s in samples.items()}
    in_walls = {name: [w for _, _, w in s] for name, s in samples.items()}
    base, base_min = statistics.median(walls["airflow.sdk alone"]), min(walls["airflow.sdk alone"])
    rows = []
    for name in runs:
        median = statistics.median(walls[name])
        goal = " (goal: at most +30 ms CPU and wall, judged in-process)" if name == ours_name else ""
        cpu, cpu_min = 1000 * statistics.median(cpus[name]), 1000 * min(cpus[name])
        in_wall, in_wall_min = 1000 * statistics.median(in_walls[name]), 1000 * min(in_walls[name])
        in_process = (
            f"; in-process {cpu:.1f} ms CPU (min {cpu_min:.1f}), "
            f"{in_wall:.1f} ms wall (min {in_wall_min:.1f})"
            if variants.get(name) != []
            else ""
        )
        wall = (
            f"wall {1000 * (median - base):+.0f} ms (min to min {1000 * (min(walls[name]) - base_min):+.0f})"
        )
        rows.append(
            {
                "row": 1,
                "what": name,
                "seconds": median,
                "ratio": median / base,
                "in_process_seconds": statistics.median(cpus[name]),
                "in_process_wall_seconds": statistics.median(in_walls[name]),
                "note": f"{wall}{in_process}{goal}",
            }
        )
    return rows


_PROFILE = """\
import time
from airflow.sdk import DAG, BaseOperator
import dataclasses, importlib._bootstrap_external as external, re, typing
from airflow.sdk.bases.operator import BaseOperatorMeta

spent = {{}}
counts = {{}}

def timed(owner, name, label):
    original = getattr(owner, name)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[label] = spent.get(label, 0.0) + time.perf_counter() - started
            counts[label] = counts.get(label, 0) + 1
    kind = type(owner.__dict__.get(name))
    if kind is classmethod:  # the original is already bound to the class
        setattr(owner, name, classmethod(lambda cls, *a, **k: wrapper(*a, **k)))
    else:
        setattr(owner, name, staticmethod(wrapper) if kind is staticmethod else wrapper)

timed(BaseOperatorMeta, "__new__", "Airflow's operator metaclass (BaseOperatorMeta.__new__)")
timed(typing.NamedTupleMeta, "__new__", "NamedTuple classes")
timed(dataclasses, "_process_class", "dataclasses")
timed(re, "_compile", "re.compile (and re's cache lookups)")
timed(external.SourceFileLoader, "get_code", "reading and unmarshalling .pyc files")
timed(external.PathFinder, "find_spec", "finding modules (sys.path search)")
started = time.perf_counter()
{imports}
total = time.perf_counter() - started
print("PROFILE total", total * 1000)
for label, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
    print("PROFILE", f"{{seconds * 1000:.2f}}", counts[label], label)
"""


def profile(repeats: int = 9) -> None:  # pragma: no cover - a tool, run by hand
    """Where row 1's time goes: ``python -m benchmarks.bench_import --profile``. Fresh processes (with
    ``.pyc`` files, as row 1) time the interpreter's parts of importing our DAG-facing modules; what is
    left is executing the modules' own bodies (defining functions, classes and tables). Medians; the
    categories do not overlap (none calls another)."""
    code = _PROFILE.format(imports="\n".join(f"import {m}" for m in OURS))
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as cache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        runs = []
        for n in range(repeats + 1):
            out = subprocess.run(
                [sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True
            )
            if n:  # the first writes the bytecode
                runs.append(
                    [line.split(" ", 3)[1:] for line in out.stdout.splitlines() if line.startswith("PROFILE")]
                )
    total = statistics.median(float(r[0][1]) for r in runs)
    print(f"{len(OURS)} DAG-facing modules, {repeats} fresh processes: {total:.1f} ms wall (median)")
    labels = {parts[2]: parts[1] for r in runs for parts in r[1:]}
    accounted = 0.0
    for label, count in labels.items():
        ms = statistics.median(float(next((p[0] for p in r[1:] if p[2] == label), 0)) for r in runs)
        accounted += ms
        print(f"  {ms:6.2f} ms  {label} ({count} calls)")
    print(f"  {total - accounted:6.2f} ms  the rest: executing the modules' bodies, import bookkeeping")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--profile"]:
        profile()
    else:
        for row in run(size=sys.argv[1] if len(sys.argv) > 1 else "full"):
            print(json.dumps(row))
