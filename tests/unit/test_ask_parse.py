"""The ask parser (pure): each question family with paraphrases, ambiguity, refusals."""

from __future__ import annotations

from datetime import date

import pytest

from worker.core.ask.linking import KnownName, NameIndex, name_keys
from worker.core.ask.parse import parse_question
from worker.core.ask.query import ANY_ENTITY, AskQuery, Masking, Operation, Target, describe

NAMES = NameIndex(
    KnownName(uri, kind, uri)
    for uri, kind in (
        ("postgres:appdb.public.users", "table"),
        ("s3://lake/exports/users/", "dataset"),
        ("snowflake:ANALYTICS.PUBLIC.USERS", "table"),
        ("postgres:appdb.public.customers", "table"),
        ("s3://lake/crm/customers/", "dataset"),
        ("postgres:shop.public.order_items", "table"),
        ("looker:dashboard/thelook::sales_pulse", "dashboard"),
    )
)
TODAY = date(2026, 12, 4)


def _query(question: str) -> AskQuery:
    parsed = parse_question(question, NAMES, today=TODAY)
    assert parsed.understood, (question, parsed.reason)
    assert parsed.query is not None
    return parsed.query


def _refused(question: str) -> str:
    parsed = parse_question(question, NAMES, today=TODAY)
    assert not parsed.understood, (question, parsed.query)
    assert parsed.reason
    return parsed.reason


@pytest.mark.parametrize(
    "question",
    [
        "Show me all customer data flowing through S3.",
        "Which datasets hold client data that passes through the lake?",
        "list shopper data going through s3",
    ],
)
def test_find_by_category_through_a_system(question: str) -> None:
    q = _query(question)
    assert (q.family, q.operation, q.target) == ("find", Operation.LIST, Target.DATASETS)
    assert q.filters.categories == ("customer",) and q.filters.through == ("lake",)
    assert describe(q) == "datasets in category customer whose lineage passes through S3 (the lake)"


@pytest.mark.parametrize(
    "question", ["Which datasets are in Snowflake?", "show the tables in the warehouse"]
)
def test_find_by_system(question: str) -> None:
    q = _query(question)
    assert q.filters.systems == ("snowflake",)


@pytest.mark.parametrize(
    "question",
    ["Datasets owned by dana@corp.example", "show data whose owner is dana@corp.example"],
)
def test_find_by_owner(question: str) -> None:
    assert _query(question).filters.owner == "dana@corp.example"


@pytest.mark.parametrize(
    ("question", "column"),
    [
        ("What would break if I change the users table schema?", None),
        ("what is impacted when the users table changes", None),
        ("What breaks if I drop column email from users?", "email"),
        ("What is affected if I drop the email column of the users table", "email"),
        ("impact of changing users.email", "email"),
    ],
)
def test_impact_links_the_name_and_column(question: str, column: str | None) -> None:
    q = _query(question)
    assert (q.family, q.operation) == ("impact", Operation.IMPACT)
    (ref,) = q.names
    # "users" names the whole chain; "table" narrows it to the tables; the service chooses.
    assert "postgres:appdb.public.users" in ref.candidates
    assert "snowflake:ANALYTICS.PUBLIC.USERS" in ref.candidates
    assert ref.column == column


def test_impact_of_a_uri_keeps_its_column() -> None:
    (ref,) = _query("what breaks if I drop postgres:appdb.public.users.email").names
    assert (ref.uri, ref.column) == ("postgres:appdb.public.users", "email")


@pytest.mark.parametrize(
    "question",
    [
        "Which dashboards use the customers table?",
        "which Looker reports read from the customers table",
        "what reports are built on customers table",
    ],
)
def test_consumers_of_a_named_table(question: str) -> None:
    q = _query(question)
    assert (q.family, q.operation, q.target) == (
        "consumers",
        Operation.CONSUMERS,
        Target.DASHBOARDS,
    )
    assert "postgres:appdb.public.customers" in q.names[0].candidates


@pytest.mark.parametrize(
    "question", ["Which dashboards use transaction data?", "what reports use payment data"]
)
def test_consumers_of_a_category(question: str) -> None:
    q = _query(question)
    assert q.operation is Operation.CONSUMERS and q.filters.categories == ("finance",)
    assert not q.names


@pytest.mark.parametrize(
    ("question", "entity"),
    [
        ("Where are emails stored?", "EMAIL_ADDRESS"),
        ("where are the e-mail addresses kept", "EMAIL_ADDRESS"),
        ("Which columns contain social security numbers?", "US_SSN"),
        ("where do we store card numbers", "CREDIT_CARD"),
    ],
)
def test_where_an_entity_is_stored(question: str, entity: str) -> None:
    q = _query(question)
    assert (q.operation, q.target) == (Operation.STORED, Target.COLUMNS)
    assert q.filters.entities == (entity,)


@pytest.mark.parametrize(
    ("question", "entity", "masking"),
    [
        ("Where do SSNs flow unmasked?", "US_SSN", Masking.UNMASKED),
        ("where do social security numbers go in the clear", "US_SSN", Masking.UNMASKED),
        ("Where do card numbers flow masked?", "CREDIT_CARD", Masking.MASKED),
        ("where does personal data flow", ANY_ENTITY, Masking.ANY),
    ],
)
def test_flows_masked_or_not(question: str, entity: str, masking: Masking) -> None:
    q = _query(question)
    assert (q.family, q.operation) == ("flows", Operation.FLOWS)
    assert q.filters.entities == (entity,) and q.filters.masking is masking


@pytest.mark.parametrize(
    "question",
    ["Which flows go from Postgres to Snowflake unmasked?", "unmasked flows from pg to snowflake"],
)
def test_flows_from_a_system_to_another(question: str) -> None:
    f = _query(question).filters
    assert (f.source_system, f.destination_system, f.masking) == (
        "postgres",
        "snowflake",
        Masking.UNMASKED,
    )


@pytest.mark.parametrize(
    "question",
    [
        "How does data get from postgres:appdb.public.users to snowflake:ANALYTICS.PUBLIC.USERS?",
        "path from the users table to s3://lake/exports/users/",
    ],
)
def test_path_between_two_datasets(question: str) -> None:
    q = _query(question)
    assert q.operation is Operation.PATH and len(q.names) == 2


@pytest.mark.parametrize(
    ("question", "target", "operation", "state"),
    [
        ("What is pending review?", Target.SUGGESTIONS, Operation.LIST, "pending"),
        (
            "Which suggestions are waiting for review?",
            Target.SUGGESTIONS,
            Operation.LIST,
            "pending",
        ),
        ("Show open alerts", Target.ALERTS, Operation.LIST, "open"),
        ("how many unresolved alerts are there", Target.ALERTS, Operation.COUNT, "open"),
        ("Which datasets break their contract?", Target.CONTRACTS, Operation.LIST, None),
        ("datasets violating their data contracts", Target.CONTRACTS, Operation.LIST, None),
    ],
)
def test_governance(question: str, target: Target, operation: Operation, state: str | None) -> None:
    q = _query(question)
    assert (q.family, q.target, q.operation, q.filters.state) == (
        "governance",
        target,
        operation,
        state,
    )


@pytest.mark.parametrize(
    ("question", "since"),
    [
        ("What changed since 2026-11-01?", date(2026, 11, 1)),
        ("which datasets are new or changed since 2026-11-01", date(2026, 11, 1)),
        ("Which datasets changed in the last 7 days?", date(2026, 11, 27)),
    ],
)
def test_changed_since(question: str, since: date) -> None:
    q = _query(question)
    assert q.operation is Operation.CHANGED and q.filters.since == since


@pytest.mark.parametrize(
    ("question", "operation", "limit", "entity"),
    [
        ("How many datasets have IBANs?", Operation.COUNT, None, "IBAN_CODE"),
        ("count the datasets with iban codes", Operation.COUNT, None, "IBAN_CODE"),
        ("number of datasets containing phone numbers", Operation.COUNT, None, "PHONE_NUMBER"),
        ("Top 3 datasets with the most PII", Operation.TOP, 3, ANY_ENTITY),
        ("which datasets have the most personal data", Operation.TOP, 10, ANY_ENTITY),
    ],
)
def test_counts_and_top_n(
    question: str, operation: Operation, limit: int | None, entity: str
) -> None:
    q = _query(question)
    assert (q.family, q.operation, q.limit, q.filters.entities) == (
        "count",
        operation,
        limit,
        (entity,),
    )


def test_countries_are_parsed_and_refused_until_facets_exist() -> None:
    parsed = parse_question("Which reports use Singapore transaction data?", NAMES)
    assert not parsed.understood and "country facets" in (parsed.reason or "")
    assert parsed.query is not None and parsed.query.filters.countries == ("SG",)
    assert parsed.query.filters.categories == ("finance",)
    assert parsed.alternatives and "any country" in parsed.alternatives[0]
    eu = parse_question("customer data in the EU", NAMES)
    assert not eu.understood and eu.query is not None and eu.query.filters.countries == ("EU",)


def _facet_query(question: str) -> AskQuery:
    parsed = parse_question(question, NAMES, today=TODAY, facets=True)
    assert parsed.understood, (question, parsed.reason)
    assert parsed.query is not None
    return parsed.query


@pytest.mark.parametrize(
    ("question", "countries", "categories", "operation"),
    [
        ("Which reports use Singapore transaction data?", ("SG",), ("finance",),
         Operation.CONSUMERS),
        ("datasets with EU customers", ("EU",), ("customer",), Operation.LIST),
        ("show me French customers", ("FR",), ("customer",), Operation.LIST),
        ("which datasets hold data about Germany or Japan?", ("DE", "JP"), (), Operation.LIST),
        ("APAC datasets", ("APAC",), (), Operation.LIST),
        ("how many datasets hold Singapore data?", ("SG",), (), Operation.COUNT),
    ],
)  # fmt: skip
def test_countries_and_regions_are_understood_with_value_facets(
    question: str, countries: tuple[str, ...], categories: tuple[str, ...], operation: Operation
) -> None:
    query = _facet_query(question)
    assert query.filters.countries == countries
    assert query.filters.categories == categories
    assert query.filters.currencies == ()
    assert query.operation is operation
    assert "about " + " or ".join(countries) in describe(query)


@pytest.mark.parametrize(
    ("question", "currencies", "target"),
    [
        ("which tables hold SGD amounts", ("SGD",), Target.TABLES),
        ("datasets with amounts in euros", ("EUR",), Target.DATASETS),
        ("Singapore dollar prices", ("SGD",), Target.DATASETS),
        ("datasets with USD or GBP values", ("USD", "GBP"), Target.DATASETS),
    ],
)
def test_currencies_are_understood_with_value_facets(
    question: str, currencies: tuple[str, ...], target: Target
) -> None:
    query = _facet_query(question)
    assert query.filters.currencies == currencies
    assert query.filters.countries == ()  # "Singapore dollar" is the currency, not the country
    assert query.target is target
    assert "with amounts in " + " or ".join(currencies) in describe(query)


def test_a_currency_without_value_facets_is_refused() -> None:
    assert "facets are not collected" in _refused("which tables hold SGD amounts")


@pytest.mark.parametrize(
    ("question", "entity"),
    [
        ("which data holds NRIC numbers?", "SG_NRIC_FIN"),
        ("driving licence numbers", "US_DRIVER_LICENSE"),
        ("datasets with passport ids", "US_PASSPORT"),
        ("IBAN values", "IBAN_CODE"),
        ("which data holds fiscal codes?", "IT_FISCAL_CODE"),
        ("datasets with DNI numbers", "ES_NIF"),
        ("which data holds CPF numbers?", "BR_CPF"),
        ("datasets with a French social security number", "FR_NIR"),
        ("which data holds BSN numbers?", "NL_BSN"),
        ("PESEL numbers", "PL_PESEL"),
        ("datasets with resident registration numbers", "KR_RRN"),
        ("which data holds a resident id number?", "CN_RESIDENT_ID"),
    ],
)
def test_a_word_for_an_entity_s_values_is_read_with_it(question: str, entity: str) -> None:
    query = _query(question)
    assert query.filters.entities == (entity,)
    assert query.target is Target.DATASETS


@pytest.mark.parametrize(
    "question",
    [
        "Which customer datasets pass through S3?",
        "customer data that goes via the lake",
        "client datasets passed through S3",
    ],
)
def test_a_verb_before_through_is_read(question: str) -> None:
    query = _query(question)
    assert query.filters.categories == ("customer",) and query.filters.through == ("lake",)


@pytest.mark.parametrize(
    "question", ["list datasets in category finance", "datasets of the finance category"]
)
def test_the_word_category_is_read_with_a_category(question: str) -> None:
    assert _query(question).filters.categories == ("finance",)


def test_the_word_category_alone_is_still_refused() -> None:
    assert "category" in _refused("datasets in category")


@pytest.mark.parametrize(
    ("question", "system"),
    [
        ("Snowflake tables fed by customer data", "snowflake"),
        ("postgres tables feeding customer datasets", "postgres"),
        ("snowflake tables loaded from customer data", "snowflake"),
    ],
)
def test_lineage_words_of_a_table_find_are_read(question: str, system: str) -> None:
    query = _query(question)
    assert query.target is Target.TABLES
    assert query.filters.systems == (system,) and query.filters.categories == ("customer",)


@pytest.mark.parametrize(
    ("question", "uri"),
    [
        ("what breaks if I drop the appdb customers table?", "postgres:appdb.public.customers"),
        ("impact of changing customers.csv", "file:///srv/lake/crm/customers.csv"),
        ("reports reading order_items in shop.public", "postgres:shop.public.order_items"),
        ("which Looker reports depend on appdb.public.customers?",
         "postgres:appdb.public.customers"),
    ],
)  # fmt: skip
def test_names_written_with_database_extension_or_qualifier(question: str, uri: str) -> None:
    names = NameIndex(
        [
            KnownName("postgres:appdb.public.customers", "table", "customers"),
            KnownName("postgres:shop.public.order_items", "table", "order_items"),
            KnownName("file:///srv/lake/crm/customers.csv", "dataset", "customers.csv"),
        ]
    )
    parsed = parse_question(question, names, today=TODAY)
    assert parsed.understood, parsed.reason
    assert parsed.query is not None and parsed.query.names[0].uri == uri
    assert parsed.query.names[0].column is None


@pytest.mark.parametrize(
    "question",
    [
        "Show me the weather in Paris",
        "asdf qwer",
        "",
        "?",
        "what breaks if I change the spaceship table",
        "which dashboards use",
        "How many bananas are in the lake?",
    ],
)
def test_nonsense_is_not_understood(question: str) -> None:
    _refused(question)


def test_a_name_below_the_threshold_is_refused_with_the_closest_readings() -> None:
    parsed = parse_question("What breaks if I change the usres table", NAMES)
    assert not parsed.understood and "usres" in (parsed.reason or "")
    assert any("postgres:appdb.public.users" in a for a in parsed.alternatives)


def test_no_confident_wrong_answer_on_a_partial_name() -> None:
    # "order" is not "order_items": linking it would answer about another table.
    parsed = parse_question("what breaks if I change the order table", NAMES)
    assert not parsed.understood


def test_kind_hints_narrow_the_candidates() -> None:
    (ref,) = _query("what breaks if I change the users dataset").names
    assert ref.candidates == ("s3://lake/exports/users/",)
    (ref,) = _query("what breaks if I change the snowflake users table").names
    assert ref.candidates == ("snowflake:ANALYTICS.PUBLIC.USERS",)


def test_name_keys() -> None:
    assert name_keys("postgres:appdb.public.order_items") == [
        "order items",
        "public order items",
        "appdb public order items",
        "appdb order items",
    ]
    assert name_keys("s3://lake/exports/users/") == ["users", "exports users"]
    assert name_keys("file:///srv/lake/hr/employees.csv") == [
        "employees",
        "hr employees",
        "employees csv",
    ]
    assert name_keys("looker:dashboard/thelook::sales_pulse") == ["sales pulse"]


def test_the_reading_is_kept() -> None:
    parsed = parse_question("Show me all shopper data flowing through S3", NAMES)
    meanings = dict((w, m) for m, w in parsed.matched)
    assert meanings["shopper"] == "category customer"
