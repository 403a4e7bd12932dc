"""``enricher serve``: the S3 event webhook, as a real process, enqueueing on real Redis."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.integration.test_cli_scan import ENRICHER, enricher_env
from tests.seaweed import free_ports

SECRET = "hook-secret-7f3a"
BROKER_DB = 15

EVENT = {
    "EventName": "s3:ObjectCreated:Put",
    "Key": "lake/in/a+b%C3%A9.csv",
    "Records": [
        {
            "eventVersion": "2.0",
            "eventSource": "minio:s3",
            "eventTime": "2026-11-26T01:00:00.000Z",
            "eventName": "s3:ObjectCreated:Put",
            "s3": {
                "bucket": {"name": "lake"},
                "object": {"key": "in/a+b%C3%A9.csv", "size": 12, "eTag": "abc"},
            },
        }
    ],
}


@pytest.fixture
def service(tmp_path: Path) -> Iterator[str]:
    broker = redis.Redis(host="127.0.0.1", port=6379, db=BROKER_DB)
    broker.flushdb()
    (port,) = free_ports(1)
    env = enricher_env(
        {
            "ENRICH_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
            "ENRICH_WEB__PORT": str(port),
            "ENRICH_WEB__WEBHOOK_SECRET": SECRET,
            "ENRICH_CELERY__BROKER_URL": f"redis://127.0.0.1:6379/{BROKER_DB}",
        }
    )
    proc = subprocess.Popen([ENRICHER, "serve"], env=env, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
        time.sleep(0.2)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(15)


def _queued() -> list[dict[str, object]]:
    broker = redis.Redis(host="127.0.0.1", port=6379, db=BROKER_DB)
    return [json.loads(m) for m in broker.lrange("enrich", 0, -1)]


def test_valid_event_with_bearer_or_hmac_is_enqueued(service: str) -> None:
    body = json.dumps(EVENT).encode()
    ok = httpx.post(
        f"{service}/events/s3", content=body, headers={"Authorization": f"Bearer {SECRET}"}
    )
    assert ok.status_code == 202 and ok.json() == {"accepted": 1}
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    signed = httpx.post(
        f"{service}/events/s3", content=body, headers={"X-S3E-Signature": f"sha256={signature}"}
    )
    assert signed.status_code == 202
    tasks = _queued()
    assert len(tasks) == 2
    assert all(t["headers"]["task"] == "s3e.enrich" for t in tasks)  # type: ignore[index]
    assert "s3://lake/in/a bé.csv" in json.dumps(tasks, ensure_ascii=False)


def test_wrong_secret_is_401_and_malformed_json_is_400(service: str) -> None:
    body = json.dumps(EVENT).encode()
    for headers in ({}, {"Authorization": "Bearer nope"}, {"X-S3E-Signature": "sha256=00"}):
        assert httpx.post(f"{service}/events/s3", content=body, headers=headers).status_code == 401
    bad = httpx.post(
        f"{service}/events/s3",
        content=b'{"Records": [',
        headers={"Authorization": f"Bearer {SECRET}"},
    )
    assert bad.status_code == 400 and "malformed JSON" in bad.json()["error"]
    wrong = httpx.post(
        f"{service}/events/s3",
        content=json.dumps({"Records": [{"eventName": "ObjectCreated:Put"}]}).encode(),
        headers={"Authorization": f"Bearer {SECRET}"},
    )
    assert wrong.status_code == 400 and "Records[0]" in wrong.json()["error"]
    assert _queued() == []
