"""Celery workers on real Redis with real worker processes: jobs, crashes, exactly-once effect.

SeaweedFS holds the objects, the fake Atlan server receives the writes. Each test uses its
own Redis database numbers and flushes them, so nothing leaks between tests or runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.atlan_server import FakeAtlan
from tests.badfiles import csv_bytes
from tests.integration import atlan_conftest_fixtures as _atlan
from tests.integration.test_cli_scan import ENRICHER, run_enricher

atlan_server = _atlan.atlan_server
BROKER_DB, BACKEND_DB = 11, 12


@pytest.fixture
def env(seaweed: Any, atlan_server: FakeAtlan, tmp_path: Path) -> dict[str, str]:
    for db in (BROKER_DB, BACKEND_DB):
        redis.Redis(host="127.0.0.1", port=6379, db=db).flushdb()
    atlan_server.reset()
    return {
        "ENRICH_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
        "ENRICH_S3__ENDPOINT_URL": seaweed.endpoint_url,
        "ENRICH_S3__ACCESS_KEY_ID": "testing",
        "ENRICH_S3__SECRET_ACCESS_KEY": "testing",
        "ENRICH_CELERY__BROKER_URL": f"redis://127.0.0.1:6379/{BROKER_DB}",
        "ENRICH_CELERY__RESULT_BACKEND": f"redis://127.0.0.1:6379/{BACKEND_DB}",
        "ENRICH_CELERY__TASK_TIME_LIMIT_S": "20",
        "ENRICH_CELERY__TASK_SOFT_TIME_LIMIT_S": "15",
        "ENRICH_CELERY__VISIBILITY_TIMEOUT_S": "10",
        "ENRICH_CELERY__UNACKED_RESTORE_INTERVAL_S": "1",
        "ENRICH_CELERY__ATLAN_FLUSH_DELAY_S": "1",
        "ENRICH_ATLAN__ENABLED": "true",
        "ENRICH_ATLAN__MAX_RETRIES": "1",
        "ENRICH_ATLAN__BACKOFF_S": "0.05",
        "ATLAN_BASE_URL": atlan_server.base_url,
        "ATLAN_API_KEY": _atlan.API_KEY,
    }


class Worker:
    """An ``enricher worker`` process (prefork) and its log."""

    def __init__(self, env: dict[str, str], cwd: Path, concurrency: int = 2) -> None:
        full = {k: v for k, v in os.environ.items() if not k.startswith("ENRICH_")}
        full.update(env)
        self.log = cwd / f"worker-{time.monotonic_ns()}.log"
        self._log_file = self.log.open("wb")
        self.proc = subprocess.Popen(
            [ENRICHER, "worker", f"--concurrency={concurrency}"],
            env=full,
            cwd=cwd,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while b"ready." not in self.log.read_bytes():
            assert self.proc.poll() is None, self.log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "worker did not start"
            time.sleep(0.2)

    def children(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True, check=False
        ).stdout
        return [int(p) for p in out.split()]

    def kill_all(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill_all()
        self._log_file.close()


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for w in started:
        w.stop()


def _upload(seaweed: Any, bucket: str, n: int) -> None:
    client = seaweed.client()
    body = csv_bytes(60)
    for i in range(n):
        client.put_object(Bucket=bucket, Key=f"bulk/part-{i:04d}.csv", Body=body)


def _wait_complete(job_id: str, env: dict[str, str], cwd: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    line = ""
    while time.monotonic() < deadline:
        proc = run_enricher(["job", "status", job_id], env, cwd)
        line = proc.stdout.strip()
        if line.split()[1:2] == ["done"]:
            return line
        time.sleep(1)
    raise AssertionError(f"job not complete in {timeout} s: {line}")


def _assert_atlan_once(server: FakeAtlan, n: int) -> None:
    deadline = time.monotonic() + 30
    while len(server.entities("S3Object")) < n and time.monotonic() < deadline:
        time.sleep(0.5)
    assert len(server.entities("S3Object")) == n
    writes: Counter[str] = Counter()
    for r in server.mutating_requests():
        if "entity/bulk" in r.path and r.body and r.query.get("appendTags") != "true":
            for e in r.body.get("entities", []):
                if e.get("typeName") == "S3Object":
                    writes[e["attributes"]["qualifiedName"]] += 1
    assert writes and max(writes.values()) == 1, writes.most_common(3)


def test_job_runs_to_completion_and_survives_a_killed_pool_process(
    seaweed: Any, bucket: str, env: dict[str, str], workers: list[Worker], tmp_path: Path
) -> None:
    n = 60
    _upload(seaweed, bucket, n)
    assert run_enricher(["atlan", "init"], env, tmp_path).returncode == 0
    workers.append(Worker(env, tmp_path))
    start = run_enricher(["job", "start", f"s3://{bucket}/bulk/"], env, tmp_path)
    assert start.returncode == 0, start.stderr
    job_id = start.stdout.strip()
    # Kill one pool process (kill -9) while tasks run.
    time.sleep(3)
    victim = workers[0].children()[0]
    os.kill(victim, signal.SIGKILL)
    line = _wait_complete(job_id, env, tmp_path, 180)
    assert f"{n}/{n}" in line and "classified 60" in line, line
    _assert_atlan_once(atlan_server_of(env), n)


def atlan_server_of(env: dict[str, str]) -> FakeAtlan:
    return _SERVERS[env["ATLAN_BASE_URL"]]


_SERVERS: dict[str, FakeAtlan] = {}


@pytest.fixture(autouse=True)
def _register(atlan_server: FakeAtlan) -> None:
    _SERVERS[atlan_server.base_url] = atlan_server


def test_whole_worker_killed_then_replaced(
    seaweed: Any, bucket: str, env: dict[str, str], workers: list[Worker], tmp_path: Path
) -> None:
    n = 40
    _upload(seaweed, bucket, n)
    env = {
        **env,
        "ENRICH_CELERY__TASK_TIME_LIMIT_S": "10",
        "ENRICH_CELERY__TASK_SOFT_TIME_LIMIT_S": "8",
    }
    assert run_enricher(["atlan", "init"], env, tmp_path).returncode == 0
    first = Worker(env, tmp_path)
    workers.append(first)
    job_id = run_enricher(["job", "start", f"s3://{bucket}/bulk/"], env, tmp_path).stdout.strip()
    time.sleep(4)
    first.kill_all()  # main process and pool, no warm shutdown: tasks stay unacked
    workers.append(Worker(env, tmp_path))
    line = _wait_complete(job_id, env, tmp_path, 180)
    assert f"{n}/{n}" in line and f"classified {n}" in line, line
    _assert_atlan_once(atlan_server_of(env), n)


def test_cancel_then_resume_without_redoing(
    seaweed: Any, bucket: str, env: dict[str, str], workers: list[Worker], tmp_path: Path
) -> None:
    n = 30
    _upload(seaweed, bucket, n)
    env = {**env, "ENRICH_ATLAN__ENABLED": "false"}
    job_id = run_enricher(["job", "start", f"s3://{bucket}/bulk/"], env, tmp_path).stdout.strip()
    # No worker yet: cancel while everything is queued, then start one.
    assert "cancelled" in run_enricher(["job", "cancel", job_id], env, tmp_path).stdout
    workers.append(Worker(env, tmp_path))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = run_enricher(["job", "status", job_id], env, tmp_path).stdout
        if "classified" in status or "cancelled " in status.split("(")[-1]:
            break
        time.sleep(1)
    status = run_enricher(["job", "status", job_id], env, tmp_path).stdout
    assert "classified" not in status  # nothing was classified while cancelled
    assert "resumed" in run_enricher(["job", "resume", job_id], env, tmp_path).stdout
    line = _wait_complete(job_id, env, tmp_path, 120)
    assert f"classified {n}" in line, line
    listing = run_enricher(["job", "list"], env, tmp_path).stdout
    assert job_id in listing
