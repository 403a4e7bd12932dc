"""Celery workers on real Redis with real worker processes: jobs, crashes, exactly-once effect.

SeaweedFS holds the objects, the fake Atlan server receives the writes. Each test claims
Redis database numbers of its own (``redis_dbs``), so nothing leaks between tests or runs. The
workers run with the default Celery settings (time limits, visibility timeout, flush delay):
the recovery they show is the one a deployment gets.
"""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.support import atlan_fixtures as _atlan
from tests.support.atlan_server import FakeAtlan
from tests.support.badfiles import csv_bytes
from tests.support.cli import ENRICHER, enricher_env, run_enricher
from tests.support.polling import wait_until
from tests.support.redis_dbs import RedisDatabases
from tests.support.service_env import service_env
from tests.support.workers import Worker

# These tests start Celery workers that use both cores and bound recovery and latency in real
# time: they run after the parallel integration tests, one at a time (see the Makefile), except
# the whole-worker kill test (marked `beside`), most of whose 95 s is the broker's visibility
# timeout: it runs in the background beside the parallel integration tests.
pytestmark = pytest.mark.serial

atlan_server = _atlan.atlan_server


@pytest.fixture
def env(
    seaweed: Any, atlan_server: FakeAtlan, redis_dbs: RedisDatabases, tmp_path: Path
) -> dict[str, str]:
    atlan_server.reset()
    return service_env(
        f"sqlite:///{tmp_path / 'c.db'}",
        s3_endpoint=seaweed.endpoint_url,
        redis=redis_dbs,
        atlan_url=atlan_server.base_url,
    )


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
    # Enough objects that the kill lands mid-job: the kill comes at 5 done, and the remaining
    # 75 take several seconds more (checked below).
    n = 80
    _upload(seaweed, bucket, n)
    assert run_enricher(["atlan", "init"], env, tmp_path).returncode == 0
    workers.append(Worker(env, tmp_path))
    start = run_enricher(["job", "start", f"s3://{bucket}/bulk/"], env, tmp_path)
    assert start.returncode == 0, start.stderr
    job_id = start.stdout.strip()
    # Kill one pool process (kill -9) while tasks run: once some objects are done, and
    # (checked below) before all are, so the kill lands in the middle of the job.
    db = tmp_path / "c.db"
    wait_until(lambda: _finished(db, job_id) >= 5, 120, "the worker finished nothing")
    assert _finished(db, job_id) < n, "the job finished before the kill"
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


def _succeeded(worker: Worker) -> int:
    """Tasks the worker logged as succeeded, its own lost-message watches left out."""
    lines = worker.log.read_text(errors="replace").splitlines()
    return sum(" succeeded in " in line and "s3e.watch_jobs" not in line for line in lines)


def _finished(db: Path, job_id: str) -> int:
    """Items of the job with a final status, read straight from the catalog (SQLite)."""
    with sqlite3.connect(db) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM job_items WHERE job_id = ? AND status IN "
            "('classified', 'skipped', 'failed')",
            (job_id,),
        ).fetchone()
    return int(count)


@pytest.mark.beside
def test_whole_worker_killed_then_replaced(
    seaweed: Any, bucket: str, env: dict[str, str], workers: list[Worker], tmp_path: Path
) -> None:
    """Default settings: within 120 s of a replacement starting, every object is done and in
    Atlan exactly once (the dead worker's tasks come back after the 80 s visibility timeout;
    the replacement's start-up flush empties the outbox; a message the kill lost outright,
    popped and not yet recorded as unacked, is sent again by the lost-message watch)."""
    n = 100
    _upload(seaweed, bucket, n)
    assert run_enricher(["atlan", "init"], env, tmp_path).returncode == 0
    first = Worker(env, tmp_path)
    workers.append(first)
    job_id = run_enricher(["job", "start", f"s3://{bucket}/bulk/"], env, tmp_path).stdout.strip()
    db = tmp_path / "c.db"
    deadline = time.monotonic() + 120
    while _finished(db, job_id) < 10:
        assert time.monotonic() < deadline, "the first worker finished nothing"
        time.sleep(0.1)
    first.kill_all()  # main process and pool, no warm shutdown: tasks stay unacked
    done_at_kill = _finished(db, job_id)
    assert done_at_kill < n, "the job finished before the kill: nothing to recover"
    started = time.monotonic()
    workers.append(Worker(env, tmp_path))
    line = _wait_complete(job_id, env, tmp_path, 120 - (time.monotonic() - started))
    assert f"{n}/{n}" in line and f"classified {n}" in line, line
    server = atlan_server_of(env)
    while len(server.entities("S3Object")) < n and time.monotonic() - started < 120:
        time.sleep(0.5)
    recovered = time.monotonic() - started
    print(f"recovery: {done_at_kill}/{n} done at the kill, all done and in Atlan {recovered:.1f} s")
    assert recovered < 120, recovered
    _assert_atlan_once(server, n)


def test_objects_whose_messages_were_lost_are_sent_again(
    seaweed: Any, bucket: str, env: dict[str, str], workers: list[Worker], tmp_path: Path
) -> None:
    """kombu pops a message (BRPOP) before it records it as unacked: a worker killed in between
    loses it for good, and the visibility timeout cannot bring back what was never unacked.
    Here two of a job's enrich messages are taken out of Redis as such a kill would; the
    worker's watch (worker.tasks.lost) finds the job unfinished with no message left, and it
    completes."""
    n = 12
    _upload(seaweed, bucket, n)
    env = {
        **env,
        "ENRICH_ATLAN__ENABLED": "false",
        "ENRICH_CELERY__LOST_CHECK_INTERVAL_S": "1",
    }
    job_id = run_enricher(["job", "start", f"s3://{bucket}/bulk/"], env, tmp_path).stdout.strip()
    broker = redis.Redis.from_url(env["ENRICH_CELERY__BROKER_URL"])
    # A worker of the jobs queue alone lists the job: its enrich messages wait in Redis.
    lister = Worker(env, tmp_path, concurrency=1, args=("--queues=jobs",))
    workers.append(lister)
    wait_until(lambda: broker.llen("enrich") == n, 60, "the job's objects were not queued")
    # Its listing task acknowledged (killed before, it would come back only after the 80 s
    # visibility timeout, and the broker would not be quiet until then).
    wait_until(lambda: broker.hlen("unacked") == 0, 30, "the listing task was not acknowledged")
    lister.kill_all()
    assert broker.rpop("enrich") and broker.rpop("enrich")  # the next two deliveries, lost
    worker = Worker(env, tmp_path)
    workers.append(worker)
    line = _wait_complete(job_id, env, tmp_path, 90)
    assert f"{n}/{n}" in line and f"classified {n}" in line, line
    assert "sending them again" in worker.log.read_text(errors="replace")


def _heavy_csv(rows: int = 1000, columns: int = 10, words: int = 120) -> bytes:
    """A CSV of long free-text cells: several seconds of NER, time enough to kill its task."""
    rnd = random.Random(13)
    vocabulary = (
        "the customer called about an order and asked to update the billing address "
        "before the delivery next week said the agent"
    ).split()
    names = ["Anna Berg", "Marc Dubois", "Li Wei", "Sara Khan", "John Miller"]

    def text() -> str:
        chosen = [rnd.choice(vocabulary) for _ in range(words)]
        chosen.insert(10, rnd.choice(names))
        return '"' + " ".join(chosen) + '"'

    header = ",".join(["id"] + [f"note_{j}" for j in range(columns)])
    lines = [header] + [",".join([str(i)] + [text() for _ in range(columns)]) for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def test_an_object_whose_process_dies_each_time_fails_as_worker_lost(
    seaweed: Any, bucket: str, env: dict[str, str], workers: list[Worker], tmp_path: Path
) -> None:
    """The enrich task's pool process is killed (kill -9) on each of its first three
    deliveries: Celery requeues it each time (reject_on_worker_lost); the fourth delivery
    records the object as failed (worker_lost) in the job and the catalog and acks it."""
    seaweed.client().put_object(Bucket=bucket, Key="poison/notes.csv", Body=_heavy_csv())
    env = {**env, "ENRICH_ATLAN__ENABLED": "false"}
    worker = Worker(env, tmp_path, concurrency=1)  # one pool process: the one running it
    workers.append(worker)
    start = run_enricher(["job", "start", f"s3://{bucket}/poison/"], env, tmp_path)
    assert start.returncode == 0, start.stderr
    job_id = start.stdout.strip()
    broker = redis.Redis.from_url(env["ENRICH_CELERY__BROKER_URL"])
    for delivery in (1, 2, 3):
        deadline = time.monotonic() + 60
        while True:
            counts = [broker.get(k) for k in broker.keys("s3e:deliveries:s3e.enrich:*")]
            if [int(c) for c in counts if c is not None] == [delivery]:
                break
            assert time.monotonic() < deadline, f"delivery {delivery} never started: {counts}"
            time.sleep(0.02)
        [child] = worker.children()
        os.kill(child, signal.SIGKILL)
    line = _wait_complete(job_id, env, tmp_path, 90)
    assert "1/1" in line and "failed 1" in line, line
    with sqlite3.connect(tmp_path / "c.db") as conn:
        row = conn.execute(
            "SELECT o.status, o.error_kind, o.last_run_id = j.run_id, i.error_kind "
            "FROM objects o, jobs j, job_items i WHERE o.uri = ? AND j.id = ? "
            "AND i.job_id = j.id AND i.uri = o.uri",
            (f"s3://{bucket}/poison/notes.csv", job_id),
        ).fetchone()
    assert row == ("failed", "worker_lost", 1, "worker_lost"), row
    log = worker.log.read_text(errors="replace")
    assert log.count("signal 9 (SIGKILL)") >= 3, log[-3000:]
    # Acknowledged: nothing left to deliver, no count left behind. The job is done as soon as
    # the item is recorded; the acknowledgement follows the task's return (acks_late).
    wait_until(
        lambda: broker.llen("enrich") == 0 and broker.hlen("unacked") == 0,
        30,
        lambda: f"still queued {broker.llen('enrich')}, unacked {broker.hlen('unacked')}",
    )
    assert broker.keys("s3e:deliveries:s3e.enrich:*") == []


def test_worker_tasks_refuse_local_paths(
    env: dict[str, str], workers: list[Worker], tmp_path: Path
) -> None:
    """Without celery.allow_local_paths a job over a local folder, a scheduled job of one and
    an enrich task for a file:// URI are failed with local_path_refused; nothing local is
    listed or read."""
    from celery import Celery

    local = tmp_path / "lake"
    local.mkdir()
    (local / "people.csv").write_bytes(csv_bytes(20))
    env = {**env, "ENRICH_ATLAN__ENABLED": "false"}
    workers.append(Worker(env, tmp_path, concurrency=1))
    start = run_enricher(["job", "start", str(local)], env, tmp_path)
    assert start.returncode == 0, start.stderr
    line = _wait_complete(start.stdout.strip(), env, tmp_path, 60)
    assert "1/1" in line and "failed 1" in line, line
    client = Celery(broker=env["ENRICH_CELERY__BROKER_URL"])
    secret = (local / "people.csv").as_uri()
    client.send_task("s3e.enrich", (secret,), queue="enrich")
    client.send_task("s3e.start_scheduled", (str(local),), queue="jobs")
    deadline = time.monotonic() + 30
    rows: list[tuple[str, str, str | None]] = []
    while time.monotonic() < deadline and len(rows) < 3:
        with sqlite3.connect(tmp_path / "c.db") as conn:
            rows = conn.execute(
                "SELECT o.uri, o.error_kind, r.command FROM objects o "
                "JOIN runs r ON r.id = o.last_run_id ORDER BY o.uri"
            ).fetchall()
        time.sleep(0.3)
    assert sorted(rows) == sorted(
        [
            (local.as_uri(), "local_path_refused", "job"),  # job start: the listing refused it
            (str(local), "local_path_refused", "job"),  # a scheduled job: refused at its start
            (secret, "local_path_refused", "worker"),  # an enrich task outside any job
        ]
    ), rows
    listing = run_enricher(["job", "list"], env, tmp_path).stdout
    assert listing.count("failed 1") == 2 and "classified" not in listing, listing


def test_cancel_then_resume_without_redoing(
    seaweed: Any, bucket: str, env: dict[str, str], workers: list[Worker], tmp_path: Path
) -> None:
    n = 30
    _upload(seaweed, bucket, n)
    env = {**env, "ENRICH_ATLAN__ENABLED": "false"}
    job_id = run_enricher(["job", "start", f"s3://{bucket}/bulk/"], env, tmp_path).stdout.strip()
    # No worker yet: cancel while everything is queued, then start one.
    assert "cancelled" in run_enricher(["job", "cancel", job_id], env, tmp_path).stdout
    broker = redis.Redis.from_url(env["ENRICH_CELERY__BROKER_URL"])
    queued = sum(int(broker.llen(q)) for q in ("jobs", "enrich", "atlan"))
    assert queued >= 1, "job start queued nothing"
    worker = Worker(env, tmp_path)
    workers.append(worker)
    # The worker has handled every task the job queued (and left them alone): bounded on its
    # log's task lines, not on a fixed wait.
    wait_until(
        lambda: _succeeded(worker) >= queued,
        60,
        lambda: (
            f"{queued} queued task(s) not all handled:\n"
            + worker.log.read_text(errors="replace")[-3000:]
        ),
    )
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

    from tests.support.seaweed import free_ports

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
        # No ENRICH_ keys: the consumer (SQS) and the worker (S3) take the credentials from
        # the AWS default chain, here its environment variables, as a role would give them.
        env = {
            **{k: v for k, v in env.items() if "ACCESS_KEY" not in k},
            "AWS_ACCESS_KEY_ID": "from-the-environment",
            "AWS_SECRET_ACCESS_KEY": "from-the-environment",
            "ENRICH_S3__ENDPOINT_URL": endpoint,
            "ENRICH_EVENTS__SQS_ENDPOINT_URL": endpoint,
            "ENRICH_EVENTS__WAIT_SECONDS": "1",
        }
        assert run_enricher(["atlan", "init"], env, tmp_path).returncode == 0
        workers.append(Worker(env, tmp_path))
        full = enricher_env(env)
        consumer_log = (tmp_path / "consumer.log").open("wb")
        consumer = subprocess.Popen(
            [ENRICHER, "events", "sqs", "--queue-url", queue_url],
            env=full,
            cwd=tmp_path,
            stdout=consumer_log,
            stderr=subprocess.STDOUT,
        )
        try:
            server = atlan_server_of(env)
            # Warm-up: the first object pays for the Atlan client's first connection.
            s3.put_object(Bucket="evlake", Key="warm/up.csv", Body=csv_bytes(40))
            deadline = time.monotonic() + 90
            while not server.entities("S3Object") and time.monotonic() < deadline:
                time.sleep(0.2)
            assert server.entities("S3Object"), (
                "the warm-up object never reached Atlan",
                (tmp_path / "consumer.log").read_text(errors="replace")[-2000:],
            )
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
            consumer_log.close()
    finally:
        moto.stop()


def test_inventory_job_with_diff_only_writes_nothing_to_atlan(
    seaweed: Any, bucket: str, env: dict[str, str], workers: list[Worker], tmp_path: Path
) -> None:
    from tests.support.inventory import Row, upload, write_inventory

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
    # An enrich task queues its Atlan write (the outbox) before it records its job item, and
    # a write leaves the outbox only once Atlan has it: with the job done, an empty outbox and
    # an empty Atlan mean nothing was queued and nothing can arrive later.
    with sqlite3.connect(tmp_path / "c.db") as conn:
        assert conn.execute("SELECT count(*) FROM atlan_outbox").fetchone() == (0,)
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
        # Beat starts a job every 3 s; the first ones classify the objects and the later ones
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
