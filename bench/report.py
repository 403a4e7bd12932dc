"""Compliance report generation on a large catalog: 10,000 datasets and 50,000 lineage edges.

Builds a SQLite catalog in a temporary directory with direct SQL inserts matching the schema
(the stores' tables, migrated by :class:`SqlLocalCatalog` first): ``--datasets`` S3 datasets
(40% with PII verdicts: e-mail, SSN, phone), five lineage hops per dataset (three PostgreSQL
sources, two Snowflake targets; four-column maps, one masked), two PII suggestions per
dataset (half decided in the period through the review store, so the audit chain is real).
Then times, in the same run:

* the baseline: reading the snapshot through the stores (``ComplianceService.snapshot``);
* the whole report: ``ComplianceService.write`` in HTML, CSV and JSON.

Prints both, their ratio and the output sizes. Target: the whole report under ``--target``
seconds (60); exit status 1 when over.

Usage: ``python bench/report.py [--datasets 10000] [--edges-per-dataset 5] [--target 60]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[1]
# bench/worker.py would shadow the worker package.
sys.path[:0] = [str(ROOT)]
if sys.path[1:2] == [str(ROOT / "bench")]:
    del sys.path[1]

from sqlalchemy import Table, insert  # noqa: E402

from models.datasets import ColumnVerdict, DatasetVerdict  # noqa: E402
from models.lineage import Dataset, edge_id  # noqa: E402
from models.review import SuggestionFilter  # noqa: E402
from worker.adapters.catalog import review_store as review_store_module  # noqa: E402
from worker.adapters.catalog.database import SqlLocalCatalog  # noqa: E402
from worker.adapters.catalog.dataset_store import SqlDatasetStore  # noqa: E402
from worker.adapters.catalog.lineage_store import SqlLineageStore  # noqa: E402
from worker.adapters.catalog.review_store import SqlReviewStore  # noqa: E402
from worker.adapters.catalog.schema import LineageEdgeRow, datasets, suggestions  # noqa: E402
from worker.core.compliance import Period  # noqa: E402
from worker.services.compliance.service import ComplianceService  # noqa: E402

NOV = Period.parse("2026-11")
SCANNED = datetime(2026, 11, 2, tzinfo=UTC)
COLUMNS = ("id", "email", "ssn", "phone")


def _verdict(uri: str, pii: bool) -> dict[str, Any]:
    cols = (
        (ColumnVerdict("email", "string", (("EMAIL_ADDRESS", 1.0),), 2),
         ColumnVerdict("ssn", "string", (("US_SSN", 0.5),), 2),
         ColumnVerdict("phone", "string", (("PHONE_NUMBER", 1.0),), 2))
        if pii else ()
    )  # fmt: skip
    entities = (
        (("EMAIL_ADDRESS", ("email",)), ("PHONE_NUMBER", ("phone",)), ("US_SSN", ("ssn",)))
        if pii
        else ()
    )
    return DatasetVerdict(uri, 2, 2, cols, "customer", 0.6, None, entities).to_dict()


def build(url: str, n: int, per: int) -> None:
    """Fill the catalog at ``url`` (see the module docstring)."""
    catalog = SqlLocalCatalog(url)
    rows, edges, items = [], [], []
    for i in range(n):
        root = f"lake/d{i // 100:03d}/t{i:05d}/"
        uri = f"s3://{root}"
        pii = i % 5 < 2
        rows.append({
            "uri": uri, "bucket": "lake", "root": root[5:], "rule": "hive", "explanation": "bench",
            "object_count": 10 + i % 7, "total_bytes": 10_000, "marker_count": 0,
            "partition_columns": ["dt"], "partition_count": 3, "formats": {"parquet": 10},
            "newest": SCANNED - timedelta(days=1 if i % 10 else -3),
            "verdict": _verdict(uri, pii) if i % 20 else None, "schema_version": 1,
            "first_seen": SCANNED - timedelta(days=30), "last_seen": SCANNED,
            "last_scanned": SCANNED if i % 20 else None,
        })  # fmt: skip
        s3 = Dataset.parse(uri)
        for k in range(per):
            upstream = k < (per + 1) // 2
            table = (
                Dataset.parse(f"postgres:app{k}.public.t{i}")
                if upstream
                else Dataset.parse(f"snowflake:an{k}.public.t{i}")
            )
            source, target = (table, s3) if upstream else (s3, table)
            masks = {c: c == "email" and not upstream for c in COLUMNS}
            cmap = [
                {"source": c, "target": c, "expression": f"sha2({c})" if masks[c] else None,
                 "masked": masks[c]}
                for c in COLUMNS
            ]  # fmt: skip
            edges.append({
                "id": edge_id(source, target), "source_uri": source.uri, "target_uri": target.uri,
                "origin": "declared", "confidence": 1.0, "state": "applied", "columns": cmap,
                "sql": None, "location": "bench", "reason": "", "first_seen": SCANNED,
                "last_seen": SCANNED,
            })  # fmt: skip
        if pii:
            for col, entity in (("phone", "PHONE_NUMBER"), ("notes", "PERSON")):
                items.append({
                    "object_uri": f"{uri}dt=2026-10-01/part-0.parquet", "qualified_name": "",
                    "kind": "tag", "tag": f"PII {entity}", "entity": entity, "column_name": col,
                    "confidence": 0.7, "reason": "bench", "evidence": {"prevalence": 0.5},
                    "classifier_version": "pii=1", "state": "pending",
                    "first_seen": SCANNED - timedelta(days=i % 40), "last_seen": SCANNED,
                })  # fmt: skip
    with catalog.engine.begin() as conn:
        conn.execute(insert(datasets), rows)
        conn.execute(insert(cast(Table, LineageEdgeRow.__table__)), edges)
        conn.execute(insert(cast(Table, suggestions)), items)
    review = SqlReviewStore(catalog)
    ids = [v.id for v in review.page(SuggestionFilter(), sort="object", limit=500).items]
    times = iter(datetime(2026, 11, 5, tzinfo=UTC) + timedelta(minutes=j) for j in range(10**6))
    review_store_module._now = lambda: next(times)  # type: ignore[assignment]
    for j in range(0, len(ids), 50):
        review.decide(ids[j : j + 50], j % 100 == 0, f"steward{j % 3}", reason="bench")
    catalog.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--edges-per-dataset", type=int, default=5)
    parser.add_argument("--target", type=float, default=60.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'catalog.db'}"
        started = time.perf_counter()
        build(url, args.datasets, args.edges_per_dataset)
        print(f"catalog: {args.datasets} datasets, {args.datasets * args.edges_per_dataset} "
              f"edges built in {time.perf_counter() - started:.1f} s")  # fmt: skip
        catalog = SqlLocalCatalog(url)
        review = SqlReviewStore(catalog)
        service = ComplianceService(
            SqlDatasetStore(catalog),
            SqlLineageStore(catalog),
            review,
            clock=lambda: datetime(2026, 12, 3, tzinfo=UTC),
        )
        t0 = time.perf_counter()
        snap = service.snapshot(NOV)
        read = time.perf_counter() - t0
        t0 = time.perf_counter()
        written = service.write(NOV, ("html", "csv", "json"), Path(tmp) / "out")
        total = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in written.files)
        report = written.report
        print(f"snapshot read (baseline): {read:.2f} s ({len(snap.datasets)} datasets, "
              f"{len(snap.edges)} edges, {len(snap.suggestions)} suggestions, "
              f"{len(snap.decisions)} decisions)")  # fmt: skip
        print(f"whole report (html, csv, json): {total:.2f} s = {total / read:.2f}x the read; "
              f"{len(report['inventory']['datasets'])} PII datasets, {len(report['flows'])} "
              f"flows, {len(written.files)} files, {size / 1e6:.1f} MB")  # fmt: skip
        catalog.engine.dispose()
    if total > args.target:
        print(f"over the target of {args.target:.0f} s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
