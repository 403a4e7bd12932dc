"""Pure feature extraction for the business models, from a :class:`TableSample` alone.

No reads, no vendor SDKs: the features come from column names, portable data types, the
sampled values and the object path. Features are sparse ``{name: float}`` dicts that a
``DictVectorizer`` turns into a matrix, so the saved scikit-learn pipelines need no project
code (and skops needs no project types on the allow-list).

Bump :data:`FEATURE_VERSION` whenever a feature changes: the manifest records it and the
model refuses artifacts trained on another version.
"""

from __future__ import annotations

import functools
import math
import operator
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from itertools import compress, repeat
from typing import Any, cast

import numpy as np

from classifiers.business import lexicon
from classifiers.business.countries import COUNTRY_ALIASES, ISO_COUNTRIES
from models.findings import ColumnFinding
from models.labels import NATIONAL_ID_ENTITIES
from models.objects import ObjectRef
from models.samples import CellValue, ColumnSample, TableSample

FEATURE_VERSION = 5

#: Values looked at per column; enough for the statistics, bounded for speed.
MAX_VALUES = 200

_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_SPLIT = re.compile(r"[^a-z0-9]+")
_DIGITS = re.compile(r"\d+")

_RE_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][+-]?\d+)?$")
#: Matches every string :data:`_RE_NUMBER` matches (and a few more, ``1,2``), in linear
#: time: possessive runs of digits and commas, of decimals, of exponent digits.
_NUMBER_SHAPE = re.compile(r"^[+-]?[\d,]*+(?:\.\d++)?+(?:[eE][+-]?\d++)?+$")
_RE_DATE = re.compile(r"^(\d{4}[-/]\d{1,2}[-/]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})$")
_RE_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_RE_PERCENT = re.compile(r"^[+-]?\d+(\.\d+)?\s?%$")
_RE_URL = re.compile(r"^(https?://|www\.)\S+$", re.IGNORECASE)
_RE_SKU = re.compile(r"^[A-Z]{2,5}[-_]?\d{3,8}([-_][A-Z0-9]{1,4})?$")
_RE_VERSION = re.compile(r"^v?\d+\.\d+(\.\d+)?([-+.][0-9A-Za-z.]+)?$")
_RE_SEMVER3 = re.compile(r"^v?\d+\.\d+\.\d+")
_RE_POSTAL = re.compile(
    r"^(\d{5}(-\d{4})?|\d{4}|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|[A-Z]\d[A-Z] ?\d[A-Z]\d|\d{3}-\d{4})$"
)
_RE_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_RE_PREFIXED_ID = re.compile(r"^[A-Za-z]{1,4}[-_]?\d{4,}$")
_RE_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_RE_TITLE_WORDS = re.compile(r"^[A-Z][a-z'.-]+( [A-Z][a-z'.-]+){0,3}$")
#: Patterns that match exactly the strings :data:`_RE_TITLE_WORDS`, :data:`_RE_PREFIXED_ID`
#: and :data:`_RE_VERSION` match, faster where they fail: a run that no character after it
#: could continue (a run of letters before a space or the end, of digits before a dot) is
#: possessive (``++``), so a failed match does not retry every shorter run, and groups do
#: not capture. Only whether a string matches is read. The version's optional groups stay
#: as they are: ``1.2.3x`` matches only by giving ``.3`` back to the last group.
_TITLE_WORDS_FAST = re.compile(r"^[A-Z][a-z'.-]++(?: [A-Z][a-z'.-]++){0,3}+$")
_PREFIXED_ID_FAST = re.compile(r"^[A-Za-z]{1,4}+[-_]?+\d{4,}+$")
_VERSION_FAST = re.compile(r"^v?+\d++\.\d++(?:\.\d++)?(?:[-+.][0-9A-Za-z.]++)?$")
_BOOL_WORDS = frozenset({"true", "false", "yes", "no", "y", "n", "t", "f", "0", "1", "on", "off"})

#: ISO 4217 currency codes: every code in circulation, and a few recently replaced ones
#: that old data still holds (``BGN``, ``HRK``, ``VEF``, ``ZWL`` ...). A lake's currency
#: column may list any of them (a rates table lists them all), not only the common ones.
CURRENCY_CODES = frozenset(
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN "
    "BWP BYN BYR BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB "
    "EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK "
    "JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD "
    "MMK MNT MOP MRO MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP "
    "PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STD STN "
    "SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VEF VES VND VUV "
    "WST XAF XCD XCG XDR XOF XPF YER ZAR ZMW ZWG ZWL".split()
)
#: A money amount: a currency symbol (or ``R$``, or an ISO 4217 code and a space) before
#: the digits, or a symbol or code after them, as locales write prices (``$7.81``,
#: ``-$3.50``, ``R$5.570,70``, ``EUR 12``, ``7.070,49 €``, ``4,99 €``, ``12 CHF``). The run
#: of digits before a suffix is possessive: no symbol or code starts with a digit, a space,
#: "." or ",", so giving any back cannot help, and a plain number fails after one try of the
#: codes.
#: Codes that are also English words (``TOP 10``, ``ALL 3``, ``PEN 5``) are left out of it;
#: as whole values they are still currencies (:data:`CURRENCY_CODES`).
_WORD_CODES = frozenset({"ALL", "BOB", "CUP", "GEL", "MOP", "PEN", "SOS", "TOP", "TRY"})
_CURRENCY_ALTERNATIVES = "|".join(sorted(CURRENCY_CODES - _WORD_CODES))
_RE_MONEY = re.compile(
    rf"^(?:-?(?:[$€£¥]|R\$|(?:{_CURRENCY_ALTERNATIVES})\s)\s?-?\d"
    rf"|-?\d[\d.,\s]*+(?:[$€£¥]|{_CURRENCY_ALTERNATIVES})$)"
)
#: Two-letter codes that are more often something else than the ISO 3166 country they also
#: name: US state and territory abbreviations (``GA``, ``PA``, ``MD``), ``AM``/``PM``, the
#: size ``SM``, ``NA`` for missing, and units of measure (``KG``, ``CM``, ``ML``, ``LB``,
#: ``DZ`` a dozen). Of these, the larger countries' codes still count
#: (:data:`_LARGE_COUNTRIES`).
_NOT_COUNTRY_ALPHA2 = frozenset(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC AS GU MP PR VI UM AM PM SM "
    "NA KG CM MM ML MG KM LT LB DZ GL".split()
)
#: Codes of :data:`_NOT_COUNTRY_ALPHA2` whose country is too large to leave out (a column of
#: them is as often countries as states), and ``UK`` for the United Kingdom.
_LARGE_COUNTRIES = frozenset({"AR", "CA", "CO", "DE", "ID", "IL", "IN", "MA", "UK"})
#: ISO 3166 country codes: every alpha-3 code; every alpha-2 code but those of
#: :data:`_NOT_COUNTRY_ALPHA2`, and of those :data:`_LARGE_COUNTRIES`. A country column may
#: hold any country, not only the larger ones.
COUNTRY_CODES = (
    frozenset(alpha3 for _, _, alpha3 in ISO_COUNTRIES)
    | frozenset(alpha2 for _, alpha2, _ in ISO_COUNTRIES if alpha2 not in _NOT_COUNTRY_ALPHA2)
    | _LARGE_COUNTRIES
)
#: Country names in lower case: every ISO 3166-1 entry's English name and the other
#: spellings of :mod:`classifiers.business.countries`, up to :data:`_LONGEST_COUNTRY_NAME`
#: characters (the few longer ones are rare in data and would lengthen every string looked
#: up).
_LONGEST_COUNTRY_NAME = 32
COUNTRY_NAMES = frozenset(
    name
    for name in (*(entry[0].lower() for entry in ISO_COUNTRIES), *COUNTRY_ALIASES)
    if len(name) <= _LONGEST_COUNTRY_NAME
)
_CITY_SUFFIXES = (
    "ville",
    "town",
    "ton",
    "burg",
    "burgh",
    "borough",
    "bury",
    "port",
    "mouth",
    "stad",
    "furt",
    "chester",
    "fort",
    "haven",
    "side",
    "shire",
    "view",
    "land",
    "berg",
    "field",
    "ford",
    "ham",
    "polis",
    "grad",
    "city",
)

#: Column business types, in a fixed order. ``person_data`` is the catch-all for columns
#: about one person (names, e-mail addresses, phone numbers, street addresses, IPs, national
#: IDs) that the PII classifier owns; ``other`` for anything else (JSON blobs, hashes ...).
COLUMN_TYPES: tuple[str, ...] = (
    "identifier",
    "foreign_key_id",
    "amount",
    "currency_code",
    "quantity",
    "percentage",
    "country",
    "city",
    "postal_code",
    "date",
    "timestamp",
    "boolean_flag",
    "category_enum",
    "free_text",
    "url",
    "product_code_sku",
    "measurement",
    "version_string",
    "person_data",
    "other",
)


#: Last name tokens that mark a key column: ids, keys, warehouse surrogate keys (``_sk``),
#: primary/foreign key and reference abbreviations, numbers.
KEY_SUFFIXES = frozenset(
    {"id", "key", "sk", "pk", "fk", "uuid", "guid", "ref", "code", "no", "nr", "num", "number"}
)
#: Words that end in "key" without being a key (``custkey``, ``orderkey`` are keys).
_NOT_KEY_WORDS = frozenset({"monkey", "turkey", "hockey", "jockey", "whiskey", "donkey", "lackey"})


#: A column name that says nothing: a position after a generic word (``col_3``, ``field12``,
#: ``column_1`` as the sampler names a headerless CSV's columns, ``V7``, ``x2``,
#: ``Unnamed: 0`` as pandas writes an index) or a bare number.
OPAQUE_NAME = re.compile(
    r"(?:(?:col|column|field|attr|attribute|var|variable|feature|feat|unnamed|c|f|v|x)"
    r"[\s_:.-]*)?\d+",
    re.IGNORECASE,
)


def opaque_name(name: str) -> bool:
    """Whether a column name says nothing to the models.

    A positional name (:data:`OPAQUE_NAME`), or one without a word the models can read
    (:func:`name_tokens` gives none: ``メールアドレス``, ``фамилия``, ``_``). Pure apart
    from :func:`name_tokens`' cache.
    """
    return OPAQUE_NAME.fullmatch(name.strip()) is not None or not _name_token_tuple(name)


def row_index(col: ColumnSample) -> bool:
    """Whether ``col`` holds row numbers.

    At least five values, all integers (or integer strings), strictly increasing in sample
    order (``Unnamed: 0``, ``rownames``, a headerless CSV's first column). Pure; never raises.
    """
    last: int | None = None
    seen = 0
    for v in col.values:
        if v is None or isinstance(v, bool):
            return False
        if isinstance(v, int):
            n = v
        elif isinstance(v, str) and (s := v.strip()).isascii() and s.isdigit():
            # isascii first: "³" is a digit to str.isdigit and an error to int.
            n = int(s)
        else:
            return False
        if last is not None and n <= last:
            return False
        last = n
        seen += 1
    return seen >= 5


def hidden_share(sample: TableSample, opaque: Sequence[bool]) -> float:
    """The share of ``sample``'s columns whose names say nothing, row numbers left out.

    ``opaque`` per column (:func:`opaque_names`); row numbers (:func:`row_index`) are left
    out: an index column under ``Unnamed: 0`` says nothing of the table either way, and
    counting it mixed the hidden-names pair into real tables whose other names are telling
    (bench/README.md). Pure.
    """
    kept = [o for o, c in zip(opaque, sample.columns, strict=True) if not (o and row_index(c))]
    return sum(kept) / len(kept) if kept else 0.0


def opaque_names(sample: TableSample) -> list[bool]:
    """:func:`opaque_name` per column of ``sample``.

    Such columns, and the category of an object by their share, go to the pair trained on
    hidden names (:mod:`classifiers.business.model`). Pure apart from a cache.
    """
    return [opaque_name(c.name) for c in sample.columns]


#: Where a table read without its names is said to be (:func:`without_names`): a bucket and
#: a folder that no category claims, as the hidden-names pair's training paths.
NEUTRAL_PREFIX = "s3://lake/data/part-00000"


def without_names(sample: TableSample) -> TableSample:
    """``sample`` with every column named by its position (``c1`` ...) and a neutral path.

    What the models are shown of a table whose names are not to be believed
    (:func:`classifiers.business.contradictions.names_contradicted`): every name then says
    nothing (:func:`opaque_names`), so the hidden-names pair decides alone. Values, types and
    the sampling record are unchanged. Pure.
    """
    ref = ObjectRef.parse(f"{NEUTRAL_PREFIX}.{sample.format}")
    columns = tuple(replace(c, name=f"c{i + 1}") for i, c in enumerate(sample.columns))
    return replace(sample, info=replace(sample.info, ref=ref), columns=columns)


def is_key_name(tokens: Sequence[str]) -> bool:
    """Whether a column name's last token says "key".

    One of :data:`KEY_SUFFIXES`, or a compound ending in ``key`` (``custkey``, ``nationkey``,
    as warehouses spell them). Pure; never raises.
    """
    if not tokens:
        return False
    last = tokens[-1]
    return last in KEY_SUFFIXES or (
        len(last) > 4 and last.endswith("key") and last not in _NOT_KEY_WORDS
    )


def name_tokens(name: str) -> list[str]:
    """Split a column or path name into lower-case word tokens (camelCase and snake_case).

    Accents are folded (``Prénom`` is ``prenom``, not ``pr`` and ``nom``) and German, French,
    Spanish, Italian, Portuguese and Dutch words become the English words the models know
    (:mod:`classifiers.business.lexicon`: ``Geburtsdatum`` -> ``birth``, ``date``).

    Pure; never raises.
    """
    return list(_name_token_tuple(name))


def clear_name_caches() -> None:
    """Forget the per-name tokens and features kept by this module.

    For code that swaps :func:`classifiers.business.lexicon.translate_tokens` (``bench/
    foreign.py`` measures the models without the lexicon): the caches hold what the lexicon
    in place when they were filled made of each name. Side effect: later calls recompute.
    """
    _name_token_tuple.cache_clear()
    _cached_name_features.cache_clear()


@functools.lru_cache(maxsize=16384)
def _name_token_tuple(name: str) -> tuple[str, ...]:
    """:func:`name_tokens` as a tuple, kept per name (a lake repeats its column names)."""
    spaced = _CAMEL.sub(r"\1 \2", name)
    spaced = spaced.lower() if spaced.isascii() else lexicon.fold_accents(spaced)
    spaced = _DIGITS.sub(" ", spaced)
    return tuple(lexicon.translate_tokens([t for t in _SPLIT.split(spaced) if t]))


def path_tokens(sample: TableSample) -> list[str]:
    """Tokens of the bucket and the key's folders (not the file name), in order.

    Pure; never raises.
    """
    ref = sample.info.ref
    parts = [ref.bucket] if ref.bucket else []
    key = ref.key
    folders = key.split("/")[:-1]
    if ref.scheme == "file":
        folders = folders[-3:]
    for folder in folders:
        if "=" in folder:
            folder = folder.split("=", 1)[0]
        parts.append(folder)
    tokens: list[str] = []
    for part in parts:
        tokens.extend(name_tokens(part))
    return tokens


def _singular(token: str) -> str:
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith("s") and not token.endswith("ss") and len(token) > 3:
        return token[:-1]
    return token


def _slog(x: float) -> float:
    return math.copysign(math.log10(1.0 + abs(x)), x)


def type_family(data_type: str) -> str:
    """The family of an Arrow type name (``date32[day]`` is ``date``). Pure.

    ``timestamp``, ``date``, ``decimal``, ``bool``, ``json``, ``binary``, ``int``, ``float``,
    ``string`` or ``other``.
    """
    t = data_type.lower()
    for fam in ("timestamp", "date", "decimal", "bool", "json", "binary"):
        if t.startswith(fam):
            return fam
    if t.startswith(("int", "uint")):
        return "int"
    if t.startswith(("double", "float")):
        return "float"
    return "string" if t.startswith(("string", "large_string", "utf8")) else "other"


def _as_number(v: CellValue) -> float | None:
    """``v`` as a finite float, or ``None``: not a number, or beyond a float's range.

    Why finite only: "1e999" reads as infinity and an integer of 400 digits does not fit a
    float; either made the numeric features raise (``int(inf)``) and the whole table lose its
    business classification.
    """
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float | Decimal):
        try:
            f = float(v)
        except OverflowError:
            return None
        return f if math.isfinite(f) else None
    if isinstance(v, str):
        s = v.strip()
        # ``any(map(str.isdigit, s))``: the per-character ``isdigit`` test, looped in C.
        if s and len(s) < 40 and _RE_NUMBER.match(s) and any(map(str.isdigit, s)):
            try:
                f = float(s.replace(",", ""))
            except ValueError:
                return None
            return f if math.isfinite(f) else None
    return None


#: Last name tokens of key names whose values stay with the shared value features: a
#: ``code`` or a ``number`` is as often a value (postal, currency and country codes, SKUs,
#: phone numbers) as a key.
_VALUE_KEY_WORDS = frozenset({"code", "number", "no", "num", "nr"})
#: Prefix of the value features of a column named as a key (:func:`column_features`).
KEY_VALUE_PREFIX = "k:"


def column_features(
    col: ColumnSample, *, position: int = 0, table_tokens: Iterable[str] = ()
) -> dict[str, float]:
    """Features of one column: name n-grams and tokens, data type and value statistics.

    The value statistics of a column named as a key (``customer_id``, ``ss_item_sk``,
    ``o_custkey``; not ``..._code`` or ``..._number``) are named ``k:<feature>``: the model
    weighs them apart from other columns', so how much a key's values repeat or how large
    they are does not make it a quantity (what the generator's keys taught a shared weight).

    :param position: the column's index in the table (the first column is often the key).
    :param table_tokens: path tokens of the object, used to tell a table's own id from a
        foreign key (``customer_id`` in ``.../customers/``).
    Pure (the name features are kept in a bounded cache per name, type, first-or-not and
    path tokens; the dict returned is the caller's); never raises.
    """
    # Each helper adds its own keys (no two helpers share one). The name features are
    # kept per name, type, first-or-not and path tokens (never per value) and copied.
    named, prefixed = _cached_name_features(
        col.name, col.data_type, position == 0, tuple(table_tokens)
    )
    f = dict(named)
    values = _value_features(col)
    f.update(_key_value_features(f, values, position))
    if prefixed:
        values = {KEY_VALUE_PREFIX + k: v for k, v in values.items()}
    f.update(values)
    return f


@functools.lru_cache(maxsize=2048)
def _cached_name_features(
    name: str, data_type: str, first: bool, table_tokens: tuple[str, ...]
) -> tuple[dict[str, float], bool]:
    """:func:`_name_features` of a column, and whether its value features take the ``k:`` prefix.

    Depends on nothing else of the column (``position`` only through ``position == 0``).
    The dict is shared between calls: callers copy it before adding to it.
    """
    f = _name_features(name, data_type, 0 if first else 1, table_tokens)
    prefixed = bool(f.get("key_suffix")) and _name_token_tuple(name)[-1] not in _VALUE_KEY_WORDS
    return f, prefixed


def _value_features(col: ColumnSample) -> dict[str, float]:
    """Null share, then (when any value is present) text, numeric and shape statistics."""
    values = col.values[:MAX_VALUES]
    total = len(values)
    present = [v for v in values if v is not None and v != ""]
    n = len(present)
    f = {"null_share": 1.0 - n / total if total else 1.0}
    if n == 0:
        f["empty"] = 1.0
        return f
    kinds = set(map(type, present))
    kind = kinds.pop() if len(kinds) == 1 else None
    if kind is str or kind is int or kind is float:
        # A column of one plain type (nearly every column): the numeric and shape statistics
        # are computed once per distinct value and weighed by its count. Equal values of
        # these types convert, match and round alike (0.0 and -0.0 too: see
        # _counted_numeric_features), so the figures are the ones per value, to the bit.
        tally: Counter[Any] = Counter(present)
        if kind is str:
            texts = cast("list[str]", present)
            distinct = len(tally)  # the strings are their own texts
        else:
            texts = list(map(str, present))
            # str() tells ints apart as == does, not floats (0.0 and -0.0, NaNs).
            distinct = len(tally) if kind is int else len(set(texts))
        text_f, chars, digits = _text_stats(texts, distinct)
        f.update(text_f)
        if kind is str:
            # The distinct stripped strings, looked at once for the numbers and the shapes.
            strings = _Strings(tally)
            f.update(_counted_numeric_features(present, tally, distinct, kind, digits, strings))
            f.update(_shares(_shape_hits(strings, digits, chars), n))
        else:
            f.update(_counted_numeric_features(present, tally, distinct, kind, texts=texts))
            f.update(_NO_SHAPES)
        return f
    if kind is date or kind is datetime:
        # Dates or date-times only: never numbers, every value of that one shape.
        texts = list(map(kind.isoformat, cast("list[date]", present)))
        f.update(_text_features(texts, len(set(texts))))
        f["numeric_share"] = 0 / n
        f.update(_shares({"datetime" if kind is datetime else "date": n}, n))
        if kind is datetime:
            f["midnight_share"] = midnight_share(cast("list[datetime]", present))
        return f
    texts = [v if isinstance(v, str) else _text(v) for v in present]
    distinct = len(set(texts))
    f.update(_text_features(texts, distinct))
    f.update(_numeric_features(present, distinct))
    f.update(_shape_features(present))
    return f


def midnight_share(values: Sequence[datetime]) -> float:
    """The share of ``values`` at midnight exactly: dates stored as timestamps.

    Why: a schema's DATE columns often arrive as timestamps at 00:00 (TPC-H's
    ``l_shipdate`` read through pandas, a CSV of ``2016-01-01 00:00:00``), and event times
    carry a time of day; without this the column model saw one kind of value for both.
    Pure; ``values`` must not be empty.
    """
    at_midnight = sum(1 for v in values if not (v.hour or v.minute or v.second or v.microsecond))
    return at_midnight / len(values)


def _key_value_features(
    name: Mapping[str, float], values: Mapping[str, float], position: int
) -> dict[str, float]:
    """A key name together with what its values say, which a linear model cannot combine.

    ``key_repeated``: a key name after the first column whose values repeat (a reference to
    another table's rows); ``key_unique_first`` / ``key_unique_later``: a key name whose
    sampled values are all distinct, as the table's own key is. ``{}`` for other names and
    for columns without values.

    :param name: the column's name features; :param values: its value features.
    """
    if not name.get("key_suffix") or "distinct_ratio" not in values:
        return {}
    out: dict[str, float] = {}
    ratio = values["distinct_ratio"]
    if position > 0 and ratio < 1.0:
        out["key_repeated"] = 1.0
    if ratio == 1.0:
        out["key_unique_first" if position == 0 else "key_unique_later"] = 1.0
    return out


def _name_features(
    name: str, data_type: str, position: int, table_tokens: Iterable[str]
) -> dict[str, float]:
    """Name tokens and character n-grams, data-type family, position and id-ness of a column."""
    f: dict[str, float] = {}
    toks = _name_token_tuple(name)
    for t in toks:
        f["tok=" + t] = 1.0
    if toks:
        f["last=" + toks[-1]] = 1.0
        f["first=" + toks[0]] = 1.0
    norm = "^" + "_".join(toks) + "$"
    for n in (3, 4):
        for i in range(len(norm) - n + 1):
            f["ng=" + norm[i : i + n]] = 1.0
    f["dt=" + type_family(data_type)] = 1.0
    f["is_first"] = 1.0 if position == 0 else 0.0
    own = {_singular(t) for t in table_tokens}
    if toks and toks[-1] in ("id", "key", "uuid", "code", "no", "number"):
        stem = {_singular(t) for t in toks[:-1]}
        f["id_own_table"] = 1.0 if stem and stem <= own else 0.0
        f["id_bare"] = 1.0 if not stem else 0.0
    if is_key_name(toks):
        # One feature for every spelling of "this is a key", so what the model learns from
        # ``customer_id`` carries over to a warehouse's ``ss_customer_sk`` it never saw.
        f["key_suffix"] = 1.0
        f["key_suffix_first" if position == 0 else "key_suffix_later"] = 1.0
    return f


def _ascii_classes(code: int) -> list[bool]:
    """Whether the character ``code`` is a digit, a letter, upper case, punctuation, a space.

    The str predicates the per-character count applies; all false from 128 on (never in
    ASCII text).
    """
    c = chr(code)
    if code >= 128:
        return [False] * 5
    return [c.isdigit(), c.isalpha(), c.isupper(), not c.isalnum() and not c.isspace(), c == " "]


#: Per byte (rows 0-255), whether it is in each class :func:`_text_stats` counts (columns
#: digit, alpha, upper, punct and the space itself): :func:`_ascii_classes`.
_ASCII_CLASSES = np.array([_ascii_classes(code) for code in range(256)], dtype=np.int64)


def _text_features(texts: Sequence[str], distinct: int) -> dict[str, float]:
    """Distinctness, length and character-class statistics of the non-empty values as text.

    :param distinct: the number of distinct ``texts``.
    """
    return _text_stats(texts, distinct)[0]


def _text_stats(texts: Sequence[str], distinct: int) -> tuple[dict[str, float], str, bool]:
    """:func:`_text_features`, the texts joined, and whether they may hold a digit.

    The last is :func:`_may_hold_digit` of the joined texts (``False`` only for ASCII text
    without a digit), known here from the character counts.
    """
    f: dict[str, float] = {}
    n = len(texts)
    f["distinct_ratio"] = distinct / n
    f["distinct_log"] = math.log10(1 + distinct)
    f["few_distinct"] = 1.0 if distinct <= 12 else 0.0
    f["two_distinct"] = 1.0 if distinct <= 2 else 0.0
    lengths = list(map(len, texts))
    mean_len = sum(lengths) / n
    f["len_mean"] = math.log1p(mean_len)
    # ``(x - mean_len) ** 2`` summed in order: each distinct length's square computed once,
    # then looked up per value and summed in C (the same floats added in the same order).
    squares = {x: pow(x - mean_len, 2) for x in set(lengths)}
    f["len_std"] = math.log1p(math.sqrt(sum(map(squares.__getitem__, lengths)) / n))
    f["len_const"] = 1.0 if len(squares) == 1 else 0.0
    chars = "".join(texts)
    nc = max(1, len(chars))
    if chars.isascii():
        # Each class counted from one histogram of the bytes (in numpy, exact integers):
        # the integers of testing every character, far faster.
        histogram = np.bincount(np.frombuffer(chars.encode("ascii"), np.uint8), minlength=256)
        digit, alpha, upper, punct, spaces = (histogram @ _ASCII_CLASSES).tolist()
        may_hold_digit = digit > 0
    else:
        # Counted per distinct character (Counter runs in C): the same integers again.
        tally = Counter(chars)
        digit = sum(k for c, k in tally.items() if c.isdigit())
        alpha = sum(k for c, k in tally.items() if c.isalpha())
        upper = sum(k for c, k in tally.items() if c.isupper())
        punct = sum(k for c, k in tally.items() if not c.isalnum() and not c.isspace())
        spaces = tally[" "]
        may_hold_digit = True
    f["digit_share"] = digit / nc
    f["alpha_share"] = alpha / nc
    f["upper_share"] = upper / nc
    f["space_share"] = spaces / nc
    f["punct_share"] = punct / nc
    # The spaces of every text, counted in the joined text: the same integer as per text.
    f["words_mean"] = math.log1p((spaces + n) / n)
    return f, chars, may_hold_digit


def _numeric_features(present: Sequence[CellValue], distinct: int) -> dict[str, float]:
    """Share of numeric values and, when there are any, their range, sign and decimals.

    :param present: the non-empty values (at least one).
    :param distinct: the number of distinct values as text.
    """
    f: dict[str, float] = {}
    n = len(present)
    nums = [x for x in (_as_number(v) for v in present) if x is not None]
    f["numeric_share"] = len(nums) / n
    if nums:
        lo, hi = min(nums), max(nums)
        f["num_min"] = _slog(lo)
        f["num_max"] = _slog(hi)
        f["num_span"] = _slog(hi - lo)
        f["int_share"] = sum(1 for x in nums if x == int(x)) / len(nums)
        f["neg_share"] = sum(1 for x in nums if x < 0) / len(nums)
        f["unit_interval"] = 1.0 if 0 <= lo and hi <= 1 else 0.0
        f["pct_range"] = 1.0 if 0 <= lo and hi <= 100 else 0.0
        f["year_range"] = 1.0 if 1800 <= lo and hi <= 2100 and f["int_share"] == 1 else 0.0
        # Every value 0 or 1 (a flag stored as a number), not merely two small numbers.
        f["zero_one"] = 1.0 if len(nums) == n and set(nums) <= {0.0, 1.0} else 0.0
        decs = [_decimals(v) for v in present[:100]]
        f["two_decimals"] = sum(1 for d in decs if d == 2) / len(decs)
        f["many_decimals"] = sum(1 for d in decs if d >= 3) / len(decs)
        srt = sorted(nums)
        f["sequential"] = (
            1.0
            if len(srt) > 2 and f["int_share"] == 1 and distinct == n and hi - lo < 3 * n
            else 0.0
        )
    return f


def _counted_numeric_features(
    present: Sequence[CellValue],
    tally: Mapping[Any, int],
    distinct: int,
    kind: type,
    digits: bool = True,
    strings: _Strings | None = None,
    texts: Sequence[str] | None = None,
) -> dict[str, float]:
    """:func:`_numeric_features` from the distinct values of a one-type column.

    :param present: the non-empty values, all ``str``, all ``int`` or all ``float``.
    :param tally: ``Counter(present)`` (distinct values in order of first occurrence).
    :param distinct: the number of distinct values as text.
    :param kind: the values' type (``str``, ``int`` or ``float``).
    :param digits: ``False`` when no string holds a digit (:func:`_may_hold_digit`): then
        none is a number (``_as_number`` wants one), and none is tried.
    :param strings: ``_Strings(tally)`` for strings (made here when ``None``).
    :param texts: ``str`` of each value of ``present`` for floats (made here when ``None``).

    The same numbers as :func:`_numeric_features`: the shares are integer counts divided
    alike, and ``min``/``max`` over the distinct values in order of first occurrence return
    the value the per-value scan returns (the first occurrence of the extreme; ``0.0`` and
    ``-0.0``, equal keys of one count, are told apart by which came first, as there).
    Strings equal once stripped are one number (``_as_number`` strips): they are counted
    together at the first one's place, which leaves the first extreme where it was.
    """
    f: dict[str, float] = {}
    n = len(present)
    nums: list[float] = []
    weights: list[int] = []
    if kind is int:
        # What _as_number does to an int: the float, unless it is beyond a float's range.
        try:
            nums = list(map(float, tally))
            weights = list(tally.values())
        except OverflowError:
            for v, k in tally.items():
                x = _as_number(v)
                if x is not None:
                    nums.append(x)
                    weights.append(k)
    elif kind is float:
        # What _as_number does to a float: itself when finite.
        if all(map(math.isfinite, tally)):
            nums = list(tally)
            weights = list(tally.values())
        else:
            for v, k in tally.items():
                if math.isfinite(v):
                    nums.append(v)
                    weights.append(k)
    elif digits:
        if strings is None:
            strings = _Strings(tally)
        # Only strings of a number's shape can be numbers (_as_number decides, with the
        # exact pattern): a test that never backtracks, so "192.168.1.1" fails at once,
        # tried on the strings whose first character a number may start with.
        keys, counts = strings.keys, strings.counts
        chosen = strings.chosen("number")
        if chosen is not None:
            keys, counts = list(compress(keys, chosen)), list(compress(counts, chosen))
        for s, k in compress(zip(keys, counts, strict=True), map(_NUMBER_SHAPE.match, keys)):
            x = _as_number(s)
            if x is not None:
                nums.append(x)
                weights.append(k)
    m = sum(weights)
    f["numeric_share"] = m / n
    if nums:
        lo, hi = min(nums), max(nums)
        f["num_min"] = _slog(lo)
        f["num_max"] = _slog(hi)
        f["num_span"] = _slog(hi - lo)
        # ``nums`` are finite floats: ``is_integer`` is ``x == int(x)``, ``0.0 > x`` is ``x < 0``.
        f["int_share"] = sum(compress(weights, map(float.is_integer, nums))) / m
        f["neg_share"] = sum(compress(weights, map((0.0).__gt__, nums))) / m
        f["unit_interval"] = 1.0 if 0 <= lo and hi <= 1 else 0.0
        f["pct_range"] = 1.0 if 0 <= lo and hi <= 100 else 0.0
        f["year_range"] = 1.0 if 1800 <= lo and hi <= 2100 and f["int_share"] == 1 else 0.0
        f["zero_one"] = 1.0 if m == n and set(nums) <= {0.0, 1.0} else 0.0
        head = present[:100]
        if kind is int:
            two = many = 0
        elif kind is float:
            # A float's text (str) is its repr, what _decimals reads.
            two, many = _decimal_counts(list(map(str, head)) if texts is None else texts[:100])
        else:
            two, many = _decimal_counts(list(map(str.strip, cast("list[str]", head))))
        f["two_decimals"] = two / len(head)
        f["many_decimals"] = many / len(head)
        f["sequential"] = (
            1.0 if m > 2 and f["int_share"] == 1 and distinct == n and hi - lo < 3 * n else 0.0
        )
    return f


#: The third item of a sequence (in C, for ``map``): the part after ``str.partition``'s
#: separator.
_THIRD_ITEM = operator.itemgetter(2)


def _decimal_counts(texts: Sequence[str]) -> tuple[int, int]:
    """How many of ``texts`` have two decimals, and how many three or more (:func:`_decimals`).

    ``texts`` are what :func:`_decimals` reads of each value (a float's repr, a string
    stripped). Without an ``e`` (upper or lower case) in any of them, each one's decimals are
    the length of what follows its first ``.`` without trailing zeros (none without a
    ``.``), counted in C; otherwise per distinct text as :func:`_decimals` does.
    """
    if "e" in "".join(texts).lower():
        decs: Counter[int] = Counter()
        for text, k in Counter(texts).items():
            decs[_decimals(text)] += k
    else:
        fractions = map(_THIRD_ITEM, map(str.partition, texts, repeat(".")))
        decs = Counter(map(len, map(str.rstrip, fractions, repeat("0"))))
    return decs[2], sum(k for d, k in decs.items() if d >= 3)


#: Value shapes counted by :func:`_string_shape_hits`, in the order of their ``re_`` features.
_SHAPES = (
    "bool",
    "datetime",
    "date",
    "percent",
    "url",
    "sku",
    "version",
    "semver3",
    "postal",
    "uuid",
    "prefixed_id",
    "email",
    "money",
    "currency",
    "country_code",
    "country_name",
    "title_words",
    "city_like",
    "sentence",
)


#: The shape features of a column without strings, dates or booleans (numbers only).
_NO_SHAPES: dict[str, float] = {"re_" + key: 0.0 for key in _SHAPES}


def _shares(hits: Mapping[str, int], n: int) -> dict[str, float]:
    """``re_<shape>``: ``hits`` of each shape in :data:`_SHAPES` divided by ``n``."""
    return {"re_" + key: hits.get(key, 0) / n for key in _SHAPES}


def _shape_features(present: Sequence[CellValue]) -> dict[str, float]:
    """``re_<shape>``: the share of the non-empty values of each shape in :data:`_SHAPES`."""
    n = len(present)
    hits: Counter[str] = Counter()
    strings: Counter[str] = Counter()
    for v in present:
        if isinstance(v, bool):
            hits["bool"] += 1
        elif isinstance(v, datetime):
            hits["datetime"] += 1
        elif isinstance(v, date):
            hits["date"] += 1
        elif isinstance(v, str):
            strings[v] += 1
    hits.update(_string_shape_hits(strings))
    return _shares(hits, n)


#: Per regex shape: the class its pattern's first character is in (each pattern needs one:
#: none matches an empty string). A string whose first character is outside the class
#: cannot have the shape, so the pattern is not tried on it. ``number``: the first
#: character of a non-empty string :data:`_NUMBER_SHAPE` matches (a sign, a digit or a
#: comma, a decimal point, an exponent).
_FIRST_CHARS: dict[str, re.Pattern[str]] = {
    shape: re.compile(first, flags)
    for shape, first, flags in (
        ("datetime", r"\d", 0),
        ("date", r"\d", 0),
        ("percent", r"[+\-\d]", 0),
        ("url", r"[hw]", re.IGNORECASE),
        ("sku", r"[A-Z]", 0),
        ("version", r"[v\d]", 0),
        ("postal", r"[\dA-Z]", 0),
        ("uuid", r"[0-9a-f]", re.IGNORECASE),
        ("prefixed_id", r"[A-Za-z]", 0),
        ("email", r"[^@\s]", 0),
        ("money", r"[$€£¥\d\-A-Z]", 0),
        ("title_words", r"[A-Z]", 0),
        ("number", r"[+\-\d,.eE]", 0),
    )
}

#: The ASCII characters each class of :data:`_FIRST_CHARS` accepts (the class tried on
#: each), for first characters that are all ASCII: a set intersection then.
_ASCII_FIRSTS: dict[str, frozenset[str]] = {
    shape: frozenset(filter(cls.match, map(chr, range(128)))) for shape, cls in _FIRST_CHARS.items()
}


#: The lengths a string of a regex shape can have, where they are few: every branch of the
#: pattern is of bounded length (``$`` ends the match: the strings tested are stripped, so
#: none ends in the newline ``$`` also matches before). Postal: 4 to 10 characters (``1234``,
#: ``12345-6789``); UUID: 36; date: 6 (``1/2/24``) to 10 (``2024-01-02``).
_SHAPE_LENGTHS: dict[str, range] = {
    "postal": range(4, 11),
    "uuid": range(36, 37),
    "date": range(6, 11),
}

#: The longest string of a set lookup: a code (currency or country), a boolean word, a
#: country name. A string longer than that is none of them; lower-casing never shortens a
#: string (it maps each character to one or more), so the same holds of its lower case.
_LONGEST_CODE = max(map(len, CURRENCY_CODES | COUNTRY_CODES))
_LONGEST_BOOL = max(map(len, _BOOL_WORDS))
_LONGEST_WORDS = max(_LONGEST_BOOL, max(map(len, COUNTRY_NAMES)))
#: A sentence is longer than this (and has four spaces).
_SENTENCE_OVER = 30


#: A string's first character ("" for the empty string), as ``s[:1]`` (in C, for ``map``).
_FIRST_CHAR = operator.itemgetter(slice(0, 1))


@functools.lru_cache(maxsize=4096)
def _shapes_of_first(first: str) -> tuple[str, ...]:
    """The regex shapes whose pattern may match a string starting with ``first``."""
    return tuple(shape for shape, cls in _FIRST_CHARS.items() if cls.match(first))


def _may_hold_digit(text: str) -> bool:
    r"""``False`` only when ``text`` holds no digit (``\d``); ``True`` when it may.

    ASCII text is checked exactly (in C: the bytes left after deleting the digits); other
    text counts as holding one (a ``\d`` of another script would need a slower scan).
    """
    if not text.isascii():
        return True
    raw = text.encode("ascii")
    return len(raw.translate(None, _ASCII_DIGITS)) != len(raw)


#: The ASCII digits, the only ones ``\d`` matches in ASCII text.
_ASCII_DIGITS = b"0123456789"


class _Strings:
    """The distinct stripped strings of a column's values, and what the pattern gates read.

    Built once per column for the numbers and the shapes. ``keys``: the distinct values
    stripped, in order of first occurrence (values equal once stripped are one key, counted
    together); ``counts``: how often each occurs; ``firsts``: each key's first character
    (``""`` for an empty key); ``lengths``: each key's length, ``shortest`` and ``longest``
    of them (0 without keys).

    Holds the column's values for the length of one call only.
    """

    __slots__ = (
        "_accepted",
        "_ascii_firsts",
        "counts",
        "distinct_firsts",
        "firsts",
        "keys",
        "lengths",
        "longest",
        "shortest",
        "weight",
    )

    def __init__(self, tally: Mapping[str, int]) -> None:
        keys = list(map(str.strip, tally))
        stripped: Mapping[str, int]
        if keys == list(tally):
            stripped = tally  # already stripped (the usual case)
        else:
            merged: dict[str, int] = {}
            for s, k in zip(keys, tally.values(), strict=True):
                merged[s] = merged.get(s, 0) + k
            stripped = merged
            keys = list(merged)
        self.keys = keys
        self.counts = list(stripped.values())
        self.weight = stripped.__getitem__
        self.firsts = list(map(_FIRST_CHAR, keys))
        self.distinct_firsts = set(self.firsts)
        self._ascii_firsts = "".join(self.distinct_firsts).isascii()
        self._accepted: dict[str, set[str]] = {}
        self.lengths = list(map(len, keys))
        self.shortest = min(self.lengths, default=0)
        self.longest = max(self.lengths, default=0)

    def accepted(self, shape: str) -> set[str]:
        """The first characters of the keys that ``shape``'s first class accepts."""
        ok = self._accepted.get(shape)
        if ok is None:
            if self._ascii_firsts:
                ok = self.distinct_firsts & _ASCII_FIRSTS[shape]
            else:
                ok = {c for c in self.distinct_firsts if shape in _shapes_of_first(c)}
            self._accepted[shape] = ok
        return ok

    def chosen(self, shape: str, lengths: range | None = None) -> list[bool] | None:
        """Which keys ``shape``'s pattern may match: a mask over :attr:`keys` (``None``: all).

        Those whose first character the shape accepts (:data:`_FIRST_CHARS`) and, when
        ``lengths`` is given, whose length is in it. The mask is all false when none may.
        """
        ok = self.accepted(shape)
        if not ok:
            return [False] * len(self.keys)
        if lengths is not None:
            if self.longest < lengths.start or self.shortest >= lengths.stop:
                return [False] * len(self.keys)
            if lengths.start <= self.shortest and self.longest < lengths.stop:
                lengths = None  # every key fits
        every_first = len(ok) == len(self.distinct_firsts)
        if lengths is None:
            return None if every_first else list(map(ok.__contains__, self.firsts))
        fits = map(lengths.__contains__, self.lengths)
        if every_first:
            return list(fits)
        return list(map(operator.and_, map(ok.__contains__, self.firsts), fits))


def _string_shape_hits(tally: Mapping[str, int], digits: bool | None = None) -> Counter[str]:
    r"""How many of the strings counted in ``tally`` have each shape (several may match).

    :func:`_shape_hits` of the strings.

    :param digits: whether a string may hold a digit (:func:`_may_hold_digit` of the
        strings; ``None``: found out here).
    """
    joined = "".join(tally)
    if digits is None:
        digits = _may_hold_digit(joined)
    return _shape_hits(_Strings(tally), digits, joined)


def _shape_hits(strings: _Strings, digits: bool, joined: str) -> Counter[str]:
    r"""How many of the strings have each shape (several may match).

    Each distinct stripped string is tested once and counted as often as it occurs (a code
    list of ten values over 1,000 rows runs the regexes ten times), each pattern only on the
    strings whose first character it accepts (:data:`_FIRST_CHARS`) and whose length it
    allows (:data:`_SHAPE_LENGTHS`), and only when the strings hold, between them, the
    characters every match holds (a digit for the patterns with a ``\d`` in every branch, a
    ``-`` for a UUID ...); the set lookups only on strings no longer than the longest entry:
    the same counts as testing every value with every pattern.

    :param strings: the column's distinct strings (:class:`_Strings`).
    :param digits: whether a string may hold a digit (:func:`_may_hold_digit` of them).
    :param joined: the strings (stripped or not, with repeats or not) joined: which
        characters other than white space occur in any of them.
    """
    keys, counts, weight = strings.keys, strings.counts, strings.weight
    shortest, longest = strings.shortest, strings.longest

    def matching(pattern: re.Pattern[str], shape: str) -> list[str]:
        """The strings of the shape (tried only on those it may match)."""
        chosen = strings.chosen(shape, _SHAPE_LENGTHS.get(shape))
        found = keys if chosen is None else list(compress(keys, chosen))
        return list(filter(pattern.match, found))

    hits: Counter[str] = Counter()
    hits["bool"] = 0
    hits["country_name"] = 0
    if shortest <= _LONGEST_WORDS:
        # Boolean words and country names, looked up in lower case.
        short, short_counts = keys, counts
        if longest > _LONGEST_WORDS:
            fit = list(map(_LONGEST_WORDS.__ge__, strings.lengths))
            short, short_counts = list(compress(keys, fit)), list(compress(counts, fit))
        lows = list(map(str.lower, short))
        if shortest <= _LONGEST_BOOL:
            hits["bool"] = sum(compress(short_counts, map(_BOOL_WORDS.__contains__, lows)))
        hits["country_name"] = sum(compress(short_counts, map(COUNTRY_NAMES.__contains__, lows)))
    # The literal characters each pattern needs in every match (see the patterns): absent
    # from all the strings, the pattern cannot match any, and is not tried.
    dash = "-" in joined
    dot = "." in joined
    datetimes = matching(_RE_DATETIME, "datetime") if digits and dash and ":" in joined else []
    hits["datetime"] = sum(map(weight, datetimes))
    # A date only when not a date-time (one or the other).
    dates = matching(_RE_DATE, "date") if digits and (dash or dot or "/" in joined) else []
    hits["date"] = sum(
        map(weight, set(dates).difference(datetimes)) if datetimes else map(weight, dates)
    )
    # A percentage needs a "%", an e-mail address an "@" (literal in their patterns).
    hits["percent"] = (
        sum(map(weight, matching(_RE_PERCENT, "percent"))) if digits and "%" in joined else 0
    )
    for pattern, shape, possible in (
        (_RE_URL, "url", ":" in joined or dot),
        (_RE_SKU, "sku", digits),
        (_RE_POSTAL, "postal", digits),
        (_RE_UUID, "uuid", dash),
        (_PREFIXED_ID_FAST, "prefixed_id", digits),
        (_RE_MONEY, "money", digits),
    ):
        hits[shape] = sum(map(weight, matching(pattern, shape))) if possible else 0
    hits["email"] = sum(map(weight, matching(_RE_EMAIL, "email"))) if dot and "@" in joined else 0
    if digits and longest >= min(_GTIN_LENGTHS) and shortest <= max(_GTIN_LENGTHS):
        # EAN / UPC barcodes are product codes too, though of digits only: counted with the
        # SKUs (letters then digits), the product codes the generator's names also give.
        hits["sku"] += sum(map(weight, filter(is_gtin, keys)))
    versions = matching(_VERSION_FAST, "version") if digits and dot else []
    hits["version"] = sum(map(weight, versions))
    hits["semver3"] = sum(map(weight, filter(_RE_SEMVER3.match, versions)))
    if shortest <= _LONGEST_CODE:
        hits["currency"] = sum(compress(counts, map(CURRENCY_CODES.__contains__, keys)))
        hits["country_code"] = sum(compress(counts, map(COUNTRY_CODES.__contains__, keys)))
    titles = matching(_TITLE_WORDS_FAST, "title_words")
    hits["title_words"] = sum(map(weight, titles))
    # City-like: a title whose lower case ends in a city suffix or whose first word is a
    # city prefix (``titles`` are distinct: the union counts each once), tested in C.
    title_lows = list(map(str.lower, titles))
    cities = set(compress(titles, map(str.endswith, title_lows, repeat(_CITY_SUFFIXES))))
    first_words = map(_FIRST_ITEM, map(str.split, title_lows, repeat(" ")))
    cities.update(compress(titles, map(_CITY_PREFIXES.__contains__, first_words)))
    hits["city_like"] = sum(map(weight, cities))
    # A sentence: longer than 30 characters with at least four spaces.
    if longest > _SENTENCE_OVER:
        longer = keys
        if shortest <= _SENTENCE_OVER:
            longer = list(compress(keys, map(_SENTENCE_OVER.__lt__, strings.lengths)))
        spaced = map((4).__le__, map(str.count, longer, repeat(" ")))
        hits["sentence"] = sum(compress(map(weight, longer), spaced))
    return hits


#: The lengths of GS1 trade item numbers: EAN-8, UPC-A (12), EAN-13, GTIN-14.
_GTIN_LENGTHS = frozenset({8, 12, 13, 14})


def gtin_check_digit(body: str) -> int:
    """The GS1 check digit of ``body``, a string of ASCII digits.

    Weights 3 and 1 alternating from the right, then what brings the sum to a multiple of
    ten. Pure.

    :raises ValueError: a character of ``body`` is not a digit.
    """
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def is_gtin(text: str) -> bool:
    """Whether ``text`` is a GS1 trade item number (EAN-8, UPC-A, EAN-13, GTIN-14).

    ASCII digits only, of one of those lengths, the last the check digit of the others
    (:func:`gtin_check_digit`). A random string of digits passes one time in ten, so a column
    of them passing says barcodes. Only text is looked at: a barcode stored as an integer
    has lost its leading zeros. Pure; never raises.
    """
    if len(text) not in _GTIN_LENGTHS or not text.isascii() or not text.isdigit():
        return False
    return gtin_check_digit(text[:-1]) == int(text[-1])


#: The first item of a sequence (in C, for ``map``).
_FIRST_ITEM = operator.itemgetter(0)


_CITY_PREFIXES = frozenset({"north", "south", "east", "west", "new", "lake", "port", "san", "st."})


def _text(v: CellValue) -> str:
    if isinstance(v, bytes):
        return v[:64].hex()
    if isinstance(v, datetime | date):
        return v.isoformat()
    return str(v)


def _decimals(v: CellValue) -> int:
    if isinstance(v, int) and not isinstance(v, bool):
        return 0
    if isinstance(v, Decimal):
        exp = v.as_tuple().exponent
        return -exp if isinstance(exp, int) and exp < 0 else 0
    s = repr(v) if isinstance(v, float) else str(v).strip()
    if "e" in s.lower():
        return 6
    _, dot, frac = s.partition(".")
    return len(frac.rstrip("0")) if dot else 0


def table_column_features(sample: TableSample) -> list[dict[str, float]]:
    """:func:`column_features` for every column of ``sample``, in order.

    Pure; never raises.
    """
    tokens = tuple(path_tokens(sample))
    return [
        column_features(col, position=i, table_tokens=tokens)
        for i, col in enumerate(sample.columns)
    ]


def table_features(
    sample: TableSample,
    column_types: Sequence[str],
    pii: Mapping[str, set[str]] | None = None,
    semantic: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Features of the whole object for the category model.

    :param column_types: one business type per column, in column order (predicted).
    :param pii: column name -> PII entities found (from the PII classifier).
    :param semantic: the semantic prior's features
        (:func:`classifiers.business.semantic.semantic_features`), added as they are.
    Pure; never raises.
    """
    f: dict[str, float] = {}
    for t in path_tokens(sample):
        f["path=" + t] = 1.0
        f["any=" + _singular(t)] = 1.0
    ncols = max(1, len(sample.columns))
    for col in sample.columns:
        for t in name_tokens(col.name):
            key = "col=" + t
            f[key] = f.get(key, 0.0) + 1.0
            f["any=" + _singular(t)] = 1.0
    for ctype in column_types:
        key = "type=" + ctype
        f[key] = f.get(key, 0.0) + 1.0 / ncols
    entities: set[str] = set()
    for found in (pii or {}).values():
        entities |= found
    for ent in sorted(entities):
        # The generator draws national identifiers as US SSNs: a codice fiscale or a BSN says
        # what an SSN says of a table (people: staff, patients, customers). No feature of the
        # training tables changes (they hold no other identifier), so the trained models and
        # FEATURE_VERSION stand.
        f["pii=" + ("US_SSN" if ent in NATIONAL_ID_ENTITIES else ent)] = 1.0
    f["n_cols"] = math.log1p(len(sample.columns))
    if semantic:
        f.update(semantic)
    return f


#: Features derived from the magnitude of values: kept only as a whole order of magnitude.
_MAGNITUDES = frozenset({"num_min", "num_max", "num_span"})


def value_free(features: Mapping[str, float]) -> dict[str, float]:
    """A feature dict safe to store outside the worker (steward examples for retraining).

    Every feature is already a statistic (shares, lengths, name tokens, flags); the three
    that follow a value's magnitude (also as a key's ``k:`` features) are rounded to a whole
    signed log10, so a stored example says "thousands", never an amount. Other values are
    rounded to 4 decimals.
    Pure; never raises.
    """
    return {
        k: float(round(v))
        if k.removeprefix(KEY_VALUE_PREFIX) in _MAGNITUDES
        else round(float(v), 4)
        for k, v in sorted(features.items())
    }


def findings_inputs(columns: Sequence[ColumnFinding]) -> tuple[list[str], dict[str, set[str]]]:
    """What the category models read of a table's findings.

    Each column's business type (``other`` without one), and the PII entities found in it
    by column name. Pure.
    """
    types = [c.business_type.label if c.business_type is not None else "other" for c in columns]
    return types, {c.column: {e.entity for e in c.entities} for c in columns}
