"""The narrow reads the ask service selects with (issue 21): what datasets hold, read without
parsing whole verdicts (``DatasetStore.holdings``), and the scans' findings of many lake
datasets in a few batched queries (``SqlLineageStore.s3_findings``).

The store contracts run on SQLite, PostgreSQL and the in-memory fake; the batched findings on
both databases, with the statements counted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert

from models.datasets import ColumnVerdict, DatasetRef, DatasetSummary, DatasetVerdict, GroupingRule
from models.lineage import Dataset
from tests.support.catalog_urls import catalog_url
from tests.support.clock import ManualClock
from tests.support.fakes import InMemoryDatasetStore
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.adapters.catalog.dataset_store import SqlDatasetStore
from worker.adapters.catalog.lineage_store import SqlLineageStore
from worker.adapters.catalog.schema import findings, objects
from worker.core.ports import DatasetHoldings, DatasetStore

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DatasetStore]:
    clock = ManualClock(T0)
    if request.param == "memory":
        yield InMemoryDatasetStore(clock)
        return
    url = catalog_url(request, tmp_path)
    catalog = SqlLocalCatalog(url)
    yield SqlDatasetStore(catalog, clock)
    catalog.engine.dispose()


def _summary(ref: DatasetRef, objects_: int, size: int) -> DatasetSummary:
    return DatasetSummary(
        ref=ref,
        rule=GroupingRule.SPARK,
        explanation="part files",
        object_count=objects_,
        total_bytes=size,
        marker_count=0,
    )


def test_holdings_are_the_verdicts_category_and_entities_in_uri_order(
    store: DatasetStore,
) -> None:
    refs = [DatasetRef("lake", f"exports/d{i}/") for i in (3, 1, 2)]
    for n, ref in enumerate(refs):
        store.record_grouping(_summary(ref, n + 1, 100 * (n + 1)))
    store.set_verdict(
        DatasetVerdict(
            dataset_uri=refs[0].uri,
            partitions_sampled=1,
            partitions_total=1,
            columns=(
                ColumnVerdict("iban", "string", (("IBAN_CODE", 0.9),), 1),
                ColumnVerdict("mail", "string", (("EMAIL_ADDRESS", 1.0),), 1),
                ColumnVerdict("email2", "string", (("EMAIL_ADDRESS", 0.5),), 1),
            ),
            category="customer",
            category_confidence=0.85,
            entities=(("IBAN_CODE", ("iban",)), ("EMAIL_ADDRESS", ("mail", "email2"))),
        )
    )
    store.set_verdict(DatasetVerdict(refs[1].uri, 1, 1, ()))  # no category, no entities
    found = store.holdings()
    assert [h.uri for h in found] == sorted(r.uri for r in refs)
    by_uri = {h.uri: h for h in found}
    assert by_uri[refs[0].uri] == DatasetHoldings(
        refs[0].uri,
        "customer",
        0.85,
        (("IBAN_CODE", ("iban",)), ("EMAIL_ADDRESS", ("mail", "email2"))),
        1,
        100,
        T0,
        T0,
    )
    assert (by_uri[refs[1].uri].category, by_uri[refs[1].uri].entities) == (None, ())
    never = by_uri[refs[2].uri]  # no verdict yet
    assert (never.category, never.category_confidence, never.entities) == (None, None, ())
    assert (never.object_count, never.total_bytes) == (3, 300)
    # The same as the whole verdicts say, dataset by dataset.
    for d in store.list_datasets(limit=10):
        h = by_uri[d.summary.uri]
        v = d.verdict
        assert h.category == (v.category if v else None)
        assert h.entities == (v.entities if v else ())
        assert (h.first_seen, h.last_seen) == (d.first_seen, d.last_seen)
    assert [h.uri for h in store.holdings(limit=2)] == [refs[1].uri, refs[2].uri]


def _finding(uri: str, column: str, entity: str, confidence: float) -> dict[str, Any]:
    return {
        "object_uri": uri,
        "column_name": column,
        "entity": entity,
        "classifier": "pii",
        "confidence": confidence,
        "prevalence": 1.0,
        "evidence": json.loads("{}"),
    }


def test_s3_findings_of_many_datasets_take_a_few_batched_queries(database_url: str) -> None:
    catalog = SqlLocalCatalog(database_url)
    now = datetime.now(UTC)
    singles = [f"s3://lake/single/f{i:04d}.csv" for i in range(1_200)]
    prefixes = [f"s3://lake/p{i:03d}/" for i in range(450)]
    rows_o: list[dict[str, Any]] = []
    rows_f: list[dict[str, Any]] = []
    for i, uri in enumerate(singles):
        rows_o.append({"uri": uri, "bucket": "lake", "key": uri[10:], "status": "classified",
                       "scanned_at": now})  # fmt: skip
        if i % 3 == 0:
            rows_f.append(_finding(uri, "email", "EMAIL_ADDRESS", 0.5 + i / 10_000))
    for i, prefix in enumerate(prefixes):
        for part in ("a/x.csv", "b/y.csv"):
            uri = prefix + part
            rows_o.append({"uri": uri, "bucket": "lake", "key": uri[10:], "status": "classified",
                           "scanned_at": now})  # fmt: skip
            # The highest confidence over the dataset's objects is kept.
            rows_f.append(_finding(uri, "iban", "IBAN_CODE", 0.9 if part[0] == "a" else 0.95))
        if i % 2:
            rows_f.append(_finding(prefix + "a/x.csv", "ssn", "US_SSN", 0.8))
    # Look-alikes that no asked prefix contains: an underscore and a percent are not wildcards.
    for uri in ("s3://lake/p000x/z.csv", "s3://lake/p_00/z.csv", "s3://lake/single/f0000.csvx"):
        rows_o.append({"uri": uri, "bucket": "lake", "key": uri[10:], "status": "classified",
                       "scanned_at": now})  # fmt: skip
        rows_f.append(_finding(uri, "card", "CREDIT_CARD", 1.0))
    with catalog.engine.begin() as conn:
        conn.execute(insert(objects), rows_o)
        conn.execute(insert(findings), rows_f)
    nested = Dataset.parse("s3://lake/p001/a/")  # inside an asked prefix: counted for both
    asked = [Dataset.parse(u) for u in singles + prefixes] + [nested]
    asked += [Dataset.parse("postgres:appdb.public.users"), Dataset.parse(prefixes[0])]
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(catalog.engine, "before_cursor_execute", count)
    try:
        found = SqlLineageStore(catalog).s3_findings(asked)
    finally:
        event.remove(catalog.engine, "before_cursor_execute", count)
    selects = [s for s in statements if "findings" in s]
    assert len(selects) <= 3 + 3  # 1,200 objects in 500s, 451 prefixes in 200s
    assert list(found) == singles + prefixes + [nested.uri]
    for i, uri in enumerate(singles):
        expected = {"email": {"EMAIL_ADDRESS": 0.5 + i / 10_000}} if i % 3 == 0 else {}
        assert found[uri] == expected
    for i, prefix in enumerate(prefixes):
        expected = {"iban": {"IBAN_CODE": 0.95}}
        if i % 2:
            expected["ssn"] = {"US_SSN": 0.8}
        assert found[prefix] == expected
    assert found[nested.uri] == {"iban": {"IBAN_CODE": 0.9}, "ssn": {"US_SSN": 0.8}}
    catalog.engine.dispose()
