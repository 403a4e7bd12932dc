"""The enrich task run in-process (``Task.apply``) on a real SQLite catalog: every way it ends
leaves the job item with a final status, and the catalog says why. And the per-process
runtime the tasks read: built once, wired explicitly, never swapped."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import worker.tasks.enrich as enrich_tasks
from models.jobs import JobOptions
from tests.support.badfiles import csv_bytes
from tests.support.memory_redis import InMemoryRedis
from worker.core.errors import StoreUnavailable
from worker.core.settings import load_settings
from worker.services.jobs.service import JobService
from worker.tasks import runtime
from worker.tasks.deliveries import KEY_PREFIX, DeliveryCounter
from worker.tasks.flush import AtlanFlush
from worker.tasks.runtime import Runtime

SECRET_TEXT = "olivia.secretson@example.com"


class Broker(InMemoryRedis):
    """The Redis calls the enrich task makes besides counting (flush scheduling)."""

    def set(self, name: str, value: str, nx: bool = False, ex: int | None = None) -> bool:
        if nx and name in self.values:
            return False
        self.values[name] = 1
        return True


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Any, Runtime, str, Path]]:
    """An app, a process runtime on tmp_path's catalog, a job over one local CSV."""
    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.adapters.catalog.job_store import SqlJobStore
    from worker.bootstrap import build_deps
    from worker.tasks.app import make_app

    db = tmp_path / "c.db"
    settings = load_settings(
        None,
        database_url=f"sqlite:///{db}",
        celery={"allow_local_paths": True},
        business={"enabled": False},
        pii={"enabled": False},
    )
    app = make_app(settings)
    deps = build_deps(settings, [])
    assert isinstance(deps.catalog, SqlLocalCatalog)
    redis = Broker()
    ctx = Runtime(
        settings=settings,
        deps=deps,
        catalog=deps.catalog,
        jobs=JobService(SqlJobStore(deps.catalog), deps.catalog),
        writer=None,
        redis=redis,  # type: ignore[arg-type]
        deliveries=DeliveryCounter(redis, settings.celery.max_deliveries),
        flush=AtlanFlush(redis, None, None, settings.celery, app.send_task),  # type: ignore[arg-type]
    )
    runtime.install(ctx)
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes(20))
    job_id = ctx.jobs.start(path.as_uri(), JobOptions(force=True))
    ctx.jobs.store.add_listed(job_id, [path.as_uri()], None, True)
    try:
        yield app, ctx, job_id, db
    finally:
        runtime.install(None)


def _state(db: Path, job_id: str) -> tuple[Any, ...]:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT i.status, i.error_kind, o.status, o.error_kind, o.last_run_id = j.run_id "
            "FROM job_items i JOIN jobs j ON j.id = i.job_id "
            "LEFT JOIN objects o ON o.uri = i.uri WHERE i.job_id = ?",
            (job_id,),
        ).fetchone()
    return tuple(row)


def test_an_exception_after_enrich_marks_the_item_and_the_catalog_without_its_text(
    setup: tuple[Any, Runtime, str, Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, ctx, job_id, db = setup
    ctx.writer = object()  # type: ignore[assignment]  # Atlan on: desired_state is called

    def broken(*args: object) -> None:
        raise RuntimeError(f"outbox refused {SECRET_TEXT}")

    monkeypatch.setattr(enrich_tasks, "desired_state", broken)
    uri = ctx.jobs.unfinished(job_id, None, 10)[0]
    with caplog.at_level(logging.INFO):
        result = app.tasks["s3e.enrich"].apply((uri, job_id, True)).get()
    assert result == {"uri": uri, "status": "failed", "error": "internal_error"}
    # The object was classified first; the catalog now says failed so it is not "current".
    assert _state(db, job_id) == ("failed", "internal_error", "failed", "internal_error", 1)
    assert "RuntimeError while queueing the Atlan write" in caplog.text
    assert SECRET_TEXT not in caplog.text
    assert not [k for k in ctx.redis.values if k.startswith(KEY_PREFIX)]  # type: ignore[attr-defined]


def test_a_store_outage_past_the_retries_fails_the_item(
    setup: tuple[Any, Runtime, str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, ctx, job_id, db = setup

    def down(*args: object) -> None:
        raise StoreUnavailable("S3 GET failed: SlowDown (HTTP 503)")

    monkeypatch.setattr(enrich_tasks, "enrich_object", down)
    uri = ctx.jobs.unfinished(job_id, None, 10)[0]
    result = app.tasks["s3e.enrich"].apply((uri, job_id, True), retries=5).get()
    assert result["error"] == "store_unavailable"
    assert _state(db, job_id) == ("failed", "store_unavailable", "failed", "store_unavailable", 1)


def test_the_delivery_after_three_lost_ones_records_worker_lost_and_does_no_work(
    setup: tuple[Any, Runtime, str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, ctx, job_id, db = setup

    def never(*args: object) -> None:
        raise AssertionError("the object was processed again")

    monkeypatch.setattr(enrich_tasks, "enrich_object", never)
    for _ in range(3):  # three deliveries whose process died
        ctx.deliveries.arrive("s3e.enrich:t-1")
    uri = ctx.jobs.unfinished(job_id, None, 10)[0]
    result = app.tasks["s3e.enrich"].apply((uri, job_id, True), task_id="t-1").get()
    assert result["error"] == "worker_lost"
    assert _state(db, job_id) == ("failed", "worker_lost", "failed", "worker_lost", 1)
    assert KEY_PREFIX + "s3e.enrich:t-1" not in ctx.redis.values  # type: ignore[attr-defined]


def test_a_store_outage_with_retries_left_is_retried_after_a_jittered_wait(
    setup: tuple[Any, Runtime, str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, ctx, job_id, db = setup

    def down(*args: object) -> None:
        raise StoreUnavailable("S3 GET failed: SlowDown (HTTP 503)")

    monkeypatch.setattr(enrich_tasks, "enrich_object", down)
    countdowns: list[float] = []

    def retry(*args: Any, countdown: float, **kwargs: Any) -> Exception:
        countdowns.append(countdown)
        return RuntimeError("retried")

    task = app.tasks["s3e.enrich"]
    monkeypatch.setattr(task, "retry", retry)
    uri = ctx.jobs.unfinished(job_id, None, 10)[0]
    result = task.apply((uri, job_id, True), retries=2)
    assert isinstance(result.result, RuntimeError)
    assert 4 <= countdowns[0] <= 8
    assert _state(db, job_id)[0] == "queued"  # not failed: it comes back


def test_the_watchs_resume_leaves_a_job_cancelled_meanwhile_alone(
    setup: tuple[Any, Runtime, str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lost-message watch sends ``resume(job, None, True)``: a job cancelled since the
    watch looked stays cancelled and nothing is sent; a person's resume reopens it."""
    import worker.tasks.jobs as jobs_tasks
    from models.jobs import JobState

    app, ctx, job_id, _ = setup
    sent: list[tuple[str, ...]] = []
    monkeypatch.setattr(jobs_tasks, "send_enrich", lambda _app, uris, job: sent.extend(uris))
    ctx.jobs.cancel(job_id)
    answer = app.tasks["s3e.resume"].apply((job_id, None, True)).get()
    assert answer == {"job": job_id, "resent": 0, "state": "cancelled"} and sent == []
    job = ctx.jobs.get(job_id)
    assert job is not None and job.state is JobState.CANCELLED
    answer = app.tasks["s3e.resume"].apply((job_id,)).get()
    assert answer == {"job": job_id, "resent": 1} and len(sent) == 1
    job = ctx.jobs.get(job_id)
    assert job is not None and job.state is JobState.RUNNING


def test_no_task_runs_without_a_runtime_installed_in_its_process() -> None:
    runtime.install(None)
    with pytest.raises(RuntimeError, match="no worker runtime"):
        runtime.current()


def test_the_runtime_shares_one_writer_between_outbox_flush_and_approvals(
    tmp_path: Path,
) -> None:
    """Wired once, explicitly: the review service's writer is the process's writer, and its
    request hook keeps the running flush's lock alive (nothing is swapped per flush)."""
    settings = load_settings(
        None,
        database_url=f"sqlite:///{tmp_path / 'c.db'}",
        business={"enabled": False},
        pii={"enabled": False},
        atlan={"enabled": True, "base_url": "http://127.0.0.1:9", "api_key": "unused"},
    )
    sent: list[str] = []
    rt = runtime.build_runtime(settings, lambda name, *a, **k: sent.append(name), [])
    assert rt.writer is not None and rt.flush.writer is rt.writer
    assert rt.writer.on_request == rt.flush.keep_alive
    approvals = rt.flush.apply_approved
    assert approvals is not None and approvals.__self__.writer is rt.writer  # type: ignore[attr-defined]
    assert rt.jobs.allow_local_paths is False  # the settings' default
    rt.flush.keep_alive()  # no flush running: nothing to extend
    off = runtime.build_runtime(
        load_settings(None, database_url=settings.database_url), lambda *a, **k: None, []
    )
    assert off.writer is None and off.flush.apply_approved is None
    rt.catalog.engine.dispose()
