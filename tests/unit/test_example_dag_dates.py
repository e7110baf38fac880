"""Every example DAG's date templates render in a run that has no logical date (Airflow 3's default for
runs triggered from the UI or the REST API: no ``ds``, no data interval), and in a scheduled run. A
template that names ``data_interval_end`` or ``ds`` unguarded fails such a run at render time (it did:
signalwire_retention in the standalone e2e)."""

from __future__ import annotations

import importlib.util
import re
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import DAG

DAGS = Path(__file__).resolve().parents[2] / "dags_examples"
DATED = re.compile(r"\b(ds|ds_nodash|ts|logical_date|execution_date|data_interval_start|data_interval_end)\b")
RUN_AFTER = datetime(2026, 12, 1, 6, 0, tzinfo=timezone.utc)


def _dags() -> list[Any]:
    """The DAGs each example file defines (``with DAG(...)`` blocks are not module variables: collect
    them as they are created)."""
    found: list[Any] = []
    original = DAG.__init__

    def recording_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        found.append(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DAG, "__init__", recording_init)
        for path in sorted(DAGS.glob("signalwire_*.py")):
            spec = importlib.util.spec_from_file_location(f"example_dates_{path.stem}", path)
            assert spec is not None and spec.loader is not None
            spec.loader.exec_module(importlib.util.module_from_spec(spec))
    return found


def _context(**values: Any) -> dict[str, Any]:
    from airflow import macros

    no_variables = SimpleNamespace(value=SimpleNamespace(get=lambda key, default=None: default))
    return {"macros": macros, "var": no_variables, "params": {}, **values}


def _dated_fields() -> list[tuple[str, Any, str]]:
    rows = []
    for dag in _dags():
        for task in dag.tasks:
            for name in task.template_fields:
                value = getattr(task, name, None)
                if isinstance(value, str) and "{{" in value and DATED.search(value):
                    rows.append((f"{dag.dag_id}.{task.task_id}.{name}", task, value))
    return rows


ROWS = _dated_fields()


def test_the_examples_have_dated_templates_to_check() -> None:
    assert {r[0].split(".")[0] for r in ROWS} >= {"signalwire_retention", "signalwire_video_nightly"}


@pytest.mark.parametrize(("where", "task", "template"), ROWS, ids=[r[0] for r in ROWS])
def test_renders_without_a_logical_date(where: str, task: Any, template: str) -> None:
    context = _context(
        dag_run=SimpleNamespace(run_after=RUN_AFTER, run_id="manual__x", conf={}), dag=task.dag
    )
    rendered = task.render_template(template, context)
    # The day the run was due, or the day before it (the nightly exports' "yesterday").
    assert re.search(r"2026-1(2-01|1-30)", rendered) or rendered in {"True", "False"}, (where, rendered)


@pytest.mark.parametrize(("where", "task", "template"), ROWS, ids=[r[0] for r in ROWS])
def test_renders_in_a_scheduled_run(where: str, task: Any, template: str) -> None:
    start, end = datetime(2026, 11, 30, tzinfo=timezone.utc), RUN_AFTER.replace(hour=0)
    context = _context(
        dag_run=SimpleNamespace(run_after=RUN_AFTER, run_id="scheduled__x", conf={}),
        dag=task.dag,
        ds="2026-11-30",
        logical_date=start,
        data_interval_start=start,
        data_interval_end=end,
    )
    rendered = task.render_template(template, context)
    assert "2026-11-30" in rendered or rendered in {"True", "False"}, (where, rendered)
