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
* PERSON comes from NER on name-shaped values, weighed against organisation/place labels and
  the column name; STREET_ADDRESS from address shapes and street words; DATE_OF_BIRTH from
  dates whose ages are plausible, with or without a name that says birth.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from classifiers.masking import mask_entity
from classifiers.pii.profile import ColumnProfile
from models import EntityFinding, Evidence

#: Entities whose validator makes a single hit meaningful (reported when sparse).
STRONG = frozenset({"CREDIT_CARD", "IBAN_CODE", "EMAIL_ADDRESS", "SG_NRIC_FIN"})
#: Entities whose format alone is any identifier: the column name must support them.
WEAK = frozenset({"US_PASSPORT", "US_DRIVER_LICENSE"})

#: Base confidence of a dense pattern call, by entity, without and with name support.
_PATTERN_BASE: dict[str, tuple[float, float]] = {
    "EMAIL_ADDRESS": (0.97, 0.99),
    "CREDIT_CARD": (0.96, 0.99),
    "IBAN_CODE": (0.97, 0.99),
    "SG_NRIC_FIN": (0.95, 0.98),
    "IP_ADDRESS": (0.93, 0.97),
    "URL": (0.9, 0.96),
    "PHONE_NUMBER": (0.85, 0.95),
    "US_SSN": (0.88, 0.97),
    "US_PASSPORT": (0.0, 0.85),
    "US_DRIVER_LICENSE": (0.0, 0.8),
}
_CUSTOM_BASE = (0.85, 0.95)

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
    profession occupation puesto cargo function designation grade level team""".split()
)
#: Column-name tokens for people in a role; they support PERSON like an ambiguous "name".
ROLE_TOKENS = frozenset(
    """assignee owner agent author reviewer approver manager requester reporter recipient
    sender driver patient employee staff user customer client member buyer seller
    salesperson rep representative supervisor teacher student doctor physician nurse
    contact holder beneficiary signatory""".split()
)


@dataclass(frozen=True, slots=True)
class _RoleSignal:
    entity: str
    keyword: str
    strength: float


_DATE_CONTRARY = frozenset(
    """created updated modified order ordered ship shipped delivery start end expiry expires
    expiration valid due paid purchase purchased hire hired joined signup registered
    login last first event transaction posted published release issued""".split()
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
    """

    dense_threshold: float = 0.5
    supported_threshold: float = 0.3
    derated_threshold: float = 0.8
    text_min_share: float = 0.05
    sparse_min_hits: int = 2


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

    def to_finding(self, profile: ColumnProfile, classifier: str) -> EntityFinding:
        """The reportable finding; raw examples are masked here and nowhere later."""
        masked = tuple(dict.fromkeys(mask_entity(self.entity, e) for e in self.examples))[:3]
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


def _scaled(base: float, low: float, threshold: float) -> float:
    """``base`` when the interval clears the threshold comfortably, less when only just."""
    margin = min(1.0, (low - threshold) / max(0.15, 1 - threshold) + 0.6)
    return base * (0.85 + 0.15 * margin)


def _name_tokens(name: str) -> set[str]:
    from classifiers.pii.names import tokenize

    return set(tokenize(name))


def _ssn_formatted(tally: TallyLike) -> bool:
    return any("-" in e or " " in e for e in tally.example_values)


def decide_pattern_entities(
    profile: ColumnProfile,
    tallies: Mapping[str, TallyLike],
    names: Mapping[str, NameSignalLike],
    derated: str | None,
    cfg: DecisionConfig,
    custom_base: Mapping[str, float] | None = None,
) -> list[Candidate]:
    """Entities from validated patterns: dense, free-text or sparse (see the module doc)."""
    out: list[Candidate] = []
    n = profile.n
    if n == 0:
        return out
    integer = profile.kind == "integer"
    # Formatted values of one kind ("+33 (0)5 67 41 65 08") have words and length like prose,
    # but a column where one pattern covers most values is a value column, not free text.
    free_text = profile.free_text and not any(t.full >= 0.5 * n for t in tallies.values())
    for entity, tally in tallies.items():
        signal = names.get(entity)
        supported = signal is not None and signal.strength >= 0.4
        pass_rate = tally.validated / tally.checked if tally.checked else None
        base_pair = _PATTERN_BASE.get(entity)
        if base_pair is None:
            base_pair = (
                (custom_base or {}).get(entity, _CUSTOM_BASE[0]),
                _CUSTOM_BASE[1],
            )
        base = base_pair[1] if supported else base_pair[0]
        if free_text and not integer:
            share = tally.contained / n
            if entity in WEAK and not supported:
                continue
            # A bare digit run in prose is a reference number far more often than a phone.
            bare_digits = (
                entity == "PHONE_NUMBER"
                and bool(tally.example_values)
                and all(e.isdigit() for e in tally.example_values)
            )
            if share >= cfg.text_min_share and tally.validated > 0 and not bare_digits:
                low, high = wilson(tally.contained, n)
                out.append(
                    Candidate(
                        entity,
                        confidence=min(base, 0.75 + 0.2 * min(1.0, share / 0.2)),
                        prevalence=share,
                        hits=tally.contained,
                        distinct_hits=tally.distinct_full or min(tally.contained, 1),
                        interval=(low, high),
                        recognizers=(tally.spec,),
                        examples=list(tally.example_values),
                        name_signal=signal.keyword if signal else None,
                        validator_pass_rate=pass_rate,
                        type_signal="free text",
                    )
                )
            elif entity in STRONG and tally.validated >= cfg.sparse_min_hits:
                out.append(_sparse(entity, tally, tally.validated, n, supported, signal, None))
            continue
        hits = tally.full if not (entity == "URL" and tally.full == 0) else tally.contained
        # Validated full matches count; unvalidated ones do not.
        if tally.checked:
            hits = min(hits, tally.validated)
        low, high = wilson(hits, n)
        share = hits / n
        weak = (
            entity in WEAK
            or (entity == "US_SSN" and (integer or not _ssn_formatted(tally)))
            or (entity == "PHONE_NUMBER" and integer)
        )
        if weak and not supported:
            continue
        if derated and not (entity in STRONG and share >= 0.9):
            threshold = cfg.derated_threshold
            if entity not in STRONG:
                continue
        elif supported:
            threshold = cfg.supported_threshold
        else:
            threshold = cfg.dense_threshold
        if integer and profile.sequential:
            continue
        type_signal = f"{profile.data_type} values" if integer else None
        if low >= threshold:
            conf = _scaled(base, low, threshold)
            if weak:
                conf = min(conf, 0.85)
            out.append(
                Candidate(
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
                )
            )
        elif (
            _sparse_ok(entity, tally)
            and not integer
            and tally.validated >= cfg.sparse_min_hits
            and (pass_rate or 0) >= 0.5
        ):
            found = tally.validated if tally.full == 0 else hits
            out.append(_sparse(entity, tally, found, n, supported, signal, type_signal))
    return _resolve_dense([c for c in out if c.confidence > 0])


def _sparse_ok(entity: str, tally: TallyLike) -> bool:
    """Whether a few hits of ``entity`` mean something.

    True for strong validators, and for SSNs and phone numbers written in their own format
    (dashes, a ``+``); never for bare digit runs.
    """
    if entity in STRONG:
        return True
    if entity in ("US_SSN", "PHONE_NUMBER"):
        return bool(tally.example_values) and all(
            not e.isdigit() and sum(ch.isdigit() for ch in e) >= 9 for e in tally.example_values
        )
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
    pass_rate = tally.validated / tally.checked if tally.checked else None
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
        validator_pass_rate=pass_rate,
        type_signal=type_signal,
        sparse=True,
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


def decide_person(
    profile: ColumnProfile,
    ner: NerStats | None,
    names: Mapping[str, NameSignalLike],
    derated: str | None,
    neighbour_person: Sequence[str] = (),
) -> Candidate | None:
    """PERSON for a dense name column or for free text mentioning people; ``None`` if not."""
    if ner is None or ner.analysed == 0 or profile.kind != "string":
        return None
    tokens = _name_tokens(profile.name)
    signal = names.get("PERSON")
    strength = signal.strength if signal is not None else 0.0
    role = sorted(tokens & ROLE_TOKENS)
    if strength < 0.5 and role:
        signal, strength = _RoleSignal("PERSON", role[0], 0.5), 0.5
    contrary = bool(tokens & NOT_PERSON_TOKENS)
    n = ner.analysed
    if profile.free_text:
        share = ner.with_person / n
        if share >= 0.08 and ner.with_person >= 3 and not contrary:
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
            )
        return None
    if contrary or derated or profile.org_marker >= 0.2:
        return None
    if profile.enum_like and not (strength >= 0.5 and ner.person >= 0.6 * n):
        # A handful of repeated values is a code list, unless the name says these are people
        # (an ``assignee`` column of five staff names is still personal data).
        return None
    if profile.name_shape < 0.7:
        return None
    p = ner.person / n
    other = ner.other / n
    low, high = wilson(ner.person, n)
    conf: float | None = None
    neighbours: tuple[str, ...] = ()
    if strength >= 0.9 and (p >= 0.15 or profile.name_shape >= 0.9):
        conf = 0.93 + 0.05 * min(1.0, p / 0.6)
    elif strength >= 0.5 and p >= 0.35 and p >= other:
        conf = 0.82 + 0.1 * min(1.0, p / 0.8)
    elif neighbour_person and p >= 0.25 and p >= other and profile.name_shape >= 0.85:
        conf = 0.8
        neighbours = tuple(neighbour_person)
    elif low >= 0.45 and p >= 1.5 * other and (profile.mean_words >= 1.5 or p >= 0.6):
        conf = 0.7 + 0.2 * min(1.0, (p - 0.45) / 0.4)
    if conf is None:
        return None
    prevalence, hits = p, ner.person
    if strength >= 0.9 and profile.name_shape > p:
        # The name says these are people; NER only confirms. Name-shaped values are the hits.
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
    if shape >= 0.6 and word >= 0.3:
        conf = 0.95 if supported else 0.88
    elif shape >= 0.6 and supported:
        conf = 0.9
    elif shape >= 0.6 and neighbour_hint and word >= 0.15:
        conf = 0.75
    elif word >= 0.6 and supported:
        conf = 0.85
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
    )


def decide_birth_date(
    profile: ColumnProfile, birth_name: bool, derated: str | None, today: date
) -> Candidate | None:
    """DATE_OF_BIRTH from dates with plausible ages; the name decides how sure."""
    dates = profile.dates
    if not dates or derated:
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
    hits = plausible
    if birth_name and plausible >= 0.9 * n:
        conf = 0.96
    elif (
        not birth_name
        and not tokens & _DATE_CONTRARY
        and adult_range >= 0.97 * n
        and span >= 15
        and len(set(dates)) >= 0.3 * n
    ):
        conf, hits = 0.62, adult_range
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
    )


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
