"""FaxStatusSensor in poke and deferrable mode, on the shared status rules, against the fake space."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.sensors.base import SignalWireSensorFailure
from airflow_provider_signalwire.sensors.fax import FaxStatusSensor
from airflow_provider_signalwire.statuses import FAX, evaluate
from tests.helpers.space import polls
from tests.unit.sensors.test_sensors import MODES, run, sensor


def send_fax(space: Any) -> str:
    from airflow_provider_signalwire.hooks.signalwire import SignalWireHook

    path = f"/api/laml/2010-04-01/Accounts/{space.project_id}/Faxes"
    form = {"To": "+12025550101", "From": "+12025550150", "MediaUrl": "https://example.com/a.pdf"}
    return SignalWireHook().request("POST", path, data=form)["sid"]


@pytest.mark.parametrize("mode", MODES)
def test_fax_delivered(signalwire_space, mode):
    space = signalwire_space
    space.clock.freeze()
    sid = send_fax(space)
    task = sensor(FaxStatusSensor, mode, fax_sid=sid)
    result = run(task, when=lambda: len(polls(space, sid)) >= 2, then=lambda: space.clock.advance(10))
    assert result["sid"] == sid and result["status"] == "delivered"


@pytest.mark.parametrize("mode", MODES)
def test_a_busy_line_fails_at_once_with_signalwires_reason(signalwire_space, mode):
    space = signalwire_space
    space.clock.freeze()
    space.fail_next_fax("busy", error_code="15002", error_message="The line was busy.")
    sid = send_fax(space)
    task = sensor(FaxStatusSensor, mode, fax_sid=sid)
    with pytest.raises(SignalWireSensorFailure, match="busy.*15002.*line was busy"):
        run(task, when=lambda: len(polls(space, sid)) >= 1, then=lambda: space.clock.advance(10))


def test_received_faxes_are_done_and_sending_accepts_delivered():
    assert evaluate(FAX, {"status": "received"}, FAX.default_success).state == "success"
    assert evaluate(FAX, {"status": "delivered"}, ("sending",)).state == "success"
    assert evaluate(FAX, {"status": "processing"}, FAX.default_success).state == "waiting"
    with pytest.raises(SignalWireConfigError, match="success_statuses is .*superfine.*fax statuses"):
        FaxStatusSensor(task_id="t", fax_sid="FX1", success_statuses=("superfine",))
