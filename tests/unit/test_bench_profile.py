"""Row 9's profile summary (benchmarks/bench_triggerer.py): py-spy's raw stacks into shares."""

from __future__ import annotations

from benchmarks.bench_triggerer import summarize_profile

MAIN = "<module> (airflow:6);main (airflow/__main__.py:61)"
SUPERVISOR = f"{MAIN};TriggerRunnerSupervisor.run (airflow/jobs/triggerer_job_runner.py:686)"
RUNNER = (
    f"{MAIN};_fork_main (airflow/sdk/execution_time/supervisor.py:459);"
    "TriggerRunner.arun (airflow/jobs/triggerer_job_runner.py:1249)"
)
POLL = "poll (airflow_provider_signalwire/triggers/status.py:80)"
RAW = "\n".join(
    [
        f'process 1:"airflow triggerer";{SUPERVISOR};'
        "TriggerRunnerSupervisor.load_triggers (airflow/jobs/triggerer_job_runner.py:749);"
        "do_execute (sqlalchemy/engine/default.py:1192) 20",
        f'process 2:"airflow triggerer";{RUNNER};SSLObject.read (ssl.py:921) 30',
        f'process 2:"airflow triggerer";{RUNNER};{POLL} 25',
        # A trigger run through greenback: only its greenlet's frames, no main module below them.
        f'process 2:"airflow triggerer";trampoline (greenback/_impl.py:84);{POLL} 15',
        f'process 2:"airflow triggerer";{RUNNER};EpollSelector.select (selectors.py:468) 10',
        "not a stack line",
    ]
)


def share(summary: str, section: str, label: str) -> str:
    body = summary.split(section + ":\n", 1)[1].split(":\n", 1)[0]
    return next(line.split("%")[0].strip() for line in body.splitlines() if line.endswith("  " + label))


def test_shares_by_process_activity_area_and_function():
    summary = summarize_profile(RAW, top=5)
    assert summary.startswith("100 samples")
    assert share(summary, "by process", "the trigger runner (the triggers' event loop)") == "80.0"
    assert share(summary, "by process", "the supervisor (DB, heartbeats)") == "20.0"
    assert share(summary, "by what it was doing", "our trigger and hook") == "40.0"
    supervisor_db = "Airflow's per-second pass over every trigger (supervisor: DB queries)"
    assert share(summary, "by what it was doing", supervisor_db) == "20.0"
    assert share(summary, "by what it was doing", "waiting in epoll (py-spy counts it busy)") == "10.0"
    assert share(summary, "by the innermost frame's area", "this provider") == "40.0"
    assert share(summary, "by the innermost frame's area", "ssl (TLS records)") == "30.0"
    own = summary.split("own samples:")[1].split("top 5")[0]
    assert f"40.0%  {POLL}" in own
    # "With what they call" leaves out the frames every sample of a process passes through (main).
    below = summary.split("(below the loop):")[1]
    assert "main (airflow/__main__.py:61)" not in below
    assert POLL in below
