"""The Prometheus metrics: names and labels, counting by enrich_object, multiprocess sums."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from models import ObjectRef
from tests.support.fakes import FakeClassifier, InMemoryLocalCatalog, InMemoryObjectStore
from worker.adapters.metrics.prometheus import (
    SPECS,
    PrometheusMetrics,
    StateCollector,
    label_word,
    serving_registry,
)
from worker.core.pipeline import Deps, EnrichOptions, enrich_object
from worker.core.ports import Metrics, NoMetrics

CSV = b"id,email\n" + b"".join(f"{i},u{i}@example.com\n".encode() for i in range(30))
DOCS = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def _samples(registry: CollectorRegistry) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = generate_latest(registry).decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return sum(
        v
        for (n, ls), v in _samples(registry).items()
        if n == name and set(labels.items()) <= set(ls)
    )


def test_names_follow_the_conventions() -> None:
    units = ("_total", "_seconds", "_bytes")
    for spec in SPECS:
        assert re.fullmatch(r"s3e_[a-z0-9_]+", spec.name), spec.name
        assert (spec.type == "counter") == spec.name.endswith("_total"), spec.name
        if spec.type == "histogram":
            assert spec.name.endswith("_seconds"), spec.name
        assert spec.help.endswith("."), spec.name
        for label in spec.labels:
            assert label not in ("uri", "key", "bucket", "path", "value", "job_id"), spec.name
    assert any(s.name.endswith(units) for s in SPECS)
    assert len({s.name for s in SPECS}) == len(SPECS)


def test_docs_table_lists_every_metric() -> None:
    documented = set(re.findall(r"^\| `(s3e_[a-z0-9_]+)` \|", DOCS.read_text(), re.M))
    assert documented == {s.name for s in SPECS}


@pytest.mark.parametrize(
    "value", ["s3://lake/a.csv", "/srv/data/x.csv", "john@example.com", "a b", "x" * 80]
)
def test_no_label_value_looks_like_a_uri_or_value(value: str) -> None:
    assert label_word(value) == "other"
    metrics = PrometheusMetrics()
    metrics.object_done(value, value, value, 1)
    metrics.stage_seconds(value, 0.1, value)
    metrics.atlan_request(value, value, 0.1)
    metrics.job_object(value)
    for (_name, labels), _v in _samples(metrics.registry).items():
        for label, got in labels:
            if label != "le":  # a histogram's bucket bound
                assert got in ("other", "none"), (label, got)


def test_the_adapter_implements_the_port() -> None:
    ports: list[Metrics] = [PrometheusMetrics(), NoMetrics()]
    for m in ports:
        m.object_done("classified", "csv", "", 3)


def test_counters_move_as_enrich_object_runs() -> None:
    metrics = PrometheusMetrics()
    store = InMemoryObjectStore(
        {"s3://lake/a.csv": CSV, "s3://lake/b.csv": CSV, "s3://lake/empty.csv": b""}
    )
    deps = Deps(store, [FakeClassifier()], InMemoryLocalCatalog(), metrics=metrics)
    results = [
        enrich_object(ObjectRef.parse(u), deps, EnrichOptions(run_id="r"))
        for u in ("s3://lake/a.csv", "s3://lake/b.csv", "s3://lake/empty.csv", "s3://lake/a.csv")
    ]
    r = metrics.registry
    by_status: dict[str, int] = {}
    for res in results:
        by_status[res.status.value] = by_status.get(res.status.value, 0) + 1
    for status, n in by_status.items():
        assert _value(r, "s3e_objects_total", status=status) == n
    assert _value(r, "s3e_objects_total", status="classified", format="csv") == 2
    assert _value(r, "s3e_objects_total", status="skipped", error_kind="unchanged") == 1
    assert _value(r, "s3e_bytes_read_total") == sum(res.bytes_read for res in results) > 0
    assert _value(r, "s3e_stage_seconds_count", stage="sample") == 2
    assert _value(r, "s3e_stage_seconds_count", stage="classify", classifier="fake") == 2
    assert _value(r, "s3e_stage_seconds_count", stage="record") == 4


def test_a_failing_classifier_is_still_timed() -> None:
    metrics = PrometheusMetrics()
    store = InMemoryObjectStore({"s3://lake/a.csv": CSV})
    deps = Deps(store, [FakeClassifier(fail=True)], InMemoryLocalCatalog(), metrics=metrics)
    result = enrich_object(ObjectRef.parse("s3://lake/a.csv"), deps, EnrichOptions())
    assert result.error is not None
    r = metrics.registry
    assert _value(r, "s3e_stage_seconds_count", stage="classify", classifier="fake") == 1
    assert _value(r, "s3e_objects_total", error_kind="classification_failed") == 1


_CHILD = textwrap.dedent(
    """
    import sys
    from worker.adapters.metrics.prometheus import PrometheusMetrics, use_multiprocess
    use_multiprocess(sys.argv[1])
    m = PrometheusMetrics()
    for _ in range(int(sys.argv[2])):
        m.object_done("classified", "csv", "", 10)
    m.event_lag(3.0)
    """
)


def test_multiprocess_values_of_two_processes_add_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in (3, 4):
        subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path), str(n)], check=True)
    assert len(list(tmp_path.glob("counter_*.db"))) == 2
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    registry = serving_registry(None)
    assert _value(registry, "s3e_objects_total", status="classified") == 7
    assert _value(registry, "s3e_bytes_read_total") == 70
    assert _value(registry, "s3e_event_lag_seconds_count") == 2


def test_state_collector_reads_the_catalog_and_reports_a_dead_redis(tmp_path: Path) -> None:
    from worker.adapters.catalog.database import SqlLocalCatalog

    catalog = SqlLocalCatalog(f"sqlite:///{tmp_path / 'c.db'}")

    def no_redis() -> object:
        raise ConnectionError("down")

    registry = CollectorRegistry()
    registry.register(StateCollector(lambda: catalog.engine, no_redis))  # type: ignore[arg-type]
    assert _value(registry, "s3e_scrape_source_up", source="database") == 1
    assert _value(registry, "s3e_scrape_source_up", source="redis") == 0
    assert _value(registry, "s3e_outbox_entries") == 0
    assert _value(registry, "s3e_jobs_running") == 0


def test_atlan_requests_are_counted_by_verb_and_outcome() -> None:
    import httpx

    from worker.adapters.atlan.client import atlan_errors, observe_requests
    from worker.core.errors import CatalogUnavailable

    metrics = PrometheusMetrics()
    observe_requests(metrics.atlan_request)
    try:
        with atlan_errors("reading S3Object default/s3/1/arn:aws:s3:::lake/a.csv"):
            pass
        with pytest.raises(CatalogUnavailable), atlan_errors("creating tag 'PII'"):
            raise httpx.ConnectError("refused")
    finally:
        observe_requests(None)
    r = metrics.registry
    assert _value(r, "s3e_atlan_requests_total", operation="reading", outcome="ok") == 1
    outcome = "catalog_unavailable"
    assert _value(r, "s3e_atlan_requests_total", operation="creating", outcome=outcome) == 1
    assert _value(r, "s3e_atlan_request_seconds_count") == 2


def test_s3_events_carry_their_time_to_the_enrich_task() -> None:
    from datetime import UTC, datetime

    from worker.core.s3_events import ObjectEvent
    from worker.tasks.app import enqueue_events

    sent: list[tuple[Any, ...]] = []

    class App:
        def send_task(self, *args: Any, **kwargs: Any) -> None:
            sent.append((*args, kwargs))

    when = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    events = [
        ObjectEvent("created", "lake", "a.csv", None, "e", 1, None, when),
        ObjectEvent("created", "lake", "b.csv", None, "e", 1, None, None),
    ]
    enqueue_events(App(), events)  # type: ignore[arg-type]
    assert sent[0][2] == {"event_time": when.timestamp()}
    assert sent[1][2] == {}


def test_the_enrich_task_observes_an_events_lag(tmp_path: Path) -> None:
    import time

    import worker.tasks.enrich  # noqa: F401 - registers the shared task
    from tests.support.badfiles import csv_bytes
    from tests.support.memory_redis import InMemoryRedis
    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.adapters.catalog.job_store import SqlJobStore
    from worker.bootstrap import build_deps
    from worker.core.settings import load_settings
    from worker.services.jobs.service import JobService
    from worker.tasks import runtime
    from worker.tasks.app import make_app
    from worker.tasks.deliveries import DeliveryCounter
    from worker.tasks.flush import AtlanFlush
    from worker.tasks.runtime import Runtime

    settings = load_settings(
        None,
        database_url=f"sqlite:///{tmp_path / 'c.db'}",
        celery={"allow_local_paths": True},
        business={"enabled": False},
        pii={"enabled": False},
    )
    app = make_app(settings)
    deps = build_deps(settings, [])
    metrics = deps.metrics
    assert isinstance(metrics, PrometheusMetrics) and isinstance(deps.catalog, SqlLocalCatalog)
    redis = InMemoryRedis()
    runtime.install(
        Runtime(
            settings=settings,
            deps=deps,
            catalog=deps.catalog,
            jobs=JobService(SqlJobStore(deps.catalog), deps.catalog),
            writer=None,
            redis=redis,  # type: ignore[arg-type]
            deliveries=DeliveryCounter(redis, settings.celery.max_deliveries),  # type: ignore[arg-type]
            flush=AtlanFlush(redis, None, None, settings.celery, app.send_task),  # type: ignore[arg-type]
        )
    )
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes(20))
    try:
        answer = (
            app.tasks["s3e.enrich"].apply((path.as_uri(),), {"event_time": time.time() - 90}).get()
        )
    finally:
        runtime.install(None)
    assert answer["status"] == "classified"
    r = metrics.registry
    assert _value(r, "s3e_event_lag_seconds_count") == 1
    assert 90 <= _value(r, "s3e_event_lag_seconds_sum") < 150
    assert _value(r, "s3e_event_lag_seconds_bucket", le="60.0") == 0
    assert _value(r, "s3e_objects_total", status="classified") == 1


def test_the_job_service_counts_final_statuses_and_failures_outside_the_core() -> None:
    from models import ObjectStatus
    from models.jobs import JobOptions
    from tests.support.fakes import InMemoryJobStore
    from worker.core.errors import WorkerLost
    from worker.services.jobs.service import JobService

    metrics = PrometheusMetrics()
    jobs = JobService(InMemoryJobStore(), InMemoryLocalCatalog(), metrics=metrics)
    job_id = jobs.start("s3://lake/", JobOptions())
    jobs.store.add_listed(job_id, ["s3://lake/a.csv", "s3://lake/b.csv"], None, True)
    jobs.record(job_id, "s3://lake/a.csv", ObjectStatus.CLASSIFIED, None)
    jobs.fail_object("s3://lake/b.csv", WorkerLost("gave up"), job_id)
    r = metrics.registry
    assert _value(r, "s3e_job_objects_total", status="classified") == 1
    assert _value(r, "s3e_job_objects_total", status="failed") == 1
    assert _value(r, "s3e_objects_total", status="failed", error_kind="worker_lost") == 1
    assert _value(r, "s3e_objects_total", status="classified") == 0
