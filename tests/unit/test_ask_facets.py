"""Country, region and currency questions over the ask test catalog, with value facets.

The facets (``InMemoryDatasetFacets``) say: ``payments/transactions/`` has a ``country``
column of SG and MY and a ``currency`` column of SGD and USD; ``crm/customers/`` a ``country``
column of SG, US and DE; ``sales/orders/`` a ``region`` column of APAC and EMEA; ``hr/employees/``
a ``country`` column of US only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.ask_catalog import AskCatalog, opened_ask_catalog
from tests.support.facets import InMemoryDatasetFacets
from worker.core.ask.query import Filters
from worker.core.facets import ColumnCounts
from worker.services.ask.facets import facet_matches
from worker.services.ask.service import AskAnswer, AskService

TX = "s3://lake/payments/transactions/"
CRM = "s3://lake/crm/customers/"
ORDERS = "s3://lake/sales/orders/"
HR = "s3://lake/hr/employees/"


def _facets() -> InMemoryDatasetFacets:
    store = InMemoryDatasetFacets()
    kept = {
        TX: {"country": ColumnCounts("country", 10, {"SG": 6, "MY": 4}),
             "currency": ColumnCounts("currency_code", 10, {"SGD": 7, "USD": 3})},
        CRM: {"country": ColumnCounts("country", 20, {"US": 10, "SG": 5, "DE": 5})},
        ORDERS: {"sales_region": ColumnCounts("region", 8, {"APAC": 5, "EMEA": 3})},
        HR: {"country": ColumnCounts("country", 4, {"US": 4})},
    }  # fmt: skip
    for uri, columns in kept.items():
        store.record_facets(uri, {"p0": columns}, [], ["p0"])
    return store


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[AskCatalog]:
    with opened_ask_catalog(f"sqlite:///{tmp_path}/ask.db") as built:
        yield built


@pytest.fixture
def service(catalog: AskCatalog) -> AskService:
    return catalog.service(facets=_facets())


def _items(answer: AskAnswer) -> dict[str, str]:
    assert answer.understood, answer.interpretation
    return {i.uri: i.why for i in answer.items}


def test_reports_using_singapore_transaction_data(service: AskService) -> None:
    """Country and category both hold: the transactions' dashboard, not the customers'."""
    answer = service.ask("Which reports use Singapore transaction data?")
    items = _items(answer)
    assert list(items) == ["looker:dashboard/thelook::sales_pulse"]
    assert answer.interpretation == (
        "dashboards and Looks downstream of the datasets in category finance about SG"
    )
    why = items["looker:dashboard/thelook::sales_pulse"]
    assert why.startswith(f"{TX} → snowflake:FINANCE.PUBLIC.TRANSACTIONS → ")
    assert "category finance" in why
    assert "value facet: column country (country) is SG in 60% of 10 sampled rows" in why


def test_reports_using_singapore_data_of_any_category(service: AskService) -> None:
    items = _items(service.ask("Which dashboards use Singapore data?"))
    assert list(items) == [
        "looker:dashboard/thelook::customer_overview",
        "looker:dashboard/thelook::sales_pulse",
    ]
    assert (
        "column country (country) is SG in 25% of 20 sampled rows"
        in (items["looker:dashboard/thelook::customer_overview"])
    )


def test_datasets_with_eu_customers_name_the_member_country(service: AskService) -> None:
    items = _items(service.ask("datasets with EU customers"))
    assert list(items) == [CRM]
    assert "value facet: column country (country) is DE in 25% of 20 sampled rows" in items[CRM]
    assert "category customer" in items[CRM]


def test_a_region_matches_region_facets(service: AskService) -> None:
    items = _items(service.ask("APAC datasets"))
    assert items == {ORDERS: "value facet: column sales_region (region) is APAC in 62% of 8 "
                             "sampled rows"}  # fmt: skip


def test_tables_holding_sgd_amounts_are_found_along_lineage(service: AskService) -> None:
    items = _items(service.ask("which tables hold SGD amounts"))
    assert set(items) == {"postgres:payments.public.transactions",
                          "snowflake:FINANCE.PUBLIC.TRANSACTIONS"}  # fmt: skip
    assert all("column currency (currency_code) is SGD in 70%" in w for w in items.values())


def test_datasets_in_a_currency(service: AskService) -> None:
    assert list(_items(service.ask("datasets with amounts in US dollars"))) == [TX]
    assert _items(service.ask("which datasets hold EUR amounts?")) == {}


def test_a_country_and_a_currency_must_both_hold(service: AskService) -> None:
    assert list(_items(service.ask("Singapore data in SGD"))) == [TX]
    assert _items(service.ask("German data in SGD")) == {}


def test_several_countries_are_alternatives(service: AskService) -> None:
    items = _items(service.ask("datasets about Malaysia or Germany"))
    assert set(items) == {TX, CRM}


def test_a_country_no_dataset_holds_is_an_empty_answer(service: AskService) -> None:
    answer = service.ask("Which reports use Japanese transaction data?")
    assert answer.understood and answer.items == [] and answer.count == 0


def test_counting_datasets_by_country(service: AskService) -> None:
    answer = service.ask("how many datasets hold American data?")
    assert answer.understood and answer.count == 2
    assert answer.interpretation.endswith(": 2")


def test_without_the_facet_port_countries_are_refused(catalog: AskCatalog) -> None:
    for question in ("Which reports use Singapore transaction data?", "which tables hold SGD"):
        answer = catalog.service().ask(question)
        assert not answer.understood and answer.items == []
        assert "facets are not collected" in answer.interpretation


def test_facet_matches_without_a_facet_filter_narrows_nothing() -> None:
    assert facet_matches(_facets(), Filters(categories=("finance",))) is None
    assert facet_matches(None, Filters(countries=("SG",))) == {}
    assert set(facet_matches(_facets(), Filters(countries=("SG",))) or {}) == {TX, CRM}
