"""Impact analysis over the lineage graph (pure: no I/O).

``downstream(start, column)`` answers "what would break if I change this table (column)?":
every dataset reachable from ``start`` through applied edges, with the columns the change
reaches where column maps say so, and the PII on each. Column tracking follows each edge's
column map; an edge without a map carries the whole dataset on (its columns are then
"unknown", reported as such, never guessed). PII known from scans of S3 datasets flows
downstream along mapped columns, except through masking expressions (``sha2(email)``).

S3 endpoints are datasets (:mod:`worker.core.lineage.resolve`), so an export that writes a
file and a ``COPY`` that loads its prefix meet on one node and a walk goes on through it.
Column maps compose through that node by name; a load that reads positional columns
(``SELECT $1, sha2($2) FROM @stage/users/``) is named after the column order of the one
select list that writes the dataset (:func:`name_positions`), so ``email`` → ``email`` →
``$2`` → ``EMAIL_HASH`` is followed too.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from models.lineage import Dataset, LineageEdge


@dataclass(slots=True)
class ImpactNode:
    """One dataset reached from the start.

    :param columns: columns reached (``None``: the whole dataset; column-level unknown).
    :param depth: hops from the start.
    :param via: the edge that first reached it.
    :param pii: column → PII entities on it (found by scans, or flowing in from upstream).
    """

    dataset: Dataset
    depth: int
    columns: set[str] | None
    via: LineageEdge | None
    pii: dict[str, set[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "dataset": self.dataset.uri,
            "system": self.dataset.system.value,
            "depth": self.depth,
            "columns": sorted(self.columns) if self.columns is not None else None,
            "via": self.via.id if self.via is not None else None,
            "origin": self.via.origin.value if self.via is not None else None,
            "confidence": round(self.via.confidence, 4) if self.via is not None else None,
            # What the hop's S3 ends were written as, when they resolved to a dataset.
            "written": {"source": self.via.source_path, "target": self.via.target_path}
            if self.via is not None and (self.via.source_path or self.via.target_path)
            else None,
            "pii": {c: sorted(e) for c, e in sorted(self.pii.items())},
        }


EdgeLoader = Callable[[Sequence[str], bool], list[LineageEdge]]

_POSITIONAL = re.compile(r"^\$(\d+)$")


def positional_names(writers: Iterable[LineageEdge]) -> list[str] | None:
    """The column order of an S3 dataset from the edges that write it, when it is certain.

    Each writer's map lists the written columns in select-list order; the order is known
    when every writer with a map gives the same one (``None`` otherwise: several exports of
    different shapes, or none mapped).
    """
    orders = {tuple(dict.fromkeys(m.target for m in e.columns)) for e in writers if e.columns}
    return list(next(iter(orders))) if len(orders) == 1 else None


def name_positions(edge: LineageEdge, names: Sequence[str] | None) -> LineageEdge:
    """``edge`` with its positional sources (``$1``, ``$2``) named after ``names``.

    Only when every source of the map is positional and within ``names`` (a JSON load's
    ``$1`` is the whole record beside named keys: it is left alone). The expression keeps
    the position it read.
    """
    if not names or not edge.columns:
        return edge
    positions: list[int] = []
    for m in edge.columns:
        match = _POSITIONAL.match(m.source)
        if match is None or not 1 <= int(match.group(1)) <= len(names):
            return edge
        positions.append(int(match.group(1)))
    columns = tuple(
        replace(m, source=names[n - 1], expression=m.expression or m.source)
        for m, n in zip(edge.columns, positions, strict=True)
    )
    return replace(edge, columns=columns)


def with_positions(edges: Sequence[LineageEdge]) -> list[LineageEdge]:
    """Every edge of a complete list, positional sources named (:func:`name_positions`)."""
    writers: dict[str, list[LineageEdge]] = {}
    for e in edges:
        writers.setdefault(e.target.uri, []).append(e)
    return [
        name_positions(e, positional_names(writers.get(e.source.uri, [])))
        if e.source.is_lake
        else e
        for e in edges
    ]


class LineageGraph:
    """Applied edges indexed both ways.

    Built from a list of edges (complete), or :meth:`lazy` over a loader that fetches the
    edges of a set of datasets on demand: a walk then reads only the part of the graph it
    reaches (a few indexed queries), however large the whole graph is.
    """

    def __init__(self, edges: Iterable[LineageEdge] = (), loader: EdgeLoader | None = None):
        self.down: dict[str, list[LineageEdge]] = {}
        self.up: dict[str, list[LineageEdge]] = {}
        self._loader = loader
        self._loaded: tuple[set[str], set[str]] = (set(), set())
        self._named: dict[str, LineageEdge] = {}
        for e in edges:
            self._add(e)

    @classmethod
    def lazy(cls, loader: EdgeLoader) -> LineageGraph:
        """A graph that loads ``loader(uris, downstream)`` as walks reach datasets."""
        return cls(loader=loader)

    def _add(self, e: LineageEdge) -> None:
        if any(x.id == e.id for x in self.down.get(e.source.uri, ())):
            return
        self.down.setdefault(e.source.uri, []).append(e)
        self.up.setdefault(e.target.uri, []).append(e)

    def prefetch(self, uris: Iterable[str], downstream: bool) -> None:
        """Load the edges leaving (or entering) ``uris`` in one batch (lazy graphs only)."""
        if self._loader is None:
            return
        done = self._loaded[0 if downstream else 1]
        todo = sorted({u for u in uris if u not in done})
        if not todo:
            return
        for e in self._loader(todo, downstream):
            self._add(e)
        done.update(todo)

    def edges_from(self, uri: str, downstream: bool = True) -> list[LineageEdge]:
        """Edges leaving (``downstream``) or entering ``uri``, positional columns named."""
        self.prefetch([uri], downstream)
        found = list((self.down if downstream else self.up).get(uri, []))
        return [self._positions_named(e) for e in found]

    def _positions_named(self, edge: LineageEdge) -> LineageEdge:
        """``edge`` read from an S3 dataset with ``$n`` sources named after its writers."""
        if not edge.source.is_lake or not any(_POSITIONAL.match(m.source) for m in edge.columns):
            return edge
        named = self._named.get(edge.id)
        if named is None:
            self.prefetch([edge.source.uri], downstream=False)  # the dataset's writers
            named = name_positions(edge, positional_names(self.up.get(edge.source.uri, [])))
            self._named[edge.id] = named
        return named

    def _walk(self, start: Dataset, column: str | None, downstream: bool) -> list[ImpactNode]:
        start_cols = {column} if column is not None else None
        seen: dict[str, ImpactNode] = {start.uri: ImpactNode(start, 0, start_cols, None)}
        queue: deque[tuple[Dataset, set[str] | None, int]] = deque([(start, start_cols, 0)])
        out: list[ImpactNode] = []
        while queue:
            # One batch per level: the loader sees every dataset of the frontier at once.
            self.prefetch([d.uri for d, _, _ in queue], downstream)
            ds, cols, depth = queue.popleft()
            for edge in self.edges_from(ds.uri, downstream):
                nxt = edge.target if downstream else edge.source
                reached = _carry(edge, cols, downstream)
                if reached is not None and not reached and cols is not None:
                    continue  # the tracked columns do not flow through this edge
                node = seen.get(nxt.uri)
                if node is None:
                    node = ImpactNode(nxt, depth + 1, reached, edge)
                    seen[nxt.uri] = node
                    out.append(node)
                    queue.append((nxt, reached, depth + 1))
                elif node.columns is not None:
                    # Reached again by another path: widen what reaches it.
                    if reached is None:
                        node.columns = None
                        queue.append((nxt, None, node.depth))
                    elif not reached <= node.columns:
                        node.columns |= reached
                        queue.append((nxt, set(node.columns), node.depth))
        return sorted(out, key=lambda n: (n.depth, n.dataset.uri))

    def downstream(self, start: Dataset, column: str | None = None) -> list[ImpactNode]:
        """Everything downstream of ``start`` (optionally of one of its columns)."""
        return self._walk(start, column, downstream=True)

    def upstream(self, start: Dataset, column: str | None = None) -> list[ImpactNode]:
        """Everything upstream of ``start``."""
        return self._walk(start, column, downstream=False)


def _carry(edge: LineageEdge, cols: set[str] | None, downstream: bool) -> set[str] | None:
    """The columns on the far side of ``edge`` that ``cols`` reach (``None``: unknown)."""
    if not edge.columns:
        return None
    if cols is None:
        return {c.target if downstream else c.source for c in edge.columns}
    lowered = {c.lower() for c in cols}
    if downstream:
        return {c.target for c in edge.columns if c.source.lower() in lowered}
    return {c.source for c in edge.columns if c.target.lower() in lowered}


def attach_pii(
    nodes: list[ImpactNode],
    graph: LineageGraph,
    scanned: Mapping[str, Mapping[str, set[str]]],
) -> None:
    """Fill each node's ``pii``: what scans found on it, plus what flows in unmasked.

    :param nodes: in depth order (as :meth:`LineageGraph.downstream` returns them), so PII
        flows along a whole chain.
    :param scanned: dataset uri → column → entities found by scans (S3 datasets).
    """
    known: dict[str, dict[str, set[str]]] = {
        uri: {c: set(e) for c, e in cols.items()} for uri, cols in scanned.items()
    }
    graph.prefetch([n.dataset.uri for n in nodes], downstream=False)
    for node in nodes:
        uri = node.dataset.uri
        pii = {c: set(e) for c, e in known.get(uri, {}).items()}
        for edge in graph.edges_from(uri, downstream=False):
            upstream = known.get(edge.source.uri, {})
            for m in edge.columns:
                entities = upstream.get(m.source)
                if entities and not m.masked:
                    pii.setdefault(m.target, set()).update(entities)
        node.pii = pii
        known[uri] = pii


#: How :func:`impact_summary` names what a walk reaches (singular, plural), in this order.
_SUMMARY_NOUNS: dict[str, tuple[str, str]] = {
    "postgres": ("PostgreSQL table", "PostgreSQL tables"),
    "redshift": ("Redshift table", "Redshift tables"),
    "s3": ("S3 dataset", "S3 datasets"),
    "file": ("local dataset", "local datasets"),
    "snowflake": ("Snowflake table", "Snowflake tables"),
    "looker:explore": ("Looker explore", "Looker explores"),
    "looker:look": ("Look", "Looks"),
    "looker:dashboard": ("dashboard", "dashboards"),
}


def impact_counts(nodes: Iterable[ImpactNode]) -> dict[str, int]:
    """How many datasets of each kind a walk reached: ``snowflake``, ``looker:dashboard``, ...

    Looker assets count per kind (explore, Look, dashboard); everything else per system.
    """
    counts: Counter[str] = Counter()
    for n in nodes:
        ds = n.dataset
        counts[f"looker:{ds.parts[0]}" if ds.is_looker else ds.system.value] += 1
    return {k: counts[k] for k in _SUMMARY_NOUNS if counts[k]}


def impact_summary(start: Dataset, nodes: Iterable[ImpactNode]) -> str:
    """One line: ``s3://lake/x/ feeds 3 Snowflake tables and 5 dashboards`` (or feeds nothing)."""
    counts = impact_counts(nodes)
    parts = [f"{n} {_SUMMARY_NOUNS[k][n != 1]}" for k, n in counts.items()]
    if not parts:
        return f"{start.uri} feeds nothing known"
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"{start.uri} feeds {listed}"


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_dot(start: ImpactNode, nodes: list[ImpactNode], graph: LineageGraph) -> str:
    """Graphviz text: the start, the nodes reached, every edge among them (inferred dashed)."""
    lines = ["digraph lineage {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    ids: dict[str, str] = {}
    for i, node in enumerate([start, *nodes]):
        ids[node.dataset.uri] = f"n{i}"
        pii = ", ".join(f"{c}: {'/'.join(sorted(e))}" for c, e in sorted(node.pii.items()))
        label = _quote(node.dataset.uri) + (f"\\nPII {_quote(pii)}" if pii else "")
        bold = ", style=bold" if i == 0 else ""
        lines.append(f'  n{i} [label="{label}"{bold}];')
    graph.prefetch(ids, downstream=True)
    for uri, src in ids.items():
        for edge in graph.edges_from(uri):
            dst = ids.get(edge.target.uri)
            if dst is not None:
                style = " [style=dashed]" if edge.origin.value == "inferred" else ""
                lines.append(f"  {src} -> {dst}{style};")
    lines.append("}")
    return "\n".join(lines) + "\n"
