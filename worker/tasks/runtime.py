"""What the tasks of one worker pool process use, built once per process and held here.

Why a holder: Celery calls a task with its message's arguments only, so a task cannot be
handed its dependencies the way a service is. Instead :func:`build_runtime` composes them
(from :mod:`worker.bootstrap`'s builders) once per pool process, when the process starts
(``worker_process_init``, connected by :func:`worker.tasks.startup.prepare_worker`), and
:func:`install` puts the result here; each task reads it with :func:`current`. Nothing is
built before the fork (connections must not be shared between processes) and nothing is
swapped afterwards: the Atlan writer, the review service that applies approvals and the
flush that keeps its lock alive are wired together once, explicitly, in
:func:`build_runtime`. Tests build a :class:`Runtime` with doubles and :func:`install` it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from worker.core.pipeline import Deps, classifier_versions
from worker.core.settings import Settings
from worker.services.jobs.service import JobService
from worker.tasks.asking import SendTask
from worker.tasks.deliveries import DeliveryCounter
from worker.tasks.flush import AtlanFlush

if TYPE_CHECKING:
    from redis import Redis

    from classifiers.base import Classifier
    from worker.adapters.atlan.writer import AtlanCatalogWriter
    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.services.datasets.service import DatasetService


@dataclass(slots=True)
class Runtime:
    """The adapters and services one pool process's tasks use.

    :param catalog: the local catalog (also ``deps.catalog``; archiving removed objects).
    :param writer: the Atlan writer; ``None`` when Atlan is off.
    :param datasets: folds objects from S3 events into their datasets (``None``: off).
    """

    settings: Settings
    deps: Deps
    catalog: SqlLocalCatalog
    jobs: JobService
    writer: AtlanCatalogWriter | None
    redis: Redis
    deliveries: DeliveryCounter
    flush: AtlanFlush
    datasets: DatasetService | None = None


_runtime: Runtime | None = None
_runtime_pid: int | None = None


def install(runtime: Runtime | None) -> None:
    """Make ``runtime`` this process's (``None``: forget it). Side effects: the holder."""
    global _runtime, _runtime_pid
    _runtime, _runtime_pid = runtime, (os.getpid() if runtime is not None else None)


def current() -> Runtime:
    """Return this process's runtime.

    :raises RuntimeError: none was installed in this process (a process forked after
        install holds its parent's connections and must build its own).
    """
    if _runtime is None or _runtime_pid != os.getpid():
        raise RuntimeError("no worker runtime in this process (worker_process_init did not run)")
    return _runtime


def build_runtime(
    settings: Settings, send: SendTask, classifiers: Sequence[Classifier] | None = None
) -> Runtime:
    """Compose a process's runtime from the settings. Connects to nothing yet.

    :param send: sends a task by name (the worker app's ``send_task``).
    :param classifiers: classifiers loaded before the fork (default: built, loaded lazily).
    :raises ConfigError: as :func:`worker.bootstrap.build_deps` raises.
    Side effects: sets the Atlan writer's ``on_request`` hook to the flush's lock keeper
    (once, here: the writer's documented hook for exactly this).
    """
    from redis import Redis

    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.adapters.catalog.job_store import SqlJobStore
    from worker.bootstrap import build_datasets, build_deps, build_review

    deps = build_deps(settings, classifiers)
    catalog = deps.catalog if isinstance(deps.catalog, SqlLocalCatalog) else None
    local = catalog or SqlLocalCatalog(settings.database_url)
    redis = Redis.from_url(settings.celery.broker_url)
    # One writer per process, the review service's: approvals and the outbox go through
    # the same client and the same lock keeper.
    review = build_review(settings, local) if settings.atlan.enabled else None
    writer = review.writer if review is not None else None
    flush = AtlanFlush(
        redis,
        writer,
        review.apply_approved if review is not None else None,
        settings.celery,
        send,
    )
    if writer is not None:
        writer.on_request = flush.keep_alive
    jobs = JobService(
        SqlJobStore(local),
        deps.catalog,
        allow_local_paths=settings.celery.allow_local_paths,
        classifier_versions=classifier_versions(deps.classifiers),
        metrics=deps.metrics,
    )
    return Runtime(
        settings=settings,
        deps=deps,
        catalog=local,
        jobs=jobs,
        writer=writer,
        redis=redis,
        deliveries=DeliveryCounter(redis, settings.celery.max_deliveries),
        flush=flush,
        datasets=build_datasets(settings, local) if settings.datasets.enabled else None,
    )
