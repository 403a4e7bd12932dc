"""The column PII classifier end to end on the real spaCy model: the field's pitfalls, golden.

Each case is a column of 400 Faker values (fixed seed) in a table; the table is classified
once per test module and every case checks its own column.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from faker import Faker

from classifiers.pii import PiiClassifier
from classifiers.pii.custom import parse_custom_entities
from classifiers.pii.validators import luhn_check_digit
from models import ColumnFinding, ColumnSample, TableSample
from models.samples import CellValue
from tests.support.tables import table_sample

pytestmark = pytest.mark.nlp

ROWS = 400
TODAY = date(2026, 1, 1)

Gen = Callable[[Faker, random.Random, int], CellValue]


def _card(rng: random.Random) -> str:
    payload = rng.choice(["4", "51", "37"]) + "".join(str(rng.randint(0, 9)) for _ in range(13))
    payload = payload[:15] if not payload.startswith("37") else payload[:14]
    return payload + str(luhn_check_digit(payload))


def _nric(rng: random.Random) -> str:
    digits = [rng.randint(0, 9) for _ in range(7)]
    total = sum(d * w for d, w in zip(digits, [2, 7, 6, 5, 4, 3, 2], strict=True))
    return "S" + "".join(map(str, digits)) + "JZIHGFEDCBA"[total % 11]


def _sparse_email(f: Faker, r: random.Random, i: int) -> CellValue:
    return f.email() if i % 100 == 7 else f"note {r.randint(1, 10**6)}"


def _ticket(f: Faker, r: random.Random, i: int) -> CellValue:
    parts = [f.sentence()]
    if i % 4 == 0:
        parts.append(f"Reach me at {f.email()}.")
    if i % 5 == 0:
        parts.append(f"Call {f.numerify('+1 (###) 555-####')} after five.")
    if i % 3 == 0:
        parts.append(f"Thanks, {f.name()}")
    return " ".join(parts)


# (column, type, generator, expected entities)
CASES: list[tuple[str, str, Gen, set[str]]] = [
    ("custEmailAddr", "string", lambda f, r, i: f.email(), {"EMAIL_ADDRESS"}),
    ("courriel", "string", lambda f, r, i: f.free_email(), {"EMAIL_ADDRESS"}),
    ("website", "string", lambda f, r, i: f.url(), {"URL"}),
    ("telefono", "string", lambda f, r, i: f.phone_number(), {"PHONE_NUMBER"}),
    ("phone", "string", lambda f, r, i: f.bothify("??-####-??").upper(), set()),
    ("ssn", "string", lambda f, r, i: f.ssn(), {"US_SSN"}),
    ("ssn_number", "int64", lambda f, r, i: int(f.ssn().replace("-", "")), {"US_SSN"}),
    ("card_no", "string", lambda f, r, i: _card(r), {"CREDIT_CARD"}),
    ("iban", "string", lambda f, r, i: f.iban(), {"IBAN_CODE"}),
    ("col_3", "string", lambda f, r, i: f.iban(), {"IBAN_CODE"}),
    ("client_ip", "string", lambda f, r, i: f.ipv4() if i % 2 else f.ipv6(), {"IP_ADDRESS"}),
    ("nric", "string", lambda f, r, i: _nric(r).lower() if i % 3 else _nric(r), {"SG_NRIC_FIN"}),
    ("first_name", "string", lambda f, r, i: f.first_name(), {"PERSON"}),
    ("last_name", "string", lambda f, r, i: f.last_name(), {"PERSON"}),
    ("attr2", "string", lambda f, r, i: f.name(), {"PERSON"}),
    ("street", "string", lambda f, r, i: f.street_address(), {"STREET_ADDRESS"}),
    ("geburtsdatum", "date", lambda f, r, i: f.date_of_birth(minimum_age=18), {"DATE_OF_BIRTH"}),
    ("company", "string", lambda f, r, i: f.company(), set()),
    ("city", "string", lambda f, r, i: f.city(), set()),
    ("email_verified", "int64", lambda f, r, i: r.randint(0, 1), set()),
    ("email_count", "int64", lambda f, r, i: r.randint(0, 40), set()),
    ("order_id", "int64", lambda f, r, i: 100_000_000 + i, set()),
    ("amount", "double", lambda f, r, i: round(r.uniform(1, 900), 2), set()),
    ("created_on", "date", lambda f, r, i: f.date_between(date(2015, 1, 1), TODAY), set()),
    (
        "version",
        "string",
        lambda f, r, i: f"{r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 99)}",
        set(),
    ),
    ("user_agent", "string", lambda f, r, i: f.user_agent(), set()),
    ("status", "string", lambda f, r, i: r.choice(["Anna", "Bella", "Clara", "Dora"]), set()),
    ("comment", "string", lambda f, r, i: f.sentence(nb_words=10), set()),
    ("notes", "string", _sparse_email, {"EMAIL_ADDRESS"}),
    ("ticket_body", "string", _ticket, {"EMAIL_ADDRESS", "PHONE_NUMBER", "PERSON"}),
    ("employee_no", "string", lambda f, r, i: f"E-{r.randint(0, 999_999):06d}", {"EMPLOYEE_ID"}),
]

CUSTOM = """\
entities:
  - name: EMPLOYEE_ID
    regex: '^E-\\d{6}$'
    keywords: [employee_no]
    score: 0.9
"""


def _table(cases: list[tuple[str, str, Gen, set[str]]], seed: int = 7) -> TableSample:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    columns = []
    for name, data_type, gen, _ in cases:
        values = tuple(None if i % 41 == 0 else gen(fake, rng, i) for i in range(ROWS))
        columns.append(ColumnSample(name, data_type, values))
    return table_sample(columns, "s3://lake/t/table.parquet")


@pytest.fixture(scope="module")
def classifier() -> PiiClassifier:
    clf = PiiClassifier(custom_entities=parse_custom_entities(CUSTOM, "custom.yaml"), today=TODAY)
    clf.load()
    return clf


@pytest.fixture(scope="module")
def table() -> TableSample:
    return _table(CASES)


@pytest.fixture(scope="module")
def findings(classifier: PiiClassifier, table: TableSample) -> dict[str, ColumnFinding]:
    return {f.column: f for f in classifier.classify(table)}


@pytest.mark.parametrize(
    ("column", "expected"), [(c[0], c[3]) for c in CASES], ids=[c[0] for c in CASES]
)
def test_column_entities(
    findings: dict[str, ColumnFinding], column: str, expected: set[str]
) -> None:
    finding = findings[column]
    assert not finding.warnings
    assert {e.entity for e in finding.entities} == expected


def test_sparse_pii_is_reported_as_sparse_not_inflated(findings: dict[str, ColumnFinding]) -> None:
    (email,) = findings["notes"].entities
    assert email.evidence.sparse
    assert email.prevalence < 0.02 and email.confidence <= 0.75


def test_evidence_is_complete_and_masked(
    findings: dict[str, ColumnFinding], table: TableSample
) -> None:
    raw = {str(v) for c in table.columns for v in c.values if v is not None}
    for finding in findings.values():
        for entity in finding.entities:
            ev = entity.evidence
            assert ev.prevalence_interval is not None
            low, high = ev.prevalence_interval
            assert low <= entity.prevalence <= high
            assert ev.sampled > 0 and ev.distinct_ratio is not None
            assert ev.masked_examples, (finding.column, entity.entity)
            for example in ev.masked_examples:
                assert example not in raw
                assert "*" in example or "X" in example or "x" in example
    ssn = findings["ssn"].entities[0].evidence
    assert ssn.validator_pass_rate is not None and ssn.validator_pass_rate > 0.9
    assert all(m.startswith("***-**-") for m in ssn.masked_examples)
    assert findings["custEmailAddr"].entities[0].evidence.name_signal is not None


def test_confidence_orders_evidence_strength(findings: dict[str, ColumnFinding]) -> None:
    strong = findings["custEmailAddr"].entities[0].confidence
    opaque_person = findings["attr2"].entities[0].confidence
    named_person = findings["first_name"].entities[0].confidence
    assert strong >= 0.95
    assert named_person > opaque_person


def test_neighbours_support_each_other(classifier: PiiClassifier) -> None:
    # A column of surnames under a name that says nothing of people (``label``), alone and
    # next to a first-name column.
    surnames: Gen = lambda f, r, i: f.last_name()  # noqa: E731
    alone = classifier.classify(_table([("label", "string", surnames, set())], seed=3))
    pair = classifier.classify(
        _table(
            [
                ("first_name", "string", lambda f, r, i: f.first_name(), set()),
                ("label", "string", surnames, set()),
            ],
            seed=3,
        )
    )
    by_name = {f.column: f for f in pair}
    assert [e.entity for e in by_name["label"].entities] == ["PERSON"]
    assert by_name["label"].entities[0].evidence.neighbours == ("first_name",)
    assert alone[0].entities == () or alone[0].entities[0].confidence < 0.85


def test_known_surnames_under_an_opaque_name_need_no_neighbour(classifier: PiiClassifier) -> None:
    # ``c1`` says nothing at all: the gazetteer knows nearly every value as a surname.
    surnames: Gen = lambda f, r, i: f.last_name()  # noqa: E731
    (alone,) = classifier.classify(_table([("c1", "string", surnames, set())], seed=3))
    (person,) = alone.entities
    assert person.entity == "PERSON" and person.confidence >= 0.85
    assert person.evidence.recognizers == ("name-gazetteer", "name-shape")


def test_one_hit_in_ten_thousand_is_not_certain(classifier: PiiClassifier) -> None:
    gen: Gen = lambda f, r, i: f.email() if i in (3, 5000) else f"ref-{i}"  # noqa: E731
    fake, rng = Faker(), random.Random(1)
    fake.seed_instance(1)
    values = tuple(gen(fake, rng, i) for i in range(10_000))
    sample = _table([])
    sample = TableSample(**{**_fields(sample), "columns": (ColumnSample("x", "string", values),)})
    (finding,) = classifier.classify(sample)
    (email,) = finding.entities
    assert email.prevalence == pytest.approx(0.0002)
    assert email.evidence.sparse and email.confidence <= 0.75


def _fields(sample: TableSample) -> dict[str, Any]:
    return {name: getattr(sample, name) for name in sample.__dataclass_fields__}


def test_version_changes_with_config() -> None:
    base = PiiClassifier()
    assert PiiClassifier().version == base.version
    assert PiiClassifier(entities=["EMAIL_ADDRESS"]).version != base.version
    custom = parse_custom_entities(CUSTOM, "c.yaml")
    assert PiiClassifier(custom_entities=custom).version != base.version
    assert not base.loaded


@pytest.mark.parametrize("seed", [1, 4, 7])
def test_streets_named_after_people_do_not_make_an_address_column_person(
    classifier: PiiClassifier, seed: int
) -> None:
    """Brazilian addresses name squares after people (``Praça Maria Alice Pacheco``); NER
    finds full names in a tenth of them, which made the address column PERSON (sparse) too
    for these seeds."""
    fake = Faker("pt_BR")
    fake.seed_instance(seed)
    values = tuple(fake.street_address() for _ in range(200))
    sample = _table([])
    sample = TableSample(
        **{**_fields(sample), "columns": (ColumnSample("address", "string", values),)}
    )
    (finding,) = classifier.classify(sample)
    assert [e.entity for e in finding.entities] == ["STREET_ADDRESS"]
