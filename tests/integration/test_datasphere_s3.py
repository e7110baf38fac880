"""SyncToDatasphereOperator on S3 with presigned URLs: moto's S3 server on 127.0.0.1, s3fs's own
``sign`` (what the Amazon provider's filesystem is), and the fake space fetching the presigned URLs.

Needs ``moto[server]`` and ``s3fs`` (the ``dev`` dependency group: ``make venv`` installs them; skipped
with one line elsewhere, an error in CI: tests/helpers/optional.py).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers.optional import import_or_skip

moto_server = import_or_skip("moto.server")
s3fs = import_or_skip("s3fs")

from airflow_provider_signalwire.transfers import datasphere as sync_module  # noqa: E402
from airflow_provider_signalwire.transfers.datasphere import SyncToDatasphereOperator  # noqa: E402

BUCKET = "signalwire-kb"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto's S3 on a free loopback port; ``s3://`` registered as the Amazon provider registers it (an
    s3fs filesystem), pointed at moto through ``AWS_ENDPOINT_URL``."""
    from airflow.sdk.io import fs as airflow_fs

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setitem(
        airflow_fs._BUILTIN_SCHEME_TO_FS,
        "s3",
        lambda conn_id, options: s3fs.S3FileSystem(skip_instance_cache=True),
    )
    airflow_fs._register_filesystems.cache_clear()
    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    fs.mkdir(BUCKET)
    try:
        yield fs
    finally:
        airflow_fs._register_filesystems.cache_clear()
        server.stop()


def test_sync_from_s3_with_presigned_urls(signalwire_space, s3, monkeypatch):
    masked: list[str] = []
    monkeypatch.setattr(sync_module, "mask_secret", masked.append)
    s3.pipe(f"{BUCKET}/kb/returns.txt", b"Returns are free within thirty days. Refunds take five days.")
    s3.pipe(f"{BUCKET}/kb/faq/hours.txt", b"We answer calls from nine to five.")
    op = SyncToDatasphereOperator(
        task_id="sync", source=f"s3://{BUCKET}/kb/", tags=["kb"], url_expires=300, knowledge_base_asset=None
    )
    report = op.execute({})
    assert (report["created"], report["failed"]) == (2, 0)
    docs = signalwire_space.state.documents.values()
    assert sorted(d["filename"] for d in docs) == ["hours.txt", "returns.txt"]
    assert all(d["status"] == "completed" for d in docs)  # the fake fetched both presigned URLs
    assert len(masked) == 2 and all("Signature=" in url and "Expires=" in url for url in masked)
    assert not any(m in str(report) for m in masked)
    keys = sorted(t for d in docs for t in d["tags"] if t.startswith("airflow-sync:source="))
    assert keys == [
        f"airflow-sync:source=s3://{BUCKET}/kb/faq/hours.txt",
        f"airflow-sync:source=s3://{BUCKET}/kb/returns.txt",
    ]

    s3.pipe(f"{BUCKET}/kb/returns.txt", b"Returns are free within sixty days.")
    s3.rm(f"{BUCKET}/kb/faq/hours.txt")
    report = op.execute({})
    assert tuple(report[k] for k in ("created", "replaced", "deleted", "unchanged", "failed")) == (
        0,
        1,
        1,
        0,
        0,
    )
    found = signalwire_space.backends["datasphere"].search("sixty")
    assert found and found[0]["text"] == "Returns are free within sixty days."
