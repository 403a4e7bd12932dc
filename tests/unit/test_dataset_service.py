"""DatasetService on the in-memory stores: partition plans on new and known datasets, verdicts,
S3-event increments, lineage drift, and staleness that is news only once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from models import (
    ColumnFinding,
    EnrichmentResult,
    EntityFinding,
    ErrorInfo,
    Evidence,
    ObjectInfo,
    ObjectRef,
    ObjectStatus,
)
from models.datasets import (
    Alert,
    AlertCandidate,
    AlertKind,
    DatasetRef,
    DatasetSummary,
    GroupingRule,
    PartitionInfo,
    SchemaColumn,
)
from models.lineage import ColumnMapping, Dataset, LineageEdge, Origin
from tests.support.fakes import InMemoryAlertStore, InMemoryDatasetStore
from worker.core.settings import DatasetSettings
from worker.services.datasets.service import DatasetService

NOW = datetime(2025, 1, 12, 6, tzinfo=UTC)


def _partition(day: int) -> PartitionInfo:
    key = f"dt=2025-01-{day:02d}/"
    return PartitionInfo(
        key, (("dt", f"2025-01-{day:02d}"),), 1, 1000,
        datetime(2025, 1, day, 1, tzinfo=UTC), f"orders/{key}part-0.parquet",
    )  # fmt: skip


def _summary(days: Sequence[int]) -> DatasetSummary:
    parts = tuple(_partition(d) for d in days)
    return DatasetSummary(
        DatasetRef("lake", "orders/"), GroupingRule.HIVE, "hive partition folders (dt)",
        object_count=len(parts), total_bytes=1000 * len(parts), partition_columns=("dt",),
        partitions=parts, formats=(("parquet", len(parts)),),
    )  # fmt: skip


def _result(key: str, entities: dict[str, str], extra: Sequence[str] = ()) -> EnrichmentResult:
    ref = ObjectRef.parse(f"s3://lake/{key}")
    info = ObjectInfo(ref, 1000, f"e-{key}", datetime(2025, 1, 11, tzinfo=UTC))
    columns = [ColumnFinding("order_id", "int64")]
    for name in ("email", *extra):
        found = tuple(
            EntityFinding(
                entity, 0.95, 1.0, Evidence(sampled=50, hits=50, distinct_hits=50, mean_score=0.9)
            )
            for col, entity in entities.items()
            if col == name
        )
        columns.append(ColumnFinding(name, "string", found))
    return EnrichmentResult(ref, ObjectStatus.CLASSIFIED, info=info, columns=tuple(columns))


def _service(**kwargs: object) -> tuple[DatasetService, list[AlertCandidate]]:
    raised: list[AlertCandidate] = []
    alerts = InMemoryAlertStore()

    def sink(candidates: Sequence[AlertCandidate]) -> list[Alert]:
        raised.extend(candidates)
        return alerts.raise_alerts(candidates)

    settings = DatasetSettings(max_partitions_per_scan=3, newest_partitions=2)
    service = DatasetService(
        InMemoryDatasetStore(clock=lambda: NOW),
        settings,
        sink,
        clock=lambda: NOW,
        **kwargs,  # type: ignore[arg-type]
    )
    return service, raised


def _scan(service: DatasetService, days: Sequence[int], extra: Sequence[str] = ()) -> list[str]:
    """One scan of the dataset; returns the partition keys sampled."""
    entities = {"email": "EMAIL_ADDRESS"} | {c: "PHONE_NUMBER" for c in extra}
    plan = service.plan(_summary(days))
    service.conclude(
        plan, [(p, _result(p.sample_key or "", entities, extra)) for p in plan.selected]
    )
    return [p.key for p in plan.selected]


def test_a_new_dataset_samples_the_newest_and_a_seeded_draw_then_only_new_partitions() -> None:
    service, raised = _service()
    first = _scan(service, range(1, 11))
    assert len(first) == 3 and {"dt=2025-01-10/", "dt=2025-01-09/"} <= set(first)
    again, _ = _service()
    assert _scan(again, range(1, 11)) == first  # seeded: the same draw every time
    assert _scan(service, range(1, 11)) == []  # unchanged: nothing sampled
    assert _scan(service, range(1, 12)) == ["dt=2025-01-11/"]
    stored = service.store.get("s3://lake/orders/")
    assert stored is not None and stored.verdict is not None
    assert dict(stored.verdict.entities) == {"EMAIL_ADDRESS": ("email",)}
    assert stored.verdict.partitions_sampled == 4 and stored.verdict.partitions_total == 11
    assert not raised


def test_a_new_partition_with_a_new_pii_column_raises_new_pii_and_drift() -> None:
    service, raised = _service()
    _scan(service, range(1, 11))
    _scan(service, range(1, 12), extra=["phone"])
    kinds = {(c.kind, c.subject) for c in raised}
    assert (AlertKind.NEW_PII, "phone:PHONE_NUMBER") in kinds
    assert any(kind is AlertKind.SCHEMA_DRIFT for kind, _ in kinds)
    history = service.store.schema_history("s3://lake/orders/")
    assert [v.version for v in history] == [1, 2]


def test_an_s3_event_for_a_new_partition_folds_it_into_the_verdict() -> None:
    service, raised = _service()
    _scan(service, range(1, 11))
    both = {"email": "EMAIL_ADDRESS", "phone": "PHONE_NUMBER"}
    event = _result("orders/dt=2025-01-11/part-0.parquet", both, ["phone"])
    outcome = service.observe(event)
    assert outcome is not None and outcome.sampled == 1
    keys = [p.info.key for p in service.store.partitions("s3://lake/orders/")]
    assert "dt=2025-01-11/" in keys
    assert any(c.kind is AlertKind.NEW_PII for c in raised)
    # The same partition again, or an object of no known dataset: nothing to do.
    assert service.observe(event) is None
    assert service.observe(_result("elsewhere/x.parquet", {})) is None


def test_lineage_drift_names_a_mapped_column_missing_from_the_export() -> None:
    source = Dataset.parse("postgres:appdb.public.orders")
    edge = LineageEdge(
        source, Dataset.parse("s3://lake/orders/"), Origin.SQL,
        columns=(ColumnMapping("id", "order_id"), ColumnMapping("mail", "email"),
                 ColumnMapping("region", "region")),
    )  # fmt: skip
    service, raised = _service(
        edges_of=lambda uri: [edge],
        table_schemas=lambda: {
            source.uri: [
                SchemaColumn("id", "integer"),
                SchemaColumn("mail", "text"),
                SchemaColumn("region", "text"),
            ]
        },
    )
    _scan(service, range(1, 4))
    drift = [c for c in raised if c.kind is AlertKind.LINEAGE_DRIFT]
    assert [c.subject for c in drift] and all("region" in c.subject for c in drift), raised


def test_a_series_that_stops_is_stale_news_once_and_an_old_series_never() -> None:
    clock = [datetime(2025, 1, 11, 6, tzinfo=UTC)]
    store = InMemoryDatasetStore(clock=lambda: clock[0])
    raised: list[AlertCandidate] = []

    def sink(found: Sequence[AlertCandidate], into: list[AlertCandidate] = raised) -> list[Alert]:
        into.extend(found)
        return []

    service = DatasetService(store, DatasetSettings(), sink, clock=lambda: clock[0])
    _scan(service, range(1, 11))
    assert not raised  # live at its first scan
    clock[0] += timedelta(days=4)
    _scan(service, range(1, 11))
    assert [c.kind for c in raised] == [AlertKind.FRESHNESS]  # it stopped since
    raised.clear()
    clock[0] += timedelta(days=1)
    _scan(service, range(1, 11))
    assert not raised  # stale already at the previous scan: not news again
    today = datetime(2026, 12, 4, tzinfo=UTC)  # a history of last year, scanned today
    seen: list[AlertCandidate] = []
    old = DatasetService(
        InMemoryDatasetStore(clock=lambda: today), DatasetSettings(),
        lambda found: sink(found, seen), clock=lambda: today,
    )  # fmt: skip
    _scan(old, range(1, 11))
    _scan(old, range(1, 11))
    assert not seen


def test_a_partition_whose_sample_failed_is_tried_again_next_scan() -> None:
    service, _ = _service()
    plan = service.plan(_summary([1]))
    failed = EnrichmentResult(
        ObjectRef.parse("s3://lake/orders/dt=2025-01-01/part-0.parquet"),
        ObjectStatus.FAILED,
        error=ErrorInfo("truncated_parquet", "the footer is cut off"),
    )
    outcome = service.conclude(plan, [(plan.selected[0], failed)])
    assert outcome.sampled == 0
    (record,) = service.store.partitions("s3://lake/orders/")
    assert record.sample_error == "truncated_parquet"
    assert _scan(service, [1]) == ["dt=2025-01-01/"]  # retried, and now classified
    (record,) = service.store.partitions("s3://lake/orders/")
    assert record.sample_error is None and record.columns
    assert _scan(service, [1]) == []
