"""The ``STREET_ADDRESS`` pattern recogniser for Presidio: US-style street lines.

Matches lines such as ``1234 Elm Street Apt 5``: a building number, one to four capitalised
street-name words and a USPS street suffix. :func:`street_address_recognizer` is registered by
:func:`bench.baselines.presidio_engine.build_analyzer`; Presidio is imported only inside it, so
importing this module stays cheap.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from presidio_analyzer import PatternRecognizer

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
