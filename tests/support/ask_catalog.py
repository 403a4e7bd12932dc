"""A small catalog for the ask tests: lake datasets with verdicts, lineage down to Looker.

Built through the SQL stores on a SQLite file (the service reads what ``enricher ask`` reads):

- ``crm/customers/`` (customer: email, phone, date_of_birth) from ``appdb.public.customers``,
  to Snowflake ``ANALYTICS.CRM.CUSTOMERS`` (email and date of birth masked), an explore and
  the ``customer_overview`` dashboard;
- ``payments/transactions/`` (finance: card_number, iban) from ``payments.public.transactions``
  to ``FINANCE.PUBLIC.TRANSACTIONS`` (card masked, IBAN not) and the ``sales_pulse`` dashboard;
- ``hr/employees/`` (employee: ssn, name) to ``HR.PUBLIC.EMPLOYEES``, nothing masked;
- ``exports/users/`` (customer: email) on the chain ``appdb.public.users`` → lake →
  ``ANALYTICS.PUBLIC.USERS`` (one chain: "the users table" names its start);
- ``sales/orders/`` (sales) with no lineage, and ``shop.public.orders`` → ``SHOP.PUBLIC.ORDERS``
  (two unrelated "orders": ambiguous);
- ``marketing/campaigns/`` (marketing: contact_email), no lineage;
- an open schema-drift alert, an open contract alert, two pending suggestions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from models.datasets import (
    AlertCandidate,
    AlertKind,
    ColumnVerdict,
    DatasetRef,
    DatasetSummary,
    DatasetVerdict,
    GroupingRule,
    SchemaColumn,
    Severity,
)
from models.lineage import ColumnMapping, Dataset, LineageEdge, Origin
from models.plan import Suggestion
from worker.adapters.catalog.alert_store import SqlAlertStore
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.adapters.catalog.dataset_store import SqlDatasetStore
from worker.adapters.catalog.lineage_store import SqlLineageStore
from worker.adapters.catalog.review_store import SqlReviewStore
from worker.core.settings import Settings
from worker.services.ask.service import AskService
from worker.services.lineage.service import LineageService

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)

#: root → (category, {column: entities}, total bytes)
DATASETS: dict[str, tuple[str, dict[str, list[str]], int]] = {
    "crm/customers/": (
        "customer",
        {
            "email": ["EMAIL_ADDRESS"],
            "phone": ["PHONE_NUMBER"],
            "date_of_birth": ["DATE_OF_BIRTH"],
            "customer_id": [],
            "country": [],
        },
        5_000,
    ),  # fmt: skip
    "payments/transactions/": (
        "finance",
        {"card_number": ["CREDIT_CARD"], "iban": ["IBAN_CODE"], "amount": []},
        9_000,
    ),
    "hr/employees/": ("employee", {"ssn": ["US_SSN"], "name": ["PERSON"]}, 1_000),
    "exports/users/": ("customer", {"email": ["EMAIL_ADDRESS"], "id": []}, 2_000),
    "sales/orders/": ("sales", {"order_id": [], "amount": []}, 7_000),
    "marketing/campaigns/": ("marketing", {"contact_email": ["EMAIL_ADDRESS"]}, 500),
}


def _m(source: str, target: str, expression: str | None = None) -> ColumnMapping:
    return ColumnMapping(source, target, expression, expression is not None)


def _edges() -> list[LineageEdge]:
    p = Dataset.parse
    crm, pay, hr = (
        p("s3://lake/crm/customers/"),
        p("s3://lake/payments/transactions/"),
        p("s3://lake/hr/employees/"),
    )
    users = p("s3://lake/exports/users/")
    sf_customers = p("snowflake:ANALYTICS.CRM.CUSTOMERS")
    sf_tx = p("snowflake:FINANCE.PUBLIC.TRANSACTIONS")
    return [
        LineageEdge(p("postgres:appdb.public.customers"), crm, Origin.DECLARED,
                    columns=(_m("email", "email"), _m("phone", "phone"),
                             _m("date_of_birth", "date_of_birth"),
                             _m("customer_id", "customer_id"), _m("country", "country"))),
        LineageEdge(crm, sf_customers, Origin.DECLARED,
                    columns=(_m("email", "EMAIL_SHA", "sha2(email)"), _m("phone", "PHONE"),
                             _m("date_of_birth", "BIRTH_YEAR", "year(date_of_birth)"),
                             _m("customer_id", "CUSTOMER_ID"), _m("country", "COUNTRY"))),
        LineageEdge(sf_customers, p("looker:explore/thelook::customers"), Origin.DECLARED),
        LineageEdge(p("looker:explore/thelook::customers"),
                    p("looker:dashboard/thelook::customer_overview"), Origin.DECLARED),
        LineageEdge(p("postgres:payments.public.transactions"), pay, Origin.DECLARED,
                    columns=(_m("card_number", "card_number"), _m("iban", "iban"),
                             _m("amount", "amount"))),
        LineageEdge(pay, sf_tx, Origin.DECLARED,
                    columns=(_m("card_number", "CARD_LAST4", "right(card_number, 4)"),
                             _m("iban", "IBAN"), _m("amount", "AMOUNT"))),
        LineageEdge(sf_tx, p("looker:dashboard/thelook::sales_pulse"), Origin.DECLARED),
        LineageEdge(p("postgres:hrdb.public.employees"), hr, Origin.DECLARED,
                    columns=(_m("ssn", "ssn"), _m("name", "name"))),
        LineageEdge(hr, p("snowflake:HR.PUBLIC.EMPLOYEES"), Origin.DECLARED,
                    columns=(_m("ssn", "SSN"), _m("name", "FULL_NAME"))),
        LineageEdge(p("postgres:appdb.public.users"), users, Origin.DECLARED,
                    columns=(_m("email", "email"), _m("id", "id"))),
        LineageEdge(users, p("snowflake:ANALYTICS.PUBLIC.USERS"), Origin.DECLARED,
                    columns=(_m("email", "EMAIL"), _m("id", "ID"))),
        LineageEdge(p("postgres:shop.public.orders"), p("snowflake:SHOP.PUBLIC.ORDERS"),
                    Origin.DECLARED, columns=(_m("order_id", "ORDER_ID"),)),
    ]  # fmt: skip


@dataclass
class AskCatalog:
    """The catalog's stores and the ask service on them."""

    catalog: SqlLocalCatalog
    datasets: SqlDatasetStore
    lineage: SqlLineageStore
    alerts: SqlAlertStore
    review: SqlReviewStore

    def service(self, **kwargs: object) -> AskService:
        lineage = LineageService(self.lineage, self.review, Settings(), self.datasets)
        return AskService(
            self.datasets,
            lineage,
            self.alerts,
            self.review,
            clock=lambda: NOW,
            **kwargs,  # type: ignore[arg-type]
        )


def build_ask_catalog(url: str) -> AskCatalog:
    """The catalog described in the module docstring, on the database at ``url``."""
    catalog = SqlLocalCatalog(url)
    clock_at = [datetime(2026, 11, 2, tzinfo=UTC)]
    datasets = SqlDatasetStore(catalog, clock=lambda: clock_at[0])
    for root, (category, columns, size) in DATASETS.items():
        if root == "exports/users/":
            clock_at[0] = datetime(2026, 11, 25, tzinfo=UTC)  # new since 2026-11-20
        datasets.record_grouping(
            DatasetSummary(DatasetRef("lake", root), GroupingRule.HIVE, "test", 3, size)
        )
        entities: dict[str, list[str]] = {}
        for col, ents in columns.items():
            for e in ents:
                entities.setdefault(e, []).append(col)
        datasets.set_verdict(
            DatasetVerdict(
                f"s3://lake/{root}",
                2,
                2,
                tuple(
                    ColumnVerdict(c, "string", tuple((e, 1.0) for e in ents), 2)
                    for c, ents in columns.items()
                ),
                category,
                0.9,
                None,
                tuple((e, tuple(c)) for e, c in sorted(entities.items())),
            )
        )
        datasets.record_schema(
            f"s3://lake/{root}", [SchemaColumn(c, "string") for c in columns], "scan"
        )
        clock_at[0] = datetime(2026, 11, 2, tzinfo=UTC)
    lineage = SqlLineageStore(catalog)
    lineage.upsert(_edges(), auto_apply_threshold=0.9)
    alerts = SqlAlertStore(catalog)
    alerts.raise_alerts(
        [
            AlertCandidate(
                AlertKind.SCHEMA_DRIFT,
                Severity.WARNING,
                "s3://lake/crm/customers/",
                "column:loyalty_tier",
                "new column loyalty_tier",
            ),
            AlertCandidate(
                AlertKind.CONTRACT,
                Severity.CRITICAL,
                "s3://lake/hr/employees/",
                "ssn",
                "contract violated: ssn: classification public",
            ),
        ]  # fmt: skip
    )
    review = SqlReviewStore(catalog)
    obj = "s3://lake/marketing/campaigns/part-0.csv"
    review.sync(
        obj,
        [
            Suggestion(
                obj,
                "",
                "tag",
                "PII EMAIL_ADDRESS",
                "EMAIL_ADDRESS",
                "contact_email",
                0.7,
                "low confidence",
                {"prevalence": 0.4},
                "pii=1",
            ),
            Suggestion(
                obj,
                "",
                "tag",
                "PII PERSON",
                "PERSON",
                "owner",
                0.6,
                "names found",
                {"prevalence": 0.3},
                "pii=1",
            ),
        ],  # fmt: skip
    )
    return AskCatalog(catalog, datasets, lineage, alerts, review)


@contextmanager
def opened_ask_catalog(url: str) -> Iterator[AskCatalog]:
    """:func:`build_ask_catalog` at ``url``; its engine is disposed on leaving."""
    built = build_ask_catalog(url)
    try:
        yield built
    finally:
        built.catalog.engine.dispose()
