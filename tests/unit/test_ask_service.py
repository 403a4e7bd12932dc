"""``AskService`` on a SQLite catalog built through the real stores (tests/support)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.ask_catalog import AskCatalog, opened_ask_catalog
from worker.services.ask.service import AskAnswer, AskService


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[AskCatalog]:
    with opened_ask_catalog(f"sqlite:///{tmp_path}/ask.db") as built:
        yield built


@pytest.fixture
def service(catalog: AskCatalog) -> AskService:
    return catalog.service()


def _uris(answer: AskAnswer) -> list[str]:
    assert answer.understood, answer.interpretation
    return [i.uri for i in answer.items]


def test_customer_data_flowing_through_s3(service: AskService) -> None:
    answer = service.ask("Show me all customer data flowing through S3.")
    assert _uris(answer) == ["s3://lake/crm/customers/", "s3://lake/exports/users/"]
    assert answer.interpretation == (
        "datasets in category customer whose lineage passes through S3 (the lake)"
    )
    why = answer.items[0].why
    assert "postgres:appdb.public.customers → s3://lake/crm/customers/" in why
    assert answer.items[0].link == "/datasets/show?uri=s3%3A%2F%2Flake%2Fcrm%2Fcustomers%2F"
    # marketing/campaigns holds customer-ish emails but has no lineage: not "flowing".
    assert service.ask("customer data passing through snowflake").items


def test_what_breaks_if_the_users_table_changes(service: AskService) -> None:
    answer = service.ask("What would break if I change the users table schema?")
    assert _uris(answer) == ["s3://lake/exports/users/", "snowflake:ANALYTICS.PUBLIC.USERS"]
    assert "read as postgres:appdb.public.users" in answer.interpretation
    assert "PII: EMAIL (EMAIL_ADDRESS)" in answer.items[1].why


def test_dropping_a_column_follows_the_column_to_the_dashboard(service: AskService) -> None:
    answer = service.ask("What breaks if I drop column email from customers?")
    assert _uris(answer) == [
        "s3://lake/crm/customers/",
        "snowflake:ANALYTICS.CRM.CUSTOMERS",
        "looker:explore/thelook::customers",
        "looker:dashboard/thelook::customer_overview",
    ]
    assert [i.kind for i in answer.items] == ["dataset", "table", "dashboard", "dashboard"]
    sf = answer.items[1].why
    # Only the reached column's PII; the e-mail is hashed on the way, so none reaches it.
    assert "columns reached: EMAIL_SHA" in sf and "PHONE" not in sf


def test_an_unknown_column_is_refused(service: AskService) -> None:
    answer = service.ask("What breaks if I drop column foo from the users table")
    assert not answer.understood and not answer.items
    assert "column email of postgres:appdb.public.users" in answer.alternatives


def test_an_ambiguous_name_asks_which(service: AskService) -> None:
    answer = service.ask("What breaks if I change orders?")
    assert not answer.understood and not answer.items
    assert "Did you mean" in answer.interpretation
    assert any("s3://lake/sales/orders/" in a for a in answer.alternatives)
    assert any("postgres:shop.public.orders" in a for a in answer.alternatives)


def test_singapore_transactions_are_refused_without_value_facets(service: AskService) -> None:
    answer = service.ask("Which reports use Singapore transaction data?")
    assert not answer.understood and not answer.items
    assert "country facets are not collected" in answer.interpretation
    # Without the country the same reading is answered.
    plain = service.ask("Which reports use transaction data?")
    assert _uris(plain) == ["looker:dashboard/thelook::sales_pulse"]


@pytest.mark.parametrize(
    "question", ["Which dashboards use the customers table?", "what reports read customer data"]
)
def test_consumers(service: AskService, question: str) -> None:
    assert _uris(service.ask(question)) == ["looker:dashboard/thelook::customer_overview"]


def test_where_emails_are_stored(service: AskService) -> None:
    uris = _uris(service.ask("Where are emails stored?"))
    assert "s3://lake/marketing/campaigns/" in uris
    assert "postgres:appdb.public.customers.email" in uris  # the source column
    assert "snowflake:ANALYTICS.PUBLIC.USERS.EMAIL" in uris  # copied unmasked
    assert not any(u.startswith("snowflake:ANALYTICS.CRM.CUSTOMERS") for u in uris)  # hashed


def test_where_ssns_flow_unmasked(service: AskService) -> None:
    answer = service.ask("Where do SSNs flow unmasked?")
    assert _uris(answer) == ["s3://lake/hr/employees/", "snowflake:HR.PUBLIC.EMPLOYEES.SSN"]
    assert "unmasked" in answer.items[1].why
    masked = service.ask("where do card numbers flow masked")
    assert _uris(masked) == ["snowflake:FINANCE.PUBLIC.TRANSACTIONS.CARD_LAST4"]
    assert "right(card_number, 4)" in masked.items[0].why


def test_system_to_system_flows(service: AskService) -> None:
    uris = _uris(service.ask("Which flows go from Postgres to Snowflake unmasked?"))
    assert "snowflake:HR.PUBLIC.EMPLOYEES" in uris
    assert "snowflake:SHOP.PUBLIC.ORDERS" not in uris  # no lake between, no PII


def test_counts_and_top_n(service: AskService) -> None:
    answer = service.ask("How many datasets have IBANs?")
    assert answer.count == 1 and answer.interpretation.endswith(": 1")
    assert _uris(answer) == ["s3://lake/payments/transactions/"]
    emails = service.ask("count the datasets with email addresses")
    assert emails.count == 3
    top = service.ask("Top 2 datasets with the most PII")
    assert _uris(top) == ["s3://lake/crm/customers/", "s3://lake/hr/employees/"]
    assert top.items[0].why.startswith("3 PII columns")


def test_governance(service: AskService) -> None:
    pending = service.ask("What is pending review?")
    assert [i.kind for i in pending.items] == ["suggestion", "suggestion"]
    assert pending.items[0].link.startswith("/queue?object_uri=")
    alerts = service.ask("show open alerts")
    assert sorted(_uris(alerts)) == ["s3://lake/crm/customers/", "s3://lake/hr/employees/"]
    contracts = service.ask("Which datasets break their contract?")
    assert _uris(contracts) == ["s3://lake/hr/employees/"]
    changed = service.ask("What changed since 2026-11-20?")
    assert _uris(changed) == ["s3://lake/exports/users/"]
    assert "new: first seen 2026-11-25" in changed.items[0].why


def test_contract_violations_and_owners_come_from_the_given_callables(
    catalog: AskCatalog,
) -> None:
    service = catalog.service(
        violations=lambda: {"s3://lake/sales/orders/": ["contract violated: order_id unique"]},
        owners=lambda: {"s3://lake/sales/orders/": "dana@corp.example"},
    )
    assert _uris(service.ask("datasets violating their contracts")) == ["s3://lake/sales/orders/"]
    assert _uris(service.ask("datasets owned by dana@corp.example")) == ["s3://lake/sales/orders/"]


@pytest.mark.parametrize(
    "question",
    ["Show me the weather in Paris", "what breaks if I change the spaceship table", "usres"],
)
def test_nonsense_gets_no_items(service: AskService, question: str) -> None:
    answer = service.ask(question)
    assert not answer.understood and answer.items == []
    assert answer.interpretation.startswith("Not understood")


def test_the_json_contract(service: AskService) -> None:
    data = service.ask("Where do SSNs flow unmasked?").to_dict()
    assert {"question", "interpretation", "understood", "items", "alternatives"} <= set(data)
    assert set(data["items"][0]) >= {"kind", "name", "uri", "why"}
    assert data["items"][0]["kind"] in ("dataset", "table", "column", "dashboard")


def test_names_are_reread_after_a_scan_unless_kept(catalog: AskCatalog) -> None:
    from models.datasets import DatasetRef, DatasetSummary, GroupingRule

    fresh, kept = catalog.service(), catalog.service(names_ttl_s=3600)
    question = "what breaks if I change the invoices dataset"
    assert not fresh.ask(question).understood and not kept.ask(question).understood
    catalog.datasets.record_grouping(
        DatasetSummary(DatasetRef("lake", "finance/invoices/"), GroupingRule.HIVE, "t", 1, 1)
    )
    assert fresh.ask(question).understood
    assert not kept.ask(question).understood


def test_a_flow_hop_into_a_lake_dataset_is_a_column_item(service: AskService) -> None:
    """As into a table: the hop reaches a column of the dataset (keyed ``uri column``)."""
    answer = service.ask("Where do IBANs flow unmasked?")
    assert answer.understood, answer.interpretation
    assert {(i.kind, i.name) for i in answer.items} == {
        ("column", "s3://lake/payments/transactions/ iban"),
        ("column", "snowflake:FINANCE.PUBLIC.TRANSACTIONS IBAN"),
    }
