"""Combine the signals about one column into entity decisions with calibrated confidence.

Inputs are numbers, never raw values leaving the worker: pattern tallies (weighted counts of
matches and validator passes), the column-name signals, the value profile, NER shares and
date statistics. Each rule below says which evidence it needs; the confidence of a rule is a
fixed base for its evidence (what the benchmark showed such calls are worth) scaled down when
the prevalence interval only just clears its threshold.

Rules, in words:

* A dense column gets an entity when the lower end of the 95% Wilson interval of its
  prevalence clears the threshold; a column name that supports the entity lowers the threshold
  (it can support), a name that marks a count/flag/id raises it (it can never outweigh values).
* Weak formats (9-digit SSNs without dashes, passport and driver-licence numbers, phone
  numbers stored as integers) need the column name too: the digits alone are any identifier.
* Free text gets every entity found in at least ``text_min_share`` of its values.
* A strongly validated entity (check digit, mod-97, e-mail with a real TLD) found in fewer
  values than the threshold is reported as sparse, with its small prevalence and a low
  confidence, never inflated and never dropped.
* PERSON comes from NER (or the name gazetteer's known-name share, in NER's form) on
  name-shaped values, weighed against organisation/place labels and the column name;
  STREET_ADDRESS from address shapes and street words; DATE_OF_BIRTH from dates whose ages
  are plausible, with or without a name that says birth.

Which entity is strong, weak or embedded, and its base confidences, come from its
:class:`~classifiers.pii.entities.EntitySpec`. Every candidate names the rule that set its
confidence (``Evidence.rule``, as Presidio's ``AnalysisExplanation`` names the pattern):
``pattern.dense``, ``pattern.dense.name``, ``pattern.dense.derated``, ``pattern.text``,
``pattern.sparse``; ``ner.text``, ``ner.name_strong``, ``ner.name_support``,
``ner.neighbours``, ``ner.share``, ``ner.sparse``; ``address.text``,
``address.shape_and_word``, ``address.shape_name``, ``address.shape_neighbours``,
``address.word_name``; ``birth_date.name``, ``birth_date.ages``; ``ner.people_role`` (a few
staff names repeated in a column whose name or neighbour says people);
``pattern.opaque_validated`` (a weak format in a column with a meaningless name, every value
passing a strict check, or a BSN under any name but a numbering's: a low-confidence
suggestion, kept only in a table holding other person data); ``phone.name_shape`` (values
written as phone numbers that no pattern takes, in a column whose name strongly says phone);
and suggestions from the values alone, under the apply threshold, where the name says
otherwise: ``person.values_only`` (names under ``product`` or ``konto_id``, read by the
gazetteer, or by it and NER), ``pattern.dense.format_alone`` (IP addresses or URLs under an
id, date or count name), ``birth_date.all_ages`` (dates of birth of every age, kept only in a
table holding other person data), ``birth_date.name_recent`` (a birth name over dates nearly
all of the last five years: infants, or event dates misnamed), ``phone.values_only`` (values
written as phone numbers, with a ``+`` or an area code in parentheses, or Chinese mobile
numbers, under any name).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from classifiers.masking import mask_as
from classifiers.pii.entities.builtin import BUILTIN_ENTITIES
from classifiers.pii.entities.presidio import context_score
from classifiers.pii.entities.spec import EntityRegistry, EntitySpec, MaskKind
from classifiers.pii.profile import ColumnProfile
from classifiers.pii.validators import CN_MOBILE, kr_rrn_dated, phone_shaped, phone_valid
from models import EntityFinding, Evidence

#: Entities whose validator makes a single hit meaningful (reported when sparse).
STRONG = frozenset(s.name for s in BUILTIN_ENTITIES if s.validated_alone)
#: Entities whose format alone is any identifier: the column name must support them.
WEAK = frozenset(s.name for s in BUILTIN_ENTITIES if s.needs_name)

#: Column-name tokens that say "not a person" (a city, a company, a product ...).
NOT_PERSON_TOKENS = frozenset(
    """city town ville stadt ort ciudad citta stad cidade country land pays pais paese
    company firma entreprise empresa societe azienda bedrijf merchant vendor supplier
    store shop brand product produkt produit producto item sku article artikel category
    kategorie status state region province department team street strasse rue calle
    file filename host hostname domain server device model title subject agent browser
    project account bank hotel restaurant airport station school university venue
    plaats woonplaats gemeente localite localidad municipio comune provincia kanton
    wohnort stadtteil bezirk district county village quartier
    code codename sku variant release version job title position role poste beruf
    profession occupation puesto cargo function designation grade level team
    color colour couleur farbe kleur colore cor shade""".split()
)
#: Column-name tokens for people in a role; they support PERSON like an ambiguous "name".
ROLE_TOKENS = frozenset(
    """assignee owner agent author reviewer approver manager requester reporter recipient
    sender driver patient employee staff user customer client member buyer seller
    salesperson rep representative supervisor teacher student doctor physician nurse
    contact holder beneficiary signatory""".split()
)


#: Column-name tokens of version strings: four dotted numbers there are not IP addresses.
VERSION_TOKENS = frozenset(
    """version versions ver build release firmware fw sdk sw rev revision patch""".split()
)
#: Weak entities an opaque column may be suggested as when every value passes a strict check.
OPAQUE_VALIDATED = frozenset({"US_SSN", "US_PASSPORT", "US_DRIVER_LICENSE", "NL_BSN", "KR_RRN"})
#: Of those, the ones whose check no run of codes passes by chance, under any name that does
#: not say what they are (``achternaam``, ``성`` in a misnamed table), not only an opaque one:
#: one random number in eleven passes the BSN's eleven test, so twenty in a row one time in
#: 10^20; one random dashed code in thirty is a dated RRN, and a people's RRNs' sex digits
#: give them plausible birth years (:func:`_rrn_people`). US SSNs' area rules pass nine
#: random numbers in ten.
VALIDATED_ANY_NAME = frozenset({"NL_BSN", "KR_RRN"})
#: Of those, the ones a numbering's name (:func:`~classifiers.pii.names.is_numbering_name`:
#: ``klantnummer``, ``code``) rules out: Dutch customer and account numbers are often made to
#: pass the eleven test. A numbering written as RRNs are has implausible birth years
#: (:func:`_rrn_people`).
NUMBERING_RULES_OUT = frozenset({"NL_BSN"})


@dataclass(frozen=True, slots=True)
class _RoleSignal:
    entity: str
    keyword: str
    strength: float


_DATE_CONTRARY = frozenset(
    """created updated modified order ordered ship shipped delivery start end expiry expires
    expiration valid due paid purchase purchased hire hired joined signup registered
    login last first event transaction posted published release issued founded foundation
    established inception opened opening built construction constructed acquired acquisition
    effective premiere premiered aired broadcast incorporated incorporation launched launch
    completed closed discovered recorded observed measured sampled collected visit visited
    admission admitted discharge discharged death died deceased""".split()
)


class TallyLike(Protocol):
    """What :func:`decide_column` reads from a pattern tally (see ``patterns.PatternTally``)."""

    entity: str
    spec: str
    full: int
    contained: int
    validated: int
    checked: int
    distinct_full: int
    example_values: list[str]

    @property
    def score(self) -> float:
        """Mean base score of the patterns that validated the values (0.0 when none did)."""
        ...


class NameSignalLike(Protocol):
    """A column-name signal (see ``names.NameSignal``); read-only."""

    @property
    def entity(self) -> str:
        """The entity the name supports."""
        ...

    @property
    def keyword(self) -> str:
        """The keyword that matched."""
        ...

    @property
    def strength(self) -> float:
        """1.0 unambiguous, about 0.5 ambiguous."""
        ...


@dataclass(frozen=True, slots=True)
class DecisionConfig:
    """Thresholds of the rules; part of the classifier's version.

    :param dense_threshold: prevalence lower bound a column needs without name support.
    :param supported_threshold: the same with a supporting column name.
    :param derated_threshold: the same when the name marks a count/flag/id column.
    :param text_min_share: share of free-text values an entity needs.
    :param sparse_min_hits: validated hits a sparse strong entity needs.
    :param opaque_confidence: confidence of ``pattern.opaque_validated`` calls; below the
        review policy's apply threshold (``atlan.apply_threshold``, 0.9 by default) so that
        they are suggestions for a steward, never applied tags.
    """

    dense_threshold: float = 0.5
    supported_threshold: float = 0.3
    derated_threshold: float = 0.8
    text_min_share: float = 0.05
    sparse_min_hits: int = 2
    opaque_confidence: float = 0.5


@dataclass(frozen=True, slots=True)
class NerStats:
    """NER over a column's distinct values, weighted by occurrence.

    :param analysed: weighted values analysed.
    :param person: weighted values whose PERSON span covers at least half of the value.
    :param other: weighted values mostly labelled organisation/place.
    :param with_person: weighted values containing any PERSON span (free text).
    :param distinct_person: distinct values with a whole-value PERSON span.
    :param examples: up to three values with a PERSON span (masked before leaving).
    """

    analysed: int
    person: int
    other: int
    with_person: int
    distinct_person: int
    examples: tuple[str, ...] = ()


@dataclass(slots=True)
class Candidate:
    """One entity decided for one column, before it becomes an :class:`EntityFinding`."""

    entity: str
    confidence: float
    prevalence: float
    hits: int
    distinct_hits: int
    interval: tuple[float, float]
    recognizers: tuple[str, ...]
    examples: list[str] = field(default_factory=list)
    name_signal: str | None = None
    validator_pass_rate: float | None = None
    type_signal: str | None = None
    sparse: bool = False
    neighbours: tuple[str, ...] = ()
    rule: str | None = None

    def to_finding(
        self, profile: ColumnProfile, classifier: str, mask: MaskKind | None = None
    ) -> EntityFinding:
        """The reportable finding; raw examples are masked here and nowhere later.

        :param mask: how to mask the examples (default: the built-in entity's mask, else the
            shape mask).
        """
        if mask is None:
            spec = BUILTIN_ENTITIES.get(self.entity)
            mask = spec.mask if spec is not None else "shape"
        masked = tuple(dict.fromkeys(mask_as(mask, e) for e in self.examples))[:3]
        return EntityFinding(
            entity=self.entity,
            confidence=round(min(max(self.confidence, 0.0), 1.0), 3),
            prevalence=round(self.prevalence, 4),
            classifier=classifier,
            evidence=Evidence(
                sampled=profile.n,
                hits=self.hits,
                distinct_hits=self.distinct_hits,
                mean_score=round(min(max(self.confidence, 0.0), 1.0), 4),
                recognizers=self.recognizers,
                masked_examples=masked,
                name_signal=self.name_signal,
                prevalence_interval=(round(self.interval[0], 4), round(self.interval[1], 4)),
                validator_pass_rate=self.validator_pass_rate,
                type_signal=self.type_signal,
                distinct_ratio=round(profile.distinct_ratio, 4),
                sparse=self.sparse,
                neighbours=self.neighbours,
                rule=self.rule,
            ),
        )


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion ``hits / n`` (``(0, 1)`` when ``n`` is 0)."""
    if n <= 0:
        return (0.0, 1.0)
    p = hits / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def wilson_z(p: float, n: float, z: float) -> tuple[float, float]:
    """Wilson interval of a share ``p`` observed on ``n`` (effective, maybe fractional) units.

    ``(0, 1)`` when ``n`` is 0; ``p`` is clipped to [0, 1].
    """
    if n <= 0:
        return (0.0, 1.0)
    p = min(max(p, 0.0), 1.0)
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def _scaled(base: float, low: float, threshold: float) -> float:
    """``base`` when the interval clears the threshold comfortably, less when only just."""
    margin = min(1.0, (low - threshold) / max(0.15, 1 - threshold) + 0.6)
    return base * (0.85 + 0.15 * margin)


def _name_tokens(name: str) -> set[str]:
    from classifiers.pii.names import tokenize

    return set(tokenize(name))


def _formatted(tally: TallyLike) -> bool:
    """Whether the examples carry separators (``123-45-6789``, not ``123456789``)."""
    return any("-" in e or " " in e for e in tally.example_values)


def _spec(entities: EntityRegistry, entity: str) -> EntitySpec:
    # A tally for an entity the registry does not know (a caller's own spec) gets the
    # defaults of a custom entity.
    spec = entities.get(entity)
    return spec if spec is not None else EntitySpec(entity, entity, source="custom")


def _base(spec: EntitySpec, tally: TallyLike, supported: bool) -> float:
    """The confidence of a dense call before it is scaled by the interval's margin."""
    if spec.confidence_from_patterns:
        return context_score(tally.score) if supported else tally.score
    return spec.confidence[1] if supported else spec.confidence[0]


def decide_pattern_entities(
    profile: ColumnProfile,
    tallies: Mapping[str, TallyLike],
    names: Mapping[str, NameSignalLike],
    derated: str | None,
    cfg: DecisionConfig,
    entities: EntityRegistry = BUILTIN_ENTITIES,
    opaque: bool = False,
    today: date | None = None,
) -> list[Candidate]:
    """Entities from validated patterns: dense, free-text or sparse (see the module doc).

    :param entities: the specs of the entities in ``tallies`` (their confidences and rules).
    :param opaque: the column's name says nothing (``col7``): weak formats whose every value
        passes a strict check become ``pattern.opaque_validated`` suggestions (those of
        :data:`VALIDATED_ANY_NAME` under any name that does not say them).
    :param today: the day the ages of Korean RRNs' birth dates are counted from (``None``:
        the system's).
    """
    out: list[Candidate] = []
    n = profile.n
    if n == 0:
        return out
    integer = profile.kind == "integer"
    # Formatted values of one kind ("+33 (0)5 67 41 65 08") have words and length like prose,
    # but a column where one pattern covers most values is a value column, not free text.
    free_text = profile.free_text and not any(t.full >= 0.5 * n for t in tallies.values())
    for entity, tally in tallies.items():
        spec = _spec(entities, entity)
        signal = names.get(entity)
        supported = signal is not None and signal.strength >= 0.4
        if free_text and not integer:
            cand = _text_candidate(entity, spec, tally, signal, supported, n, cfg)
        else:
            cand = _value_candidate(entity, spec, tally, signal, supported, profile, derated, cfg)
            if (
                cand is None
                and not supported
                and not derated
                and (opaque or _validated_any_name(entity, profile.name))
            ):
                cand = _opaque_validated(entity, tally, profile, cfg, today or date.today())
        if cand is not None:
            out.append(cand)
    out = [c for c in out if not (c.entity == "IP_ADDRESS" and _not_ip(profile, names, c))]
    return _resolve_dense([c for c in out if c.confidence > 0])


def _validated_any_name(entity: str, name: str) -> bool:
    """Whether ``entity`` may be an opaque-validated suggestion under the name ``name``.

    :data:`VALIDATED_ANY_NAME`, but for the :data:`NUMBERING_RULES_OUT` under a numbering.
    """
    from classifiers.pii.names import is_numbering_name

    if entity not in VALIDATED_ANY_NAME:
        return False
    return entity not in NUMBERING_RULES_OUT or not is_numbering_name(name)


def _version_like(text: str) -> bool:
    """Whether ``text`` is a ``1.2.3.4``-style release number rather than an address.

    Small first parts, as release numbers have; never ``10.`` or ``0.`` (the private and
    reserved networks, where small octets are real addresses).
    """
    parts = text.split(".")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        return False
    a, b, c = int(parts[0]), int(parts[1]), int(parts[2])
    return a <= 30 and a not in (0, 10) and b <= 30 and c <= 99


def _not_ip(profile: ColumnProfile, names: Mapping[str, NameSignalLike], cand: Candidate) -> bool:
    """Whether a dense IP call is really a column of four-part version strings.

    The name says version/build/release, or (no name saying IP) at least 80% of the values
    are version-like: real IPv4 addresses spread over the whole range, so that many small
    first, second and third parts happen with a chance well below 1%.
    """
    if cand.sparse or cand.type_signal == "free text":
        return False
    if _name_tokens(profile.name) & VERSION_TOKENS:
        return True
    if "IP_ADDRESS" in names or not profile.texts:
        return False
    texts, counts = profile.texts[:500], profile.counts[:500]
    total = sum(counts)
    versions = sum(c for t, c in zip(texts, counts, strict=True) if _version_like(t))
    return total > 0 and versions >= 0.8 * total


def _opaque_validated(
    entity: str, tally: TallyLike, profile: ColumnProfile, cfg: DecisionConfig, today: date
) -> Candidate | None:
    """A weak-format entity in an opaque column when every value passes a strict check.

    US_SSN: at least 95% of the values are whole matches and every checked one passes the
    area/group/serial rules (random 9-digit codes fail about one in nine). Passport and
    licence: whole matches led by a letter, with at least five different first letters
    (codes of one series share theirs); a licence column of passport-shaped values
    (letter + 8 digits) is left to the passport, and other countries' passport shapes make
    none. NL_BSN: every checked value passes the eleven test (one random number in eleven
    does). KR_RRN: people's RRNs (:func:`_rrn_people`: most values written with the dash and
    a birth date, whose sex digit's century makes most birth years plausible). Never for
    sequential integers.
    """
    n = profile.n
    if entity not in OPAQUE_VALIDATED or n < 30 or profile.sequential:
        return None
    if tally.full < 0.95 * n or not tally.checked or tally.validated < 0.99 * tally.checked:
        return None
    if tally.distinct_full < 20 or profile.distinct_ratio < 0.8:
        return None
    if entity == "KR_RRN" and not _rrn_people(profile.texts[:1000], today):
        return None
    if entity in ("US_PASSPORT", "US_DRIVER_LICENSE"):
        # Other countries' passport shapes (two letters and six digits ...) are those of
        # booking and product codes: only the US forms make an opaque suggestion.
        if tally.spec == "passport_national":
            return None
        texts = [t.upper() for t in profile.texts[:1000]]
        led = [t for t in texts if t[:1].isalpha()]
        if len(led) < 0.5 * len(texts) or len({t[0] for t in led}) < 5:
            return None
        passport_shaped = sum(1 for t in texts if len(t) == 9 and t[1:].isdigit())
        if entity == "US_DRIVER_LICENSE" and passport_shaped >= 0.9 * len(texts):
            return None
    hits = tally.validated
    low, high = wilson(hits, n)
    return Candidate(
        entity,
        confidence=cfg.opaque_confidence,
        prevalence=hits / n,
        hits=hits,
        distinct_hits=tally.distinct_full,
        interval=(low, high),
        recognizers=(tally.spec,),
        examples=list(tally.example_values),
        validator_pass_rate=_pass_rate(tally),
        type_signal="opaque name, every value validated",
        rule="pattern.opaque_validated",
    )


#: Share of the values that must read as a dated Korean RRN (:func:`_rrn_people`) for an opaque
#: suggestion: Faker's test numbers have month 00 one time in ten.
RRN_DATED = 0.8


#: Share of the dated RRNs whose birth year, read with the century their sex digit gives
#: (1, 2, 5, 6: the 1900s; 3, 4, 7, 8: the 2000s), is plausible: not in the future, at most
#: :data:`RRN_OLDEST` years back. People's RRNs have nearly all such, students of one year
#: and foreign residents (5-8) too; a date-prefixed order or lot number (``240317-1234567``)
#: of this century followed by any digits about half, by a fixed ``1`` none. (Codes dated
#: over the last decades with a ``1`` or ``2`` after the dash read as Faker's RRNs do.)
RRN_PLAUSIBLE = 0.9
#: ... or, with :data:`RRN_NATIVE` of the sex digits 1-4 (Koreans; 5-8 are foreign
#: residents, a few percent), at least this share over :data:`RRN_YEARS` birth years or more:
#: Faker writes 1 or 2 for any two-digit year, so about a quarter of its birth years are over
#: a century back.
RRN_PLAUSIBLE_SPREAD = 0.5
#: Share of the sex digits 1-4 of :data:`RRN_PLAUSIBLE_SPREAD` (a date-prefixed code
#: followed by any digits has four in eight).
RRN_NATIVE = 0.9
#: Distinct two-digit birth years of :data:`RRN_PLAUSIBLE_SPREAD`.
RRN_YEARS = 10
#: Oldest age a birth date of an RRN is plausible at.
RRN_OLDEST = 100


def _rrn_people(texts: Sequence[str], today: date) -> bool:
    """Whether ``texts`` read as the RRNs of people. Pure.

    :data:`RRN_DATED` of them dated (written with their dash and a birth date:
    :func:`~classifiers.pii.validators.kr_rrn_dated`), and of the dated ones,
    :data:`RRN_PLAUSIBLE` born at a plausible age by the century their sex digit gives; or
    :data:`RRN_PLAUSIBLE_SPREAD` so, :data:`RRN_NATIVE` with a Korean's sex digit, over
    :data:`RRN_YEARS` birth years or more.
    """
    dated = [t for t in texts if kr_rrn_dated(t)]
    if not texts or len(dated) < RRN_DATED * len(texts):
        return False
    plausible = native = 0
    for t in dated:
        # The dated form has a sex digit of 1-8: 1900s for 1, 2, 5, 6; 2000s for 3, 4, 7, 8.
        born = (1900 if t[7] in "1256" else 2000) + int(t[:2])
        plausible += born <= today.year and today.year - born <= RRN_OLDEST
        native += t[7] in "1234"
    n = len(dated)
    if plausible >= RRN_PLAUSIBLE * n:
        return True
    return (
        plausible >= RRN_PLAUSIBLE_SPREAD * n
        and native >= RRN_NATIVE * n
        and len({t[:2] for t in dated}) >= RRN_YEARS
    )


def _pass_rate(tally: TallyLike) -> float | None:
    """Share of the checked values that passed the validator (``None`` when none was checked)."""
    return tally.validated / tally.checked if tally.checked else None


def _text_candidate(
    entity: str,
    spec: EntitySpec,
    tally: TallyLike,
    signal: NameSignalLike | None,
    supported: bool,
    n: int,
    cfg: DecisionConfig,
) -> Candidate | None:
    """The entity in a free-text column of ``n`` values, or ``None``.

    ``pattern.text`` when enough values contain a validated match, else ``pattern.sparse``
    for a strong validator with enough hits; nothing for a check digit that most of the
    matches fail (the ones passing are coincidences).
    """
    share = tally.contained / n
    if spec.needs_name and not supported:
        return None
    bare_digits = (
        not spec.bare_digits_in_text
        and bool(tally.example_values)
        and all(e.isdigit() for e in tally.example_values)
    )
    pass_rate = _pass_rate(tally)
    # A check digit passes one random number in ten to a hundred: when most matches in the
    # texts fail it, the few that pass are coincidences (parcel references as NIFs, order
    # numbers as cards), not identifiers.
    coincidental = spec.check_digit and pass_rate is not None and pass_rate < 0.5
    if coincidental:
        return None
    if share >= cfg.text_min_share and tally.validated > 0 and not bare_digits:
        low, high = wilson(tally.contained, n)
        return Candidate(
            entity,
            confidence=min(_base(spec, tally, supported), 0.75 + 0.2 * min(1.0, share / 0.2)),
            prevalence=share,
            hits=tally.contained,
            distinct_hits=tally.distinct_full or min(tally.contained, 1),
            interval=(low, high),
            recognizers=(tally.spec,),
            examples=list(tally.example_values),
            name_signal=signal.keyword if signal else None,
            validator_pass_rate=pass_rate,
            type_signal="free text",
            rule="pattern.text",
        )
    if spec.validated_alone and tally.validated >= cfg.sparse_min_hits:
        return _sparse(entity, tally, tally.validated, n, supported, signal, None)
    return None


def _value_candidate(
    entity: str,
    spec: EntitySpec,
    tally: TallyLike,
    signal: NameSignalLike | None,
    supported: bool,
    profile: ColumnProfile,
    derated: str | None,
    cfg: DecisionConfig,
) -> Candidate | None:
    """The entity in a column of whole values (not free-text strings), or ``None``.

    Dense (``pattern.dense*``) when the prevalence interval clears the threshold of its rule,
    else ``pattern.sparse`` when a few hits mean something (see :func:`_sparse_ok`).
    """
    n = profile.n
    integer = profile.kind == "integer"
    whole = tally.full if not (spec.counts_embedded and tally.full == 0) else tally.contained
    # Validated full matches count; unvalidated ones do not.
    hits = min(whole, tally.validated) if tally.checked else whole
    low, high = wilson(hits, n)
    share = hits / n
    weak = _weak(spec, tally, integer)
    if weak and not supported:
        return None
    dense_rule = _dense_rule(spec, share, derated, supported, cfg)
    if dense_rule is None:
        return None
    threshold, rule = dense_rule
    if integer and profile.sequential:
        return None
    type_signal = f"{profile.data_type} values" if integer else None
    pass_rate = _pass_rate(tally)
    if low >= threshold:
        conf = _scaled(_base(spec, tally, supported), low, threshold)
        if weak:
            conf = min(conf, 0.85)
        if rule == FORMAT_ALONE_RULE:
            conf = min(conf, FORMAT_ALONE_CONFIDENCE)
        return Candidate(
            entity,
            confidence=conf,
            prevalence=share,
            hits=hits,
            distinct_hits=tally.distinct_full,
            interval=(low, high),
            recognizers=(tally.spec,),
            examples=list(tally.example_values),
            name_signal=signal.keyword if signal else None,
            validator_pass_rate=pass_rate,
            type_signal=type_signal,
            rule=rule,
        )
    if (
        _sparse_ok(spec, tally)
        and not integer
        and tally.validated >= cfg.sparse_min_hits
        and (pass_rate or 0) >= 0.5
    ):
        found = tally.validated if tally.full == 0 else hits
        return _sparse(entity, tally, found, n, supported, signal, type_signal)
    return None


def _weak(spec: EntitySpec, tally: TallyLike, integer: bool) -> bool:
    """Whether the values' format alone is any identifier, so the column name must support it.

    :param integer: the column holds integers (phone numbers stored as numbers, say).
    """
    return (
        spec.needs_name
        or (spec.needs_name_unless_formatted and (integer or not _formatted(tally)))
        or (spec.needs_name_in_integers and integer)
    )


#: A format that is its entity whatever the column is called (IP addresses, URLs), in nearly
#: every value of a column whose name marks an id, a date or a count: the name and the values
#: disagree, so a suggestion for a steward (under the 0.9 apply threshold).
FORMAT_ALONE_RULE = "pattern.dense.format_alone"
FORMAT_ALONE_CONFIDENCE = 0.6


def _dense_rule(
    spec: EntitySpec, share: float, derated: str | None, supported: bool, cfg: DecisionConfig
) -> tuple[float, str] | None:
    """The prevalence threshold and rule name of a dense call; ``None`` when it is ruled out.

    A name that marks a count/flag/id column (``derated``) raises the threshold and rules out
    all but strongly validated entities (one found in nearly every value is not derated); a
    format that is the entity whatever the name (:attr:`EntitySpec.format_alone`: a misnamed
    column of IP addresses) in nearly every value is a suggestion there
    (:data:`FORMAT_ALONE_RULE`: linked-data ids are URLs too); a supporting name lowers it.
    """
    if derated and not (spec.validated_alone and share >= 0.9):
        if spec.format_alone and share >= 0.9:
            return cfg.derated_threshold, FORMAT_ALONE_RULE
        if not spec.validated_alone:
            return None
        return cfg.derated_threshold, "pattern.dense.derated"
    if supported:
        return cfg.supported_threshold, "pattern.dense.name"
    return cfg.dense_threshold, "pattern.dense"


def _sparse_ok(spec: EntitySpec, tally: TallyLike) -> bool:
    """Whether a few hits of the entity mean something.

    True for strong validators, and for entities such as SSNs and phone numbers when most
    examples are written in their own format (dashes, a ``+``); never for bare digit runs.
    """
    if spec.validated_alone:
        return True
    if spec.sparse_when_formatted:
        # Most examples, not all: which three validated values are kept as examples depends
        # on the order the values are tallied in (the specs present change it), and one bare
        # number among formatted ones (a phone without its ``+``) must not decide the column
        # by where it fell.
        examples = tally.example_values
        formatted = sum(
            1 for e in examples if not e.isdigit() and sum(ch.isdigit() for ch in e) >= 9
        )
        return 2 * formatted > len(examples)
    return False


def _sparse(
    entity: str,
    tally: TallyLike,
    found: int,
    n: int,
    supported: bool,
    signal: NameSignalLike | None,
    type_signal: str | None,
) -> Candidate:
    return Candidate(
        entity,
        confidence=0.75 if supported else 0.7,
        prevalence=found / n,
        hits=found,
        distinct_hits=max(1, tally.distinct_full),
        interval=wilson(found, n),
        recognizers=(tally.spec,),
        examples=list(tally.example_values),
        name_signal=signal.keyword if signal else None,
        validator_pass_rate=_pass_rate(tally),
        type_signal=type_signal,
        sparse=True,
        rule="pattern.sparse",
    )


def _resolve_dense(cands: list[Candidate]) -> list[Candidate]:
    """A value column holds one kind of identifier: keep the strongest dense call.

    Free-text and sparse calls can coexist; among dense calls, the best-supported wins
    (validated IBAN over "bank number", e-mail over URL, card over phone).
    """
    dense = [c for c in cands if not c.sparse and c.type_signal != "free text"]
    rest = [c for c in cands if c.sparse or c.type_signal == "free text"]
    if len(dense) > 1:
        dense.sort(key=lambda c: c.prevalence * c.confidence, reverse=True)
        dense = dense[:1]
    return dense + rest


def person_ruled_out(
    profile: ColumnProfile,
    names: Mapping[str, NameSignalLike],
    derated: str | None,
    role: str | None = None,
    role_neighbour: str | None = None,
) -> bool:
    """Whether :func:`decide_person` says "not PERSON" for this column whatever NER finds. Pure.

    The early returns of :func:`decide_person` that need no NER: a contrary word in the name
    (``city``), de-rated names, organisation names, values mostly not name-shaped, a code list
    nothing says is people. Free text is left to NER. The classifier skips spaCy (the
    costliest step) where this is true.
    """
    tokens = _name_tokens(profile.name)
    if tokens & NOT_PERSON_TOKENS and not role:
        return True
    if profile.free_text:
        return False
    organisations = _organisations(profile)
    if derated or organisations or profile.name_shape < 0.7:
        return True
    if profile.letter_code_share >= LETTER_CODES:
        return True
    if profile.enum_like:
        signal = names.get("PERSON")
        strength = signal.strength if signal is not None else 0.0
        if role or tokens & ROLE_TOKENS:
            strength = max(strength, 0.5)
        said = strength >= 0.5 or role_neighbour is not None
        return not said or profile.name_shape < 0.8
    return False


#: A column whose values are street names this often (``Via Roma``, ``Christopher Lake``:
#: :attr:`~classifiers.pii.profile.ColumnProfile.street_name_share`) is not PERSON:
#: name-shaped, and NER and the gazetteer read the given names and surnames streets are
#: named after.
STREET_NAMES = 0.4
#: Confidence of PERSON read from the values alone under a column name that does not say
#: people (:func:`decide_person_values_only`): under the review policy's apply threshold (0.9
#: by default), so a steward decides.
VALUES_ONLY_PERSON_CONFIDENCE = 0.6
VALUES_ONLY_PERSON_RULE = "person.values_only"
#: Full names whose surnames the gazetteer lacks (German, Italian, Polish, Brazilian ones
#: under ``konto_id``) still have a known word in nearly every value; those go to NER, on at
#: most this many of the most frequent values, and are names when it reads at least
#: :data:`VALUES_ONLY_NER_PERSON` of them as persons, twice as many as anything else (Faker's
#: German, Italian, Polish and Brazilian names 0.67-0.76 against 0.08-0.17 else; its
#: companies 0.12-0.45; its towns 0.26-0.51, but as often places: the second condition keeps
#: those out).
VALUES_ONLY_NER_VALUES = 48
VALUES_ONLY_NER_PERSON = 0.5


def ner_reads_names(persons: int, others: int, n: int) -> bool:
    """Whether NER's reading of ``n`` values supports names read from the values alone. Pure.

    :param persons: values NER reads whole as a person.
    :param others: values it reads whole as an organisation, place or other entity.
    """
    return n > 0 and persons >= VALUES_ONLY_NER_PERSON * n and persons >= 2 * others


def values_only_person_possible(
    profile: ColumnProfile, said: bool, derated: str | None, *, cjk: bool = False
) -> bool:
    """Whether the values alone may make a PERSON suggestion (:func:`decide_person_values_only`).

    For a value column (not free text, not a code list) that the name rules of
    :func:`decide_person` did not call: its name does not say people (``said``: the name, a
    role word or an adjacent column's; ``label``, ``channel``), says something else (a
    contrary word, ``product``, ``city``: :data:`NOT_PERSON_TOKENS`), or marks an id, a date
    or a count (``konto_id``, ``issue_date``: de-rated, whatever else it says). Its values
    must be nearly all name-shaped (``cjk``: names in CJK characters, which have neither
    capitals nor always spaces, are left to their reader), with no organisation or street
    marks. A name that says nothing at all (``c3``) has its own, applied, rules. Pure and
    cheap: it decides whether the values are read at all.
    """
    if profile.kind != "string" or profile.free_text or profile.enum_like:
        return False
    if said and not derated:
        return False
    return (
        (cjk or profile.name_shape >= 0.9)
        and profile.street_word < 0.3
        and not _organisations(profile)
    )


def decide_person_values_only(
    profile: ColumnProfile,
    share: float,
    interval: tuple[float, float],
    least: float,
    distinct_hits: int,
    examples: Sequence[str],
    ner: bool = False,
    prevalence: float | None = None,
) -> Candidate | None:
    """PERSON, as a suggestion, from values that are names under a name that does not say so.

    A misnamed column (a people table's names under ``product``, ``konto_id`` or ``channel``)
    is still personal data; the name only keeps the ambiguous cases out of the applied rules
    (``Jackson`` in a ``city`` column). So the values decide alone: the lower end of the
    ``interval`` of the ``share`` of values the name gazetteer reads as names (known given
    and family names, a known name alone in a one-word column) must clear ``least``, and
    fewer than :data:`STREET_NAMES` of them may read as street names. The call's confidence
    is :data:`VALUES_ONLY_PERSON_CONFIDENCE`, below the apply threshold: the steward sees that
    the name and the values disagree. Pure.

    :param profile: the column's profile (:func:`values_only_person_possible` holds).
    :param distinct_hits: distinct values read as names.
    :param ner: the share is of values with some known name (full names whose other words
        the gazetteer lacks) and NER read them as persons (:func:`ner_reads_names`).
    :param prevalence: the share reported, when not ``share`` (the smaller of the known-name
        and NER person shares).
    """
    low, high = interval
    if low < least or profile.street_name_share >= STREET_NAMES:
        return None
    reported = share if prevalence is None else prevalence
    hits = round(reported * profile.n)
    return Candidate(
        "PERSON",
        confidence=VALUES_ONLY_PERSON_CONFIDENCE,
        prevalence=reported,
        hits=hits,
        distinct_hits=distinct_hits,
        interval=(low, high),
        recognizers=("name-gazetteer", "name-shape") + (("spacy-ner",) if ner else ()),
        examples=list(examples),
        type_signal=f"names {reported:.0%} under a name that does not say people",
        rule=VALUES_ONLY_PERSON_RULE,
    )


def _organisations(profile: ColumnProfile) -> bool:
    """Whether the values read as organisation names.

    Legal forms (``GmbH``), or a last word repeated over many of the values of several words
    (``... Holding``) when most values have several words. Why the last condition: compound
    given names (Brazilian ``Ana Vitória``, ``Pedro Henrique`` among one-word ``Ravi``,
    ``Júlia``) repeat their second name as often, but are a minority of their column, while
    a column of company names has several words nearly everywhere.
    """
    return profile.org_marker >= 0.2 or (profile.suffix_repeat >= 0.3 and profile.mean_words >= 1.5)


#: Share of the values (weighted) that are two or three capital letters alone (``CMR``,
#: ``DE``: country, currency, airport codes;
#: :attr:`~classifiers.pii.profile.ColumnProfile.letter_code_share`) at or above which a
#: column is a code list, not names. Upper-case exports of Chinese or Korean surnames
#: (``LI``, ``KIM``) are half such.
LETTER_CODES = 0.9


def _mostly_latin(texts: Sequence[str], look: int = 50) -> bool:
    """Whether most of the first ``look`` values start with a Latin letter (or a digit)."""
    head = [t for t in texts[:look] if t]
    return sum(t[0] < "\u0250" for t in head) * 2 > len(head)


def decide_person(
    profile: ColumnProfile,
    ner: NerStats | None,
    names: Mapping[str, NameSignalLike],
    derated: str | None,
    neighbour_person: Sequence[str] = (),
    role: str | None = None,
    role_neighbour: str | None = None,
    text_min_share: float = 0.05,
    part_neighbour: str | None = None,
) -> Candidate | None:
    """PERSON for a dense name column or for free text mentioning people; ``None`` if not.

    :param role: the people-role keyword of the column's name (``names.people_role``).
    :param role_neighbour: an adjacent column's name that says people in a role; with
        ``role`` it lets a handful of staff names repeated over many rows count as PERSON.
    :param text_min_share: share of free-text values that must mention a full name.
    :param part_neighbour: an adjacent column's name that says it holds a part of people's
        names (``cognome``, ``surname``): a column beside it whose own name says name
        (``nome``; a role word is not enough) and whose values are name-shaped single words
        (a mean of at most 1.3) is the other part when NER reads at least a tenth of them as
        persons (the small English model takes many Italian or Polish given names for
        places), or when they are not in Latin letters, which NER does not read.
    """
    if ner is None or ner.analysed == 0 or profile.kind != "string":
        return None
    tokens = _name_tokens(profile.name)
    signal = names.get("PERSON")
    strength = signal.strength if signal is not None else 0.0
    named = strength  # what the name's own keyword says, before a role word stands in
    roles = [role] if role else sorted(tokens & ROLE_TOKENS)
    if strength < 0.5 and roles:
        signal, strength = _RoleSignal("PERSON", roles[0], 0.5), 0.5
    # A role as the head of the name wins over a contrary word before it (account_exec).
    contrary = bool(tokens & NOT_PERSON_TOKENS) and not role
    organisations = _organisations(profile)
    n = ner.analysed
    if profile.free_text:
        share = ner.with_person / n
        if (
            share >= text_min_share
            and ner.with_person >= 3
            and not contrary
            # Lists of company names pass for short free text; prose is longer.
            and not (organisations and profile.mean_words < 5)
        ):
            low, high = wilson(ner.with_person, n)
            return Candidate(
                "PERSON",
                confidence=0.6 + 0.25 * min(1.0, share / 0.3),
                prevalence=share,
                hits=ner.with_person,
                distinct_hits=ner.with_person,
                interval=(low, high),
                recognizers=("spacy-ner",),
                examples=list(ner.examples),
                type_signal="free text",
                rule="ner.text",
            )
        return None
    if contrary or derated or organisations or profile.letter_code_share >= LETTER_CODES:
        return None
    people_role = False
    if profile.enum_like:
        # A handful of repeated values is a code list, unless the name or a neighbour says
        # these are people (an ``assigned_to`` column of eight staff names over thousands of
        # rows is still personal data) and NER agrees on most of them.
        said = strength >= 0.5 or role_neighbour is not None
        # The small English model calls fewer non-English full names persons (for 5-20
        # Spanish or Italian names, often under 60%, some of the rest taken for places);
        # full names that are all name-shaped, called persons at least as often as
        # anything else, need only 40% (team and desk names score about 10%).
        agreed = ner.person >= 0.6 * n or (
            ner.person >= 0.4 * n
            and ner.person >= ner.other
            and profile.name_shape >= 0.9
            and profile.mean_words >= 1.8
        )
        if not (said and agreed and profile.name_shape >= 0.8):
            return None
        people_role = True
        if strength < 0.5:
            signal, strength = _RoleSignal("PERSON", str(role_neighbour), 0.5), 0.5
    if profile.name_shape < 0.7:
        return None
    p = ner.person / n
    other = ner.other / n
    low, high = wilson(ner.person, n)
    conf: float | None = None
    rule: str | None = None
    neighbours: tuple[str, ...] = ()
    if strength >= 0.9 and (p >= 0.15 or profile.name_shape >= 0.9):
        conf, rule = 0.93 + 0.05 * min(1.0, p / 0.6), "ner.name_strong"
    elif strength >= 0.5 and p >= 0.35 and p >= other:
        conf, rule = 0.82 + 0.1 * min(1.0, p / 0.8), "ner.name_support"
    elif (
        part_neighbour is not None
        and named >= 0.5
        and profile.name_shape >= 0.9
        # One name part is one word (``Maria``; a few ``Anna Maria``); towns built from given
        # names (``Lake Jennifer``, Faker's) are two.
        and profile.mean_words <= 1.3
        # Some support from the values: NER reads foreign given names as places more often
        # than as persons, but words that are no names (cities, colours) almost never as
        # persons. It reads Latin letters only: names in other scripts go on their shape.
        and (p >= 0.1 or not _mostly_latin(profile.texts))
    ):
        conf, rule = 0.85, "name.part_pair"
        neighbours = (part_neighbour,)
    elif neighbour_person and p >= 0.25 and p >= other and profile.name_shape >= 0.85:
        conf, rule = 0.8, "ner.neighbours"
        neighbours = tuple(neighbour_person)
    elif low >= 0.45 and p >= 1.5 * other and (profile.mean_words >= 1.5 or p >= 0.6):
        conf, rule = 0.7 + 0.2 * min(1.0, (p - 0.45) / 0.4), "ner.share"
    if conf is None or profile.street_name_share >= STREET_NAMES:
        return None
    if people_role:
        rule = "ner.people_role"
    prevalence, hits = p, ner.person
    if (strength >= 0.9 or rule == "name.part_pair") and profile.name_shape > p:
        # The name (or the pair) says these are people; NER only confirms. Name-shaped values
        # are the hits.
        prevalence, hits = profile.name_shape, round(profile.name_shape * profile.n)
        low, high = wilson(hits, profile.n)
    return Candidate(
        "PERSON",
        confidence=conf,
        prevalence=prevalence,
        hits=hits,
        distinct_hits=ner.distinct_person,
        interval=(low, high),
        recognizers=("spacy-ner", "name-shape"),
        examples=list(ner.examples),
        name_signal=signal.keyword if signal is not None else None,
        type_signal=f"name-shaped {profile.name_shape:.0%}, org/place {other:.0%}",
        neighbours=neighbours,
        rule=rule,
    )


def decide_address(
    profile: ColumnProfile,
    names: Mapping[str, NameSignalLike],
    derated: str | None,
    examples: Sequence[str],
    neighbour_hint: Sequence[str] = (),
) -> Candidate | None:
    """STREET_ADDRESS from address shapes and street words, supported by name or neighbours."""
    if profile.free_text and profile.embedded_street >= 0.05 and not derated:
        hits = round(profile.embedded_street * profile.n)
        return Candidate(
            "STREET_ADDRESS",
            confidence=0.6 + 0.25 * min(1.0, profile.embedded_street / 0.3),
            prevalence=profile.embedded_street,
            hits=hits,
            distinct_hits=hits,
            interval=wilson(hits, profile.n),
            recognizers=("address-in-text",),
            examples=list(examples),
            type_signal="free text",
            rule="address.text",
        )
    if profile.kind != "string" or derated or profile.free_text or profile.enum_like:
        return None
    signal = names.get("STREET_ADDRESS")
    supported = signal is not None and signal.strength >= 0.4
    if not supported and _name_tokens(profile.name) & NOT_PERSON_TOKENS - {
        "street",
        "strasse",
        "rue",
        "calle",
    }:
        return None
    shape, word = profile.street_shape, profile.street_word
    conf: float | None = None
    rule: str | None = None
    if shape >= 0.6 and word >= 0.3:
        conf, rule = (0.95 if supported else 0.88), "address.shape_and_word"
    elif shape >= 0.6 and supported:
        conf, rule = 0.9, "address.shape_name"
    elif shape >= 0.6 and neighbour_hint and word >= 0.15:
        conf, rule = 0.75, "address.shape_neighbours"
    elif word >= 0.6 and supported:
        conf, rule = 0.85, "address.word_name"
    if conf is None:
        return None
    hits = round(max(shape, word) * profile.n)
    return Candidate(
        "STREET_ADDRESS",
        confidence=conf,
        prevalence=max(shape, word),
        hits=hits,
        distinct_hits=min(hits, profile.distinct),
        interval=wilson(hits, profile.n),
        recognizers=("address-shape",),
        examples=list(examples),
        name_signal=signal.keyword if signal is not None else None,
        type_signal=f"address-shaped {shape:.0%}, street word {word:.0%}",
        neighbours=tuple(neighbour_hint) if not supported else (),
        rule=rule,
    )


#: Years dates of birth of every age span at the least (:func:`decide_birth_date`'s
#: ``birth_date.all_ages``), and the confidence of that call: under the apply threshold, a
#: suggestion for a steward.
BIRTH_SPAN_ALL_AGES = 50
VALUES_ONLY_BIRTH_CONFIDENCE = 0.5
#: Under a birth name, dates of which :data:`BIRTH_RECENT_SHARE` lie within this many years
#: before today (or after it) are a suggestion only (``birth_date.name_recent``): a
#: population of adults spans decades, and invoice, order or start dates misnamed
#: ``date_of_birth`` are this recent. Infants' dates of birth are too, so a steward decides.
BIRTH_RECENT_YEARS = 5
BIRTH_RECENT_SHARE = 0.95
BIRTH_RECENT_RULE = "birth_date.name_recent"


def _in_order(dates: Sequence[date], share: float = 0.9) -> bool:
    """Whether ``dates`` (in row order) mostly rise or mostly fall from one row to the next."""
    steps = list(zip(dates, dates[1:], strict=False))
    if not steps:
        return False
    rising = sum(1 for a, b in steps if b >= a)
    falling = sum(1 for a, b in steps if b <= a)
    return max(rising, falling) >= share * len(steps)


def decide_birth_date(
    profile: ColumnProfile, birth_name: bool, derated: str | None, today: date
) -> Candidate | None:
    """DATE_OF_BIRTH from dates with plausible ages; the name decides how sure.

    A name de-rated as an identifier (``id_propietario``, ``owner_key``) says nothing of
    dates, so dates of every age under it still make the values-only suggestion
    (``birth_date.all_ages``); any other de-rated name (a date, count or flag word) makes none.
    """
    from classifiers.pii.names import is_id_name

    dates = profile.dates
    if not dates or (derated and not is_id_name(profile.name)):
        return None
    if profile.data_type == "timestamp" and not birth_name:
        return None
    n = len(dates)
    ages = [(today - d).days / 365.25 for d in dates]
    plausible = sum(1 for a in ages if 0 <= a <= 120)
    adult_range = sum(1 for a in ages if 14 <= a <= 110)
    span = (max(dates) - min(dates)).days / 365.25 if dates else 0
    tokens = _name_tokens(profile.name)
    conf: float | None = None
    rule: str | None = None
    hits = plausible
    if birth_name and not derated and plausible >= 0.9 * n:
        conf, rule = 0.96, "birth_date.name"
        # A share, not the oldest date: placeholders (``1970-01-01``) sit among real ones.
        if sum(1 for a in ages if a < BIRTH_RECENT_YEARS) >= BIRTH_RECENT_SHARE * n:
            conf, rule = VALUES_ONLY_BIRTH_CONFIDENCE, BIRTH_RECENT_RULE
    elif (
        not birth_name
        and not derated
        and not tokens & _DATE_CONTRARY
        and adult_range >= 0.97 * n
        and span >= 15
        and len(set(dates)) >= 0.3 * n
    ):
        conf, hits, rule = 0.62, adult_range, "birth_date.ages"
    elif (
        not birth_name
        and not tokens & _DATE_CONTRARY
        and plausible >= 0.99 * n
        and adult_range >= 0.6 * n
        and span >= BIRTH_SPAN_ALL_AGES
        and len(set(dates)) >= 0.5 * n
        and not _in_order(dates)
    ):
        # Children too (patients, members of a household): ages of every kind over a lifetime,
        # in no order (a series of observations is sorted). A suggestion: the values alone.
        conf, rule = VALUES_ONLY_BIRTH_CONFIDENCE, "birth_date.all_ages"
    if conf is None:
        return None
    low, high = wilson(hits, n)
    low_age = min(ages)
    high_age = max(ages)
    examples = [d.isoformat() for d in dates[:3]]
    return Candidate(
        "DATE_OF_BIRTH",
        confidence=conf,
        prevalence=hits / n,
        hits=hits,
        distinct_hits=len(set(dates)),
        interval=(low, high),
        recognizers=("birth-date",),
        examples=examples,
        name_signal="birth" if birth_name else None,
        type_signal=f"{profile.data_type}, ages {max(0, int(low_age))}-{int(high_age)}",
        rule=rule,
    )


#: Strength of a column-name signal for PHONE_NUMBER that lets phone-shaped values count
#: without libphonenumber's metadata (``phone``, ``telefoon``, ``телефон``; not ``tel``,
#: ``mobile`` or ``fax`` alone).
PHONE_SHAPE_NAME = 0.9
#: Lower end of the interval of the share of phone-shaped values that rule needs: the shape
#: is loose (any digits written with phone separators), so nearly every value must have it.
PHONE_SHAPE_SHARE = 0.8
#: Words a phone column's name may hold besides its phone keyword: whose number, which one,
#: in the languages the keywords are read in. Any other word (``phone_imei``, ``phone_serial``,
#: ``phone_price``, ``phone_account``) names something of a phone, not its number.
PHONE_NAME_WORDS = frozenset(
    """number numbers no nr num nummer numero numer numeros mobile cell cellular home work
    office business private personal primary secondary main alt alternate other contact
    customer client user patient employee member guest owner billing shipping emergency
    direct landline fixed de da do di del van des du werk thuis prive arbeit privat buero
    travail domicile perso trabajo casa oficina lavoro ufficio trabalho residencial celular
    cellulare movil mobil mobiel handy portable""".split()
)


def decide_phone_shape(
    profile: ColumnProfile,
    names: Mapping[str, NameSignalLike],
    derated: str | None,
) -> Candidate | None:
    """PHONE_NUMBER for a column named phone whose values are written as phone numbers.

    ``phone.name_shape``: numbers with a long subscriber part (``0837 783533``, the Dutch
    form) match no phone pattern, and numbers with an unassigned area code (``8 (837)
    478-85-77``: test data, old numbers) fail the metadata check the patterns need; a
    pattern for either took account and reference numbers for phones. But a column whose
    name strongly says phone (:data:`PHONE_SHAPE_NAME`) and whose values are nearly all
    phone-shaped (:func:`~classifiers.pii.validators.phone_shaped`; :data:`PHONE_SHAPE_SHARE`)
    holds phone numbers, when the name's other words are :data:`PHONE_NAME_WORDS` (whose or
    which number). Confidence 0.85, as a weak format with a supporting name. ``None`` for
    integers (their own rule), free text or a derated name. Pure.
    """
    signal = names.get("PHONE_NUMBER")
    if signal is None or signal.strength < PHONE_SHAPE_NAME or derated:
        return None
    if profile.kind != "string" or profile.free_text or profile.n == 0:
        return None
    other = _name_tokens(profile.name) - set(signal.keyword.split("_")) - PHONE_NAME_WORDS
    # Digits and one letter are no words: ``phone_2``, and the table prefixes of warehouse
    # schemas (TPC-H's ``c_phone``, ``s_phone``).
    if any(len(t) > 1 and not t.isdigit() for t in other):
        return None
    shapes = _phone_shapes(profile, PHONE_SHAPE_SHARE)
    if shapes is None:
        return None
    return shapes.candidate(
        0.85, "phone.name_shape", "phone-shaped values", name_signal=signal.keyword
    )


#: Phone numbers read from the values alone (:func:`decide_phone_values_only`): the lower end
#: of the share of phone-shaped values must clear this, and at least
#: :data:`PHONE_VALUES_ONLY_MARKED` of the values must be written with a ``+`` or an area
#: code in parentheses (Faker's phone numbers of nine of sixteen locales 0.46-1.0; SSNs,
#: ISBNs and account numbers with dashes have neither).
PHONE_VALUES_ONLY_SHARE = 0.9
#: An area code in parentheses followed by the number (``(0113) 123456``, ``+7 (912) 345``).
_AREA_CODE = re.compile(r"\(\d{1,5}\)[\s./-]*\d")
PHONE_VALUES_ONLY_MARKED = 0.3
PHONE_VALUES_ONLY_RULE = "phone.values_only"
PHONE_VALUES_ONLY_CONFIDENCE = 0.6


#: Distinct three-digit blocks (``138``, ``159`` ...) a column of Chinese mobile numbers shows
#: at the least: a series of codes (``13000000001`` ...) shares one.
CN_MOBILE_BLOCKS = 5
#: Share of the checked numbers (:data:`CN_MOBILE_CHECKED` distinct ones at most) that must be
#: valid in China's numbering plan (libphonenumber's metadata: its operator blocks). Faker's
#: are 99% valid; random integers from 1.3e10 to 2e10 73%.
CN_MOBILE_VALID = 0.9
CN_MOBILE_CHECKED = 200


def _cn_mobiles(profile: ColumnProfile) -> _PhoneShapes | None:
    """Chinese mobile numbers in nearly every value, nearly all distinct. Pure.

    :data:`~classifiers.pii.validators.CN_MOBILE` matches in at least
    :data:`PHONE_VALUES_ONLY_SHARE` of the values (the lower end of the interval), of at least
    :data:`CN_MOBILE_BLOCKS` distinct operator blocks (the first three digits), and
    :data:`CN_MOBILE_VALID` of them valid numbers in China's plan; ``None`` otherwise.
    """
    # Eleven characters in nine values of ten keep the mean length near eleven: most columns
    # stop here, before any value is read.
    if not 9.5 <= profile.mean_length <= 12.5:
        return None
    if profile.sequential or profile.distinct < 20 or profile.distinct_ratio < 0.8:
        return None
    shapes = _phone_shapes(profile, PHONE_VALUES_ONLY_SHARE, shaped=_cn_mobile)
    if shapes is None:
        return None
    numbers = [t.strip() for t in profile.texts if _cn_mobile(t)]
    if len({t[:3] for t in numbers}) < CN_MOBILE_BLOCKS:
        return None
    checked = numbers[:CN_MOBILE_CHECKED]
    valid = sum(1 for t in checked if phone_valid("+86" + t))
    return shapes if valid >= CN_MOBILE_VALID * len(checked) else None


def _cn_mobile(text: str) -> bool:
    return CN_MOBILE.fullmatch(text.strip()) is not None


def decide_phone_values_only(profile: ColumnProfile) -> Candidate | None:
    """PHONE_NUMBER, as a suggestion, for values written as phone numbers whatever the name.

    ``phone.values_only``: a phone column under another table's name (``sku``,
    ``vendor_id``) or none (``c5``). The values are nearly all phone-shaped
    (:func:`~classifiers.pii.validators.phone_shaped`; :data:`PHONE_VALUES_ONLY_SHARE`) and
    many are written as only phone numbers are: an area code in parentheses, or a leading
    ``+`` before a valid international number (:data:`PHONE_VALUES_ONLY_MARKED`).
    Identifiers with dashes (SSNs, ISBNs, TPC-H's ``25-989-741-2988``) are phone-shaped but
    never so written. The name and the values disagree, or the name says nothing, so the
    call is a suggestion under the apply threshold (:data:`PHONE_VALUES_ONLY_CONFIDENCE`).
    Chinese mobile numbers, which have no mark, count when nearly all values are eleven
    digits in the operators' blocks (:func:`_cn_mobiles`), as text or as integers.
    ``None`` for other integers, free text and code lists. Pure.
    """
    if profile.free_text or profile.enum_like or profile.n == 0:
        return None
    if profile.kind in ("string", "integer"):
        mobiles = _cn_mobiles(profile)
        if mobiles is not None:
            return mobiles.candidate(
                PHONE_VALUES_ONLY_CONFIDENCE, PHONE_VALUES_ONLY_RULE, "Chinese mobile numbers"
            )
    if profile.kind != "string":
        return None
    shapes = _phone_shapes(profile, PHONE_VALUES_ONLY_SHARE, count_marked=True)
    if shapes is None or shapes.marked < PHONE_VALUES_ONLY_MARKED * profile.n:
        return None
    return shapes.candidate(
        PHONE_VALUES_ONLY_CONFIDENCE, PHONE_VALUES_ONLY_RULE, "values written as phone numbers"
    )


@dataclass(frozen=True, slots=True)
class _PhoneShapes:
    """A column's phone-shaped values (:func:`_phone_shapes`)."""

    n: int
    hits: int
    distinct: int
    marked: int
    examples: list[str]
    interval: tuple[float, float]

    def candidate(
        self, confidence: float, rule: str, type_signal: str, name_signal: str | None = None
    ) -> Candidate:
        """The PHONE_NUMBER call these values make under ``rule``."""
        return Candidate(
            "PHONE_NUMBER",
            confidence=confidence,
            prevalence=self.hits / self.n,
            hits=self.hits,
            distinct_hits=self.distinct,
            interval=self.interval,
            recognizers=("phone-shape",),
            examples=self.examples,
            name_signal=name_signal,
            type_signal=type_signal,
            rule=rule,
        )


def _phone_shapes(
    profile: ColumnProfile,
    least: float,
    count_marked: bool = False,
    shaped: Callable[[str], bool] = phone_shaped,
) -> _PhoneShapes | None:
    """The phone-shaped values of ``profile``, if the lower end of their share clears ``least``.

    ``None`` otherwise. With ``count_marked``, also counts the values written as only phone
    numbers are (``marked``, else 0): an area code in parentheses before the number, or a
    ``+`` before a valid international number (a metadata check, so only when asked).
    ``shaped`` says which values are phone-shaped (:func:`_cn_mobile` for Chinese mobiles).
    Pure.
    """
    hits = distinct = marked = misses = 0
    examples: list[str] = []
    # The lower end of the interval is under the share: past this many values that are not
    # phone-shaped it cannot clear ``least`` (most columns stop within their first values).
    misses_allowed = (1.0 - least) * profile.n
    for text, count in zip(profile.texts, profile.counts, strict=True):
        if not shaped(text):
            misses += count
            if misses > misses_allowed:
                return None
            continue
        distinct += 1
        hits += count
        # An area code in parentheses has digits after it: accounting negatives and
        # bracketed references (``(19034063)``) are phone-shaped too. A ``+`` counts only
        # before a valid international number: signed integers (``+1234567``) are too.
        if count_marked and (
            _AREA_CODE.search(text) or (text.lstrip().startswith("+") and phone_valid(text))
        ):
            marked += count
        if len(examples) < 3:
            examples.append(text)
    interval = wilson(hits, profile.n)
    if interval[0] < least:
        return None
    return _PhoneShapes(profile.n, hits, distinct, marked, examples, interval)


def strongest(cands: Sequence[Candidate]) -> list[Candidate]:
    """Order candidates strongest first (confidence, then prevalence), one per entity."""
    best: dict[str, Candidate] = {}
    for c in cands:
        if c.entity not in best or c.confidence > best[c.entity].confidence:
            best[c.entity] = c
    return sorted(best.values(), key=lambda c: (-c.confidence, -c.prevalence, c.entity))


def describe(cands: Sequence[Candidate]) -> dict[str, Any]:
    """A compact, value-free summary of candidates (for debug logging)."""
    return {c.entity: (round(c.confidence, 2), round(c.prevalence, 3)) for c in cands}
