"""The Atlan flush task in-process on real Redis and a real SQLite catalog: one flusher at a
time, time-boxed, and a back-off in Redis instead of long ETAs when Atlan fails.

The writer is a small double that records the batches it is given and answers with a
:class:`~models.plan.WriteReport`; the fake Atlan server and real workers
are covered by ``test_worker.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis

from models.plan import WriteReport
from tests.support.redis_dbs import RedisDatabases
from worker.core.settings import load_settings
from worker.tasks import runtime


@dataclass
class Outbox:
    items: list[str]

    def outbox_items(self) -> list[str]:
        return list(self.items)


@dataclass
class Writer:
    """Takes batches from the outbox; fails while ``error`` is set."""

    state: Outbox
    error: str | None = None
    retry_after_s: float | None = None
    batches: list[list[str]] = field(default_factory=list)
    on_request: Any = None

    def write(self, batch: list[str]) -> WriteReport:
        self.batches.append(batch)
        if self.on_request is not None:
            self.on_request()
        if self.error:
            return WriteReport(
                objects=len(batch), error=self.error, retry_after_s=self.retry_after_s
            )
        self.state.items = [i for i in self.state.items if i not in batch]
        return WriteReport(objects=len(batch), requests=1)


@pytest.fixture
def flush(tmp_path: Path, redis_dbs: RedisDatabases) -> Iterator[tuple[Any, Writer, redis.Redis]]:
    import worker.tasks.atlan  # noqa: F401 - defines the flush task
    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.adapters.catalog.job_store import SqlJobStore
    from worker.bootstrap import build_deps
    from worker.services.jobs.service import JobService
    from worker.tasks.app import make_app
    from worker.tasks.deliveries import DeliveryCounter
    from worker.tasks.flush import AtlanFlush

    broker = redis_dbs.broker()
    settings = load_settings(
        None,
        database_url=f"sqlite:///{tmp_path / 'c.db'}",
        celery={"broker_url": redis_dbs.broker_url, "result_backend": redis_dbs.backend_url},
        atlan={"enabled": True, "base_url": "http://127.0.0.1:9", "api_key": "unused"},
    )
    app = make_app(settings)
    deps = build_deps(settings, [])
    assert isinstance(deps.catalog, SqlLocalCatalog)
    writer = Writer(Outbox([f"s3://b/k{i:03d}" for i in range(250)]))
    flusher = AtlanFlush(broker, writer, None, settings.celery, app.send_task)  # type: ignore[arg-type]
    writer.on_request = flusher.keep_alive  # as build_runtime wires it
    runtime.install(
        runtime.Runtime(
            settings=settings,
            deps=deps,
            catalog=deps.catalog,
            jobs=JobService(SqlJobStore(deps.catalog), deps.catalog),
            writer=writer,  # type: ignore[arg-type]
            redis=broker,
            deliveries=DeliveryCounter(broker, settings.celery.max_deliveries),
            flush=flusher,
        )
    )
    try:
        yield app.tasks["s3e.atlan_flush"], writer, broker
    finally:
        runtime.install(None)
        broker.flushdb()


def _queued_flushes(broker: redis.Redis) -> int:
    return int(broker.llen("atlan"))


def test_the_outbox_goes_out_in_chunks_and_a_second_flusher_steps_aside(
    flush: tuple[Any, Writer, redis.Redis],
) -> None:
    task, writer, broker = flush
    lock = broker.lock("s3e:atlan-flush:lock", timeout=20)
    assert lock.acquire(blocking=False)  # another worker is flushing
    assert task.apply().get() == {"written": 0, "busy": True}
    assert writer.batches == [] and _queued_flushes(broker) == 1  # one comes back for the rest
    lock.release()
    assert task.apply().get() == {"written": 250, "requests": 3, "more": False}
    assert [len(b) for b in writer.batches] == [100, 100, 50]
    assert writer.state.items == [] and not broker.exists("s3e:atlan-flush:lock")


def test_a_failed_flush_backs_off_in_redis_and_later_flushes_respect_it(
    flush: tuple[Any, Writer, redis.Redis],
) -> None:
    task, writer, broker = flush
    writer.error, writer.retry_after_s = "Atlan unavailable (HTTP 503)", 42
    result = task.apply().get()
    assert result["backoff_s"] == 42 and len(writer.batches) == 1  # stopped at the first error
    assert 40 <= int(broker.ttl("s3e:atlan-flush:backoff")) <= 42
    assert _queued_flushes(broker) == 0  # no ETA task waiting out the pause
    assert task.apply().get() == {"written": 0, "backoff": True}
    assert len(writer.batches) == 1
    # The pause grows with consecutive failures (5 s, 10 s, ...) when Atlan names none.
    broker.delete("s3e:atlan-flush:backoff")
    writer.retry_after_s = None
    assert task.apply().get()["backoff_s"] == 10
    broker.delete("s3e:atlan-flush:backoff")
    writer.error = None
    assert task.apply().get()["written"] == 250
    assert not broker.exists("s3e:atlan-flush:failures")


def test_a_flush_stops_starting_batches_after_its_time_budget(
    flush: tuple[Any, Writer, redis.Redis], monkeypatch: pytest.MonkeyPatch
) -> None:
    task, writer, broker = flush
    clock = iter([0.0, 1.0, 2.0, 100.0])  # start, then before each batch; deadline at 22.5 s
    monkeypatch.setattr(runtime.current().flush, "clock", lambda: next(clock))
    assert task.apply().get() == {"written": 200, "requests": 2, "more": True}
    assert len(writer.state.items) == 50
    assert _queued_flushes(broker) == 1  # the next flush takes the rest


def test_each_request_keeps_the_running_flush_lock_alive(
    flush: tuple[Any, Writer, redis.Redis],
) -> None:
    task, writer, broker = flush
    ttls: list[int] = []
    keep_alive = writer.on_request

    def on_request() -> None:
        broker.pexpire("s3e:atlan-flush:lock", 1000)  # nearly run out
        keep_alive()
        ttls.append(int(broker.pttl("s3e:atlan-flush:lock")))

    writer.on_request = on_request
    assert task.apply().get()["written"] == 250
    assert len(ttls) == 3 and min(ttls) > 15_000  # extended back to 20 s after each request
    assert not broker.exists("s3e:atlan-flush:lock")


@pytest.mark.parametrize(
    ("waiting_key", "countdown"),
    [(None, 0.0), ("enrich", 2.0), ("enrich\x06\x169", 2.0), ("jobs", 0.0)],
)
def test_a_flush_is_asked_at_once_unless_other_objects_wait_to_be_enriched(
    redis_dbs: RedisDatabases, waiting_key: str | None, countdown: float
) -> None:
    """An S3 event's write goes out at once; a bulk job's writes still batch for the delay.

    Only waiting ``enrich`` messages (any priority list) count: a job's listing is not an
    object about to be written.
    """
    from worker.tasks.flush import AtlanFlush

    broker = redis_dbs.broker()
    celery = load_settings(None, celery={"atlan_flush_delay_s": 2.0}).celery
    sent: list[dict[str, Any]] = []
    flusher = AtlanFlush(broker, None, None, celery, lambda name, **kw: sent.append(kw))
    try:
        if waiting_key is not None:
            broker.lpush(waiting_key, "a message")
        flusher.schedule()
        flusher.schedule()  # one pending flush is enough
        assert sent == [{"countdown": countdown, "queue": "atlan"}]
        assert broker.exists("s3e:atlan-flush:pending")
        broker.delete("s3e:atlan-flush:pending")
        flusher.schedule(delay=5)  # an explicit delay is kept as given
        assert sent[-1] == {"countdown": 5, "queue": "atlan"}
    finally:
        broker.flushdb()
