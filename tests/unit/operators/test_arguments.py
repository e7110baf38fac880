"""The argument checks the operators share (operators/_arguments.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.operators._arguments import (
    check_choice,
    is_pending,
    name_taken,
    one_of,
    rendered_bool,
    resource_id,
    segment,
    shown,
    values,
)


def test_pending_values_are_templates_and_runtime_objects():
    assert is_pending("{{ ds }}") and is_pending("{% if x %}y{% endif %}") and is_pending(object())
    assert not is_pending("plain") and not is_pending(3) and not is_pending(None) and not is_pending([1])


def test_shown_is_short():
    assert shown("x") == "'x'"
    assert len(shown("y" * 500)) == 120 and shown("y" * 500).endswith("...")


@pytest.mark.parametrize(
    ("value", "expected"), [(None, None), (True, True), (" TRUE ", True), ("false", False)]
)
def test_rendered_bool(value, expected):
    assert rendered_bool(value, "flag") is expected


def test_rendered_bool_refuses_other_text():
    with pytest.raises(SignalWireConfigError, match="flag is 'yes': use true or false."):
        rendered_bool("yes", "flag")


def test_values_and_one_of():
    assert values(SimpleNamespace(a=1), ("a", "b")) == {"a": 1, "b": None}
    one_of("t", room_id="r", room_name=None)
    with pytest.raises(
        SignalWireConfigError, match="t: give exactly one of room_id or room_name \\(got 2\\)"
    ):
        one_of("t", room_id="r", room_name="n")


@pytest.mark.parametrize("value", [None, "", "  ", "None", "null"])
def test_resource_id_refuses_empty_and_missing_xcom(value):
    with pytest.raises(SignalWireConfigError, match="t: room_id is .*: give the id"):
        resource_id("t", "room_id", value)


def test_resource_id_and_segment():
    assert resource_id("t", "room_id", " abc ") == "abc"
    assert segment("../a b/c") == "..%2Fa%20b%2Fc"


def test_check_choice():
    check_choice("t", "status", "completed", ("in-progress", "completed"))
    with pytest.raises(SignalWireConfigError, match="t: status is 'done': use one of 'a', 'b'."):
        check_choice("t", "status", "done", ("a", "b"))


def _error(status: int, errors: list[dict[str, str]]) -> SignalWireAPIError:
    return SignalWireAPIError(
        method="POST", url="https://x/api/video/rooms", status_code=status, errors=errors
    )


def test_name_taken_is_the_422_of_a_used_name():
    assert name_taken(_error(422, [{"code": "name_taken", "attribute": "name"}]))
    assert name_taken(_error(422, [{"message": "has already been taken"}]))
    assert not name_taken(_error(422, [{"code": "invalid"}]))
    assert not name_taken(_error(409, [{"code": "name_taken"}]))
