"""``LineageService``: lineage sources in; edges, review items and impact answers out.

The CLI, the web UI and the tests call it; adapters come from
:func:`worker.bootstrap.build_lineage`. Every edge loaded, from any source, has its S3
endpoints resolved to datasets (:mod:`worker.core.lineage.resolve`: the catalog's datasets
when a :class:`~worker.core.ports.DatasetStore` is given, else the folder heuristic), so a
file-writing export and a prefix-loading ``COPY`` form one chain; :meth:`LineageService.reresolve`
re-keys stored edges once a scan has recorded better datasets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, Protocol

from typing_extensions import TypeVar

from models.datasets import DatasetRef
from models.lineage import (
    Dataset,
    LineageEdge,
    LineageFindings,
    LineageProblem,
    System,
    UpsertReport,
)
from models.plan import Suggestion
from worker.core.lineage.evidence import lineage_suggestions
from worker.core.lineage.impact import ImpactNode, LineageGraph, attach_pii, with_positions
from worker.core.lineage.resolve import (
    DatasetLookup,
    lone_file_folder,
    rekey_edges,
    resolve_edges,
    resolve_s3,
)
from worker.core.ports import DatasetStore, LineageStore, ReviewStore
from worker.core.settings import Settings

#: Which tables :meth:`LineageService.load` re-derives lineage evidence of.
EvidenceScope = Literal["all", "touched"]

#: Datasets of one bucket read to tell a lone file from one beside other tables.
_BUCKET_DATASETS = 1_000_000

# Generic in its lineage store, bounded by the port, so that the composition root's callers
# keep the concrete store's other operations through ``service.store`` while this module
# names no adapter. A bare ``LineageService`` means the port.
LineageT = TypeVar("LineageT", bound=LineageStore, default=LineageStore, covariant=True)


@dataclass(slots=True)
class LoadReport:
    """What one ``load`` did."""

    edges: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    suggested: int = 0
    evidence: int = 0
    problems: list[LineageProblem] = field(default_factory=list)


@dataclass(slots=True)
class StagedLoad:
    """Edges upserted by :meth:`LineageService.stage`, waiting for :meth:`LineageService.settle`.

    :param edges: the hops as resolved and stored.
    :param suggested: those that wait for a steward.
    """

    report: LoadReport
    edges: list[LineageEdge]
    suggested: list[LineageEdge]


class EdgeWriter(Protocol):
    """Where :meth:`LineageService.stage` upserts edges (a lineage store, a unit of work)."""

    def upsert(self, edges: Sequence[LineageEdge], auto_apply_threshold: float) -> UpsertReport:
        """Add or refresh edges (see :meth:`worker.core.ports.LineageStore.upsert`)."""
        ...


def edge_suggestion(edge: LineageEdge) -> Suggestion:
    """The review item of an inferred edge below the auto-apply threshold.

    It hangs on the S3 side (every inferred hop has one); ``tag`` names the other end.
    """
    s3_side, other = (
        (edge.target, edge.source) if not edge.source.is_lake else (edge.source, edge.target)
    )
    matched = ", ".join(f"{c.source}→{c.target}" for c in edge.columns[:12])
    return Suggestion(
        object_uri=s3_side.uri,
        qualified_name="",
        kind="lineage",
        tag=other.uri[:255],
        entity=None,
        column=None,
        confidence=round(edge.confidence, 4),
        reason=f"inferred {edge.source.uri} → {edge.target.uri}: {edge.reason}",
        evidence={
            "lineage_edge": edge.id,
            "source": edge.source.uri,
            "target": edge.target.uri,
            "columns": matched,
            "location": edge.location,
        },
        classifier_version="lineage-infer=1",
    )


class DownstreamLineage(Protocol):
    """What another catalog knows downstream of tables (Atlan's Looker lineage)."""

    def downstream(self, tables: Sequence[Dataset]) -> LineageFindings:
        """Edges from each table to what it feeds there; problems for unknown tables."""
        ...


class LineageService(Generic[LineageT]):
    """Lineage sources in, edges, review items and impact answers out.

    :param store: the lineage store (edges, and the PII scans found on S3 datasets).
    :param review: the review store (uncertain inferred edges and lineage evidence go there).
    :param datasets: the catalog's datasets, which S3 endpoints resolve to first; without it
        the folder heuristic alone resolves them.
    """

    def __init__(
        self,
        store: LineageT,
        review: ReviewStore,
        settings: Settings,
        datasets: DatasetStore | None = None,
    ) -> None:
        self.store: LineageT = store
        self.review = review
        self.settings = settings
        self.datasets = datasets

    @property
    def lookup(self) -> DatasetLookup | None:
        """The catalog's datasets as a resolver lookup (``None`` without a dataset store).

        ``dataset_of`` answers; a dataset of one file is checked against the other datasets
        of its bucket (read once per bucket per lookup) to tell a lone file, which stands for
        its folder, from a file beside other tables (:func:`lone_file_folder`).
        """
        store = self.datasets
        if store is None:
            return None
        buckets: dict[str, list[DatasetRef]] = {}

        def lookup(bucket: str, key: str) -> DatasetRef | None:
            ref = store.dataset_of(bucket, key)
            if ref is None or ref.is_prefix:
                return ref
            if bucket not in buckets:
                listed = store.list_datasets(bucket, limit=_BUCKET_DATASETS)
                buckets[bucket] = [d.summary.ref for d in listed]
            return lone_file_folder(ref, buckets[bucket])

        return lookup

    def load(self, found: LineageFindings, *, evidence: EvidenceScope = "all") -> LoadReport:
        """Store edges, queue uncertain inferred ones for review, refresh lineage evidence.

        S3 endpoints are resolved to their datasets first; the strongest origin's details win
        for a hop found twice (column maps are kept when it has none).

        :param evidence: ``all`` re-derives the lineage evidence of every table from the
            whole graph (:meth:`refresh_evidence`); ``touched`` only that of the tables the
            loaded hops can change, read through indexed queries (what one OpenLineage event
            per request needs: the cost follows the hops, not the graph).
        Side effects: writes edges and suggestions to the local catalog.
        """
        return self.settle(self.stage(found), evidence=evidence)

    def stage(self, found: LineageFindings, into: EdgeWriter | None = None) -> StagedLoad:
        """The first half of :meth:`load`: resolve the hops, upsert them ``into`` a store.

        :param into: where the edges go (default: the lineage store, committed at once); a
            unit of work's, so that they commit with what else it writes (the OpenLineage
            intake's events). Call :meth:`settle` once that is committed.
        Side effects: writes edges.
        """
        report = LoadReport(edges=len(found.edges), problems=list(found.problems))
        edges = resolve_edges(found.edges, self.lookup)
        target: EdgeWriter = self.store if into is None else into
        upserted = target.upsert(edges, self.settings.lineage.auto_apply_threshold)
        report.new, report.updated, report.unchanged = (
            upserted.new,
            upserted.updated,
            upserted.unchanged,
        )
        return StagedLoad(report, edges, list(upserted.suggested or []))

    def settle(self, staged: StagedLoad, *, evidence: EvidenceScope = "all") -> LoadReport:
        """The second half of :meth:`load`, once the staged edges are committed.

        Queues the edges that wait for a steward and re-derives lineage evidence (see
        :meth:`load`). Side effects: writes suggestions to the local catalog.
        """
        report = staged.report
        by_object: dict[str, list[Suggestion]] = {}
        for edge in staged.suggested:
            s = edge_suggestion(edge)
            by_object.setdefault(s.object_uri, []).append(s)
        for uri, items in by_object.items():
            report.suggested += self.review.sync(uri, items, supersede=False).new
        touched = staged.edges if evidence == "touched" else None
        report.evidence = self.refresh_evidence(touched)
        return report

    def load_downstream(self, reader: DownstreamLineage) -> LoadReport:
        """Load what ``reader`` knows downstream of the stored Snowflake tables.

        E.g. the Looker explores and dashboards Atlan's Looker connector linked to them.
        Side effects: as :meth:`load`; ``reader`` may make requests.
        """
        stored = self.store.edges()
        tables = sorted(
            {d for e in stored for d in (e.source, e.target) if d.system is System.SNOWFLAKE}
        )
        return self.load(reader.downstream(tables))

    def refresh_evidence(self, touched: Sequence[LineageEdge] | None = None) -> int:
        """Re-derive PII suggestions on table columns from applied edges; return new ones.

        :param touched: hops just stored: re-derive only the suggestions of the tables they
            can change (:meth:`_evidence_scope`), each from every applied edge it has, so
            what a table gets is what the whole-graph pass gives it. ``None``: every table.
        Side effects: syncs the tables' ``tag`` suggestions (stale pending ones superseded).
        """
        tables: set[str] | None = None
        if touched is None:
            edges = self.store.edges()
        else:
            edges, tables = self._evidence_scope(touched)
            if not tables:
                return 0
        s3 = [d for e in edges for d in (e.source, e.target) if d.is_lake]
        scanned = self.store.s3_findings(s3)
        new = 0
        named = with_positions(edges)
        for table, items in lineage_suggestions(named, scanned, self.settings.atlan).items():
            if tables is None or table in tables:
                new += self.review.sync(table, items, kinds={"tag"}).new
        return new

    def _evidence_scope(self, touched: Sequence[LineageEdge]) -> tuple[list[LineageEdge], set[str]]:
        """The tables whose lineage evidence ``touched`` can change, and the edges it needs.

        Evidence on a table comes from its hops to and from lake datasets with scan findings
        (:func:`lineage_suggestions`); a hop into a lake dataset also renames the positional
        columns (``$2``) of the hops that read it (:func:`with_positions`). So a touched hop
        matters only when the lake dataset it writes, or reads into a table, has findings;
        then its table end and the tables fed by the lake dataset it writes are re-derived,
        from every applied edge touching them plus the writers of their lake sources.
        Returns no tables when nothing can change (one indexed query).
        """
        lakes: dict[str, Dataset] = {}
        for e in touched:
            if e.target.is_lake:
                lakes[e.target.uri] = e.target
            elif e.source.is_lake and e.target.is_table:
                lakes[e.source.uri] = e.source
        found = self.store.s3_findings(list(lakes.values())) if lakes else {}
        relevant = {uri for uri, cols in found.items() if cols}
        if not relevant:
            return [], set()
        tables: set[str] = set()
        for e in touched:
            if e.source.is_lake and e.target.is_table and e.source.uri in relevant:
                tables.add(e.target.uri)
            elif e.source.is_table and e.target.is_lake and e.target.uri in relevant:
                tables.add(e.source.uri)
        written = sorted({e.target.uri for e in touched if e.target.uri in relevant})
        tables.update(e.target.uri for e in self.store.edges_of(written, True) if e.target.is_table)
        if not tables:
            return [], set()
        ordered = sorted(tables)
        edges = {e.id: e for e in self.store.edges_of(ordered, True)}
        edges.update((e.id, e) for e in self.store.edges_of(ordered, False))
        sources = sorted({e.source.uri for e in edges.values() if e.source.is_lake})
        edges.update((e.id, e) for e in self.store.edges_of(sources, False))
        # Edge-id order, as the whole-graph pass reads them: a table's items keep their order.
        return sorted(edges.values(), key=lambda e: e.id), tables

    def graph(self) -> LineageGraph:
        """The applied edges as a lazy graph (walks read only what they reach)."""
        return LineageGraph.lazy(self.store.edges_of)

    def reresolve(self) -> int:
        """Resolve every stored edge again (after a scan recorded datasets); merge duplicates.

        Edges start from what their endpoints were written as; hops that become one merge
        (strongest origin wins, column maps kept, a steward's decision stands) and the review
        items naming them follow. Returns how many stored edges were replaced.

        Side effects: rewrites edges and review items; refreshes lineage evidence.
        """
        changes = rekey_edges(self.store.stored_edges(), self.lookup)
        replaced = self.store.rekey(changes)
        if replaced:
            self.refresh_evidence()
        return replaced

    def resolve(self, uri: str, graph: LineageGraph) -> tuple[Dataset, str | None]:
        """Parse ``postgres:DB.SCHEMA.TABLE[.COLUMN]`` or ``s3://...`` into (dataset, column).

        An S3 URI (an object, a dataset prefix, a partition prefix) maps to its dataset: the
        one named exactly when edges touch it, else the one it resolves to (the catalog's,
        else the folder heuristic) when edges touch that, else the graph's dataset that
        contains it.

        :raises models.lineage.InvalidDataset: not a dataset reference.
        """
        if uri.startswith("s3://"):
            exact = Dataset.parse(uri)
            resolved = resolve_s3(exact.uri, self.lookup)
            for candidate in dict.fromkeys((exact, resolved)):
                if graph.edges_from(candidate.uri) or graph.edges_from(
                    candidate.uri, downstream=False
                ):
                    return candidate, None
            containing = self.store.datasets_containing(uri)
            if containing:
                return containing[0], None
            return resolved, None
        if uri.startswith("looker:"):
            return Dataset.parse(uri), None  # a dashboard or explore: no columns
        system, _, name = uri.partition(":")
        parts = name.split(".")
        if len(parts) == 4:
            return Dataset.parse(f"{system}:{'.'.join(parts[:3])}"), parts[3]
        return Dataset.parse(uri), None

    def impact(self, uri: str) -> tuple[ImpactNode, list[ImpactNode], LineageGraph]:
        """Everything downstream of ``uri`` with the PII on each (and the start node).

        :raises models.lineage.InvalidDataset: ``uri`` is not a dataset reference.
        """
        graph = self.graph()
        start, column = self.resolve(uri, graph)
        nodes = graph.downstream(start, column)
        first = ImpactNode(start, 0, {column} if column else None, None)
        scanned = self.store.s3_pii([start, *(n.dataset for n in nodes)])
        attach_pii([first, *nodes], graph, scanned)
        return first, nodes, graph

    def show(self, uri: str) -> tuple[ImpactNode, list[ImpactNode], list[ImpactNode], LineageGraph]:
        """The dataset's upstream and downstream (each with PII)."""
        graph = self.graph()
        start, column = self.resolve(uri, graph)
        up = graph.upstream(start, column)
        down = graph.downstream(start, column)
        ordered = sorted(up, key=lambda n: -n.depth)
        first = ImpactNode(start, 0, {column} if column else None, None)
        scanned = self.store.s3_pii([start, *(n.dataset for n in up + down)])
        attach_pii([*ordered, first, *down], graph, scanned)
        return first, up, down, graph
