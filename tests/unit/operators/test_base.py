"""SignalWireListOperator: paging arguments refused when the DAG is parsed, every page followed up to
max_items, the count logged; the List* operators are built on it. SignalWireDeleteOperator: the id
checked before any request, a 404 is a rerun with missing_ok and an error without it."""

from __future__ import annotations

from typing import Any

import pytest
import requests_mock as rm

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.operators.base import SignalWireDeleteOperator, SignalWireListOperator
from airflow_provider_signalwire.operators.messaging import ListMessagesOperator
from airflow_provider_signalwire.operators.video import (
    ListVideoConferencesOperator,
    ListVideoRoomRecordingsOperator,
    ListVideoRoomSessionsOperator,
    ListVideoRoomsOperator,
)
from airflow_provider_signalwire.operators.voice import ListCallsOperator

ROOMS = "https://acme.signalwire.com/api/video/rooms"


class ListThings(SignalWireListOperator):
    """
    :return: The rooms.
    """

    list_noun = "things"

    def list_request(self, context: Any) -> tuple[str, dict[str, Any] | None]:
        return "/api/video/rooms", {"q": "x"}


@pytest.fixture
def mock(make_conn):
    make_conn(conn_id="signalwire_default")
    with rm.Mocker(case_sensitive=True) as m:
        yield m


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"page_size": 0}, "page_size is 0: use a whole number from 1 to 1000"),
        ({"page_size": True}, "page_size is True"),
        ({"max_items": -1}, "max_items is -1: use a whole number, 0 or more"),
    ],
)
def test_paging_arguments_are_refused_when_parsed(kwargs, message):
    with pytest.raises(SignalWireConfigError, match=message):
        ListThings(task_id="t", **kwargs)


def test_follows_pages_up_to_max_items_and_logs_the_count(mock, capfd, caplog):
    caplog.set_level("INFO")  # Airflow 2 logs through logging, Airflow 3 to stdout
    mock.get(ROOMS, json={"data": [{"id": 1}, {"id": 2}], "links": {"next": "/api/video/rooms?page_token=2"}})
    mock.get(f"{ROOMS}?page_token=2", json={"data": [{"id": 3}], "links": {}})
    op = ListThings(task_id="t", page_size=2, max_items=3)
    assert op.execute({}) == [{"id": 1}, {"id": 2}, {"id": 3}]
    assert mock.request_history[0].qs == {"q": ["x"], "page_size": ["2"]}
    assert "Listed 3 things." in capfd.readouterr().out + caplog.text


@pytest.mark.parametrize(
    "cls",
    [
        ListVideoRoomsOperator,
        ListVideoRoomSessionsOperator,
        ListVideoRoomRecordingsOperator,
        ListVideoConferencesOperator,
        ListMessagesOperator,
        ListCallsOperator,
    ],
)
def test_the_list_operators_share_the_base(cls):
    assert issubclass(cls, SignalWireListOperator)
    op = cls(task_id="t", page_size=7, max_items=9)
    assert (op.page_size, op.max_items) == (7, 9)
    with pytest.raises(SignalWireConfigError, match="page_size"):
        cls(task_id="t", page_size=1001)


class DeleteThing(SignalWireDeleteOperator):
    """
    :param thing_id: The thing (templated).
    :return: What was deleted.
    """

    template_fields = ("thing_id",)
    id_field = "thing_id"
    noun = "thing"

    def __init__(self, *, thing_id: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.thing_id = thing_id

    def delete_path(self, resource_id: str) -> str:
        return f"/api/video/rooms/{resource_id}"


def test_delete_base_deletes_then_counts_a_missing_one_as_done_only_with_missing_ok(mock):
    mock.delete(f"{ROOMS}/a", status_code=204)
    mock.delete(f"{ROOMS}/b", status_code=404, json={"errors": [{"code": "not_found"}]})
    assert DeleteThing(task_id="t", thing_id="a").execute({}) == {"id": "a", "deleted": True}
    assert DeleteThing(task_id="t", thing_id="b").execute({}) == {"id": "b", "deleted": False}
    with pytest.raises(SignalWireAPIError):
        DeleteThing(task_id="t", thing_id="b", missing_ok=False).execute({})
    assert [r.method for r in mock.request_history] == ["DELETE", "DELETE", "DELETE"]


@pytest.mark.parametrize("bad", [None, "", "  ", "None"])
def test_delete_base_refuses_an_empty_id_before_any_request(mock, bad):
    with pytest.raises(SignalWireConfigError, match="thing_id"):
        DeleteThing(task_id="t", thing_id=bad).execute({})
    assert not mock.request_history
