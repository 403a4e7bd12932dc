"""PERSON evidence from a probe says so (issue 17): ``Evidence.estimated`` for NER and gazetteer.

The PERSON call of a value column reads the shares of a probe: the name gazetteer looks up the
most frequent distinct values (:data:`~classifiers.pii.classifier.GAZETTEER_ROUNDS`), NER reads
at most :data:`~classifiers.pii.classifier.NER_MAX_VALUES` of them in rounds that stop early.
When the probe saw fewer distinct values than the column offers, the finding's hits and shares
are estimates: its evidence is marked, with ``matched_distinct`` the distinct values looked at
and ``candidate_distinct`` the ones the column offered (free text: those NER would read, at
least :data:`~classifiers.pii.classifier.TEXT_MIN_CHARS` characters). A probe of every value is
exact and unmarked. Only the evidence changes: entities, confidences, rules and counts are
those of the unmarked call.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest
from faker import Faker

from classifiers.pii import PiiClassifier
from classifiers.pii.classifier import NER_MAX_VALUES, TEXT_MIN_CHARS
from models import ColumnFinding, ColumnSample, EntityFinding
from tests.support.tables import table_sample

TODAY = date(2026, 1, 1)


@pytest.fixture(scope="module")
def clf() -> PiiClassifier:
    """One classifier for the module (spaCy loads once); patches apply to its class."""
    return PiiClassifier(today=TODAY)


def _names(count: int, seed: int) -> list[str]:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return [fake.unique.name() for _ in range(count)]


def _person(finding: ColumnFinding) -> EntityFinding:
    [person] = [e for e in finding.entities if e.entity == "PERSON"]
    return person


def _unmarked(finding: EntityFinding) -> EntityFinding:
    evidence = replace(
        finding.evidence, estimated=False, matched_distinct=None, candidate_distinct=None
    )
    return replace(finding, evidence=evidence)


@pytest.fixture
def without_gazetteer(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Send every name column to NER (the gazetteer decides none)."""
    monkeypatch.setattr(PiiClassifier, "_gazetteer_decides", lambda self, col: False)
    yield


def test_gazetteer_probe_of_part_of_a_large_column_is_marked(clf: PiiClassifier) -> None:
    names = _names(1000, 3)
    [finding] = clf.classify(table_sample([ColumnSample("full_name", "string", tuple(names))]))
    person = _person(finding)
    ev = person.evidence
    assert "name-gazetteer" in ev.recognizers
    assert ev.estimated
    assert ev.candidate_distinct == 1000
    assert ev.matched_distinct is not None and 0 < ev.matched_distinct < 1000


def test_gazetteer_probe_of_every_value_is_exact(clf: PiiClassifier) -> None:
    names = _names(40, 4)
    [finding] = clf.classify(table_sample([ColumnSample("full_name", "string", tuple(names * 25))]))
    ev = _person(finding).evidence
    assert "name-gazetteer" in ev.recognizers
    assert not ev.estimated
    assert ev.matched_distinct is None and ev.candidate_distinct is None


@pytest.mark.usefixtures("without_gazetteer")
def test_ner_probe_of_part_of_a_value_column_is_marked(clf: PiiClassifier) -> None:
    names = _names(300, 5)
    [finding] = clf.classify(table_sample([ColumnSample("customer_name", "string", tuple(names))]))
    ev = _person(finding).evidence
    assert "spacy-ner" in ev.recognizers
    assert ev.estimated
    assert ev.candidate_distinct == 300
    assert ev.matched_distinct is not None and 0 < ev.matched_distinct <= NER_MAX_VALUES


@pytest.mark.usefixtures("without_gazetteer")
def test_ner_probe_of_every_value_is_exact(clf: PiiClassifier) -> None:
    names = _names(20, 6)
    [finding] = clf.classify(
        table_sample([ColumnSample("customer_name", "string", tuple(names * 50))])
    )
    ev = _person(finding).evidence
    assert "spacy-ner" in ev.recognizers
    assert not ev.estimated
    assert ev.matched_distinct is None and ev.candidate_distinct is None


def test_free_text_probe_counts_the_texts_ner_would_read(clf: PiiClassifier) -> None:
    fake = Faker("en_US")
    fake.seed_instance(7)
    texts = [f"Spoke with {fake.unique.name()} about the late delivery" for _ in range(400)]
    texts += ["ok", "n/a"] * 50  # too short for NER: not offered
    [finding] = clf.classify(table_sample([ColumnSample("notes", "string", tuple(texts))]))
    ev = _person(finding).evidence
    assert ev.rule == "ner.text"
    assert ev.estimated
    assert ev.candidate_distinct == sum(1 for t in set(texts) if len(t) >= TEXT_MIN_CHARS)
    assert ev.matched_distinct is not None and 0 < ev.matched_distinct <= NER_MAX_VALUES


def test_only_the_evidence_marker_changes(
    clf: PiiClassifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entities, confidences, rules, counts and examples are those of the unmarked call."""
    columns = [
        ColumnSample("full_name", "string", tuple(_names(600, 8))),
        ColumnSample("first_name", "string", tuple(n.split()[0] for n in _names(600, 9))),
        ColumnSample("email", "string", tuple(f"u{i}@example.com" for i in range(600))),
    ]
    sample = table_sample(columns)
    marked = clf.classify(sample)
    monkeypatch.setattr(PiiClassifier, "_note_probe", staticmethod(lambda *args: None))
    before = clf.classify(sample)
    assert any(e.evidence.estimated for c in marked for e in c.entities if e.entity == "PERSON")
    for new, old in zip(marked, before, strict=True):
        assert [e.entity for e in new.entities] == [e.entity for e in old.entities]
        for e_new, e_old in zip(new.entities, old.entities, strict=True):
            if e_new.entity == "PERSON":
                assert _unmarked(e_new) == _unmarked(e_old)
            else:
                assert e_new == e_old
