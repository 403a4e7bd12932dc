"""Scale-out: N workers on separate hosts share one Redis broker and one PostgreSQL catalog.

"Separate hosts" here: two ``enricher worker`` processes with their own Celery node names
(``-n w1@hostA``, ``-n w2@hostB``), their own working directory, home and temporary directory,
and no local file in common; what they share is what separate machines would share, the broker
(Redis) and the catalog (PostgreSQL). A bulk job's objects must be split between them, each
object enriched exactly once, and every result must land in the one catalog. This is the
deployment docs/deploy.md describes (compose ``--scale worker=N``, Kubernetes replicas).
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.support.badfiles import csv_bytes
from tests.support.cli import run_enricher
from tests.support.polling import wait_until
from tests.support.redis_dbs import RedisDatabases
from tests.support.service_env import service_env
from tests.support.workers import Worker

# Celery workers bounding real time: after the parallel tests, one at a time (see the Makefile).
pytestmark = pytest.mark.serial

NODES = ("w1@hostA", "w2@hostB")
OBJECTS = 30
# Celery's line for a finished task, with the task's return value (uri and status, no values).
_SUCCEEDED = re.compile(r"Task s3e\.enrich\[[0-9a-f-]+\] succeeded in [0-9.]+s: (\{.*\})")


class HostWorker(Worker):
    """An ``enricher worker`` with its own node name and a directory no other process uses."""

    def __init__(self, node: str, env: dict[str, str], root: Path) -> None:
        self.node = node
        self.home = root / node.split("@")[1]
        (self.home / "tmp").mkdir(parents=True)
        own = {**env, "HOME": str(self.home), "TMPDIR": str(self.home / "tmp")}
        # Concurrency 1: with prefetch 1 each worker holds one task at a time, so neither can
        # drain the queue alone while the other is up.
        super().__init__(own, self.home, 1, ("-n", node), log=self.home / "worker.log", wait=False)

    def enriched(self) -> list[dict[str, Any]]:
        """The return values of the enrich tasks this worker finished, from its log."""
        text_ = self.log.read_text(errors="replace")
        return [ast.literal_eval(m.group(1)) for m in _SUCCEEDED.finditer(text_)]


@pytest.fixture
def hosts() -> Iterator[list[HostWorker]]:
    started: list[HostWorker] = []
    yield started
    for worker in started:
        worker.kill_all()


def test_two_hosts_split_a_job_and_share_one_catalog(
    seaweed: Any,
    bucket: str,
    redis_dbs: RedisDatabases,
    postgres_url: str,
    hosts: list[HostWorker],
    tmp_path: Path,
) -> None:
    client = seaweed.client()
    body = csv_bytes(60)
    for i in range(OBJECTS):
        client.put_object(Bucket=bucket, Key=f"bulk/part-{i:04d}.csv", Body=body)
    env = service_env(postgres_url, s3_endpoint=seaweed.endpoint_url, redis=redis_dbs)
    for node in NODES:  # both start at once: two fresh hosts running the same first migration
        hosts.append(HostWorker(node, env, tmp_path))
    wait_until(lambda: all(w.ready() for w in hosts), 60, "the workers did not start")

    # Both nodes answer on the one broker under their own names.
    from celery import Celery

    replies = Celery(broker=redis_dbs.broker_url).control.ping(timeout=5.0, limit=len(NODES))
    assert sorted(name for reply in replies for name in reply) == sorted(NODES), replies

    operator = tmp_path / "operator"
    operator.mkdir()
    start = run_enricher(["job", "start", f"s3://{bucket}/bulk/"], env, operator)
    assert start.returncode == 0, start.stderr
    job_id = start.stdout.strip()

    def finished() -> bool:
        line = run_enricher(["job", "status", job_id], env, operator).stdout
        return line.split()[1:2] == ["done"]

    wait_until(
        finished,
        30,
        lambda: run_enricher(["job", "status", job_id], env, operator).stdout,
        interval=0.5,
    )
    status = run_enricher(["job", "status", job_id], env, operator).stdout
    assert f"{OBJECTS}/{OBJECTS}" in status and f"classified {OBJECTS}" in status, status

    # Split across both hosts, each object enriched once (no duplicate delivery, no re-run).
    expected = {f"s3://{bucket}/bulk/part-{i:04d}.csv" for i in range(OBJECTS)}
    per_host = {
        w.node: [r["uri"] for r in w.enriched() if r["status"] == "classified"] for w in hosts
    }
    assert all(per_host.values()), {node: len(uris) for node, uris in per_host.items()}
    counts = Counter(uri for uris in per_host.values() for uri in uris)
    assert set(counts) == expected and max(counts.values()) == 1, counts.most_common(3)
    assert not any(r.get("duplicate") for w in hosts for r in w.enriched())
    print({node: len(uris) for node, uris in per_host.items()})

    # Every result is in the one PostgreSQL catalog, under the job's run.
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            objects = conn.execute(
                text(
                    "SELECT o.uri, o.status FROM objects o JOIN jobs j ON j.run_id = o.last_run_id "
                    "WHERE j.id = :job"
                ),
                {"job": job_id},
            ).all()
            items = conn.execute(
                text("SELECT status, count(*) FROM job_items WHERE job_id = :job GROUP BY status"),
                {"job": job_id},
            ).all()
            with_findings = conn.execute(
                text("SELECT count(DISTINCT object_uri) FROM findings")
            ).scalar_one()
    finally:
        engine.dispose()
    assert {uri for uri, _ in objects} == expected
    assert {status for _, status in objects} == {"classified"}
    assert items == [("classified", OBJECTS)]
    assert with_findings == OBJECTS  # the people CSV has PII: every object has findings

    # No local file in common: neither host kept a catalog, schedule or lock of its own (the
    # metrics' multiprocess files, counter_<pid>.db in s3e-metrics-*, hold only counters).
    for worker in hosts:
        kept = {
            p.name
            for p in worker.home.rglob("*")
            if p.is_file() and not p.parent.name.startswith("s3e-metrics-")
        }
        assert not {n for n in kept if n.endswith((".db", "-lock", "celerybeat-schedule"))}, kept
