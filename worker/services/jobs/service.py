"""Jobs as a use case: start, page through a target, admit and record objects, state changes.

:class:`JobService` owns every transition of a job (``running`` → ``cancelled`` → ``running``
→ ``done``) and of its objects (``queued`` → a final state), over the
:class:`~worker.core.ports.JobStore` and :class:`~worker.core.ports.LocalCatalog` ports. It
sends no messages: the Celery tasks (:mod:`worker.tasks.jobs`, :mod:`worker.tasks.enrich`)
and the CLI call it and fan out what it returns.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from models import EnrichmentResult, ErrorInfo, ObjectRef, ObjectStatus
from models.jobs import ITEM_DONE, ItemState, Job, JobOptions, JobProgress, JobState
from worker.core.errors import EnrichmentError, LocalPathRefused, StoreUnavailable
from worker.core.ports import JobStore, LocalCatalog, Metrics, NoMetrics, ObjectStore
from worker.services.jobs.listing import inventory_page, is_local, list_page

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Admission:
    """Whether an object's task in a job runs.

    :param run_id: the job's catalog run, when it runs.
    :param answer: the object's state instead of running (``cancelled``, or a final state
        for a duplicate delivery); ``None``: run.
    :param duplicate: the object already has a final state in the job.
    """

    run_id: str | None
    answer: ItemState | None = None
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class ListedPage:
    """What listing one page of a job did.

    :param new: URIs new to the job, to enqueue.
    :param more: listing continues with another page.
    :param error: the error kind that ended the job's listing, or ``None``.
    """

    new: tuple[str, ...] = ()
    more: bool = False
    error: str | None = None


class JobService:
    """Bulk jobs over a :class:`JobStore` and the local catalog.

    :param store: where jobs and their objects' states live.
    :param catalog: the local catalog (a job's run; failures recorded for an object).
    :param allow_local_paths: whether a job may list a local path (workers refuse them unless
        ``celery.allow_local_paths``: whoever can queue a task could otherwise read files).
    :param classifier_versions: the versions a failure is recorded with (the classifiers of
        the process), so the next scan knows what the catalog row was judged by.
    :param metrics: counts the objects that reach a final status (the jobs' rate).
    """

    def __init__(
        self,
        store: JobStore,
        catalog: LocalCatalog,
        *,
        allow_local_paths: bool = True,
        classifier_versions: Mapping[str, str] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.metrics = metrics if metrics is not None else NoMetrics()
        self.store = store
        self.catalog = catalog
        self.allow_local_paths = allow_local_paths
        self.classifier_versions = dict(classifier_versions or {})

    # --- the job ----------------------------------------------------------------------------

    def start(self, target: str, options: JobOptions) -> str:
        """Create a running job (and its run in the local catalog); return the job id.

        Side effects: opens a catalog run; inserts the job.
        """
        run_id = self.catalog.start_run("job", [target])
        return self.store.create(target, options, run_id)

    def get(self, job_id: str) -> Job | None:
        """The job, or ``None``."""
        return self.store.get(job_id)

    def cancel(self, job_id: str) -> bool:
        """Stop a job: listing stops, queued objects are left alone. ``False``: no such job."""
        if self.store.get(job_id) is None:
            return False
        self.store.set_state(job_id, JobState.CANCELLED)
        return True

    def reopen(self, job_id: str) -> Job | None:
        """Set a (cancelled or crashed) job running again; return it, or ``None`` if unknown."""
        job = self.store.get(job_id)
        if job is None:
            return None
        self.store.set_state(job_id, JobState.RUNNING)
        return job

    def finish(self, job_id: str) -> None:
        """Mark the job done (listing failed or gave up; or every object is final)."""
        self.store.set_state(job_id, JobState.DONE)

    def progress(self, job_id: str) -> JobProgress | None:
        """The job's progress; a running job whose objects are all final becomes ``done``.

        Side effects: may set the job's state to ``done``.
        """
        p = self.store.progress(job_id)
        if p is not None and p.complete and p.state is JobState.RUNNING:
            self.finish(job_id)
            p = self.store.progress(job_id)
        return p

    def list_jobs(self, limit: int = 20) -> list[JobProgress]:
        """The newest jobs first."""
        return self.store.list_jobs(limit)

    def open_jobs(self, limit: int = 200) -> dict[str, str]:
        """Running jobs with listing or objects left: job id -> a mark of their progress.

        The mark (objects listed and finished) changes whenever a listing page or an object
        of the job is done; :mod:`worker.tasks.lost` compares two of them. At most ``limit``
        jobs, the newest first. Side effects: a running job found complete becomes ``done``.
        """
        marks: dict[str, str] = {}
        for p in self.store.list_jobs(limit, JobState.RUNNING):
            if p.complete:
                self.finish(p.id)
            else:
                marks[p.id] = f"{p.listed}:{p.finished}:{int(p.listing_done)}"
        return marks

    def unfinished(self, job_id: str, after: str | None, limit: int) -> list[str]:
        """Objects of the job not finished (queued or cancelled) after ``after``, URI order."""
        return self.store.queued(job_id, after, limit)

    # --- listing ----------------------------------------------------------------------------

    def listable(self, job_id: str) -> Job | None:
        """The job when it is running with listing left to do, else ``None``."""
        job = self.store.get(job_id)
        if job is None or job.state is not JobState.RUNNING or job.listing_done:
            return None
        return job

    def refused_path(self, job: Job) -> str | None:
        """The job's target or manifest when it is a local path workers may not read."""
        if self.allow_local_paths:
            return None
        for path in (job.target, job.options.inventory):
            if path and is_local(path):
                return path
        return None

    def refuse(self, job: Job, path: str) -> None:
        """Finish a job whose target (or inventory manifest) is a refused local path.

        The target becomes the job's one object, failed with ``local_path_refused``; nothing
        is listed or read. Side effects: the job's item, the catalog, the job's state.
        """
        self.store.add_listed(job.id, [job.target], None, True)
        error = LocalPathRefused(
            f"{path}: local paths are refused by workers (celery.allow_local_paths)"
        )
        self.fail_object(job.target, error, job.id, job.run_id)
        self.finish(job.id)

    def list_next(self, job: Job, objects: ObjectStore, page_size: int) -> ListedPage:
        """List the job's next page (S3 LIST or its inventory) and record its objects.

        A refused local path or a listing error that will not pass (bucket gone, credentials,
        a bad manifest) ends the job's listing: the job is done with what it has.

        :raises StoreUnavailable: a transient failure; the caller retries (and calls
            :meth:`finish` when it gives up).
        Side effects: new objects recorded as queued; the cursor moves on.
        """
        path = self.refused_path(job)
        if path is not None:
            self.refuse(job, path)
            return ListedPage(error=LocalPathRefused.kind)
        opts = job.options
        try:
            if opts.inventory:
                infos, next_key = inventory_page(
                    objects,
                    opts.inventory,
                    job.target,
                    job.cursor,
                    page_size,
                    include=opts.include,
                    exclude=opts.exclude,
                )
            else:
                infos, next_key = list_page(
                    objects,
                    job.target,
                    job.cursor,
                    page_size,
                    include=opts.include,
                    exclude=opts.exclude,
                )
        except StoreUnavailable:
            raise
        except EnrichmentError as exc:
            logger.warning("job %s: listing failed (%s)", job.id, exc.kind)
            self.finish(job.id)
            return ListedPage(error=exc.kind)
        new = self.store.add_listed(job.id, [i.ref.uri for i in infos], next_key, next_key is None)
        return ListedPage(new=tuple(new), more=next_key is not None)

    # --- objects ----------------------------------------------------------------------------

    def admit(self, job_id: str, uri: str) -> Admission:
        """Whether ``uri``'s task in job ``job_id`` runs, and under which run.

        A cancelled (or unknown) job's object is left alone (marked ``cancelled``); an object
        with a final state already is a duplicate delivery (e.g. after a worker was killed
        before its ack): no work and no write.
        """
        job = self.store.get(job_id)
        if job is None or job.state is JobState.CANCELLED:
            if job is not None:
                self.store.mark(job_id, uri, ItemState.CANCELLED)
            return Admission(None, ItemState.CANCELLED)
        done = self.store.item_status(job_id, uri)
        if done in ITEM_DONE:
            return Admission(job.run_id, done, duplicate=True)
        return Admission(job.run_id)

    def record(self, job_id: str, uri: str, status: ObjectStatus, kind: str | None) -> None:
        """Set the object's final state in the job (its result's status and error kind)."""
        self.store.mark(job_id, uri, ItemState(status.value), kind)
        self.metrics.job_object(status.value)

    def fail_object(
        self,
        uri: str,
        error: EnrichmentError,
        job_id: str | None = None,
        run_id: str | None = None,
    ) -> None:
        """Record ``uri`` as failed with ``error``'s kind: in the catalog and in its job.

        An object outside a job gets a run of its own (command ``worker``), so the failure
        shows in the catalog with a run like every other result.

        Side effects: writes the catalog (the object's row; its earlier findings stay) and
        the job item; the job item is marked even when the catalog write fails; counts the
        object as failed (these failures never reached the core's count).
        """
        self.metrics.object_done(ObjectStatus.FAILED.value, "none", error.kind, 0)
        result = EnrichmentResult(
            ref=_ref_of(uri),
            status=ObjectStatus.FAILED,
            error=ErrorInfo(error.kind, error.message, error.retryable),
            classifier_versions=dict(self.classifier_versions),
        )
        try:
            rid = self.catalog.start_run("worker", [uri]) if run_id is None else run_id
            self.catalog.record(rid, result)
            if run_id is None:
                self.catalog.finish_run(rid, {ObjectStatus.FAILED.value: 1})
        finally:
            if job_id is not None:
                self.store.mark(job_id, uri, ItemState.FAILED, error.kind)
                self.metrics.job_object(ObjectStatus.FAILED.value)


def _ref_of(uri: str) -> ObjectRef:
    """The ref to record ``uri`` under, without touching the file system for local paths."""
    return ObjectRef.parse(uri) if uri.startswith("s3://") else ObjectRef(uri)
