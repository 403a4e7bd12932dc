"""One spec per PII entity: the built-in registry, adding an entity, Presidio recognizer YAML."""

from __future__ import annotations

import re

import pytest

from classifiers.masking import mask_as
from classifiers.pii import PiiClassifier
from classifiers.pii.custom import parse_custom_entities
from classifiers.pii.entities import (
    BUILTIN_ENTITIES,
    EntityRegistry,
    EntitySpec,
    PatternSpec,
    PresidioRecognizerError,
    parse_presidio_recognizers,
)
from classifiers.pii.entities.presidio import CONTEXT_FACTOR, context_score
from classifiers.pii.patterns import BUILTIN_PATTERNS, compile_specs
from classifiers.pii.validators import VALIDATORS
from models import PII_ENTITIES, ColumnSample, TableSample
from models.samples import CellValue
from tests.support.tables import table_sample


def _table(**columns: tuple[str, list[CellValue]]) -> TableSample:
    cols = tuple(
        ColumnSample(name, dtype, tuple(values)) for name, (dtype, values) in columns.items()
    )
    return table_sample(cols)


# -- the built-in registry ------------------------------------------------------------------


def test_builtin_registry_is_the_label_vocabulary_in_order() -> None:
    # models/ cannot import classifiers/, so the vocabulary keeps the names; they must agree.
    assert BUILTIN_ENTITIES.names == PII_ENTITIES
    assert set(BUILTIN_PATTERNS) == set(BUILTIN_ENTITIES.patterns())


def test_every_builtin_spec_is_complete_and_compiles() -> None:
    for spec in BUILTIN_ENTITIES:
        assert spec.source == "builtin" and spec.description and spec.tag
        assert spec.keywords, spec.name
        for pattern in (*spec.patterns, *filter(None, [spec.integer_pattern])):
            assert pattern.entity == spec.name
            assert pattern.validator is None or pattern.validator in VALIDATORS
        if spec.detector == "patterns":
            assert spec.patterns, spec.name
        else:
            assert not spec.patterns, spec.name
    compile_specs(BUILTIN_ENTITIES.patterns())


def test_default_tags_come_from_the_specs() -> None:
    from worker.core.settings import DEFAULT_TAGS, load_settings

    assert DEFAULT_TAGS == {s.name: s.default_tag for s in BUILTIN_ENTITIES}
    assert DEFAULT_TAGS["US_SSN"] == "PII SSN"
    assert load_settings(None).atlan.tag_for("US_SSN") == "PII SSN"


@pytest.mark.parametrize(
    ("entity", "value", "expected"),
    [
        ("EMAIL_ADDRESS", "john.doe@example.com", "j***@e***.com"),
        ("US_SSN", "123-45-6789", "***-**-6789"),
        ("CREDIT_CARD", "4111 1111 1111 1111", "**** **** **** 1111"),
        ("IBAN_CODE", "DE89 3704 0044 0532 0130 00", "DE** **** **** **** **30 00"),
        ("PHONE_NUMBER", "+1 415-555-0142", "+* ***-***-**42"),
        ("PERSON", "John Smith", "J*** S****"),
        ("IP_ADDRESS", "192.168.1.20", "192.*.*.*"),
        ("US_PASSPORT", "A12345678", "*********"),
        ("URL", "https://ex.com/a", "xxxxx://xx.xxx/x"),
    ],
)
def test_each_builtin_masks_as_its_spec_says(entity: str, value: str, expected: str) -> None:
    assert mask_as(BUILTIN_ENTITIES[entity].mask, value) == expected


def test_registry_rejects_duplicates_and_unknown_names() -> None:
    email = BUILTIN_ENTITIES["EMAIL_ADDRESS"]
    with pytest.raises(ValueError, match="declared twice"):
        EntityRegistry((email, email))
    with pytest.raises(ValueError, match="already declared"):
        BUILTIN_ENTITIES.extend([email])
    with pytest.raises(ValueError, match=r"unknown PII entities \['NOPE'\]"):
        BUILTIN_ENTITIES.select(["NOPE"])
    assert BUILTIN_ENTITIES.select(["URL", "PERSON"]).names == ("PERSON", "URL")
    with pytest.raises(ValueError, match="upper case"):
        EntitySpec("lower", "x")
    with pytest.raises(ValueError, match="is for"):
        EntitySpec("A_B", "x", patterns=(PatternSpec("C_D", "p", "x", None, 0.5),))


# -- adding an entity: one registry entry -----------------------------------------------------

BADGE = EntitySpec(
    "EMPLOYEE_BADGE",
    "an employee badge number",
    patterns=(PatternSpec("EMPLOYEE_BADGE", "badge", r"\bBDG-[0-9]{5}\b", None, 0.8),),
    keywords={"en": [("badge", 1.0)], "de": [("ausweis", 1.0)]},
    confidence=(0.8, 0.93),
    mask="stars",
    tag="PII Badge",
)


def _badges(n: int = 200) -> list[CellValue]:
    return [f"BDG-{10_000 + 37 * i:05d}" for i in range(n)]


@pytest.mark.parametrize("how", ["builtins", "extra_entities"])
def test_an_entity_added_only_to_the_registry_is_found_end_to_end(how: str) -> None:
    kwargs = (
        {"builtins": BUILTIN_ENTITIES.extend([BADGE])}
        if how == "builtins"
        else {"extra_entities": [BADGE]}
    )
    clf = PiiClassifier(**kwargs)  # type: ignore[arg-type]
    assert "EMPLOYEE_BADGE" in clf.labels
    amounts: list[CellValue] = [float(i) for i in range(200)]
    badge, named, amount = clf.classify(
        _table(
            col_7=("string", _badges()), ausweis=("string", _badges()), amount=("double", amounts)
        )
    )
    assert not amount.entities
    (plain,) = badge.entities
    assert plain.entity == "EMPLOYEE_BADGE" and plain.prevalence == 1.0
    assert plain.evidence.rule == "pattern.dense"
    assert plain.evidence.recognizers == ("badge",)
    assert plain.evidence.masked_examples and all(
        re.fullmatch(r"\*\*\*-\*{5}", m) for m in plain.evidence.masked_examples
    )
    (supported,) = named.entities
    assert supported.evidence.rule == "pattern.dense.name"
    assert supported.evidence.name_signal == "ausweis"
    assert supported.confidence > plain.confidence
    assert not clf.loaded  # no NER was needed for either column


def test_custom_entities_go_through_the_same_registry() -> None:
    custom = parse_custom_entities(
        "entities:\n  - name: EMPLOYEE_ID\n    regex: '^E-\\d{6}$'\n    keywords: [employee_no]\n",
        "c.yaml",
    )
    clf = PiiClassifier(custom_entities=custom)
    spec = clf.registry["EMPLOYEE_ID"]
    assert spec.source == "custom" and spec.confidence == (0.85, 0.95)
    assert spec.patterns[0].name == "custom:employee_id"
    assert clf.labels == (*PII_ENTITIES, "EMPLOYEE_ID")
    with pytest.raises(ValueError, match="EMPLOYEE_ID is declared twice"):
        PiiClassifier(custom_entities=custom, extra_entities=[custom[0].to_spec()])


# -- Presidio recognizer YAML ----------------------------------------------------------------

PRESIDIO = """\
recognizers:
  - name: Badge recognizer
    supported_language: en
    supported_entity: EMPLOYEE_BADGE
    patterns:
      - name: badge (strong)
        regex: "\\\\bbdg-\\\\d{5}\\\\b"
        score: 0.6
      - name: badge (weak)
        regex: "\\\\b\\\\d{5}\\\\b"
        score: 0.05
    context: [badge, staff]
  - name: Badge recognizer DE
    supported_language: de
    supported_entity: EMPLOYEE_BADGE
    patterns:
      - name: badge (strong)
        regex: "\\\\bbdg-\\\\d{5}\\\\b"
        score: 0.6
    context: [ausweis]
  - name: Titles recognizer
    supported_entity: TITLE
    supported_languages: [en]
    deny_list: [Mr., Mrs., Dr.]
    deny_list_score: 0.7
  - name: Disabled
    enabled: false
    supported_entity: US_SSN
    supported_language: en
    patterns: [{name: x, regex: "x", score: 0.1}]
"""


def test_presidio_yaml_becomes_one_spec_per_entity() -> None:
    badge, title = parse_presidio_recognizers(PRESIDIO, "r.yaml")
    assert badge.name == "EMPLOYEE_BADGE" and badge.source == "presidio"
    assert badge.confidence_from_patterns
    assert [p.name for p in badge.patterns] == [
        "Badge recognizer:badge (strong)",
        "Badge recognizer:badge (weak)",
    ]
    # Presidio's default flags (IGNORECASE, MULTILINE, DOTALL) travel as inline flags.
    assert badge.patterns[0].regex == r"(?ims)\bbdg-\d{5}\b"
    assert dict(badge.keywords) == {
        "en": [("badge", 1.0), ("staff", 1.0)],
        "de": [("ausweis", 1.0)],
    }
    assert badge.confidence[0] == 0.6
    assert badge.confidence[1] == pytest.approx(0.6 + CONTEXT_FACTOR)
    (deny,) = title.patterns
    assert deny.name == "Titles recognizer:deny_list" and deny.score == 0.7
    assert re.search(deny.regex, "Dear Mrs. Smith", re.ASCII)


def test_presidio_recognizers_run_on_distinct_values_like_the_builtins() -> None:
    specs = parse_presidio_recognizers(PRESIDIO, "r.yaml")
    clf = PiiClassifier(extra_entities=specs)
    titles: list[CellValue] = ["Mr.", "Mrs.", "Dr."] * 70
    badge, staff, title = clf.classify(
        _table(
            col_1=("string", _badges()),
            staff_code=("string", [str(b).lower() for b in _badges()]),
            salutation=("string", titles),
        )
    )
    (found,) = badge.entities
    # Presidio's scores: the mean score of the matching patterns ...
    assert found.entity == "EMPLOYEE_BADGE" and found.evidence.rule == "pattern.dense"
    assert found.evidence.recognizers == ("Badge recognizer:badge (strong)",)
    assert found.confidence == pytest.approx(0.6, abs=0.1)
    # ... raised by the context enhancement when the column name holds a context word.
    (supported,) = staff.entities
    assert supported.evidence.name_signal == "staff"
    assert supported.confidence == pytest.approx(context_score(0.6), abs=0.1)
    assert supported.confidence > found.confidence
    assert [e.entity for e in title.entities] == ["TITLE"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("recognizers: [", r"r.yaml, line \d+: not valid YAML"),
        ("", "r.yaml, the file: empty"),
        ("other: 1\n", "r.yaml, line 1: unknown key 'other'"),
        ("recognizers: {}\n", "r.yaml, line 1: 'recognizers' must be a list"),
        (
            "recognizers:\n  - name: X\n    type: predefined\n",
            "r.yaml, line 2: only custom .pattern. recognizers",
        ),
        (
            "recognizers:\n  - supported_entity: X_Y\n    patterns: []\n",
            "r.yaml, line 2: the recognizer has no 'name'",
        ),
        (
            "recognizers:\n  - name: A\n    supported_entity: X_Y\n    supported_language: en\n",
            "r.yaml, line 2: Presidio rejects this recognizer: .*patterns or with deny list",
        ),
        (
            "recognizers:\n  - name: A\n    supported_entity: X_Y\n    supported_language: en\n"
            "    patterns: [{name: p, regex: 'x', score: 2}]\n",
            "r.yaml, line 2: Presidio rejects this recognizer: Invalid score",
        ),
        (
            "recognizers:\n  - name: A\n    supported_entity: X_Y\n    supported_language: en\n"
            "    patterns: [{name: p, regex: '(', score: 0.5}]\n",
            "r.yaml, line 2: Presidio rejects this recognizer: Invalid regex",
        ),
        (
            "recognizers:\n  - name: A\n    supported_entity: US_SSN\n    supported_language: en\n"
            "    patterns: [{name: p, regex: 'x', score: 0.5}]\n",
            "r.yaml, line 2: US_SSN is a built-in entity",
        ),
        (
            "recognizers:\n  - name: A\n    supported_entity: badge\n    supported_language: en\n"
            "    patterns: [{name: p, regex: 'x', score: 0.5}]\n",
            "r.yaml, line 2: entity 'badge': upper case",
        ),
    ],
)
def test_bad_presidio_yaml_names_the_file_and_line(text: str, message: str) -> None:
    with pytest.raises(PresidioRecognizerError, match=message):
        parse_presidio_recognizers(text, "r.yaml")
