"""What a column's sampled values look like: kind, distinct values, shape shares.

Pure and cheap (one pass over the distinct values): the decision rules in
:mod:`classifiers.pii.decide` read these numbers instead of the raw values, and they are what
the evidence reports (distinct ratio, shape of the values) besides pattern and NER hits.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from models import ColumnSample

Kind = Literal["string", "integer", "float", "date", "bool", "other", "empty"]

#: A person-name-like value: one to four words of letters (any script) with a capital first
#: letter, optional particles (van, de, von ...), hyphens, apostrophes and initials.
_NAME_WORD = r"(?:[^\W\d_][^\W\d_'’\-.]*(?:[-'’][^\W\d_]+)*\.?)"
_NAME_SHAPE = re.compile(rf"^{_NAME_WORD}(?:,? {_NAME_WORD}){{0,4}}$")
_PARTICLES = {"van", "von", "de", "der", "den", "del", "della", "da", "di", "du", "la", "le",
              "y", "e", "bin", "al", "ter", "ten", "zu", "dos", "das"}  # fmt: skip

#: Words that mark an organisation name (legal forms and common company words, several
#: languages); a column of such values is not PERSON whatever NER says.
_ORG_MARKERS = re.compile(
    r"(?i)(?:\b(?:inc|llc|ltd|plc|corp|corporation|company|co|group|holdings?|partners|"
    r"gmbh|ag|kg|ohg|gbr|ug|e\.?\s?v|mbh|sa|sas|sarl|sl|s\.?\s?l|s\.?\s?a|spa|s\.?p\.?a|srl|"
    r"bv|nv|oy|ab|as|aps|kk|pty|limited|industries|solutions|systems|services|technologies|"
    r"international|associates|consulting|bank|trust|foundation|university|institute|"
    # More legal forms (B.V., N.V., S.r.l., s.r.o., LLP, KGaA, e.K., Sp. z o.o., S.Coop.,
    # S.L.N.E., A/S, Cie) and the abbreviations of all-caps company registers.
    r"b\.\s?v|n\.\s?v|s\.\s?r\.\s?[lo]|srl|sro|llp|kgaa|e\.\s?k|sp\.?\s?z\s?o\.?\s?o|"
    r"s\.\s?coop|coop|s\.\s?l\.\s?n\.\s?e|s\.\s?a\.\s?s|a/s|cie|intl|hldgs?|mfg|bros|"
    r"enterprises?|trading|logistics|verein|stiftung|genossenschaft|fondation|fundacion|"
    r"fondazione|stichting|vereniging)\b\.?|"
    r"&| and sons| and | und | et | y )"
)

#: A street address: a house number next to a street word, in the common European and North
#: American orders ("12 Main St", "Hauptstraße 5", "12 rue de la Paix", "Calle Mayor, 3").
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
    r"rua|travessa|praça|estrada|"
    r"apt|suite|unit|flat|floor|box"
)
#: Street word + house number: strong evidence on its own.
_STREET_WORD = re.compile(
    rf"(?i)(?:\b(?:{_STREET_WORDS})\b|[^\W\d_]{{3,}}(?:straße|strasse|str\.|weg|gasse|platz|"
    rf"allee|ring|damm|straat|laan|singel|gracht|plein|dreef|hof|kade))"
)
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


def embedded_street(text: str) -> re.Match[str] | None:
    """The first street address mentioned in ``text``, if any."""
    return _EMBEDDED_STREET.search(text)


def looks_like_street(text: str) -> tuple[bool, bool]:
    """``(shape, strong)``: shaped like a street address; and with a street word and number."""
    lines = [line.strip() for line in text.splitlines() if line.strip()][:3]
    shape = any(_STREET_SHAPE.match(line) for line in lines)
    strong = bool(_STREET_WORD.search(text)) and any(c.isdigit() for c in text)
    return shape, strong


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
            and self.mean_words >= 3
            and self.mean_length >= 15
            and self.distinct_ratio >= 0.3
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


def parse_date(text: str) -> date | None:
    """A date from the common written forms (ISO, ``dd.mm.yyyy``, ``mm/dd/yyyy`` ...)."""
    if not 8 <= len(text) <= 10 or not text[:1].isdigit():
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
    values = [v for v in column.values if v is not None and v != ""]
    kind = _kind(values)
    profile = ColumnProfile(column.name, column.data_type, kind, n=0)
    if kind == "date":
        profile.dates = [v.date() if isinstance(v, datetime) else v for v in values
                         if isinstance(v, date)]  # fmt: skip
        profile.n = len(profile.dates)
        return profile
    counter: Counter[str] = Counter()
    for v in values:
        text = _render(v)
        if text is not None:
            counter[text] += 1
    profile.n = sum(counter.values())
    if not profile.n:
        return profile
    ordered = counter.most_common()
    profile.texts = [t for t, _ in ordered]
    profile.counts = [c for _, c in ordered]
    total_len = total_words = alpha_words = name = org = street = street_word = 0
    for text, count in ordered:
        total_len += len(text) * count
        words = text.split()
        total_words += len(words) * count
        alpha_words += sum(1 for w in words if w.strip(".,;:!?'\"()").isalpha()) * count
        if kind == "string":
            if looks_like_name(text):
                name += count
            if _ORG_MARKERS.search(text):
                org += count
            shape, strong = looks_like_street(text)
            street += count if shape else 0
            street_word += count if strong else 0
    profile.mean_length = total_len / profile.n
    profile.mean_words = total_words / profile.n
    profile.word_share = alpha_words / total_words if total_words else 0.0
    profile.name_shape = name / profile.n
    profile.org_marker = org / profile.n
    profile.street_shape = street / profile.n
    profile.street_word = street_word / profile.n
    if kind == "string":
        profile.suffix_repeat = _suffix_repeat(ordered)
    if profile.free_text:
        embedded = sum(c for t, c in ordered if _EMBEDDED_STREET.search(t))
        profile.embedded_street = embedded / profile.n
    if kind == "string":
        parsed = [(parse_date(t), c) for t, c in ordered[:400]]
        hits = [(d, c) for d, c in parsed if d is not None]
        if hits and sum(c for _, c in hits) >= 0.8 * sum(c for _, c in parsed):
            profile.dates = [d for d, c in hits for _ in range(c)]
    if kind == "integer":
        profile.sequential = _sequential(profile.texts)
    return profile


def _suffix_repeat(ordered: list[tuple[str, int]]) -> float:
    """Weighted share of multi-word values whose last word ends >= 10% of the distinct ones.

    Needs 20 distinct multi-word values (a people-role column of eight names is not judged).
    Initials and one-letter words are not last words that count.
    """
    lasts: Counter[str] = Counter()
    multi: list[tuple[str, int]] = []
    for text, count in ordered[:2000]:
        words = text.replace(",", " ").split()
        if len(words) >= 2:
            last = words[-1].strip(".").lower()
            if len(last) >= 2:
                lasts[last] += 1
                multi.append((last, count))
    if len(multi) < 20:
        return 0.0
    common = {w for w, k in lasts.items() if k >= max(3, 0.1 * len(multi))}
    total = sum(c for _, c in multi)
    return sum(c for w, c in multi if w in common) / total if total else 0.0


def _sequential(texts: list[str]) -> bool:
    """Integers that look generated by a counter: dense within their range (row ids)."""
    try:
        numbers = sorted(int(t) for t in texts)
    except ValueError:
        return False
    if len(numbers) < 20:
        return False
    span = numbers[-1] - numbers[0] + 1
    return span <= 50 * len(numbers)
