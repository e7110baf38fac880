"""Row 9's profile summary (benchmarks/bench_triggerer.py): py-spy's raw stacks into shares."""

from __future__ import annotations

from benchmarks.bench_triggerer import summarize_profile

SUPERVISOR = (
    "<module> (airflow:6);main (airflow/__main__.py:61);"
    "TriggerRunnerSupervisor.run (airflow/jobs/triggerer_job_runner.py:686)"
)
RUNNER = (
    SUPERVISOR.rsplit(";", 1)[0]
    + ";_fork_main (airflow/sdk/execution_time/supervisor.py:459);Runner.run (asyncio/runners.py:118)"
)
RAW = "\n".join(
    [
        f'process 1:"airflow triggerer";{SUPERVISOR};do_execute (sqlalchemy/engine/default.py:1192) 20',
        f'process 1:"airflow triggerer";{RUNNER};SSLObject.read (ssl.py:921) 30',
        f'process 1:"airflow triggerer";{RUNNER};poll (airflow_provider_signalwire/triggers/status.py:80) 40',
        f'process 1:"airflow triggerer";{RUNNER};select (selectors.py:468) 10',
        "not a stack line",
    ]
)


def test_shares_by_process_area_and_function():
    summary = summarize_profile(RAW, top=5)
    assert summary.startswith("100 samples")
    assert "   80.0%  the trigger runner (the triggers' event loop)" in summary
    assert "   20.0%  the supervisor (DB, heartbeats)" in summary
    assert "   40.0%  this provider" in summary
    assert "   30.0%  ssl (TLS records)" in summary
    assert "   10.0%  asyncio event loop" in summary
    assert "   20.0%  airflow triggerer, supervisor, DB" in summary
    # Own samples name the innermost frame; "with what they call" leaves out the frames every sample of
    # a process passes through (main, the runner's loop).
    own = summary.split("own samples:")[1].split("top 5")[0]
    assert "40.0%  poll (airflow_provider_signalwire/triggers/status.py:80)" in own
    below = summary.split("(below the loop):")[1]
    assert "main (airflow/__main__.py:61)" not in below
    assert "poll (airflow_provider_signalwire/triggers/status.py:80)" in below
