"""benchmarks.run: one failing row family leaves the others' figures in the table and the JSON, and the
exit status says it failed; the report names what is missing."""

from __future__ import annotations

import json
import sys
import types

import pytest

from benchmarks import run as bench_run
from benchmarks.report import markdown


def _module(name: str, rows: list[dict] | None) -> types.ModuleType:
    module = types.ModuleType(name)

    def run(size: str = "full") -> list[dict]:
        if rows is None:
            raise RuntimeError("the triggerer never started")
        return [{**row, "note": f"{row['note']} ({size})"} for row in rows]

    module.run = run  # type: ignore[attr-defined]
    return module


def test_a_failing_row_family_keeps_the_others(tmp_path, monkeypatch, capsys):
    row = {"row": 2, "what": "paging", "seconds": 0.5, "ratio": 0.66, "note": "measured"}
    monkeypatch.setitem(sys.modules, "fake_bench_ok", _module("fake_bench_ok", [row]))
    monkeypatch.setitem(sys.modules, "fake_bench_broken", _module("fake_bench_broken", None))
    monkeypatch.setitem(sys.modules, "fake_bench_after", _module("fake_bench_after", [{**row, "row": 12}]))
    monkeypatch.setattr(bench_run, "BENCHMARKS", ["fake_bench_ok", "fake_bench_broken", "fake_bench_after"])
    out = tmp_path / "results.json"
    monkeypatch.setattr(sys, "argv", ["run", "--size", "quick", "--json", str(out)])
    assert bench_run.main() == 1
    results = json.loads(out.read_text())
    assert [r["row"] for r in results["rows"]] == [2, 12]
    assert results["rows"][0]["note"] == "measured (quick)" and results["size"] == "quick"
    assert results["failed"] == ["fake_bench_broken"]
    err = capsys.readouterr().err
    assert "the triggerer never started" in err and "FAILED: fake_bench_broken" in err
    assert "**Failed (their rows are missing):** fake_bench_broken." in markdown(results)


def test_every_size_is_accepted_and_tiny_is_an_alias(tmp_path, monkeypatch):
    row = {"row": 1, "what": "import", "seconds": 1.0, "ratio": 1.0, "note": "x"}
    monkeypatch.setitem(sys.modules, "fake_bench_ok", _module("fake_bench_ok", [row]))
    monkeypatch.setattr(bench_run, "BENCHMARKS", ["fake_bench_ok"])
    for argv, size in ((["--tiny"], "tiny"), (["--size", "full"], "full"), ([], "quick")):
        out = tmp_path / f"{size}.json"
        monkeypatch.setattr(sys, "argv", ["run", *argv, "--json", str(out)])
        assert bench_run.main() == 0
        results = json.loads(out.read_text())
        assert results["size"] == size and results["tiny"] == (size == "tiny") and results["failed"] == []
    monkeypatch.setattr(sys, "argv", ["run", "--size", "huge"])
    with pytest.raises(SystemExit):
        bench_run.main()
