"""The README's first command: ``python -m airflow_provider_signalwire.testing demo``."""

from __future__ import annotations

import os
import subprocess
import sys


def test_demo_runs_the_example_dag_on_the_fake_space(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    result = subprocess.run(
        [sys.executable, "-m", "airflow_provider_signalwire.testing", "demo"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,  # the demo finds dags_examples/ through the checkout, not the cwd
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    for line in (
        "POST   /api/video/rooms ",
        "POST   /api/video/room_tokens ",
        "GET    /api/video/rooms ",
        "DELETE /api/video/rooms/",
        "the DAG's room was cleaned up: True",
        "DAG run signalwire_video_rooms: success",
    ):
        assert line in out, out
    assert "create_room      room 'airflow-demo-" in out
    assert "-> 4" not in out.replace("-> 204", "")  # no 4xx on the way
