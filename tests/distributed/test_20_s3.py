"""Exports and downloads to S3 (moto's server) through the ``aws_default`` connection from the secrets
backend, on Celery workers: complete objects with the right size and sha256, nothing partial ever visible
under the final key (a poller lists the prefix all through each run), a rerun of the same window replacing
the object, ``s3://`` URIs in the asset events, and OpenLineage events (file transport) naming the space
as input and the S3 object as output.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from deploy import BUCKET, BUILD
from dist_support import Airflow, Fake, timed

EXPORT_DAG = "dist_s3_logs_export"
DOWNLOAD_DAG = "dist_s3_recordings"


class PrefixWatch:
    """Lists ``prefix`` every few ms in a thread; remembers every (key, size, etag) it ever saw."""

    def __init__(self, s3: Any, prefix: str) -> None:
        self.s3, self.prefix = s3, prefix
        self.seen: set[tuple[str, int, str]] = set()
        self.lists = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            answer = self.s3.list_objects_v2(Bucket=BUCKET, Prefix=self.prefix)
            for obj in answer.get("Contents", []):
                self.seen.add((obj["Key"], obj["Size"], obj["ETag"]))
            self.lists += 1
            time.sleep(0.02)

    def __enter__(self) -> PrefixWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def objects(s3: Any, prefix: str) -> dict[str, bytes]:
    answer = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return {
        o["Key"]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()
        for o in answer.get("Contents", [])
    }


def lineage_events() -> list[dict[str, Any]]:
    path = BUILD / "lineage" / "events.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text(errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            out.append(json.loads(line))
    return out


@pytest.fixture(scope="module")
def window() -> dict[str, str]:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    return {"start": (now - timedelta(days=3)).isoformat(), "end": now.isoformat()}


def test_log_export_to_s3_is_atomic_and_a_rerun_replaces_it(
    airflow: Airflow, fake: Fake, s3: Any, state: dict[str, Any], window: dict[str, str]
) -> None:
    name = f"run-{uuid.uuid4().hex[:8]}"
    prefix = f"logs/{name}/"
    key = f"{prefix}voice.jsonl"
    conf = {"name": name, **window}
    # Slow every page down so the write spans several seconds while the poller lists the prefix.
    fake.post("/fault", path_prefix="/api/voice/logs", kind="delay", count=40, delay=0.5)
    try:
        with timed("s3: log export (first run)"), PrefixWatch(s3, prefix) as first_watch:
            run_id = airflow.trigger(EXPORT_DAG, conf)
            run = airflow.wait_run(EXPORT_DAG, run_id, 240)
        assert run["state"] == "success", airflow.tis(EXPORT_DAG, run_id)
        result = airflow.xcom(EXPORT_DAG, run_id, "export_voice")
        stored = objects(s3, prefix)
        assert list(stored) == [key], stored.keys()  # no temporary object left beside it
        body = stored[key]
        assert len(body) == result["bytes"], result
        records = [json.loads(line) for line in body.decode().splitlines()]
        assert len(records) == result["records"] > 0, result
        assert result["path"].endswith(f"{BUCKET}/{key}"), result
        # Whatever the poller saw under the final key was the finished object.
        under_key = {(size, etag) for k, size, etag in first_watch.seen if k == key}
        final = s3.head_object(Bucket=BUCKET, Key=key)
        assert under_key <= {(final["ContentLength"], final["ETag"])}, (under_key, final)
        assert first_watch.lists > 20, first_watch.lists

        # A rerun of the same window after three more records arrived replaces the object.
        start = datetime.fromisoformat(window["start"])
        added = fake.post(
            "/logs",
            kind="voice",
            n=3,
            start=(start + timedelta(hours=1)).isoformat(),
            end=(start + timedelta(hours=2)).isoformat(),
        )
        with timed("s3: log export (rerun of the same window)"), PrefixWatch(s3, prefix) as second_watch:
            rerun_id = airflow.trigger(EXPORT_DAG, conf)
            rerun = airflow.wait_run(EXPORT_DAG, rerun_id, 240)
        assert rerun["state"] == "success"
        again = airflow.xcom(EXPORT_DAG, rerun_id, "export_voice")
        stored = objects(s3, prefix)
        assert list(stored) == [key], stored.keys()
        new_ids = [json.loads(line)["id"] for line in stored[key].decode().splitlines()]
        assert len(new_ids) == len(set(new_ids)) == again["records"] == result["records"] + 3
        assert {r["id"] for r in added} <= set(new_ids)
        final2 = s3.head_object(Bucket=BUCKET, Key=key)
        under_key = {(size, etag) for k, size, etag in second_watch.seen if k == key}
        allowed = {(final["ContentLength"], final["ETag"]), (final2["ContentLength"], final2["ETag"])}
        assert under_key <= allowed, (under_key, allowed)
        temporary = {k for k, _, _ in first_watch.seen | second_watch.seen if k != key}
        print(f"[dist] temporary keys seen beside the final one: {sorted(temporary)}", flush=True)
    finally:
        fake.post("/clear_faults")

    # The asset alias got the s3 object.
    events = airflow.api("GET", "/assets/events", params={"limit": 200, "order_by": "-timestamp"})[
        "asset_events"
    ]
    uris = [e.get("uri") or "" for e in events]
    assert any(u.startswith("s3://") and u.endswith(f"{BUCKET}/{key}") for u in uris), uris[:20]

    # OpenLineage (file transport, written by the workers): the space in, the S3 object out.
    def complete_events() -> list[dict[str, Any]]:
        return [
            e
            for e in lineage_events()
            if e.get("eventType") == "COMPLETE"
            and e.get("job", {}).get("name") == f"{EXPORT_DAG}.export_voice"
            and any(o.get("name", "").endswith(key) for o in e.get("outputs", []))
        ]

    deadline = time.monotonic() + 60
    while not complete_events() and time.monotonic() < deadline:
        time.sleep(2)
    found = complete_events()
    assert found, [e.get("job", {}).get("name") for e in lineage_events()][-20:]
    event = found[-1]
    space_host = state["fake"]["base_url"].split("://", 1)[1]
    (inp,) = event["inputs"]
    assert space_host in inp["namespace"] and inp["name"] == "/api/voice/logs", inp
    (out,) = event["outputs"]
    print(f"[dist] lineage output: {out['namespace']} {out['name']}", flush=True)
    assert out["namespace"] == f"s3://{BUCKET}", out
    assert out["name"] == key, out


def test_recording_downloads_to_s3_complete_with_sha256(
    airflow: Airflow, fake: Fake, s3: Any, state: dict[str, Any]
) -> None:
    import requests

    recordings = [fake.post("/recording") for _ in range(3)]
    ids = [r["id"] for r in recordings]
    name = f"run-{uuid.uuid4().hex[:8]}"
    prefix = f"recordings/{name}/"
    with timed("s3: 3 recording downloads"), PrefixWatch(s3, prefix) as watch:
        run_id = airflow.trigger(DOWNLOAD_DAG, {"name": name, "recording_ids": ids})
        run = airflow.wait_run(DOWNLOAD_DAG, run_id, 240)
    assert run["state"] == "success", airflow.tis(DOWNLOAD_DAG, run_id)
    stored = objects(s3, prefix)
    table = fake.get("/state/recordings")
    info = state["fake"]
    for i, rec_id in enumerate(ids):
        result = airflow.xcom(DOWNLOAD_DAG, run_id, "download", map_index=i)
        (key,) = [k for k in stored if k.startswith(f"{prefix}{rec_id}.")]
        body = stored[key]
        assert len(body) == result["size"] == table[rec_id]["size_in_bytes"], (result, len(body))
        assert hashlib.sha256(body).hexdigest() == result["sha256"], result
        # The same bytes as the fake's media host serves.
        meta = requests.get(
            f"{info['base_url']}/api/video/room_recordings/{rec_id}",
            auth=(info["project_id"], info["api_token"]),
            verify=info["ca_bundle"],
            timeout=30,
        )
        media = requests.get(meta.json()["uri"], verify=info["ca_bundle"], timeout=60).content
        assert hashlib.sha256(media).hexdigest() == result["sha256"]
        under_key = {size for k, size, _ in watch.seen if k == key}
        assert under_key <= {len(body)}, under_key
    assert len(stored) == len(ids), list(stored)  # no temporary object left
    events = airflow.api("GET", "/assets/events", params={"limit": 200, "order_by": "-timestamp"})[
        "asset_events"
    ]
    uris = {e.get("uri") or "" for e in events}
    for key in stored:
        assert any(u.startswith("s3://") and u.endswith(f"{BUCKET}/{key}") for u in uris), (
            key,
            sorted(uris)[:20],
        )
