"""Operators: argument checks, one hook call each, JSON-serialisable results."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
import requests_mock as rm

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.operators.api import SignalWireAPIOperator
from airflow_provider_signalwire.operators.video import ListVideoRoomsOperator

BASE = "https://acme.signalwire.com"
ROOMS = f"{BASE}/api/video/rooms"


@pytest.fixture
def mock(make_conn):
    make_conn(conn_id="signalwire_default")
    with rm.Mocker(case_sensitive=True) as m:
        yield m


def test_api_operator_template_fields():
    assert set(SignalWireAPIOperator.template_fields) == {"path", "method", "query_params", "json", "data"}


def test_api_operator_request(mock):
    mock.post(ROOMS, status_code=201, json={"id": "r1", "name": "n"})
    op = SignalWireAPIOperator(task_id="t", method="post", path="/api/video/rooms", json={"name": "n"})
    result = op.execute({})
    assert result == {"id": "r1", "name": "n"}
    json.dumps(result)
    assert mock.last_request.json() == {"name": "n"}


def test_api_operator_paginates(mock):
    mock.get(ROOMS, json={"data": [{"id": 1}], "links": {"next": "/api/video/rooms?page_token=2"}})
    mock.get(f"{ROOMS}?page_token=2", json={"data": [{"id": 2}], "links": {}})
    op = SignalWireAPIOperator(
        task_id="t",
        path="/api/video/rooms",
        query_params={"include_active_session": False},
        paginate=True,
        page_size=1,
    )
    assert op.execute({}) == [{"id": 1}, {"id": 2}]
    assert mock.request_history[0].qs == {"include_active_session": ["false"], "page_size": ["1"]}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"json": {}, "data": {}}, "either json or data"),
        ({"page_size": 5}, "paginate=True"),
        ({"paginate": True, "page_size": 5000}, "page_size"),
    ],
)
def test_api_operator_refuses_bad_arguments_at_parse_time(kwargs, message):
    with pytest.raises(SignalWireConfigError, match=message):
        SignalWireAPIOperator(task_id="t", path="/api/video/rooms", **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "FETCH"}, "method is 'FETCH'"),
        ({"path": "https://evil.example.com/api/x"}, "full URL"),
        ({"path": "/video/rooms"}, "/api/"),
        ({"method": "POST", "paginate": True}, "paginate=True needs method GET"),
    ],
)
def test_api_operator_refuses_bad_rendered_arguments_before_sending(mock, kwargs, message):
    op = SignalWireAPIOperator(task_id="t", **{"path": "/api/video/rooms", **kwargs})
    with pytest.raises(SignalWireConfigError, match=message):
        op.execute({})
    assert mock.call_count == 0


def test_airflow_params_do_not_leak_into_the_query(mock):
    mock.get(ROOMS, json={"data": []})
    op = SignalWireAPIOperator(task_id="t", path="/api/video/rooms", params={"airflow_param": 1})
    op.execute({})
    assert mock.last_request.qs == {}


def test_list_video_rooms(mock):
    mock.get(ROOMS, json={"data": [{"id": "a"}, {"id": "b"}], "links": {}})
    op = ListVideoRoomsOperator(
        task_id="t",
        include_active_session=True,
        starts_after=datetime(2026, 11, 1, tzinfo=timezone.utc),
        ends_before=date(2026, 12, 1),
        page_size=100,
        max_items=10,
    )
    assert op.execute({}) == [{"id": "a"}, {"id": "b"}]
    assert mock.last_request.qs == {
        "include_active_session": ["true"],
        "starts_after": ["2026-11-01T00:00:00+00:00"],
        "ends_before": ["2026-12-01"],
        "page_size": ["100"],
    }


def test_list_video_rooms_rendered_strings(mock):
    mock.get(ROOMS, json={"data": [], "links": {}})
    op = ListVideoRoomsOperator(
        task_id="t", include_active_session="False", starts_after="2026-11-01T00:00:00Z"
    )
    assert op.execute({}) == []
    assert mock.last_request.qs == {
        "include_active_session": ["false"],
        "starts_after": ["2026-11-01T00:00:00+00:00"],
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"starts_after": "yesterday"}, "starts_after"),
        ({"include_active_session": "maybe"}, "include_active_session"),
    ],
)
def test_list_video_rooms_bad_rendered_values(mock, kwargs, message):
    with pytest.raises(SignalWireConfigError, match=message):
        ListVideoRoomsOperator(task_id="t", **kwargs).execute({})
    assert mock.call_count == 0


@pytest.mark.parametrize(
    ("kwargs", "message"), [({"page_size": 0}, "page_size"), ({"max_items": -2}, "max_items")]
)
def test_list_video_rooms_bad_arguments(kwargs, message):
    with pytest.raises(SignalWireConfigError, match=message):
        ListVideoRoomsOperator(task_id="t", **kwargs)
