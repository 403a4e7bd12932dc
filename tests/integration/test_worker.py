"""Celery workers on real Redis with real worker processes: jobs, crashes, exactly-once effect.

SeaweedFS holds the objects, the fake Atlan server receives the writes. Each test uses its
own Redis database numbers and flushes them, so nothing leaks between tests or runs.
"""

from __future__ import annotations

import os
import re
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
from tests.integration.test_cli_scan import ENRICHER, enricher_env, run_enricher

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
        full = enricher_env(env)
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
    n = 200
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
    line = _wait_complete(job_id, env, tmp_path, 400)
    assert f"{n}/{n}" in line and f"classified {n}" in line, line
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
    n = 200
    _upload(seaweed, bucket, n)
    # Short limits make the broker give the dead worker's unacked tasks back soon (the
    # visibility timeout is kept above the time limit); but a fresh pool process loads its
    # models on its first task, which takes over 10 s on a loaded 2-core machine, and a limit
    # below that kills every fresh process on its first task, over and over.
    env = {
        **env,
        "ENRICH_CELERY__TASK_TIME_LIMIT_S": "30",
        "ENRICH_CELERY__TASK_SOFT_TIME_LIMIT_S": "25",
    }
    assert run_enricher(["atlan", "init"], env, tmp_path).returncode == 0
    first = Worker(env, tmp_path)
    workers.append(first)
    job_id = run_enricher(["job", "start", f"s3://{bucket}/bulk/"], env, tmp_path).stdout.strip()
    time.sleep(4)
    first.kill_all()  # main process and pool, no warm shutdown: tasks stay unacked
    workers.append(Worker(env, tmp_path))
    line = _wait_complete(job_id, env, tmp_path, 400)
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
    time.sleep(5)  # the worker has seen the job's tasks and left them alone
    status = run_enricher(["job", "status", job_id], env, tmp_path).stdout
    assert " cancelled " in status and "classified" not in status, status
    assert "resumed" in run_enricher(["job", "resume", job_id], env, tmp_path).stdout
    line = _wait_complete(job_id, env, tmp_path, 120)
    assert f"classified {n}" in line, line
    listing = run_enricher(["job", "list"], env, tmp_path).stdout
    assert job_id in listing


def test_s3_events_from_sqs_reach_atlan_within_ten_seconds(
    env: dict[str, str], workers: list[Worker], tmp_path: Path
) -> None:
    import boto3
    from moto.server import ThreadedMotoServer

    from tests.seaweed import free_ports

    (port,) = free_ports(1)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        opts: dict[str, Any] = {
            "endpoint_url": endpoint,
            "region_name": "us-east-1",
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        s3, sqs = boto3.client("s3", **opts), boto3.client("sqs", **opts)
        queue_url = sqs.create_queue(QueueName="lake-events")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
        s3.create_bucket(Bucket="evlake")
        s3.put_bucket_notification_configuration(
            Bucket="evlake",
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": arn["Attributes"]["QueueArn"],
                        "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                    }
                ]
            },
        )
        env = {
            **env,
            "ENRICH_S3__ENDPOINT_URL": endpoint,
            "ENRICH_EVENTS__SQS_ENDPOINT_URL": endpoint,
            "ENRICH_EVENTS__WAIT_SECONDS": "1",
        }
        assert run_enricher(["atlan", "init"], env, tmp_path).returncode == 0
        workers.append(Worker(env, tmp_path))
        full = enricher_env(env)
        consumer = subprocess.Popen(
            [ENRICHER, "events", "sqs", "--queue-url", queue_url],
            env=full,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            server = atlan_server_of(env)
            # Warm-up: the first object pays the pool processes' model and pyatlan imports.
            s3.put_object(Bucket="evlake", Key="warm/up.csv", Body=csv_bytes(40))
            deadline = time.monotonic() + 90
            while not server.entities("S3Object") and time.monotonic() < deadline:
                time.sleep(0.2)
            assert server.entities("S3Object"), "the warm-up object never reached Atlan"
            keys = ["in/a.csv", "in/dir with space/ü.csv"]
            started = time.monotonic()
            for key in keys:
                s3.put_object(Bucket="evlake", Key=key, Body=csv_bytes(40))
            while len(server.entities("S3Object")) < 3 and time.monotonic() - started < 10:
                time.sleep(0.2)
            latency = time.monotonic() - started
            names = sorted(e["attributes"]["s3ObjectKey"] for e in server.entities("S3Object"))
            assert names == sorted([*keys, "warm/up.csv"]), (names, latency)
            assert latency < 10
            # A removal archives the asset (soft delete), never removes it.
            s3.delete_object(Bucket="evlake", Key="in/a.csv")
            deadline = time.monotonic() + 15
            archived: Any = None
            while time.monotonic() < deadline:
                qn = next(
                    e["attributes"]["qualifiedName"]
                    for e in server.entities("S3Object")
                    if e["attributes"]["s3ObjectKey"] == "in/a.csv"
                )
                archived = server.entity("S3Object", qn)
                if archived and archived["status"] == "DELETED":
                    break
                time.sleep(0.3)
            assert archived is not None and archived["status"] == "DELETED"
            assert (
                sqs.get_queue_attributes(
                    QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
                )["Attributes"]["ApproximateNumberOfMessages"]
                == "0"
            )
        finally:
            consumer.terminate()
            consumer.wait(15)
    finally:
        moto.stop()


def test_inventory_job_with_diff_only_writes_nothing_to_atlan(
    seaweed: Any, bucket: str, env: dict[str, str], workers: list[Worker], tmp_path: Path
) -> None:
    from tests.integration.test_inventory_s3 import upload
    from tests.unit.test_inventory import Row, write_inventory

    n = 15
    _upload(seaweed, bucket, n)
    rows = [Row(key=f"bulk/part-{i:04d}.csv", size=1, bucket=bucket) for i in range(n)]
    rows.append(Row(key="bulk/deleted.csv", delete=True, size=None, bucket=bucket))
    rows.append(Row(key="other/x.csv", bucket=bucket))  # outside the job's prefix
    inv_root = tmp_path / "inv"
    write_inventory(inv_root, [rows], dest=bucket, extra={"sourceBucket": bucket})
    manifest = upload(seaweed.client(), bucket, inv_root / bucket)
    assert run_enricher(["atlan", "init"], env, tmp_path).returncode == 0
    workers.append(Worker(env, tmp_path))
    start = run_enricher(
        ["job", "start", f"s3://{bucket}/bulk/", "--inventory", manifest, "--diff-only"],
        env,
        tmp_path,
    )
    assert start.returncode == 0, start.stderr
    line = _wait_complete(start.stdout.strip(), env, tmp_path, 120)
    assert f"{n}/{n}" in line and f"classified {n}" in line, line
    time.sleep(2)
    assert atlan_server_of(env).entities("S3Object") == []  # diff-only: nothing written


def test_beat_starts_periodic_jobs(
    seaweed: Any, bucket: str, env: dict[str, str], workers: list[Worker], tmp_path: Path
) -> None:
    _upload(seaweed, bucket, 5)
    env = {**env, "ENRICH_ATLAN__ENABLED": "false"}
    config = tmp_path / "enricher.yaml"
    config.write_text(
        "celery:\n  schedules:\n"
        f"    - {{uri: 's3://{bucket}/bulk/', every_minutes: 0.05, only_changed: true}}\n"
    )
    workers.append(Worker(env, tmp_path))
    full = enricher_env(env)
    beat = subprocess.Popen(
        [ENRICHER, "--config", str(config), "beat", "--schedule-file", str(tmp_path / "sched")],
        env=full,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Beat starts a job every 3 s; the first ones classify the objects (a pool process
        # loads its models on its first task, slow on a busy machine) and the later ones
        # find them unchanged. Every object classified once, over all the jobs, is the proof.
        deadline = time.monotonic() + 150
        listing, classified = "", 0
        while time.monotonic() < deadline:
            listing = run_enricher(["job", "list"], env, tmp_path).stdout
            classified = sum(int(n) for n in re.findall(r"classified (\d+)", listing))
            if classified >= 5 and listing.count("\n") >= 2:
                break
            time.sleep(1)
        assert classified >= 5 and listing.count("\n") >= 2, listing
    finally:
        beat.terminate()
        beat.wait(15)
