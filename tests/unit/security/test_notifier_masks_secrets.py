"""The SMS notifier never texts a secret: its text goes through Airflow's secrets masker, whole, before
it is cut to fit the segments (both transports: requests-mock for ``notify``, the fake space for
``async_notify``)."""

from __future__ import annotations

import asyncio
import re
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests_mock as rm
from airflow.providers.common.compat.sdk import mask_secret

from airflow_provider_signalwire.notifications.signalwire import SignalWireNotifier
from tests.fixtures import PROJECT

FROM = "+12025550150"
TO = "+12025550131"
PASSWORD = "db-Pa55w0rd-7c1e9a4b2f"  # what a failing task's error may quote
MESSAGES = re.compile(rf"https://acme\.signalwire\.com/api/laml/2010-04-01/Accounts/{PROJECT}/Messages.*")


def _context(error: str) -> dict[str, Any]:
    instance = SimpleNamespace(dag_id="d", task_id="t", run_id="r", try_number=1, state="failed", log_url="")
    return {"dag": None, "ti": instance, "task_instance": instance, "exception": RuntimeError(error)}


def _pieces(text: str) -> list[str]:
    """Every 6 characters or more of the password in ``text`` (a partial password is still a leak)."""
    return [PASSWORD[i : i + 6] for i in range(len(PASSWORD) - 5) if PASSWORD[i : i + 6] in text]


# The error text with the password at the start, in the middle and across each segment limit.
PLACEMENTS = {
    "alone": PASSWORD,
    "in a sentence": f"connection refused for user etl password={PASSWORD} on db-1",
    **{f"across {cut}": "e" * (cut - 10) + PASSWORD + " tail" for cut in (70, 100, 153, 160, 306)},
}
BODIES = {"default text": None, "templated": "{{ ti.task_id }} failed: {{ exception }}"}


@pytest.fixture(autouse=True)
def _masked():
    mask_secret(PASSWORD)


@pytest.mark.parametrize("max_segments", [1, 2])
@pytest.mark.parametrize("body", list(BODIES.values()), ids=list(BODIES))
@pytest.mark.parametrize("error", list(PLACEMENTS.values()), ids=list(PLACEMENTS))
def test_a_masked_secret_is_never_texted(make_conn, error, body, max_segments):
    conn_id = make_conn(conn_id="signalwire_default")
    notifier = SignalWireNotifier(
        to=TO, from_=FROM, body=body, max_segments=max_segments, signalwire_conn_id=conn_id
    )
    with rm.Mocker() as mock:
        mock.post(MESSAGES, status_code=201, json={"sid": "SM1", "status": "queued"})
        notifier(_context(error))
        sent = [parse_qs(r.text)["Body"][0] for r in mock.request_history]
    assert len(sent) == 1
    assert not _pieces(sent[0]), sent[0]
    if len(error) < 100:  # the secret is early enough to be shown: replaced, not dropped
        assert "***" in sent[0], sent[0]


def test_the_async_notifier_masks_too(signalwire_space):
    notifier = SignalWireNotifier(to=TO, from_=FROM, body="failed: {{ exception }}", max_segments=1)
    context = _context("e" * 140 + PASSWORD)
    notifier.render_template_fields(context)
    asyncio.run(notifier.async_notify(context))
    posts = [parse_qs(r.body) for r in signalwire_space.requests if r.method == "POST"]
    assert len(posts) == 1
    body = posts[0]["Body"][0]
    assert not _pieces(body) and "***" in body, body
