"""An object's upstream and downstream as an inline SVG graph, for the object page.

Server-rendered, no JavaScript: datasets are laid out in columns by hop (upstream left,
the object's dataset in the middle, downstream right), one box per dataset with its PII
columns, one arrow per edge (inferred edges dashed). Presentation attributes only, so the
page's Content-Security-Policy (no inline styles) holds. A text list beside it carries the
same information for screen readers. Below them, the chain hop by hop (PostgreSQL → S3 →
Snowflake → Looker): each hop's ends with their systems, its origin and its column map
(masked columns marked), for the object page and the dataset page alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from models.lineage import ColumnMapping, Dataset, InvalidDataset, LineageEdge
from worker.adapters.catalog.lineage_store import SqlLineageStore
from worker.core.lineage.impact import ImpactNode, LineageGraph, attach_pii

BOX_W, BOX_H, GAP_X, GAP_Y, PAD = 250, 52, 70, 18, 12
_FILL = {
    "postgres": "#e8f0fe",
    "s3": "#fef7e0",
    "file": "#fdf3e7",
    "snowflake": "#e6f4ea",
    "redshift": "#fce8e6",
    "looker": "#f3e8fd",
}
#: What the pages call each system (Looker assets by kind).
_SYSTEM_LABEL = {
    "postgres": "PostgreSQL",
    "s3": "S3",
    "file": "local files",
    "snowflake": "Snowflake",
    "redshift": "Redshift",
    "looker:dashboard": "Looker dashboard",
    "looker:explore": "Looker explore",
    "looker:look": "Looker Look",
}


def system_label(ds: Dataset) -> str:
    """``PostgreSQL``, ``S3``, ``local files``, ``Snowflake``, ``Looker dashboard`` ..."""
    key = f"looker:{ds.parts[0]}" if ds.is_looker else ds.system.value
    return _SYSTEM_LABEL.get(key, ds.system.value)


@dataclass(frozen=True, slots=True)
class ChainHop:
    """One hop of the chain shown: its ends, where it is known from, its column map.

    :param direction: ``upstream`` (the hop ends at or before the page's dataset) or
        ``downstream``.
    """

    direction: str
    source: Dataset
    target: Dataset
    origin: str
    confidence: float
    columns: tuple[ColumnMapping, ...]
    location: str | None

    @property
    def source_system(self) -> str:
        """The source's system, as the page names it."""
        return system_label(self.source)

    @property
    def target_system(self) -> str:
        """The target's system, as the page names it."""
        return system_label(self.target)


@dataclass(frozen=True, slots=True)
class LineageView:
    """What the template shows: the SVG and the same nodes as text."""

    svg: str
    dataset: ImpactNode
    upstream: list[ImpactNode]
    downstream: list[ImpactNode]
    hops: list[ChainHop]

    def rows(self) -> list[dict[str, Any]]:
        """Upstream then downstream, for the text list (``system_label``: as shown)."""
        return [
            {"direction": "upstream", "system_label": system_label(n.dataset), **n.to_dict()}
            for n in self.upstream
        ] + [
            {"direction": "downstream", "system_label": system_label(n.dataset), **n.to_dict()}
            for n in self.downstream
        ]


def _short(text: str, width: int = 38) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def lineage_view(store: SqlLineageStore, uri: str) -> LineageView | None:
    """The graph around ``uri`` (an S3 object, an S3 dataset or a table), or ``None``.

    Reads the applied edges and the scans' findings of the S3 datasets shown.
    """
    graph = LineageGraph.lazy(store.edges_of)
    try:
        exact = Dataset.parse(uri)
    except InvalidDataset:
        return None
    if graph.edges_from(exact.uri) or graph.edges_from(exact.uri, downstream=False):
        start = exact
    else:
        containing = store.datasets_containing(uri)
        if not containing:
            return None
        start = containing[0]
    up = graph.upstream(start)
    down = graph.downstream(start)
    center = ImpactNode(start, 0, None, None)
    scanned = store.s3_pii([start, *(n.dataset for n in up + down)])
    attach_pii([*sorted(up, key=lambda n: -n.depth), center, *down], graph, scanned)
    hops = _hops(center, up, down, graph)
    return LineageView(_svg(center, up, down, graph), center, up, down, hops)


def _hops(
    center: ImpactNode, up: list[ImpactNode], down: list[ImpactNode], g: LineageGraph
) -> list[ChainHop]:
    """Every edge between the datasets shown, upstream end first, as the chain's hops."""
    depth = {center.dataset.uri: 0}
    depth.update((n.dataset.uri, -n.depth) for n in up)
    depth.update((n.dataset.uri, n.depth) for n in down)
    g.prefetch(depth, downstream=True)
    found: list[LineageEdge] = [
        e for uri in depth for e in g.edges_from(uri) if e.target.uri in depth
    ]
    found.sort(key=lambda e: (depth[e.source.uri], depth[e.target.uri], e.source.uri, e.target.uri))
    return [
        ChainHop(
            "upstream" if depth[e.target.uri] <= 0 else "downstream",
            e.source,
            e.target,
            e.origin.value,
            e.confidence,
            e.columns,
            e.location,
        )
        for e in found
    ]


def _svg(center: ImpactNode, up: list[ImpactNode], down: list[ImpactNode], g: LineageGraph) -> str:
    columns: dict[int, list[ImpactNode]] = {0: [center]}
    for n in up:
        columns.setdefault(-n.depth, []).append(n)
    for n in down:
        columns.setdefault(n.depth, []).append(n)
    order = sorted(columns)
    pos: dict[str, tuple[int, int]] = {}
    tallest = max(len(v) for v in columns.values())
    height = PAD * 2 + tallest * BOX_H + (tallest - 1) * GAP_Y
    width = PAD * 2 + len(order) * BOX_W + (len(order) - 1) * GAP_X
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="lineage-title" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" class="lineage">',
        f'<title id="lineage-title">Lineage of {escape(center.dataset.uri)}: '
        f"{len(up)} upstream, {len(down)} downstream</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#5f6b7a"/></marker></defs>',
    ]
    boxes: list[str] = []
    for ci, depth in enumerate(order):
        nodes = sorted(columns[depth], key=lambda n: n.dataset.uri)
        for ri, node in enumerate(nodes):
            x = PAD + ci * (BOX_W + GAP_X)
            y = PAD + ri * (BOX_H + GAP_Y)
            pos[node.dataset.uri] = (x, y)
            boxes.append(_box(node, x, y, bold=depth == 0))
    for uri, (x, y) in pos.items():
        for edge in g.edges_from(uri):
            target = pos.get(edge.target.uri)
            if target is None:
                continue
            tx, ty = target
            dash = ' stroke-dasharray="5 4"' if edge.origin.value == "inferred" else ""
            parts.append(
                f'<line x1="{x + BOX_W}" y1="{y + BOX_H // 2}" x2="{tx}" y2="{ty + BOX_H // 2}" '
                f'stroke="#5f6b7a" stroke-width="1.5" marker-end="url(#arrow)"{dash}/>'
            )
    parts.extend(boxes)
    parts.append("</svg>")
    return "".join(parts)


def _box(node: ImpactNode, x: int, y: int, bold: bool) -> str:
    ds: Dataset = node.dataset
    pii = ", ".join(sorted({e for es in node.pii.values() for e in es}))
    fill = _FILL.get(ds.system.value, "#ffffff")
    stroke = ' stroke="#1a3a5c" stroke-width="2.5"' if bold else ' stroke="#8a96a3"'
    return (
        f"<g><title>{escape(system_label(ds))}: {escape(ds.uri)}</title>"
        f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="{fill}"'
        f"{stroke}/>"
        f'<text x="{x + 8}" y="{y + 19}" font-size="12" font-family="sans-serif" '
        f'fill="#1f2933">{escape(_short(ds.uri))}</text>'
        f'<text x="{x + 8}" y="{y + 38}" font-size="11" font-family="sans-serif" '
        f'fill="{"#b3261e" if pii else "#5f6b7a"}">'
        f"{escape(_short('PII: ' + pii, 40) if pii else 'no PII known')}</text></g>"
    )
