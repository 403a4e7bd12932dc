"""``enricher status``: every section from a real catalog; dependencies down are named.

Redis is pointed at a closed port here (the worker ping needs live workers: the integration
tests have those); queue depths are read from a recording stand-in for a Redis pipeline.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import insert

from models.datasets import AlertCandidate, AlertKind, Severity
from models.jobs import ItemState, JobOptions
from worker.adapters.catalog.alert_store import SqlAlertStore
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.adapters.catalog.job_store import SqlJobStore
from worker.adapters.catalog.schema import atlan_outbox, objects
from worker.cli.app import cli
from worker.cli.status import gather, queue_depths
from worker.core.settings import Settings

DEAD_REDIS = "redis://127.0.0.1:1/0"


def _settings(database_url: str, **extra: Any) -> Settings:
    return Settings(  # type: ignore[call-arg]
        database_url=database_url,
        celery={
            "broker_url": DEAD_REDIS,
            "result_backend": DEAD_REDIS,
            "schedules": [
                {"uri": "s3://lake/", "every_minutes": 60},
                {"uri": "s3://other/", "every_minutes": 5},
            ],
        },
        **extra,
    )


def _fill(database_url: str, now: datetime) -> str:
    catalog = SqlLocalCatalog(database_url)
    try:
        jobs = SqlJobStore(catalog)
        job_id = jobs.create("s3://lake/", JobOptions(), None)
        uris = [f"s3://lake/{i}.csv" for i in range(4)]
        jobs.add_listed(job_id, uris, None, True)
        jobs.mark(job_id, uris[0], ItemState.CLASSIFIED)
        jobs.mark(job_id, uris[1], ItemState.FAILED, "corrupt")
        with catalog.engine.begin() as conn:
            for i, status in enumerate(("classified", "classified", "failed")):
                conn.execute(
                    insert(objects).values(
                        uri=f"s3://lake/{i}.csv",
                        bucket="lake",
                        key=f"{i}.csv",
                        status=status,
                        scanned_at=now,
                    )
                )
            for age_min in (20, 3):
                conn.execute(
                    insert(atlan_outbox).values(
                        object_uri=f"s3://lake/{age_min}.csv",
                        desired={},
                        reason="Atlan unavailable",
                        attempts=1,
                        first_queued_at=now - timedelta(minutes=age_min),
                        last_tried_at=now,
                    )
                )
        SqlAlertStore(catalog).raise_alerts(
            [
                AlertCandidate(AlertKind.ROW_COUNT, Severity.WARNING, "s3://lake/t/", "a", "m"),
                AlertCandidate(AlertKind.BYTES, Severity.WARNING, "s3://lake/t/", "b", "m"),
                AlertCandidate(AlertKind.FRESHNESS, Severity.CRITICAL, "s3://lake/t/", "c", "m"),
            ]
        )
        return job_id
    finally:
        catalog.engine.dispose()


def test_every_section_from_the_catalog_and_redis_named_when_down(database_url: str) -> None:
    now = datetime.now(UTC)
    job_id = _fill(database_url, now)
    report = gather(_settings(database_url), now=now + timedelta(seconds=10))
    assert report["queues"] == {"ok": False, "error": "Redis unreachable: ConnectionError"}
    assert report["workers"]["ok"] is False and "Redis" in report["workers"]["error"]
    assert report["catalog"] == {
        "ok": True,
        "objects": 3,
        "by_status": {"classified": 2, "failed": 1},
    }
    assert report["outbox"]["size"] == 2
    assert 20 * 60 <= report["outbox"]["oldest_age_s"] < 20 * 60 + 60
    assert report["alerts"]["open"] == {"info": 0, "warning": 2, "critical": 1}
    (job,) = report["jobs"]["jobs"]
    assert (job["id"], job["finished"], job["listed"]) == (job_id, 2, 4)
    assert job["rate_per_s"] > 0 and job["eta_s"] is not None
    assert job["eta_s"] == pytest.approx(2 / job["rate_per_s"], abs=1)
    lake, other = report["schedules"]["schedules"]
    assert lake["last_job"] == job_id and lake["last_state"] == "running"
    assert other["last_started"] is None


def test_queue_depths_count_every_priority_list() -> None:
    class Pipeline:
        def __init__(self) -> None:
            self.keys: list[str] = []

        def llen(self, key: str) -> None:
            self.keys.append(key)

        def execute(self) -> list[int]:
            sizes = {"enrich": 5, "enrich\x06\x163": 2, "atlan": 1}
            return [sizes.get(k, 0) for k in self.keys]

    class Redis:
        def pipeline(self) -> Pipeline:
            return Pipeline()

    section = queue_depths(Redis())  # type: ignore[arg-type]
    assert section == {"ok": True, "queues": {"enrich": 7, "jobs": 0, "atlan": 1}}


def _run(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(cli, ["status", *args], env=env, catch_exceptions=False)


def test_cli_exit_3_when_redis_is_down_with_json(tmp_path: Any) -> None:
    env = {
        "ENRICH_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
        "ENRICH_CELERY__BROKER_URL": DEAD_REDIS,
    }
    result = _run(env, "--format", "json")
    assert result.exit_code == 3, result.output
    report = json.loads(result.stdout)
    assert report["catalog"]["ok"] is True and report["queues"]["ok"] is False
    table = _run(env)
    assert table.exit_code == 3
    assert "DOWN: Redis unreachable: ConnectionError" in table.stdout
    assert "Traceback" not in table.output


def test_cli_exit_1_when_the_catalog_cannot_be_read(tmp_path: Any) -> None:
    env = {
        "ENRICH_DATABASE_URL": f"sqlite:///{tmp_path / 'missing-dir' / 'c.db'}",
        "ENRICH_CELERY__BROKER_URL": DEAD_REDIS,
    }
    result = _run(env)
    assert result.exit_code == 1, result.output
    assert "enricher: error: the catalog cannot be read" in result.stderr
    assert "DOWN: catalog database unreachable" in result.stdout
