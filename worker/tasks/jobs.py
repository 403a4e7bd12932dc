"""The ``jobs`` queue's tasks: list a job's next page, resume a job, start a scheduled job.

Thin: the job logic (paging, counting, state transitions, refusing local paths) is
:class:`~worker.services.jobs.service.JobService`'s; these tasks fan out what it returns as
enrich tasks and hand the rest on to the next task, so every task stays short. Nobody reads
their results (``ignore_result``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from billiard.exceptions import SoftTimeLimitExceeded
from celery import Celery, Task, shared_task

from models.jobs import Job, JobOptions, JobState
from worker.core.errors import LocalPathRefused, StoreUnavailable, WorkerLost
from worker.services.jobs.listing import is_local
from worker.tasks import lost, names, runtime
from worker.tasks.deliveries import counted, give_up_message
from worker.tasks.retry import retry_in

logger = logging.getLogger(__name__)

#: Objects a resume task sends before handing on to the next resume task.
RESUME_PAGE = 1000


@shared_task(name=names.LIST_PAGE, bind=True, max_retries=10, ignore_result=True)
def list_page(self: Task, job_id: str) -> dict[str, Any]:
    """List one page of the job's target and enqueue its objects; then the next page.

    A target (or manifest) that is a refused local path, or a listing error that will not
    pass, ends the job's listing. S3 unavailable (or the soft time limit): retried after a
    jittered wait; when retries are spent, or after ``celery.max_deliveries`` deliveries
    whose process died, the job is done with what it has listed.
    """
    rt = runtime.current()
    job = rt.jobs.listable(job_id)
    if job is None:
        return {"job": job_id, "listed": 0}
    with counted(rt.deliveries, self) as count:
        if rt.deliveries.exhausted(count):
            logger.error("job %s: %s", job_id, give_up_message(self, count))
            rt.jobs.finish(job_id)
            return {"job": job_id, "error": WorkerLost.kind}
        try:
            page = rt.jobs.list_next(job, rt.deps.store, rt.settings.celery.page_size)
        except (StoreUnavailable, SoftTimeLimitExceeded) as exc:
            if self.request.retries >= (self.max_retries or 0):
                logger.warning("job %s: listing failed (%s)", job_id, type(exc).__name__)
                rt.jobs.finish(job_id)
                return {"job": job_id, "error": StoreUnavailable.kind}
            wait = retry_in(self.request.retries, rt.settings.celery, base=5)
            raise self.retry(exc=exc, countdown=wait) from exc
        if page.error is not None:
            return {"job": job_id, "error": page.error}
        send_enrich(self.app, page.new, job)
        if page.more:
            self.app.send_task(names.LIST_PAGE, (job_id,), queue="jobs")
        return {"job": job_id, "listed": len(page.new), "more": page.more}


@shared_task(name=names.RESUME, bind=True, ignore_result=True)
def resume(
    self: Task, job_id: str, after: str | None = None, running_only: bool = False
) -> dict[str, Any]:
    """Send again what a cancelled or crashed job had not finished; continue listing.

    Sends at most 1,000 objects and hands the rest on to another resume task (``after``:
    the last object sent), so every task stays short. ``running_only`` (the lost-message
    watch's resend, :mod:`worker.tasks.lost`): a job that is no longer running (cancelled,
    or done, since the watch looked) is left as it is instead of being reopened.
    """
    rt = runtime.current()
    if running_only or after is not None:
        job = rt.jobs.get(job_id)
        if running_only and job is not None and job.state is not JobState.RUNNING:
            return {"job": job_id, "resent": 0, "state": job.state.value}
    else:
        job = rt.jobs.reopen(job_id)
    if job is None:
        return {"job": job_id, "error": "unknown job"}
    if after is None and not job.listing_done:
        self.app.send_task(names.LIST_PAGE, (job_id,), queue="jobs")
    page = rt.jobs.unfinished(job_id, after, RESUME_PAGE)
    send_enrich(self.app, page, job)
    if len(page) == RESUME_PAGE:
        self.app.send_task(names.RESUME, (job_id, page[-1], running_only), queue="jobs")
    return {"job": job_id, "resent": len(page)}


@shared_task(name=names.WATCH_JOBS, bind=True, ignore_result=True)
def watch_jobs(self: Task) -> dict[str, Any]:
    """Send again the unfinished objects of running jobs whose messages were lost.

    See :mod:`worker.tasks.lost`: only while no enrich or jobs message is left anywhere in
    the broker, for jobs that made no progress between two such looks.
    """
    rt = runtime.current()
    stuck = lost.watch(
        rt.redis, rt.jobs.open_jobs, self.app.send_task, rt.settings.celery.lost_check_interval_s
    )
    return {"resumed": stuck}


@shared_task(name=names.START_SCHEDULED, bind=True, ignore_result=True)
def start_scheduled(self: Task, uri: str, only_changed: bool = True) -> dict[str, Any]:
    """Start a discovery job (from ``enricher beat``); a refused local path ends it."""
    rt = runtime.current()
    job_id = rt.jobs.start(uri, JobOptions(force=not only_changed))
    if is_local(uri) and not rt.settings.celery.allow_local_paths:
        job = rt.jobs.get(job_id)
        assert job is not None  # just created
        rt.jobs.refuse(job, uri)
        return {"job": job_id, "error": LocalPathRefused.kind}
    self.app.send_task(names.LIST_PAGE, (job_id,), queue="jobs")
    return {"job": job_id}


def send_enrich(app: Celery, uris: Sequence[str], job: Job) -> None:
    """Queue one enrich task per object of a job, with the job's options.

    One producer from the pool for the whole page (``send_task`` would take one and give it
    back per message); the messages are the same.
    """
    if not uris:
        return
    with app.producer_or_acquire() as producer:
        for uri in uris:
            app.send_task(
                names.ENRICH,
                (uri, job.id, job.options.force, job.options.diff_only),
                queue="enrich",
                producer=producer,
            )
