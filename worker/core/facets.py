"""Value facets: the top values of a dataset's low-cardinality, non-personal business columns.

Questions such as "which datasets hold Singapore transactions?" need to know which values
a dataset holds, while the catalog otherwise keeps no sampled value. A facet keeps the top
values (with counts and shares) of a column only when all of these hold in the sample:

* its business type is one of :data:`FACET_TYPES`: ``country`` (ISO 3166 alpha-2 codes),
  ``currency_code`` (ISO 4217) or ``region`` (a ``category_enum`` column named like a sales
  region: ``region``, ``territory``, ``market`` ...). A ``category_enum`` column whose
  values are country names or codes counts as ``country``. ``city``, ``postal_code``,
  ``person_data``, ``free_text``, identifiers and every other type are never kept: a city or
  a postcode can single out a person in a small table;
* no PII classifier reported any entity on it (in this sample, and at the dataset level in
  any sampled partition: :func:`merge_facets` drops those columns);
* it has at most :data:`MAX_DISTINCT` distinct values, and at least
  :data:`MIN_CLEAN_SHARE` of its values are of the type's vocabulary (a country column of
  free text is no facet).

Values are normalised (``Singapore``, ``sgp`` and ``SG`` are ``SG``); a value outside the
vocabulary is dropped, never kept as written. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from classifiers.business.countries import COUNTRY_ALIASES, ISO_COUNTRIES
from classifiers.business.features import COUNTRY_CODES, CURRENCY_CODES, name_tokens
from models import EnrichmentResult, ObjectStatus
from models.findings import ColumnFinding

__all__ = [
    "COUNTRY_GROUPS",
    "FACET_TYPES",
    "MAX_DISTINCT",
    "MAX_VALUES",
    "ColumnCounts",
    "Facet",
    "FacetMatch",
    "FacetValue",
    "country_code",
    "facet_type",
    "facet_types",
    "merge_facets",
    "normalise",
    "query_values",
    "sample_facets",
]

#: The business types whose values may be kept.
FACET_TYPES: tuple[str, ...] = ("country", "currency_code", "region")
#: Values kept per facet (the most frequent).
MAX_VALUES = 20
#: A column with more distinct values in a sample is no facet.
MAX_DISTINCT = 50
#: Share of a column's non-null values that must be of the type's vocabulary.
MIN_CLEAN_SHARE = 0.9
#: A region value seen fewer times in a sample is dropped (open vocabulary: a rare value
#: could be a typo of something personal).
MIN_REGION_COUNT = 2
#: Longest region value kept.
MAX_REGION_LENGTH = 40
#: Column name words that make a ``category_enum`` column a region.
REGION_WORDS = frozenset({"region", "regions", "territory", "market", "geo", "geography", "zone"})

_DIGITS = 4
_REGION_VALUE = re.compile(r"^[A-Za-z][A-Za-z &/.-]*$")

#: ISO 3166 alpha-2 by English name (lower case): every ISO 3166-1 entry and the other
#: spellings of :mod:`classifiers.business.countries`, so every name the business classifier
#: knows (``classifiers.business.features.COUNTRY_NAMES``; a test checks it).
COUNTRY_BY_NAME: dict[str, str] = {
    **{name.lower(): alpha2 for name, alpha2, _ in ISO_COUNTRIES},
    **COUNTRY_ALIASES,
}
#: ISO 3166 alpha-3 → alpha-2, every code (the business classifier knows them all,
#: ``COUNTRY_CODES``; a test checks it).
_BY_ALPHA3: dict[str, str] = {alpha3: alpha2 for _, alpha2, alpha3 in ISO_COUNTRIES}
#: Alpha-2 codes taken as written: those the business classifier counts as countries
#: (``COUNTRY_CODES``), and nine the facets took before it did (``AL``, ``MN``, ``MT``,
#: ``SD``, ``TN``, ``CM``, ``DZ``, ``LB``, ``LT``: in a column already typed as countries);
#: not every ISO code. Two letters are too often something else for the rest (``AM``/``PM``,
#: the size ``SM``, US states such as ``GA``, ``NA`` for missing, units such as ``KG``);
#: their countries still map from their names (``Gabon`` -> ``GA``).
_ALPHA2 = frozenset(code for code in COUNTRY_CODES if len(code) == 2 and code != "UK") | {
    "AL", "MN", "MT", "SD", "TN", "CM", "DZ", "LB", "LT",
}  # fmt: skip
#: Every ISO 3166-1 alpha-2 code: what a question (:func:`query_values`) may name.
_ANY_ALPHA2 = frozenset(COUNTRY_BY_NAME.values())
#: Groups a country query may name (``datasets_with_value("country", "EU")``).
COUNTRY_GROUPS: dict[str, frozenset[str]] = {
    "EU": frozenset(
        "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
    ),
}


def country_code(text: str) -> str | None:
    """The ISO 3166 alpha-2 code of a country name, alpha-2 or alpha-3 code; else ``None``.

    ``UK`` is ``GB``. Pure; never raises.
    """
    s = " ".join(text.split())
    upper = s.upper()
    if upper == "UK":
        return "GB"
    if len(upper) == 2 and upper in _ALPHA2:
        return upper
    if len(upper) == 3 and upper in _BY_ALPHA3:
        return _BY_ALPHA3[upper]
    return COUNTRY_BY_NAME.get(s.lower())


def _region(text: str) -> str | None:
    s = " ".join(text.split())
    if not s or len(s) > MAX_REGION_LENGTH or not _REGION_VALUE.match(s):
        return None
    # Short values are codes (APAC, EMEA, NA), longer ones names (North America).
    return s.upper() if len(s) <= 5 else s.title()


def normalise(column_type: str, value: object) -> str | None:
    """``value`` in the facet's canonical form, or ``None`` when it is not of the vocabulary.

    ``country``: ISO alpha-2; ``currency_code``: ISO 4217 (upper case, known codes only);
    ``region``: letters, spaces and ``&/.-`` only, short codes upper-cased, names title-cased.
    Only strings qualify. Pure; never raises.
    """
    if not isinstance(value, str):
        return None
    if column_type == "country":
        return country_code(value)
    if column_type == "currency_code":
        code = value.strip().upper()
        return code if code in CURRENCY_CODES else None
    if column_type == "region":
        return _region(value)
    return None


#: Other names a caller may give a facet type.
_TYPE_ALIASES = {"currency": "currency_code", "countries": "country", "regions": "region"}


def facet_types(column_type: str | None) -> tuple[str, ...]:
    """The facet types a caller's ``column_type`` names (``None``: all; unknown: none)."""
    if column_type is None:
        return FACET_TYPES
    name = _TYPE_ALIASES.get(column_type, column_type)
    return (name,) if name in FACET_TYPES else ()


def query_values(column_type: str, value: str) -> tuple[str, ...]:
    """The stored values a question's ``value`` stands for (``EU`` → its member countries).

    ``()`` when ``value`` cannot be a value of ``column_type``. Pure; never raises.
    """
    if column_type == "country":
        code = value.strip().upper()
        group = COUNTRY_GROUPS.get(code)
        if group is not None:
            return tuple(sorted(group))
        if code in _ANY_ALPHA2:
            # A question names a country on purpose: every ISO code is one here, also those
            # a column value must spell out (``GA``: stored from "Gabon").
            return (code,)
    found = normalise(column_type, value)
    return (found,) if found is not None else ()


def facet_type(finding: ColumnFinding) -> str | None:
    """The facet type the column's findings allow (``category_enum`` for a maybe-country).

    ``None`` for a column with any PII entity and for every other business type.
    Pure; never raises.
    """
    if finding.entities or finding.business_type is None:
        return None
    label = finding.business_type.label
    if label in ("country", "currency_code"):
        return label
    if label == "category_enum":
        return "region" if REGION_WORDS & set(name_tokens(finding.column)) else label
    return None


@dataclass(frozen=True, slots=True)
class ColumnCounts:
    """One column's facet in one partition's sample.

    :param column_type: one of :data:`FACET_TYPES`.
    :param rows: the column's non-null values in the sample.
    :param values: normalised value → count; empty when the column was looked at and
        refused (PII, too many distinct values, not of the vocabulary), which keeps the
        column out of the dataset's facets (:func:`merge_facets`).
    """

    column_type: str
    rows: int
    values: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON form (the store's per-partition row)."""
        return {"type": self.column_type, "rows": self.rows, "values": dict(self.values)}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ColumnCounts:
        """Inverse of :meth:`to_dict`.

        :raises KeyError: a field is missing.
        :raises TypeError: a field has the wrong type.
        """
        values = data.get("values") or {}
        if not isinstance(values, Mapping):
            raise TypeError("values must be a mapping")
        rows = data["rows"]
        if not isinstance(rows, int):
            raise TypeError("rows must be an integer")
        return cls(str(data["type"]), rows, {str(k): int(v) for k, v in values.items()})


_REFUSED = "refused"


def sample_facets(result: EnrichmentResult) -> dict[str, ColumnCounts]:
    """The facets of one classified sample: column → counts (empty counts: refused).

    Every column of the result with a non-null value gets an entry, so that a column
    refused in one partition (a PII finding, a type that changed) is refused for the
    dataset. Only normalised values of kept columns leave this function.
    """
    if result.status is not ObjectStatus.CLASSIFIED or result.sample is None:
        return {}
    samples = {c.name: c.values for c in result.sample.columns}
    out: dict[str, ColumnCounts] = {}
    for finding in result.columns:
        present = [v for v in samples.get(finding.column, ()) if v is not None and v != ""]
        if not present:
            continue
        kind = facet_type(finding)
        counts = _counts(kind, present) if kind is not None else None
        if counts is None:
            out[finding.column] = ColumnCounts(_REFUSED, len(present))
        else:
            out[finding.column] = counts
    return out


def _counts(kind: str, present: Sequence[object]) -> ColumnCounts | None:
    """The column's normalised value counts, or ``None`` when it is no facet."""
    if not all(isinstance(v, str) for v in present):
        return None  # numbers, dates, bytes: no vocabulary of ours
    raw = Counter(present)
    if len(raw) > MAX_DISTINCT:
        return None
    if kind == "category_enum":
        # An enum column of country names or codes (``pays``, ``land``) is a country.
        kind = "country"
    normalised: Counter[str] = Counter()
    for value, count in raw.items():
        canonical = normalise(kind, value)
        if canonical is not None:
            normalised[canonical] += count
    if sum(normalised.values()) < MIN_CLEAN_SHARE * len(present):
        return None
    if kind == "region":
        normalised = Counter({v: n for v, n in normalised.items() if n >= MIN_REGION_COUNT})
    if not normalised:
        return None
    return ColumnCounts(kind, len(present), dict(normalised))


@dataclass(frozen=True, slots=True)
class FacetValue:
    """One kept value: how many sampled rows held it, and their share of the column's."""

    value: str
    count: int
    share: float


@dataclass(frozen=True, slots=True)
class Facet:
    """A dataset column's top values.

    :param rows: the column's non-null sampled values over the partitions counted.
    :param partitions: sampled partitions counted.
    :param values: at most :data:`MAX_VALUES`, most frequent first (ties by value).
    """

    dataset_uri: str
    column: str
    column_type: str
    rows: int
    partitions: int
    values: tuple[FacetValue, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON form (``enricher datasets show --format json``, the ask service's evidence)."""
        return {
            "column": self.column,
            "type": self.column_type,
            "rows": self.rows,
            "partitions": self.partitions,
            "values": [{"value": v.value, "count": v.count, "share": v.share} for v in self.values],
        }

    def summary(self) -> str:
        """One line: ``country (country): SG 41%, US 30%``."""
        shown = ", ".join(f"{v.value} {v.share:.0%}" for v in self.values)
        return f"{self.column} ({self.column_type}): {shown}"


@dataclass(frozen=True, slots=True)
class FacetMatch:
    """A dataset whose facet holds a value: the evidence of an answer.

    :param value: the stored value that matched (``SG``; a member country for ``EU``).
    :param share: ``count`` over the column's sampled non-null values.
    """

    dataset_uri: str
    column: str
    column_type: str
    value: str
    count: int
    share: float
    rows: int

    def why(self) -> str:
        """The evidence in words: ``column country is SG in 41% of 1,204 sampled rows``."""
        return (
            f"column {self.column} ({self.column_type}) is {self.value} in "
            f"{self.share:.0%} of {self.rows:,} sampled rows"
        )

    def to_dict(self) -> dict[str, object]:
        """JSON form."""
        return {
            "dataset": self.dataset_uri,
            "column": self.column,
            "type": self.column_type,
            "value": self.value,
            "count": self.count,
            "share": self.share,
            "rows": self.rows,
        }


def merge_facets(
    dataset_uri: str,
    samples: Mapping[str, Mapping[str, ColumnCounts]],
    excluded: Collection[str] = (),
) -> list[Facet]:
    """The dataset's facets from its partitions' sample facets.

    A column is kept only when every partition that looked at it kept it, with one type,
    and it is not in ``excluded`` (the columns with a PII finding in any partition). Counts
    and rows add up over partitions; the :data:`MAX_VALUES` most frequent values are kept.

    :param samples: partition key → column → counts (:func:`sample_facets`).
    :returns: facets in column name order.
    """
    by_column: dict[str, list[ColumnCounts]] = {}
    for columns in samples.values():
        for column, counts in columns.items():
            by_column.setdefault(column, []).append(counts)
    facets: list[Facet] = []
    for column in sorted(by_column):
        seen = by_column[column]
        kinds = {c.column_type for c in seen}
        if column in excluded or len(kinds) != 1 or any(not c.values for c in seen):
            continue
        (kind,) = kinds
        if kind not in FACET_TYPES:
            continue
        total: Counter[str] = Counter()
        for counts in seen:
            total.update(counts.values)
        rows = sum(c.rows for c in seen)
        top = sorted(total.items(), key=lambda item: (-item[1], item[0]))[:MAX_VALUES]
        values = tuple(FacetValue(v, n, round(n / rows, _DIGITS)) for v, n in top)
        facets.append(Facet(dataset_uri, column, kind, rows, len(seen), values))
    return facets
