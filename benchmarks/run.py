"""``make bench``: run every benchmark row and print one table (``--tiny`` for CI: proves they run).

Ratios compare against a baseline measured in the same run (medians, interleaved), because machines
here are shared and noisy; absolute seconds are shown for context only.
"""

from __future__ import annotations

import argparse
import platform
import sys
from typing import Any


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--tiny", action="store_true", help="tiny sizes, one repeat: only proves each row runs"
    )
    args = parser.parse_args()
    import logging
    import os

    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    logging.disable(logging.INFO)
    from benchmarks import bench_import, bench_paging

    rows: list[dict[str, Any]] = []
    if args.tiny:
        rows += bench_import.run(repeats=1)
        rows += bench_paging.run(pages=3, per_page=5, repeats=1)
    else:
        rows += bench_import.run()
        rows += bench_paging.run()
    import airflow

    print(
        f"Python {platform.python_version()}, Airflow {airflow.__version__}, {platform.machine()}, "
        f"{_cpus()} CPUs: {platform.processor() or _cpu_model()}"
    )
    print(f"{'row':>3}  {'what':<34} {'seconds':>9} {'ratio':>7}  note")
    for row in rows:
        print(
            f"{row['row']:>3}  {row['what']:<34} {row['seconds']:>9.3f} {row['ratio']:>7.2f}  {row['note']}"
        )
    return 0


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
    return "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
