"""Plot the scaling rows of a ``benchmarks.run --json`` file: time and peak RSS against size.

``python -m benchmarks.plot results.json scaling.png``: one pair of panels (seconds, peak RSS in MB) per
row that carries ``points``, one line per series, sizes on a log axis.  Needs matplotlib (the
``bench`` extra).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from typing import Any


def scaling_series(rows: list[dict[str, Any]]) -> dict[int, dict[str, list[dict[str, Any]]]]:
    """``{row: {series: [points sorted by size]}}`` for the rows that carry points."""
    found: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        for point in row.get("points") or ():
            found[row["row"]][point["series"]].append(point)
    return {
        number: {name: sorted(points, key=lambda p: p["size"]) for name, points in series.items()}
        for number, series in sorted(found.items())
    }


def plot(results: dict[str, Any], out: str) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series_by_row = scaling_series(results["rows"])
    if not series_by_row:
        raise SystemExit("no row carries points: nothing to plot")
    titles = {row["row"]: row.get("title", "") for row in results["rows"]}
    # A third panel for rows whose points carry poll lateness (row 9).
    columns = (
        3 if any("late_p99" in p for s in series_by_row.values() for ps in s.values() for p in ps) else 2
    )
    figure, axes = plt.subplots(
        len(series_by_row), columns, figsize=(5.5 * columns, 3.6 * len(series_by_row)), squeeze=False
    )
    for (number, series), (left, right, *third) in zip(series_by_row.items(), axes, strict=True):
        first = next(iter(series.values()))[0]
        unit, rss_label = first.get("unit", "records"), first.get("rss_label", "peak RSS, MB")
        for name, points in series.items():
            sizes = [p["size"] for p in points]
            left.plot(sizes, [p["seconds"] for p in points], marker="o", label=name)
            if any(p.get("peak_rss_mb") is not None for p in points):
                right.plot(sizes, [p.get("peak_rss_mb") for p in points], marker="o", label=name)
        title = f"row {number}" + (f": {titles[number]}" if titles.get(number) else "")
        ylabel = first.get("seconds_label", "seconds (median)")
        left.set(
            title=f"{title}, {first.get('seconds_title', 'time')}", xlabel=unit, ylabel=ylabel, xscale="log"
        )
        right.set(
            title=f"{title}, {first.get('rss_title', 'peak RSS')}",
            xlabel=unit,
            ylabel=rss_label,
            xscale="log",
        )
        if third:
            late = third[0]
            if "late_p99" in first:
                for name, points in series.items():
                    sizes = [p["size"] for p in points]
                    for key, style in (("late_p50", "--"), ("late_p99", "-")):
                        late.plot(
                            sizes, [p[key] for p in points], style, marker="o", label=f"{name} {key[5:]}"
                        )
                late.set(
                    title=f"{title}, poll lateness", xlabel=unit, ylabel="seconds past due", xscale="log"
                )
            else:
                late.set_visible(False)
        for axis in (left, right, *third):
            axis.grid(True, which="both", alpha=0.3)
            if axis.lines:
                axis.legend(fontsize="small")
    m = results.get("machine", {})
    figure.suptitle(
        f"airflow-provider-signalwire benchmarks, {m.get('date', '')}: {m.get('cpus', '?')} CPUs "
        f"({m.get('cpu', '')}), Python {m.get('python', '')}, Airflow {m.get('airflow', '')}"
        + {"tiny": " [tiny sizes]", "quick": " [quick sizes]"}.get(run_size(results), ""),
        fontsize="medium",
    )
    figure.tight_layout()
    figure.savefig(out, dpi=90)
    count = sum(len(s) for s in series_by_row.values())
    print(f"Plotted {count} series of rows {list(series_by_row)} to {out}")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        raise SystemExit("usage: python -m benchmarks.plot RESULTS.json OUT.png")
    with open(argv[0]) as f:
        return plot(json.load(f), argv[1])


def run_size(results: dict[str, Any]) -> str:
    """The run's sizes (results written before sizes had names say only whether they were tiny)."""
    return str(results.get("size") or ("tiny" if results.get("tiny") else "full"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
