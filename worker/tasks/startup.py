"""A worker's main process before Celery starts: models loaded, each pool process wired.

Models load once, in the main process before the pool forks (:func:`preload_models`):
pool processes inherit them copy-on-write, so a fresh process (the first ones, or the
replacement of a killed one) starts its first task warm and the short time limit is never
spent on loading. Each pool process then builds its own adapters (database engines, Redis,
the Atlan writer) when it starts, in ``worker_process_init``
(:func:`worker.tasks.runtime.build_runtime`), never before the fork. A worker that starts
asks for an Atlan flush, and asks again every ``celery.atlan_flush_interval_s``.
"""

from __future__ import annotations

import gc
import logging
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from celery import Celery, signals

from worker.core.settings import Settings
from worker.tasks import runtime
from worker.tasks.flush import flush_asker
from worker.tasks.lost import watch_asker

if TYPE_CHECKING:
    from classifiers.base import Classifier

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Preloaded:
    """What :func:`preload_models` did: how long it took and the process's size after.

    :param loaded: the loaded classifiers, for pool processes to share by fork; ``None``:
        none were loaded (a worker that does not consume ``enrich``).
    """

    seconds: float
    rss_mib: float
    classifiers: tuple[str, ...]
    loaded: tuple[Classifier, ...] | None = field(default=None, repr=False)


def preload_models(settings: Settings, classifiers: bool = True) -> Preloaded:
    """Build and load the classifiers in this process, for pool processes to inherit by fork.

    :param classifiers: load the classifiers (a worker that does not consume the ``enrich``
        queue has no use for them).

    Also imports pyatlan when Atlan is enabled (seconds of imports every pool process would
    otherwise pay on its first flush), then freezes the garbage collector's view of what is
    loaded so collections in the pool processes do not touch (and copy) those pages.

    :raises ConfigError: a custom-entity file is unreadable or invalid.
    :raises EnrichmentError: a model is missing or unusable (e.g. ``ClassifierLoadError``).
    Side effects: loads the models into this process (hundreds of MiB); freezes the GC.
    """
    from worker.bootstrap import build_classifiers

    started = time.monotonic()
    loaded = build_classifiers(settings) if classifiers else []
    for classifier in loaded:
        classifier.load()
    if settings.atlan.enabled:
        import pyatlan.client.atlan  # noqa: F401 - imported once, shared by every pool process
    gc.collect()
    gc.freeze()
    return Preloaded(
        seconds=time.monotonic() - started,
        rss_mib=_rss_mib(),
        classifiers=tuple(c.name for c in loaded),
        loaded=tuple(loaded) if classifiers else None,
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


def prepare_worker(
    app: Celery, settings: Settings, enrich: bool = True, jobs: bool = True
) -> Preloaded:
    """Get this process ready to be a worker's main process: models loaded, processes wired.

    Imports the adapters' modules and loads the models (:func:`preload_models`); connects a
    ``worker_process_init`` handler that builds and installs each pool process's
    :class:`~worker.tasks.runtime.Runtime` (with the preloaded models); and, when Atlan is
    enabled, a ``worker_ready`` handler that asks for one Atlan flush at once (writes waiting
    in the outbox, e.g. behind a dead worker's unacknowledged flush, go out now) and then
    every ``celery.atlan_flush_interval_s`` from the worker's own event loop (no thread, so
    the pool's forks stay safe), whether or not ``enricher beat`` runs; and, when it consumes
    the ``jobs`` queue and ``celery.lost_check_interval_s`` is not 0, asks from the same loop
    for a watch of jobs whose messages were lost (:mod:`worker.tasks.lost`) every that many
    seconds (a worker that does not consume ``jobs`` would only pile watches up there).

    :param enrich: whether the worker consumes the ``enrich`` queue (else no models load).
    :param jobs: whether the worker consumes the ``jobs`` queue.
    :raises EnrichmentError: as :func:`preload_models` raises.
    Side effects: as :func:`preload_models`; connects Celery signal handlers; with
    ``metrics.enabled``, as :func:`serve_metrics`.
    """
    if settings.metrics.enabled:
        serve_metrics(settings)
    # One build here, thrown away: it imports every module a pool process's build needs
    # (the users module alone spends a second hashing at import), so worker_process_init
    # only constructs objects, well within Celery's 4 s; and before the models load, so the
    # GC freeze covers those modules too. Nothing connects when built, so nothing built here
    # is shared with the forks.
    runtime.build_runtime(settings, app.send_task, [])
    loaded = preload_models(settings, classifiers=enrich)

    def on_process_init(**_: Any) -> None:
        # Fast (nothing connects): Celery kills a process whose start-up takes over 4 s.
        runtime.install(runtime.build_runtime(settings, app.send_task, loaded.loaded))

    signals.worker_process_init.connect(on_process_init, weak=False)
    flush_every = settings.celery.atlan_flush_interval_s if settings.atlan.enabled else 0.0
    watch_every = settings.celery.lost_check_interval_s if jobs else 0.0

    def on_ready(sender: Any, **_: Any) -> None:
        from redis import Redis

        redis = Redis.from_url(settings.celery.broker_url)
        if flush_every:
            ask = flush_asker(app.send_task, redis, flush_every)
            ask(True)
            sender.timer.call_repeatedly(flush_every, ask, (False,))
        if watch_every:
            watch = watch_asker(app.send_task, redis, watch_every)
            sender.timer.call_repeatedly(watch_every, watch)

    if flush_every or watch_every:
        signals.worker_ready.connect(on_ready, weak=False)
    return loaded


def serve_metrics(settings: Settings) -> None:
    """Make this worker's processes count into one multiprocess folder and serve /metrics.

    Before the pool forks, the main process switches to multiprocess mode (the folder of
    ``$PROMETHEUS_MULTIPROC_DIR``, emptied; else a new temporary one, removed at shutdown).
    At ``worker_ready`` it serves the sum of every process's metrics, plus the scrape-time
    gauges, on ``metrics.bind``:``metrics.port`` (a taken port is logged, the worker runs
    on); each pool process drops its live files when it exits (``worker_process_shutdown``).

    Side effects: sets ``$PROMETHEUS_MULTIPROC_DIR``; connects Celery signal handlers.
    """
    import shutil

    from worker.adapters.metrics.prometheus import (
        MULTIPROC_ENV,
        process_dead,
        serving_registry,
        start_server,
        use_multiprocess,
    )
    from worker.bootstrap import build_state_collector

    ours = not os.environ.get(MULTIPROC_ENV)
    folder = use_multiprocess(clean=True)
    m = settings.metrics

    def on_ready(**_: Any) -> None:
        registry = serving_registry(None, [build_state_collector(settings)])
        try:
            start_server(registry, m.bind, m.port)
        except OSError as exc:
            logger.warning("metrics: cannot listen on %s:%s (%s)", m.bind, m.port, exc.strerror)
            return
        logger.info("metrics on http://%s:%s/metrics", m.bind, m.port)

    def on_child_exit(pid: int, **_: Any) -> None:
        process_dead(pid)

    def on_shutdown(**_: Any) -> None:
        if ours:
            shutil.rmtree(folder, ignore_errors=True)

    signals.worker_ready.connect(on_ready, weak=False)
    signals.worker_process_shutdown.connect(on_child_exit, weak=False)
    signals.worker_shutdown.connect(on_shutdown, weak=False)
