"""Run every benchmark row and print one table, at one of three sizes:

- ``--size full`` (``make bench-full``, ~45 minutes): the sizes the goals are judged at (RESULTS.md's
  verdicts come from one such run on a quiet machine).
- ``--size quick`` (``make bench``, the default, ~15 minutes): every row, at the smallest size of each
  scaling row (row 9 at 500 triggers, row 12 at 500 recipients) and fewer repeats: a check that the
  ratios have not moved, not a verdict.
- ``--size tiny`` (``--tiny``, ``make bench-tiny``, CI): tiny sizes, one repeat: only proves each row runs.

Ratios compare against a baseline measured in the same run (medians, interleaved), because machines
here are shared and noisy; absolute seconds are shown for context only.

Every module in ``BENCHMARKS`` has ``run(size: str) -> list[dict]``; a row dict has ``row``, ``what``,
``seconds``, ``ratio`` (to the row's baseline), ``note``, and optionally ``points`` (a scaling series:
``[{"series": name, "size": n, "seconds": s, "peak_rss_mb": m}, ...]``, optionally with ``unit`` (of the
size) and ``rss_label``, plotted by ``benchmarks.plot``; a row's ``title`` names its panels).
``--json PATH`` also writes the machine and every row as JSON (``RESULTS.md`` and the PNG come from it).
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
import traceback
from typing import Any

SIZES = ("full", "quick", "tiny")

# One module per row family, in row order.
BENCHMARKS = [
    "benchmarks.bench_import",
    "benchmarks.bench_paging",
    "benchmarks.bench_export",
    "benchmarks.bench_triggers",
    "benchmarks.bench_download",
    "benchmarks.bench_triggerer",
    "benchmarks.bench_send",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=SIZES, default="quick", help="full, quick (default) or tiny")
    parser.add_argument("--tiny", action="store_true", help="the same as --size tiny")
    parser.add_argument("--only", action="append", default=[], help="run only these modules (repeatable)")
    parser.add_argument("--json", help="also write the machine and rows to this JSON file")
    args = parser.parse_args()
    import logging
    import os

    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    logging.disable(logging.INFO)

    size = "tiny" if args.tiny else args.size
    rows: list[dict[str, Any]] = []
    failed: list[str] = []
    started = time.monotonic()
    for name in BENCHMARKS:
        if args.only and not any(name.endswith(o) for o in args.only):
            continue
        began = time.monotonic()
        try:
            rows += importlib.import_module(name).run(size=size)
        except Exception:
            # One row family failing must not throw away the others' hour of figures: the rest run, the
            # table and JSON hold what was measured, and the exit status says it failed.
            traceback.print_exc()
            failed.append(name)
        print(f"  ({name} took {time.monotonic() - began:.0f} s)", file=sys.stderr)
    machine = machine_info()
    print(
        f"Python {machine['python']}, Airflow {machine['airflow']}, {machine['arch']}, "
        f"{machine['cpus']} CPUs: {machine['cpu']}; {size} sizes"
    )
    width = max([len("what"), *(len(row["what"]) for row in rows)])
    print(f"{'row':>3}  {'what':<{width}} {'seconds':>9} {'ratio':>7}  note")
    for row in rows:
        figures = f"{row['seconds']:>9.3f} {row['ratio']:>7.2f}"
        print(f"{row['row']:>3}  {row['what']:<{width}} {figures}  {row['note']}")
    print(f"({time.monotonic() - started:.0f} s in all)")
    if args.json:
        results = {"machine": machine, "size": size, "tiny": size == "tiny", "failed": failed, "rows": rows}
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    if failed:
        print(f"FAILED: {', '.join(failed)} (their rows are missing above)", file=sys.stderr)
    return 1 if failed else 0


def machine_info() -> dict[str, Any]:
    import airflow

    return {
        "python": platform.python_version(),
        "airflow": airflow.__version__,
        "arch": platform.machine(),
        "cpus": _cpus(),
        "cpu": _cpu_model(),
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
    }


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
