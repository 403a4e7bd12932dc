"""The dataset store: ``SqlDatasetStore`` on SQLite and PostgreSQL and the in-memory fake keep
one contract (groupings, partitions, samples, verdicts, schema versions, membership).

Every contract test runs three times: SQL on SQLite, SQL on PostgreSQL (the databases of the
``database_url`` fixture) and ``InMemoryDatasetStore``, so the service tests on the fake prove
what the SQL store does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, update

from models.datasets import (
    ChangeKind,
    ColumnVerdict,
    DatasetRef,
    DatasetSummary,
    DatasetUpdate,
    DatasetVerdict,
    GroupingRule,
    PartitionInfo,
    PartitionRecord,
    SchemaChange,
    SchemaColumn,
)
from tests.support.catalog_urls import catalog_url
from tests.support.clock import ManualClock
from tests.support.fakes import InMemoryDatasetStore
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.adapters.catalog.dataset_store import SqlDatasetStore, schema_changes
from worker.adapters.catalog.schema import dataset_partitions
from worker.core.errors import DatasetNotFound
from worker.core.ports import DatasetStore

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ORDERS = DatasetRef("lake", "exports/orders/")


@dataclass
class Subject:
    store: DatasetStore
    clock: ManualClock
    catalog: SqlLocalCatalog | None  # None for the fake


@pytest.fixture(params=["sqlite", "postgresql", "memory"])
def subject(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Subject]:
    clock = ManualClock(T0)
    if request.param == "memory":
        yield Subject(InMemoryDatasetStore(clock), clock, None)
        return
    url = catalog_url(request, tmp_path)
    catalog = SqlLocalCatalog(url)
    yield Subject(SqlDatasetStore(catalog, clock), clock, catalog)
    catalog.engine.dispose()


def _part(key: str, objects: int = 2, size: int = 100, day: int = 1) -> PartitionInfo:
    return PartitionInfo(
        key=key,
        values=(("dt", key.removeprefix("dt=").rstrip("/")),),
        object_count=objects,
        total_bytes=size,
        newest=datetime(2025, 1, day, 3, 0, tzinfo=UTC),
        sample_key=f"exports/orders/{key}part-0000.parquet",
    )


def _summary(
    partitions: list[PartitionInfo],
    ref: DatasetRef = ORDERS,
    rule: GroupingRule = GroupingRule.HIVE,
) -> DatasetSummary:
    return DatasetSummary(
        ref=ref,
        rule=rule,
        explanation="hive partitions dt",
        object_count=sum(p.object_count for p in partitions) + 1,
        total_bytes=sum(p.total_bytes for p in partitions),
        marker_count=1,
        partition_columns=("dt",),
        partitions=tuple(partitions),
        formats=(("parquet", sum(p.object_count for p in partitions)), ("json", 0)),
        newest=max((p.newest for p in partitions if p.newest), default=None),
    )


def _keys(n: int) -> list[str]:
    start = datetime(2017, 1, 1)
    return [f"dt={(start + timedelta(days=i)):%Y-%m-%d}/" for i in range(n)]


# --- grouping -------------------------------------------------------------------------------


def test_a_grouping_is_stored_then_updated_and_partitions_come_and_go(subject: Subject) -> None:
    store, clock = subject.store, subject.clock
    first = store.record_grouping(_summary([_part("dt=2025-01-01/"), _part("dt=2025-01-02/")]))
    assert first.is_new
    assert first.new_partitions == ("dt=2025-01-01/", "dt=2025-01-02/")
    assert first.removed_partitions == ()

    stored = store.get(ORDERS.uri)
    assert stored is not None
    assert stored.summary == replace(
        _summary([_part("dt=2025-01-01/"), _part("dt=2025-01-02/")]), partitions=()
    )
    assert stored.partition_count == 2
    assert (stored.first_seen, stored.last_seen, stored.last_scanned) == (T0, T0, None)
    assert stored.verdict is None and stored.schema_version is None

    t1 = clock.tick()
    grown = [_part("dt=2025-01-02/", objects=5, size=900, day=9), _part("dt=2025-01-03/")]
    second = store.record_grouping(_summary(grown))
    assert not second.is_new
    assert second.new_partitions == ("dt=2025-01-03/",)
    assert second.removed_partitions == ("dt=2025-01-01/",)

    stored = store.get(ORDERS.uri)
    assert stored is not None
    assert (stored.first_seen, stored.last_seen, stored.partition_count) == (T0, t1, 2)
    assert stored.summary.object_count == 8 and stored.summary.total_bytes == 1000
    parts = store.partitions(ORDERS.uri)
    assert [p.info for p in parts] == grown  # updated counts, bytes, newest, sample key
    assert [p.first_seen for p in parts] == [T0, t1]
    assert all(p.dataset_uri == ORDERS.uri for p in parts)

    again = store.record_grouping(_summary(grown))
    assert (again.is_new, again.new_partitions, again.removed_partitions) == (False, (), ())


def test_a_regrouping_keeps_what_samples_showed(subject: Subject) -> None:
    store = subject.store
    store.record_grouping(_summary([_part("dt=2025-01-01/")]))
    sampled = PartitionRecord(
        ORDERS.uri,
        _part("dt=2025-01-01/"),
        T0,
        sampled_at=T0 + timedelta(minutes=5),
        row_count=1234,
        null_shares={"email": 0.25},
        findings={"email": {"EMAIL_ADDRESS": 0.9}},
        columns=(SchemaColumn("id", "int64", False), SchemaColumn("email", "string")),
        distinct_shares={"id": 1.0, "email": 0.375},
    )
    store.record_partition_sample(sampled)
    assert store.partitions(ORDERS.uri) == [sampled]

    store.record_grouping(_summary([_part("dt=2025-01-01/", objects=7)]))
    (part,) = store.partitions(ORDERS.uri)
    assert part.info.object_count == 7
    assert part == replace(sampled, info=_part("dt=2025-01-01/", objects=7))


def test_a_partition_sampled_before_distinct_shares_were_kept_reads_as_none(
    subject: Subject,
) -> None:
    store = subject.store
    store.record_grouping(_summary([_part("dt=2025-01-01/")]))
    record = PartitionRecord(
        ORDERS.uri, _part("dt=2025-01-01/"), T0, sampled_at=T0, distinct_shares={"id": 0.5}
    )
    store.record_partition_sample(record)
    if subject.catalog is not None:  # a row written before revision 0010 holds NULL
        with subject.catalog.engine.begin() as conn:
            conn.execute(update(dataset_partitions).values(distinct_shares=None))
        record = replace(record, distinct_shares={})
    assert store.partitions(ORDERS.uri) == [record]


def test_a_sample_of_an_unlisted_partition_creates_it(subject: Subject) -> None:
    store = subject.store
    store.record_grouping(_summary([_part("dt=2025-01-01/")]))
    record = PartitionRecord(ORDERS.uri, _part("dt=2025-01-05/"), T0, row_count=3)
    store.record_partition_sample(record)  # sampled_at defaults to now
    parts = {p.info.key: p for p in store.partitions(ORDERS.uri)}
    assert parts["dt=2025-01-05/"] == replace(record, sampled_at=T0)
    with pytest.raises(DatasetNotFound):
        store.record_partition_sample(replace(record, dataset_uri="s3://lake/nowhere/"))


def test_times_are_kept_as_instants_in_utc(subject: Subject) -> None:
    store = subject.store
    paris = timezone(timedelta(hours=1))
    local = datetime(2025, 1, 1, 4, 0, tzinfo=paris)
    store.record_grouping(_summary([replace(_part("dt=2025-01-01/"), newest=local)]))
    (part,) = store.partitions(ORDERS.uri)
    assert part.info.newest == local and part.info.newest.utcoffset() == timedelta(0)
    stored = store.get(ORDERS.uri)
    assert stored is not None and stored.summary.newest == datetime(2025, 1, 1, 3, tzinfo=UTC)


def test_datasets_are_listed_in_uri_order_by_bucket(subject: Subject) -> None:
    store = subject.store
    refs = [
        DatasetRef("lake", "exports/orders/"),
        DatasetRef("lake", "exports/Customers/"),
        DatasetRef("lake", "exports/orders/manifest.json"),
        DatasetRef("attic", "old/"),
    ]
    for ref in refs:
        store.record_grouping(_summary([_part("dt=2025-01-01/")], ref=ref))
    everything = [d.summary.ref.uri for d in store.list_datasets()]
    assert everything == sorted(r.uri for r in refs)  # code points: "C" < "o"
    assert [d.summary.ref for d in store.list_datasets(bucket="lake", limit=2)] == [
        refs[1],
        refs[0],
    ]
    assert store.list_datasets(bucket="nowhere") == []
    assert store.get("s3://lake/nowhere/") is None
    assert store.partitions("s3://lake/nowhere/") == []


# --- verdicts and schemas -------------------------------------------------------------------


def test_a_verdict_is_stored_and_read_back(subject: Subject) -> None:
    store, clock = subject.store, subject.clock
    store.record_grouping(_summary([_part("dt=2025-01-01/")]))
    verdict = DatasetVerdict(
        dataset_uri=ORDERS.uri,
        partitions_sampled=8,
        partitions_total=3000,
        columns=(
            ColumnVerdict("email", "string", (("EMAIL_ADDRESS", 0.875),), 8),
            ColumnVerdict("id", "int64", (), 8),
        ),
        category="sales",
        category_confidence=0.7,
        description="Orders, one partition a day.",
        entities=(("EMAIL_ADDRESS", ("email",)),),
    )
    t1 = clock.tick()
    store.set_verdict(verdict)
    stored = store.get(ORDERS.uri)
    assert stored is not None
    assert stored.verdict == verdict and stored.last_scanned == t1
    with pytest.raises(DatasetNotFound):
        store.set_verdict(replace(verdict, dataset_uri="s3://lake/nowhere/"))


def test_schema_versions_record_only_changes(subject: Subject) -> None:
    store, clock = subject.store, subject.clock
    store.record_grouping(_summary([_part("dt=2025-01-01/")]))
    v1_cols = [SchemaColumn("id", "int64", False), SchemaColumn("email", "string")]
    first = store.record_schema(ORDERS.uri, v1_cols, "scan")
    assert first is not None and (first.version, first.changes) == (1, ())
    assert first.recorded_at == T0 and first.columns == tuple(v1_cols)
    # The same columns in another order are the same schema.
    assert store.record_schema(ORDERS.uri, list(reversed(v1_cols)), "scan") is None

    t1 = clock.tick()
    v2_cols = [SchemaColumn("id", "string", True), SchemaColumn("phone", "string")]
    second = store.record_schema(ORDERS.uri, v2_cols, "scan")
    assert second is not None and second.version == 2 and second.recorded_at == t1
    assert second.changes == (
        SchemaChange(ChangeKind.RETYPED, "id", "int64", "string", "previous scan"),
        SchemaChange(ChangeKind.NULLABILITY, "id", "not null", "nullable", "previous scan"),
        SchemaChange(ChangeKind.ADDED, "phone", None, "string", "previous scan"),
        SchemaChange(ChangeKind.REMOVED, "email", "string", None, "previous scan"),
    )
    third = store.record_schema(ORDERS.uri, v2_cols[:1], "delta")
    assert third is not None and third.source == "delta"
    assert third.changes == (
        SchemaChange(ChangeKind.REMOVED, "phone", "string", None, "delta log"),
    )
    iceberg = store.record_schema(ORDERS.uri, v2_cols, "iceberg")
    assert iceberg is not None and {c.where for c in iceberg.changes} == {"iceberg metadata"}

    assert store.schema_history(ORDERS.uri) == [first, second, third, iceberg]
    stored = store.get(ORDERS.uri)
    assert stored is not None and stored.schema_version == 4
    assert store.schema_history("s3://lake/nowhere/") == []
    with pytest.raises(DatasetNotFound):
        store.record_schema("s3://lake/nowhere/", v1_cols, "scan")


def test_schema_changes_match_columns_by_name() -> None:
    cols = [SchemaColumn("a", "int64"), SchemaColumn("b", "string", False)]
    assert schema_changes(cols, list(reversed(cols)), "x") == ()
    assert schema_changes([], cols[:1], "x") == (
        SchemaChange(ChangeKind.ADDED, "a", None, "int64", "x"),
    )


# --- membership -----------------------------------------------------------------------------


def test_dataset_of_finds_the_closest_dataset(subject: Subject) -> None:
    store = subject.store
    for ref in [
        DatasetRef("lake", ""),
        DatasetRef("lake", "exports/"),
        DatasetRef("lake", "exports/orders/"),
        DatasetRef("lake", "exports/orders/dt=2025-01-01/manifest.json"),
        DatasetRef("lake", "exports/orders_v2/"),
        DatasetRef("other", "exports/orders/dt=2025-01-01/"),
    ]:
        store.record_grouping(_summary([_part("dt=2025-01-01/")], ref=ref))
    of = store.dataset_of
    deep = "exports/orders/dt=2025-01-01/part-0000.parquet"
    assert of("lake", deep) == DatasetRef("lake", "exports/orders/")
    assert of("lake", "exports/orders/dt=2025-01-01/manifest.json") == DatasetRef(
        "lake", "exports/orders/dt=2025-01-01/manifest.json"
    )
    assert of("lake", "exports/orders_v2/x.csv") == DatasetRef("lake", "exports/orders_v2/")
    assert of("lake", "exports/orders.csv") == DatasetRef("lake", "exports/")
    assert of("lake", "readme.md") == DatasetRef("lake", "")
    assert of("other", deep) == DatasetRef("other", "exports/orders/dt=2025-01-01/")
    assert of("other", "exports/readme.md") is None
    assert of("nowhere", deep) is None


# --- scale ----------------------------------------------------------------------------------


class StatementCounter:
    """Counts the SQL statements an engine sends (an executemany is one per batch)."""

    def __init__(self, catalog: SqlLocalCatalog) -> None:
        self.engine = catalog.engine
        self.statements: list[str] = []
        event.listen(self.engine, "before_cursor_execute", self._count)

    def _count(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


def test_three_thousand_partitions_recorded_twice(subject: Subject) -> None:
    store = subject.store
    keys = _keys(3001)
    old, fresh = keys[:3000], keys[3000]
    first = store.record_grouping(_summary([_part(k) for k in old]))
    assert first.is_new and len(first.new_partitions) == 3000
    second = store.record_grouping(_summary([_part(k) for k in keys]))
    assert second.new_partitions == (fresh,) and second.removed_partitions == ()
    stored = store.get(ORDERS.uri)
    assert stored is not None and stored.partition_count == 3001
    parts = store.partitions(ORDERS.uri)
    assert [p.info.key for p in parts] == keys


def _statements(catalog: SqlLocalCatalog, action: Any) -> list[str]:
    counter = StatementCounter(catalog)
    try:
        action()
    finally:
        counter.close()
    return counter.statements


@pytest.mark.parametrize("subject", ["sqlite", "postgresql"], indirect=True)
def test_recording_costs_statements_bounded_by_the_partition_count(subject: Subject) -> None:
    """Thousands of partitions take about as many statements as thirty (no per-row SQL)."""
    store, catalog = subject.store, subject.catalog
    assert catalog is not None
    catalog.engine  # migrated before counting  # noqa: B018
    small = DatasetRef("lake", "small/")
    keys = _keys(3001)

    def cost(ref: DatasetRef, partitions: list[PartitionInfo]) -> int:
        return len(_statements(catalog, lambda: store.record_grouping(_summary(partitions, ref))))

    small_new = cost(small, [_part(k) for k in keys[:30]])
    big_new = cost(ORDERS, [_part(k) for k in keys[:3000]])
    # Again, one partition more and every known one's counts changed: a bulk update.
    small_again = cost(small, [_part(k, objects=3) for k in keys[:31]])
    big_again = cost(ORDERS, [_part(k, objects=3) for k in keys])
    # All removed but one: chunked deletes.
    big_shrunk = cost(ORDERS, [_part(keys[0])])
    assert big_new <= small_new + 3  # insert batches (insertmanyvalues pages of 1,000)
    assert big_again <= small_again + 3
    assert big_shrunk <= small_again + 6  # 3,000 keys in IN-lists of 500
    assert max(big_new, big_again, big_shrunk) <= 20


@pytest.mark.parametrize("subject", ["sqlite", "postgresql"], indirect=True)
def test_dataset_of_looks_up_ancestor_roots_by_key(subject: Subject) -> None:
    store, catalog = subject.store, subject.catalog
    assert catalog is not None
    store.record_grouping(_summary([_part("dt=2025-01-01/")]))
    key = "exports/orders/dt=2025-01-01/part-0000.parquet"
    statements = _statements(catalog, lambda: store.dataset_of("lake", key))
    assert len(statements) == 1
    assert " IN " in statements[0].upper() and "LIKE" not in statements[0].upper()


def test_two_workers_recording_one_new_dataset_report_each_partition_once(
    database_url: str,
) -> None:
    catalogs = [SqlLocalCatalog(database_url), SqlLocalCatalog(database_url)]
    stores = [SqlDatasetStore(c) for c in catalogs]
    stores[0].list_datasets()  # migrate once, before the race
    keys = _keys(200)
    barrier = threading.Barrier(2, timeout=30)
    updates: list[DatasetUpdate] = []
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait()
            updates.append(stores[n].record_grouping(_summary([_part(k) for k in keys])))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sorted(u.is_new for u in updates) == [False, True]
    assert sorted(k for u in updates for k in u.new_partitions) == keys
    assert [p.info.key for p in stores[1].partitions(ORDERS.uri)] == keys
    for c in catalogs:
        c.engine.dispose()
