"""``SqlDatasetFacets``: datasets' value facets in the local catalog (migration 0012).

Implements :class:`worker.core.ports.FacetStore` on SQLite or PostgreSQL.
``dataset_facet_samples`` keeps each sampled partition's column counts (what
:func:`worker.core.facets.sample_facets` kept: normalised country, currency and region values
of columns without a PII finding; refused columns with no value); ``dataset_facets`` the
merged top values per dataset column, one row per value, indexed by (type, value) so that
"which datasets hold SG" is one index lookup. A column with a PII finding anywhere in the
dataset has its values deleted from both.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from worker.adapters.catalog.database import SqlLocalCatalog, as_utc, chunks
from worker.adapters.catalog.schema import dataset_facet_samples, dataset_facets
from worker.core.facets import (
    ColumnCounts,
    Facet,
    FacetMatch,
    FacetValue,
    facet_types,
    merge_facets,
    query_values,
)

__all__ = ["SqlDatasetFacets"]

_CHUNK = 500
_REFUSED = "refused"


def _purge(
    columns: Mapping[str, ColumnCounts], excluded: Collection[str]
) -> dict[str, ColumnCounts]:
    """``columns`` with the excluded ones' values dropped (kept as refused, rows only)."""
    return {
        name: ColumnCounts(_REFUSED, counts.rows) if name in excluded else counts
        for name, counts in columns.items()
    }


def _parse(data: Mapping[str, Any] | None) -> dict[str, ColumnCounts]:
    return {str(name): ColumnCounts.from_dict(d) for name, d in (data or {}).items()}


def _dump(columns: Mapping[str, ColumnCounts]) -> dict[str, Any]:
    return {name: counts.to_dict() for name, counts in columns.items()}


class SqlDatasetFacets:
    """Value facets on the local catalog's database (SQLite or PostgreSQL).

    :param catalog: the local catalog (migrated on first use).
    :param clock: the current time (tests pin it); UTC now by default.
    """

    def __init__(
        self, catalog: SqlLocalCatalog, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.catalog = catalog
        self.clock = clock or (lambda: datetime.now(UTC))

    def record_facets(
        self,
        dataset: str,
        samples: Mapping[str, Mapping[str, ColumnCounts]],
        excluded: Sequence[str],
        partitions: Sequence[str],
    ) -> list[Facet]:
        """Store fresh partitions' facets, purge excluded columns, recompute the dataset's.

        See :meth:`worker.core.ports.FacetStore.record_facets`.
        Side effects: one transaction; rewrites the dataset's ``dataset_facets`` rows, and
        the ``dataset_facet_samples`` rows of fresh, gone and purged partitions.
        """
        try:
            return self._record(dataset, samples, set(excluded), set(partitions))
        except IntegrityError:
            # A concurrent scan of the same dataset inserted a partition row first: the
            # second attempt reads and replaces it.
            return self._record(dataset, samples, set(excluded), set(partitions))

    def _record(
        self,
        dataset: str,
        samples: Mapping[str, Mapping[str, ColumnCounts]],
        excluded: set[str],
        partitions: set[str],
    ) -> list[Facet]:
        now = as_utc(self.clock()).astimezone(UTC)
        s = dataset_facet_samples
        fresh = {key: _purge(cols, excluded) for key, cols in samples.items()}
        with self.catalog.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                # Purged values must not linger in free pages of the file (many builds
                # have this on by default; not all). It stays on for this connection.
                conn.exec_driver_sql("PRAGMA secure_delete = ON")
            stored = {
                row.partition_key: row.columns
                for row in conn.execute(
                    select(s.c.partition_key, s.c.columns).where(s.c.dataset_uri == dataset)
                )
            }
            gone = sorted(k for k in stored if k not in partitions and k not in fresh)
            merged: dict[str, dict[str, ColumnCounts]] = {}
            purged: list[dict[str, Any]] = []
            for key, data in stored.items():
                if key in fresh or key in gone:
                    continue
                before = _parse(data)
                after = _purge(before, excluded)
                if after != before:
                    purged.append({"b_key": key, "columns": _dump(after)})
                merged[key] = after
            merged.update(fresh)
            for chunk in chunks(gone + sorted(k for k in fresh if k in stored), _CHUNK):
                conn.execute(
                    delete(s).where(s.c.dataset_uri == dataset).where(s.c.partition_key.in_(chunk))
                )
            if fresh:
                conn.execute(
                    insert(s),
                    [
                        {
                            "dataset_uri": dataset,
                            "partition_key": key,
                            "columns": _dump(cols),
                            "sampled_at": now,
                        }
                        for key, cols in fresh.items()
                    ],
                )
            if purged:
                conn.execute(
                    update(s)
                    .where(s.c.dataset_uri == dataset)
                    .where(s.c.partition_key == bindparam("b_key"))
                    .values(columns=bindparam("columns")),
                    purged,
                )
            facets = merge_facets(dataset, merged, excluded)
            f = dataset_facets
            conn.execute(delete(f).where(f.c.dataset_uri == dataset))
            rows = [
                {
                    "dataset_uri": dataset,
                    "column_name": facet.column,
                    "value": value.value,
                    "column_type": facet.column_type,
                    "count": value.count,
                    "share": value.share,
                    "rank": rank,
                    "rows": facet.rows,
                    "partitions": facet.partitions,
                    "updated_at": now,
                }
                for facet in facets
                for rank, value in enumerate(facet.values)
            ]
            if rows:
                conn.execute(insert(f), rows)
        return facets

    def facets(self, dataset: str) -> list[Facet]:
        """The dataset's facets by column name, values most frequent first."""
        f = dataset_facets
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(
                select(f).where(f.c.dataset_uri == dataset).order_by(f.c.column_name, f.c.rank)
            ).all()
        grouped: dict[str, list[Any]] = {}
        for row in rows:
            # By mapping: ``count`` is also a method of a row.
            grouped.setdefault(row.column_name, []).append(row._mapping)
        return [
            Facet(
                dataset_uri=dataset,
                column=column,
                column_type=values[0]["column_type"],
                rows=int(values[0]["rows"]),
                partitions=int(values[0]["partitions"]),
                values=tuple(
                    FacetValue(v["value"], int(v["count"]), float(v["share"])) for v in values
                ),
            )
            for column, values in grouped.items()
        ]

    def datasets_with_value(
        self, column_type: str | None, value: str, limit: int | None = None
    ) -> list[FacetMatch]:
        """The dataset columns whose kept values include ``value``, highest share first.

        See :meth:`worker.core.ports.DatasetFacets.datasets_with_value`. One indexed lookup;
        ties in code-point order of dataset, column and value on every backend.
        """
        f = dataset_facets
        wanted = [(t, query_values(t, value)) for t in facet_types(column_type)]
        conditions = [and_(f.c.column_type == t, f.c.value.in_(vs)) for t, vs in wanted if vs]
        if not conditions or (limit is not None and limit <= 0):
            return []
        query = (
            select(
                f.c.dataset_uri, f.c.column_name, f.c.column_type, f.c.value,
                f.c.count, f.c.share, f.c.rows,
            )
            .where(or_(*conditions))
            .order_by(
                f.c.share.desc(), self._c(f.c.dataset_uri), self._c(f.c.column_name),
                self._c(f.c.value),
            )
        )  # fmt: skip
        if limit is not None:
            query = query.limit(limit)
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            FacetMatch(uri, column, kind, found, int(count), float(share), int(total))
            for uri, column, kind, found, count, share, total in rows
        ]

    def _c(self, column: ColumnElement[str]) -> ColumnElement[str]:
        # Code-point order on every backend (PostgreSQL would otherwise use the locale's).
        return column.collate("C") if self.catalog.engine.dialect.name == "postgresql" else column
