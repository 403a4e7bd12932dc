"""Given names or surnames alone, read beside the names of the same table (issue 16)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date

import pytest

from classifiers.pii import PiiClassifier
from classifiers.pii.decide import VALUES_ONLY_PERSON_CONFIDENCE
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
_STEMS = ("Quenz", "Brommer", "Kelzer", "Dornig", "Vasker", "Lindt", "Orsch", "Pfalt", "Rumbel",
          "Stiegl", "Trautz", "Wemper")  # fmt: skip
_ENDS = ("hof", "mann", "ler", "ing", "ke", "rath", "bach", "stedt", "wald", "el")
SURNAMES = [f"{stem}{end}" for stem in _STEMS for end in _ENDS]
GAZ = NameGazetteer(frozenset(GIVEN), frozenset({"smith", "weber"}), frozenset({"dr"}))


class FakeNer:
    """Reads values of two words or more as persons, one word as something else.

    (Sentences too: free text naming people in every row.)
    """

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
    # Every surname appears (the table's vocabulary holds them all).
    rng = random.Random(name)
    return ColumnSample(
        name,
        "string",
        tuple(f"{rng.choice(GIVEN).title()} {SURNAMES[i % len(SURNAMES)]}" for i in range(300)),
    )


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
    # A suggestion: the review policy applies from 0.9.
    assert confidence == pytest.approx(VALUES_ONLY_PERSON_CONFIDENCE)


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


def _mostly_known_given(rng: random.Random) -> str:
    # 85% known, but of 30 distinct values: under the 0.8 of the gazetteer's own rules, over
    # the 0.6 of this one.
    unknown = ["Quorra", "Zelimir", "Ottfried", "Brunhild", "Wendelin", "Irmtraud"]
    return rng.choice(GIVEN).title() if rng.random() < 0.85 else rng.choice(unknown)


def test_known_given_names_beside_full_names_are_a_suggestion(classifier: PiiClassifier) -> None:
    given = _column("c2", _mostly_known_given)
    findings = classifier.classify(table_sample([_full_names(), given]))
    assert (_person(findings, "c2") or (None,))[0] == TABLE_NAMES_RULE


def test_known_names_beside_other_person_data_but_no_full_names_stay_unfound(
    classifier: PiiClassifier,
) -> None:
    # The gazetteer alone on this bar would take pets' names or US counties beside e-mails.
    given = _column("c2", _mostly_known_given)
    findings = classifier.classify(table_sample([_emails(), given]))
    assert _person(findings, "c2") is None


def test_free_text_naming_people_gives_no_vocabulary(classifier: PiiClassifier) -> None:
    # Ticket notes name people (PERSON, free text), and their words are any words: a topic
    # column of words from the notes is no column of names.
    topics = [f"{stem}{end}" for stem in ("Refund", "Billing", "Warranty", "Shipping", "Login")
              for end in ("", "Issue", "Delay", "Error", "Request", "Change")]  # fmt: skip
    notes = _column(
        "notes",
        lambda r: (
            f"{r.choice(GIVEN).title()} {r.choice(SURNAMES)} called about the "
            f"{r.choice(topics)} ticket and asked for a follow up call tomorrow {r.random()}"
        ),
    )
    topic = _column("c5", lambda r: r.choice(topics))
    findings = classifier.classify(table_sample([notes, _emails(), topic]))
    assert _person(findings, "notes") is not None
    assert _person(findings, "c5") is None


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


@pytest.mark.parametrize(("share", "found"), [(0.4, False), (0.63, False), (0.8, True)])
def test_towns_of_which_some_are_surnames(
    classifier: PiiClassifier, share: float, found: bool
) -> None:
    # Towns named like the table's people (``Jackson`` beside ``Ann Jackson``). At 0.63 of
    # some 200 distinct values the share clears 0.6 but the lower end of its interval does not.
    towns = [f"Vill{a}{b}" for a in "abcdefghijklmnopqrst" for b in "aeiouy"]
    column = _column("c7", lambda r: r.choice(SURNAMES) if r.random() < share else r.choice(towns))
    findings = classifier.classify(table_sample([_full_names(), column]))
    assert (_person(findings, "c7") is not None) is found


@pytest.mark.parametrize(("distinct", "found"), [(15, False), (19, False), (20, True)])
def test_a_short_list_is_a_code_list(classifier: PiiClassifier, distinct: int, found: bool) -> None:
    column = _column("c3", lambda r: r.choice(SURNAMES[:distinct]))  # not a code list by its ratio
    findings = classifier.classify(table_sample([_full_names(), column]))
    assert (_person(findings, "c3") is not None) is found


def test_a_call_on_the_most_frequent_values_says_it_is_estimated(
    classifier: PiiClassifier,
) -> None:
    # 450 distinct surnames (each twice), of which the 400 first are read.
    many = [f"{s}{i}" for s in SURNAMES for i in "abcd"][:450]
    column = ColumnSample("c3", "string", tuple(many * 2))
    full = _column("full_name", lambda r: f"{r.choice(GIVEN).title()} {r.choice(many)}", 900)
    finding = next(f for f in classifier.classify(table_sample([full, column])) if f.column == "c3")
    person = next(e for e in finding.entities if e.entity == "PERSON")
    assert person.evidence.rule == TABLE_NAMES_RULE
    assert person.evidence.estimated
    assert (person.evidence.matched_distinct, person.evidence.candidate_distinct) == (400, 450)


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
    column = _surnames()
    call = table_names_call(build_profile(column), GAZ, vocabulary)
    assert call is not None
    assert call.prevalence == pytest.approx(1.0)
    assert call.distinct_hits == len(set(column.values))
    assert call.type_signal is not None and "100%" in call.type_signal
    assert call.hits == 300
