"""The Prometheus adapter of the :class:`~worker.core.ports.Metrics` port, and /metrics.

Every metric s3-enricher exports is named here, with its help text (:data:`SPECS`; the table
in docs/metrics.md lists the same). Two kinds:

* **Counted** where things happen (:class:`PrometheusMetrics`): objects, bytes, stage
  durations, Atlan requests, event lag, job objects. In multiprocess mode
  (``$PROMETHEUS_MULTIPROC_DIR``, :func:`use_multiprocess`) each process writes its values
  to files in that folder and a scrape adds them up (:func:`serving_registry`), so Celery's
  prefork children and several web processes count as one.
* **Read at scrape time** (:class:`StateCollector`): the outbox, running jobs, the review
  backlog and open alerts from the local catalog, queue depths from Redis. A source that
  fails leaves its gauges out and sets ``s3e_scrape_source_up`` to 0.

Labels are low-cardinality words: every label value passes :func:`label_word` (anything
else, a URI for instance, becomes ``other``).
"""

from __future__ import annotations

import glob
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from worker.core.queues import PRIORITY_SUFFIXES, QUEUES, queue_keys

if TYPE_CHECKING:
    from redis import Redis
    from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


@dataclass(frozen=True, slots=True)
class Spec:
    """One exported metric: its full name (as scraped), type, labels and help text."""

    name: str
    type: str
    labels: tuple[str, ...]
    help: str


#: Every metric s3-enricher exports (docs/metrics.md is the same table).
SPECS: tuple[Spec, ...] = (
    Spec(
        "s3e_objects_total",
        "counter",
        ("status", "format", "error_kind"),
        "Objects processed, by status, sampled format and error kind.",
    ),
    Spec("s3e_bytes_read_total", "counter", (), "Bytes read from object stores while sampling."),
    Spec(
        "s3e_stage_seconds",
        "histogram",
        ("stage", "classifier"),
        "Seconds per pipeline stage (sample, classify per classifier, record).",
    ),
    Spec(
        "s3e_atlan_requests_total",
        "counter",
        ("operation", "outcome"),
        "Atlan requests by operation verb and outcome (ok or the error kind).",
    ),
    Spec(
        "s3e_atlan_request_seconds",
        "histogram",
        ("operation",),
        "Seconds per Atlan request, retries included.",
    ),
    Spec(
        "s3e_event_lag_seconds",
        "histogram",
        (),
        "Seconds from an S3 event's time to its object's result being stored.",
    ),
    Spec(
        "s3e_job_objects_total",
        "counter",
        ("status",),
        "Job objects that reached a final status (its rate is the jobs' throughput).",
    ),
    Spec("s3e_outbox_entries", "gauge", (), "Atlan writes waiting in the outbox."),
    Spec(
        "s3e_outbox_oldest_age_seconds",
        "gauge",
        (),
        "Age of the oldest outbox entry (0 when empty).",
    ),
    Spec("s3e_queue_depth", "gauge", ("queue",), "Messages waiting in a Celery queue (Redis)."),
    Spec("s3e_jobs_running", "gauge", (), "Jobs in state running."),
    Spec(
        "s3e_job_progress_objects",
        "gauge",
        ("state",),
        "Objects of the running jobs: done, failed, remaining (listed so far).",
    ),
    Spec(
        "s3e_job_rate_objects_per_second",
        "gauge",
        (),
        "Finished objects per second of the running jobs since they started.",
    ),
    Spec("s3e_review_suggestions", "gauge", ("state",), "Review suggestions by state."),
    Spec("s3e_alerts_open", "gauge", ("severity",), "Open alerts by severity."),
    Spec(
        "s3e_scrape_source_up",
        "gauge",
        ("source",),
        "Whether a scrape-time source answered (1) or not (0): database, redis.",
    ),
)
SPEC = {s.name: s for s in SPECS}

STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
ATLAN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
LAG_BUCKETS = (1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)

_WORD = re.compile(r"[a-z][a-z0-9_.-]{0,47}")


def label_word(value: str, empty: str = "none") -> str:
    """``value`` as a label: a short lowercase word, ``empty`` when blank, else ``other``.

    A URI, a path or a sampled value never matches (``/``, ``:``, ``@``, spaces, length).
    """
    if not value:
        return empty
    lowered = value.lower()
    return lowered if _WORD.fullmatch(lowered) else "other"


def _counted(spec: str) -> tuple[str, str, tuple[str, ...]]:
    """(name without ``_total``, help, labels) of a counted metric, for prometheus_client."""
    s = SPEC[spec]
    return s.name.removesuffix("_total"), s.help, s.labels


class PrometheusMetrics:
    """The :class:`~worker.core.ports.Metrics` port on prometheus_client.

    :param registry: where the metrics register (default: a registry of their own, so two
        instances in one process do not collide). In multiprocess mode the values go to the
        folder's files whatever the registry; :func:`serving_registry` reads them.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        name, help_, labels = _counted("s3e_objects_total")
        self._objects = Counter(name, help_, labels, registry=r)
        name, help_, labels = _counted("s3e_bytes_read_total")
        self._bytes = Counter(name, help_, labels, registry=r)
        name, help_, labels = _counted("s3e_stage_seconds")
        self._stage = Histogram(name, help_, labels, registry=r, buckets=STAGE_BUCKETS)
        name, help_, labels = _counted("s3e_atlan_requests_total")
        self._atlan = Counter(name, help_, labels, registry=r)
        name, help_, labels = _counted("s3e_atlan_request_seconds")
        self._atlan_seconds = Histogram(name, help_, labels, registry=r, buckets=ATLAN_BUCKETS)
        name, help_, labels = _counted("s3e_event_lag_seconds")
        self._lag = Histogram(name, help_, labels, registry=r, buckets=LAG_BUCKETS)
        name, help_, labels = _counted("s3e_job_objects_total")
        self._job_objects = Counter(name, help_, labels, registry=r)

    def object_done(self, status: str, fmt: str, error_kind: str, bytes_read: int) -> None:
        """Count one object's outcome and the bytes it read."""
        self._objects.labels(label_word(status), label_word(fmt), label_word(error_kind)).inc()
        if bytes_read > 0:
            self._bytes.inc(bytes_read)

    def stage_seconds(self, stage: str, seconds: float, classifier: str = "") -> None:
        """Observe a stage's duration."""
        self._stage.labels(label_word(stage), label_word(classifier)).observe(max(0.0, seconds))

    def atlan_request(self, operation: str, outcome: str, seconds: float) -> None:
        """Count one Atlan request and observe its latency."""
        op = label_word(operation)
        self._atlan.labels(op, label_word(outcome)).inc()
        self._atlan_seconds.labels(op).observe(max(0.0, seconds))

    def event_lag(self, seconds: float) -> None:
        """Observe one event's lag (negative lags, clock skew, count as 0)."""
        self._lag.observe(max(0.0, seconds))

    def job_object(self, status: str) -> None:
        """Count a job object's final status."""
        self._job_objects.labels(label_word(status)).inc()


# --- multiprocess mode ---------------------------------------------------------------------


def use_multiprocess(path: str | None = None, clean: bool = False) -> str:
    """Switch this process (and its future forks) to multiprocess mode; return the folder.

    :param path: the folder (default: ``$PROMETHEUS_MULTIPROC_DIR``, else a new temporary
        folder); created when missing.
    :param clean: remove files left by an earlier run (a worker's main process at start).
    Side effects: sets ``$PROMETHEUS_MULTIPROC_DIR`` (children inherit it) and
    prometheus_client's value class: metrics created afterwards write to the folder.
    """
    folder = path or os.environ.get(MULTIPROC_ENV) or tempfile.mkdtemp(prefix="s3e-metrics-")
    os.makedirs(folder, exist_ok=True)
    if clean:
        for stale in glob.glob(os.path.join(folder, "*.db")):
            os.remove(stale)
    os.environ[MULTIPROC_ENV] = folder
    values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]
    return folder


def multiprocess_dir() -> str | None:
    """The multiprocess folder of this process, or ``None`` (single-process mode)."""
    return os.environ.get(MULTIPROC_ENV) or None


def process_dead(pid: int) -> None:
    """A pool process exits: drop its live-gauge files (counters and histograms stay summed).

    Side effects: removes files in the multiprocess folder, when there is one.
    """
    folder = multiprocess_dir()
    if folder is not None:
        mark_process_dead(pid, folder)  # type: ignore[no-untyped-call]


def serving_registry(
    metrics: PrometheusMetrics | None, collectors: Iterable[Collector] = ()
) -> CollectorRegistry:
    """The registry a /metrics endpoint serves.

    Multiprocess mode: every process's values from the folder; else ``metrics``' own. Plus
    ``collectors`` (scrape-time state).
    """
    folder = multiprocess_dir()
    if folder is not None:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, folder)  # type: ignore[no-untyped-call]
    elif metrics is not None:
        registry = metrics.registry
    else:
        registry = CollectorRegistry()
    for collector in collectors:
        registry.register(collector)
    return registry


def start_server(registry: CollectorRegistry, bind: str, port: int) -> Any:
    """Serve ``registry`` at ``http://bind:port/metrics`` from a daemon thread.

    :returns: the server (``shutdown()`` stops it).
    :raises OSError: the port is taken or the address is not local.
    """
    from prometheus_client import start_http_server

    server, _thread = start_http_server(port, addr=bind, registry=registry)
    return server


def exposition(registry: CollectorRegistry, accept: str | None) -> tuple[bytes, str]:
    """The scrape body and its content type (OpenMetrics when the scraper asks for it)."""
    from prometheus_client.exposition import choose_encoder

    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type


# --- scrape-time state ---------------------------------------------------------------------


class StateCollector(Collector):
    """Gauges read when scraped: outbox, running jobs, review backlog, alerts, queue depths.

    :param engine: the local catalog's engine (a callable, so nothing connects until the
        first scrape).
    :param redis: the broker's Redis (a callable, likewise); ``None``: no queue depths.
    :param queues: the Celery queues to measure.
    """

    def __init__(
        self,
        engine: Callable[[], Engine],
        redis: Callable[[], Redis] | None = None,
        queues: Iterable[str] = QUEUES,
    ) -> None:
        self._engine = engine
        self._redis = redis
        self._queues = tuple(queues)

    def describe(self) -> Iterable[Metric]:
        """Nothing up front: the registry must not collect (query) when this registers."""
        return ()

    def collect(self) -> Iterator[Metric]:
        """Query the catalog and Redis; a failing source sets ``s3e_scrape_source_up`` 0."""
        up = _gauge("s3e_scrape_source_up")
        try:
            found = list(self._database())
        except Exception as exc:  # noqa: BLE001 - a scrape must answer whatever the database does
            logger.warning("metrics: the catalog could not be read (%s)", type(exc).__name__)
            up.add_metric(["database"], 0)
        else:
            up.add_metric(["database"], 1)
            yield from found
        if self._redis is not None:
            try:
                depth = self._depths()
            except Exception as exc:  # noqa: BLE001 - likewise for Redis
                logger.warning("metrics: Redis could not be read (%s)", type(exc).__name__)
                up.add_metric(["redis"], 0)
            else:
                up.add_metric(["redis"], 1)
                yield depth
        yield up

    def _depths(self) -> GaugeMetricFamily:
        assert self._redis is not None
        client = self._redis()
        pipe = client.pipeline(transaction=False)
        for queue in self._queues:
            for key in queue_keys(queue):
                pipe.llen(key)
        lengths = pipe.execute()
        depth = _gauge("s3e_queue_depth")
        n = len(PRIORITY_SUFFIXES)
        for i, queue in enumerate(self._queues):
            depth.add_metric([label_word(queue)], sum(int(x) for x in lengths[i * n : (i + 1) * n]))
        return depth

    def _database(self) -> Iterator[Metric]:
        from sqlalchemy import func, select

        from worker.adapters.catalog.schema import (
            SuggestionRow,
            alerts,
            atlan_outbox,
            job_items,
            jobs,
        )

        now = datetime.now(UTC)
        with self._engine().connect() as conn:
            count, oldest = conn.execute(
                select(func.count(), func.min(atlan_outbox.c.first_queued_at))
            ).one()
            running = conn.execute(
                select(jobs.c.id, jobs.c.listed, jobs.c.created_at).where(jobs.c.state == "running")
            ).all()
            items: dict[str, int] = {}
            if running:
                rows = conn.execute(
                    select(job_items.c.status, func.count())
                    .where(job_items.c.job_id.in_([r.id for r in running]))
                    .group_by(job_items.c.status)
                )
                items = {str(status): int(n) for status, n in rows}
            review = conn.execute(
                select(SuggestionRow.state, func.count()).group_by(SuggestionRow.state)
            ).all()
            open_alerts = conn.execute(
                select(alerts.c.severity, func.count())
                .where(alerts.c.state == "open")
                .group_by(alerts.c.severity)
            ).all()
        outbox = _gauge("s3e_outbox_entries")
        outbox.add_metric([], int(count))
        age = _gauge("s3e_outbox_oldest_age_seconds")
        age.add_metric([], max(0.0, (now - _utc(oldest)).total_seconds()) if oldest else 0.0)
        yield outbox
        yield age
        yield from _job_gauges(running, items, now)
        backlog = _gauge("s3e_review_suggestions")
        for state, n in review:
            backlog.add_metric([label_word(str(state))], int(n))
        yield backlog
        severities = _gauge("s3e_alerts_open")
        for severity, n in open_alerts:
            severities.add_metric([label_word(str(severity))], int(n))
        yield severities


def _job_gauges(running: Sequence[Any], items: dict[str, int], now: datetime) -> Iterator[Metric]:
    done = items.get("classified", 0) + items.get("skipped", 0)
    failed = items.get("failed", 0)
    listed = sum(int(r.listed) for r in running)
    jobs_running = _gauge("s3e_jobs_running")
    jobs_running.add_metric([], len(running))
    progress = _gauge("s3e_job_progress_objects")
    progress.add_metric(["done"], done)
    progress.add_metric(["failed"], failed)
    progress.add_metric(["remaining"], max(0, listed - done - failed))
    rate = _gauge("s3e_job_rate_objects_per_second")
    oldest = min((_utc(r.created_at) for r in running), default=None)
    elapsed = (now - oldest).total_seconds() if oldest is not None else 0.0
    rate.add_metric([], (done + failed) / elapsed if elapsed > 0 else 0.0)
    yield jobs_running
    yield progress
    yield rate


def _gauge(name: str) -> GaugeMetricFamily:
    spec = SPEC[name]
    return GaugeMetricFamily(spec.name, spec.help, labels=list(spec.labels))


def _utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes: they were stored as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def elapsed_since(epoch_seconds: float) -> float:
    """Seconds from a wall-clock time (an event's) to now."""
    return time.time() - epoch_seconds
