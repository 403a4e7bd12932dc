"""A small catalog for the compliance report tests, built through the stores with a fixed clock.

Shared by tests/unit/test_compliance.py and tests/integration/test_cli_compliance.py; with
:func:`write_contracts`, a contracts folder (ODCS v3) for three of its datasets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from models.datasets import ColumnVerdict, DatasetRef, DatasetSummary, DatasetVerdict, GroupingRule
from models.lineage import ColumnMapping, Dataset, LineageEdge, Origin
from models.plan import Suggestion
from models.review import SuggestionFilter
from worker.adapters.catalog import review_store as review_store_module
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.adapters.catalog.dataset_store import SqlDatasetStore
from worker.adapters.catalog.lineage_store import SqlLineageStore
from worker.adapters.catalog.review_store import SqlReviewStore
from worker.core.compliance import Period
from worker.services.compliance.service import ComplianceService
from worker.services.contracts.service import ContractService

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "compliance"
#: Planted in every place a sampled value could leak from (evidence, descriptions, SQL).
MARKER = "ZQXMARKER"
NOV = Period.parse("2026-11")


class Clock:
    """A settable clock shared by the stores."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@dataclass
class Catalog:
    url: str
    datasets: SqlDatasetStore
    lineage: SqlLineageStore
    review: SqlReviewStore
    clock: Clock

    def service(self, contracts: Path | None = None) -> ComplianceService:
        """The compliance service on the catalog; ``contracts``: the contracts folder."""
        return ComplianceService(
            self.datasets,
            self.lineage,
            self.review,
            clock=lambda: datetime(2026, 12, 3, tzinfo=UTC),
            contracts_dir=contracts,
            contracts=lambda clock: ContractService(self.datasets, None, clock=clock),
        )


#: The contract files of :func:`write_contracts`. customers: owned by dana, SSN forbidden in
#: ``ssn`` (found: a violation) and typed int64 (string: another), ``email`` unique (not
#: checkable from a sample); orders: ``init``'s owner placeholder, a retention SLA (not
#: checkable), so nothing checked; patients has personal data and no contract.
CONTRACTS = {
    "customers.yaml": """\
apiVersion: v3.1.0
kind: DataContract
id: customers
name: customers
version: 1.0.0
status: active
team:
  name: CRM data
  members:
    - {username: lee@corp.example, role: steward}
    - {username: dana@corp.example, role: owner}
customProperties:
  - {property: dataset, vendor: s3-enricher, value: "s3://lake/exports/customers/"}
schema:
  - name: customers
    logicalType: object
    properties:
      - name: email
        physicalType: string
        logicalType: string
        unique: true
        customProperties:
          - {property: allowedPii, vendor: s3-enricher, value: [EMAIL_ADDRESS]}
      - name: ssn
        physicalType: int64
        logicalType: integer
        classification: public
""",
    "orders.yml": """\
apiVersion: v3.1.0
kind: DataContract
id: orders
name: orders
version: 0.1.0
status: draft
team:
  name: "TO FILL IN: the owning team"
  members:
    - {username: "TO FILL IN: owner@example.com", role: owner}
customProperties:
  - {property: dataset, vendor: s3-enricher, value: "s3://lake/exports/orders/"}
slaProperties:
  - {property: retention, value: 3, unit: y}
""",
}


def write_contracts(folder: Path) -> Path:
    """Write :data:`CONTRACTS` into ``folder`` (created); returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in CONTRACTS.items():
        (folder / name).write_text(text, encoding="utf-8", newline="\n")
    return folder


def _dataset(
    store: SqlDatasetStore,
    root: str,
    objects: int,
    newest: datetime,
    verdict: DatasetVerdict | None,
) -> None:
    summary = DatasetSummary(
        ref=DatasetRef("lake", root),
        rule=GroupingRule.HIVE,
        explanation="test",
        object_count=objects,
        total_bytes=objects * 1000,
        newest=newest,
    )
    store.record_grouping(summary)
    if verdict is not None:
        store.set_verdict(verdict)


def _verdict(
    root: str, category: str | None, columns: dict[str, dict[str, float]]
) -> DatasetVerdict:
    entities: dict[str, list[str]] = {}
    for col, ents in columns.items():
        for e in ents:
            entities.setdefault(e, []).append(col)
    return DatasetVerdict(
        dataset_uri=f"s3://lake/{root}",
        partitions_sampled=2,
        partitions_total=2,
        columns=tuple(
            ColumnVerdict(c, "string", tuple(sorted(e.items())), 2) for c, e in columns.items()
        ),
        category=category,
        category_confidence=0.9 if category else None,
        description=f"sample value {MARKER}@example.com",
        entities=tuple((e, tuple(c)) for e, c in sorted(entities.items())),
    )


def _suggestion(uri: str, column: str | None, entity: str | None, kind: str = "tag") -> Suggestion:
    return Suggestion(
        uri,
        "",
        kind,
        f"PII {entity}" if entity else "postgres:appdb.public.x",
        entity,
        column,
        0.7,
        "low confidence",
        {"examples": [f"{MARKER}-123-45-6789"], "prevalence": 0.4},
        "pii=1",
    )


def build_catalog(url: str, monkeypatch: pytest.MonkeyPatch) -> Catalog:
    """Four S3 datasets, five lineage hops, four PII suggestions and three decisions."""
    clock = Clock(datetime(2026, 10, 20, 8, 0, tzinfo=UTC))
    monkeypatch.setattr(review_store_module, "_now", clock)
    catalog = SqlLocalCatalog(url)
    datasets = SqlDatasetStore(catalog, clock=clock)
    lineage = SqlLineageStore(catalog)
    review = SqlReviewStore(catalog)
    oct_30 = datetime(2026, 10, 30, tzinfo=UTC)
    clock.at = datetime(2026, 11, 2, tzinfo=UTC)
    _dataset(datasets, "exports/customers/", 3, oct_30,
             _verdict("exports/customers/", "customer",
                      {"email": {"EMAIL_ADDRESS": 1.0}, "ssn": {"US_SSN": 0.5}}))  # fmt: skip
    _dataset(datasets, "exports/patients/", 2, oct_30,
             _verdict("exports/patients/", "health", {"name": {"PERSON": 1.0}}))  # fmt: skip
    _dataset(datasets, "raw/logs/", 10, oct_30, None)
    _dataset(datasets, "exports/orders/", 5, datetime(2026, 11, 20, tzinfo=UTC),
             _verdict("exports/orders/", "sales", {}))  # fmt: skip

    pg_customers = Dataset.parse("postgres:appdb.public.customers")
    pg_orders = Dataset.parse("postgres:appdb.public.orders")
    s3_customers = Dataset.parse("s3://lake/exports/customers/")
    s3_patients = Dataset.parse("s3://lake/exports/patients/")
    s3_orders = Dataset.parse("s3://lake/exports/orders/")
    sf_customers = Dataset.parse("snowflake:analytics.public.customers")
    sf_patients = Dataset.parse("snowflake:analytics.public.patients")
    sql = f"COPY ... WHERE email = '{MARKER}@example.com'"
    lineage.upsert(
        [
            LineageEdge(
                pg_customers,
                s3_customers,
                Origin.DECLARED,
                columns=(
                    ColumnMapping("email", "email"),
                    ColumnMapping("ssn", "ssn"),
                    ColumnMapping("phone", "phone"),
                ),
                sql=sql,
            ),  # fmt: skip
            LineageEdge(
                s3_customers,
                sf_customers,
                Origin.SQL,
                columns=(
                    ColumnMapping("email", "EMAIL_HASH", "sha2(email)", True),
                    ColumnMapping("ssn", "SSN"),
                    ColumnMapping("phone", "PHONE", "mask(phone)", True),
                ),
                sql=sql,
            ),  # fmt: skip
            LineageEdge(s3_patients, sf_patients, Origin.DECLARED),
            LineageEdge(pg_orders, s3_orders, Origin.DECLARED),
        ],
        auto_apply_threshold=0.9,
    )

    clock.at = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    review.sync("s3://lake/exports/customers/part-0.parquet",
                [_suggestion("s3://lake/exports/customers/part-0.parquet", "phone", "PHONE_NUMBER"),
                 _suggestion("s3://lake/exports/customers/part-0.parquet", "email",
                             "EMAIL_ADDRESS")])  # fmt: skip
    review.sync("s3://lake/exports/patients/dt=2026-10-01/p.csv",
                [_suggestion("s3://lake/exports/patients/dt=2026-10-01/p.csv", "notes",
                             "PERSON")])  # fmt: skip
    clock.at = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
    review.sync(
        "s3://lake/raw/logs/a.json",
        [_suggestion("s3://lake/raw/logs/a.json", None, None, "lineage")],
    )
    ids = {(v.column, v.kind): v.id for v in review.page(SuggestionFilter(state=None)).items}
    clock.at = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)
    review.decide([ids[("email", "tag")]], True, "ann", address="cli")
    clock.at = datetime(2026, 11, 4, 10, 30, tzinfo=UTC)
    review.decide([ids[("notes", "tag")]], False, "sam", reason="free text, not names")
    clock.at = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    review.audit("ann", "login.ok", "user ann")
    return Catalog(url, datasets, lineage, review, clock)
