"""Free text without two capital letters is not sent to spaCy (issue 17), and that is exact.

A free-text PERSON call counts texts holding a full name (:func:`classifiers.pii.ner._full_name`:
two to four words starting with a capital letter); a text with fewer than two capitals cannot
hold one, so :func:`may_hold_full_name` is a necessary condition, never a guess.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from classifiers.pii import PiiClassifier
from classifiers.pii.ner import MAX_TEXT, _full_name, may_hold_full_name
from models import ColumnSample
from tests.support.tables import table_sample


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("met Jane Smith at the branch", True),
        ("ÉLODIE called back", True),
        ("my ssn is 123456789", False),
        ("Whatever economy paper nature.", False),
        ("customer called about the refund", False),
        ("ǅemal called", False),  # a title-case letter is not upper case, as in _full_name
        ("x" * MAX_TEXT + " Jane Smith", False),  # past what NER reads
    ],
)
def test_may_hold_full_name(text: str, expected: bool) -> None:
    assert may_hold_full_name(text) is expected


def test_no_span_of_a_text_with_fewer_than_two_capitals_is_a_full_name() -> None:
    """Every run of words of many texts: when the gate says no, no span is a full name."""
    words = ["Jane", "smith", "van", "der", "Berg", "é", "Ödön", "ǅemal", "(Li", "O'neil", "ab"]
    rng = random.Random(17)
    checked = 0
    for _ in range(3000):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 6)))
        if may_hold_full_name(text):
            continue
        tokens = text.split()
        for i, j in itertools.combinations(range(len(tokens) + 1), 2):
            assert not _full_name(" ".join(tokens[i:j])), text
            checked += 1
    assert checked > 1000


class _CountingNer:
    """Wraps the classifier's spaCy NER and records the texts it is asked to read."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.texts: list[str] = []

    def analyse(self, texts: list[str]) -> Any:
        self.texts.extend(texts)
        return self.inner.analyse(texts)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _notes(rows: int, capitalised_share: float, seed: int = 3) -> tuple[str, ...]:
    rng = random.Random(seed)
    names = ["Jane Smith", "Omar Haddad", "Lucia Bianchi", "Kenji Sato", "Ana Souza"]
    out = []
    for i in range(rows):
        note = f"customer called about order {1000 + i} and asked for a refund of {i % 90} eur"
        if rng.random() < capitalised_share:
            note = f"Spoke to {rng.choice(names)} about order {1000 + i}, refund agreed"
        out.append(note)
    return tuple(out)


def test_lower_case_notes_are_not_read_by_ner_and_named_ones_are() -> None:
    clf = PiiClassifier()
    clf.load()
    spy = _CountingNer(clf._ner)
    clf._ner = spy  # type: ignore[assignment]
    plain = ColumnSample("notes", "string", _notes(400, 0.0))
    found = clf.classify(table_sample((plain,), "s3://lake/t/notes.csv"))
    assert spy.texts == [] and not found[0].entities
    named = ColumnSample("notes", "string", _notes(400, 0.3))
    found = clf.classify(table_sample((named,), "s3://lake/t/notes.csv"))
    assert spy.texts and all(may_hold_full_name(t) for t in spy.texts)
    assert {e.entity for e in found[0].entities} == {"PERSON"}
