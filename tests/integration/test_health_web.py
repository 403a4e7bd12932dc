"""``enricher serve``'s /readyz and /metrics on real Redis, SQLite and SeaweedFS."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.support.redis_dbs import RedisDatabases
from tests.support.uvicorn_thread import serve
from worker.core.settings import Settings
from worker.web.app import create_app
from worker.web.health import build_health


@contextlib.contextmanager
def _client(
    tmp_path: Path, broker_url: str, seaweed: Any, **metrics: Any
) -> Iterator[httpx.Client]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'c.db'}",
        celery={"broker_url": broker_url},  # type: ignore[arg-type]
        s3={  # type: ignore[arg-type]
            "endpoint_url": seaweed.endpoint_url,
            "access_key_id": "testing",
            "secret_access_key": "testing",
        },
        metrics=metrics,  # type: ignore[arg-type]
    )
    app = create_app(None, lambda batch: None, health=build_health(settings))
    with serve(app) as base, httpx.Client(base_url=base, timeout=10) as client:
        yield client


def test_ready_with_every_dependency_up(
    tmp_path: Path, redis_dbs: RedisDatabases, seaweed: Any
) -> None:
    with _client(tmp_path, redis_dbs.broker_url, seaweed) as client:
        answer = client.get("/readyz")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["status"] == "ok"
        assert set(body["checks"]) == {"database", "redis", "s3"}
        for check in body["checks"].values():
            assert check["status"] == "up" and check["latency_ms"] >= 0
        assert client.get("/healthz").json() == {"status": "ok"}


def test_not_ready_when_redis_is_down(tmp_path: Path, seaweed: Any) -> None:
    with _client(tmp_path, "redis://127.0.0.1:1/0", seaweed) as client:
        answer = client.get("/readyz")
        assert answer.status_code == 503
        checks = answer.json()["checks"]
        assert checks["redis"]["status"] == "down" and checks["redis"]["required"]
        assert checks["redis"]["error"] and "127.0.0.1" not in checks["redis"]["error"]
        assert checks["database"]["status"] == "up"
        # Liveness does not depend on the dependencies.
        assert client.get("/healthz").status_code == 200


def test_metrics_need_the_token_when_one_is_set(
    tmp_path: Path, redis_dbs: RedisDatabases, seaweed: Any
) -> None:
    with _client(tmp_path, redis_dbs.broker_url, seaweed, token="s3cr3t-token") as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        answer = client.get("/metrics", headers={"Authorization": "Bearer s3cr3t-token"})
        assert answer.status_code == 200
        assert "s3e_outbox_entries 0.0" in answer.text
        assert 's3e_scrape_source_up{source="redis"} 1.0' in answer.text


def test_metrics_are_open_without_a_token(
    tmp_path: Path, redis_dbs: RedisDatabases, seaweed: Any
) -> None:
    with _client(tmp_path, redis_dbs.broker_url, seaweed) as client:
        answer = client.get("/metrics")
        assert answer.status_code == 200 and "s3e_queue_depth" in answer.text


def test_metrics_on_their_own_port_leave_the_web_port(
    tmp_path: Path, redis_dbs: RedisDatabases, seaweed: Any
) -> None:
    """metrics.serve_port: /metrics at metrics.bind:serve_port, not on the web port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with _client(tmp_path, redis_dbs.broker_url, seaweed, serve_port=port) as client:
        assert client.get("/metrics").status_code == 404
        assert client.get("/readyz").status_code == 200
        answer = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
        assert answer.status_code == 200 and "s3e_queue_depth" in answer.text
