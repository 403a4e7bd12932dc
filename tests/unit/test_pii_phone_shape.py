"""Rule ``phone.name_shape``: phone numbers the patterns do not take.

Faker's nl_NL numbers have a long subscriber part no phone pattern matches (``0837 783533``)
and its ru_RU numbers unassigned area codes libphonenumber's metadata rejects (``8 (837)
478-85-77``), as test data and old numbers anywhere, so nothing was found in a column named
``telefoon``. A column whose name strongly says phone and whose values are
nearly all written as phone numbers is PHONE_NUMBER; the same values under another name are
not (account and reference numbers have the same shape).
"""

from __future__ import annotations

import random

import pytest
from faker import Faker

from classifiers.pii import PiiClassifier
from classifiers.pii.validators import phone_shaped, phone_valid
from models import ColumnFinding, ColumnSample
from tests.support.tables import table_sample

ROWS = 400


def _numbers(locale: str, seed: int = 3) -> tuple[str, ...]:
    fake = Faker(locale)
    fake.seed_instance(seed)
    return tuple(fake.phone_number() for _ in range(ROWS))


def _run(clf: PiiClassifier, name: str, values: tuple[str, ...]) -> ColumnFinding:
    fake = Faker("en_US")
    fake.seed_instance(1)
    sample = table_sample(
        (
            ColumnSample("id", "int64", tuple(range(len(values)))),
            ColumnSample(name, "string", values),
            ColumnSample("city", "string", tuple(fake.city() for _ in values)),
        ),
        "s3://lake/contacts/part-0.parquet",
    )
    return {f.column: f for f in clf.classify(sample)}[name]


def _phone(f: ColumnFinding) -> tuple[float, str | None] | None:
    for e in f.entities:
        if e.entity == "PHONE_NUMBER" and not e.evidence.sparse:
            return e.confidence, e.evidence.rule
    return None


@pytest.mark.parametrize(
    ("value", "shaped"),
    [
        ("0837 783533", True),
        ("(0406)-812415", True),
        ("8 (837) 478-85-77", True),
        ("+31(0)914 177763", True),
        ("555-1234", True),
        ("0123456789", True),
        ("020 7946 0958 ext. 12", True),
        ("1234567", False),  # bare digits without a trunk prefix: any number
        ("12.50", False),
        ("1234.5", False),
        ("2024-01-02", False),
        ("192.168.1.1", False),
        ("1111111", False),
        ("12-34", False),
        ("+1 (555", False),
        ("call 555-1234", False),
        ("０８３７ ７８３５３３", False),
        ("0.12345678", False),  # decimals, negatives, thousands groups, dates
        ("-12.3456789", False),
        ("1234567.123", False),
        ("-1234567", False),
        ("1.234.567", False),
        ("1 234 567,89", False),
        ("2024 01 15", False),
        ("2024-01-02 12", False),
        ("01.23.45.67.89", True),  # the French dotted form
        ("612 345 678", True),
        ("13711524493", True),  # a Chinese mobile, written bare at home
        ("12711524493", False),  # no mobile prefix 13-19
        ("137115244930", False),
    ],
)
def test_phone_shaped(value: str, shaped: bool) -> None:
    assert phone_shaped(value) is shaped


def test_faker_numbers_have_the_shape_whatever_the_metadata_says() -> None:
    russian = _numbers("ru_RU")
    assert sum(map(phone_valid, russian)) < 0.5 * ROWS
    assert sum(map(phone_shaped, russian)) == ROWS
    assert sum(map(phone_shaped, _numbers("nl_NL"))) == ROWS


@pytest.mark.parametrize(("locale", "name"), [("nl_NL", "telefoon"), ("ru_RU", "телефон"),
                                              ("nl_NL", "phone_number"),
                                              ("nl_NL", "customer_phone_2"),
                                              ("nl_NL", "telefoonnummer_werk"),
                                              ("nl_NL", "c_phone")])  # fmt: skip
def test_a_phone_named_column_of_phone_shaped_values_is_phone(
    classifier: PiiClassifier, locale: str, name: str
) -> None:
    found = _phone(_run(classifier, name, _numbers(locale)))
    assert found is not None
    confidence, rule = found
    assert confidence >= 0.85
    if locale == "nl_NL":
        assert rule == "phone.name_shape"


@pytest.mark.parametrize(
    "name",
    ["invoice_ref", "account_no", "tel_count", "c7",
     # Something of a phone, not its number: the name's other word says what.
     "phone_imei", "phone_serial", "phone_account", "phone_price", "telefoon_rekening"],
)  # fmt: skip
def test_the_same_values_under_another_name_are_not_phone(
    classifier: PiiClassifier, name: str
) -> None:
    found = _run(classifier, name, _numbers("nl_NL"))
    assert all(e.evidence.rule != "phone.name_shape" for e in found.entities)


def test_a_phone_column_of_other_values_is_not_phone(classifier: PiiClassifier) -> None:
    rng = random.Random(5)
    words = tuple(rng.choice(["none", "ask reception", "n/a", "see notes"]) for _ in range(ROWS))
    found = _run(classifier, "telefoon", words)
    assert _phone(found) is None
    # Mostly numbers but a fifth of them not: the shape rule needs nearly all.
    mixed = tuple(v if i % 5 else "unknown" for i, v in enumerate(_numbers("nl_NL", seed=4)))
    found = _run(classifier, "telefoon", mixed)
    assert all(e.evidence.rule != "phone.name_shape" for e in found.entities)


def test_chinese_mobiles_written_bare_are_phones_under_a_phone_name(
    classifier: PiiClassifier,
) -> None:
    # Those that pass as US numbers by chance (four in ten) left out: the shape decides.
    mobiles = tuple(v for v in _numbers("zh_CN") if not phone_valid(v))
    found = _run(classifier, "电话", mobiles)
    assert _phone(found) == (0.85, "phone.name_shape")
    # Under another name, eleven digits in the operators' blocks are a suggestion only.
    assert _phone(_run(classifier, "order_no", mobiles)) == (0.6, "phone.values_only")
