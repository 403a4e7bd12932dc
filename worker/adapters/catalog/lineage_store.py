"""``SqlLineageStore``: lineage edges in the local catalog (SQLite or PostgreSQL).

Edges are keyed by their hop (source → target), whatever found them, so the same hop found
by a declaration, in SQL and by inference is one edge: the strongest origin's details win.
Inferred edges below the auto-apply threshold are ``suggested`` (a steward decides them in the
review queue); a steward's decision (``applied`` or ``rejected``) is never overwritten by a
later inference.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.lineage import (
    ORIGIN_RANK,
    ColumnMapping,
    Dataset,
    LineageEdge,
    Origin,
    UpsertReport,
)
from worker.adapters.catalog.database import SqlLocalCatalog, chunks, like_escape
from worker.adapters.catalog.schema import LineageEdgeRow, findings
from worker.core.errors import SuggestionNotFound

APPLIED = "applied"
SUGGESTED = "suggested"
REJECTED = "rejected"


def _row_edge(row: LineageEdgeRow) -> LineageEdge:
    return LineageEdge(
        source=Dataset.parse(row.source_uri),
        target=Dataset.parse(row.target_uri),
        origin=Origin(row.origin),
        confidence=row.confidence,
        columns=tuple(ColumnMapping.from_dict(c) for c in row.columns or []),
        sql=row.sql,
        location=row.location,
        reason=row.reason or "",
    )


def _columns(edge: LineageEdge) -> list[dict[str, object]]:
    return [c.to_dict() for c in edge.columns]


class SqlLineageStore:
    """Lineage edges on the local catalog's database.

    :param catalog: the local catalog (migrated on first use).
    """

    def __init__(self, catalog: SqlLocalCatalog) -> None:
        self.catalog = catalog

    def _session(self) -> Session:
        return Session(self.catalog.engine, expire_on_commit=False)

    def upsert(self, edges: Sequence[LineageEdge], auto_apply_threshold: float) -> UpsertReport:
        """Add or refresh edges; return counts and the edges that now wait for a steward.

        Declared and parsed edges are applied; inferred ones are applied at or above
        ``auto_apply_threshold`` and suggested below it. An existing edge takes the new
        details only from an origin at least as strong; a rejected or steward-applied edge
        keeps its state.
        """
        now = datetime.now(UTC)
        report = UpsertReport(suggested=[])
        merged: dict[str, LineageEdge] = {}
        for e in edges:  # the same hop twice in one batch: the stronger origin wins
            old = merged.get(e.id)
            if old is None or ORIGIN_RANK[e.origin] > ORIGIN_RANK[old.origin]:
                merged[e.id] = e
        with self._session() as session, session.begin():
            existing = {
                r.id: r
                for chunk in chunks(list(merged), 500)
                for r in session.scalars(select(LineageEdgeRow).where(LineageEdgeRow.id.in_(chunk)))
            }
            for eid, e in merged.items():
                state = (
                    APPLIED
                    if e.origin is not Origin.INFERRED or e.confidence >= auto_apply_threshold
                    else SUGGESTED
                )
                row = existing.get(eid)
                if row is None:
                    session.add(
                        LineageEdgeRow(
                            id=eid,
                            source_uri=e.source.uri,
                            target_uri=e.target.uri,
                            origin=e.origin.value,
                            confidence=e.confidence,
                            state=state,
                            columns=_columns(e),
                            sql=e.sql,
                            location=e.location,
                            reason=e.reason,
                            first_seen=now,
                            last_seen=now,
                        )
                    )
                    report.new += 1
                    if state == SUGGESTED:
                        assert report.suggested is not None
                        report.suggested.append(e)
                    continue
                row.last_seen = now
                if ORIGIN_RANK[e.origin] < ORIGIN_RANK[Origin(row.origin)]:
                    report.unchanged += 1
                    continue
                before = (row.origin, row.confidence, row.columns, row.sql, row.state)
                row.origin = e.origin.value
                row.confidence = e.confidence
                row.columns = _columns(e)
                row.sql = e.sql
                row.location = e.location
                row.reason = e.reason
                if row.state == SUGGESTED or (
                    row.state == REJECTED and e.origin is not Origin.INFERRED
                ):
                    # A declaration or the SQL that moves the data overrides a rejected guess.
                    row.state = state
                if (row.origin, row.confidence, row.columns, row.sql, row.state) == before:
                    report.unchanged += 1
                else:
                    report.updated += 1
                if row.state == SUGGESTED:
                    assert report.suggested is not None
                    report.suggested.append(e)
        return report

    def set_state(self, edge_id: str, state: str) -> LineageEdge:
        """A steward's decision on an edge (``applied`` or ``rejected``).

        :raises SuggestionNotFound: no such edge.
        """
        with self._session() as session, session.begin():
            row = session.get(LineageEdgeRow, edge_id)
            if row is None:
                raise SuggestionNotFound(f"no lineage edge {edge_id}")
            row.state = state
            return _row_edge(row)

    def edges(self, states: Iterable[str] = (APPLIED,)) -> list[LineageEdge]:
        """Every edge in ``states``, in id order."""
        with self._session() as session:
            rows = session.scalars(
                select(LineageEdgeRow)
                .where(LineageEdgeRow.state.in_(list(states)))
                .order_by(LineageEdgeRow.id)
            )
            return [_row_edge(r) for r in rows]

    def edges_of(self, uris: Sequence[str], downstream: bool) -> list[LineageEdge]:
        """Applied edges leaving (``downstream``) or entering any of ``uris`` (indexed)."""
        column = LineageEdgeRow.source_uri if downstream else LineageEdgeRow.target_uri
        out: list[LineageEdge] = []
        with self._session() as session:
            for chunk in chunks(list(uris), 500):
                rows = session.scalars(
                    select(LineageEdgeRow)
                    .where(column.in_(chunk))
                    .where(LineageEdgeRow.state == APPLIED)
                    .order_by(LineageEdgeRow.id)
                )
                out.extend(_row_edge(r) for r in rows)
        return out

    def datasets_containing(self, object_uri: str) -> list[Dataset]:
        """S3 datasets with applied edges that contain the object (longest prefix first).

        A dataset is the object itself or one of its folder prefixes, so the candidates are
        looked up by equality on the indexed endpoint columns (this runs after every scan).
        """
        if not object_uri.startswith("s3://"):
            return []
        parts = object_uri.split("/")  # "s3:", "", bucket, folders..., name
        candidates = [object_uri] + ["/".join(parts[:i]) + "/" for i in range(3, len(parts))]
        found: set[str] = set()
        with self._session() as session:
            for column in (LineageEdgeRow.source_uri, LineageEdgeRow.target_uri):
                rows = session.scalars(
                    select(column)
                    .where(column.in_(candidates))
                    .where(LineageEdgeRow.state == APPLIED)
                    .distinct()
                )
                found.update(rows)
        datasets = [Dataset.parse(u) for u in found]
        return sorted((d for d in datasets if d.contains(object_uri)), key=lambda d: -len(d.name))

    def states(self) -> dict[str, str]:
        """Edge id → state, for every edge."""
        with self._session() as session:
            return {
                r[0]: r[1] for r in session.execute(select(LineageEdgeRow.id, LineageEdgeRow.state))
            }

    def s3_findings(self, datasets: Iterable[Dataset]) -> dict[str, dict[str, dict[str, float]]]:
        """PII found by scans in each S3 dataset: dataset uri → column → entity → confidence.

        Reads the local catalog's findings of the objects under each dataset (the highest
        confidence over its objects).
        """
        out: dict[str, dict[str, dict[str, float]]] = {}
        with self.catalog.engine.connect() as conn:
            for ds in datasets:
                if ds.is_table or ds.uri in out:
                    continue
                query = select(
                    findings.c.column_name, findings.c.entity, func.max(findings.c.confidence)
                ).group_by(findings.c.column_name, findings.c.entity)
                if ds.is_prefix:
                    pattern = like_escape(ds.uri) + "%"
                    query = query.where(findings.c.object_uri.like(pattern, escape="\\"))
                else:
                    query = query.where(findings.c.object_uri == ds.uri)
                cols: dict[str, dict[str, float]] = {}
                for column, entity, confidence in conn.execute(query):
                    cols.setdefault(str(column), {})[str(entity)] = float(confidence)
                out[ds.uri] = cols
        return out

    def s3_pii(self, datasets: Iterable[Dataset]) -> dict[str, dict[str, set[str]]]:
        """Like :meth:`s3_findings`, entities only: dataset uri → column → entities."""
        return {
            uri: {c: set(e) for c, e in cols.items()}
            for uri, cols in self.s3_findings(datasets).items()
        }
