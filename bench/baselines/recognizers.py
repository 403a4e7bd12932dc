"""The Presidio baseline's mapping between Presidio's entity names and our vocabulary.

Benchmark-only (used by :mod:`bench.baselines.presidio_classifier`):

* ``STREET_ADDRESS``: the pattern recogniser the analyzer registers lives in
  :mod:`bench.baselines.street_address`, which :mod:`bench.baselines.presidio_engine` builds.
* ``DATE_OF_BIRTH``: not recognisable from a value alone; a date in a column whose name says
  birth (``date_of_birth``, ``dob``, ``geburtsdatum``, ``date_naissance`` ...) is one. Date-typed
  columns are judged by :func:`date_of_birth_hit` without the analyzer; text columns ask Presidio
  for ``DATE_TIME`` and :func:`to_vocabulary` renames the hits.
* Every other entity of :data:`models.PII_ENTITIES` is a Presidio name already.

Nothing here imports Presidio, so the name helpers are cheap to import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime

from bench.baselines.aggregate import Hit

#: Presidio's name for dates and times (spaCy ``DATE``/``TIME`` and the date patterns).
PRESIDIO_DATE_ENTITY = "DATE_TIME"

#: Substrings of a column name meaning "birth" (en, de, fr, es); ``dob`` must be a whole word.
BIRTH_SUBSTRINGS: tuple[str, ...] = ("birth", "geburt", "naissance", "nacimiento")
BIRTH_WORDS: tuple[str, ...] = ("dob",)

#: Score of a plausible date in a date-typed birth column: the type proves it is a date and the
#: name says whose, as sure as spaCy's NER default (0.85).
DATE_OF_BIRTH_COLUMN_SCORE = 0.85
DATE_OF_BIRTH_RULE = "DateOfBirthColumnRule"
_EARLIEST_BIRTH_YEAR = 1900

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]+")


def column_name_words(name: str) -> list[str]:
    """Split a column name into lower-case words: ``"customerSSN_v2"`` → customer, ssn, v2.

    Used as Presidio context (whole-word matching) and for the birth keywords.
    """
    spaced = _CAMEL_BOUNDARY.sub(" ", name)
    return [w.lower() for w in _NON_ALNUM.split(spaced) if w]


def birth_keyword(column_name: str) -> str | None:
    """Return the keyword that marks ``column_name`` as a birth-date column, or ``None``."""
    words = column_name_words(column_name)
    for word in words:
        if word in BIRTH_WORDS:
            return word
    compact = "".join(words)
    for keyword in BIRTH_SUBSTRINGS:
        if keyword in compact:
            return keyword
    return None


def presidio_entities(entities: Iterable[str], *, birth_column: bool) -> list[str]:
    """Translate our entity names into the names to request from Presidio for one column.

    ``DATE_OF_BIRTH`` becomes ``DATE_TIME`` in a birth column and is dropped elsewhere (a date
    without a name saying "birth" is not personal data by itself).
    """
    result: list[str] = []
    for entity in entities:
        name = entity
        if entity == "DATE_OF_BIRTH":
            if not birth_column:
                continue
            name = PRESIDIO_DATE_ENTITY
        if name not in result:
            result.append(name)
    return result


def to_vocabulary(presidio_entity: str, *, birth_column: bool) -> str | None:
    """Return our name for a Presidio entity found in a column, or ``None`` to drop the hit.

    Only ``DATE_TIME`` is renamed (to ``DATE_OF_BIRTH``, in birth columns); names outside the
    vocabulary are dropped by the caller's entity filter.
    """
    if presidio_entity == PRESIDIO_DATE_ENTITY:
        return "DATE_OF_BIRTH" if birth_column else None
    return presidio_entity


def plausible_span(entity: str, span: str) -> bool:
    """Sanity-check a recognised span before it counts.

    spaCy's NER sometimes tags fragments of codes as names (``a3f9`` in an IPv6 address); a
    person's name never contains a digit. Other entities are validated by their recognisers.
    """
    if entity == "PERSON":
        return not any(c.isdigit() for c in span)
    return True


def render_date(value: date | datetime) -> str:
    """Render a date cell the way it is masked in evidence: ISO date, time dropped."""
    day = value.date() if isinstance(value, datetime) else value
    return day.isoformat()


def date_of_birth_hit(
    value: date | datetime, rendered: str, today: date | None = None
) -> Hit | None:
    """Judge one value of a date-typed column whose name says birth.

    :param rendered: the text used for the value in evidence (see :func:`render_date`).
    :param today: the reference date (tests); defaults to today.
    :returns: a ``DATE_OF_BIRTH`` hit over the whole rendered value when the date is plausible
        for a living or historical person (from 1900 up to today), else ``None``.
    """
    day = value.date() if isinstance(value, datetime) else value
    limit = today or date.today()
    if not (_EARLIEST_BIRTH_YEAR <= day.year and day <= limit):
        return None
    return Hit("DATE_OF_BIRTH", 0, len(rendered), DATE_OF_BIRTH_COLUMN_SCORE, DATE_OF_BIRTH_RULE)
