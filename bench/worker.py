"""Worker benchmark: objects per second with one and two worker processes, event latency.

Everything real on 127.0.0.1: SeaweedFS (``tests/support/seaweed.py``) holds ``--objects`` typical
objects (20 columns x 1,000 rows of CSV made with Faker), Redis (databases 13/14, flushed) is
the broker, ``enricher worker`` runs with ``--concurrency 1`` and then ``2`` on a fresh catalog
each time, the fake Atlan server receives the writes. Reported: wall time of the job (from
``enricher job start`` to the last object done) and the rate, in steady state: a two-object
warm-up job runs first, so the worker has loaded its models (``worker_process_init``) before
the clock starts. Progress is read from the catalog file, not by starting an ``enricher job
status`` process every half second (on two cores that took CPU from the worker measured).
Every process runs as ``make`` runs it, without ``PYTHONDONTWRITEBYTECODE``: with it set and no
``.pyc`` in the venv, each process compiled its imports again (seconds of CPU per start).
Then the event path: moto's S3 + SQS, ``enricher events sqs``, two worker processes, one
object uploaded at a time; latency = upload until the asset exists in Atlan (p50/p95), with
the default Atlan flush delay (a flush is asked at once when no other object waits).

Usage: ``python bench/worker.py [--objects 200] [--events 20]``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
for _k, _v in (
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_DEFAULT_REGION", "us-east-1"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
):
    os.environ.setdefault(_k, _v)

ENRICHER = str(Path(sys.executable).with_name("enricher"))


def typical_csv(seed: int) -> bytes:
    """20 columns x 1,000 rows: the bench/pii.py table written as CSV."""
    from bench.pii import build_table

    table = build_table(1000, seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.name for c in table.columns])
    for i in range(table.rows_sampled):
        writer.writerow(["" if c.values[i] is None else c.values[i] for c in table.columns])
    return out.getvalue().encode()


def run(args: list[str], env: dict[str, str], cwd: Path) -> str:
    proc = subprocess.run(
        [ENRICHER, *args], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"enricher {' '.join(args)} failed: {proc.stderr[-2000:]}")
    return proc.stdout


def start_worker(env: dict[str, str], cwd: Path, concurrency: int) -> subprocess.Popen[bytes]:
    log = (cwd / f"worker-{concurrency}-{time.monotonic_ns()}.log").open("wb")
    proc = subprocess.Popen(
        [ENRICHER, "worker", f"--concurrency={concurrency}", "--loglevel=WARNING"],
        env=env,
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    time.sleep(4)  # start-up (no mingle/gossip)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def child_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` as ``make`` gives it to its processes: bytecode is cached (``.pyc`` written)."""
    return {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _select(engine: Any, sql: str, job_id: str) -> Any:
    """One row of ``sql`` (binding ``:id`` to ``job_id`` and ``:final`` to the final item
    states) on the catalog ``engine``; a pooled connection sees each commit."""
    import sqlalchemy as sa

    from models.jobs import ITEM_DONE

    query = sa.text(sql)
    if ":final" in sql:
        query = query.bindparams(sa.bindparam("final", expanding=True))
    final = sorted(s.value for s in ITEM_DONE)
    with engine.connect() as conn:
        return conn.execute(query, {"id": job_id, "final": final}).one_or_none()


def wait_job(engine: Any, job_id: str, timeout: float = 1800.0) -> None:
    """Poll the catalog ``engine`` until the job is complete (no process started).

    Complete as ``JobProgress.complete`` has it: listing done, every listed object final.
    :raises SystemExit: not complete after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = _select(engine, "SELECT listing_done, listed FROM jobs WHERE id = :id", job_id)
        (finished,) = _select(
            engine,
            "SELECT count(*) FROM job_items WHERE job_id = :id AND status IN :final",
            job_id,
        )
        if row is not None and row[0] and finished >= row[1]:
            return
        time.sleep(0.2)
    raise SystemExit(f"job {job_id} not done after {timeout:.0f} s")


def spread(engine: Any, job_id: str) -> float:
    """Seconds from the job's first object done to its last (their ``updated_at``).

    ``n - 1`` objects are done in that time: the steady rate is ``(n - 1) / spread``.
    """
    from datetime import datetime

    first, last = _select(
        engine,
        "SELECT min(updated_at), max(updated_at) FROM job_items "
        "WHERE job_id = :id AND status IN :final",
        job_id,
    )
    # SQLite gives the ISO text, PostgreSQL a datetime.
    if isinstance(first, str):
        first, last = datetime.fromisoformat(first), datetime.fromisoformat(last)
    return float((last - first).total_seconds())


@contextlib.contextmanager
def catalog(kind: str, work: Path, name: str) -> Iterator[str]:
    """A new empty catalog database of ``kind`` (``sqlite`` or ``postgresql``): its URL.

    PostgreSQL: a database on the test suite's server (:func:`tests.support.catalog_urls.
    fresh_postgres`), dropped afterwards.
    """
    if kind == "sqlite":
        yield f"sqlite:///{work / (name + '.db')}"
        return
    from tests.support.catalog_urls import fresh_postgres

    with fresh_postgres(f"bench_{name}") as url:
        yield url


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int | str) -> list[str] | None:
    """``/proc/<pid>/stat`` after the command name (field 3 on), or ``None`` if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()


def _cpu(fields: list[str] | None) -> float:
    """User + system CPU seconds of parsed ``/proc/<pid>/stat`` fields; 0 for ``None``."""
    return 0.0 if fields is None else (int(fields[11]) + int(fields[12])) / _TICKS


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used so far; 0 when it is gone."""
    return _cpu(_stat_fields(pid))


def group_cpu(pgid: int) -> float:
    """CPU seconds used so far by the live processes of process group ``pgid``."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(entry.name)
            if fields is not None and int(fields[2]) == pgid:
                total += _cpu(fields)
    return total


def children_cpu() -> float:
    """CPU seconds of this process's finished children (the ``enricher`` commands it ran)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def job_rate(
    base_env: dict[str, str],
    uri: str,
    concurrency: int,
    work: Path,
    warmup_uri: str,
    meters: dict[str, Any] | None = None,
    catalog_kind: str = "sqlite",
) -> tuple[float, int, float, dict[str, float]]:
    """Seconds and objects done of a job on ``uri``, after a warm-up job on ``warmup_uri``.

    Also the steady-state seconds: from the first object done to the last (:func:`spread`),
    without the ``enricher job start`` process and the listing before the first object; and
    the CPU seconds each of ``meters`` (name -> a function giving CPU seconds so far) used
    during the job, with ``worker`` (the worker's process group: its main process and pool)
    and ``enricher commands`` (the job's ``enricher job start``) added.
    ``catalog_kind``: the worker's catalog, a new SQLite file or PostgreSQL database
    (:func:`catalog`).
    Side effects: flushes Redis databases 13 and 14, starts and stops a worker, creates the
    catalog (a PostgreSQL one is dropped afterwards).
    """
    import sqlalchemy as sa

    with catalog(catalog_kind, work, f"c{concurrency}") as url:
        engine = sa.create_engine(url)
        try:
            return _job_rate(base_env, uri, concurrency, work, warmup_uri, meters or {}, engine)
        finally:
            engine.dispose()


def _job_rate(
    base_env: dict[str, str],
    uri: str,
    concurrency: int,
    work: Path,
    warmup_uri: str,
    meters: dict[str, Any],
    engine: Any,
) -> tuple[float, int, float, dict[str, float]]:
    import redis

    for db in (13, 14):
        redis.Redis(host="127.0.0.1", port=6379, db=db).flushdb()
    url = engine.url.render_as_string(hide_password=False)
    env = child_env({**base_env, "ENRICH_DATABASE_URL": url})
    worker = start_worker(env, work, concurrency)
    readers = {
        **meters,
        # start_new_session: the worker's pool processes share its process group.
        "worker": lambda: group_cpu(worker.pid),
        "enricher commands": children_cpu,
    }
    try:
        wait_job(engine, run(["job", "start", warmup_uri], env, work).strip())
        before = {name: read() for name, read in readers.items()}
        started = time.monotonic()
        job_id = run(["job", "start", uri], env, work).strip()
        wait_job(engine, job_id)
        elapsed = time.monotonic() - started
        cpu = {name: read() - before[name] for name, read in readers.items()}
        line = run(["job", "status", job_id], env, work)
        done = int(line.split()[2].split("/")[0].replace(",", ""))
        return elapsed, done, spread(engine, job_id), cpu
    finally:
        stop(worker)


def measure(objects: int, events: int, catalog_kind: str = "sqlite") -> dict[str, Any]:
    """Objects/s with one and two worker processes, then event -> Atlan latencies.

    :returns: ``{"rates": {1: (seconds, done, steady seconds), 2: (...)}, "latencies": [seconds,
        ...], "cpu": {1: {process kind: CPU seconds during the job}, 2: {...}}}`` (steady
        seconds: :func:`spread`; CPU: :func:`job_rate`).
    Side effects: starts SeaweedFS, a fake Atlan, moto, workers; flushes Redis dbs 13 and 14.
    """
    import redis

    from tests.support.atlan_server import FakeAtlan
    from tests.support.seaweed import SeaweedServer

    with tempfile.TemporaryDirectory() as tmp, SeaweedServer() as weed:
        work = Path(tmp)
        with FakeAtlan(api_key="bench-key") as atlan:
            client = weed.client()
            client.create_bucket(Bucket="bench")
            bodies = [typical_csv(s) for s in range(10)]
            # One copy of the objects per worker count: each job creates its Atlan assets, as
            # the first would; a second job on the same keys would update the first's.
            for concurrency in (1, 2):
                for i in range(objects):
                    client.put_object(
                        Bucket="bench",
                        Key=f"t{concurrency}/part-{i:05d}.csv",
                        Body=bodies[i % 10],
                    )
            for i in range(2):
                client.put_object(Bucket="bench", Key=f"w/part-{i:05d}.csv", Body=bodies[i])
            base = {k: v for k, v in os.environ.items() if not k.startswith("ENRICH_")}
            base.update(
                {
                    "ENRICH_S3__ENDPOINT_URL": weed.endpoint_url,
                    "ENRICH_S3__ACCESS_KEY_ID": "testing",
                    "ENRICH_S3__SECRET_ACCESS_KEY": "testing",
                    "ENRICH_CELERY__BROKER_URL": "redis://127.0.0.1:6379/13",
                    "ENRICH_CELERY__RESULT_BACKEND": "redis://127.0.0.1:6379/14",
                    "ENRICH_ATLAN__ENABLED": "true",
                    "ATLAN_BASE_URL": atlan.base_url,
                    "ATLAN_API_KEY": "bench-key",
                }
            )
            run(["atlan", "init"], {**base, "ENRICH_DATABASE_URL": f"sqlite:///{work}/i.db"}, work)
            rates: dict[int, tuple[float, int, float]] = {}
            cpu: dict[int, dict[str, float]] = {}
            redis_pid = int(redis.Redis(host="127.0.0.1", port=6379).info("server")["process_id"])
            assert weed.process is not None
            weed_pid = weed.process.pid
            meters = {
                "SeaweedFS": lambda: process_cpu(weed_pid),
                "Redis": lambda: process_cpu(redis_pid),
                # This process serves the fake Atlan (threads) and polls the catalog file.
                "benchmark and fake Atlan": time.process_time,
            }
            for concurrency in (1, 2):
                atlan_before = len(atlan.entities("S3Object"))
                elapsed, done, steady, used = job_rate(
                    base,
                    f"s3://bench/t{concurrency}/",
                    concurrency,
                    work,
                    "s3://bench/w/",
                    meters,
                    catalog_kind,
                )
                rates[concurrency] = (elapsed, done, steady)
                cpu[concurrency] = used
                print(
                    f"{concurrency} worker process(es): {done} objects in {elapsed:.1f} s = "
                    f"{done / elapsed:.1f} objects/s; steady state {(done - 1) / steady:.1f} "
                    f"objects/s (Atlan assets before: {atlan_before})",
                    flush=True,
                )
                print(f"  {cpu_line(used, elapsed, done)}", flush=True)
            latencies = event_latency(base, atlan, work, events, bodies[0])
    return {"rates": rates, "latencies": latencies, "cpu": cpu}


def cpu_line(used: dict[str, float], elapsed: float, done: int) -> str:
    """CPU seconds per process kind during a job, per object and as cores busy."""
    total = sum(used.values())
    parts = ", ".join(
        f"{name} {seconds:.1f} s ({1000 * seconds / max(done, 1):.0f} ms/object)"
        for name, seconds in sorted(used.items(), key=lambda kv: -kv[1])
    )
    return f"CPU during the job: {parts}; {total / elapsed:.2f} of the cores busy"


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of ``values`` (``share`` in 0..1)."""
    ordered = sorted(values)
    return ordered[max(0, int(round(share * len(ordered))) - 1)]


def main(argv: list[str] | None = None) -> int:
    """Run the throughput and latency measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=200)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument(
        "--catalog",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the workers' catalog: a SQLite file (default) or a new PostgreSQL database",
    )
    args = parser.parse_args(argv)
    figures = measure(args.objects, args.events, args.catalog)
    rates, latencies = figures["rates"], figures["latencies"]
    ratio = (rates[2][1] / rates[2][0]) / (rates[1][1] / rates[1][0])
    steady = ((rates[2][1] - 1) / rates[2][2]) / ((rates[1][1] - 1) / rates[1][2])
    print(
        f"scaling 1 -> 2 processes: x{ratio:.2f}, steady state x{steady:.2f} "
        "(2 cores, client and servers too)"
    )
    p50, p95 = statistics.median(latencies), percentile(latencies, 0.95)
    print(f"event -> Atlan latency over {len(latencies)} uploads: p50 {p50:.2f} s, p95 {p95:.2f} s")
    return 0


def event_latency(
    base: dict[str, str], atlan: Any, work: Path, count: int, body: bytes
) -> list[float]:
    """Upload ``count`` objects one by one to moto; time until each is an Atlan asset."""
    import logging

    import boto3
    import redis
    from moto.server import ThreadedMotoServer

    from tests.support.seaweed import free_ports

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    for db in (13, 14):
        redis.Redis(host="127.0.0.1", port=6379, db=db).flushdb()
    (port,) = free_ports(1)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{port}"
    opts: dict[str, Any] = {"endpoint_url": endpoint, "region_name": "us-east-1"}
    s3, sqs = boto3.client("s3", **opts), boto3.client("sqs", **opts)
    queue = sqs.create_queue(QueueName="bench-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
    s3.create_bucket(Bucket="evbench")
    s3.put_bucket_notification_configuration(
        Bucket="evbench",
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn["QueueArn"], "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    env = child_env({
        **base,
        "ENRICH_DATABASE_URL": f"sqlite:///{work / 'ev.db'}",
        "ENRICH_S3__ENDPOINT_URL": endpoint,
        "ENRICH_EVENTS__SQS_ENDPOINT_URL": endpoint,
        "ENRICH_EVENTS__WAIT_SECONDS": "1",
    })  # fmt: skip
    worker = start_worker(env, work, 2)
    consumer = subprocess.Popen(
        [ENRICHER, "events", "sqs", "--queue-url", queue],
        env=env,
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    latencies: list[float] = []
    try:
        time.sleep(3)
        # Warm-up: the first object pays the pool processes' model load.
        keys = [f"ev/warm-{i}.csv" for i in range(2)] + [f"ev/{i:04d}.csv" for i in range(count)]
        for n, key in enumerate(keys):
            started = time.monotonic()
            s3.put_object(Bucket="evbench", Key=key, Body=body)
            while not any(e["attributes"].get("s3ObjectKey") == key
                          for e in atlan.entities("S3Object")):  # fmt: skip
                if time.monotonic() - started > 60:
                    raise SystemExit(f"event for {key} did not reach Atlan in 60 s")
                time.sleep(0.05)
            if n >= 2:
                latencies.append(time.monotonic() - started)
    finally:
        consumer.terminate()
        consumer.wait(15)
        stop(worker)
        moto.stop()
    return latencies


if __name__ == "__main__":
    sys.exit(main())
