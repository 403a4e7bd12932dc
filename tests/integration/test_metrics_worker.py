"""A real worker's /metrics after a job: its counters equal what the job did.

SeaweedFS holds the objects, the fake Atlan server receives the writes, Redis is the broker;
the worker runs with two pool processes, so the counts on its port are the sum of two
processes' multiprocess files.
"""

from __future__ import annotations

import socket
import sqlite3
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support import atlan_fixtures as _atlan
from tests.support.atlan_server import FakeAtlan
from tests.support.badfiles import csv_bytes
from tests.support.cli import run_enricher
from tests.support.polling import wait_until
from tests.support.redis_dbs import RedisDatabases
from tests.support.service_env import service_env
from tests.support.workers import Worker

# A real worker whose counters are checked, no latency bound: in make test's background lane.
pytestmark = [pytest.mark.serial, pytest.mark.beside]

atlan_server = _atlan.atlan_server


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scrape(port: int) -> Samples:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _sum(samples: Samples, name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= ls)


def _job_counts(db: Path, job_id: str) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT status, count(*) FROM job_items WHERE job_id = ? GROUP BY status", (job_id,)
        ).fetchall()
    return {str(s): int(n) for s, n in rows}


def _bytes_read(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        (total,) = conn.execute("SELECT coalesce(sum(bytes_read), 0) FROM objects").fetchone()
    return int(total)


def test_worker_metrics_equal_what_the_job_did(
    seaweed: Any,
    bucket: str,
    atlan_server: FakeAtlan,
    redis_dbs: RedisDatabases,
    tmp_path: Path,
) -> None:
    atlan_server.reset()
    n = 10
    client = seaweed.client()
    for i in range(n):
        client.put_object(Bucket=bucket, Key=f"m/part-{i:02d}.csv", Body=csv_bytes(40 + i))
    port = _free_port()
    db = tmp_path / "c.db"
    env = service_env(
        f"sqlite:///{db}",
        s3_endpoint=seaweed.endpoint_url,
        redis=redis_dbs,
        atlan_url=atlan_server.base_url,
    ) | {
        "ENRICH_METRICS__PORT": str(port),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"),
    }
    assert run_enricher(["atlan", "init"], env, tmp_path).returncode == 0
    worker = Worker(env, tmp_path, concurrency=2)
    try:
        before = wait_until(lambda: _try_scrape(port), 30, "no /metrics on the worker's port")
        assert before is not None
        assert _sum(before, "s3e_objects_total") == 0
        assert _sum(before, "s3e_scrape_source_up", source="redis") == 1
        start = run_enricher(["job", "start", f"s3://{bucket}/m/"], env, tmp_path)
        assert start.returncode == 0, start.stderr
        job_id = start.stdout.strip()
        wait_until(
            lambda: (
                sum(_job_counts(db, job_id).get(s, 0) for s in ("classified", "skipped", "failed"))
                == n
            ),
            120,
            lambda: f"job not done: {_job_counts(db, job_id)}",
        )
        counts = _job_counts(db, job_id)
        # The last task's counters are written before its job item: poll the scrape briefly.
        after = wait_until(
            lambda: _scrape_when(port, lambda s: _sum(s, "s3e_job_objects_total") == n),
            30,
            lambda: f"job counters never reached {n}",
        )
        assert after is not None
        assert counts == {"classified": n}
        assert _sum(after, "s3e_objects_total", status="classified", format="csv") == n
        assert _sum(after, "s3e_objects_total") == n
        assert _sum(after, "s3e_job_objects_total", status="classified") == n
        assert _sum(after, "s3e_bytes_read_total") == _bytes_read(db) > 0
        assert _sum(after, "s3e_stage_seconds_count", stage="sample") == n
        assert _sum(after, "s3e_stage_seconds_count", stage="record") == n
        assert _sum(after, "s3e_queue_depth", queue="enrich") == 0
        assert len(list((tmp_path / "prom").glob("counter_*.db"))) >= 2  # two pool processes
        # The writes reach Atlan through the flush task: its requests are counted.
        wait_until(lambda: len(atlan_server.entities("S3Object")) == n, 60, "Atlan writes missing")
        # A request is counted, then its latency observed: a scrape between the two (a flush
        # still under way) sees one more count than observation, so wait for a quiet moment.
        final = wait_until(
            lambda: _scrape_when(
                port,
                lambda s: (
                    _sum(s, "s3e_atlan_requests_total", outcome="ok") > 0
                    and _sum(s, "s3e_atlan_request_seconds_count")
                    == _sum(s, "s3e_atlan_requests_total")
                ),
            ),
            30,
            "no Atlan request counted, or a count without its latency",
        )
        assert final is not None
        assert _sum(final, "s3e_atlan_request_seconds_count") == _sum(
            final, "s3e_atlan_requests_total"
        )
        for (_name, labels), _value in final.items():
            for _label, value in labels:
                assert "/" not in value and "s3:" not in value, (_name, labels)
    finally:
        worker.kill_all()


def _try_scrape(port: int) -> Samples | None:
    try:
        return _scrape(port)
    except OSError:
        return None


def _scrape_when(port: int, ready: Callable[[Samples], bool]) -> Samples | None:
    """The scrape when ``ready`` says it shows what is awaited, else ``None``."""
    samples = _scrape(port)
    return samples if ready(samples) else None
