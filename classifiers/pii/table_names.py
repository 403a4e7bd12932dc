"""Given names or surnames alone, read beside the names of the same table (issue 16).

The name gazetteer (:mod:`classifiers.pii.gazetteer`) leaves out the lists of Faker's German,
Austrian, Italian and Brazilian locales for their terms (CC BY-SA or none stated), and
mimesis's lists are short: a Faker ``de_DE`` column of surnames alone reads 38% known names,
an ``it_IT`` one 28%, against the 80% a one-word column under a name that says nothing needs
(:data:`~classifiers.pii.classifier.GAZETTEER_HIT_UNNAMED`: Faker's towns, streets and plain
words read up to 0.55, lists of other things' names about 0.7). Under ``c3`` or ``amount``
such a column went unfound.

A column of such names rarely stands alone: the full names beside it are written with the
same given names and surnames. So beside a column of full names called PERSON, a one-word
column whose values are known names *or words of the table's full names* is PERSON on a lower
bar, :data:`TABLE_NAMES_HIT`, as a suggestion (rule :data:`TABLE_NAMES_RULE`, confidence
:data:`~classifiers.pii.decide.VALUES_ONLY_PERSON_CONFIDENCE`). Faker's ``de_DE`` given names
read 0.77-0.79 so and its surnames 0.68-0.74 (seeds 5-7, beside 300 full names); one-word
towns, companies, streets, jobs, colours and words of twelve locales at most 0.46 (``pt_BR``
towns and companies), month names 0.58 (twelve distinct: under the floor). Without full names the
gazetteer alone would decide on this bar, and pets' names or US counties beside an e-mail
column clear it (0.8 known): nothing is read then. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from classifiers.pii.decide import (
    NOT_PERSON_TOKENS,
    VALUES_ONLY_PERSON_CONFIDENCE,
    Candidate,
    wilson_z,
)
from classifiers.pii.gazetteer import NameGazetteer, name_parts
from classifiers.pii.profile import ColumnProfile

TABLE_NAMES_RULE: Final = "person.table_names"
#: The lower end of the interval (normal quantile :data:`TABLE_NAMES_Z`) of the share of
#: one-word values that are known names or words of the table's full names.
TABLE_NAMES_HIT: Final = 0.6
TABLE_NAMES_Z: Final = 2.0
#: At least this many distinct values read as names (a short list is a code list).
TABLE_NAMES_DISTINCT: Final = 20
#: Distinct values read, the most frequent first (the gazetteer's last round).
TABLE_NAMES_VALUES: Final = 400
#: Distinct full names whose words make the table's vocabulary, per column.
VOCABULARY_VALUES: Final = 2000


def table_vocabulary(columns: Iterable[Sequence[str]]) -> frozenset[str]:
    """The folded words of the full names of a table's PERSON columns.

    :param columns: per PERSON column of several words, its distinct values, the most frequent
        first; at most :data:`VOCABULARY_VALUES` of each are read.
    """
    words: set[str] = set()
    for texts in columns:
        for text in texts[:VOCABULARY_VALUES]:
            words.update(p for p in name_parts(text) if len(p) > 1)
    return frozenset(words)


def may_hold_table_names(profile: ColumnProfile, tokens: Iterable[str]) -> bool:
    """Whether the column is one the rule reads: one-word name-shaped values, no code list.

    Strings, not free text or a code list, one word on average, nearly all name-shaped, few
    street words, no organisation marks, under a name that says no place, organisation,
    product, colour or other thing (:data:`~classifiers.pii.decide.NOT_PERSON_TOKENS`: a town
    column of a people table is often named for people, ``Jackson``, ``Madison``).
    """
    return (
        profile.kind == "string"
        and not profile.free_text
        and not profile.enum_like
        and profile.mean_words < 1.5
        and profile.name_shape >= 0.9
        and profile.street_word < 0.3
        and profile.org_marker < 0.2
        and NOT_PERSON_TOKENS.isdisjoint(tokens)
    )


def table_names_call(
    profile: ColumnProfile, gazetteer: NameGazetteer, vocabulary: frozenset[str]
) -> Candidate | None:
    """PERSON, as a suggestion, for one-word names read against the gazetteer and the table.

    A value counts when it is one word (hyphenated compounds are one: ``Hans-Peter``) and each
    of its parts is a known given or family name or a word of ``vocabulary``
    (:func:`table_vocabulary`). The column is PERSON when the lower end of the interval of
    the counted share (by occurrence) clears :data:`TABLE_NAMES_HIT` with at least
    :data:`TABLE_NAMES_DISTINCT` distinct values counted. The caller checks
    :func:`may_hold_table_names` and that the table has full names (``vocabulary``).
    """
    texts = profile.texts[:TABLE_NAMES_VALUES]
    counts = profile.counts[:TABLE_NAMES_VALUES]
    total = hits = squares = 0.0
    found: list[str] = []
    for text, count in zip(texts, counts, strict=True):
        total += count
        squares += count * count
        if len(text.split()) != 1:
            continue
        parts = name_parts(text)
        if parts and all(
            p in gazetteer.given or p in gazetteer.family or p in vocabulary for p in parts
        ):
            hits += count
            found.append(text)
    if not total or len(found) < TABLE_NAMES_DISTINCT:
        return None
    share = hits / total
    low, high = wilson_z(share, total * total / squares, TABLE_NAMES_Z)
    if low < TABLE_NAMES_HIT:
        return None
    return Candidate(
        "PERSON",
        confidence=VALUES_ONLY_PERSON_CONFIDENCE,
        prevalence=share,
        hits=round(share * profile.n),
        distinct_hits=len(found),
        interval=(low, high),
        recognizers=("name-gazetteer", "table-names"),
        examples=found[:3],
        type_signal=f"one-word names {share:.0%} beside the table's full names",
        rule=TABLE_NAMES_RULE,
    )
