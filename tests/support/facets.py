"""``InMemoryDatasetFacets``: the value-facet store of :mod:`worker.core.facets` in memory.

Keeps the contract of :class:`worker.adapters.catalog.facet_store.SqlDatasetFacets` (a test
runs the same checks on both), for service and ask tests that need no database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from worker.core.facets import (
    ColumnCounts,
    Facet,
    FacetMatch,
    facet_types,
    merge_facets,
    query_values,
)

_REFUSED = "refused"


class InMemoryDatasetFacets:
    """Value facets in dictionaries: partition samples and merged facets per dataset."""

    def __init__(self) -> None:
        self.samples: dict[str, dict[str, dict[str, ColumnCounts]]] = {}
        self.merged: dict[str, list[Facet]] = {}

    def record_facets(
        self,
        dataset: str,
        samples: Mapping[str, Mapping[str, ColumnCounts]],
        excluded: Sequence[str],
        partitions: Sequence[str],
    ) -> list[Facet]:
        """As :meth:`worker.core.ports.FacetStore.record_facets`."""
        alive = set(partitions) | set(samples)
        stored = self.samples.setdefault(dataset, {})
        for key in [k for k in stored if k not in alive]:
            del stored[key]
        stored.update({k: dict(v) for k, v in samples.items()})
        for columns in stored.values():
            for name in excluded:
                if name in columns:
                    columns[name] = ColumnCounts(_REFUSED, columns[name].rows)
        self.merged[dataset] = merge_facets(dataset, stored, excluded)
        return self.merged[dataset]

    def facets(self, dataset: str) -> list[Facet]:
        """As :meth:`worker.core.ports.DatasetFacets.facets`."""
        return list(self.merged.get(dataset, []))

    def datasets_with_value(
        self, column_type: str | None, value: str, limit: int | None = None
    ) -> list[FacetMatch]:
        """As :meth:`worker.core.ports.DatasetFacets.datasets_with_value`."""
        wanted = {t: set(query_values(t, value)) for t in facet_types(column_type)}
        matches = [
            FacetMatch(f.dataset_uri, f.column, f.column_type, v.value, v.count, v.share, f.rows)
            for facets in self.merged.values()
            for f in facets
            for v in f.values
            if v.value in wanted.get(f.column_type, ())
        ]
        matches.sort(key=lambda m: (-m.share, m.dataset_uri, m.column, m.value))
        return matches[: max(0, limit)] if limit is not None else matches
