"""What a column's sampled values look like: kind, distinct values, shape shares.

Pure and cheap (one pass over the distinct values): the decision rules in
:mod:`classifiers.pii.decide` read these numbers instead of the raw values, and they are what
the evidence reports (distinct ratio, shape of the values) besides pattern and NER hits.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Final, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from classifiers.pii.arrays import (
    bool_array,
    bool_values,
    integer_values,
    string_array,
    string_layout,
)
from models import ColumnSample

Kind = Literal["string", "integer", "float", "date", "bool", "other", "empty"]

#: A person-name-like value: one to four words of letters (any script) with a capital first
#: letter, optional particles (van, de, von ...), hyphens, apostrophes, initials and titles.
_NAME_WORD = (
    r"(?:[^\W\d_][^\W\d_'’\-.]*(?:[-'’][^\W\d_]+)*\.?"
    # Academic titles and degrees written with inner dots (``B.Sc.``, ``Dipl.-Ing.``,
    # ``Univ.Prof.``), before or after German and Austrian names.
    # Each part after a dot is capitalised: ``Amazon.com`` is a domain.
    r"|[^\W\d_]+\.(?:-?[A-Z][^\W\d_]*\.)*-?[A-Z][^\W\d_]*\.?)"
)
_NAME_SHAPE = re.compile(rf"^{_NAME_WORD}(?:,? {_NAME_WORD}){{0,4}}$")
_PARTICLES = {"van", "von", "de", "der", "den", "del", "della", "da", "di", "du", "la", "le",
              "y", "e", "bin", "al", "ter", "ten", "zu", "dos", "das",
              # Honorifics written in lower case before a name (Polish and Czech "pan",
              # "pani", Russian "г-н", "г-жа"), as Faker's pl_PL names are a tenth of the time.
              "pan", "pani", "paní", "г-н", "г-жа"}  # fmt: skip

#: Words that mark an organisation name (legal forms and common company words, several
#: languages); a column of such values is not PERSON whatever NER says.
_ORG_WORDS = (
    r"inc|llc|ltd|plc|corp|corporation|company|co|group|holdings?|partners|"
    r"gmbh|ag|kg|ohg|gbr|ug|e\.?\s?v|mbh|sa|sas|sarl|sl|s\.?\s?l|s\.?\s?a|spa|s\.?p\.?a|srl|"
    r"bv|nv|oy|ab|as|aps|kk|pty|limited|industries|solutions|systems|services|technologies|"
    r"international|associates|consulting|bank|trust|foundation|university|institute|"
    # More legal forms (B.V., N.V., S.r.l., s.r.o., LLP, KGaA, e.K., Sp. z o.o., S.Coop.,
    # S.L.N.E., A/S, Cie) and the abbreviations of all-caps company registers.
    r"b\.\s?v|n\.\s?v|s\.\s?r\.\s?[lo]|srl|sro|llp|kgaa|e\.\s?k|sp\.?\s?z\s?o\.?\s?o|"
    r"s\.\s?coop|coop|s\.\s?l\.\s?n\.\s?e|s\.\s?a\.\s?s|a/s|cie|intl|hldgs?|mfg|bros|"
    r"enterprises?|trading|logistics|verein|stiftung|genossenschaft|fondation|fundacion|"
    r"fondazione|stichting|vereniging"
)
_ORG_MARKERS = re.compile(rf"(?i)(?:\b(?:{_ORG_WORDS})\b\.?|&| and sons| and | und | et | y )")


#: A street address: a house number next to a street word, in the common European and North
#: American orders ("12 Main St", "Hauptstraße 5", "12 rue de la Paix", "Calle Mayor, 3"), and
#: the Polish and Russian words written before the street ("plac Słowicza 83", "улица Жукова").
_STREET_WORDS = (
    r"street|st|avenue|ave|av|road|rd|lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl|"
    r"terrace|square|sq|parkway|pkwy|highway|hwy|circle|cir|trail|trl|alley|crescent|close|"
    r"grove|gardens|row|walk|hill|park|mews|ridge|crossing|ports?|view|heights|estates?|"
    r"straße|strasse|str|weg|gasse|platz|allee|ring|damm|ufer|chaussee|"
    r"rue|chemin|impasse|quai|cours|all[ée]e|route|"
    r"calle|c/|avenida|avda|plaza|paseo|camino|carrer|travesía|cuesta|vial|ronda|glorieta|"
    r"acceso|cañada|pasaje|callejón|urbanización|rambla|bulevar|"
    r"via|viale|piazza|corso|vicolo|largo|stretto|rotonda|contrada|borgo|strada|"
    r"straat|laan|plein|gracht|kade|singel|dijk|"
    r"rua|travessa|praça|estrada|alameda|rodovia|ladeira|chácara|condomínio|"
    r"esplanada|favela|fazenda|loteamento|morro|núcleo|passarela|recanto|residencial|sítio|"
    r"trecho|trevo|vereda|viaduto|viela|"
    r"ulica|aleja|plac|osiedle|"
    r"улица|проспект|переулок|бульвар|набережная|аллея|шоссе|площадь|"
    r"apt|suite|unit|flat|floor|box"
)
#: Polish and Russian street abbreviations, street words only with their dot ("ul. Kreta",
#: "ул. Жукова"): bare, "Del 3 al 17", "Cable UL 1015" and "Mobile, AL 36602" read as
#: streets. Not "al." ("et al. 2019"): "aleja" is as common.
_STREET_ABBREVIATIONS = r"ul|ул|пр|просп|пер|бул|наб|алл|пл|ш"
#: Endings of one-word street names ("Hauptstraße", "Dorpsstraat").
_STREET_SUFFIXES = (
    r"straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|straat|laan|singel|gracht|plein|"
    r"dreef|hof|kade"
)
#: The street words and abbreviations, whole (the alternation both regexes below start with).
_STREET_WHOLE_WORDS = rf"\b(?:{_STREET_WORDS})\b|\b(?:{_STREET_ABBREVIATIONS})\."
#: Street word + house number: strong evidence on its own.
_STREET_WORD = re.compile(rf"(?i)(?:{_STREET_WHOLE_WORDS}|[^\W\d_]{{3,}}(?:{_STREET_SUFFIXES}))")
#: Finds a match wherever :data:`_STREET_WORD` does (issue 17): "three or more letters, then
#: an ending" occurs exactly where an ending follows three letters, which a fixed lookbehind
#: tests without backtracking over every run of letters (about 40% less time a value).
_STREET_WORD_SEARCH = re.compile(
    rf"(?i)(?:{_STREET_WHOLE_WORDS}|(?<=[^\W\d_]{{3}})(?:{_STREET_SUFFIXES}))"
)


# ------------------------------------------------------------------------------------------
# RE2 pre-checks (issue 17): the organisation and street-word searches are the costliest
# per-value regexes of a profile. One RE2 pass (pyarrow) over the column's distinct values
# finds the values they can match; Python's ``re`` then runs on those candidates only, so
# the shares are exactly what a search of every value gives.
#
# Each pre-check matches a superset of what its Python regex finds:
# - ``\b`` before/after a word that starts/ends with a letter becomes "start/end or a
#   character that is not ASCII [A-Za-z0-9_]": every Python non-word character qualifies,
#   whatever the Unicode tables of either engine say;
# - ``[^\W\d_]`` becomes "not an ASCII non-letter", ``\s`` "ASCII whitespace or non-ASCII";
# - case-insensitivity applies to the words only; RE2 folds case like Python except that
#   Python also lets ``i`` match ``ı`` and ``İ``, so a value with either is always a candidate.
#
# On ASCII text without "/" the organisation and street-word pre-checks are exact (issue 17):
# there ``\b``, letters, ``\s`` and case folding mean the same in both engines, and the only
# word whose end a pre-check leaves open is "c/". :func:`_finish_profile` then takes their
# flag as the answer (``tests/unit/test_pii_profile_speed.py`` holds both properties).

_RE2_NOT_WORD = r"[^A-Za-z0-9_]"
_RE2_LETTER = r"[^\x00-\x40\x5b-\x60\x7b-\x7f]"
_RE2_SPACE = r"[\t-\r\x1c-\x20\x{80}-\x{10FFFF}]"
_RE2_DOTTED_I = r"[\x{130}\x{131}]"


def _re2_words(words: str) -> str:
    r"""RE2 superset of ``\b(?:words)\b`` (``words``: a flat ``|`` list, see above)."""
    closed: list[str] = []
    open_ended: list[str] = []
    for word in words.split("|"):
        # The space class is not case-folded: RE2 would fold its non-ASCII range onto "s"
        # and "k" ("ſ", the Kelvin sign), and on ASCII text the pre-check is then exact.
        word = word.replace(r"\s", f"(?-i:{_RE2_SPACE})")
        # A word ending in a non-word character ("c/") has a \b that wants a letter next:
        # leave its end unconstrained. One ending in a class of letters ("[lo]") is closed.
        closed_end = re.search(r"(?:[^\W_]|\[[^\W_]+\])\??$", word)
        (closed if closed_end else open_ended).append(word)
    out = rf"(?:^|{_RE2_NOT_WORD})(?i:{'|'.join(closed)})(?:$|{_RE2_NOT_WORD})"
    if open_ended:
        out += rf"|(?:^|{_RE2_NOT_WORD})(?i:{'|'.join(open_ended)})"
    return out


#: RE2 pre-check of :data:`_ORG_MARKERS` (" and sons" is covered by " and ").
_ORG_PRECHECK = rf"(?s){_re2_words(_ORG_WORDS)}|(?i:&| and | und | et | y )|{_RE2_DOTTED_I}"
#: RE2 pre-check of :data:`_STREET_WORD`.
_STREET_WORD_PRECHECK = (
    rf"(?s){_re2_words(_STREET_WORDS)}"
    rf"|(?:^|{_RE2_NOT_WORD})(?i:{_STREET_ABBREVIATIONS})\.|{_RE2_LETTER}{{3}}(?i:{_STREET_SUFFIXES})"
    rf"|{_RE2_DOTTED_I}"
)

#: RE2 pre-check of :func:`_street_shape` (each line, stripped, must match
#: :data:`_STREET_SHAPE` from its start): a value with a line break; or, on one line, a
#: number then a space and a letter, or a letter then, anywhere later, a space and a digit.
#: Python's ``\d`` is Unicode category Nd and RE2's tables are at least as new as Python's
#: (``tests/unit/test_pii_vectorised.py`` checks it character by character); the text
#: between the letter and the last space is left free, so a digit only one engine knows
#: there cannot make the pre-check miss.
_STREET_SHAPE_PRECHECK = (
    r"[\n\r\x0b\x0c\x1c-\x1e\x{85}\x{2028}\x{2029}]"
    rf"|^{_RE2_SPACE}*\p{{Nd}}+[a-zA-Z]?(?:[-/]\p{{Nd}}+)?,?{_RE2_SPACE}+{_RE2_LETTER}"
    rf"|^{_RE2_SPACE}*{_RE2_LETTER}.*{_RE2_SPACE}\p{{Nd}}"
)
#: The part of :data:`_EMBEDDED_PRECHECK` beyond :data:`_STREET_WORD_PRECHECK`: run on the
#: free-text columns only, its mask or-ed with the street-word one (issue 17).
_EMBEDDED_ENDINGS = "straße|strasse|weg|gasse|platz|allee|straat|laan"
#: RE2 pre-check of :data:`_EMBEDDED_STREET`: its first two branches need a street word
#: between word boundaries (the words of its second branch are street words), as
#: :data:`_STREET_WORD_PRECHECK` finds; its third a street-name ending (case as written).
_EMBEDDED_PRECHECK = rf"{_STREET_WORD_PRECHECK}|{_EMBEDDED_ENDINGS}"
#: RE2 pre-check of :func:`looks_like_name` (issue 17): nothing but ASCII letters,
#: ``' , . -``, spaces and non-ASCII characters (the name shape allows no other ASCII
#: character); and every run between spaces, commas and line breaks starts with an ASCII
#: capital or a non-ASCII character, or is a particle. Why that is necessary: the rewrite of
#: register forms only inserts spaces, so each such run starts a word of the rewritten text;
#: a word of the name shape starts with a letter, which must be upper-case unless the word is
#: a particle; and a particle word has no dot, so no space was inserted into it: it is the
#: whole run (a non-ASCII character lower-cases to no ASCII letter of a particle).
_NAME_PRECHECK = (
    r"^[ ,\n]*(?:(?:[A-Z\x{80}-\x{10FFFF}][A-Za-z'.\-\x{80}-\x{10FFFF}]*"
    rf"|(?i:{'|'.join(sorted(_PARTICLES))}))(?:[ ,\n]+|$))*$"
)
#: RE2 pre-check of :func:`_suffix_repeat`'s "two words or more" once commas are spaces: a
#: character that may be a word's, one or more that may be separators (ASCII whitespace,
#: comma or any non-ASCII character), then one that may be a word's again.
_MULTI_WORD_PRECHECK = r"[^\t-\r\x1c-\x20,][\t-\r\x1c-\x20,\x{80}-\x{10FFFF}]+[^\t-\r\x1c-\x20,]"


def _ascii_caseless(word: str) -> str:
    """``word`` (lower-case ASCII letters) matching either case of each letter, ASCII only.

    Not ``(?i:...)``: RE2 would also fold "ſ" onto "s" and the Kelvin sign onto "k".
    """
    return "".join(f"[{c}{c.upper()}]" for c in word)


# The ASCII particles only: a value with another (``paní``, ``г-н``) is not ASCII text, and
# goes to :func:`looks_like_name` through the pre-check, which names every particle.
_PARTICLE_ASCII = "|".join(map(_ascii_caseless, sorted(p for p in _PARTICLES if p.isascii())))
#: Exact :func:`looks_like_name` shape on the values it matches (issue 17), save the 60
#: characters and "not only particles" (:data:`_ONLY_PARTICLES`): ASCII text without commas
#: or dots, hence not rewritten, whose one to five words, one space apart, are each a word of
#: the name shape starting with a capital, or a particle (either case). Every other value
#: the name pre-check flags goes to :func:`looks_like_name`.
_NAME_ASCII = (
    rf"^(?:[A-Z][A-Za-z]*(?:[-'][A-Za-z]+)*|{_PARTICLE_ASCII})"
    rf"(?: (?:[A-Z][A-Za-z]*(?:[-'][A-Za-z]+)*|{_PARTICLE_ASCII})){{0,4}}$"
)
#: Words that are all particles, one space apart (run on :data:`_NAME_ASCII`'s matches).
_ONLY_PARTICLES = rf"^(?:{_PARTICLE_ASCII})(?: (?:{_PARTICLE_ASCII}))*$"
#: :data:`_STREET_SHAPE` on printable ASCII (issue 17), exact on stripped text: there ``\d``
#: is ``[0-9]``, a letter ``[A-Za-z]``, ``\s`` the space, and no line ends before the end.
#: It matches printable ASCII only; other values go through the Python regex.
_STREET_SHAPE_ASCII = (
    r"^(?:[0-9]{1,6}[a-zA-Z]?(?:[-/][0-9]+)?,? +[A-Za-z][\x20-\x7e]{2,80}"
    r"|[A-Za-z][\x20-\x2f\x3a-\x7e]{2,60},? +[0-9]{1,5}[a-zA-Z]?(?:[-/][0-9]+[a-zA-Z]?)?"
    r"(?:,? +[A-Za-z]+\.? *[0-9]{0,5}[a-zA-Z]?)? *"
    r"|[A-Za-z][\x20-\x2f\x3a-\x7e]{2,60} [0-9]{1,5}[a-zA-Z]?(?:[-/][0-9]+[a-zA-Z]?)?"
    r"[\x20-\x2b\x2d-\x7e]{0,20}, *[\x20-\x7e]{2,60})$"
)


def precheck(texts: Sequence[str] | pa.Array | None, pattern: str) -> list[bool] | None:
    """Per text, whether the RE2 ``pattern`` matches somewhere in it (one vectorised pass).

    ``texts`` may be a string array already built by :func:`text_array`. Returns ``None``
    (every text is a candidate: the Python regex decides alone) when ``texts`` is ``None``
    or RE2 rejects ``pattern``.
    """
    arr = texts if isinstance(texts, pa.Array) or texts is None else text_array(texts)
    mask = _re2_mask(arr, pattern)
    return None if mask is None else mask.tolist()  # type: ignore[no-any-return]


def _re2_mask(arr: pa.Array | None, pattern: str) -> np.ndarray | None:
    """:func:`precheck` of a string array as a numpy bool array (``None``: see there)."""
    if arr is None:
        return None
    try:
        mask = pc.match_substring_regex(arr, pattern=pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return bool_values(mask)


def text_array(texts: Sequence[str]) -> pa.Array | None:
    """``texts`` as a pyarrow string array; ``None`` if one is not valid UTF-8 (a surrogate).

    A lone surrogate comes from a lenient decode; the caller then checks every value.
    """
    try:
        return string_array(texts)
    except UnicodeError:
        return None


#: Number-first ("12 Main St", "682, avenue de ...") or number-last ("Hauptstraße 5",
#: "Rotonda Claudia, 9 Piano 2") address shapes; weak alone (a product "Model 5" has it).
_STREET_SHAPE = re.compile(
    r"^(?:\d{1,6}[a-zA-Z]?(?:[-/]\d+)?,?\s+[^\W\d_][^\n]{2,80}"
    r"|[^\W\d_][^\d\n]{2,60}?,?\s+\d{1,5}[a-zA-Z]?(?:[-/]\d+[a-zA-Z]?)?"
    r"(?:,?\s+[^\W\d_.]+\.?\s*\d{0,5}[a-zA-Z]?)?\s*"
    # "<street> <number>, <postcode> <city>" and "<street> <number>, <city>, <region>"
    r"|[^\W\d_][^\d\n]{2,60}?\s\d{1,5}[a-zA-Z]?(?:[-/]\d+[a-zA-Z]?)?[^,\n]{0,20},\s*"
    r"[^\n]{2,60})$"
)


#: A street address inside prose: "12 Baker Street", "Hauptstraße 5", "avenue de Rey".
_EMBEDDED_STREET = re.compile(
    rf"(?:\b\d{{1,5}}[a-z]?,?\s+(?:[A-ZÄÖÜ][\w'’.-]*\s+){{1,3}}(?i:{_STREET_WORDS})\b"
    r"|\b(?i:rue|avenue|boulevard|calle|avenida|chemin|allée|impasse|quai|piazza|viale|"
    r"corso|rua|travessa|praça|carrer)\s+(?:(?:de|del|della|di|du|des|la|le|van|der)\s+)*"
    r"[A-ZÄÖÜ][\w'’-]+(?:\s+\d{1,5}[a-z]?)?"
    r"|[A-ZÄÖÜ][\w-]{2,}(?:straße|strasse|weg|gasse|platz|allee|straat|laan)\s+\d{1,5})"
)


#: Street names without a house number, told from people's names (:func:`street_name_share`).
#: Street types written before the name ("Via Roma", "Rua das Flores", "Piazza Mirco"; the
#: Brazilian types of places a street address names, "Chácara Barros", "Núcleo Martins"), and
#: after it: the US Postal Service's street suffixes (Publication 28; "Christopher Lake",
#: "Jill Skyway"), without those that are also common surnames or given names (Hill, Brooks,
#: Wells, Ford, Park, Lane, Mills, Glen, Dale, Green ...), which a people column holds too.
_STREET_NAME_FIRST = re.compile(
    r"(?i)^(?:via|viale|piazza|piazzale|corso|vicolo|largo|stretto|rotonda|contrada|borgo|"
    r"strada|incrocio|canale|rue|chemin|impasse|quai|allée|boulevard|avenue|route|calle|"
    r"avenida|paseo|camino|carrer|plaza|ronda|glorieta|pasaje|rambla|travesía|rua|travessa|"
    r"praça|estrada|alameda|rodovia|ladeira|esplanada|viela|viaduto|loteamento|aeroporto|área|"
    r"campo|chácara|colônia|condomínio|conjunto|distrito|estação|favela|fazenda|feira|jardim|"
    r"lago|lagoa|morro|núcleo|parque|passarela|pátio|praia|quadra|recanto|residencial|setor|"
    r"sítio|trecho|trevo|vale|vereda|vila|ulica|aleja|"
    r"plac|osiedle|улица|проспект|переулок|бульвар|набережная|шоссе|площадь)\s"
)
_STREET_NAME_LAST = re.compile(
    r"(?i)\s(?:alley|avenue|bridge|burgs?|bypass|canyon|causeway|centers?|circles?|corners?|"
    r"courts?|coves|creek|crescent|crossing|crossroad|curve|divide|drives?|estates?|"
    r"expressway|extensions?|ferry|flats|forest|forges?|forks?|freeway|gardens?|gateway|"
    r"harbors?|haven|heights|highway|hollow|inlet|islands?|isle|junctions?|knolls?|lakes?|"
    r"landing|loaf|locks?|lodge|loop|mall|manors?|mews|motorway|mountains?|neck|orchard|oval|"
    r"overpass|parkways?|passage|pike|pines|place|plains?|plaza|points|ports?|prairie|radial|"
    r"ramp|ranch|rapids?|ridges?|roads?|route|shoals?|shores?|skyway|spurs?|squares?|"
    r"stravenue|streets?|summit|terrace|throughway|trafficway|trail|tunnel|turnpike|"
    r"underpass|unions?|valleys?|viaduct|villages?|ville|vista|ways?|"
    r"straße|strasse|weg|gasse|platz|allee|straat|laan|plein|gracht|kade)$"
)


def letter_code_share(
    texts: Sequence[str], counts: Sequence[int], mean_length: float, look: int = 200
) -> float:
    """Weighted share of the first ``look`` values that are two or three capital letters alone.

    ``CMR``, ``DE``: country, currency and airport codes. 0.0 without reading a value when the
    mean length is over 6 (a column of such codes has nine in ten of three characters or
    fewer). Pure.
    """
    if mean_length > 6:
        return 0.0
    total = sum(counts[:look])
    codes = sum(
        c
        for t, c in zip(texts[:look], counts[:look], strict=True)
        if 2 <= len(t) <= 3 and t.isalpha() and t.isupper()
    )
    return codes / total if total else 0.0


def street_name_share(
    texts: Sequence[str], counts: Sequence[int | float], look: int = 100
) -> float:
    """Weighted share of the first ``look`` distinct values that read as street names. Pure.

    A value is a street name when a street type starts it (``Via Roma``) or ends it (``Baker
    Street``): :data:`_STREET_NAME_FIRST`, :data:`_STREET_NAME_LAST`. People's names are
    rarely so (at most 0.15% of 2,000 Faker names in each of eight locales); Faker's street
    names are, in the locales that write the street type as a word of its own (en_US 0.63,
    es_ES 0.57, fr_FR, it_IT and pt_BR all).
    """
    hit = total = 0.0
    for text, count in zip(texts[:look], counts[:look], strict=True):
        total += count
        value = text.strip()
        if _STREET_NAME_FIRST.match(value) or _STREET_NAME_LAST.search(value):
            hit += count
    return hit / total if total else 0.0


def embedded_street(text: str) -> re.Match[str] | None:
    """The first street address mentioned in ``text``, if any."""
    return _EMBEDDED_STREET.search(text)


def looks_like_street(text: str) -> tuple[bool, bool]:
    """``(shape, strong)``: shaped like a street address; and with a street word and number."""
    return _street_shape(text), _street_strong(text)


def _street_shape(text: str) -> bool:
    lines = [line.strip() for line in text.splitlines() if line.strip()][:3]
    return any(_STREET_SHAPE.match(line) for line in lines)


def _street_shape_one_line(text: str) -> bool:
    """:func:`_street_shape`, with a shortcut for text of one line (issue 17).

    A printable text has no line boundary (they are all control or separator characters), so
    its only line is the text itself.
    """
    if text.isprintable():
        stripped = text.strip()
        return bool(stripped) and _STREET_SHAPE.match(stripped) is not None
    return _street_shape(text)


def _street_strong(text: str) -> bool:
    # The digit test first: it is much cheaper than the street-word search.
    return any(c.isdigit() for c in text) and bool(_STREET_WORD_SEARCH.search(text))


#: :attr:`ColumnProfile.free_text` needs at least these mean words, mean length and distinct
#: ratio (also read before the RE2 passes, :func:`_maybe_free_text`).
FREE_TEXT_WORDS: Final = 3
FREE_TEXT_LENGTH: Final = 15
FREE_TEXT_DISTINCT: Final = 0.3


@dataclass(slots=True)
class ColumnProfile:
    """The numbers the decision rules need about one column.

    :param kind: what the non-null values are, after looking at the values themselves.
    :param n: non-null, non-blank values sampled.
    :param texts: distinct rendered values (strings stripped; integers in decimal), most
        frequent first; :attr:`counts` holds how often each occurred.
    :param dates: the date values (date-typed columns, or strings that parse as dates).
    :param name_shape: weighted share of values shaped like a person's name.
    :param org_marker: weighted share of values with an organisation marker.
    :param street_shape: weighted share of values shaped like a street address.
    :param street_word: weighted share of values with a street word and a number.
    :param mean_length: mean length of the rendered values.
    :param mean_words: mean number of whitespace-separated words.
    :param embedded_street: weighted share of free-text values mentioning a street address
        (a house number with a street word, or "to <street word> ...").
    :param word_share: share of those words made of letters only (prose is mostly words;
        user agents, paths and logs are not).
    :param suffix_repeat: weighted share of multi-word values ending in a word that ends at
        least a tenth of the distinct values (``... Holding``, ``... Ltd``): organisation
        names share their legal form or trade word, people's names do not share a surname.
    :param street_names: :attr:`street_name_share` once read (``None`` before).
    :param letter_codes: :attr:`letter_code_share` once read (``None`` before).
    """

    name: str
    data_type: str
    kind: Kind
    n: int
    texts: list[str] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    dates: list[date] = field(default_factory=list)
    name_shape: float = 0.0
    org_marker: float = 0.0
    street_shape: float = 0.0
    street_word: float = 0.0
    mean_length: float = 0.0
    mean_words: float = 0.0
    word_share: float = 0.0
    embedded_street: float = 0.0
    sequential: bool = False
    suffix_repeat: float = 0.0
    street_names: float | None = None
    letter_codes: float | None = None

    @property
    def street_name_share(self) -> float:
        """:func:`street_name_share` of the values, read once (the PERSON rules ask often)."""
        if self.street_names is None:
            self.street_names = street_name_share(self.texts, self.counts)
        return self.street_names

    @property
    def letter_code_share(self) -> float:
        """:func:`letter_code_share` of the values, read once (the PERSON rules ask often)."""
        if self.letter_codes is None:
            self.letter_codes = letter_code_share(self.texts, self.counts, self.mean_length)
        return self.letter_codes

    @property
    def distinct(self) -> int:
        """Distinct non-null values."""
        return len(self.texts) if self.texts else len(set(self.dates))

    @property
    def distinct_ratio(self) -> float:
        """Distinct values / non-null values (0 for an empty column)."""
        return self.distinct / self.n if self.n else 0.0

    @property
    def free_text(self) -> bool:
        """Long, varied strings (notes, tickets, messages) where entities are embedded."""
        return (
            self.kind == "string"
            and self.mean_words >= FREE_TEXT_WORDS
            and self.mean_length >= FREE_TEXT_LENGTH
            and self.distinct_ratio >= FREE_TEXT_DISTINCT
            and self.name_shape < 0.5
            and self.street_shape < 0.5
            and self.street_word < 0.5
        )

    @property
    def enum_like(self) -> bool:
        """Few distinct values repeated (status codes, categories): no identity in them."""
        return self.n >= 20 and (self.distinct < 12 or self.distinct_ratio < 0.05)


def _kind(values: Sequence[object]) -> Kind:
    kinds: Counter[str] = Counter()
    for v in values:
        if isinstance(v, bool):
            kinds["bool"] += 1
        elif isinstance(v, int):
            kinds["integer"] += 1
        elif isinstance(v, Decimal):
            kinds["integer" if v == v.to_integral_value() else "float"] += 1
        elif isinstance(v, float):
            kinds["float"] += 1
        elif isinstance(v, date):  # datetime is a date
            kinds["date"] += 1
        elif isinstance(v, str):
            kinds["string"] += 1
        else:
            kinds["other"] += 1
    if not kinds:
        return "empty"
    kind = kinds.most_common(1)[0][0]
    return kind  # type: ignore[return-value]


def _render(value: object) -> str | None:
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return str(int(value))
    return None


_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y", "%d/%m/%Y", "%Y/%m/%d", "%d-%m-%Y")


#: Year first with a marker after each part: Japanese and Chinese ``2005年09月21日``, Korean
#: ``2005. 09. 21.`` (the usual written forms there), and ``2005.09.21``.
_YEAR_FIRST = re.compile(
    r"([0-9]{4}) ?(?:年|\.) ?([0-9]{1,2}) ?(?:月|\.) ?([0-9]{1,2})(?: ?日|\.)?"
)


def parse_date(text: str) -> date | None:
    """A date from the common written forms (ISO, ``dd.mm.yyyy``, ``mm/dd/yyyy`` ...).

    Also year first with markers: ``2005年09月21日``, ``2005. 09. 21.``, ``2005.09.21``.
    """
    if not text[:1].isdigit():
        return None
    if ("年" in text or text.count(".") >= 2) and len(text) <= 14:
        m = _YEAR_FIRST.fullmatch(text)
        if m is not None:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    if not 8 <= len(text) <= 10:
        return None
    if text.count("-") != 2 and text.count(".") != 2 and text.count("/") != 2:
        # Every format has its separator exactly twice (issue 17: strptime fails slowly, six
        # times, on each dotted quad or code of this length).
        return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


_TIGHT_COMMA = re.compile(r",(?=\S)")
_INITIALS = re.compile(r"\b([^\W\d_])\.(?=[^\W\d_]\b)")


def looks_like_name(text: str) -> bool:
    """Whether ``text`` is shaped like a person's name (not whether it is one)."""
    if len(text) > 60:
        return False
    if "," in text or "." in text:
        # Register forms: ``SMITH,J.A.`` reads as ``SMITH, J. A.``.
        text = _INITIALS.sub(r"\1. ", _TIGHT_COMMA.sub(", ", text))
    if not _NAME_SHAPE.match(text):
        return False
    words = [w for w in text.replace(",", " ").split() if w.lower() not in _PARTICLES]
    return bool(words) and all(w[:1].isupper() for w in words)


def build_profile(column: ColumnSample) -> ColumnProfile:
    """Profile one sampled column (pure; cost linear in the number of values)."""
    return build_profiles([column])[0]


def build_profiles(columns: Sequence[ColumnSample]) -> list[ColumnProfile]:
    """Profile the columns of one table (pure; :func:`build_profile` of each).

    The RE2 passes run once over the distinct strings of all the columns together: RE2
    compiles a pattern on every call (about a millisecond for the larger ones), which would
    otherwise be paid per column. Lengths and word counts of those strings are vectorised too
    (:func:`_text_sums`).
    """
    return profile_table(columns)[0]


def profile_table(columns: Sequence[ColumnSample]) -> tuple[list[ColumnProfile], pa.Array | None]:
    """:func:`build_profiles` of ``columns``, and the string array its RE2 passes ran on.

    The array holds the :attr:`ColumnProfile.texts` of the string columns with texts, one
    column after another in column order, as :func:`text_array` builds it; ``None`` when
    there is no such column or a text is not valid UTF-8. Callers scanning the same texts
    reuse it instead of building it again (issue 17).
    """
    started = [_count_values(c) for c in columns]
    strings = [s for s in started if s[0].kind == "string" and s[1]]
    checks: list[_Checks | None] = [None] * len(strings)
    sums: list[tuple[int, int, int]] | None = None
    arr = None
    if strings:
        arr = text_array(list(itertools.chain.from_iterable(p.texts for p, _ in strings)))
        if arr is not None:
            sums, checks = _table_checks(arr, strings)
    column = 0
    for profile, ordered in started:
        if not ordered:
            continue
        check = totals = None
        if profile.kind == "string":
            check = checks[column]
            totals = sums[column] if sums is not None else None
            column += 1
        _finish_profile(profile, ordered, check, totals)
    return [profile for profile, _ in started], arr


@dataclass(slots=True)
class _Checks:
    """What the RE2 passes decided about one string column's values (issue 17).

    ``*_sure``: summed counts of the values a pass found to pass a check for certain;
    ``*_idx``: the positions of the values Python's check must still look at (``None``:
    every value). ``word_flags``: the street-word pre-check per value (``None``: not run or,
    the column being no free text, not needed). ``suffix``: :func:`_suffix_repeat` of the
    column (``None``: not computed, :func:`_finish_profile` calls it).
    """

    texts: pa.Array
    name_sure: int
    name_idx: list[int] | None
    shape_sure: int
    shape_idx: list[int] | None
    org_idx: list[int] | None
    word_idx: list[int] | None
    word_flags: np.ndarray | None
    multi: list[bool] | None
    suffix: float | None = None
    org_sure: int = 0
    word_sure: int = 0


def _table_checks(
    arr: pa.Array, strings: list[tuple[ColumnProfile, list[tuple[str, int]]]]
) -> tuple[list[tuple[int, int, int]], list[_Checks | None]]:
    """Text sums and :class:`_Checks` of each string column, ``arr`` their values in a row.

    Texts are stripped, as :func:`_count_values` renders them (the ASCII street shape relies
    on it). Every answer equals the Python check's on each value.
    """
    sizes = [len(ordered) for _, ordered in strings]
    bounds = np.zeros(len(sizes) + 1, np.int64)
    np.cumsum(sizes, out=bounds[1:])
    total = int(bounds[-1])
    counts = np.fromiter(
        itertools.chain.from_iterable(p.counts for p, _ in strings), np.int64, total
    )
    classes = _value_classes(arr)
    printable = (classes & _NOT_PRINTABLE) == 0
    lens = _char_lengths(arr, _has_any(classes, _NON_ASCII))
    split = _ascii_words(arr)
    sums = _text_sums(arr, counts, bounds, printable, lens, split)
    none = np.zeros(total, bool)

    # Issue 17: each pass runs on the values holding the characters its matches need (see
    # :func:`_value_classes`); the others cannot match, so their flag is false as RE2's is.
    name_sure, name_rest = _name_masks(arr, classes, lens)
    shape_sure, shape_rest = _shape_masks(arr, classes, printable)
    # The street word counts with a digit only (:func:`_street_strong`); the free-text
    # columns also want it without one (the embedded street): all of their values go.
    free = np.repeat(_maybe_free_text(strings, sums), sizes)
    org = _gated_mask(arr, _ORG_PRECHECK, _has_any(classes, _ORG_NEEDS))
    word = _gated_mask(
        arr,
        _STREET_WORD_PRECHECK,
        free | (_has_any(classes, _DIGIT | _NON_ASCII) & _has_any(classes, _NOT_HEX | _NON_ASCII)),
    )
    # Only the first 2,000 values of a column are looked at (:func:`_suffix_repeat`).
    head = np.arange(total) - np.repeat(bounds[:-1], sizes) < _SUFFIX_HEAD
    multi = _gated_mask(
        arr, _MULTI_WORD_PRECHECK, head & _has_any(classes, _SEPARATOR | _NON_ASCII)
    )
    suffixes = _suffix_repeats(arr, multi, printable, counts, bounds, split)
    # On ASCII text without "/" the organisation and street-word pre-checks are exact (see
    # :func:`_org_flagged`): their flags decide there, the street word with a digit only.
    plain = _plain(arr, classes, org, word)
    org_sure = none if org is None else org & plain
    word_sure = none if word is None else word & plain & _has_any(classes, _DIGIT)
    org_rest = None if org is None else org & ~plain
    word_rest = None if word is None else word & ~plain
    org_sums = _column_sums(counts * org_sure, bounds)
    word_sums = _column_sums(counts * word_sure, bounds)
    name_sums = _column_sums(counts * name_sure, bounds)
    shape_sums = _column_sums(counts * shape_sure, bounds)

    def positions(mask: np.ndarray | None, start: int, end: int) -> list[int] | None:
        return None if mask is None else np.flatnonzero(mask[start:end]).tolist()

    checks: list[_Checks | None] = []
    for k in range(len(strings)):
        start, end = int(bounds[k]), int(bounds[k + 1])
        checks.append(
            _Checks(
                texts=arr.slice(start, end - start),
                name_sure=name_sums[k],
                name_idx=positions(name_rest, start, end),
                shape_sure=shape_sums[k],
                shape_idx=positions(shape_rest, start, end),
                org_idx=positions(org_rest, start, end),
                word_idx=positions(word_rest, start, end),
                word_flags=None if word is None or not free[start] else word[start:end],
                multi=None
                if multi is None or suffixes[k] is not None
                else multi[start:end].tolist(),
                suffix=suffixes[k],
                org_sure=org_sums[k],
                word_sure=word_sums[k],
            )
        )
    return sums, checks


def _name_masks(
    arr: pa.Array, classes: np.ndarray, lens: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """The values that are names for certain, and those :func:`looks_like_name` must see.

    ``None`` for the latter: every value (a pass failed).
    """
    none = np.zeros(len(arr), bool)
    name_pre = _gated_mask(arr, _NAME_PRECHECK, ~_has_any(classes, _NOT_NAME))
    # Every match of the ASCII name shape is one of the name pre-check.
    name_ascii = _gated_mask(
        arr, _NAME_ASCII, ~_has_any(classes, _NOT_NAME) if name_pre is None else name_pre
    )
    if name_ascii is None:
        return none, name_pre
    # Matches of at most 60 characters are names unless only particles (issue 17).
    short = name_ascii & (lens <= 60)
    only = _re2_mask(arr.filter(bool_array(short)), _ONLY_PARTICLES)
    if only is None:
        return none, None
    name_sure = short.copy()
    name_sure[np.flatnonzero(short)[only]] = False
    return name_sure, (name_pre if name_pre is not None else ~none) & ~name_ascii


def _shape_masks(
    arr: pa.Array, classes: np.ndarray, printable: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """The values shaped like a street for certain, and those Python's check must see.

    ``None`` for the latter: every value (a pass failed).
    """
    none = np.zeros(len(arr), bool)
    shape_ascii = _gated_mask(arr, _STREET_SHAPE_ASCII, _has_all(classes, _SHAPE_NEEDS) & printable)
    if shape_ascii is None:
        return none, None
    # The ASCII shape decides every printable value; the pre-check the others.
    shape_pre = _gated_mask(arr, _STREET_SHAPE_PRECHECK, ~printable)
    return shape_ascii, (shape_pre if shape_pre is not None else ~none) & ~printable


#: The last word of a printable-ASCII text of two words or more, commas counting as spaces.
_LAST_WORD = r"[ ,](?P<last>[^ ,]+)[ ,]*$"


def _suffix_repeats(
    arr: pa.Array,
    multi: np.ndarray | None,
    printable: np.ndarray,
    counts: np.ndarray,
    bounds: np.ndarray,
    split: tuple[pa.Array, np.ndarray],
) -> list[float | None]:
    """Per column, :func:`_suffix_repeat` of its values, vectorised (issue 17).

    ``multi``: the multi-word pre-check of the first 2,000 values of each column, false
    elsewhere; it is exact on printable ASCII (there the only whitespace is the space).
    ``split``: :func:`_ascii_words` of ``arr``. The last words of those values are their last
    words of ``split`` (without a comma: stripped values have no empty word at their end) or
    come from one RE2 extraction (with a comma), of the others from Python; their repeats per
    column from one ``np.unique``. ``None`` for every column: a pass failed, Python decides.
    """
    columns = len(bounds) - 1
    if multi is None:
        return [None] * columns
    flagged = multi & printable
    comma = _gated_substring(arr, ",", flagged)
    lasts = _last_words(arr, flagged & comma, flagged & ~comma, split)
    if lasts is None:
        return [None] * columns
    picked, words = lasts
    others: list[int] = []
    other_words: list[str] = []
    for i in np.flatnonzero(multi & ~printable).tolist():
        last = _last_word(arr[i].as_py())
        if last is not None:
            others.append(i)
            other_words.append(last)
    if others:
        words = pa.concat_arrays([words, string_array(other_words).cast(words.type)])
        picked = np.concatenate([picked, np.array(others, np.int64)])
    codes = integer_values(pc.dictionary_encode(words).indices).astype(np.int64)
    order = np.argsort(picked, kind="stable")
    picked, codes = picked[order], codes[order]
    column = np.repeat(np.arange(columns), np.diff(bounds))[picked]
    # How many distinct values of its column end with each value's last word.
    _, inverse, repeats = np.unique(
        column * (int(codes.max(initial=0)) + 1) + codes, return_inverse=True, return_counts=True
    )
    found = np.bincount(column, minlength=columns)
    threshold = np.maximum(3, 0.1 * found)  # as max(3, 0.1 * n): 0.1 * n in float64 both
    common = repeats[inverse.reshape(-1)] >= threshold[column]
    weights = counts[picked]
    ends = np.searchsorted(column, np.arange(columns + 1))
    totals = _column_sums(weights, ends)
    hits = _column_sums(weights * common, ends)
    # Integer sums divided as Python ints, as :func:`_suffix_repeat` does.
    return [hits[k] / totals[k] if found[k] >= 20 else 0.0 for k in range(columns)]


def _last_words(
    arr: pa.Array, extract: np.ndarray, take: np.ndarray, split: tuple[pa.Array, np.ndarray]
) -> tuple[np.ndarray, pa.Array] | None:
    """:func:`_last_word` of the printable-ASCII values of two words or more, vectorised.

    The values where ``extract`` by RE2, where ``take`` as their last word of ``split``.
    Returns the positions of the values with a last word of two characters or more, and those
    words (stripped of dots, lower-cased); ``None`` when RE2 fails (Python decides then).
    """
    tokens, offsets = split
    last = offsets[1:][take] - 1
    taken = tokens.take(pa.Array.from_buffers(pa.int64(), len(last), [None, pa.py_buffer(last)]))
    found = None
    if extract.any():
        try:
            found = pc.extract_regex(arr.filter(bool_array(extract)), pattern=_LAST_WORD)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        if found.null_count:
            return None
    picked = np.flatnonzero(take)
    if found is not None:
        extracted = found.field("last").cast(taken.type)
        taken = pa.concat_arrays([taken, extracted])
        picked = np.concatenate([picked, np.flatnonzero(extract)])
    words = pc.ascii_lower(pc.utf8_trim(taken, characters="."))
    kept = _byte_lengths(words) >= 2
    return picked[kept], words.filter(bool_array(kept))


def _gated_substring(arr: pa.Array, text: str, candidates: np.ndarray) -> np.ndarray:
    """Per value, whether it is a candidate holding ``text`` (one literal search of those)."""
    out = np.zeros(len(arr), bool)
    if candidates.any():
        found = pc.match_substring(arr.filter(bool_array(candidates)), pattern=text)
        out[candidates] = bool_values(found)
    return out


def _plain(
    arr: pa.Array, classes: np.ndarray, org: np.ndarray | None, word: np.ndarray | None
) -> np.ndarray:
    """Per value, whether it is ASCII without "/" (looked for where ``org`` or ``word``)."""
    plain = ~_has_any(classes, _NON_ASCII)
    flagged = plain & ((org if org is not None else False) | (word if word is not None else False))
    return plain & ~_gated_substring(arr, "/", flagged)  # type: ignore[no-any-return]


def _column_sums(values: np.ndarray, bounds: np.ndarray) -> list[int]:
    """Sums of ``values`` between consecutive ``bounds``, as Python ints."""
    running = np.zeros(len(values) + 1, np.int64)
    np.cumsum(values, out=running[1:])
    return (running[bounds[1:]] - running[bounds[:-1]]).tolist()  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------------------
# Byte classes (issue 17): the RE2 passes of :func:`_table_checks` run on the values that hold
# the characters their matches need. One C translate of the values' UTF-8 bytes gives each
# byte its classes, one ``reduceat`` each value the or of its bytes' classes. A value's code
# points are ASCII exactly where its bytes are, so an ASCII class holds for a value iff one of
# its code points is in it; any byte of a non-ASCII code point is :data:`_NON_ASCII`.

_DIGIT: Final = 1  # 0-9
_LETTER: Final = 2  # A-Z a-z
_NON_ASCII: Final = 4
_NOT_NAME: Final = 8  # ASCII, none of what the name pre-check allows (letters ' . - , space \n)
_SEPARATOR: Final = 16  # ASCII whitespace or comma, as in the multi-word pre-check
_NOT_HEX: Final = 32  # g-z G-Z or "/": a street word needs one if it is ASCII ("c/")
_AMPERSAND: Final = 64
_NOT_PRINTABLE: Final = 128  # not in \x20-\x7e

#: An ASCII street shape needs a digit, a letter and a space (a separator).
_SHAPE_NEEDS: Final = _DIGIT | _LETTER | _SEPARATOR
#: Each branch of the organisation pre-check needs an ASCII letter, "&" or a non-ASCII
#: character (RE2 folds "ſ" and the Kelvin sign onto "s" and "k"; "ı", "İ").
_ORG_NEEDS: Final = _LETTER | _AMPERSAND | _NON_ASCII
#: How many of a column's most frequent values :func:`_suffix_repeat` looks at.
_SUFFIX_HEAD: Final = 2000


def _byte_classes() -> bytes:
    """The translate table of the classes above, byte by byte."""
    table = bytearray(256)
    for byte in range(256):
        char = chr(byte)
        classes = 0
        if byte >= 0x80:
            classes |= _NON_ASCII | _NOT_PRINTABLE
        else:
            if "0" <= char <= "9":
                classes |= _DIGIT
            if "A" <= char <= "Z" or "a" <= char <= "z":
                classes |= _LETTER
            else:
                classes |= 0 if char in "'.-, \n" else _NOT_NAME
            if 0x09 <= byte <= 0x0D or 0x1C <= byte <= 0x20 or char == ",":
                classes |= _SEPARATOR
            if "g" <= char.lower() <= "z" or char == "/":
                classes |= _NOT_HEX
            if char == "&":
                classes |= _AMPERSAND
            if not 0x20 <= byte <= 0x7E:
                classes |= _NOT_PRINTABLE
        table[byte] = classes
    return bytes(table)


_BYTE_CLASSES: Final = _byte_classes()


def _value_classes(arr: pa.Array) -> np.ndarray:
    """Per value of a string array, the or of its bytes' classes (uint8; 0 when empty)."""
    offsets, data = string_layout(arr)
    ends = offsets[arr.offset : arr.offset + len(arr) + 1].astype(np.int64)
    out = np.zeros(len(arr), np.uint8)
    if data is None or ends[-1] == ends[0]:
        return out
    raw = data[ends[0] : ends[-1]].tobytes().translate(_BYTE_CLASSES)
    classes = np.frombuffer(raw, np.uint8)
    starts = ends[:-1] - ends[0]
    # Empty values are left out: each other value then reduces up to the next one's start.
    filled = ends[1:] > ends[:-1]
    out[filled] = np.bitwise_or.reduceat(classes, starts[filled])
    return out


def _byte_lengths(arr: pa.Array) -> np.ndarray:
    """Per value of a string array, its length in UTF-8 bytes (int64)."""
    offsets, _ = string_layout(arr)
    return np.diff(offsets[arr.offset : arr.offset + len(arr) + 1].astype(np.int64))


def _char_lengths(arr: pa.Array, non_ascii: np.ndarray) -> np.ndarray:
    """Per value of a string array, its length in code points (int64).

    An ASCII value has as many code points as bytes: only the ``non_ascii`` ones are counted
    by pyarrow (issue 17).
    """
    lens = _byte_lengths(arr)
    if non_ascii.any():
        lens[non_ascii] = integer_values(pc.utf8_length(arr.filter(bool_array(non_ascii))))
    return lens


def _has_any(classes: np.ndarray, wanted: int) -> np.ndarray:
    """Per value, whether it holds a character of one of the ``wanted`` classes."""
    return (classes & wanted) != 0  # type: ignore[no-any-return]


def _has_all(classes: np.ndarray, wanted: int) -> np.ndarray:
    """Per value, whether it holds a character of each of the ``wanted`` classes."""
    return (classes & wanted) == wanted  # type: ignore[no-any-return]


def _gated_mask(arr: pa.Array, pattern: str, candidates: np.ndarray) -> np.ndarray | None:
    """:func:`_re2_mask` of ``arr``, run on the ``candidates`` only (false elsewhere).

    The caller knows ``pattern`` cannot match the other values, so the mask is RE2's.
    """
    if candidates.all():
        return _re2_mask(arr, pattern)
    out = np.zeros(len(arr), bool)
    if candidates.any():
        picked = _re2_mask(arr.filter(bool_array(candidates)), pattern)
        if picked is None:
            return None
        out[candidates] = picked
    return out


def _maybe_free_text(
    strings: list[tuple[ColumnProfile, list[tuple[str, int]]]], sums: list[tuple[int, int, int]]
) -> np.ndarray:
    """Per string column, whether it may be free text.

    The tests of :attr:`ColumnProfile.free_text` that need no RE2 pass, with its arithmetic.
    """
    return np.array(
        [
            total_words / p.n >= FREE_TEXT_WORDS
            and total_len / p.n >= FREE_TEXT_LENGTH
            and len(p.texts) / p.n >= FREE_TEXT_DISTINCT
            for (p, _), (total_len, total_words, _) in zip(strings, sums, strict=True)
        ],
        bool,
    )


#: Values whose word split and letter test pyarrow's ASCII kernels do exactly as Python's
#: ``str.split`` and ``str.isalpha``: printable ASCII (the only whitespace is the space).
_PRINTABLE_ASCII = r"^[\x20-\x7e]*$"
_PRINTABLE_BYTES = bytes(range(0x20, 0x7F))
_WORD_PUNCT = ".,;:!?'\"()"


def _printable(arr: pa.Array) -> np.ndarray:
    """Per value of a string array, whether it is printable ASCII (one byte scan if all are).

    :func:`_table_checks` reads it off :func:`_value_classes` instead; the tests hold the two
    equal.
    """
    offsets, data = string_layout(arr)
    first, last = int(offsets[arr.offset]), int(offsets[arr.offset + len(arr)])
    raw = data[first:last].tobytes() if data is not None else b""
    if not raw.translate(None, _PRINTABLE_BYTES):
        return np.ones(len(arr), bool)
    return bool_values(pc.match_substring_regex(arr, pattern=_PRINTABLE_ASCII))


def _text_sums(
    arr: pa.Array,
    counts: np.ndarray,
    bounds: np.ndarray,
    printable: np.ndarray,
    lens: np.ndarray,
    split: tuple[pa.Array, np.ndarray] | None = None,
) -> list[tuple[int, int, int]]:
    """Per column, count-weighted sums of length, words and letter-only words (issue 17).

    ``arr`` holds the columns' distinct values one column after another, ``counts`` their
    counts, ``lens`` their lengths; column ``k`` spans ``bounds[k]:bounds[k + 1]``. Equal to
    the Python loop of :func:`_finish_profile`: lengths are code points in both; words and
    letter-only words are computed by pyarrow for printable-ASCII values and by Python for
    the others; the sums per column are differences of running totals. ``split``:
    :func:`_ascii_words` of ``arr`` if already made.
    """
    tokens, offsets = _ascii_words(arr) if split is None else split
    # Python's split drops empty words; pyarrow keeps them at the ends of a value.
    word = _byte_lengths(tokens) > 0
    alpha = bool_values(pc.ascii_is_alpha(pc.utf8_trim(tokens, characters=_WORD_PUNCT))) & word
    words = _segment_sums(word, offsets)
    alphas = _segment_sums(alpha, offsets)
    for i in np.flatnonzero(~printable).tolist():
        split_words = arr[i].as_py().split()
        words[i] = len(split_words)
        alphas[i] = sum(1 for w in split_words if w.strip(_WORD_PUNCT).isalpha())
    return list(
        zip(
            _column_sums(lens * counts, bounds),
            _column_sums(words * counts, bounds),
            _column_sums(alphas * counts, bounds),
            strict=True,
        )
    )


def _ascii_words(arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """The words of each value split at ASCII whitespace, in a row, and where each starts.

    Value ``i`` has words ``offsets[i]:offsets[i + 1]``; empty words at its ends are kept.
    """
    split = pc.ascii_split_whitespace(arr)
    offsets = integer_values(split.offsets).astype(np.int64)
    offsets -= offsets[0]
    return pc.list_flatten(split), offsets


def _segment_sums(flags: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Per segment ``offsets[k]:offsets[k + 1]`` of ``flags``, how many are set (int64)."""
    running = np.zeros(len(flags) + 1, np.int64)
    np.cumsum(flags, out=running[1:])
    return running[offsets[1:]] - running[offsets[:-1]]  # type: ignore[no-any-return]


#: Exact types whose kind needs no look at the value (bool is not int here: exact types).
_SIMPLE_KINDS: Final[dict[type, Kind]] = {
    str: "string", int: "integer", float: "float", bool: "bool", date: "date", datetime: "date",
}  # fmt: skip
_SIMPLE: Final = frozenset(_SIMPLE_KINDS)
#: Exact types :func:`_render` gives no text to (a column of them has no values to list).
_NOT_RENDERED: Final = frozenset({float, bool})
#: Types none of whose values is ``None`` or equal to ``""``.
_NEVER_BLANK: Final = frozenset({int, float, bool, date, datetime, Decimal})


def _count_values(column: ColumnSample) -> tuple[ColumnProfile, list[tuple[str, int]]]:
    """The column's kind, and its distinct rendered values with counts, most frequent first.

    A date or empty column has no values to list: its profile is then complete.
    """
    values: Sequence[object] = column.values
    types = set(map(type, values))
    # Issue 17: the usual column has no None or "" to drop (tested in C).
    if not (types <= _NEVER_BLANK or (types == {str} and "" not in values)):
        values = [v for v in values if v is not None and v != ""]
        types = set(map(type, values))
    # Issue 17: a column of one plain type (the usual case) is kinded and rendered in bulk.
    kind = (
        _SIMPLE_KINDS[next(iter(types))] if len(types) == 1 and types <= _SIMPLE else _kind(values)
    )
    profile = ColumnProfile(column.name, column.data_type, kind, n=0)
    if kind == "date":
        if types == {date}:
            profile.dates = list(values)  # type: ignore[arg-type]
        elif types == {datetime}:
            profile.dates = list(map(datetime.date, values))  # type: ignore[arg-type]
        else:
            profile.dates = [v.date() if isinstance(v, datetime) else v for v in values
                             if isinstance(v, date)]  # fmt: skip
        profile.n = len(profile.dates)
        return profile, []
    counter: Counter[str] = Counter()
    # Issue 17: the plain types are counted raw (in C), then their distinct values rendered.
    # The order is kept: a rendered value enters at its first raw value, which is its first
    # occurrence, and most_common keeps that order among equal counts.
    if types == {str}:
        raw: Counter[str] = Counter(values)  # type: ignore[arg-type]
        keys = list(raw)
        stripped = list(map(str.strip, keys))
        if stripped == keys:
            counter = raw
        else:
            for key, count in zip(stripped, raw.values(), strict=True):
                if key:
                    counter[key] += count
    elif types == {int}:
        ints: Counter[int] = Counter(values)  # type: ignore[arg-type]
        if len(ints) == len(values):
            return _all_distinct(profile, list(map(str, ints)))
        # Distinct integers have distinct decimal forms.
        counter = Counter(dict(zip(map(str, ints), ints.values(), strict=True)))
    elif types <= _NOT_RENDERED:
        pass  # issue 17: :func:`_render` gives none of these a text
    else:
        for v in values:
            text = _render(v)
            if text is not None:
                counter[text] += 1
    profile.n = sum(counter.values())
    if len(counter) == profile.n:
        # Every count is 1: most_common's stable sort would keep this order (issue 17).
        profile.texts = list(counter)
        profile.counts = list(counter.values())
        ordered = list(counter.items())
    else:
        ordered = counter.most_common()
        profile.texts = list(map(itemgetter(0), ordered))
        profile.counts = list(map(itemgetter(1), ordered))
    return profile, ordered


def _all_distinct(
    profile: ColumnProfile, texts: list[str]
) -> tuple[ColumnProfile, list[tuple[str, int]]]:
    """:func:`_count_values`' answer for ``texts``, distinct and each counted once.

    Side effect: fills in the profile's ``n``, ``texts`` and ``counts``. Skips building a
    counter of them (issue 17: an id or card-number column of integers is the usual case);
    with every count 1, most_common's stable sort would keep this order.
    """
    counts = [1] * len(texts)
    profile.n = len(texts)
    profile.texts = texts
    profile.counts = counts
    return profile, list(zip(texts, counts, strict=True))


def _finish_profile(
    profile: ColumnProfile,
    ordered: list[tuple[str, int]],
    checks: _Checks | None,
    totals: tuple[int, int, int] | None = None,
) -> None:
    """Fill in the shares of a column with values.

    :param checks: what the RE2 passes decided (``None``: they did not run, every value goes
        through the Python checks).
    :param totals: the count-weighted sums of length, words and letter-only words
        (:func:`_text_sums`); ``None``: summed here.
    """
    kind = profile.kind
    name = org = street = street_word = 0
    if totals is None and kind == "integer" and _all_decimal(profile.texts):
        # Issue 17: a decimal integer is one word, not of letters.
        total_len = sum(map(operator.mul, map(len, profile.texts), profile.counts))
        total_words, alpha_words = profile.n, 0
    elif totals is None:
        total_len = total_words = alpha_words = 0
        for text, count in ordered:
            total_len += len(text) * count
            words = text.split()
            total_words += len(words) * count
            alpha_words += sum(1 for w in words if w.strip(_WORD_PUNCT).isalpha()) * count
    else:
        total_len, total_words, alpha_words = totals
    if kind == "string":
        if checks is None:
            name = _indexed_sum(ordered, None, looks_like_name)
            org = _indexed_sum(ordered, None, _org_search)
            street = _indexed_sum(ordered, None, _street_shape_one_line)
            street_word = _indexed_sum(ordered, None, _street_strong)
        else:
            name = checks.name_sure + _indexed_sum(ordered, checks.name_idx, looks_like_name)
            org = checks.org_sure + _indexed_sum(
                ordered, checks.org_idx, _org_check(checks.org_idx)
            )
            street = checks.shape_sure + _indexed_sum(
                ordered, checks.shape_idx, _street_shape_one_line
            )
            street_word = checks.word_sure + _indexed_sum(
                ordered, checks.word_idx, _street_strong_check(checks.word_idx)
            )
    profile.mean_length = total_len / profile.n
    profile.mean_words = total_words / profile.n
    profile.word_share = alpha_words / total_words if total_words else 0.0
    profile.name_shape = name / profile.n
    profile.org_marker = org / profile.n
    profile.street_shape = street / profile.n
    profile.street_word = street_word / profile.n
    if kind == "string":
        if checks is not None and checks.suffix is not None:
            profile.suffix_repeat = checks.suffix
        else:
            profile.suffix_repeat = _suffix_repeat(ordered, checks.multi if checks else None)
    if profile.free_text:
        embedded_idx = None
        if checks is not None and checks.word_flags is not None:
            endings = _re2_mask(checks.texts, _EMBEDDED_ENDINGS)
            if endings is not None:
                # The or of the two pre-checks is the one of their alternation.
                embedded_idx = np.flatnonzero(checks.word_flags | endings).tolist()
        embedded = _indexed_sum(ordered, embedded_idx, _EMBEDDED_STREET.search)
        profile.embedded_street = embedded / profile.n
    if kind == "string":
        profile.dates = _string_dates(ordered[:400])
    if kind == "integer":
        profile.sequential = _sequential(profile.texts)


def _all_decimal(texts: list[str]) -> bool:
    """Whether every text is an optional minus and ASCII digits (what ``str(int)`` gives)."""
    joined = "".join(texts)
    if joined.isascii() and joined.isdigit() and all(texts):
        return True  # issue 17: no minus, one scan of all the digits
    return all(map(_DECIMAL.fullmatch, texts))


_DECIMAL = re.compile(r"-?[0-9]+")


def _string_dates(ordered: list[tuple[str, int]]) -> list[date]:
    """The dates of ``ordered`` (count times each) if >= 80% of its weight parses, else none.

    Stops parsing once the values that failed weigh too much for the share to be reached
    (issue 17): what is left cannot make up for them, so the answer is already "none".
    """
    total = sum(map(itemgetter(1), ordered))
    needed = 0.8 * total
    missed = 0
    hits: list[tuple[date, int]] = []
    for text, count in ordered:
        parsed = parse_date(text)
        if parsed is None:
            missed += count
            if total - missed < needed:
                return []
        else:
            hits.append((parsed, count))
    if hits and sum(c for _, c in hits) >= needed:
        return [d for d, c in hits for _ in range(c)]
    return []


#: A digit, for text known to be ASCII (where ``str.isdigit`` accepts exactly these).
_ASCII_DIGIT = re.compile(r"[0-9]")


def _org_search(text: str) -> bool:
    return bool(_ORG_MARKERS.search(text))


def _org_flagged(text: str) -> bool:
    # The RE2 pre-check flagged ``text``: on ASCII text without "/" it matches exactly where
    # the Python regex does (``\b`` and case folding agree on ASCII; the only word whose end
    # the pre-check leaves open ends with "/"), so it needs no second look (issue 17).
    return (text.isascii() and "/" not in text) or bool(_ORG_MARKERS.search(text))


def _org_check(flags: list[int] | None) -> Callable[[str], bool]:
    """The organisation-marker test of a value, given whether the pre-check ran."""
    return _org_search if flags is None else _org_flagged


def _street_strong_flagged(text: str) -> bool:
    # As :func:`_org_flagged`: only the digit test remains on ASCII text without "/".
    if text.isascii() and "/" not in text:
        return _ASCII_DIGIT.search(text) is not None
    return _street_strong(text)


def _street_strong_check(flags: list[int] | None) -> Callable[[str], bool]:
    """The street-word-and-number test of a value, given whether the pre-check ran."""
    return _street_strong if flags is None else _street_strong_flagged


def _indexed_sum(
    ordered: list[tuple[str, int]], positions: list[int] | None, check: Callable[[str], object]
) -> int:
    """Summed counts of the values ``check`` accepts among ``positions`` (``None``: all)."""
    if positions is None:
        return sum(count for text, count in ordered if check(text))
    return sum(ordered[i][1] for i in positions if check(ordered[i][0]))


def _suffix_repeat(ordered: list[tuple[str, int]], flags: list[bool] | None = None) -> float:
    """Weighted share of multi-word values whose last word ends >= 10% of the distinct ones.

    Needs 20 distinct multi-word values (a people-role column of eight names is not judged).
    Initials and one-letter words are not last words that count. ``flags``: which values
    :data:`_MULTI_WORD_PRECHECK` flagged (``None``: every value may have several words).
    """
    head = ordered[:_SUFFIX_HEAD]
    if flags is not None:
        head = list(itertools.compress(head, flags[: len(head)]))
        if len(head) < 20:  # fewer candidates than the 20 multi-word values needed
            return 0.0
    multi: list[tuple[str, int]] = []
    for text, count in head:
        last = _last_word(text)
        if last is not None:
            multi.append((last, count))
    if len(multi) < 20:
        return 0.0
    lasts = Counter(map(itemgetter(0), multi))
    threshold = max(3, 0.1 * len(multi))  # once, not per distinct last word (issue 17)
    # k >= threshold, tested in C: int and float both compare with an int count.
    common = set(itertools.compress(lasts.keys(), map(threshold.__le__, lasts.values())))
    if not common:
        return 0.0
    total = sum(map(itemgetter(1), multi))
    return sum(c for w, c in multi if w in common) / total if total else 0.0


def _last_word(text: str) -> str | None:
    """The last word of ``text`` (commas are spaces), stripped of dots and lower-cased.

    ``None`` if ``text`` has fewer than two words or that word fewer than two characters.
    """
    # A split with no limit keeps the same last word.
    words = text.replace(",", " ").rsplit(None, 1)
    if len(words) == 2:
        last = words[1].strip(".").lower()
        if len(last) >= 2:
            return last
    return None


def _sequential(texts: list[str]) -> bool:
    """Integers that look generated by a counter: dense within their range (row ids)."""
    try:
        numbers = list(map(int, texts))
    except ValueError:
        return False
    if len(numbers) < 20:
        return False
    # Issue 17: the span needs the least and the greatest only, not a sort.
    span = max(numbers) - min(numbers) + 1
    return span <= 50 * len(numbers)
