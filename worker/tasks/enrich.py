"""The Celery tasks: enrich one object, list one page of a job, resume a job, flush to Atlan.

Models load once, in the worker's main process before the pool forks
(:func:`prepare_worker`, called by ``enricher worker``): pool processes inherit them
copy-on-write, so a fresh process (the first ones, or the replacement of a killed one) starts
its first task warm and the short time limit is never spent on loading. Each pool process
builds its other adapters (database engines, Redis, the Atlan writer) lazily on its first
task, never before the fork. Tasks take and return ids and counts only, never sampled values.

Every task is short (see :mod:`worker.tasks.app`), every delivery is counted until it
finishes (:class:`~worker.tasks.deliveries.DeliveryCounter`), and an enrich task always
leaves its job item with a final status: classified, skipped or failed with a kind.
"""

from __future__ import annotations

import gc
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from billiard.exceptions import SoftTimeLimitExceeded
from celery import Celery, Task, signals

from models import EnrichmentResult, ErrorInfo, ObjectRef, ObjectStatus
from worker.adapters.catalog.job_store import ITEM_DONE, SqlJobStore
from worker.core.errors import (
    EnrichmentError,
    InternalError,
    LocalPathRefused,
    RunError,
    StoreUnavailable,
    WorkerLost,
)
from worker.core.pipeline import Deps, EnrichOptions, classifier_versions, enrich_object
from worker.services.jobs.listing import inventory_page
from worker.services.jobs.listing import list_page as list_objects_page
from worker.services.review.queue import desired_state
from worker.tasks.app import current_settings
from worker.tasks.deliveries import DeliveryCounter

if TYPE_CHECKING:
    from redis import Redis

    from classifiers.base import Classifier
    from worker.adapters.atlan.writer import AtlanCatalogWriter
    from worker.core.settings import Settings

logger = logging.getLogger(__name__)

_FLUSH_LOCK = "s3e:atlan-flush:lock"
_FLUSH_PENDING = "s3e:atlan-flush:pending"
#: Set while Atlan asked us to wait (or failed): flushes return at once until it expires.
_FLUSH_BACKOFF = "s3e:atlan-flush:backoff"
#: Consecutive failed flushes, for the growing pause.
_FLUSH_FAILURES = "s3e:atlan-flush:failures"
_LOCK_TTL = 20
#: Outbox entries per writer call within one flush task.
_FLUSH_CHUNK = 100
#: Objects a resume task sends before handing on to the next resume task.
_RESUME_PAGE = 1000
#: The flush's time budget clock (a module attribute, so tests can move time on).
_clock = time.monotonic


@dataclass(slots=True)
class Context:
    """What one pool process needs, built once per process."""

    settings: Settings
    deps: Deps
    jobs: SqlJobStore
    writer: AtlanCatalogWriter | None
    redis: Redis
    deliveries: DeliveryCounter


_context: Context | None = None
_context_pid: int | None = None
#: Classifiers loaded by :func:`preload_models` in the worker's main process, shared by fork.
_preloaded: list[Classifier] | None = None


def context() -> Context:
    """Return the process's adapters (built on first use, and again after a fork).

    Uses the classifiers :func:`preload_models` loaded before the fork, when it ran.
    """
    global _context, _context_pid
    if _context is None or _context_pid != os.getpid():
        from redis import Redis

        from worker.adapters.catalog.database import SqlLocalCatalog
        from worker.bootstrap import build_catalog_writer, build_deps

        settings = current_settings()
        deps = build_deps(settings, _preloaded)
        catalog = deps.catalog if isinstance(deps.catalog, SqlLocalCatalog) else None
        local = catalog or SqlLocalCatalog(settings.database_url)
        redis = Redis.from_url(settings.celery.broker_url)
        _context = Context(
            settings=settings,
            deps=deps,
            jobs=SqlJobStore(local),
            writer=build_catalog_writer(settings, local),
            redis=redis,
            deliveries=DeliveryCounter(redis, settings.celery.max_deliveries),
        )
        _context_pid = os.getpid()
    return _context


@dataclass(frozen=True, slots=True)
class Preloaded:
    """What :func:`preload_models` did: how long it took and the process's size after."""

    seconds: float
    rss_mib: float
    classifiers: tuple[str, ...]


def preload_models(settings: Settings, classifiers: bool = True) -> Preloaded:
    """Build and load the classifiers in this process, for pool processes to inherit by fork.

    :param classifiers: load the classifiers (a worker that does not consume the ``enrich``
        queue has no use for them).

    Also imports pyatlan when Atlan is enabled (seconds of imports every pool process would
    otherwise pay on its first flush), then freezes the garbage collector's view of what is
    loaded so collections in the pool processes do not touch (and copy) those pages.

    :raises ConfigError: a custom-entity file is unreadable or invalid.
    :raises EnrichmentError: a model is missing or unusable (e.g. ``ClassifierLoadError``).
    Side effects: loads the models into this process (hundreds of MiB); sets the module's
    preloaded classifiers, which :func:`context` uses.
    """
    global _preloaded
    from worker.bootstrap import build_classifiers

    started = time.monotonic()
    loaded = build_classifiers(settings) if classifiers else []
    for classifier in loaded:
        classifier.load()
    if settings.atlan.enabled:
        import pyatlan.client.atlan  # noqa: F401 - imported once, shared by every pool process
    gc.collect()
    gc.freeze()
    _preloaded = loaded if classifiers else None
    return Preloaded(
        seconds=time.monotonic() - started,
        rss_mib=_rss_mib(),
        classifiers=tuple(c.name for c in loaded),
    )


def _rss_mib() -> float:
    """The resident set size of the calling process in MiB (0 where /proc is missing)."""
    try:
        with open(f"/proc/{os.getpid()}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def prepare_worker(app: Celery, settings: Settings, enrich: bool = True) -> Preloaded:
    """Get this process ready to be a worker's main process: models loaded, flushes asked for.

    Loads the models (:func:`preload_models`) and, when Atlan is enabled, connects a
    ``worker_ready`` handler that asks for one Atlan flush at once (writes waiting in the
    outbox, e.g. behind a dead worker's unacknowledged flush, go out now) and then every
    ``celery.atlan_flush_interval_s`` from the worker's own event loop (no thread, so the
    pool's forks stay safe), whether or not ``enricher beat`` runs.

    :param enrich: whether the worker consumes the ``enrich`` queue (else no models load).
    :raises EnrichmentError: as :func:`preload_models` raises.
    Side effects: as :func:`preload_models`; connects a Celery signal handler.
    """
    loaded = preload_models(settings, classifiers=enrich)
    if settings.atlan.enabled:
        interval = settings.celery.atlan_flush_interval_s

        def on_ready(sender: Any, **_: Any) -> None:
            from redis import Redis

            redis = Redis.from_url(settings.celery.broker_url)
            ask = _flush_asker(app, redis, interval)
            ask(True)
            sender.timer.call_repeatedly(interval, ask, (False,))

        signals.worker_ready.connect(on_ready, weak=False)
    return loaded


def _flush_asker(app: Celery, redis: Redis, interval: float) -> Callable[[bool], None]:
    """A function that sends one ``s3e.atlan_flush`` unless one is pending already.

    The flush returns at once when the outbox is empty, so asking is cheap; it expires
    unexecuted after ``interval`` (the next ask replaces it).
    """

    def ask(always: bool) -> None:
        try:
            if redis.set(_FLUSH_PENDING, "1", nx=True, ex=5) or always:
                app.send_task("s3e.atlan_flush", queue="atlan", expires=interval)
        except Exception as exc:  # noqa: BLE001 - the broker is down: the next tick asks again
            logger.warning("could not ask for an Atlan flush (%s)", type(exc).__name__)

    return ask


def _schedule_flush(app: Celery, ctx: Context, delay: float | None = None) -> None:
    """Ask for one Atlan flush within ``atlan_flush_delay_s`` (collecting writes till then)."""
    wait = ctx.settings.celery.atlan_flush_delay_s if delay is None else delay
    wait = min(wait, ctx.settings.celery.max_countdown_s)
    if ctx.redis.set(_FLUSH_PENDING, "1", nx=True, ex=max(1, int(wait) + 1)):
        app.send_task("s3e.atlan_flush", countdown=wait, queue="atlan")


def is_local(uri: str) -> bool:
    """Whether ``uri`` names a local file (``file://`` or a plain path)."""
    return uri.startswith("file://") or "://" not in uri


def _ref_of(uri: str) -> ObjectRef:
    """The ref to record ``uri`` under, without touching the file system for local paths."""
    return ObjectRef.parse(uri) if uri.startswith("s3://") else ObjectRef(uri)


def _record_failure(
    ctx: Context, uri: str, job_id: str | None, run_id: str | None, error: EnrichmentError
) -> dict[str, Any]:
    """Record ``uri`` as failed with ``error``'s kind: in the catalog and in its job.

    A task outside a job gets a run of its own (command ``worker``), so the failure shows in
    the catalog with a run like every other result.

    Side effects: writes the catalog (the object's row; its earlier findings stay) and the
    job item; the job item is marked even when the catalog write fails.
    """
    result = EnrichmentResult(
        ref=_ref_of(uri),
        status=ObjectStatus.FAILED,
        error=ErrorInfo(error.kind, error.message, error.retryable),
        classifier_versions=classifier_versions(ctx.deps.classifiers),
    )
    try:
        catalog = ctx.deps.catalog
        own_run = run_id is None
        rid = catalog.start_run("worker", [uri]) if run_id is None else run_id
        catalog.record(rid, result)
        if own_run:
            catalog.finish_run(rid, {ObjectStatus.FAILED.value: 1})
    finally:
        if job_id is not None:
            ctx.jobs.mark(job_id, uri, ObjectStatus.FAILED.value, error.kind)
    return {"uri": uri, "status": "failed", "error": error.kind}


def _refuse_job_target(ctx: Context, job_id: str, job: dict[str, Any], path: str) -> None:
    """Finish a job whose target (or inventory manifest) is a refused local path.

    The target becomes the job's one item, failed with ``local_path_refused``; nothing is
    listed or read.
    """
    ctx.jobs.add_listed(job_id, [job["target"]], None, True)
    _record_failure(
        ctx,
        job["target"],
        job_id,
        job["run_id"],
        LocalPathRefused(f"{path}: local paths are refused by workers (celery.allow_local_paths)"),
    )
    ctx.jobs.set_state(job_id, "done")


@contextmanager
def _counted(ctx: Context, task: Task) -> Iterator[int]:
    """Count this delivery of ``task`` while its body runs; yield the count.

    The count is forgotten when the body ends in any way Python sees; only a process that
    dies leaves it behind for the next delivery to see.
    """
    # Named by task and id, so an operator (or a test) can tell what keeps dying.
    task_id = f"{task.name}:{task.request.id}" if task.request.id else None
    count = ctx.deliveries.arrive(task_id) if task_id else 1
    try:
        yield count
    finally:
        if task_id:
            try:
                ctx.deliveries.finish(task_id)
            except Exception as exc:  # noqa: BLE001 - the count then expires on its own
                logger.warning("could not clear the delivery count (%s)", type(exc).__name__)


def _give_up_message(task: Task, count: int) -> str:
    return (
        f"{task.name}: delivered {count} times, its worker process died on the first "
        f"{count - 1}; not run again"
    )


def register(app: Celery) -> None:
    """Define the tasks on ``app`` (on it alone: not shared with apps made later)."""

    @app.task(name="s3e.enrich", bind=True, max_retries=5, shared=False)
    def enrich(
        self: Task,
        uri: str,
        job_id: str | None = None,
        force: bool = False,
        diff_only: bool = False,
    ) -> dict[str, Any]:
        """Enrich one object; a duplicate delivery does no extra work and no extra write.

        Whatever happens, a job's item gets a final status: a result, or ``failed`` with a
        kind: the run error's, ``store_unavailable`` once retries are spent, ``worker_lost``
        after ``celery.max_deliveries`` deliveries whose process died, ``local_path_refused``,
        or ``internal_error`` for anything unexpected (the soft time limit too), also when it
        happens after the object was classified (e.g. queueing its Atlan write): the catalog
        then records the object as failed, so the next scan classifies it again. Only a
        failure to write the job item itself propagates.
        """
        ctx = context()
        run_id: str | None = None
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
        with _counted(ctx, self) as count:
            if ctx.deliveries.exhausted(count):
                logger.error("%s: %s", uri, _give_up_message(self, count))
                return _record_failure(
                    ctx, uri, job_id, run_id, WorkerLost(f"{uri}: {_give_up_message(self, count)}")
                )
            if is_local(uri) and not ctx.settings.celery.allow_local_paths:
                logger.warning("refused a task for a local path (celery.allow_local_paths)")
                return _record_failure(
                    ctx,
                    uri,
                    job_id,
                    run_id,
                    LocalPathRefused(f"{uri}: local paths are refused by workers"),
                )
            return _enrich(self, ctx, uri, job_id, run_id, force, diff_only)

    def _enrich(
        self: Task,
        ctx: Context,
        uri: str,
        job_id: str | None,
        run_id: str | None,
        force: bool,
        diff_only: bool,
    ) -> dict[str, Any]:
        options = EnrichOptions(
            sampling=ctx.settings.sampling.options(), force=force, run_id=run_id
        )
        stage = "enriching"
        try:
            result = enrich_object(ObjectRef.parse(uri), ctx.deps, options)
            stage = "queueing the Atlan write"
            if (
                ctx.writer is not None
                and result.status is ObjectStatus.CLASSIFIED
                and not diff_only
            ):
                desired = desired_state(ctx.deps, ctx.settings, result)
                if desired is not None:
                    ctx.writer.state.outbox_put([desired], "waiting for the next Atlan batch")
                    _schedule_flush(app, ctx)
        except StoreUnavailable as exc:
            if self.request.retries >= (self.max_retries or 0):
                return _record_failure(ctx, uri, job_id, run_id, exc)
            countdown = min(ctx.settings.celery.max_countdown_s, 2 ** (self.request.retries + 1))
            raise self.retry(exc=exc, countdown=countdown) from exc
        except RunError as exc:
            if job_id is not None:
                ctx.jobs.mark(job_id, uri, "failed", exc.kind)
            return {"uri": uri, "status": "failed", "error": exc.kind}
        except Exception as exc:  # noqa: BLE001 - SoftTimeLimitExceeded too: the item is marked
            # The type and stage only: an exception's text may quote sampled values.
            logger.error("%s: %s while %s", uri, type(exc).__name__, stage)
            return _record_failure(
                ctx, uri, job_id, run_id, InternalError(f"{type(exc).__name__} while {stage}")
            )
        if job_id is not None:
            kind = result.error.kind if result.error else None
            ctx.jobs.mark(job_id, uri, result.status.value, kind)
        return {
            "uri": uri,
            "status": result.status.value,
            "pii_columns": sum(1 for c in result.columns if c.entities),
            "error": result.error.kind if result.error else None,
        }

    @app.task(name="s3e.list_page", bind=True, max_retries=10, shared=False)
    def list_page(self: Task, job_id: str) -> dict[str, Any]:
        """List one page of the job's target and enqueue its objects; then the next page."""
        ctx = context()
        job = ctx.jobs.get(job_id)
        if job is None or job["state"] != "running" or job["listing_done"]:
            return {"job": job_id, "listed": 0}
        opts = job["options"]
        if not ctx.settings.celery.allow_local_paths:
            for path in (job["target"], opts.get("inventory")):
                if path and is_local(path):
                    _refuse_job_target(ctx, job_id, job, path)
                    return {"job": job_id, "error": LocalPathRefused.kind}
        with _counted(ctx, self) as count:
            if ctx.deliveries.exhausted(count):
                logger.error("job %s: %s", job_id, _give_up_message(self, count))
                ctx.jobs.set_state(job_id, "done")
                return {"job": job_id, "error": WorkerLost.kind}
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
            except (StoreUnavailable, SoftTimeLimitExceeded) as exc:
                if self.request.retries >= (self.max_retries or 0):
                    logger.warning("job %s: listing failed (%s)", job_id, type(exc).__name__)
                    ctx.jobs.set_state(job_id, "done")
                    return {"job": job_id, "error": StoreUnavailable.kind}
                raise self.retry(
                    exc=exc, countdown=min(5, ctx.settings.celery.max_countdown_s)
                ) from exc
            except EnrichmentError as exc:
                logger.warning("job %s: listing failed (%s)", job_id, exc.kind)
                ctx.jobs.set_state(job_id, "done")
                return {"job": job_id, "error": exc.kind}
            new = ctx.jobs.add_listed(
                job_id, [i.ref.uri for i in infos], next_key, next_key is None
            )
            _send_enrich(enrich, new, job_id, opts)
            if next_key is not None:
                list_page.apply_async((job_id,), queue="jobs")
            return {"job": job_id, "listed": len(new), "more": next_key is not None}

    @app.task(name="s3e.resume", shared=False)
    def resume(job_id: str, after: str | None = None) -> dict[str, Any]:
        """Send again what a cancelled or crashed job had not finished; continue listing.

        Sends at most 1,000 objects and hands the rest on to another resume task (``after``:
        the last object sent), so every task stays short.
        """
        ctx = context()
        job = ctx.jobs.get(job_id)
        if job is None:
            return {"job": job_id, "error": "unknown job"}
        if after is None:
            ctx.jobs.set_state(job_id, "running")
            if not job["listing_done"]:
                list_page.apply_async((job_id,), queue="jobs")
        page = ctx.jobs.queued(job_id, after, _RESUME_PAGE)
        _send_enrich(enrich, page, job_id, job["options"])
        if len(page) == _RESUME_PAGE:
            resume.apply_async((job_id, page[-1]), queue="jobs")
        return {"job": job_id, "resent": len(page)}

    @app.task(name="s3e.object_removed", bind=True, max_retries=5, shared=False)
    def object_removed(self: Task, bucket: str, key: str) -> dict[str, Any]:
        """Archive a removed object in the local catalog and in Atlan (never hard-deleted).

        A removal event can name an old version while the object still exists: a HEAD
        decides, and an object that is still there is left alone.
        """
        from worker.core.errors import ObjectVanished

        ctx = context()
        ref = ObjectRef(f"s3://{bucket}/{key}")
        try:
            ctx.deps.store.head(ref)
            return {"uri": ref.uri, "status": "still exists"}
        except ObjectVanished:
            pass
        except StoreUnavailable as exc:
            raise self.retry(
                exc=exc, countdown=min(5, ctx.settings.celery.max_countdown_s)
            ) from exc
        catalog = ctx.jobs.catalog
        known = catalog.archive(ref.uri)
        archived = False
        if ctx.writer is not None:
            try:
                archived = ctx.writer.archive(bucket, key)
            except EnrichmentError as exc:
                if exc.retryable:
                    wait = max(10.0, getattr(exc, "retry_after_s", None) or 0)
                    wait = min(wait, ctx.settings.celery.max_countdown_s)
                    raise self.retry(exc=exc, countdown=wait) from exc
                logger.warning("could not archive %s in Atlan (%s)", ref.uri, exc.kind)
        return {"uri": ref.uri, "status": "archived", "catalog": known, "atlan": archived}

    @app.task(name="s3e.start_scheduled", shared=False)
    def start_scheduled(uri: str, only_changed: bool = True) -> dict[str, Any]:
        """Start a discovery job (from ``enricher beat``); a refused local path ends it."""
        ctx = context()
        job_id = start_job(ctx.jobs, ctx.deps, uri, {"force": not only_changed})
        if is_local(uri) and not ctx.settings.celery.allow_local_paths:
            job = ctx.jobs.get(job_id)
            assert job is not None  # just created
            _refuse_job_target(ctx, job_id, job, uri)
            return {"job": job_id, "error": LocalPathRefused.kind}
        list_page.apply_async((job_id,), queue="jobs")
        return {"job": job_id}

    @app.task(name="s3e.atlan_flush", bind=True, shared=False)
    def atlan_flush(self: Task) -> dict[str, Any]:
        """Write the outbox to Atlan in batches; one flush at a time across all workers.

        Time-boxed: no new batch starts after half the soft time limit; what is left is
        handed to another flush. A failed flush (Atlan down, Retry-After) sets a back-off in
        Redis that later flushes respect (the periodic flush asks again); no task waits on an
        ETA longer than the visibility timeout allows.
        """
        ctx = context()
        ctx.redis.delete(_FLUSH_PENDING)
        if ctx.writer is None:
            return {"written": 0}
        if ctx.redis.exists(_FLUSH_BACKOFF):
            return {"written": 0, "backoff": True}
        # A short lock, extended after every request: a flusher that dies (kill -9) frees it
        # within _LOCK_TTL seconds instead of blocking every later flush.
        lock = ctx.redis.lock(_FLUSH_LOCK, timeout=_LOCK_TTL, blocking_timeout=0)
        if not lock.acquire(blocking=False):
            # Another flush is running; one more comes for what it did not see.
            _schedule_flush(app, ctx, delay=2)
            return {"written": 0, "busy": True}
        writer = ctx.writer
        writer.on_request = lambda: lock.extend(_LOCK_TTL, replace_ttl=True)
        deadline = _clock() + ctx.settings.celery.effective_soft_time_limit_s / 2
        written = requests = 0
        error: str | None = None
        retry_after: float | None = None
        more = False
        try:
            items = writer.state.outbox_items()
            for start in range(0, len(items), _FLUSH_CHUNK):
                if _clock() > deadline:
                    more = True
                    break
                report = writer.write(items[start : start + _FLUSH_CHUNK])
                written += report.objects
                requests += report.requests
                if report.error:
                    error, retry_after = report.error, report.retry_after_s
                    break
            if error is None and not more:
                # Approvals Atlan has not confirmed yet (it was down when the steward decided).
                from worker.bootstrap import build_review

                review = build_review(ctx.settings, ctx.jobs.catalog)
                review.writer = writer
                review.apply_approved()
        except SoftTimeLimitExceeded:
            more = True
        finally:
            writer.on_request = None
            try:
                lock.release()
            except Exception:  # expired meanwhile: nothing to release
                logger.warning("Atlan flush lock had expired before release")
        if error is not None:
            # Still in the outbox, durable. Refused assets (report.rejected) wait there too
            # but do not count as a failed flush: the next flush tries them again.
            failures = int(ctx.redis.incr(_FLUSH_FAILURES))
            ctx.redis.expire(_FLUSH_FAILURES, 3600)
            pause = max(min(300, 5 * 2 ** min(failures - 1, 6)), retry_after or 0)
            ctx.redis.set(_FLUSH_BACKOFF, "1", ex=max(1, int(pause)))
            return {"written": written, "requests": requests, "backoff_s": pause}
        ctx.redis.delete(_FLUSH_FAILURES)
        if more:
            _schedule_flush(app, ctx, delay=0)
        return {"written": written, "requests": requests, "more": more}


def _send_enrich(enrich: Any, uris: Sequence[str], job_id: str, opts: dict[str, Any]) -> None:
    """Queue one enrich task per object of a job, with the job's options."""
    for uri in uris:
        enrich.apply_async(
            (uri, job_id, bool(opts.get("force")), bool(opts.get("diff_only"))),
            queue="enrich",
        )


def start_job(jobs: SqlJobStore, deps: Deps, target: str, options: dict[str, Any]) -> str:
    """Create a job row (and a run in the local catalog); return the job id."""
    run_id = deps.catalog.start_run("job", [target])
    return jobs.create(target, options, run_id)
