"""``SqlLineageStore``: lineage edges in the local catalog (SQLite or PostgreSQL).

Edges are keyed by their hop (source → target), whatever found them, so the same hop found
by a declaration, in SQL and by inference is one edge: the strongest origin's details win.
Inferred edges below the auto-apply threshold are ``suggested`` (a steward decides them in the
review queue); a steward's decision (``applied`` or ``rejected``) is never overwritten by a
later inference.

S3 endpoints are datasets (:mod:`worker.core.lineage.resolve`); what an edge's endpoint was
written as (``source_path``/``target_path``) is kept as trailing ``source written as ...``
lines of the ``reason`` column, so re-resolution after a scan starts from it.
:func:`apply_rekey` re-keys stored edges (the store's :meth:`SqlLineageStore.rekey` and
migration 0007 share it) and points the review items that name them at the new ids.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from models.lineage import (
    ORIGIN_RANK,
    ColumnMapping,
    Dataset,
    LineageEdge,
    Origin,
    Rekeyed,
    UpsertReport,
)
from worker.adapters.catalog.database import SqlLocalCatalog, chunks, like_escape
from worker.adapters.catalog.schema import LineageEdgeRow, findings, suggestions
from worker.core.errors import SuggestionNotFound

APPLIED = "applied"
SUGGESTED = "suggested"
REJECTED = "rejected"


_WRITTEN = re.compile(r"^(source|target) written as (.+)$")
#: Object URIs per findings query (an IN-list, under SQLite's variable limit).
_FINDINGS_CHUNK = 500
#: Dataset prefixes per findings query (LIKEs joined by OR).
_PREFIX_CHUNK = 200


def _containing() -> Any:
    """The endpoints among ``candidates`` of applied edges, sources and targets in one query."""
    table = LineageEdgeRow.__table__
    assert isinstance(table, Table)
    candidates: BindParameter[str] = bindparam("candidates", expanding=True)
    return union(
        *(
            select(column).where(column.in_(candidates)).where(table.c.state == APPLIED)
            for column in (table.c.source_uri, table.c.target_uri)
        )
    )


#: Built once: :meth:`SqlLineageStore.datasets_containing` runs after every scan.
_CONTAINING = _containing()


def stored_reason(edge: LineageEdge) -> str:
    """The ``reason`` column of ``edge``: its reason, then what its endpoints were written as."""
    lines = [edge.reason] if edge.reason else []
    if edge.source_path:
        lines.append(f"source written as {edge.source_path}")
    if edge.target_path:
        lines.append(f"target written as {edge.target_path}")
    return "\n".join(lines)


def read_reason(text: str | None) -> tuple[str, str | None, str | None]:
    """Inverse of :func:`stored_reason`: (reason, source path, target path)."""
    lines = (text or "").split("\n")
    paths: dict[str, str] = {}
    while lines and (match := _WRITTEN.match(lines[-1])):
        paths.setdefault(match.group(1), match.group(2))
        lines.pop()
    return "\n".join(lines), paths.get("source"), paths.get("target")


def row_edge(
    row: Any,
    parse: Callable[[str], Dataset] = Dataset.parse,
    mapping: Callable[[dict[str, Any]], ColumnMapping] = ColumnMapping.from_dict,
) -> LineageEdge:
    """The edge of a ``lineage_edges`` row (ORM object or Core row).

    :param parse: how endpoint URIs become datasets, ``mapping`` how a column map's entries
        become mappings (a caller reading many rows passes memoised ones).
    """
    reason, source_path, target_path = read_reason(row.reason)
    return LineageEdge(
        source=parse(row.source_uri),
        target=parse(row.target_uri),
        origin=Origin(row.origin),
        confidence=row.confidence,
        columns=tuple(mapping(c) for c in row.columns or []),
        sql=row.sql,
        location=row.location,
        reason=reason,
        source_path=source_path,
        target_path=target_path,
    )


def apply_rekey(
    conn: Connection, edges_table: Table, suggestions_table: Table, changes: Sequence[Rekeyed]
) -> int:
    """Replace re-resolved edges in ``edges_table``; point review items at the new ids.

    Each change deletes the edges it replaces and writes the merged one (first seen: the
    earliest of them, last seen: the latest). Review items whose evidence names a replaced
    edge (``lineage_edge``) take the new id, and the endpoints they name (``source``,
    ``target``, ``via``; a ``lineage`` item's object and tag) follow the new datasets; a
    pending ``lineage`` item whose hop is now decided (applied or rejected) is superseded.

    :param edges_table: ``lineage_edges`` (the migration passes its own frozen definition).
    :returns: how many stored edges were replaced. Side effects: writes both tables.
    """
    if not changes:
        return 0
    ids = [i for change in changes for i in change.replaces]
    old: dict[str, Any] = {}
    for chunk in chunks(ids, 500):
        for r in conn.execute(select(edges_table).where(edges_table.c.id.in_(list(chunk)))):
            old[r.id] = r
        conn.execute(delete(edges_table).where(edges_table.c.id.in_(list(chunk))))
    for change in changes:
        rows = [old[i] for i in change.replaces if i in old]
        if not rows:
            continue  # removed meanwhile: nothing to re-key
        e = change.edge
        conn.execute(
            insert(edges_table).values(
                id=e.id,
                source_uri=e.source.uri,
                target_uri=e.target.uri,
                origin=e.origin.value,
                confidence=e.confidence,
                state=change.state,
                columns=[c.to_dict() for c in e.columns],
                sql=e.sql,
                location=e.location,
                reason=stored_reason(e),
                first_seen=min(r.first_seen for r in rows),
                last_seen=max(r.last_seen for r in rows),
            )
        )
    new_id = {i: change.edge.id for change in changes for i in change.replaces}
    decided = {change.edge.id for change in changes if change.state != SUGGESTED}
    renamed = {i: names for change in changes for i, names in change.renamed.items()}
    s = suggestions_table
    query = select(s.c.id, s.c.kind, s.c.object_uri, s.c.tag, s.c.evidence, s.c.state).where(
        s.c.classifier_version.like("lineage%")
    )
    for item in conn.execute(query).all():
        evidence = item.evidence
        edge_ref = evidence.get("lineage_edge") if isinstance(evidence, dict) else None
        if not isinstance(edge_ref, str) or edge_ref not in new_id:
            continue
        names = renamed.get(edge_ref, {})
        moved = {**evidence, "lineage_edge": new_id[edge_ref]}
        for key in ("source", "target", "via"):
            value = moved.get(key)
            if isinstance(value, str) and value in names:
                moved[key] = names[value]
        values: dict[str, Any] = {"evidence": moved}
        if item.kind == "lineage":
            values["object_uri"] = names.get(item.object_uri, item.object_uri)
            values["tag"] = names.get(item.tag, item.tag)[:255]
            if item.state == "pending" and new_id[edge_ref] in decided:
                # The guess merged into a hop that is decided (the SQL or a declaration
                # proves it, or a steward rejected a copy): a decision on the old item would
                # overrule that, so it leaves the queue.
                values["state"] = "superseded"
        conn.execute(update(s).where(s.c.id == item.id).values(**values))
    return len(ids)


def _columns(edge: LineageEdge) -> list[dict[str, object]]:
    return [c.to_dict() for c in edge.columns]


def upsert_edges(
    session: Session, edges: Sequence[LineageEdge], auto_apply_threshold: float
) -> UpsertReport:
    """:meth:`SqlLineageStore.upsert` inside ``session``'s transaction (not committed here).

    A unit of work that stores edges with other rows (the OpenLineage intake's events) calls
    this so both commit together.
    """
    now = datetime.now(UTC)
    report = UpsertReport(suggested=[])
    merged: dict[str, LineageEdge] = {}
    for e in edges:  # the same hop twice in one batch: the stronger origin wins
        old = merged.get(e.id)
        if old is None or ORIGIN_RANK[e.origin] > ORIGIN_RANK[old.origin]:
            merged[e.id] = e
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
                    reason=stored_reason(e),
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
        row.reason = stored_reason(e)
        if row.state == SUGGESTED or (row.state == REJECTED and e.origin is not Origin.INFERRED):
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
        with self._session() as session, session.begin():
            return upsert_edges(session, edges, auto_apply_threshold)

    def set_state(self, edge_id: str, state: str) -> LineageEdge:
        """A steward's decision on an edge (``applied`` or ``rejected``).

        :raises SuggestionNotFound: no such edge.
        """
        with self._session() as session, session.begin():
            row = session.get(LineageEdgeRow, edge_id)
            if row is None:
                raise SuggestionNotFound(f"no lineage edge {edge_id}")
            row.state = state
            return row_edge(row)

    def edges(self, states: Iterable[str] = (APPLIED,)) -> list[LineageEdge]:
        """Every edge in ``states``, in id order."""
        with self._session() as session:
            rows = session.scalars(
                select(LineageEdgeRow)
                .where(LineageEdgeRow.state.in_(list(states)))
                .order_by(LineageEdgeRow.id)
            )
            return [row_edge(r) for r in rows]

    def edges_of(self, uris: Sequence[str], downstream: bool) -> list[LineageEdge]:
        """Applied edges leaving (``downstream``) or entering any of ``uris``, in id order.

        Searched by the (endpoint, state) index (migration 0013), in batches of 500 URIs;
        rows are read as plain rows, not ORM objects (a walk reads thousands).
        """
        table = LineageEdgeRow.__table__
        assert isinstance(table, Table)
        column = table.c.source_uri if downstream else table.c.target_uri
        out: list[LineageEdge] = []
        build = _edge_builder()
        with self.catalog.engine.connect() as conn:
            for chunk in chunks(list(uris), 500):
                query = select(table).where(column.in_(list(chunk))).where(table.c.state == APPLIED)
                out.extend(build(r) for r in conn.execute(query))
        return sorted(out, key=lambda e: e.id)

    def edges_naming(
        self, uris: Sequence[str], downstream: bool, columns: Iterable[str]
    ) -> list[LineageEdge]:
        """Applied edges of ``uris`` (as :meth:`edges_of`) that ``columns`` may take.

        Those whose column map names one of ``columns`` on the near side (source side when
        ``downstream``), a positional source (``$1``) or nothing. Read narrowly: the ids and
        column maps of every edge of ``uris`` first (the same index as :meth:`edges_of`),
        then whole rows only of the edges kept, so a walk does not build thousands of edges
        to drop them.
        """
        table = LineageEdgeRow.__table__
        assert isinstance(table, Table)
        column = table.c.source_uri if downstream else table.c.target_uri
        near = "source" if downstream else "target"
        names = set(columns)
        kept: list[str] = []
        with self.catalog.engine.connect() as conn:
            for chunk in chunks(list(uris), 500):
                query = (
                    select(table.c.id, table.c.columns)
                    .where(column.in_(list(chunk)))
                    .where(table.c.state == APPLIED)
                )
                for edge_id, maps in conn.execute(query):
                    if not maps or any(
                        m[near] in names or str(m["source"]).startswith("$") for m in maps
                    ):
                        kept.append(str(edge_id))
            build = _edge_builder()
            out = [
                build(r)
                for chunk in chunks(kept, 500)
                for r in conn.execute(select(table).where(table.c.id.in_(list(chunk))))
            ]
        return sorted(out, key=lambda e: e.id)

    def datasets_containing(self, object_uri: str) -> list[Dataset]:
        """S3 datasets with applied edges that contain the object (longest prefix first).

        A dataset is the object itself or one of its folder prefixes, so the candidates are
        looked up by equality on the indexed endpoint columns (this runs after every scan).
        """
        if not object_uri.startswith("s3://"):
            return []
        parts = object_uri.split("/")  # "s3:", "", bucket, folders..., name
        candidates = [object_uri] + ["/".join(parts[:i]) + "/" for i in range(3, len(parts))]
        with self.catalog.engine.connect() as conn:
            found = set(conn.execute(_CONTAINING, {"candidates": candidates}).scalars())
        datasets = [Dataset.parse(u) for u in found]
        return sorted((d for d in datasets if d.contains(object_uri)), key=lambda d: -len(d.name))

    def stored_edges(self) -> list[tuple[LineageEdge, str]]:
        """Every edge with its state, in id order (re-resolution reads them all)."""
        with self._session() as session:
            rows = session.scalars(select(LineageEdgeRow).order_by(LineageEdgeRow.id))
            return [(row_edge(r), r.state) for r in rows]

    def rekey(self, changes: Sequence[Rekeyed]) -> int:
        """Replace re-resolved edges (see :func:`apply_rekey`); return how many were replaced.

        Side effects: rewrites edges and the review items that name them, in one transaction.
        """
        edges_table, items_table = LineageEdgeRow.__table__, suggestions
        assert isinstance(edges_table, Table) and isinstance(items_table, Table)
        with self.catalog.engine.begin() as conn:
            return apply_rekey(conn, edges_table, items_table, changes)

    def states(self) -> dict[str, str]:
        """Edge id → state, for every edge."""
        with self._session() as session:
            return {
                r[0]: r[1] for r in session.execute(select(LineageEdgeRow.id, LineageEdgeRow.state))
            }

    def s3_findings(self, datasets: Iterable[Dataset]) -> dict[str, dict[str, dict[str, float]]]:
        """PII found by scans in each S3 dataset: dataset uri → column → entity → confidence.

        Reads the local catalog's findings of the objects under each dataset (the highest
        confidence over its objects), in batches: one query per :data:`_FINDINGS_CHUNK`
        single objects (an IN-list) and per :data:`_PREFIX_CHUNK` prefixes (LIKEs joined by
        OR), whatever the number of datasets.
        """
        wanted = {ds.uri: ds for ds in datasets if ds.is_lake}
        out: dict[str, dict[str, dict[str, float]]] = {uri: {} for uri in wanted}
        objects = [u for u, ds in wanted.items() if not ds.is_prefix]
        prefixes = [u for u, ds in wanted.items() if ds.is_prefix]
        obj = findings.c.object_uri
        columns = (obj, findings.c.column_name, findings.c.entity, func.max(findings.c.confidence))
        grouped = (obj, findings.c.column_name, findings.c.entity)
        with self.catalog.engine.connect() as conn:
            for chunk in chunks(objects, _FINDINGS_CHUNK):
                query = select(*columns).where(obj.in_(list(chunk))).group_by(*grouped)
                for uri, column, entity, confidence in conn.execute(query):
                    _keep_max(out[str(uri)], str(column), str(entity), float(confidence))
            for chunk in chunks(prefixes, _PREFIX_CHUNK):
                likes = [obj.like(like_escape(p) + "%", escape="\\") for p in chunk]
                query = select(*columns).where(or_(*likes)).group_by(*grouped)
                asked = set(chunk)
                for uri, column, entity, confidence in conn.execute(query):
                    # An object counts for every asked prefix it lies under (nested ones too).
                    for prefix in _folders(str(uri)) & asked:
                        _keep_max(out[prefix], str(column), str(entity), float(confidence))
        return out

    def s3_pii(self, datasets: Iterable[Dataset]) -> dict[str, dict[str, set[str]]]:
        """Like :meth:`s3_findings`, entities only: dataset uri → column → entities."""
        return {
            uri: {c: set(e) for c, e in cols.items()}
            for uri, cols in self.s3_findings(datasets).items()
        }


def _edge_builder() -> Callable[[Any], LineageEdge]:
    """:func:`row_edge` with every endpoint and distinct column mapping made once.

    Both are immutable, and a walk reads thousands of edges that repeat them.
    """
    parsed: dict[str, Dataset] = {}
    mappings: dict[tuple[Any, ...], ColumnMapping] = {}

    def parse(uri: str) -> Dataset:
        found = parsed.get(uri)
        if found is None:
            found = parsed[uri] = Dataset.parse(uri)
        return found

    def mapping(data: dict[str, Any]) -> ColumnMapping:
        key = (data["source"], data["target"], data.get("expression"), data.get("masked"))
        found = mappings.get(key)
        if found is None:
            found = mappings[key] = ColumnMapping.from_dict(data)
        return found

    return lambda row: row_edge(row, parse, mapping)


def _folders(uri: str) -> set[str]:
    """Every folder ``uri`` lies under, as prefix URIs (``s3://b/a/`` and ``s3://b/a/x/`` …)."""
    parts = uri.split("/")
    return {"/".join(parts[:i]) + "/" for i in range(1, len(parts))}


def _keep_max(cols: dict[str, dict[str, float]], column: str, entity: str, value: float) -> None:
    """Record ``value`` for ``column``/``entity`` unless a higher one is there."""
    entities = cols.setdefault(column, {})
    if value > entities.get(entity, float("-inf")):
        entities[entity] = value
