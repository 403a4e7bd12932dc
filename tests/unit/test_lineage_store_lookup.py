"""``SqlLineageStore.edges_of``: applied edges of many endpoints, by the (endpoint, state) index."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, text

from models.lineage import Dataset, LineageEdge, Origin
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.adapters.catalog.lineage_names import SqlCatalogNames
from worker.adapters.catalog.lineage_store import APPLIED, SqlLineageStore
from worker.adapters.catalog.schema import LineageEdgeRow


def _edge(source: str, target: str, confidence: float = 1.0) -> LineageEdge:
    origin = Origin.INFERRED if confidence < 1.0 else Origin.DECLARED
    return LineageEdge(Dataset.parse(source), Dataset.parse(target), origin, confidence)


def test_edges_of_many_endpoints_are_the_applied_ones_in_id_order(tmp_path: Path) -> None:
    catalog = SqlLocalCatalog(f"sqlite:///{tmp_path}/c.db")
    store = SqlLineageStore(catalog)
    # 1,200 sources (three batches of 500), each to two tables; one guess stays suggested.
    edges = [
        _edge(f"postgres:db.s.t{i}", f"snowflake:DB.S.{side}{i}")
        for i in range(1200)
        for side in ("A", "B")
    ]
    guess = _edge("postgres:db.s.t7", "snowflake:DB.S.GUESS", 0.3)
    store.upsert([*edges, guess], auto_apply_threshold=0.85)
    sources = [f"postgres:db.s.t{i}" for i in range(1200)]
    found = store.edges_of(sources, downstream=True)
    assert [e.id for e in found] == sorted(e.id for e in edges)
    into = store.edges_of(["snowflake:DB.S.A7", "snowflake:DB.S.GUESS"], downstream=False)
    assert [e.source.uri for e in into] == ["postgres:db.s.t7"]
    # The names adapter walks with the store's lookup.
    names = SqlCatalogNames(catalog)
    assert names.edges_of(sources[:3], True) == store.edges_of(sources[:3], True)
    catalog.engine.dispose()


def test_edges_of_searches_the_endpoint_and_state_index_on_sqlite(tmp_path: Path) -> None:
    catalog = SqlLocalCatalog(f"sqlite:///{tmp_path}/c.db")
    SqlLineageStore(catalog).upsert(
        [_edge(f"postgres:db.s.t{i}", "snowflake:DB.S.X") for i in range(50)], 0.85
    )
    for column, index in (
        (LineageEdgeRow.source_uri, "ix_lineage_edges_source_state"),
        (LineageEdgeRow.target_uri, "ix_lineage_edges_target_state"),
    ):
        query = select(LineageEdgeRow).where(
            column.in_(["a", "b"]), LineageEdgeRow.state == APPLIED
        )
        sql = str(query.compile(catalog.engine, compile_kwargs={"literal_binds": True}))
        with catalog.engine.connect() as conn:
            plan = " ".join(str(r[3]) for r in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))
        assert f"USING INDEX {index}" in plan, plan
    catalog.engine.dispose()
