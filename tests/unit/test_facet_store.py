"""The value-facet store: ``SqlDatasetFacets`` on SQLite and PostgreSQL and the in-memory
fake keep one contract; the dataset service keeps facets of a scan and never a value of a
column with a PII finding (checked on the database file's bytes)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from models import (
    ColumnFinding,
    ColumnSample,
    EnrichmentResult,
    EntityFinding,
    Evidence,
    LabelScore,
    ObjectInfo,
    ObjectRef,
    ObjectStatus,
)
from models.datasets import DatasetRef, DatasetSummary, GroupingRule, PartitionInfo
from models.samples import CellValue
from tests.support.catalog_urls import catalog_url
from tests.support.facets import InMemoryDatasetFacets
from tests.support.tables import table_sample
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.adapters.catalog.dataset_store import SqlDatasetStore
from worker.adapters.catalog.facet_store import SqlDatasetFacets
from worker.core.facets import ColumnCounts
from worker.core.ports import FacetStore
from worker.core.settings import DatasetSettings
from worker.services.datasets.service import DatasetService

ORDERS = "s3://lake/orders/"
SHIPMENTS = "s3://lake/shipments/"
NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)


@dataclass
class Subject:
    store: FacetStore
    catalog: SqlLocalCatalog | None


@pytest.fixture(params=["sqlite", "postgresql", "memory"])
def subject(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Subject]:
    if request.param == "memory":
        yield Subject(InMemoryDatasetFacets(), None)
        return
    url = catalog_url(request, tmp_path)
    catalog = SqlLocalCatalog(url)
    yield Subject(SqlDatasetFacets(catalog, clock=lambda: NOW), catalog)
    catalog.engine.dispose()


def counts(kind: str, rows: int, **values: int) -> ColumnCounts:
    return ColumnCounts(kind, rows, values)


def test_datasets_are_found_by_value_in_any_spelling(subject: Subject) -> None:
    store = subject.store
    store.record_facets(
        ORDERS,
        {"dt=1/": {"country": counts("country", 10, SG=6, DE=4),
                   "currency": counts("currency_code", 10, SGD=6, EUR=4)}},
        excluded=[], partitions=["dt=1/"],
    )  # fmt: skip
    store.record_facets(
        SHIPMENTS, {"": {"dest": counts("country", 4, SG=1, FR=3)}}, excluded=[], partitions=[""]
    )
    for spelling in ("Singapore", "SG", "sgp", " singapore "):
        found = store.datasets_with_value("country", spelling)
        assert [(m.dataset_uri, m.column, m.value, m.count) for m in found] == [
            (ORDERS, "country", "SG", 6), (SHIPMENTS, "dest", "SG", 1)
        ], spelling  # fmt: skip
    assert [m.dataset_uri for m in store.datasets_with_value("country", "SG", limit=1)] == [ORDERS]
    assert store.datasets_with_value("country", "SG", limit=0) == []
    (sgd,) = store.datasets_with_value("currency", "sgd")
    assert sgd.why() == "column currency (currency_code) is SGD in 60% of 10 sampled rows"
    # Any type: "SG" is a country (not a currency, not a known region here).
    assert {m.column for m in store.datasets_with_value(None, "SG")} == {"country", "dest"}
    # EU stands for its member countries.
    eu = store.datasets_with_value("country", "EU")
    assert [(m.dataset_uri, m.value) for m in eu] == [(SHIPMENTS, "FR"), (ORDERS, "DE")]
    assert store.datasets_with_value("country", "Atlantis") == []
    assert store.datasets_with_value("city", "SG") == []
    (country, currency) = store.facets(ORDERS)
    assert (country.column, country.rows, country.partitions) == ("country", 10, 1)
    assert [(v.value, v.count, v.share) for v in country.values] == [("SG", 6, 0.6), ("DE", 4, 0.4)]
    assert currency.column_type == "currency_code"
    assert store.facets("s3://lake/unknown/") == []


def test_partitions_add_up_and_gone_ones_drop_out(subject: Subject) -> None:
    store = subject.store
    store.record_facets(ORDERS, {"dt=1/": {"country": counts("country", 10, SG=10)}}, [], ["dt=1/"])
    store.record_facets(
        ORDERS, {"dt=2/": {"country": counts("country", 30, US=30)}}, [], ["dt=1/", "dt=2/"]
    )
    (facet,) = store.facets(ORDERS)
    assert (facet.rows, facet.partitions) == (40, 2)
    assert [(v.value, v.count) for v in facet.values] == [("US", 30), ("SG", 10)]
    # dt=2/ re-sampled (replaces its counts), dt=1/ gone from the listing.
    store.record_facets(ORDERS, {"dt=2/": {"country": counts("country", 5, DE=5)}}, [], ["dt=2/"])
    (facet,) = store.facets(ORDERS)
    assert [(v.value, v.count, v.share) for v in facet.values] == [("DE", 5, 1.0)]
    assert store.datasets_with_value("country", "SG") == []


def test_a_later_pii_finding_purges_the_columns_values_everywhere(subject: Subject) -> None:
    store = subject.store
    store.record_facets(
        ORDERS,
        {"dt=1/": {"country": counts("country", 10, SG=10),
                   "currency": counts("currency_code", 10, SGD=10)}},
        [], ["dt=1/"],
    )  # fmt: skip
    assert store.datasets_with_value("country", "SG")
    # A new partition's sample finds a LOCATION in "country": the dataset keeps none of it.
    after = store.record_facets(
        ORDERS, {"dt=2/": {"country": counts("refused", 10)}}, ["country"], ["dt=1/", "dt=2/"]
    )
    assert [f.column for f in after] == ["currency"]
    assert store.datasets_with_value("country", "SG") == []
    if isinstance(store, SqlDatasetFacets):
        from sqlalchemy import select

        from worker.adapters.catalog.schema import dataset_facet_samples

        with store.catalog.engine.connect() as conn:
            stored = conn.execute(select(dataset_facet_samples.c.columns)).scalars().all()
        assert all(c["country"]["values"] == {} for c in stored)
        assert all(c["currency"]["values"] == {"SGD": 10} for c in stored if "currency" in c)


# --- the dataset service on the SQL stores: what a scan keeps --------------------------------

#: Values planted in columns whose values must never be stored.
PLANTED_PII_COUNTRY = "Mongolia"  # a country column the PII classifier flagged (LOCATION)
PLANTED_PERSON = "Zorblaxia Quenford"
PLANTED_CITY = "Wexcombe"
PLANTED_HIGH = "Qx"  # prefix of a high-cardinality region column's values


def _col(
    name: str, values: Sequence[CellValue], kind: str, entities: Sequence[str] = ()
) -> tuple[ColumnSample, ColumnFinding]:
    evidence = Evidence(sampled=len(values), hits=len(values), distinct_hits=1, mean_score=0.7)
    found = tuple(EntityFinding(e, 0.7, 1.0, evidence) for e in entities)
    return (
        ColumnSample(name, "string", tuple(values)),
        ColumnFinding(name, "string", found, business_type=LabelScore(kind, 0.9)),
    )


def _result(key: str, location_on_country: bool) -> EnrichmentResult:
    n = 60
    columns = [
        _col("country", ["Singapore"] * 40 + ["SG"] * 10 + ["Germany"] * 10, "country"),
        _col("currency", ["SGD"] * 50 + ["EUR"] * 10, "currency_code"),
        _col(
            "origin",
            [PLANTED_PII_COUNTRY] * n,
            "country",
            ["LOCATION"] if location_on_country else [],
        ),  # fmt: skip
        _col("customer", [f"{PLANTED_PERSON} {i}" for i in range(n)], "person_data", ["PERSON"]),
        _col("city", [PLANTED_CITY] * n, "city"),
        _col(
            "sales_region",
            [f"{PLANTED_HIGH}{chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(n)],
            "category_enum",
        ),  # fmt: skip
    ]
    uri = f"s3://lake/orders/{key}part-0.parquet"
    info = ObjectInfo(ObjectRef.parse(uri), 1000, f"e-{key}", NOW)
    return EnrichmentResult(
        info.ref,
        ObjectStatus.CLASSIFIED,
        info=info,
        sample=table_sample([s for s, _ in columns], uri),
        columns=tuple(f for _, f in columns),
    )


def _partition(day: int) -> PartitionInfo:
    key = f"dt={day}/"
    return PartitionInfo(key, (("dt", str(day)),), 1, 1000, NOW, f"orders/{key}part-0.parquet")


def test_a_scan_keeps_country_and_currency_and_no_pii_value(tmp_path: Path) -> None:
    db = tmp_path / "catalog.db"
    catalog = SqlLocalCatalog(f"sqlite:///{db}")
    facets = SqlDatasetFacets(catalog, clock=lambda: NOW)
    service = DatasetService(
        SqlDatasetStore(catalog, clock=lambda: NOW), DatasetSettings(), facets=facets,
        clock=lambda: NOW,
    )  # fmt: skip
    parts = (_partition(1), _partition(2))
    summary = DatasetSummary(
        DatasetRef("lake", "orders/"), GroupingRule.HIVE, "hive partition folders (dt)",
        object_count=2, total_bytes=2000, partition_columns=("dt",), partitions=parts,
        formats=(("parquet", 2),),
    )  # fmt: skip
    plan = service.plan(summary)
    # The first partition's "origin" is clean, the second's has a LOCATION finding.
    pairs = [(parts[0], _result("dt=1/", False)), (parts[1], _result("dt=2/", True))]
    outcome = service.conclude(plan, pairs)
    kept = {f.column: f for f in outcome.facets}
    assert set(kept) == {"country", "currency"}
    assert [(v.value, v.count) for v in kept["country"].values] == [("SG", 100), ("DE", 20)]
    assert [m.dataset_uri for m in facets.datasets_with_value("country", "Singapore")] == [ORDERS]
    assert facets.datasets_with_value("country", "Mongolia") == []
    catalog.engine.dispose()
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith(db.name))
    assert b"SGD" in stored and b'"SG"' in stored  # what is kept is there
    for planted in (PLANTED_PII_COUNTRY, '"MN"', PLANTED_PERSON, PLANTED_CITY, PLANTED_HIGH):
        assert planted.encode() not in stored, planted
    # Raw spellings are normalised, never stored as written.
    assert b"Singapore" not in stored and b"Germany" not in stored
