"""The Celery application: queues, routes and redelivery settings, from one settings object.

Queues: ``enrich`` (one object per task: ids in, a summary out, never sampled values), ``jobs``
(listing pages and bookkeeping) and ``atlan`` (batched writes from the outbox). JSON only.

Exactly-once *effect* under crashes comes from at-least-once delivery plus idempotent work:

* ``acks_late`` with ``task_reject_on_worker_lost`` brings a killed pool process's task back at
  once; so does ``task_acks_on_timeout`` off for a task killed by the hard time limit. Each
  enrich and listing delivery is counted in Redis (by task name and id, with an expiry)
  until the task finishes (:mod:`worker.tasks.deliveries`); an object whose task died
  ``max_deliveries`` times (3: out of memory, a crash in a native library) is recorded as
  failed, kind ``worker_lost``, in its job and the catalog, and acknowledged instead of being
  run again, so one poisonous object cannot keep a worker in a crash loop.
* A whole worker killed (kill -9, OOM kill, node lost) leaves its tasks unacked in Redis; the
  unacked-restore sweep (every ``unacked_restore_interval_s``, throttle 1) of any live worker
  returns them after the visibility timeout. Every task is short, so that timeout is short
  too: one hard limit for all tasks (``task_time_limit_s``, 60 s; soft 45 s; enrich reads at
  most the sampling byte budget, the Atlan flush stops between batches after a time budget
  and asks for another, a listing task handles one page, resume sends 1,000 objects a task)
  and a visibility timeout of that limit + 20 s (80 s). ETA waits (retry countdowns) are
  capped so that waiting plus running stays under it.
* Models load once in the worker's main process before Celery starts and forks the pool
  (:func:`worker.tasks.startup.prepare_worker`, called by ``enricher worker``), so a fresh pool
  process, e.g. the replacement of a killed one, starts its first task warm instead of
  spending its time limit on loading (Celery would also kill a process whose start-up in
  ``worker_process_init`` took over 4 s).
* A worker that starts asks for an Atlan flush, and asks again every
  ``atlan_flush_interval_s`` (as does ``enricher beat``): writes waiting in the outbox behind
  a dead worker's unacknowledged flush go out without waiting for that flush to come back.
* Duplicates are harmless: a task that runs twice finds the object current in the local
  catalog (same ETag and classifier versions) or done in its job and does nothing; the job's
  per-object row is upserted; Atlan writes are planned as a difference against what was
  written, so a repeated flush sends nothing; one flush runs at a time (a Redis lock).

Nothing connects or loads at import: :func:`make_app` is called by ``enricher worker``,
``enricher beat`` and the job commands with the settings they loaded. This module imports no
task module: the tasks are shared tasks in :mod:`worker.tasks.enrich`, :mod:`~worker.tasks.jobs`
and :mod:`~worker.tasks.atlan`, named in the app's ``include`` setting, which the worker imports
when it starts; clients only send tasks by name (:mod:`worker.tasks.names`).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from celery import Celery, signals
from celery.schedules import crontab
from kombu import Queue  # type: ignore[attr-defined]

from worker.core.logs import bind_context, configure_logging, reset_context
from worker.core.queues import QUEUES
from worker.core.settings import Settings
from worker.tasks import names

if TYPE_CHECKING:
    from worker.core.s3_events import ObjectEvent


def make_app(settings: Settings) -> Celery:
    """Build the Celery app (its tasks are imported by the worker); connects to nothing yet."""
    c = settings.celery
    app = Celery(
        "s3enricher",
        broker=c.broker_url,
        backend=c.result_backend,
        include=list(names.TASK_MODULES),
    )
    transport: dict[str, Any] = {
        # Longer than the hard time limit, so a running task is never handed out twice.
        "visibility_timeout": c.effective_visibility_timeout_s,
        "unacked_restore_interval": c.unacked_restore_interval_s,
        "unacked_restore_throttle": 1,
    }
    beat: dict[str, Any] = {
        f"scan-{i}": {
            "task": names.START_SCHEDULED,
            "schedule": entry.every_minutes * 60,
            "args": (entry.uri, entry.only_changed),
        }
        for i, entry in enumerate(c.schedules)
    }
    if settings.atlan.enabled:
        beat["atlan-flush"] = {
            "task": names.ATLAN_FLUSH,
            "schedule": c.atlan_flush_interval_s,
            "options": {"queue": "atlan", "expires": c.atlan_flush_interval_s},
        }
    if settings.compliance.schedule:
        # The previous month's report (worker.tasks.compliance) on the jobs queue, named
        # here as by any other sender; the crontab is UTC.
        beat["compliance-report"] = {
            "task": names.COMPLIANCE_REPORT,
            "schedule": compliance_crontab(settings.compliance.schedule),
            "options": {"queue": "jobs"},
        }
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # A task killed by the hard time limit goes back to the queue like one whose process
        # died, and is counted the same way (worker.tasks.deliveries), instead of being
        # acknowledged with its job item left unmarked.
        task_acks_on_timeout=False,
        worker_prefetch_multiplier=1,
        task_time_limit=c.task_time_limit_s,
        task_soft_time_limit=c.effective_soft_time_limit_s,
        broker_transport_options=transport,
        result_backend_transport_options=transport,
        broker_connection_retry_on_startup=True,
        result_expires=24 * 3600,
        task_queues=[Queue(q) for q in QUEUES],  # type: ignore[no-untyped-call]
        task_default_queue="enrich",
        task_routes={
            names.ENRICH: {"queue": "enrich"},
            names.LIST_PAGE: {"queue": "jobs"},
            names.RESUME: {"queue": "jobs"},
            names.WATCH_JOBS: {"queue": "jobs"},
            names.START_SCHEDULED: {"queue": "jobs"},
            names.ATLAN_FLUSH: {"queue": "atlan"},
            names.OBJECT_REMOVED: {"queue": "enrich"},
            names.COMPLIANCE_REPORT: {"queue": "jobs"},
        },
        worker_hijack_root_logger=False,
        task_annotations=(
            {names.ATLAN_FLUSH: {"rate_limit": c.atlan_rate_limit}} if c.atlan_rate_limit else {}
        ),
        beat_schedule=beat,
    )
    connect_logging(settings)
    return app


_log_settings: list[Settings] = []
_task_context: dict[str, list[Any]] = {}


def connect_logging(settings: Settings) -> None:
    """Route Celery's logging through :mod:`worker.core.logs`, with task context.

    ``setup_logging`` (a receiver stops Celery configuring logging itself) configures the
    root logger with ``log_level``/``log_format`` at the level ``--loglevel`` gives;
    ``task_prerun``/``task_postrun`` bind the task id, and the ``job_id`` and ``uri``
    arguments of the task where it has them, to every record the task logs. Connected once
    (by ``dispatch_uid``); the latest settings win. Side effects: connects signal handlers.
    """
    _log_settings[:] = [settings]
    signals.setup_logging.connect(_setup_logging, weak=False, dispatch_uid="s3e-logging")
    signals.task_prerun.connect(_bind_task, weak=False, dispatch_uid="s3e-log-bind")
    signals.task_postrun.connect(_unbind_task, weak=False, dispatch_uid="s3e-log-unbind")


def _setup_logging(loglevel: int | str | None = None, **_: Any) -> None:
    settings = _log_settings[0]
    level = logging.getLevelName(loglevel) if isinstance(loglevel, int) else loglevel
    configure_logging(str(level or settings.log_level), settings.log_format)


def _bind_task(task_id: str, task: Any, args: Any = (), kwargs: Any = None, **_: Any) -> None:
    try:
        bound = inspect.signature(task.run).bind_partial(*(args or ()), **(kwargs or {}))
        values = bound.arguments
    except (TypeError, ValueError):
        values = {}
    job_id, uri = values.get("job_id"), values.get("uri")
    _task_context[task_id] = bind_context(
        job_id=job_id if isinstance(job_id, str) else None,
        task_id=task_id,
        object_uri=uri if isinstance(uri, str) else None,
    )


def _unbind_task(task_id: str, **_: Any) -> None:
    tokens = _task_context.pop(task_id, None)
    if tokens is not None:
        try:
            reset_context(tokens)
        except ValueError:  # set in another context (a thread pool): nothing to undo here
            pass


def compliance_crontab(schedule: str) -> crontab:
    """Celery's crontab of a five-field ``compliance.schedule`` (checked by the settings)."""
    minute, hour, day_of_month, month_of_year, day_of_week = schedule.split()
    return crontab(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
    )


def enqueue_events(app: Celery, events: Iterable[ObjectEvent]) -> None:
    """Send one task per S3 event: created objects are enriched, removed ones archived.

    Shared by the SQS consumer and the webhook, so both triggers behave the same.
    Side effects: publishes messages to the broker.
    """
    for e in events:
        if e.kind == "created":
            # The event's time travels with the task: the lag metric ends when it is stored.
            when = {"event_time": e.event_time.timestamp()} if e.event_time else {}
            app.send_task(names.ENRICH, (f"s3://{e.bucket}/{e.key}",), when, queue="enrich")
        else:
            app.send_task(names.OBJECT_REMOVED, (e.bucket, e.key), queue="enrich")
