"""Decision rules: intervals, thresholds, name support, sparse and conflicting calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from classifiers.pii.decide import (
    DecisionConfig,
    NerStats,
    decide_birth_date,
    decide_pattern_entities,
    decide_person,
    wilson,
)
from classifiers.pii.profile import ColumnProfile


@dataclass
class Tally:
    entity: str
    spec: str
    full: int
    contained: int
    validated: int
    checked: int
    distinct_full: int
    example_values: list[str] = field(default_factory=list)
    score: float = 0.0


@dataclass(frozen=True)
class Signal:
    entity: str
    keyword: str
    strength: float


CFG = DecisionConfig()


def _profile(kind: str = "string", n: int = 1000, **kw: object) -> ColumnProfile:
    p = ColumnProfile("col", "string" if kind == "string" else "int64", kind, n)  # type: ignore[arg-type]
    p.texts = [f"v{i}" for i in range(min(n, 900))]
    p.counts = [1] * len(p.texts)
    for key, value in kw.items():
        setattr(p, key, value)
    return p


@pytest.mark.parametrize(
    ("hits", "n", "low", "high"),
    [
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (50, 100, 0.4038, 0.5962),
        (1, 1000, 0.0002, 0.0057),
    ],
)
def test_wilson_interval(hits: int, n: int, low: float, high: float) -> None:
    lo, hi = wilson(hits, n)
    assert lo == pytest.approx(low, abs=1e-3) and hi == pytest.approx(high, abs=1e-3)


def test_dense_validated_entity_is_called_with_interval() -> None:
    t = Tally("EMAIL_ADDRESS", "email", 980, 980, 980, 990, 900, ["a@b.com"])
    (c,) = decide_pattern_entities(_profile(), {"EMAIL_ADDRESS": t}, {}, None, CFG)
    assert c.entity == "EMAIL_ADDRESS" and c.prevalence == pytest.approx(0.98)
    assert c.interval[0] > 0.96 and c.confidence >= 0.95
    assert c.validator_pass_rate == pytest.approx(980 / 990)


def test_unvalidated_matches_do_not_count() -> None:
    # 900 regex matches of which only 100 pass the check digit: not a card column.
    t = Tally("CREDIT_CARD", "card", 900, 900, 100, 900, 900)
    assert decide_pattern_entities(_profile(), {"CREDIT_CARD": t}, {}, None, CFG) == []


def test_name_supports_but_never_outweighs_values() -> None:
    phone = Signal("PHONE_NUMBER", "phone", 1.0)
    few = Tally("PHONE_NUMBER", "phone", 100, 100, 100, 100, 100)
    assert decide_pattern_entities(_profile(), {"PHONE_NUMBER": few}, {}, None, CFG) == []
    assert (
        decide_pattern_entities(
            _profile(), {"PHONE_NUMBER": few}, {"PHONE_NUMBER": phone}, None, CFG
        )
        == []
    )
    some = Tally("PHONE_NUMBER", "phone", 400, 400, 400, 400, 400)
    assert decide_pattern_entities(_profile(), {"PHONE_NUMBER": some}, {}, None, CFG) == []
    (c,) = decide_pattern_entities(
        _profile(), {"PHONE_NUMBER": some}, {"PHONE_NUMBER": phone}, None, CFG
    )
    assert c.name_signal == "phone"


def test_integer_ssn_needs_the_name_and_sequential_ids_are_not_pii() -> None:
    t = Tally("US_SSN", "ssn", 1000, 1000, 1000, 1000, 1000, ["123456789"])
    ints = _profile("integer")
    assert decide_pattern_entities(ints, {"US_SSN": t}, {}, None, CFG) == []
    named = {"US_SSN": Signal("US_SSN", "ssn", 1.0)}
    (c,) = decide_pattern_entities(ints, {"US_SSN": t}, named, None, CFG)
    assert c.entity == "US_SSN"
    seq = _profile("integer", sequential=True)
    assert decide_pattern_entities(seq, {"US_SSN": t}, named, None, CFG) == []


def test_derated_name_blocks_weak_entities() -> None:
    t = Tally("PHONE_NUMBER", "phone", 1000, 1000, 1000, 1000, 900)
    assert decide_pattern_entities(_profile(), {"PHONE_NUMBER": t}, {}, "suffix _count", CFG) == []


def test_sparse_strong_entity_is_reported_as_sparse() -> None:
    t = Tally("EMAIL_ADDRESS", "email", 4, 4, 4, 4, 4, ["x@y.com"])
    (c,) = decide_pattern_entities(_profile(), {"EMAIL_ADDRESS": t}, {}, None, CFG)
    assert c.sparse and c.prevalence == pytest.approx(0.004) and c.confidence <= 0.75
    one = Tally("EMAIL_ADDRESS", "email", 1, 1, 1, 1, 1)
    assert decide_pattern_entities(_profile(), {"EMAIL_ADDRESS": one}, {}, None, CFG) == []


def test_free_text_gets_every_embedded_entity() -> None:
    p = _profile(mean_words=12.0, mean_length=80.0)
    assert p.free_text
    tallies = {
        "EMAIL_ADDRESS": Tally("EMAIL_ADDRESS", "email", 0, 120, 120, 120, 0),
        "PHONE_NUMBER": Tally("PHONE_NUMBER", "phone", 0, 80, 80, 80, 0),
        "US_SSN": Tally("US_SSN", "ssn", 0, 10, 10, 10, 0),
    }
    found = {c.entity for c in decide_pattern_entities(p, tallies, {}, None, CFG)}
    assert found == {"EMAIL_ADDRESS", "PHONE_NUMBER"}


def test_only_one_dense_entity_per_column() -> None:
    tallies = {
        "IBAN_CODE": Tally("IBAN_CODE", "iban", 990, 990, 990, 990, 990),
        "US_DRIVER_LICENSE": Tally("US_DRIVER_LICENSE", "dl", 990, 990, 990, 990, 990),
        "PHONE_NUMBER": Tally("PHONE_NUMBER", "phone", 600, 600, 600, 600, 600),
    }
    names = {"US_DRIVER_LICENSE": Signal("US_DRIVER_LICENSE", "dl", 1.0)}
    found = decide_pattern_entities(_profile(), tallies, names, None, CFG)
    assert [c.entity for c in found] == ["IBAN_CODE"]


def test_every_pattern_call_names_the_rule_that_set_its_confidence() -> None:
    t = Tally("EMAIL_ADDRESS", "email", 980, 980, 980, 990, 900, ["a@b.com"])
    (plain,) = decide_pattern_entities(_profile(), {"EMAIL_ADDRESS": t}, {}, None, CFG)
    named = {"EMAIL_ADDRESS": Signal("EMAIL_ADDRESS", "email", 1.0)}
    (supported,) = decide_pattern_entities(_profile(), {"EMAIL_ADDRESS": t}, named, None, CFG)
    (derated,) = decide_pattern_entities(
        _profile(), {"EMAIL_ADDRESS": Tally("EMAIL_ADDRESS", "email", 850, 850, 850, 850, 800)},
        {}, "token count", CFG,
    )  # fmt: skip
    sparse = Tally("EMAIL_ADDRESS", "email", 4, 4, 4, 4, 4, ["x@y.com"])
    (few,) = decide_pattern_entities(_profile(), {"EMAIL_ADDRESS": sparse}, {}, None, CFG)
    text = _profile(mean_words=12.0, mean_length=80.0)
    (prose,) = decide_pattern_entities(
        text, {"EMAIL_ADDRESS": Tally("EMAIL_ADDRESS", "email", 0, 120, 120, 120, 0)}, {}, None, CFG
    )
    assert [c.rule for c in (plain, supported, derated, few, prose)] == [
        "pattern.dense", "pattern.dense.name", "pattern.dense.derated", "pattern.sparse",
        "pattern.text",
    ]  # fmt: skip
    finding = supported.to_finding(_profile(), "pii")
    assert finding.evidence.rule == "pattern.dense.name"
    assert finding.evidence.to_dict()["rule"] == "pattern.dense.name"
    assert finding.evidence.masked_examples == ("a***@b***.com",)


def _name_profile(name: str, **kw: object) -> ColumnProfile:
    p = _profile(name_shape=0.98, mean_words=2.0, mean_length=12.0)
    p.name = name
    for key, value in kw.items():
        setattr(p, key, value)
    return p


@pytest.mark.parametrize(
    ("column", "person", "other", "names", "expected"),
    [
        ("full_name", 700, 100, {"PERSON": Signal("PERSON", "full_name", 1.0)}, True),
        ("first_name", 300, 300, {"PERSON": Signal("PERSON", "first_name", 1.0)}, True),
        ("col_7", 750, 100, {}, True),
        ("col_7", 350, 300, {}, False),  # NER unsure and places about as likely
        ("city", 600, 200, {}, False),  # the name says it is a place
        ("company_name", 700, 100, {"PERSON": Signal("PERSON", "name", 0.5)}, False),
        ("contact", 500, 100, {"PERSON": Signal("PERSON", "contact", 0.5)}, True),
    ],
)
def test_person_rules(
    column: str, person: int, other: int, names: dict[str, Signal], expected: bool
) -> None:
    ner = NerStats(1000, person, other, person, person)
    assert (decide_person(_name_profile(column), ner, names, None) is not None) is expected


def test_enum_of_names_is_not_person_unless_the_name_says_people() -> None:
    p = _name_profile("product_code")
    p.texts, p.counts = [f"N{i}" for i in range(10)], [100] * 10
    assert p.enum_like
    assert decide_person(p, NerStats(1000, 900, 0, 900, 10), {}, None) is None
    p.name = "variant"
    assert decide_person(p, NerStats(1000, 900, 0, 900, 10), {}, None) is None
    p.name = "assignee"  # five staff names are still personal data
    found = decide_person(p, NerStats(1000, 900, 0, 900, 10), {}, None)
    assert found is not None and found.name_signal == "assignee"


def test_birth_dates() -> None:
    today = date(2026, 1, 1)
    births = [date(1950 + i % 50, 1 + i % 12, 1 + i % 28) for i in range(500)]
    p = ColumnProfile("geburtsdatum", "date", "date", 500, dates=births)
    c = decide_birth_date(p, True, None, today)
    assert c is not None and c.confidence > 0.9
    opaque = ColumnProfile("d1", "date", "date", 500, dates=births)
    c = decide_birth_date(opaque, False, None, today)
    assert c is not None and c.confidence < 0.7  # a suggestion, not a fact
    orders = [date(2020 + i % 5, 1 + i % 12, 1 + i % 28) for i in range(500)]
    assert (
        decide_birth_date(
            ColumnProfile("d2", "date", "date", 500, dates=orders), False, None, today
        )
        is None
    )
    created = ColumnProfile("created_on", "date", "date", 500, dates=births)
    assert decide_birth_date(created, False, None, today) is None


def test_a_name_column_beside_a_surname_column_needs_no_ner() -> None:
    # Italian given names as the small English model reads them: a seventh persons, nearly
    # half places.
    ner = NerStats(108, 14, 47, 14, 14)
    names = {"PERSON": Signal("PERSON", "nome", 0.5)}
    p = _name_profile("nome", name_shape=1.0, mean_words=1.0)
    assert decide_person(p, ner, names, None) is None
    found = decide_person(p, ner, names, None, part_neighbour="cognome")
    assert found is not None
    assert (found.rule, found.neighbours, found.confidence) == (
        "name.part_pair",
        ("cognome",),
        0.85,
    )
    # The pair's prevalence is the name-shaped share, as when the name says people strongly.
    assert (found.prevalence, found.hits) == (1.0, p.n)
    # The name itself must say name (a role word is not enough), NER must read some values
    # as persons, and the values be name-shaped single words.
    assert decide_person(p, ner, {}, None, part_neighbour="cognome") is None
    user = _name_profile("user", name_shape=1.0, mean_words=1.0)
    assert decide_person(user, ner, {}, None, "", part_neighbour="cognome") is None
    places = NerStats(108, 5, 60, 5, 5)
    assert decide_person(p, places, names, None, part_neighbour="cognome") is None
    sentences = _name_profile("nome", name_shape=1.0, mean_words=1.5)
    assert decide_person(sentences, ner, names, None, part_neighbour="cognome") is None
    codes = _name_profile("nome", name_shape=0.5, mean_words=1.0)
    assert decide_person(codes, ner, names, None, part_neighbour="cognome") is None
