"""``SqlCatalogNames``: the names a question can link to, read in two narrow queries.

Linking a question's names needs only which datasets the catalog holds and which tables and
dashboards lineage reaches: the URIs, not the edges. Reading every stored edge (column maps,
SQL, reasons as JSON and text) to collect them took seconds on a catalog of 50,000 edges;
these queries read the indexed URI columns only (``SELECT DISTINCT`` over ``source_uri`` and
``target_uri`` of the applied edges, and the datasets' primary key). Same tables as
:mod:`worker.adapters.catalog.lineage_store` and :mod:`worker.adapters.catalog.dataset_store`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from models.lineage import LineageEdge
from worker.adapters.catalog.database import SqlLocalCatalog, chunks
from worker.adapters.catalog.lineage_store import row_edge
from worker.adapters.catalog.schema import LineageEdgeRow, datasets
from worker.core.ask.linking import NamedNode, system_of

#: The state of an edge walks follow (``lineage_store.APPLIED``; not imported: that module
#: is another piece of work's).
_APPLIED = "applied"


class SqlCatalogNames:
    """The catalog's dataset URIs and lineage endpoints (read-only).

    :param catalog: the local catalog (migrated on first use).
    """

    def __init__(self, catalog: SqlLocalCatalog) -> None:
        self.catalog = catalog

    def dataset_uris(self) -> list[str]:
        """Every recorded dataset's URI, sorted."""
        with self.catalog.engine.connect() as conn:
            return sorted(str(u) for u in conn.execute(select(datasets.c.uri)).scalars())

    def edges_of(self, uris: Sequence[str], downstream: bool) -> list[LineageEdge]:
        """Applied edges leaving or entering ``uris`` (see :func:`applied_edges_of`)."""
        return applied_edges_of(self.catalog, uris, downstream)

    def lineage_nodes(self) -> list[NamedNode]:
        """Every distinct endpoint of an applied edge, with its system, sorted by URI."""
        edges = LineageEdgeRow.__table__
        query = select(edges.c.source_uri, edges.c.target_uri).where(edges.c.state == _APPLIED)
        uris: set[str] = set()
        with self.catalog.engine.connect() as conn:
            # Both endpoints of a row, deduplicated here: on SQLite this reads the table once,
            # where a UNION of the two columns sorts twice (half the time on 50,000 edges).
            for source, target in conn.execute(query):
                uris.add(source)
                uris.add(target)
        return [NamedNode(u, system_of(u)) for u in sorted(uris)]


def applied_edges_of(
    catalog: SqlLocalCatalog, uris: Sequence[str], downstream: bool
) -> list[LineageEdge]:
    """Applied edges leaving (``downstream``) or entering any of ``uris``, in id order.

    What ``SqlLineageStore.edges_of`` answers, looked up by the endpoint's index alone: with
    ``state = 'applied'`` in the query, SQLite (no statistics) searches the ``state`` index,
    which every applied edge matches, and scans the whole table for each batch (16 ms a
    query on 50,000 edges, seconds for a question that walks hundreds of chains). The few
    edges in another state are dropped here.
    """
    edges = LineageEdgeRow.__table__
    column = edges.c.source_uri if downstream else edges.c.target_uri
    out: list[LineageEdge] = []
    with catalog.engine.connect() as conn:
        for chunk in chunks(list(uris), 500):
            rows = conn.execute(select(edges).where(column.in_(list(chunk))))
            out.extend(row_edge(r) for r in rows if r.state == _APPLIED)
    return sorted(out, key=lambda e: e.id)
