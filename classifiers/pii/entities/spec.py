"""What one PII entity is, declared once: :class:`EntitySpec`, and the registry that holds them.

A spec carries everything the classifier, the masks and the Atlan tag map need to know about
an entity: its regex patterns with their scores and validators, its column-name keywords per
language, the confidence of a dense call, the rules that make its format weak or strong, its
mask and its default tag. Built-in entities (:mod:`~classifiers.pii.entities.builtin`), custom
entities (``pii.custom_entities_file``) and Presidio recognizers (``pii.presidio_recognizers``)
all become specs and go into one :class:`EntityRegistry`, which the classifier reads.

Pure data: no I/O, no heavy imports (the settings layer imports this module for the tag map).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

#: How a finding's examples are masked (see :func:`classifiers.masking.mask_as`).
MaskKind = Literal["email", "last4", "iban", "last2", "initials", "ip", "stars", "shape"]

#: What decides the entity: regex patterns (scanned over distinct values), or one of the
#: built-in deciders that read other evidence (NER, address shapes, dates).
Detector = Literal["patterns", "ner", "address", "birth_date"]

#: An entity name: upper case letters, digits and underscores (Presidio's convention).
ENTITY_NAME = re.compile(r"^[A-Z][A-Z0-9_]{1,63}$")

#: The entity whose validated match suppresses any other entity's match on the same span.
IBAN_CODE = "IBAN_CODE"


@dataclass(frozen=True)
class PatternSpec:
    """One regex for one entity.

    :param entity: the entity a validated match is evidence of (builtin or custom name).
    :param name: a stable name for reports (``"phone_international"``).
    :param regex: a Python regex, compiled with :data:`re.ASCII` so that the word, digit and
        boundary classes agree with RE2. Lookarounds are allowed (dropped for the RE2 prefilter).
    :param validator: a key of :data:`classifiers.pii.validators.VALIDATORS` run on every
        match, or ``None``.
    :param score: base confidence of a match that passes its validator (or has none).
    :param full_match_only: only values that entirely are a match count (for shapes such as a
        bare 9-digit number that mean nothing inside free text).
    """

    entity: str
    name: str
    regex: str
    validator: str | None
    score: float
    full_match_only: bool = False


#: Keywords per language code (``"en"``, ``"de"`` ...; ``"any"`` for language-neutral
#: abbreviations): ``(keyword, strength)`` with strength 1.0 for an unambiguous keyword and
#: about 0.5 for an ambiguous one. A keyword of several words is a phrase of name tokens.
Keywords = Mapping[str, Sequence[tuple[str, float]]]


@dataclass(frozen=True)
class EntitySpec:
    """Everything about one entity, in one place.

    :param name: the entity (``US_SSN``); upper case, digits, underscores.
    :param description: what a value is, as a phrase (``"a social security number"``).
    :param patterns: regexes whose validated matches are evidence of the entity.
    :param integer_pattern: the check run on integer columns (whole values, see
        :func:`classifiers.pii.patterns.scan_column`), or ``None``; its validator runs on the
        digits, left-padded to :attr:`integer_pad`, of the integers of
        :attr:`integer_digits` digits. Its regex is not run: it names and documents the
        check.
    :param integer_digits: ``(fewest, most)`` digits of an integer the check takes (leading
        zeros dropped); set exactly when :attr:`integer_pattern` is.
    :param integer_pad: the width the digits are left-padded to with zeros before the
        validator runs (the zeros an integer lost: ``021012...`` PESELs), 0 for none.
    :param keywords: column-name keywords per language, with their strength.
    :param confidence: base confidence of a dense pattern call ``(name silent, name
        supports)``; ``0.0`` for the first means the name must support the entity.
    :param confidence_from_patterns: a dense call's confidence is the occurrence-weighted mean
        score of the patterns that matched (raised by Presidio's context enhancement when the
        name supports the entity) rather than :attr:`confidence` (Presidio recognizers).
    :param validated_alone: the validator makes a single hit meaningful (check digit, mod-97,
        a real TLD): reported when sparse, and a column of them survives a name that marks a
        count or flag.
    :param format_alone: the format is the entity whatever the column is called (an IP
        address, a URL): a column of them, in nearly every value, is a suggestion under a
        name that marks a count, flag or id (``pattern.dense.format_alone``; some ids are
        URLs, linked data's ``@id``), where other unvalidated formats are ruled out; a few
        hits still mean nothing.
    :param needs_name: the format alone is any identifier: only a supporting column name
        lets a dense call through.
    :param needs_name_unless_formatted: the same unless the values carry the format's
        separators (an SSN with dashes), and always in integer columns.
    :param needs_name_in_integers: the same for integer columns only (a phone number that
        lost its ``+``).
    :param sparse_when_formatted: a few hits count when most examples are written in the
        format's own shape (separators, at least nine digits), never as bare digit runs.
    :param bare_digits_in_text: a bare digit run in free text counts (``False`` for phone
        numbers: in prose it is a reference number far more often).
    :param counts_embedded: a dense call may count values that contain a match when none is
        a whole-value match (a URL inside a longer string).
    :param check_digit: the validator is a check digit or checksum, which one random string
        of the format in 10-100 passes: in free text, matches most of which fail it are
        coincidences (order numbers passing Luhn), and none count.
    :param identifier: values are identifiers, so an ``_id``/``_no`` suffix of the column
        name does not de-rate it (``ssn_id``).
    :param suppressed_by: entities whose validated match on an overlapping span removes this
        entity's match (a valid card swallows the phone number on its digits).
    :param suppressed_by_formatted: the same, only when the suppressing match has separators
        (a bare 9-digit SSN is as much a passport number).
    :param mask: how examples are masked in findings.
    :param tag: the default Atlan tag (``None``: ``PII <NAME>``).
    :param detector: what decides the entity (``"patterns"`` for every non-built-in spec).
    :param source: where the spec came from (``"builtin"``, ``"custom"``, ``"presidio"``).
    """

    name: str
    description: str
    patterns: tuple[PatternSpec, ...] = ()
    integer_pattern: PatternSpec | None = None
    integer_digits: tuple[int, int] | None = None
    integer_pad: int = 0
    keywords: Keywords = field(default_factory=dict)
    confidence: tuple[float, float] = (0.85, 0.95)
    confidence_from_patterns: bool = False
    validated_alone: bool = False
    format_alone: bool = False
    needs_name: bool = False
    needs_name_unless_formatted: bool = False
    needs_name_in_integers: bool = False
    sparse_when_formatted: bool = False
    bare_digits_in_text: bool = True
    counts_embedded: bool = False
    check_digit: bool = False
    identifier: bool = False
    suppressed_by: tuple[str, ...] = (IBAN_CODE,)
    suppressed_by_formatted: tuple[str, ...] = ()
    mask: MaskKind = "shape"
    tag: str | None = None
    detector: Detector = "patterns"
    source: str = "builtin"

    def __post_init__(self) -> None:
        if not ENTITY_NAME.match(self.name):
            raise ValueError(f"entity {self.name!r}: upper case letters, digits, underscores")
        for p in (*self.patterns, *filter(None, [self.integer_pattern])):
            if p.entity != self.name:
                raise ValueError(f"entity {self.name}: pattern {p.name!r} is for {p.entity}")
        if (self.integer_pattern is None) != (self.integer_digits is None):
            raise ValueError(f"entity {self.name}: integer_pattern and integer_digits go together")
        if (
            self.integer_digits is not None
            and not 1 <= self.integer_digits[0] <= self.integer_digits[1]
        ):
            raise ValueError(f"entity {self.name}: integer_digits must be (fewest, most) >= 1")
        if not all(0.0 <= c <= 1.0 for c in self.confidence):
            raise ValueError(f"entity {self.name}: confidences must be in [0, 1]")

    @property
    def default_tag(self) -> str:
        """The Atlan tag name this entity gets unless settings say otherwise."""
        return self.tag or f"PII {self.name}"

    @property
    def all_keywords(self) -> tuple[tuple[str, float], ...]:
        """Every keyword of every language, in declaration order."""
        return tuple(kw for entries in self.keywords.values() for kw in entries)

    @property
    def suppressors(self) -> tuple[str, ...]:
        """Every entity that may suppress this one (see :attr:`suppressed_by`)."""
        return self.suppressed_by + self.suppressed_by_formatted


@dataclass(frozen=True)
class EntityRegistry:
    """An ordered set of entity specs with unique names.

    :param specs: the specs, in the order patterns are listed and scanned.
    :raises ValueError: two specs share a name.
    """

    specs: tuple[EntitySpec, ...] = ()

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for spec in self.specs:
            if spec.name in seen:
                raise ValueError(f"entity {spec.name} is declared twice")
            seen.add(spec.name)

    def __iter__(self) -> Iterator[EntitySpec]:
        return iter(self.specs)

    def __len__(self) -> int:
        return len(self.specs)

    def __contains__(self, name: object) -> bool:
        return any(s.name == name for s in self.specs)

    def __getitem__(self, name: str) -> EntitySpec:
        for spec in self.specs:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def get(self, name: str) -> EntitySpec | None:
        """The spec of ``name``, or ``None``."""
        return next((s for s in self.specs if s.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        """The entity names, in order."""
        return tuple(s.name for s in self.specs)

    def patterns(self) -> tuple[PatternSpec, ...]:
        """Every spec's patterns, in order."""
        return tuple(p for s in self.specs for p in s.patterns)

    def tags(self) -> dict[str, str]:
        """Default Atlan tag name per entity."""
        return {s.name: s.default_tag for s in self.specs}

    def suppressed_by(self) -> dict[str, tuple[str, ...]]:
        """Per entity, the entities whose validated overlapping match removes its match."""
        return {s.name: s.suppressors for s in self.specs}

    def select(self, names: Iterable[str] | None) -> EntityRegistry:
        """The specs named in ``names`` (``None``: all), in registry order.

        :raises ValueError: a name is not in the registry.
        """
        if names is None:
            return self
        wanted = set(names)
        unknown = sorted(wanted - set(self.names))
        if unknown:
            raise ValueError(f"unknown PII entities {unknown}; choose from {', '.join(self.names)}")
        return EntityRegistry(tuple(s for s in self.specs if s.name in wanted))

    def extend(self, specs: Iterable[EntitySpec]) -> EntityRegistry:
        """A registry with ``specs`` added after these.

        :raises ValueError: a name is already taken (a built-in, or declared twice).
        """
        extra = tuple(specs)
        for spec in extra:
            if spec.name in self:
                raise ValueError(
                    f"entity {spec.name} is already declared ({self[spec.name].source})"
                )
        return EntityRegistry(self.specs + extra)
