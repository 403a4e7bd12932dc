"""Which datasets a question's countries, regions and currencies select (value facets).

"Singapore transaction data", "EU customers", "SGD amounts": the parser reads the countries
(and regions) and currencies into :class:`~worker.core.ask.query.Filters`; this module asks
the :class:`~worker.core.ports.DatasetFacets` port which datasets' kept values hold them
(``docs/facets.md``), and keeps each match's evidence (:meth:`FacetMatch.why`), so that an
answer says which facet matched.

Several countries (or currencies) are alternatives: "Singapore or Malaysia" selects a dataset
holding either. Countries and currencies together must both hold: "Singapore data in EUR"
selects a dataset with a Singapore facet and a EUR facet. A country filter matches
``country`` facets and ``region`` facets (``APAC``, ``EMEA``: region codes; ``EU`` as a
region value as well as its member countries). Read-only.
"""

from __future__ import annotations

from collections.abc import Sequence

from worker.core.ask.query import Filters
from worker.core.facets import FacetMatch
from worker.core.ports import DatasetFacets

__all__ = ["facet_matches", "has_facet_filter"]

#: The facet types each filter of the query is looked up in.
_COUNTRY_TYPES = ("country", "region")
_CURRENCY_TYPES = ("currency_code",)


def has_facet_filter(filters: Filters) -> bool:
    """Whether the filters name a country, region or currency (answered from facets)."""
    return bool(filters.countries or filters.currencies)


def facet_matches(facets: DatasetFacets | None, filters: Filters) -> dict[str, list[str]] | None:
    """The datasets the filters' countries and currencies select, each with its evidence.

    :param facets: the value facets (``None``: none are kept, so nothing matches; the parser
        refuses such questions before they get here).
    :returns: ``None`` when the filters name no country or currency (nothing to narrow);
        else dataset URI → the evidence, one line per matching facet value
        (``value facet: column nationality (country) is SG in 50% of 40 sampled rows``).
    :raises EnrichmentError: as the port raises (a catalog read failing).
    """
    if not has_facet_filter(filters):
        return None
    wanted = [
        (values, types)
        for values, types in (
            (filters.countries, _COUNTRY_TYPES),
            (filters.currencies, _CURRENCY_TYPES),
        )  # fmt: skip
        if values
    ]
    selected: dict[str, list[str]] | None = None
    for values, types in wanted:
        found = _datasets(facets, values, types) if facets is not None else {}
        if selected is None:
            selected = found
        else:
            selected = {u: selected[u] + why for u, why in found.items() if u in selected}
    return selected or {}


def _datasets(
    facets: DatasetFacets, values: Sequence[str], types: Sequence[str]
) -> dict[str, list[str]]:
    """Dataset URI → evidence lines, for any of ``values`` in facets of any of ``types``."""
    out: dict[str, list[str]] = {}
    seen: set[tuple[str, str, str]] = set()
    for value in values:
        matches: list[FacetMatch] = []
        for column_type in types:
            matches.extend(facets.datasets_with_value(column_type, value))
        for m in matches:
            key = (m.dataset_uri, m.column, m.value)
            if key in seen:
                continue
            seen.add(key)
            out.setdefault(m.dataset_uri, []).append(f"value facet: {m.why()}")
    return out
