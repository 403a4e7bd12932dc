"""The Celery tasks: enrich one object, list one page of a job, resume a job, flush to Atlan.

Each pool process builds its adapters and loads its models lazily, on its first task (not in
``worker_process_init``: Celery kills a process whose start takes over 4 s); later tasks reuse
them. Tasks take and return ids and counts only, never sampled values.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from celery import Celery, Task

from models import ObjectRef, ObjectStatus
from worker.errors import EnrichmentError, RunError, StoreUnavailable
from worker.jobs.listing import inventory_page
from worker.jobs.listing import list_page as list_objects_page
from worker.jobs.store import ITEM_DONE, SqlJobStore
from worker.pipeline import Deps, EnrichOptions, enrich_object
from worker.review.queue import desired_state
from worker.tasks.app import current_settings

if TYPE_CHECKING:
    from redis import Redis

    from worker.atlan.writer import AtlanCatalogWriter
    from worker.settings import Settings

logger = logging.getLogger(__name__)

_FLUSH_LOCK = "s3e:atlan-flush:lock"
_FLUSH_PENDING = "s3e:atlan-flush:pending"
_LOCK_TTL = 20


@dataclass(slots=True)
class Context:
    """What one pool process needs, built once per process."""

    settings: Settings
    deps: Deps
    jobs: SqlJobStore
    writer: AtlanCatalogWriter | None
    redis: Redis


_context: Context | None = None
_context_pid: int | None = None


def context() -> Context:
    """Return the process's adapters (built on first use, and again after a fork)."""
    global _context, _context_pid
    if _context is None or _context_pid != os.getpid():
        from redis import Redis

        from worker.bootstrap import build_catalog_writer, build_deps
        from worker.catalog.sql import SqlLocalCatalog

        settings = current_settings()
        deps = build_deps(settings)
        catalog = deps.catalog if isinstance(deps.catalog, SqlLocalCatalog) else None
        local = catalog or SqlLocalCatalog(settings.database_url)
        _context = Context(
            settings=settings,
            deps=deps,
            jobs=SqlJobStore(local),
            writer=build_catalog_writer(settings, local),
            redis=Redis.from_url(settings.celery.broker_url),
        )
        _context_pid = os.getpid()
    return _context


def _schedule_flush(app: Celery, ctx: Context) -> None:
    """Ask for one Atlan flush within ``atlan_flush_delay_s`` (collecting writes till then)."""
    delay = ctx.settings.celery.atlan_flush_delay_s
    if ctx.redis.set(_FLUSH_PENDING, "1", nx=True, ex=max(1, int(delay) + 1)):
        app.send_task("s3e.atlan_flush", countdown=delay, queue="atlan")


def register(app: Celery) -> None:
    """Define the tasks on ``app``."""

    @app.task(name="s3e.enrich", bind=True, max_retries=5)
    def enrich(
        self: Task,
        uri: str,
        job_id: str | None = None,
        force: bool = False,
        diff_only: bool = False,
    ) -> dict[str, Any]:
        """Enrich one object; a duplicate delivery does no extra work and no extra write."""
        ctx = context()
        if job_id is not None:
            job = ctx.jobs.get(job_id)
            if job is None or job["state"] == "cancelled":
                if job is not None:
                    ctx.jobs.mark(job_id, uri, "cancelled")
                return {"uri": uri, "status": "cancelled"}
            done = ctx.jobs.item_status(job_id, uri)
            if done in ITEM_DONE:
                # A duplicate delivery (e.g. after a worker was killed before its ack): the
                # object already has its result in this job, so no work and no write.
                return {"uri": uri, "status": done, "duplicate": True}
            run_id = job["run_id"]
        else:
            run_id = None
        options = EnrichOptions(
            sampling=ctx.settings.sampling.options(), force=force, run_id=run_id
        )
        try:
            result = enrich_object(ObjectRef.parse(uri), ctx.deps, options)
        except StoreUnavailable as exc:
            raise self.retry(exc=exc, countdown=min(60, 2 ** (self.request.retries + 1))) from exc
        except RunError as exc:
            if job_id is not None:
                ctx.jobs.mark(job_id, uri, "failed", exc.kind)
            return {"uri": uri, "status": "failed", "error": exc.kind}
        if ctx.writer is not None and result.status is ObjectStatus.CLASSIFIED and not diff_only:
            desired = desired_state(ctx.deps, ctx.settings, result)
            if desired is not None:
                ctx.writer.state.outbox_put([desired], "waiting for the next Atlan batch")
                _schedule_flush(app, ctx)
        if job_id is not None:
            kind = result.error.kind if result.error else None
            ctx.jobs.mark(job_id, uri, result.status.value, kind)
        return {
            "uri": uri,
            "status": result.status.value,
            "pii_columns": sum(1 for c in result.columns if c.entities),
            "error": result.error.kind if result.error else None,
        }

    @app.task(name="s3e.list_page", bind=True, max_retries=10)
    def list_page(self: Task, job_id: str) -> dict[str, Any]:
        """List one page of the job's target and enqueue its objects; then the next page."""
        ctx = context()
        job = ctx.jobs.get(job_id)
        if job is None or job["state"] != "running" or job["listing_done"]:
            return {"job": job_id, "listed": 0}
        opts = job["options"]
        try:
            if opts.get("inventory"):
                infos, next_key = inventory_page(
                    ctx.deps.store,
                    opts["inventory"],
                    job["target"],
                    job["cursor"],
                    ctx.settings.celery.page_size,
                    include=opts.get("include", []),
                    exclude=opts.get("exclude", []),
                )
            else:
                infos, next_key = list_objects_page(
                    ctx.deps.store,
                    job["target"],
                    job["cursor"],
                    ctx.settings.celery.page_size,
                    include=opts.get("include", []),
                    exclude=opts.get("exclude", []),
                )
        except StoreUnavailable as exc:
            raise self.retry(exc=exc, countdown=5) from exc
        except EnrichmentError as exc:
            logger.warning("job %s: listing failed (%s)", job_id, exc.kind)
            ctx.jobs.set_state(job_id, "done")
            return {"job": job_id, "error": exc.kind}
        new = ctx.jobs.add_listed(job_id, [i.ref.uri for i in infos], next_key, next_key is None)
        for uri in new:
            enrich.apply_async(
                (uri, job_id, bool(opts.get("force")), bool(opts.get("diff_only"))),
                queue="enrich",
            )
        if next_key is not None:
            list_page.apply_async((job_id,), queue="jobs")
        return {"job": job_id, "listed": len(new), "more": next_key is not None}

    @app.task(name="s3e.resume")
    def resume(job_id: str) -> dict[str, Any]:
        """Send again what a cancelled or crashed job had not finished; continue listing."""
        ctx = context()
        job = ctx.jobs.get(job_id)
        if job is None:
            return {"job": job_id, "error": "unknown job"}
        ctx.jobs.set_state(job_id, "running")
        opts = job["options"]
        sent, after = 0, None
        while True:
            page = ctx.jobs.queued(job_id, after, 1000)
            if not page:
                break
            for uri in page:
                enrich.apply_async(
                    (uri, job_id, bool(opts.get("force")), bool(opts.get("diff_only"))),
                    queue="enrich",
                )
            sent += len(page)
            after = page[-1]
        if not job["listing_done"]:
            list_page.apply_async((job_id,), queue="jobs")
        return {"job": job_id, "resent": sent}

    @app.task(name="s3e.object_removed", bind=True, max_retries=5)
    def object_removed(self: Task, bucket: str, key: str) -> dict[str, Any]:
        """Archive a removed object in the local catalog and in Atlan (never hard-deleted).

        A removal event can name an old version while the object still exists: a HEAD
        decides, and an object that is still there is left alone.
        """
        from worker.errors import ObjectVanished

        ctx = context()
        ref = ObjectRef(f"s3://{bucket}/{key}")
        try:
            ctx.deps.store.head(ref)
            return {"uri": ref.uri, "status": "still exists"}
        except ObjectVanished:
            pass
        except StoreUnavailable as exc:
            raise self.retry(exc=exc, countdown=5) from exc
        catalog = ctx.jobs.catalog
        known = catalog.archive(ref.uri)
        archived = False
        if ctx.writer is not None:
            try:
                archived = ctx.writer.archive(bucket, key)
            except EnrichmentError as exc:
                if exc.retryable:
                    wait = max(10.0, getattr(exc, "retry_after_s", None) or 0)
                    raise self.retry(exc=exc, countdown=wait) from exc
                logger.warning("could not archive %s in Atlan (%s)", ref.uri, exc.kind)
        return {"uri": ref.uri, "status": "archived", "catalog": known, "atlan": archived}

    @app.task(name="s3e.start_scheduled")
    def start_scheduled(uri: str, only_changed: bool = True) -> dict[str, Any]:
        """Start a discovery job (from ``enricher beat``)."""
        ctx = context()
        job_id = start_job(ctx.jobs, ctx.deps, uri, {"force": not only_changed})
        list_page.apply_async((job_id,), queue="jobs")
        return {"job": job_id}

    @app.task(name="s3e.atlan_flush", bind=True, max_retries=None)
    def atlan_flush(self: Task) -> dict[str, Any]:
        """Write the outbox to Atlan in batches; one flush at a time across all workers."""
        ctx = context()
        ctx.redis.delete(_FLUSH_PENDING)
        if ctx.writer is None:
            return {"written": 0}
        # A short lock, extended after every request: a flusher that dies (kill -9) frees it
        # within _LOCK_TTL seconds instead of blocking every later flush.
        lock = ctx.redis.lock(_FLUSH_LOCK, timeout=_LOCK_TTL, blocking_timeout=0)
        if not lock.acquire(blocking=False):
            # Another flush is running; come back for what it did not see.
            raise self.retry(countdown=2, max_retries=None)
        ctx.writer.on_request = lambda: lock.extend(_LOCK_TTL, replace_ttl=True)
        try:
            report = ctx.writer.flush()
            # Approvals Atlan has not confirmed yet (it was down when the steward decided).
            from worker.bootstrap import build_review

            review = build_review(ctx.settings, ctx.jobs.catalog)
            review.writer = ctx.writer
            review.apply_approved()
        finally:
            ctx.writer.on_request = None
            try:
                lock.release()
            except Exception:  # expired meanwhile: nothing to release
                logger.warning("Atlan flush lock had expired before release")
        if report.error:
            # Still in the outbox, durable; try again later with a growing pause, and never
            # sooner than Atlan (or its gateway) asked for in Retry-After. Refused assets
            # (report.rejected) wait in the outbox too but do not make the flush retry: the
            # next scan's flush, or `enricher atlan flush`, tries them again.
            countdown = min(300, 5 * 2 ** min(self.request.retries, 6))
            raise self.retry(countdown=max(countdown, report.retry_after_s or 0))
        return {"written": report.objects, "requests": report.requests}


def start_job(jobs: SqlJobStore, deps: Deps, target: str, options: dict[str, Any]) -> str:
    """Create a job row (and a run in the local catalog); return the job id."""
    run_id = deps.catalog.start_run("job", [target])
    return jobs.create(target, options, run_id)
