"""Our additions to Presidio and the mapping between Presidio's entity names and our vocabulary.

* ``STREET_ADDRESS``: a pattern recogniser for US-style street lines (``1234 Elm Street Apt 5``).
* ``DATE_OF_BIRTH``: not recognisable from a value alone; a date in a column whose name says
  birth (``date_of_birth``, ``dob``, ``geburtsdatum``, ``date_naissance`` ...) is one. Date-typed
  columns are judged by :func:`date_of_birth_hit` without the analyzer; text columns ask Presidio
  for ``DATE_TIME`` and :func:`to_vocabulary` renames the hits.
* Every other entity of :data:`models.PII_ENTITIES` is a Presidio name already.

Presidio is imported only inside :func:`street_address_recognizer`, so the name helpers stay
cheap to import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING

from classifiers.pii.aggregate import Hit

if TYPE_CHECKING:
    from presidio_analyzer import PatternRecognizer

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

STREET_ADDRESS_RECOGNIZER = "StreetAddressRecognizer"

#: USPS street suffixes (Publication 28, C1) with their common abbreviations.
STREET_SUFFIXES: tuple[str, ...] = (
    "Alley", "Aly", "Avenue", "Ave", "Av", "Bayou", "Beach", "Bend", "Bluff", "Bluffs",
    "Boulevard", "Blvd", "Branch", "Bridge", "Brook", "Brooks", "Burg", "Burgs", "Bypass",
    "Camp", "Canyon", "Cape", "Causeway", "Center", "Centers", "Circle", "Cir", "Circles",
    "Cliff", "Cliffs", "Club", "Common", "Commons", "Corner", "Corners", "Course", "Court", "Ct",
    "Courts", "Cove", "Coves", "Creek", "Crescent", "Crest", "Crossing", "Crossroad", "Curve",
    "Dale", "Dam", "Divide", "Drive", "Dr", "Drives", "Estate", "Estates", "Expressway", "Expy",
    "Extension", "Extensions", "Fall", "Falls", "Ferry", "Field", "Fields", "Flat", "Flats",
    "Ford", "Fords", "Forest", "Forge", "Forges", "Fork", "Forks", "Fort", "Freeway", "Fwy",
    "Garden", "Gardens", "Gateway", "Glen", "Glens", "Green", "Greens", "Grove", "Groves",
    "Harbor", "Harbors", "Haven", "Heights", "Hts", "Highway", "Hwy", "Hill", "Hills", "Hollow",
    "Inlet", "Island", "Islands", "Isle", "Junction", "Junctions", "Key", "Keys", "Knoll",
    "Knolls", "Lake", "Lakes", "Land", "Landing", "Lane", "Ln", "Light", "Lights", "Loaf",
    "Lock", "Locks", "Lodge", "Loop", "Mall", "Manor", "Manors", "Meadow", "Meadows", "Mews",
    "Mill", "Mills", "Mission", "Motorway", "Mount", "Mountain", "Mountains", "Neck", "Orchard",
    "Oval", "Overpass", "Park", "Parks", "Parkway", "Pkwy", "Parkways", "Pass", "Passage",
    "Path", "Pike", "Pine", "Pines", "Place", "Pl", "Plain", "Plains", "Plaza", "Plz", "Point",
    "Points", "Port", "Ports", "Prairie", "Radial", "Ramp", "Ranch", "Rapid", "Rapids", "Rest",
    "Ridge", "Ridges", "River", "Road", "Rd", "Roads", "Route", "Rte", "Row", "Rue", "Run",
    "Shoal", "Shoals", "Shore", "Shores", "Skyway", "Spring", "Springs", "Spur", "Spurs",
    "Square", "Sq", "Squares", "Station", "Stravenue", "Stream", "Street", "St", "Streets",
    "Summit", "Terrace", "Ter", "Throughway", "Trace", "Track", "Trafficway", "Trail", "Trl",
    "Tunnel", "Turnpike", "Tpke", "Underpass", "Union", "Unions", "Valley", "Valleys", "Via",
    "Viaduct", "View", "Views", "Village", "Villages", "Ville", "Vista", "Walk", "Walks", "Wall",
    "Way", "Ways", "Well", "Wells",
)  # fmt: skip

_DIRECTION = r"(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\.?"
_UNIT = r"(?i:apt|apartment|suite|ste|unit|fl|floor|rm|room|bldg|building)\.?"
# Longest alternatives first so that "Streets" is not cut to "Street".
_SUFFIX = "(?i:" + "|".join(sorted(set(STREET_SUFFIXES), key=lambda s: (-len(s), s))) + r")\.?"

#: One US street line: building number, optional direction, one to four street-name words
#: (capitalised words or ordinals such as ``5th``), a USPS suffix, an optional trailing direction
#: and an optional unit (``Apt 5``, ``Suite 200``, ``# 12``). Case matters for the street-name
#: words: requiring capitals keeps "walked 3 miles down the road" out of the hits.
STREET_ADDRESS_REGEX = (
    r"\b\d{1,6}[A-Za-z]?"
    rf"(?:\s+{_DIRECTION})?"
    r"(?:\s+(?:\d{1,3}(?i:st|nd|rd|th)|[A-Z][A-Za-z'-]*)){1,4}?"
    rf"\s+{_SUFFIX}"
    rf"(?:\s+{_DIRECTION}(?![A-Za-z]))?"
    rf"(?:,?\s+{_UNIT}\s*#?\s*[A-Za-z0-9-]{{1,8}}|,?\s*#\s*[A-Za-z0-9-]{{1,8}})?"
    r"(?![A-Za-z0-9])"
)
#: A street line alone is a medium signal; the column name (``address``, ``street``) lifts it
#: through Presidio's context enhancement.
STREET_ADDRESS_SCORE = 0.6
STREET_ADDRESS_CONTEXT: tuple[str, ...] = (
    "address", "addr", "street", "residence", "mailing", "shipping", "billing", "domicile",
)  # fmt: skip

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


def street_address_recognizer(language: str) -> PatternRecognizer:
    """Build the ``STREET_ADDRESS`` pattern recogniser for ``language``.

    Side effect: imports Presidio (about 1-2 s the first time).
    """
    from presidio_analyzer import Pattern, PatternRecognizer

    return PatternRecognizer(
        supported_entity="STREET_ADDRESS",
        name=STREET_ADDRESS_RECOGNIZER,
        supported_language=language,
        patterns=[Pattern("US street line", STREET_ADDRESS_REGEX, STREET_ADDRESS_SCORE)],
        context=list(STREET_ADDRESS_CONTEXT),
        # Without IGNORECASE: the street-name words must be capitalised (see the regex).
        global_regex_flags=re.DOTALL | re.MULTILINE,
    )
