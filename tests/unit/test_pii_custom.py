"""Custom entities from YAML: valid files load, broken ones name the line."""

from __future__ import annotations

import pytest

from classifiers.pii.custom import CustomEntityError, parse_custom_entities

GOOD = """\
entities:
  - name: EMPLOYEE_ID
    regex: '^E-\\d{6}$'
    keywords: [employee_id, Personalnummer]
    score: 0.9
  - name: LOYALTY_CARD
    regex: '^\\d{16}$'
    validator: luhn
"""


def test_good_file_loads() -> None:
    emp, loyalty = parse_custom_entities(GOOD, "custom.yaml")
    assert emp.name == "EMPLOYEE_ID" and emp.keywords == ("employee_id", "personalnummer")
    assert emp.score == 0.9 and emp.validator is None
    assert loyalty.validator == "luhn" and loyalty.score == 0.85


def test_empty_file_is_no_entities() -> None:
    assert parse_custom_entities("", "c.yaml") == ()
    assert parse_custom_entities("entities: []\n", "c.yaml") == ()


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("entities:\n  - name: X_ID\n    regex: '('\n", 3, "does not compile"),
        ("entities:\n  - name: X_ID\n    regex: '(?<=a)b'\n", 3, "RE2"),
        ("entities:\n  - name: lower\n    regex: 'a'\n", 2, "upper case"),
        ("entities:\n  - name: PERSON\n    regex: 'a'\n", 2, "built-in"),
        (
            "entities:\n  - name: X_ID\n    regex: 'a'\n    validator: nope\n",
            4,
            "unknown validator",
        ),
        ("entities:\n  - name: X_ID\n    regex: 'a'\n    colour: red\n", 4, "unknown key 'colour'"),
        ("entities:\n  - name: X_ID\n    regex: 'a'\n    score: 2\n", 4, "score"),
        ("entities:\n  - name: X_ID\n    regex: 'a'\n    keywords: id\n", 4, "keywords"),
        ("entities:\n  - name: X_ID\n", 2, "no 'regex'"),
        (
            "entities:\n  - name: X_ID\n    regex: 'a'\n  - name: X_ID\n    regex: 'b'\n",
            4,
            "declared twice",
        ),
        ("entitys: []\n", 1, "unknown key 'entitys'"),
        ("entities:\n  - name: [\n", 3, "not valid YAML"),
    ],
)
def test_broken_file_names_the_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(CustomEntityError) as info:
        parse_custom_entities(text, "custom.yaml")
    message = str(info.value)
    assert message.startswith(f"custom.yaml, line {line}:"), message
    assert fragment in message
