"""Markdown for ``benchmarks/RESULTS.md`` from a ``benchmarks.run --json`` file: the machine, then one
table of every row as measured (``python -m benchmarks.report benchmarks/results.json``).  The verdicts
on the goals are written by hand beside it, from these figures."""

from __future__ import annotations

import json
import sys
from typing import Any

from benchmarks.plot import run_size

GOALS = {
    1: "ours add at most 30 ms",
    2: "at most 0.85x the plain loop, one TCP connection for the listing",
    3: "at most 1.10x the plain aiohttp loop",
    4: "ours grows under 30 MB between the sizes",
    5: "at most 1/3 the CPU seconds per 1,000 polls; TLS handshakes per connection, not per poll",
    6: "one request per poll interval",
    7: "peak RSS under 60 MB above the interpreter's; at least 0.9x the plain stream's throughput",
    8: "at least 5x faster with 8 windows than with 1, identical bytes",
    9: "at most 1/3 the CPU per 1,000 polls and 1/2 the RSS per trigger of HttpSensorTrigger at every N; "
    "p99 lateness under 1 s at 2,000; TLS handshakes bounded by the pool, not N",
    10: "at most 1.0x the time of HttpOperator + pagination_function, memory flat",
    11: "at least 0.9x the fair baseline's throughput at 10, 50 and 200 MB",
    12: "achieved rate within 5% of the target after backoffs, no duplicates, every recipient accounted for",
}


SIZE_NOTES = {
    "tiny": " (tiny sizes: not figures)",
    "quick": " (quick sizes: a check that the ratios hold; the verdicts come from make bench-full)",
}


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"Measured {m['date']} on {m['cpus']} CPUs ({m['cpu']}, {m['arch']}), Python {m['python']}, "
        f"Airflow {m['airflow']}" + SIZE_NOTES.get(run_size(results), "") + ".",
        "",
        "| row | what | seconds | ratio | note |",
        "|---:|---|---:|---:|---|",
    ]
    if results.get("failed"):
        lines[1:1] = ["", f"**Failed (their rows are missing):** {', '.join(results['failed'])}."]
    last = None
    for row in results["rows"]:
        if row["row"] != last and row["row"] in GOALS:
            lines.append(f"| **{row['row']}** | *goal: {GOALS[row['row']]}* | | | |")
        last = row["row"]
        note = str(row["note"]).replace("|", "\\|")
        lines.append(f"| {row['row']} | {row['what']} | {row['seconds']:.3f} | {row['ratio']:.2f} | {note} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        raise SystemExit("usage: python -m benchmarks.report RESULTS.json")
    with open(argv[0]) as f:
        sys.stdout.write(markdown(json.load(f)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
