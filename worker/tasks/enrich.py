"""The ``enrich`` queue's tasks: enrich one object (:func:`enrich`), archive a removed one.

Thin: each task reads its process's :class:`~worker.tasks.runtime.Runtime` and calls the core
:func:`~worker.core.pipeline.enrich_object` and the :class:`JobService`. Tasks take and
return ids and counts only, never sampled values; nobody reads their results
(``ignore_result``). Every delivery is counted until it finishes
(:func:`~worker.tasks.deliveries.counted`), and an enrich task always leaves its job item
with a final status: classified, skipped or failed with a kind.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import Task, shared_task

from models import EnrichmentResult, ObjectRef, ObjectStatus
from worker.core.errors import (
    CatalogUnavailable,
    EnrichmentError,
    InternalError,
    LocalPathRefused,
    ObjectVanished,
    RunError,
    StoreUnavailable,
    WorkerLost,
)
from worker.core.pipeline import EnrichOptions, enrich_object
from worker.services.jobs.listing import is_local
from worker.services.review.queue import desired_state
from worker.tasks import names, runtime
from worker.tasks.deliveries import counted, give_up_message
from worker.tasks.retry import retry_in
from worker.tasks.runtime import Runtime

logger = logging.getLogger(__name__)


@shared_task(name=names.ENRICH, bind=True, max_retries=5, ignore_result=True)
def enrich(
    self: Task,
    uri: str,
    job_id: str | None = None,
    force: bool = False,
    diff_only: bool = False,
    event_time: float | None = None,
) -> dict[str, Any]:
    """Enrich one object; a duplicate delivery does no extra work and no extra write.

    ``event_time`` (Unix seconds) is the S3 event's time, for the event lag metric.

    Whatever happens, a job's item gets a final status: a result, or ``failed`` with a
    kind: the run error's, ``store_unavailable`` once retries are spent, ``worker_lost``
    after ``celery.max_deliveries`` deliveries whose process died, ``local_path_refused``,
    or ``internal_error`` for anything unexpected (the soft time limit too), also when it
    happens after the object was classified (e.g. queueing its Atlan write): the catalog
    then records the object as failed, so the next scan classifies it again. Only a
    failure to write the job item itself propagates.
    """
    rt = runtime.current()
    run_id: str | None = None
    if job_id is not None:
        admission = rt.jobs.admit(job_id, uri)
        if admission.answer is not None:
            duplicate = {"duplicate": True} if admission.duplicate else {}
            return {"uri": uri, "status": admission.answer.value, **duplicate}
        run_id = admission.run_id
    with counted(rt.deliveries, self) as count:
        refused: EnrichmentError | None = None
        if rt.deliveries.exhausted(count):
            logger.error("%s: %s", uri, give_up_message(self, count))
            refused = WorkerLost(f"{uri}: {give_up_message(self, count)}")
        elif is_local(uri) and not rt.settings.celery.allow_local_paths:
            logger.warning("refused a task for a local path (celery.allow_local_paths)")
            refused = LocalPathRefused(f"{uri}: local paths are refused by workers")
        if refused is not None:
            return _failed(rt, uri, job_id, run_id, refused)
        answer = _enrich(self, rt, uri, job_id, run_id, force, diff_only)
        if event_time is not None:
            rt.deps.metrics.event_lag(time.time() - event_time)
        return answer


def _enrich(
    task: Task,
    rt: Runtime,
    uri: str,
    job_id: str | None,
    run_id: str | None,
    force: bool,
    diff_only: bool,
) -> dict[str, Any]:
    """Run the core on one object, queue its Atlan write, record its job item.

    :raises Retry: S3 was unavailable and retries are left (after a jittered wait).
    """
    options = EnrichOptions(sampling=rt.settings.sampling.options(), force=force, run_id=run_id)
    stage = "enriching"
    try:
        result = enrich_object(ObjectRef.parse(uri), rt.deps, options)
        stage = "queueing the Atlan write"
        if not diff_only:
            _queue_atlan_write(rt, result)
        if job_id is None and rt.datasets is not None:
            # An S3 event: a new partition of a known dataset updates the dataset's verdict.
            stage = "updating its dataset"
            rt.datasets.observe(result)
    except StoreUnavailable as exc:
        if task.request.retries >= (task.max_retries or 0):
            return _failed(rt, uri, job_id, run_id, exc)
        wait = retry_in(task.request.retries, rt.settings.celery, base=2)
        raise task.retry(exc=exc, countdown=wait) from exc
    except RunError as exc:
        if job_id is not None:
            rt.jobs.record(job_id, uri, ObjectStatus.FAILED, exc.kind)
        return {"uri": uri, "status": "failed", "error": exc.kind}
    except Exception as exc:  # noqa: BLE001 - SoftTimeLimitExceeded too: the item is marked
        # The type and stage only: an exception's text may quote sampled values.
        logger.error("%s: %s while %s", uri, type(exc).__name__, stage)
        error = InternalError(f"{type(exc).__name__} while {stage}")
        return _failed(rt, uri, job_id, run_id, error)
    kind = result.error.kind if result.error else None
    if job_id is not None:
        rt.jobs.record(job_id, uri, result.status, kind)
    return {
        "uri": uri,
        "status": result.status.value,
        "pii_columns": sum(1 for c in result.columns if c.entities),
        "error": kind,
    }


def _queue_atlan_write(rt: Runtime, result: EnrichmentResult) -> None:
    """Put a classified object's desired Atlan state in the outbox and ask for a flush."""
    if rt.writer is None or result.status is not ObjectStatus.CLASSIFIED:
        return
    desired = desired_state(rt.deps, rt.settings, result)
    if desired is not None:
        rt.writer.state.outbox_put([desired], "waiting for the next Atlan batch")
        rt.flush.schedule()


def _failed(
    rt: Runtime, uri: str, job_id: str | None, run_id: str | None, error: EnrichmentError
) -> dict[str, Any]:
    """Record ``uri`` as failed (catalog and job item); the task's answer."""
    rt.jobs.fail_object(uri, error, job_id, run_id)
    return {"uri": uri, "status": "failed", "error": error.kind}


@shared_task(name=names.OBJECT_REMOVED, bind=True, max_retries=5, ignore_result=True)
def object_removed(self: Task, bucket: str, key: str) -> dict[str, Any]:
    """Archive a removed object in the local catalog and in Atlan (never hard-deleted).

    A removal event can name an old version while the object still exists: a HEAD
    decides, and an object that is still there is left alone. S3 or Atlan unavailable:
    retried after a jittered wait (at least Atlan's Retry-After, and 10 s).
    """
    rt = runtime.current()
    ref = ObjectRef(f"s3://{bucket}/{key}")
    try:
        rt.deps.store.head(ref)
        return {"uri": ref.uri, "status": "still exists"}
    except ObjectVanished:
        pass
    except StoreUnavailable as exc:
        wait = retry_in(self.request.retries, rt.settings.celery, base=5)
        raise self.retry(exc=exc, countdown=wait) from exc
    known = rt.catalog.archive(ref.uri)
    archived = False
    if rt.writer is not None:
        try:
            archived = rt.writer.archive(bucket, key)
        except EnrichmentError as exc:
            if exc.retryable:
                after = exc.retry_after_s if isinstance(exc, CatalogUnavailable) else None
                wait = retry_in(
                    self.request.retries, rt.settings.celery, base=10, at_least=max(10, after or 0)
                )
                raise self.retry(exc=exc, countdown=wait) from exc
            logger.warning("could not archive %s in Atlan (%s)", ref.uri, exc.kind)
    return {"uri": ref.uri, "status": "archived", "catalog": known, "atlan": archived}
