"""Given names or surnames alone, read beside the names of the same table (issue 16)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date

import pytest

from classifiers.pii import PiiClassifier
from classifiers.pii.gazetteer import NameGazetteer
from classifiers.pii.ner import ValueEntities
from classifiers.pii.profile import build_profile
from classifiers.pii.table_names import (
    TABLE_NAMES_RULE,
    may_hold_table_names,
    table_names_call,
    table_vocabulary,
)
from models import ColumnFinding, ColumnSample
from tests.support.tables import table_sample

GIVEN = ["anna", "peter", "maria", "jan", "lucas", "sofia", "hans", "claire", "giulia", "pedro",
         "ingrid", "jonas", "lena", "marco", "nina", "oskar", "paula", "rita", "sven", "tomas",
         "ulla", "vera", "wim", "xenia"]  # fmt: skip
#: Surnames the test gazetteer does not know (as it lacks Faker's German and Italian lists).
SURNAMES = [f"{stem}{end}" for stem in ("Quenz", "Brommer", "Kelzer", "Dornig", "Vasker", "Lindt")
            for end in ("hof", "mann", "ler", "ing", "ke")]  # fmt: skip
GAZ = NameGazetteer(frozenset(GIVEN), frozenset({"smith", "weber"}), frozenset({"dr"}))


class FakeNer:
    """Reads values of two words or more as persons, one word as something else."""

    loaded = True

    def load(self) -> None:
        """Nothing to load."""

    def analyse(self, texts: Sequence[str]) -> list[ValueEntities]:
        return [
            ValueEntities(" " in t.strip(), " " not in t.strip(), (t,) if " " in t else ())
            for t in texts
        ]


@pytest.fixture
def classifier(monkeypatch: pytest.MonkeyPatch) -> PiiClassifier:
    clf = PiiClassifier(today=date(2024, 6, 1))
    monkeypatch.setattr(clf, "_ner", FakeNer())
    monkeypatch.setattr(clf, "_gazetteer", GAZ)
    return clf


def _column(name: str, pick: Callable[[random.Random], str], rows: int = 300) -> ColumnSample:
    rng = random.Random(name)
    return ColumnSample(name, "string", tuple(pick(rng) for _ in range(rows)))


def _full_names(name: str = "full_name") -> ColumnSample:
    return _column(name, lambda r: f"{r.choice(GIVEN).title()} {r.choice(SURNAMES)}")


def _surnames(name: str = "c3") -> ColumnSample:
    return _column(name, lambda r: r.choice(SURNAMES))


def _emails() -> ColumnSample:
    return _column("email", lambda r: f"user{r.randrange(10**6)}@example.com")


def _person(findings: list[ColumnFinding], column: str) -> tuple[str | None, float] | None:
    finding = next(f for f in findings if f.column == column)
    for e in finding.entities:
        if e.entity == "PERSON":
            return e.evidence.rule, e.confidence
    return None


def test_surnames_beside_full_names_of_the_same_words_are_a_suggestion(
    classifier: PiiClassifier,
) -> None:
    findings = classifier.classify(table_sample([_full_names(), _surnames(), _emails()]))
    assert _person(findings, "full_name") is not None
    rule, confidence = _person(findings, "c3") or (None, 1.0)
    assert rule == TABLE_NAMES_RULE
    assert confidence < 0.9  # a suggestion: the review policy applies from 0.9


@pytest.mark.parametrize("name", ["c3", "amount", "telefon"])
def test_names_the_name_does_not_say_are_read(classifier: PiiClassifier, name: str) -> None:
    findings = classifier.classify(table_sample([_full_names(), _surnames(name)]))
    assert (_person(findings, name) or (None,))[0] == TABLE_NAMES_RULE


def test_without_the_full_names_the_unknown_surnames_stay_unfound(
    classifier: PiiClassifier,
) -> None:
    # The table is about people (e-mails), but nothing in it spells these surnames.
    findings = classifier.classify(table_sample([_emails(), _surnames()]))
    assert _person(findings, "c3") is None


def test_known_given_names_beside_other_person_data_are_a_suggestion(
    classifier: PiiClassifier,
) -> None:
    # 85% known, but of 30 distinct values: under the 0.8 of a name that says nothing, over
    # the 0.6 beside person data.
    unknown = ["Quorra", "Zelimir", "Ottfried", "Brunhild", "Wendelin", "Irmtraud"]
    given = _column(
        "c2", lambda r: r.choice(GIVEN).title() if r.random() < 0.85 else r.choice(unknown)
    )
    findings = classifier.classify(table_sample([_emails(), given]))
    assert (_person(findings, "c2") or (None,))[0] == TABLE_NAMES_RULE


def test_names_alone_in_a_table_about_nothing_personal_stay_unfound(
    classifier: PiiClassifier,
) -> None:
    amounts = ColumnSample("amount", "double", tuple(float(i) for i in range(300)))
    findings = classifier.classify(table_sample([amounts, _surnames()]))
    assert _person(findings, "c3") is None


@pytest.mark.parametrize("name", ["city", "product", "colour"])
def test_a_name_that_says_a_thing_keeps_the_rule_out(classifier: PiiClassifier, name: str) -> None:
    findings = classifier.classify(table_sample([_full_names(), _surnames(name)]))
    assert _person(findings, name) is None


def test_towns_of_which_some_are_surnames_stay_unfound(classifier: PiiClassifier) -> None:
    # Two towns in five are a surname of the table's people (``Jackson`` beside ``Ann
    # Jackson``): under the bar.
    towns = [f"Vill{end}" for end in ("ora", "enz", "ebon", "arik", "ussa", "anto")] * 4
    column = _column("c7", lambda r: r.choice(SURNAMES) if r.random() < 0.4 else r.choice(towns))
    findings = classifier.classify(table_sample([_full_names(), column]))
    assert _person(findings, "c7") is None


def test_a_short_list_is_a_code_list(classifier: PiiClassifier) -> None:
    column = _column("c3", lambda r: r.choice(SURNAMES[:15]))
    findings = classifier.classify(table_sample([_full_names(), column]))
    assert _person(findings, "c3") is None


def test_the_vocabulary_is_the_folded_words_of_full_names() -> None:
    assert table_vocabulary([["Hans-Peter Müller", "Anna de Vries", "J. Smith"]]) == {
        "hans", "peter", "muller", "anna", "de", "vries", "smith",
    }  # fmt: skip


def test_only_one_word_values_count() -> None:
    vocabulary = frozenset(p.lower() for p in SURNAMES)
    one = build_profile(_surnames())
    assert table_names_call(one, GAZ, vocabulary) is not None
    two = build_profile(_column("c3", lambda r: f"{r.choice(SURNAMES)} {r.choice(SURNAMES)}"))
    assert not may_hold_table_names(two, set())
    assert table_names_call(two, GAZ, vocabulary) is None
    hyphen = build_profile(_column("c3", lambda r: f"{r.choice(SURNAMES)}-{r.choice(SURNAMES)}"))
    assert table_names_call(hyphen, GAZ, vocabulary) is not None


def test_the_call_masks_nothing_itself_and_reports_counts() -> None:
    vocabulary = frozenset(p.lower() for p in SURNAMES)
    call = table_names_call(build_profile(_surnames()), GAZ, vocabulary)
    assert call is not None
    assert call.prevalence == pytest.approx(1.0)
    assert call.distinct_hits == len(SURNAMES)
    assert call.hits == 300
