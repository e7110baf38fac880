"""The README's first command: ``python -m airflow_provider_signalwire.testing demo``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_provider_signalwire.testing.demo import EXAMPLE_DAGS_PACKAGE, _summarise, default_dags_folder

REPO = Path(__file__).resolve().parents[3]


def test_the_example_dags_are_a_package_of_the_provider():
    # setup.cfg maps dags_examples/ onto airflow_provider_signalwire.example_dags: a wheel carries them,
    # and an editable install resolves the package to the checkout's folder.
    import airflow_provider_signalwire

    folder = default_dags_folder()
    assert folder is not None, f"{EXAMPLE_DAGS_PACKAGE} is not importable: reinstall the package (make venv)"
    assert (folder / "signalwire_video_rooms.py").is_file()
    package = Path(airflow_provider_signalwire.__file__).resolve().parent
    if package == REPO / "airflow_provider_signalwire":
        assert folder.resolve() == REPO / "dags_examples"
    else:
        assert folder.resolve() == package / "example_dags"


def test_demo_runs_the_example_dag_on_the_fake_space(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    result = subprocess.run(
        [sys.executable, "-m", "airflow_provider_signalwire.testing", "demo"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,  # the example DAGs are found through the installed package, not the cwd
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
    # Return values, read through Airflow's XCom API (not SQL on its tables).
    assert "create_room      room 'airflow-demo-" in out, out
    assert "mint_room_token  room token " in out, out
    assert "list_rooms       4 items: airflow-demo-" in out, out
    assert "delete_room      deleted id " in out, out  # the DAG deletes by id: no name to show
    assert "None" not in out[out.index("What the tasks returned") : out.index("Rooms left")], out
    assert "-> 4" not in out.replace("-> 204", "")  # no 4xx on the way
    # It ends with what to do next.
    next_steps = out[out.index("\nNext:") :]
    for hint in (
        "serve --seed demo",
        "AIRFLOW_CONN_SIGNALWIRE_DEFAULT=",
        "AIRFLOW__CORE__TEST_CONNECTION=Enabled",
        "airflow db migrate",
        "airflow dags test",
        "make test",
    ):
        assert hint in next_steps, next_steps
    # Every `airflow connections test` it suggests comes after the setting that allows it.
    for at in _indexes(next_steps, "airflow connections test"):
        assert "export AIRFLOW__CORE__TEST_CONNECTION=Enabled" in next_steps[:at], next_steps


def _indexes(text: str, part: str) -> list[int]:
    found, at = [], text.find(part)
    while at != -1:
        found.append(at)
        at = text.find(part, at + 1)
    return found


ROOM_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ({"id": ROOM_ID, "name": None, "deleted": True}, f"deleted id {ROOM_ID}"),
        ({"id": ROOM_ID, "name": "standup", "deleted": True}, f"deleted 'standup' (id {ROOM_ID})"),
        ({"id": ROOM_ID, "name": None, "deleted": False}, f"id {ROOM_ID} was already gone"),
        ({"id": ROOM_ID, "deleted": True}, f"deleted id {ROOM_ID}"),  # e.g. a conference
        ({"id": ROOM_ID, "name": "standup", "max_members": 20}, f"room 'standup' (id {ROOM_ID})"),
    ],
)
def test_the_summary_of_a_return_value_never_says_none(value, shown):
    assert _summarise(value) == shown


def test_demo_without_example_dags_says_what_to_pass(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "airflow_provider_signalwire.testing",
            "demo",
            "--dags-folder",
            str(tmp_path / "x"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--dags-folder" in result.stderr
