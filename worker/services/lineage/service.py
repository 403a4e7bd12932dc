"""``LineageService``: lineage sources in; edges, review items and impact answers out.

The CLI, the web UI and the tests call it; adapters come from
:func:`worker.bootstrap.build_lineage`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic

from typing_extensions import TypeVar

from models.lineage import Dataset, LineageEdge, LineageFindings, LineageProblem
from models.plan import Suggestion
from worker.core.lineage.evidence import lineage_suggestions
from worker.core.lineage.impact import ImpactNode, LineageGraph, attach_pii
from worker.core.ports import LineageStore, ReviewStore
from worker.core.settings import Settings

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


def edge_suggestion(edge: LineageEdge) -> Suggestion:
    """The review item of an inferred edge below the auto-apply threshold.

    It hangs on the S3 side (every inferred hop has one); ``tag`` names the other end.
    """
    s3_side, other = (
        (edge.target, edge.source) if edge.source.is_table else (edge.source, edge.target)
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


class LineageService(Generic[LineageT]):
    """Lineage sources in, edges, review items and impact answers out.

    :param store: the lineage store (edges, and the PII scans found on S3 datasets).
    :param review: the review store (uncertain inferred edges and lineage evidence go there).
    """

    def __init__(self, store: LineageT, review: ReviewStore, settings: Settings) -> None:
        self.store: LineageT = store
        self.review = review
        self.settings = settings

    def load(self, found: LineageFindings) -> LoadReport:
        """Store edges, queue uncertain inferred ones for review, refresh lineage evidence.

        The strongest origin's details win for a hop found twice.

        Side effects: writes edges and suggestions to the local catalog.
        """
        report = LoadReport(edges=len(found.edges), problems=list(found.problems))
        upserted = self.store.upsert(found.edges, self.settings.lineage.auto_apply_threshold)
        report.new, report.updated, report.unchanged = (
            upserted.new,
            upserted.updated,
            upserted.unchanged,
        )
        by_object: dict[str, list[Suggestion]] = {}
        for edge in upserted.suggested or []:
            s = edge_suggestion(edge)
            by_object.setdefault(s.object_uri, []).append(s)
        for uri, items in by_object.items():
            report.suggested += self.review.sync(uri, items, supersede=False).new
        report.evidence = self.refresh_evidence()
        return report

    def refresh_evidence(self) -> int:
        """Re-derive PII suggestions on table columns from applied edges; return new ones."""
        edges = self.store.edges()
        s3 = [d for e in edges for d in (e.source, e.target) if not d.is_table]
        scanned = self.store.s3_findings(s3)
        new = 0
        for table, items in lineage_suggestions(edges, scanned, self.settings.atlan).items():
            new += self.review.sync(table, items, kinds={"tag"}).new
        return new

    def graph(self) -> LineageGraph:
        """The applied edges as a lazy graph (walks read only what they reach)."""
        return LineageGraph.lazy(self.store.edges_of)

    def resolve(self, uri: str, graph: LineageGraph) -> tuple[Dataset, str | None]:
        """Parse ``postgres:DB.SCHEMA.TABLE[.COLUMN]`` or ``s3://...`` into (dataset, column).

        An S3 object maps to the graph's dataset that contains it.

        :raises models.lineage.InvalidDataset: not a dataset reference.
        """
        if uri.startswith("s3://"):
            exact = Dataset.parse(uri)
            if graph.edges_from(exact.uri) or graph.edges_from(exact.uri, downstream=False):
                return exact, None
            containing = self.store.datasets_containing(uri)
            if containing:
                return containing[0], None
            return exact, None
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
