"""The generated 50-dataset lake through DatasetService (grouper, stores and selection real; the
enriching a stub that records what it was asked): a first scan samples at most N partitions of
each dataset, an unchanged re-scan samples nothing, and a re-scan after one new partition
samples exactly that partition."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from models import ColumnFinding, EnrichmentResult, ObjectInfo, ObjectRef, ObjectStatus
from tests.support.dataset_lake import BUCKET, expected_datasets, spark_lake_keys
from tests.support.fakes import InMemoryDatasetStore
from worker.core.settings import DatasetSettings
from worker.services.datasets.service import DatasetService

# After every LastModified of the generated lake (it spans years of daily partitions).
NOW = datetime(2040, 1, 1, tzinfo=UTC)


class Enricher:
    """Records each sample object asked for; every one classifies with one column."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, ref: ObjectRef) -> EnrichmentResult:
        self.asked.append(ref.uri)
        info = ObjectInfo(ref, 100, "etag", NOW - timedelta(days=1))
        return EnrichmentResult(
            ref, ObjectStatus.CLASSIFIED, info=info, columns=(ColumnFinding("id", "int64"),)
        )


def _listing(extra: Iterable[tuple[str, int, datetime]] = ()) -> list[ObjectInfo]:
    keys = sorted([*spark_lake_keys(), *extra])
    return [ObjectInfo(ObjectRef(f"s3://{BUCKET}/{k}"), n, f"e{n}", t) for k, n, t in keys]


def test_the_lake_rescans_only_the_new_partition() -> None:
    settings = DatasetSettings(max_partitions_per_scan=4, newest_partitions=2)
    service = DatasetService(
        InMemoryDatasetStore(clock=lambda: NOW), settings, None, clock=lambda: NOW
    )
    first = Enricher()
    plans = [plan for plan, _, _ in service.scan(_listing(), first)]
    assert sorted(p.uri for p in plans) == [d["uri"] for d in expected_datasets()]
    for plan in plans:
        expected = min(4, len([p for p in plan.summary.partitions if p.sample_key]))
        assert len(plan.selected) == expected, plan.uri
    assert len(first.asked) == sum(len(p.selected) for p in plans)

    unchanged = Enricher()
    assert all(not plan.selected for plan, _, _ in service.scan(_listing(), unchanged))
    assert unchanged.asked == []

    # One more daily partition of the largest Hive dataset.
    hive = max(
        (p for p in plans if p.summary.rule.value == "hive"),
        key=lambda p: len(p.summary.partitions),
    )
    newest = max(hive.summary.partitions, key=lambda p: p.key)
    column, _ = newest.values[-1]
    root = hive.summary.ref.root
    new_key = f"{root}{column}=2099-01-01/part-00000.snappy.parquet"
    added = Enricher()
    rescanned = {p.uri: p for p, _, _ in service.scan(_listing([(new_key, 5000, NOW)]), added)}
    assert added.asked == [f"s3://{BUCKET}/{new_key}"]
    assert [p.key for p in rescanned[hive.uri].selected] == [f"{column}=2099-01-01/"]
    assert list(rescanned[hive.uri].update.new_partitions) == [f"{column}=2099-01-01/"]
