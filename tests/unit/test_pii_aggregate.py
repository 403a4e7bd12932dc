"""Pure tests of the Presidio baseline's aggregation and name/entity helpers and of the
street-address pattern: no spaCy, no Presidio."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from bench.baselines.aggregate import (
    Hit,
    WeightedValue,
    aggregate_column,
    confidence,
    resolve_overlaps,
    select_values,
)
from bench.baselines.recognizers import (
    birth_keyword,
    column_name_words,
    date_of_birth_hit,
    plausible_span,
    presidio_entities,
    to_vocabulary,
)
from bench.baselines.street_address import STREET_ADDRESS_REGEX


def hit(entity: str, start: int, end: int, score: float, recognizer: str = "R") -> Hit:
    return Hit(entity, start, end, score, recognizer)


# --- overlaps ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hits", "min_score", "expected"),
    [
        pytest.param(
            [hit("EMAIL_ADDRESS", 0, 20, 0.5), hit("URL", 9, 20, 0.5)],
            0.4,
            [hit("EMAIL_ADDRESS", 0, 20, 0.5)],
            id="url-inside-email-equal-score-dropped",
        ),
        pytest.param(
            [hit("EMAIL_ADDRESS", 0, 20, 0.5), hit("URL", 9, 20, 0.9)],
            0.4,
            [hit("EMAIL_ADDRESS", 0, 20, 0.5), hit("URL", 9, 20, 0.9)],
            id="inner-span-scoring-higher-kept",
        ),
        pytest.param(
            [hit("US_SSN", 0, 9, 0.6), hit("PHONE_NUMBER", 0, 9, 0.4)],
            0.4,
            [hit("US_SSN", 0, 9, 0.6)],
            id="same-span-lower-score-dropped",
        ),
        pytest.param(
            [hit("US_SSN", 0, 9, 0.4), hit("PHONE_NUMBER", 0, 9, 0.4)],
            0.4,
            [hit("PHONE_NUMBER", 0, 9, 0.4), hit("US_SSN", 0, 9, 0.4)],
            id="same-span-same-score-both-kept",
        ),
        pytest.param(
            [hit("PERSON", 0, 4, 0.85), hit("PERSON", 0, 10, 0.85)],
            0.4,
            [hit("PERSON", 0, 4, 0.85), hit("PERSON", 0, 10, 0.85)],
            id="same-entity-not-resolved-here",
        ),
        pytest.param(
            [hit("US_SSN", 0, 9, 0.05), hit("PHONE_NUMBER", 0, 9, 0.4)],
            0.4,
            [hit("PHONE_NUMBER", 0, 9, 0.4)],
            id="below-min-score-ignored",
        ),
        pytest.param(
            [hit("PHONE_NUMBER", 0, 12, 0.3), hit("US_DRIVER_LICENSE", 2, 10, 0.3)],
            0.4,
            [],
            id="all-below-min-score",
        ),
        pytest.param(
            [hit("PERSON", 0, 5, 0.85), hit("STREET_ADDRESS", 3, 20, 0.9)],
            0.4,
            [hit("PERSON", 0, 5, 0.85), hit("STREET_ADDRESS", 3, 20, 0.9)],
            id="partial-overlap-kept",
        ),
    ],
)
def test_resolve_overlaps(hits: list[Hit], min_score: float, expected: list[Hit]) -> None:
    assert resolve_overlaps(hits, min_score) == expected


# --- confidence -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mean_score", "prevalence", "expected"),
    [
        (1.0, 1.0, 1.0),
        (1.0, 0.6, 1.0),
        (0.85, 0.9, 0.85),
        (1.0, 0.3, 0.75),
        (1.0, 0.0, 0.5),
        (0.5, 0.06, 0.275),
        (1.2, 2.0, 1.0),
    ],
)
def test_confidence_formula(mean_score: float, prevalence: float, expected: float) -> None:
    assert confidence(mean_score, prevalence) == pytest.approx(expected)


# --- value selection --------------------------------------------------------------------


def test_select_values_counts_and_orders_by_frequency() -> None:
    selected = select_values(["b", "a", "b", "c", "b", "a"], 10)
    assert selected[0] == WeightedValue("b", 3)
    assert selected[1] == WeightedValue("a", 2)
    assert selected[2] == WeightedValue("c", 1)


def test_select_values_is_deterministic_and_capped() -> None:
    texts = [f"user{i}@example.com" for i in range(1000)]
    first = select_values(texts, 50)
    assert len(first) == 50
    assert first == select_values(list(reversed(texts)), 50)
    # Ties are spread by digest, not alphabetical: not just the "user1..." prefix block.
    assert len({v.text[4] for v in first}) > 3
    with pytest.raises(ValueError):
        select_values(texts, 0)


# --- aggregation ------------------------------------------------------------------------


def test_aggregate_weights_prevalence_by_counts() -> None:
    values = [WeightedValue("a@x.io", 3), WeightedValue("nothing", 1)]
    hits = [[hit("EMAIL_ADDRESS", 0, 6, 1.0, "EmailRecognizer")], []]
    (finding,) = aggregate_column(
        values, hits, min_score=0.4, min_prevalence=0.1, classifier="pii-presidio"
    )
    assert finding.entity == "EMAIL_ADDRESS"
    assert finding.prevalence == 0.75
    assert finding.classifier == "pii-presidio"
    assert finding.evidence.sampled == 4
    assert finding.evidence.hits == 3
    assert finding.evidence.distinct_hits == 1
    assert finding.evidence.mean_score == 1.0
    assert finding.evidence.recognizers == ("EmailRecognizer",)
    assert finding.evidence.masked_examples == ("x@x.xx",)
    assert finding.evidence.name_signal is None
    assert finding.confidence == confidence(1.0, 0.75)


def test_aggregate_low_prevalence_threshold() -> None:
    values = [WeightedValue("someone@example.com", 1)] + [
        WeightedValue(f"SKU-{i:04d}", 1) for i in range(199)
    ]
    hits = [[hit("EMAIL_ADDRESS", 0, 19, 1.0)]] + [[] for _ in range(199)]
    assert aggregate_column(values, hits, min_score=0.4, min_prevalence=0.1, classifier="c") == ()
    (finding,) = aggregate_column(values, hits, min_score=0.4, min_prevalence=0.0, classifier="c")
    assert finding.prevalence == 0.005
    assert finding.confidence == confidence(1.0, 0.005)


def test_aggregate_sorts_by_confidence_and_limits_masks() -> None:
    values = [WeightedValue(f"{i}55-12-3456", 1) for i in range(1, 7)]
    hits = [
        [hit("US_SSN", 0, 11, 0.85, "UsSsnRecognizer"), hit("PHONE_NUMBER", 0, 11, 0.4, "P")]
        if i % 2
        else [hit("US_SSN", 0, 11, 0.85, "UsSsnRecognizer")]
        for i in range(6)
    ]
    findings = aggregate_column(values, hits, min_score=0.3, min_prevalence=0.1, classifier="c")
    # PHONE_NUMBER lies in the same span with a lower score: resolved away per value.
    assert [f.entity for f in findings] == ["US_SSN"]
    assert findings[0].evidence.masked_examples == ("999-99-9999",)

    mixed = aggregate_column(
        [WeightedValue("ab", 2), WeightedValue("c d", 1), WeightedValue("e-f", 1)],
        [[hit("PERSON", 0, 2, 0.85)], [hit("PERSON", 0, 3, 0.85)], [hit("URL", 0, 3, 0.5)]],
        min_score=0.4,
        min_prevalence=0.1,
        classifier="c",
        name_signals={"URL": "web"},
    )
    assert [f.entity for f in mixed] == ["PERSON", "URL"]
    assert mixed[0].evidence.masked_examples == ("xx", "x x")
    assert mixed[1].evidence.name_signal == "web"


def test_aggregate_empty_and_mismatched() -> None:
    assert aggregate_column([], [], min_score=0.4, min_prevalence=0.1, classifier="c") == ()
    with pytest.raises(ValueError):
        aggregate_column(
            [WeightedValue("a", 1)], [], min_score=0.4, min_prevalence=0.1, classifier="c"
        )


# --- names, vocabulary, rules -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("customerSSN_v2", ["customer", "ssn", "v2"]),
        ("Date of Birth", ["date", "of", "birth"]),
        ("email-address", ["email", "address"]),
        ("IPAddress", ["ip", "address"]),
        ("__", []),
    ],
)
def test_column_name_words(name: str, words: list[str]) -> None:
    assert column_name_words(name) == words


@pytest.mark.parametrize(
    ("name", "keyword"),
    [
        ("date_of_birth", "birth"),
        ("birthdate", "birth"),
        ("DOB", "dob"),
        ("customer_dob", "dob"),
        ("Geburtsdatum", "geburt"),
        ("date_naissance", "naissance"),
        ("fecha_nacimiento", "nacimiento"),
        ("adobe_id", None),
        ("created_at", None),
    ],
)
def test_birth_keyword(name: str, keyword: str | None) -> None:
    assert birth_keyword(name) == keyword


def test_entity_mapping() -> None:
    ours = ["PERSON", "DATE_OF_BIRTH", "URL"]
    assert presidio_entities(ours, birth_column=False) == ["PERSON", "URL"]
    assert presidio_entities(ours, birth_column=True) == ["PERSON", "DATE_TIME", "URL"]
    assert to_vocabulary("DATE_TIME", birth_column=True) == "DATE_OF_BIRTH"
    assert to_vocabulary("DATE_TIME", birth_column=False) is None
    assert to_vocabulary("EMAIL_ADDRESS", birth_column=False) == "EMAIL_ADDRESS"


def test_date_of_birth_rule() -> None:
    today = date(2024, 6, 1)
    found = date_of_birth_hit(date(1985, 3, 12), "1985-03-12", today)
    assert found == Hit("DATE_OF_BIRTH", 0, 10, 0.85, "DateOfBirthColumnRule")
    assert date_of_birth_hit(datetime(1970, 1, 1, 12), "1970-01-01", today) is not None
    assert date_of_birth_hit(date(1850, 1, 1), "1850-01-01", today) is None
    assert date_of_birth_hit(date(2030, 1, 1), "2030-01-01", today) is None


def test_person_spans_with_digits_are_implausible() -> None:
    assert plausible_span("PERSON", "Jane Doe")
    assert not plausible_span("PERSON", "a3f9")
    assert plausible_span("IP_ADDRESS", "10.0.0.1")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("1234 Elm Street Apt 5", "1234 Elm Street Apt 5"),
        ("0487 Hull Village Suite 759", "0487 Hull Village Suite 759"),
        ("48418 Olsen Plains Apt. 989", "48418 Olsen Plains Apt. 989"),
        ("12 N Main St", "12 N Main St"),
        ("350 5th Ave, New York", "350 5th Ave"),
        ("Ship to 77 Sunset Blvd # 4 please", "77 Sunset Blvd # 4"),
        ("I walked 3 miles down the road", None),
        ("AB-1234", None),
        ("1234.56", None),
        ("Order 5 Widgets", None),
    ],
)
def test_street_address_regex(text: str, match: str | None) -> None:
    found = re.search(STREET_ADDRESS_REGEX, text, re.DOTALL | re.MULTILINE)
    assert (found.group(0) if found else None) == match
