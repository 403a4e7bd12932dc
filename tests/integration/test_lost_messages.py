"""The lost-message watch against real Redis and kombu: it reads the queues and the
unacknowledged messages as kombu's Redis transport writes them, and resends a job only after
two quiet looks that see it unchanged. (A real worker recovering a lost message:
tests/integration/test_worker.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery

from models import ObjectStatus
from models.jobs import JobOptions
from tests.support.redis_dbs import RedisDatabases
from worker.core.settings import load_settings
from worker.services.jobs.service import JobService
from worker.tasks import lost
from worker.tasks.names import ATLAN_FLUSH, ENRICH, RESUME, WATCH_JOBS


@pytest.fixture
def app(redis_dbs: RedisDatabases) -> Iterator[Celery]:
    from worker.tasks.app import make_app

    settings = load_settings(
        None,
        celery={"broker_url": redis_dbs.broker_url, "result_backend": redis_dbs.backend_url},
    )
    celery = make_app(settings)
    yield celery
    celery.close()


def test_quiet_means_no_job_message_waiting_or_held(app: Celery, redis_dbs: RedisDatabases) -> None:
    r = redis_dbs.broker()
    assert lost.broker_quiet(r)
    app.send_task(ENRICH, ("s3://b/k.csv", "job-1"), queue="enrich")
    assert not lost.broker_quiet(r)  # waiting in the queue
    with app.connection_for_read() as conn:
        channel = conn.default_channel
        message = channel.basic_get("enrich", no_ack=False)
        assert message is not None and r.llen("enrich") == 0 and r.hlen(lost.UNACKED_KEY) == 1
        assert not lost.broker_quiet(r)  # held unacknowledged by a worker
        channel.basic_ack(message.delivery_tag)
    assert lost.broker_quiet(r)
    # The watch itself and Atlan flushes carry no job forward.
    app.send_task(WATCH_JOBS, queue="jobs")
    app.send_task(ATLAN_FLUSH, queue="atlan")
    with app.connection_for_read() as conn:
        # Received, not acknowledged: kombu records them unacked (and restores them to their
        # queues when the connection closes).
        assert conn.default_channel.basic_get("jobs", no_ack=False) is not None
        assert conn.default_channel.basic_get("atlan", no_ack=False) is not None
        assert r.hlen(lost.UNACKED_KEY) == 2
        assert lost.broker_quiet(r)
    # Closed unacknowledged: the watch is back in the jobs list, waiting, and still quiet.
    assert r.llen("jobs") == 1 and lost.broker_quiet(r)
    # A message in a priority step's list counts like any other.
    app.send_task(ENRICH, ("s3://b/k.csv", "job-1"), queue="enrich", priority=3)
    assert r.llen("enrich\x06\x163") == 1 and not lost.broker_quiet(r)
    r.delete("enrich\x06\x163")
    # A list too long to read message by message is busy, watches or not.
    for _ in range(lost.READ_AT_MOST):
        app.send_task(WATCH_JOBS, queue="jobs")
    assert not lost.broker_quiet(r)


def test_a_job_is_resumed_after_two_quiet_looks_that_see_it_unchanged(
    app: Celery, redis_dbs: RedisDatabases, tmp_path: Path
) -> None:
    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.adapters.catalog.job_store import SqlJobStore

    catalog = SqlLocalCatalog(f"sqlite:///{tmp_path / 'c.db'}")
    jobs = JobService(SqlJobStore(catalog), catalog)
    job = jobs.start("s3://b/p/", JobOptions())
    jobs.store.add_listed(job, ["s3://b/p/a.csv", "s3://b/p/b.csv"], None, True)
    r = redis_dbs.broker()
    sent: list[tuple[Any, ...]] = []

    def send(name: str, *args: Any, **kwargs: Any) -> None:
        sent.append((name, *args))

    clock = [1000.0]

    def look() -> list[str]:
        return lost.watch(r, jobs.open_jobs, send, 10, clock=lambda: clock[0])

    # A message still waits: busy, whatever the job looks like.
    app.send_task(ENRICH, ("s3://b/p/a.csv", job), queue="enrich")
    assert look() == [] and not r.exists("s3e:jobs-watch:quiet")
    r.delete("enrich")  # lost
    assert look() == []  # the first quiet look remembers
    assert 20 < int(r.ttl("s3e:jobs-watch:quiet")) <= 30
    clock[0] += 5
    assert look() == []  # too near the first to tell a lost message from a slow one
    clock[0] += 5
    assert look() == [job]
    assert sent == [(RESUME, (job, None, True))]  # running jobs only: a cancel stands
    # After a resend the comparison starts again, and a job that moves between two quiet
    # looks is never resent.
    clock[0] += 10
    assert look() == []
    jobs.record(job, "s3://b/p/a.csv", ObjectStatus.CLASSIFIED, None)
    clock[0] += 10
    assert look() == []
    assert len(sent) == 1
    # Another watch running meanwhile (its lock held): this one does nothing.
    clock[0] += 10
    r.set("s3e:jobs-watch:lock", "1")
    assert look() == [] and len(sent) == 1
    catalog.engine.dispose()
