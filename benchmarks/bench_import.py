"""Row 1: DAG-parse cost. Fresh interpreters import ``airflow.sdk`` plus our DAG-facing modules, against
the same with providers-http's operator module; the difference to ``airflow.sdk`` alone is what we add."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from typing import Any

OURS = [
    "airflow_provider_signalwire.operators.api",
    "airflow_provider_signalwire.operators.video",
    "airflow_provider_signalwire.operators.messaging",
    "airflow_provider_signalwire.operators.voice",
    "airflow_provider_signalwire.sensors.video",
    "airflow_provider_signalwire.sensors.messaging",
    "airflow_provider_signalwire.sensors.voice",
    "airflow_provider_signalwire.notifications.signalwire",
    "airflow_provider_signalwire.transfers.logs",
]


def _importable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def _seconds(modules: list[str]) -> float:
    code = "import airflow.sdk\n" + "".join(f"import {m}\n" for m in modules)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - started


def run(tiny: bool = False, repeats: int = 9) -> list[dict[str, Any]]:
    repeats = 1 if tiny else repeats
    ours = [m for m in OURS if _importable(m)]
    variants = {
        "airflow.sdk alone": [],
        "+ providers-http HttpOperator": ["airflow.providers.http.operators.http"],
        f"+ our {len(ours)} DAG-facing modules": ours,
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for modules in variants.values():
        _seconds(modules)  # warm the file cache
    for _ in range(repeats):
        for name, modules in variants.items():
            times[name].append(_seconds(modules))
    base = statistics.median(times["airflow.sdk alone"])
    rows = []
    for name, samples in times.items():
        median = statistics.median(samples)
        goal = " (goal: at most +30 ms)" if name.startswith("+ our") else ""
        rows.append(
            {
                "row": 1,
                "what": name,
                "seconds": median,
                "ratio": median / base,
                "note": f"adds {1000 * (median - base):+.0f} ms to airflow.sdk{goal}",
            }
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
