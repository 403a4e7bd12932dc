"""``AskService``: a question in plain language in; the items that answer it, and why, out.

The question is parsed by :func:`worker.core.ask.parse.parse_question` against the names the
catalog knows (its datasets, and every table and dashboard lineage reaches), then executed
with the existing stores and the lineage service: dataset verdicts (categories, entities per
column), lineage walks (impact, consumers, paths, where PII flows masked or not), the review
queue, alerts and contract checks. Every item says why it qualifies (the lineage path, the
finding, the violation); an ambiguous or unknown name, a word nothing accounts for, or a
country or currency without value facets (``facets``; with them, :mod:`.facets` selects
the datasets) gives an answer that is not understood, with the closest readings, never a
guess. Read-only: asking changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from models.datasets import AlertKind, AlertState
from models.lineage import Dataset, InvalidDataset, LineageEdge, System
from models.review import SuggestionFilter, SuggestionState
from worker.core.ask.linking import CatalogNames, NameIndex
from worker.core.ask.parse import Parsed, parse_question
from worker.core.ask.query import ANY_ENTITY, AskQuery, Masking, NameRef, Operation, Target
from worker.core.ask.query import describe as describe_query
from worker.core.lineage.impact import (
    ImpactNode,
    LineageGraph,
    attach_pii,
    name_positions,
    positional_names,
)
from worker.core.ports import (
    AlertStore,
    DatasetFacets,
    DatasetHoldings,
    DatasetStore,
    LineageColumnReader,
    ReviewStore,
)
from worker.services.ask.facets import facet_matches
from worker.services.lineage.service import LineageService

#: Datasets read per question at most (the whole catalog of the benchmark fits).
_MAX_DATASETS = 1_000_000
#: Items one answer may be asked to return at most (``limit`` of :meth:`AskService.ask`).
MAX_LIMIT = 5_000
#: Contract violations per dataset URI (the contract service's ``violations``, as text).
Violations = Callable[[], Mapping[str, Sequence[str]]]
#: Dataset URI → its owner (from the data contracts), for "owned by".
Owners = Callable[[], Mapping[str, str]]


@dataclass(frozen=True, slots=True)
class AskItem:
    """One item of an answer.

    :param kind: ``dataset`` (lake), ``table``, ``column``, ``dashboard``, ``suggestion``
        or ``alert``.
    :param uri: in the forms ``enricher lineage impact`` accepts (``s3://``, ``file://``,
        ``postgres:db.schema.table[.column]``, ``snowflake:``, ``looker:``).
    :param why: the lineage path or the evidence that makes it qualify.
    :param link: its page in the web UI (a path).
    """

    kind: str
    name: str
    uri: str
    why: str
    link: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "kind": self.kind,
            "name": self.name,
            "uri": self.uri,
            "why": self.why,
            "link": self.link,
        }


@dataclass(slots=True)
class AskAnswer:
    """The answer to one question (see ``docs/ask.md`` for the JSON contract)."""

    question: str
    interpretation: str
    understood: bool
    items: list[AskItem] = field(default_factory=list)
    alternatives: list[str] = field(default_factory=list)
    family: str | None = None
    count: int | None = None
    matched: list[tuple[str, str]] = field(default_factory=list)
    elapsed_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract: question, interpretation, understood, items, alternatives.

        Also ``family`` (the question family), ``count`` (items before the cut) and
        ``matched`` (what each recognised phrase was read as).
        """
        return {
            "question": self.question,
            "interpretation": self.interpretation,
            "understood": self.understood,
            "items": [i.to_dict() for i in self.items],
            "alternatives": list(self.alternatives),
            "family": self.family,
            "count": self.count,
            "matched": [{"words": w, "meaning": m} for m, w in self.matched],
        }


def link_of(uri: str) -> str:
    """The web UI page of ``uri``: a lake dataset's page, else the object page with lineage."""
    if uri.startswith(("s3://", "file://")):
        return "/datasets/show?uri=" + quote(uri, safe="")
    return "/objects?uri=" + quote(uri, safe="")


def kind_of(uri: str) -> str:
    """``dataset`` (lake), ``table`` or ``dashboard`` (a Looker asset)."""
    if uri.startswith(("s3://", "file://")):
        return "dataset"
    if uri.startswith("looker:"):
        return "dashboard"
    return "table"


def label_of(uri: str) -> str:
    """How an answer names ``uri`` (``the PostgreSQL table public.users``)."""
    system, _, rest = uri.partition(":")
    if system == "s3":
        key = rest.lstrip("/").partition("/")[2]
        return f"the S3 dataset {key}"
    if system == "file":
        parts = [p for p in rest.lstrip("/").split("/") if p]
        tail = "/".join(parts[-2:]) + ("/" if uri.endswith("/") else "")
        return f"the local dataset {tail}"
    if system == "looker":
        kind = rest.partition("/")[0]
        return f"the Looker {kind} {rest.split('::')[-1]}"
    names = {"postgres": "PostgreSQL", "snowflake": "Snowflake", "redshift": "Redshift"}
    return f"the {names.get(system, system)} table {'.'.join(rest.split('.')[-2:])}"


def _system(uri: str) -> str:
    system = uri.partition(":")[0]
    return "lake" if system in ("s3", "file") else system


def _arrow(uris: Iterable[str]) -> str:
    return " → ".join(uris)


class AskService:
    """Answers questions about the catalog (read-only).

    :param datasets: the dataset store (verdicts: categories, entities per column).
    :param lineage: the lineage service (edges, walks, PII scans of lake datasets).
    :param alerts: the alert store.
    :param review: the review store (pending suggestions).
    :param categories: category → taxonomy keywords (words a question may use for it).
    :param violations: the current contract violations per dataset (``None``: the open
        ``contract`` alerts stand for them).
    :param owners: dataset → owner from the contracts (``None``: "owned by" finds nothing).
    :param names_ttl_s: how long the linked names are kept between questions (0: re-read
        every time).
    :param max_items: items per answer unless the caller asks for another ``limit``
        (``count`` says how many there were; the interpretation says when the list is cut).
    :param names: the catalog's dataset URIs and lineage nodes, read narrowly (``None``: from
        the stores' datasets and every edge, as the in-memory fakes do).
    :param facets: the value facets, for countries, regions and currencies (``None``: such
        questions are not understood).
    """

    def __init__(
        self,
        datasets: DatasetStore,
        lineage: LineageService,
        alerts: AlertStore,
        review: ReviewStore,
        categories: Mapping[str, Sequence[str]] | None = None,
        violations: Violations | None = None,
        owners: Owners | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        names_ttl_s: float = 0.0,
        max_items: int = 200,
        names: CatalogNames | None = None,
        facets: DatasetFacets | None = None,
    ) -> None:
        self.datasets = datasets
        self.lineage = lineage
        self.alerts = alerts
        self.review = review
        self.categories = categories
        self.violations = violations
        self.owners = owners
        self.clock = clock
        self.names_ttl_s = names_ttl_s
        self.max_items = max_items
        self.names = names
        self.facets = facets
        self._names: tuple[float, NameIndex] | None = None
        self._stored: tuple[float, list[DatasetHoldings]] | None = None

    # -- the catalog's names -----------------------------------------------------------------

    def _catalog(self) -> NameIndex:
        """The names to link against (kept ``names_ttl_s``; read when a question links one).

        Read through :attr:`names` (dataset URIs and lineage endpoints only); without it
        (the in-memory fakes), from the stores' datasets and edges.
        """
        now = time.monotonic()
        if self._names is not None and now - self._names[0] < self.names_ttl_s:
            return self._names[1]

        def kinds() -> list[tuple[str, str]]:
            datasets, nodes = self._name_uris()
            # Scanned datasets first: a URI both scanned and on an edge is a ``dataset``.
            return [(u, "dataset") for u in datasets] + [(u, kind_of(u)) for u in nodes]

        index = NameIndex.of_uris(kinds, label_of)
        self._names = (now, index)
        return index

    def _name_uris(self) -> tuple[list[str], list[str]]:
        """The datasets' URIs and the lineage nodes' URIs."""
        if self.names is not None:
            return self.names.dataset_uris(), [n.uri for n in self.names.lineage_nodes()]
        stored = self.datasets.list_datasets(None, _MAX_DATASETS)
        nodes = {d.uri: None for e in self.lineage.store.edges() for d in (e.source, e.target)}
        return [d.summary.uri for d in stored], list(nodes)

    def graph(self) -> LineageGraph:
        """A lazy lineage graph for one question (on :attr:`names`' indexed loader if set)."""
        if self.names is not None:
            return LineageGraph.lazy(self.names.edges_of)
        return self.lineage.graph()

    def lineage_nodes(self) -> list[str]:
        """Every node of the applied lineage graph (URIs), without reading the edges' details."""
        if self.names is not None:
            return [n.uri for n in self.names.lineage_nodes()]
        return self._name_uris()[1]

    def stored(self) -> list[DatasetHoldings]:
        """What the lake datasets hold (kept ``names_ttl_s``, as the names).

        Read narrowly (:meth:`DatasetStore.holdings`: category and entities, not whole
        verdicts).

        Only questions that select datasets by what they hold read them: an impact, path or
        consumers question that names its start does not.
        """
        now = time.monotonic()
        if self._stored is not None and now - self._stored[0] < self.names_ttl_s:
            return self._stored[1]
        found = self.datasets.holdings(_MAX_DATASETS)
        self._stored = (now, found)
        return found

    # -- asking -------------------------------------------------------------------------------

    def ask(self, question: str, limit: int | None = None) -> AskAnswer:
        """Answer ``question``; an answer that is not understood says why and what is close.

        :param limit: items to return at most (``None``: :attr:`max_items`; bounded to
            1..:data:`MAX_LIMIT`). ``count`` stays the exact total; items past the limit are
            counted but their "why" texts are not built.

        Never raises for a question it cannot read.
        """
        started = time.perf_counter()
        index = self._catalog()
        parsed = parse_question(
            question, index, self.categories, self.clock().date(), facets=self.facets is not None
        )
        cap = max(1, min(MAX_LIMIT, self.max_items if limit is None else limit))
        answer = self._answer(question, parsed, index, cap)
        answer.elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
        return answer

    def _answer(self, question: str, parsed: Parsed, index: NameIndex, cap: int) -> AskAnswer:
        matched = list(parsed.matched)
        if not parsed.understood or parsed.query is None:
            reading = describe_query(parsed.query) if parsed.query is not None else None
            text = f"Not understood: {parsed.reason}."
            if reading:
                text += f" Read as: {reading}."
            return AskAnswer(
                question,
                text,
                False,
                alternatives=list(parsed.alternatives),
                family=parsed.query.family if parsed.query else None,
                matched=matched,
            )
        query = parsed.query
        notes: list[str] = []
        if query.names:
            resolved = self._resolve_names(query, index, notes)
            if isinstance(resolved, AskAnswer):
                resolved.question = question
                resolved.matched = matched
                return resolved
            query = resolved
        run = _Run(self, query, cap)
        items = run.items()
        interpretation = describe_query(query)
        if notes:
            interpretation += " (" + "; ".join(notes) + ")"
        count = len(items)
        if query.operation is Operation.COUNT:
            interpretation = f"{interpretation}: {count}"
        if query.operation is Operation.TOP and query.limit is not None:
            items = items[: query.limit]
        if len(items) > cap:
            interpretation += f" (the first {cap} of {len(items)} items are listed)"
        return AskAnswer(
            question,
            interpretation,
            True,
            items[:cap],
            [],
            query.family,
            count,
            matched,
        )

    def _resolve_names(
        self, query: AskQuery, index: NameIndex, notes: list[str]
    ) -> AskQuery | AskAnswer:
        """Choose among each name's candidates along lineage, or ask which was meant.

        Several candidates one of which feeds all the others (``users`` in PostgreSQL, the
        lake and Snowflake) name one chain: its start is meant, and the answer says so.
        A column must be one the dataset is known to have.
        """
        graph = self.graph()
        names: list[NameRef] = []
        for ref in query.names:
            chosen = ref.uri
            if len(ref.candidates) > 1:
                root = _chain_root(graph, ref.candidates)
                if root is None:
                    labels = [f"{label_of(u)} ({u})" for u in ref.candidates]
                    ask = " or ".join(labels)
                    return AskAnswer(
                        "",
                        f"Not understood: {ref.phrase!r} names several datasets. "
                        f"Did you mean {ask}?",
                        False,
                        alternatives=labels,
                        family=query.family,
                    )
                chosen = root
                others = [u for u in ref.candidates if u != root]
                notes.append(f"{ref.phrase!r} read as {chosen}, which feeds {', '.join(others)}")
            if ref.column is not None:
                known = self._columns_of(chosen, graph)
                match = {c.lower(): c for c in known}.get(ref.column.lower())
                if match is None:
                    close = sorted(known)[:12]
                    return AskAnswer(
                        "",
                        f"Not understood: no column {ref.column!r} is known on {chosen}.",
                        False,
                        alternatives=[f"column {c} of {chosen}" for c in close],
                        family=query.family,
                    )
                ref = replace(ref, column=match)
            names.append(replace(ref, uri=chosen))
        return replace(query, names=tuple(names))

    def _columns_of(self, uri: str, graph: LineageGraph) -> set[str]:
        """Columns known of ``uri``: its verdict's, and the column maps of its edges."""
        cols: set[str] = set()
        stored = self.datasets.get(uri) if uri.startswith(("s3://", "file://")) else None
        if stored is not None and stored.verdict is not None:
            cols.update(c.column for c in stored.verdict.columns)
        for e in graph.edges_from(uri, True):
            cols.update(m.source for m in e.columns if not m.source.startswith("$"))
        for e in graph.edges_from(uri, False):
            cols.update(m.target for m in e.columns)
        return cols


def _chain_root(graph: LineageGraph, uris: Sequence[str]) -> str | None:
    """The candidate from which every other candidate is downstream, if there is one."""
    for uri in uris:
        try:
            start = Dataset.parse(uri)
        except InvalidDataset:
            continue
        reached = {n.dataset.uri for n in graph.downstream(start)}
        if all(u in reached for u in uris if u != uri):
            return uri
    return None


class _Run:
    """One query's execution (what it reads is kept for the length of the question)."""

    def __init__(self, service: AskService, query: AskQuery, cap: int) -> None:
        self.s = service
        self.q = query
        #: Items the answer lists; the items after them are only counted (no "why" built).
        self.cap = cap
        self.f = query.filters
        self.graph = service.graph()
        self._owners: Mapping[str, str] | None = None
        self._stored: list[DatasetHoldings] | None = None
        self._by_uri: dict[str, DatasetHoldings] | None = None
        #: The scans' findings of the lake datasets read so far (URI → column → entities).
        self._pii: dict[str, dict[str, set[str]]] = {}
        #: (URI, downstream) → the columns asked and the edges read for them (_taking).
        self._taken: dict[tuple[str, bool], tuple[set[str], list[LineageEdge]]] = {}
        store = service.lineage.store
        # Checked once: a protocol's isinstance check is slow, and a walk reads per dataset.
        self._reader = store if isinstance(store, LineageColumnReader) else None

    @property
    def stored(self) -> list[DatasetHoldings]:
        """The lake datasets (read on first use: questions that name their start skip it)."""
        if self._stored is None:
            self._stored = self.s.stored()
        return self._stored

    def items(self) -> list[AskItem]:
        op, target = self.q.operation, self.q.target
        if op is Operation.IMPACT:
            return self._impact()
        if op is Operation.CONSUMERS:
            return self._consumers()
        if op is Operation.PATH:
            return self._path()
        if op is Operation.FLOWS:
            return self._flows()
        if op is Operation.CHANGED:
            return self._changed()
        if target is Target.COLUMNS:
            return self._stored_columns()
        if target is Target.SUGGESTIONS:
            return self._pending()
        if target is Target.ALERTS:
            return self._alerts()
        if target is Target.CONTRACTS:
            return self._contracts()
        return self._find()

    # -- selection of lake datasets -----------------------------------------------------------

    def _entities(self, d: DatasetHoldings) -> dict[str, tuple[str, ...]]:
        return dict(d.entities)

    def _wanted(self, entities: Mapping[str, Sequence[str]]) -> list[str]:
        """The entities of ``entities`` the filters ask for."""
        if ANY_ENTITY in self.f.entities:
            return sorted(entities)
        return [e for e in self.f.entities if e in entities]

    def _selected(self) -> list[tuple[DatasetHoldings, list[str]]]:
        """The lake datasets the filters select, each with the reasons it qualifies."""
        out: list[tuple[DatasetHoldings, list[str]]] = []
        owners = self._owner_map() if self.f.owner else {}
        by_facet = facet_matches(self.s.facets, self.f)  # None: no country or currency asked
        for d in self.stored:
            why: list[str] = []
            if by_facet is not None:
                if d.uri not in by_facet:
                    continue
                why.extend(by_facet[d.uri])
            if self.f.categories:
                category = d.category
                if category not in self.f.categories:
                    continue
                confidence = d.category_confidence
                why.append(
                    f"category {category}"
                    + (f" ({confidence:.2f})" if confidence is not None else "")
                )
            if self.f.entities:
                entities = self._entities(d)
                wanted = self._wanted(entities)
                if not wanted:
                    continue
                why.extend(f"{e} in {', '.join(entities[e])}" for e in wanted)
            if self.f.owner:
                owner = owners.get(d.uri, "")
                if self.f.owner.lower() not in owner.lower():
                    continue
                why.append(f"owner {owner} (its data contract)")
            out.append((d, why))
        return out

    def _scanned(self, datasets: Iterable[Dataset]) -> dict[str, dict[str, set[str]]]:
        """Column → entities of each lake dataset: its objects' findings and its verdict."""
        wanted = [d for d in datasets if d.is_lake]
        self._read_scans(wanted)
        # Copies: the verdict's entities are added below, the read findings stay as read.
        out = {d.uri: {c: set(e) for c, e in self._pii[d.uri].items()} for d in wanted}
        for d in wanted:
            entities = self._dataset_entities(d.uri)
            if entities is None:
                continue
            cols = out.setdefault(d.uri, {})
            for entity, columns in entities.items():
                for c in columns:
                    cols.setdefault(c, set()).add(entity)
        return out

    def _read_scans(self, datasets: Iterable[Dataset]) -> None:
        """Read the scans' findings of the lake ``datasets`` not read yet, in one batch."""
        missing = {d.uri: d for d in datasets if d.is_lake and d.uri not in self._pii}
        if missing:
            self._pii.update(self.s.lineage.store.s3_pii(list(missing.values())))

    def _read_reached_scans(self, uris: Iterable[str]) -> None:
        """Read the findings of ``uris`` and of the lake datasets the prefetched lineage reaches.

        A question over thousands of datasets then reads them in a few batched queries
        instead of one query per dataset walked.
        """
        reached: dict[str, Dataset] = {}
        for edges in (*self.graph.down.values(), *self.graph.up.values()):
            for e in edges:
                for d in (e.source, e.target):
                    if d.is_lake:
                        reached.setdefault(d.uri, d)
        for uri in uris:
            if uri not in reached:
                try:
                    reached[uri] = Dataset.parse(uri)
                except InvalidDataset:
                    continue
        self._read_scans(reached.values())

    def _dataset_entities(self, uri: str) -> dict[str, tuple[str, ...]] | None:
        """A lake dataset's entities: from the datasets read, else looked up alone (a walk).

        ``None``: no such dataset.
        """
        if self._stored is not None:
            if self._by_uri is None:
                self._by_uri = {d.uri: d for d in self._stored}
            found = self._by_uri.get(uri)
            return self._entities(found) if found is not None else None
        stored = self.s.datasets.get(uri)
        if stored is None:
            return None
        return dict(stored.verdict.entities) if stored.verdict is not None else {}

    def _shares(self, uri: str) -> dict[str, dict[str, float]]:
        """Column → entity → share of the sampled partitions, from the dataset's verdict."""
        stored = self.s.datasets.get(uri)
        verdict = stored.verdict if stored is not None else None
        return {c.column: dict(c.entities) for c in verdict.columns} if verdict else {}

    def _owner_map(self) -> Mapping[str, str]:
        if self._owners is None:
            self._owners = self.s.owners() if self.s.owners is not None else {}
        return self._owners

    def _prefetch(
        self,
        uris: Iterable[str],
        downstream: bool = True,
        upstream: bool = True,
        writers: bool = False,
    ) -> None:
        """Load the lineage reachable from ``uris`` level by level, in batches.

        A question over many datasets (every customer dataset's chain) then walks each in
        memory: a few indexed queries per level instead of one or two per dataset.

        :param writers: also the edges entering every node reached downstream, which
            :func:`attach_pii` reads (else one query per dataset's walk).
        """
        starts = set(uris)  # read once: a generator would be spent on the first direction
        for down in (d for d, wanted in ((True, downstream), (False, upstream)) if wanted):
            edges = self.graph.down if down else self.graph.up
            frontier, seen = set(starts), set()
            while frontier:
                self.graph.prefetch(frontier, down)
                seen |= frontier
                reached = {(e.target if down else e.source).uri
                           for u in frontier for e in edges.get(u, ())}  # fmt: skip
                frontier = reached - seen
            if down and writers:
                self.graph.prefetch(seen, False)

    def _chain(self, uri: str) -> tuple[list[ImpactNode], list[ImpactNode]]:
        start = Dataset.parse(uri)
        return self.graph.upstream(start), self.graph.downstream(start)

    def _chain_text(self, uri: str, up: list[ImpactNode], down: list[ImpactNode]) -> str:
        """``pg → lake → snowflake`` (datasets at the same depth joined with ``+``)."""
        parts: list[str] = []
        for nodes, reverse in ((up, True), (down, False)):
            by_depth: dict[int, list[str]] = {}
            for n in nodes:
                by_depth.setdefault(n.depth, []).append(n.dataset.uri)
            levels = [" + ".join(sorted(by_depth[k])) for k in sorted(by_depth, reverse=reverse)]
            parts.append(_arrow(levels))
        return _arrow([p for p in (parts[0], uri, parts[1]) if p])

    # -- families -------------------------------------------------------------------------------

    def _find(self) -> list[AskItem]:
        f = self.f
        systems = set(f.systems)
        lake_wanted = not systems or "lake" in systems
        tables_wanted = self.q.target is Target.TABLES or bool(systems - {"lake"})
        items: list[AskItem] = []
        selected = self._selected()
        filtered = bool(f.categories or f.entities or f.owner or f.countries or f.currencies)
        chained: list[tuple[DatasetHoldings, list[str], list[ImpactNode], list[ImpactNode]]] = []
        # Chains are walked only where they are read: "through" filters, and the tables of
        # selected datasets (unfiltered tables are every lineage node, below).
        walk = bool(f.through or (tables_wanted and filtered))
        if walk:
            self._prefetch(d.uri for d, _ in selected)
        for d, why in selected:
            uri = d.uri
            if walk:
                up, down = self._chain(uri)
            else:
                up, down = [], []
            if f.through:
                reached = {_system(n.dataset.uri) for n in up + down}
                if not (up or down):
                    continue  # no lineage: nothing flows through it
                if not all(s == "lake" or s in reached for s in f.through):
                    continue
                why = [*why, "lineage " + self._chain_text(uri, up, down)]
            chained.append((d, why, up, down))
        if lake_wanted and self.q.target is not Target.TABLES:
            for d, why, _, _ in chained:
                uri = d.uri
                items.append(AskItem("dataset", label_of(uri), uri, "; ".join(why) or
                                     "a dataset of the catalog", link_of(uri)))  # fmt: skip
        if tables_wanted:
            table_systems = (systems - {"lake"}) or {"postgres", "snowflake", "redshift"}
            if filtered or f.through:
                seen: dict[str, AskItem] = {}
                for d, why, up, down in chained:
                    for n in up + down:
                        t = n.dataset.uri
                        if _system(t) in table_systems and t not in seen:
                            side = "feeds" if n in up else "is fed by"
                            reason = f"{side} {d.uri} ({'; '.join(why)})"
                            seen[t] = AskItem(kind_of(t), t, t, reason, link_of(t))
                items.extend(seen.values())
            else:
                for uri in sorted(self._lineage_nodes()):
                    if _system(uri) in table_systems:
                        reason = "a lineage node in " + _system(uri)
                        items.append(AskItem(kind_of(uri), uri, uri, reason, link_of(uri)))
        if self.q.operation is Operation.TOP:
            items = self._ranked(items)
        return items

    def _lineage_nodes(self) -> set[str]:
        return set(self.s.lineage_nodes())

    def _ranked(self, items: list[AskItem]) -> list[AskItem]:
        by_uri = {d.uri: d for d in self.stored}

        def key(item: AskItem) -> tuple[float, str]:
            d = by_uri.get(item.uri)
            if d is None:
                return (0.0, item.uri)
            if self.q.rank_by == "bytes":
                return (-float(d.total_bytes), item.uri)
            cols = {c for cs in self._entities(d).values() for c in cs}
            return (-float(len(cols)), item.uri)

        ranked = sorted(items, key=key)
        shown = min(self.cap, self.q.limit or self.cap)
        out = ranked[shown:]  # cut from the answer: no "why" built
        for item in reversed(ranked[:shown]):
            d = by_uri.get(item.uri)
            if d is not None and self.q.rank_by == "bytes":
                extra = f"{d.total_bytes} bytes in {d.object_count} objects"
            elif d is not None:
                cols = sorted({c for cs in self._entities(d).values() for c in cs})
                extra = f"{len(cols)} PII columns ({', '.join(cols)})"
            else:
                extra = ""
            out.insert(0, replace(item, why="; ".join(p for p in (extra, item.why) if p)))
        return out

    def _stored_columns(self) -> list[AskItem]:
        """Columns that hold the entities: found by scans, and where lineage carries them."""
        items: list[AskItem] = []
        seen: set[tuple[str, str]] = set()
        selected = self._selected()
        # One level up is read (the writers), not whole upstream chains.
        self._prefetch((d.uri for d, _ in selected), upstream=False, writers=True)
        self._read_reached_scans(d.uri for d, _ in selected)
        for d, _ in selected:
            uri = d.uri
            shares: dict[str, dict[str, float]] | None = None  # read for listed items only
            entities = self._entities(d)
            for entity in self._wanted(entities):
                for col in entities[entity]:
                    seen.add((uri, col))
                    if len(items) >= self.cap:  # cut from the answer: counted, no "why"
                        items.append(AskItem("column", f"{uri} {col}", uri, ""))
                        continue
                    if shares is None:
                        shares = self._shares(uri)
                    share = shares.get(col, {}).get(entity)
                    why = f"{entity} found by scans in column {col}"
                    if share is not None:
                        why += f" ({share:.0%} of the sampled partitions)"
                    items.append(AskItem("column", f"{uri} {col}", uri, why, link_of(uri)))
            # Where lineage takes the same columns: sources upstream, unmasked copies downstream.
            start = Dataset.parse(uri)
            for e in self.graph.edges_from(uri, downstream=False):
                for m in e.columns:
                    ents = [x for x in self._wanted(entities) if m.target in entities[x]]
                    key = (e.source.uri, m.source)
                    if ents and key not in seen and e.source.is_table:
                        seen.add(key)
                        col_uri = f"{e.source.uri}.{m.source}"
                        why = (f"source of {uri} {m.target} ({', '.join(ents)}): "
                               f"{e.source.uri} → {uri}")  # fmt: skip
                        link = link_of(e.source.uri)
                        items.append(AskItem("column", col_uri, col_uri, why, link))
            for node, path, col, ents in self._unmasked_downstream(start, entities):
                key = (node.dataset.uri, col)
                if key in seen:
                    continue
                seen.add(key)
                n_uri = node.dataset.uri
                col_uri = f"{n_uri}.{col}" if node.dataset.is_table else n_uri
                why = f"{', '.join(ents)} flows unmasked: {_arrow(path)}"
                items.append(AskItem("column", f"{n_uri} {col}", col_uri, why, link_of(n_uri)))
        return items

    def _unmasked_downstream(
        self, start: Dataset, entities: Mapping[str, Sequence[str]]
    ) -> list[tuple[ImpactNode, list[str], str, list[str]]]:
        """Nodes downstream of ``start`` that receive the wanted entities unmasked."""
        wanted = set(self._wanted(entities))
        if not wanted:
            return []
        nodes = self.graph.downstream(start)
        if not nodes:
            return []
        first = ImpactNode(start, 0, None, None)
        scanned = self._scanned([start, *(n.dataset for n in nodes)])
        attach_pii([first, *nodes], self.graph, scanned)
        out = []
        paths = _paths(start.uri, nodes)
        for n in nodes:
            for col, ents in sorted(n.pii.items()):
                hit = sorted(ents & wanted)
                if hit and not n.dataset.is_lake:
                    out.append((n, paths[n.dataset.uri], col, hit))
        return out

    def _flows(self) -> list[AskItem]:
        """Hops that carry the wanted PII (or a category's data), masked or not."""
        f = self.f
        items: list[AskItem] = []
        seen: set[tuple[str, str, str]] = set()
        if f.source_system or f.destination_system:
            return self._system_flows()
        selected = self._selected()
        if f.entities:
            # Only the hops that can carry the asked entities are read (see _carrying_hops).
            uris = [d.uri for d, _ in selected]
            self._read_scans(_datasets(uris))
            # The writers' hops into a dataset count where they write the asked entities' columns.
            held = {d.uri: self._entities(d) for d, _ in selected}
            self._read_taking(
                {u: set(_entity_columns(e, set(self._wanted(e)))) for u, e in held.items()},
                downstream=False,
            )
            # One walk from them all first: every level of every start's walk in one batch.
            everything = {e for d, _ in selected for e in self._wanted(self._entities(d))}
            self._carrying_hops(_datasets(uris), everything)
        else:
            # One level up is read (the writers), not whole upstream chains.
            self._prefetch((d.uri for d, _ in selected), upstream=False, writers=True)
            self._read_reached_scans(d.uri for d, _ in selected)
        for d, _ in selected:
            uri = d.uri
            entities = self._entities(d)
            wanted = set(self._wanted(entities)) if f.entities else set(entities)
            own = _entity_columns(entities, wanted)
            if f.entities:
                upstream = self._taking(uri, False, set(own))
            else:
                upstream = self.graph.edges_from(uri, downstream=False)
            hops: list[tuple[LineageEdge, dict[str, set[str]]]] = [(e, own) for e in upstream]
            if f.entities:
                hops.extend(self._carrying_hops([Dataset.parse(uri)], wanted))
            else:
                hops.extend(self._walked_hops(Dataset.parse(uri)))
            for e, source_pii in hops:
                into_dataset = e.target.uri == uri
                for m in e.columns:
                    if into_dataset:
                        ents = sorted(wanted & set(source_pii.get(m.target, set())))
                    else:
                        ents = sorted(wanted & set(source_pii.get(m.source, set())))
                    if not ents and not (f.categories and not f.entities):
                        continue
                    masked = m.masked
                    if f.masking is Masking.MASKED and not masked:
                        continue
                    if f.masking is Masking.UNMASKED and masked:
                        continue
                    key = (e.id, m.source, m.target)
                    if key in seen:
                        continue
                    seen.add(key)
                    how = f"masked by {m.expression}" if masked else "unmasked"
                    what = ", ".join(ents) if ents else "data"
                    why = (f"{what}: {e.source.uri} {m.source} → {e.target.uri} {m.target} "
                           f"({how}; {e.origin.value} lineage)")  # fmt: skip
                    t = e.target.uri
                    col_uri = f"{t}.{m.target}" if e.target.is_table else t
                    # A hop into a lake dataset reaches a column of it, as into a table.
                    kind = "dashboard" if t.startswith("looker:") else "column"
                    items.append(AskItem(kind,
                                         f"{t} {m.target}", col_uri, why, link_of(t)))  # fmt: skip
        return items

    def _walked_hops(self, start: Dataset) -> list[tuple[LineageEdge, dict[str, set[str]]]]:
        """Every hop into a node downstream of ``start``, with the PII on its source.

        The whole downstream walk (a category's data flows whatever its columns hold).
        """
        nodes = self.graph.downstream(start)
        first = ImpactNode(start, 0, None, None)
        scanned = self._scanned([start, *(n.dataset for n in nodes)])
        attach_pii([first, *nodes], self.graph, scanned)
        known = {start.uri: first.pii, **{n.dataset.uri: n.pii for n in nodes}}
        hops: list[tuple[LineageEdge, dict[str, set[str]]]] = []
        for n in nodes:
            for e in self.graph.edges_from(n.dataset.uri, downstream=False):
                if e.source.uri in known:
                    hops.append((e, known[e.source.uri]))
        return hops

    def _carrying_hops(
        self, starts: Sequence[Dataset], wanted: set[str]
    ) -> list[tuple[LineageEdge, dict[str, set[str]]]]:
        """The hops downstream of ``starts`` whose source columns hold ``wanted`` entities.

        Only what can carry them is followed: from the columns that hold them (the scans'
        findings and the verdicts of the starts and of each lake dataset reached), along
        edges whose column maps take those columns (on past a hop only where it does not mask
        them), and along edges without column maps (the whole dataset flows on; a lake
        dataset beyond may hold them itself). Edges are read only for the datasets so
        reached, a level at a time (every start's first level in one batch), instead of the
        whole downstream lineage and the writers of every node. Same hops as the whole walk
        (:meth:`_walked_hops`) where PII reaches a node only through the columns that carry it.

        :returns: (edge, its source's column → wanted entities), by the depth and URI of
            the hop's target, then the source's depth and the edge id.
        """
        carry = {d.uri: self._held(d, wanted) for d in starts}
        depth = dict.fromkeys(carry, 0)  # the datasets walked from
        first = dict(depth)  # when each dataset was first reached (orders the hops into it)
        found: list[tuple[int, str, int, str, LineageEdge]] = []
        frontier = list(starts)
        level = 0
        while frontier:
            self._read_taking({d.uri: set(carry.get(d.uri, ())) for d in frontier}, True)
            reached: dict[str, Dataset] = {}
            for ds in frontier:
                source_pii = carry.get(ds.uri, {})
                for e in self._taking(ds.uri, True, set(source_pii)):
                    t = e.target
                    if t.uri in carry and depth.get(t.uri) == 0:
                        continue  # a hop back into a start is one of its writers
                    first.setdefault(t.uri, level + 1)
                    if not e.columns:
                        if t.uri not in depth:
                            reached[t.uri] = t  # the whole dataset: column-level unknown
                        continue
                    moved: dict[str, set[str]] = {}
                    carried = False
                    for m in e.columns:
                        ents = source_pii.get(m.source)
                        if not ents:
                            continue
                        carried = True
                        if not m.masked:
                            moved.setdefault(m.target, set()).update(ents)
                    if not carried:
                        continue
                    found.append((first[t.uri], t.uri, level, e.id, e))
                    if t.uri not in depth and (moved or t.is_lake):
                        # Masked on this hop: nothing flows on (a lake dataset may hold the
                        # entities itself, so it is walked on from).
                        reached[t.uri] = t
                    into = carry.setdefault(t.uri, {})
                    grew = False
                    for c, ents in moved.items():
                        have = into.setdefault(c, set())
                        if not ents <= have:
                            have |= ents
                            grew = True
                    if grew and t.uri in depth and t.uri not in reached:
                        reached[t.uri] = t  # reached again with more: its hops again
            level += 1
            new = [d for u, d in reached.items() if u not in depth]
            self._read_scans(new)
            for d in new:
                depth[d.uri] = level
                held = self._held(d, wanted) if d.is_lake else {}
                into = carry.setdefault(d.uri, {})
                for c, ents in held.items():
                    into.setdefault(c, set()).update(ents)
            frontier = list(reached.values())
        # The depth a hop's target was first reached at orders it (as the whole walk did).
        hops = sorted(found, key=lambda h: (first[h[1]], h[1], h[2], h[3]))
        out: list[tuple[LineageEdge, dict[str, set[str]]]] = []
        done: set[str] = set()
        for _, _, _, eid, e in hops:
            if eid not in done:
                done.add(eid)
                out.append((e, carry[e.source.uri]))
        return out

    def _read_taking(self, columns: Mapping[str, set[str]], downstream: bool) -> None:
        """Read the edges of each URI that its ``columns`` may take, in one batch.

        Through the store's narrow read where it has one (:class:`LineageColumnReader`);
        else every edge of the URIs, through the lineage graph.
        """
        store = self._reader
        if store is None:
            self.graph.prefetch(columns, downstream)
            return
        todo: list[str] = []
        names: set[str] = set()
        for uri, wanted in columns.items():
            read = self._taken.get((uri, downstream))
            if read is None or not wanted <= read[0]:
                todo.append(uri)
                # Read again for more columns: the ones read before are still wanted.
                names |= wanted | (read[0] if read is not None else set())
        if not todo:
            return
        found: dict[str, list[LineageEdge]] = {u: [] for u in todo}
        for e in store.edges_naming(todo, downstream, names):
            found[(e.source if downstream else e.target).uri].append(e)
        for u, edges in found.items():
            self._taken[u, downstream] = (set(names), [self._named(e) for e in edges])

    def _taking(self, uri: str, downstream: bool, columns: set[str]) -> list[LineageEdge]:
        """The edges leaving (entering) ``uri`` that ``columns`` may take, and maybe others.

        Every edge whose map names one of ``columns`` on the near side, names a positional
        source or is empty is among them (positional sources named, as the graph names them).
        """
        if self._reader is None:
            return self.graph.edges_from(uri, downstream)
        self._read_taking({uri: columns}, downstream)
        return list(self._taken[uri, downstream][1])

    def _named(self, edge: LineageEdge) -> LineageEdge:
        """``edge`` with positional sources (``$2``) named after its lake source's writers."""
        if not edge.source.is_lake or not any(m.source.startswith("$") for m in edge.columns):
            return edge
        writers = self.graph.edges_from(edge.source.uri, downstream=False)
        return name_positions(edge, positional_names(writers))

    def _held(self, ds: Dataset, wanted: set[str]) -> dict[str, set[str]]:
        """Column → the ``wanted`` entities a lake dataset holds (findings and verdict)."""
        if not ds.is_lake:
            return {}
        # As _scanned, without copying the columns that hold none of them (thousands of
        # datasets a question).
        self._read_scans([ds])
        held = {c: e & wanted for c, e in self._pii[ds.uri].items() if not e.isdisjoint(wanted)}
        for entity, columns in (self._dataset_entities(ds.uri) or {}).items():
            if entity in wanted:
                for c in columns:
                    held.setdefault(c, set()).add(entity)
        return held

    def _system_flows(self) -> list[AskItem]:
        """Chains from a node of one system to a node of another, through the lake."""
        f = self.f
        items: list[AskItem] = []
        seen: set[tuple[str, str]] = set()
        selected = self._selected()
        self._prefetch((d.uri for d, _ in selected), writers=True)
        if f.masking is not Masking.ANY or f.entities:
            self._read_reached_scans(d.uri for d, _ in selected)
        for d, _ in selected:
            uri = d.uri
            up, down = self._chain(uri)
            if not up and not down:
                continue
            start = Dataset.parse(uri)
            sources = [n for n in up if _system(n.dataset.uri) == f.source_system]
            if f.source_system == "lake":
                sources = [ImpactNode(start, 0, None, None)]
            targets = [n for n in down if _system(n.dataset.uri) == f.destination_system]
            if not sources or not targets:
                continue
            pii: dict[str, dict[str, set[str]]] = {}
            if f.masking is not Masking.ANY or f.entities:
                first = ImpactNode(start, 0, None, None)
                scanned = self._scanned([start, *(n.dataset for n in down)])
                attach_pii([first, *down], self.graph, scanned)
                pii = {n.dataset.uri: n.pii for n in down}
            paths = _paths(uri, down)
            wanted = set(self._wanted(self._entities(d))) if f.entities else None
            for src in sources:
                for t in targets:
                    t_uri = t.dataset.uri
                    carried = {c: e for c, e in pii.get(t_uri, {}).items()
                               if wanted is None or e & wanted}  # fmt: skip
                    if f.masking is Masking.UNMASKED and not carried:
                        continue
                    if f.masking is Masking.MASKED and carried:
                        continue
                    key = (src.dataset.uri, t_uri)
                    if key in seen:
                        continue
                    seen.add(key)
                    chain = [src.dataset.uri] + paths[t_uri] if src.depth else paths[t_uri]
                    why = _arrow(dict.fromkeys(chain))
                    if carried:
                        why += "; unmasked PII in " + ", ".join(
                            f"{c} ({'/'.join(sorted(e))})" for c, e in sorted(carried.items())
                        )
                    elif f.masking is Masking.MASKED:
                        why += "; no PII reaches it unmasked"
                    items.append(AskItem(kind_of(t_uri), t_uri, t_uri, why, link_of(t_uri)))
        return items

    def _impact(self) -> list[AskItem]:
        ref = self.q.names[0]
        target = f"{ref.uri}.{ref.column}" if ref.column and not ref.uri.startswith(
            ("s3://", "file://", "looker:")) else ref.uri  # fmt: skip
        graph = self.graph
        start_ds, column = self.s.lineage.resolve(target, graph)
        start = ImpactNode(start_ds, 0, {column} if column else None, None)
        nodes = graph.downstream(start_ds, column)
        if ref.column and ref.uri.startswith(("s3://", "file://")):
            start = ImpactNode(start.dataset, 0, {ref.column}, None)
            nodes = graph.downstream(start.dataset, ref.column)
        attach_pii(
            [start, *nodes], graph, self._scanned([start.dataset, *(n.dataset for n in nodes)])
        )
        paths = _paths(start.dataset.uri, nodes)
        items = []
        for n in nodes:
            uri = n.dataset.uri
            why = _arrow(paths[uri])
            if n.columns:
                why += f"; columns reached: {', '.join(sorted(n.columns))}"
            # Where columns are tracked, only the PII on the columns the change reaches.
            pii = {c: e for c, e in n.pii.items() if n.columns is None or c in n.columns}
            if pii:
                why += "; PII: " + ", ".join(
                    f"{c} ({'/'.join(sorted(e))})" for c, e in sorted(pii.items())
                )
            items.append(AskItem(kind_of(uri), uri, uri, why, link_of(uri)))
        return items

    def _consumers(self) -> list[AskItem]:
        starts: list[tuple[str, str]] = []
        if self.q.names:
            starts.append((self.q.names[0].uri, ""))
        else:
            for d, why in self._selected():
                starts.append((d.uri, "; ".join(why)))
        items: dict[str, AskItem] = {}
        self._prefetch((u for u, _ in starts), upstream=False)
        for uri, reason in starts:
            try:
                start = Dataset.parse(uri)
            except InvalidDataset:
                continue
            nodes = self.graph.downstream(start)
            paths = _paths(uri, nodes)
            for n in nodes:
                ds = n.dataset
                if ds.system is not System.LOOKER or ds.parts[0] not in ("dashboard", "look"):
                    continue
                if ds.uri in items:
                    continue
                text = _arrow(paths[ds.uri]) + (f" ({reason})" if reason else "")
                items[ds.uri] = AskItem("dashboard", ds.uri, ds.uri, text, link_of(ds.uri))
        return sorted(items.values(), key=lambda i: i.uri)

    def _path(self) -> list[AskItem]:
        a, b = self.q.names[0].uri, self.q.names[1].uri
        for src, dst in ((a, b), (b, a)):
            nodes = self.graph.downstream(Dataset.parse(src))
            paths = _paths(src, nodes)
            if dst in paths:
                hops = paths[dst]
                return [
                    AskItem(
                        kind_of(u), u, u, f"hop {i} of {len(hops) - 1}: {_arrow(hops)}", link_of(u)
                    )  # fmt: skip
                    for i, u in enumerate(hops)
                ]
        return []

    def _pending(self) -> list[AskItem]:
        entity = None
        if self.f.entities and ANY_ENTITY not in self.f.entities:
            entity = self.f.entities[0]
        page = self.s.review.page(
            SuggestionFilter(state=SuggestionState.PENDING, entity=entity),
            offset=0,
            limit=min(500, self.cap),
        )
        items = []
        for v in page.items:
            where = f" on {v.column}" if v.column else ""
            name = f"#{v.id} {v.kind} {v.tag}{where}"
            sure = f" (confidence {v.confidence:.2f})" if v.confidence is not None else ""
            why = f"pending since {v.first_seen:%Y-%m-%d}: {v.reason}{sure}"
            link = "/queue?object_uri=" + quote(v.object_uri, safe="")
            items.append(AskItem("suggestion", name, v.object_uri, why, link))
        return items

    def _alerts(self) -> list[AskItem]:
        state = AlertState(self.f.state or "open")
        found = self.s.alerts.list_alerts(state=state, limit=min(1000, self.cap))
        return [
            AskItem(
                "alert",
                f"#{a.id} {a.kind.value} {a.severity.value}: {a.subject}",
                a.dataset_uri,
                f"{a.message} (seen {a.occurrences}×, last {a.last_seen:%Y-%m-%d})",
                "/alerts?dataset=" + quote(a.dataset_uri, safe="") + f"&state={state.value}",
            )
            for a in found
        ]

    def _contracts(self) -> list[AskItem]:
        if self.s.violations is not None:
            found = {u: list(v) for u, v in self.s.violations().items() if v}
        else:
            found = {}
            for a in self.s.alerts.list_alerts(
                state=AlertState.OPEN, kind=AlertKind.CONTRACT, limit=10_000
            ):
                found.setdefault(a.dataset_uri, []).append(a.message)
        return [
            AskItem("dataset", label_of(u), u, "; ".join(v[:5]), link_of(u))
            for u, v in sorted(found.items())
        ]

    def _changed(self) -> list[AskItem]:
        since = self.f.since or date.min
        at = datetime(since.year, since.month, since.day, tzinfo=UTC)
        items = []
        for d, why in self._selected():
            if d.last_seen < at:
                continue
            uri = d.uri
            reasons = list(why)
            if d.first_seen >= at:
                reasons.insert(0, f"new: first seen {d.first_seen:%Y-%m-%d}")
            for v in self.s.datasets.schema_history(uri):
                if v.recorded_at >= at and v.version > 1:
                    changes = ", ".join(f"{c.kind.value} {c.column}" for c in v.changes[:6])
                    reasons.append(f"schema v{v.version} on {v.recorded_at:%Y-%m-%d}: {changes}")
            if len(reasons) > len(why):
                why_text = "; ".join(reasons)
                items.append(AskItem("dataset", label_of(uri), uri, why_text, link_of(uri)))
        return items


def _datasets(uris: Iterable[str]) -> list[Dataset]:
    """The datasets of ``uris`` (URIs that do not parse are skipped)."""
    out = []
    for uri in uris:
        try:
            out.append(Dataset.parse(uri))
        except InvalidDataset:
            continue
    return out


def _entity_columns(entities: Mapping[str, Sequence[str]], wanted: set[str]) -> dict[str, set[str]]:
    """Column → the wanted entities found on it."""
    out: dict[str, set[str]] = {}
    for entity, cols in entities.items():
        if entity in wanted:
            for c in cols:
                out.setdefault(c, set()).add(entity)
    return out


def _paths(start: str, nodes: Sequence[ImpactNode]) -> dict[str, list[str]]:
    """Each node's path from ``start`` along the edges that first reached it."""
    via = {n.dataset.uri: n.via.source.uri for n in nodes if n.via is not None}
    out: dict[str, list[str]] = {start: [start]}

    def path(uri: str) -> list[str]:
        if uri in out:
            return out[uri]
        chain = [uri]
        seen = {uri}
        cur = uri
        while cur in via and via[cur] not in seen and cur != start:
            cur = via[cur]
            seen.add(cur)
            chain.append(cur)
        out[uri] = list(reversed(chain))
        return out[uri]

    for n in nodes:
        path(n.dataset.uri)
    return out
