"""The MCP tools' answers: the catalog's services, read into JSON-ready dicts for agents.

:class:`CatalogTools` does the work of every tool :mod:`worker.mcp.server` offers, on the
services of :class:`~worker.bootstrap.McpServices`; the server only declares the tools
(names, descriptions, argument schemas) and maps errors. What leaves here is what the catalog
keeps: URIs, column names, entity names, shares, counts, masked examples, never a sampled
value (review evidence is passed without the keys that could hold one, as belt and braces).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from models.datasets import AlertKind, AlertState, Severity, StoredDataset
from models.lineage import Dataset, LineageEdge
from models.review import Role, SuggestionFilter, SuggestionState, SuggestionView, User
from worker.core.errors import DatasetNotFound, InvalidDecision, PermissionDenied
from worker.core.lineage.impact import ImpactNode, attach_pii, impact_counts, impact_summary
from worker.mcp.access import CallerSource

if TYPE_CHECKING:
    from worker.bootstrap import McpServices

#: Search answers over this many datasets at most (the whole catalog of a large lake).
_SEARCH_DATASETS = 100_000
#: Seconds the catalog's names (datasets, lineage nodes) are kept between calls: an agent
#: searches in bursts (the lineage nodes are read as URIs only, ``McpServices.names``).
NAMES_TTL_S = 10.0
#: Nodes an impact answer lists at most (the counts cover them all).
MAX_IMPACT_NODES = 500
#: Review evidence keys that could hold sampled text in older or foreign records.
_UNSAFE_EVIDENCE = frozenset({"examples", "full_examples", "values", "sample", "samples"})
#: Words an agent's search query carries that never narrow anything.
_STOPWORDS = frozenset(
    "a all an and any are data find for in is list me of on or show the to where which with".split()
)
#: Who reads the queue when the caller is nobody in particular (stdio without --steward).
_READER = User("mcp", Role.VIEWER, source="settings")

SearchKind = Literal["any", "dataset", "table", "dashboard", "explore", "look"]
AlertStateName = Literal["open", "acknowledged", "resolved", "any"]
ReviewStateName = Literal["pending", "approved", "applied", "rejected", "superseded", "any"]


def _kind(ds: Dataset) -> str:
    """``dataset`` (S3, local), ``table`` (PostgreSQL, Snowflake, Redshift), or the Looker kind."""
    if ds.is_looker:
        return ds.parts[0]
    return "dataset" if ds.is_lake else "table"


def _terms(query: str) -> list[str]:
    words = re.findall(r"[\w.:/*-]+", query.casefold())
    return [w for w in words if w not in _STOPWORDS] or words


def _entity_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.casefold())


def entity_matches(wanted: str, entity: str) -> bool:
    """``email`` matches ``EMAIL_ADDRESS``, ``ssn`` and ``us ssn`` match ``US_SSN``."""
    w, e = _entity_key(wanted), _entity_key(entity)
    return bool(w) and (w in e or e in w)


def _iso(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def suggestion_dict(s: SuggestionView) -> dict[str, Any]:
    """A review item for an agent: the API's form, its evidence without sample-bearing keys."""
    data = s.to_dict()
    data["evidence"] = {k: v for k, v in s.evidence.items() if k not in _UNSAFE_EVIDENCE}
    return data


def _hop(edge: LineageEdge) -> dict[str, Any]:
    """One hop of a path (the SQL is left out: it can quote literals)."""
    return {
        "source": edge.source.uri,
        "target": edge.target.uri,
        "origin": edge.origin.value,
        "confidence": round(edge.confidence, 4),
        "location": edge.location,
        "columns": [
            {"source": m.source, "target": m.target, "masked": m.masked} for m in edge.columns
        ],
        "masked_columns": sorted(m.target for m in edge.columns if m.masked),
    }


@dataclass(slots=True)
class CatalogTools:
    """What each MCP tool answers, on the catalog's services.

    :param services: the services built by :func:`worker.bootstrap.build_mcp_services`.
    :param caller: who is calling (read inside each call; see :mod:`worker.mcp.access`).
    """

    services: McpServices
    caller: CallerSource
    names_ttl_s: float = NAMES_TTL_S
    _names: tuple[float, list[StoredDataset], list[Dataset]] | None = field(
        default=None, init=False, repr=False
    )

    def _catalog(self) -> tuple[list[StoredDataset], list[Dataset]]:
        """The scanned datasets and the lineage-only nodes (kept ``names_ttl_s``)."""
        now = time.monotonic()
        kept = self._names
        if kept is not None and now - kept[0] < self.names_ttl_s:
            return kept[1], kept[2]
        stored = self.services.datasets.store.list_datasets(None, _SEARCH_DATASETS)
        known = {d.summary.uri for d in stored}
        names = self.services.names
        if names is not None:  # the endpoints' URIs only, not every edge's details
            nodes = {
                n.uri: Dataset.parse(n.uri) for n in names.lineage_nodes() if n.uri not in known
            }
        else:
            nodes = {
                ds.uri: ds
                for e in self.services.lineage.store.edges()
                for ds in (e.source, e.target)
                if ds.uri not in known
            }
        # One assignment: a call in another thread sees the old names or the new, whole.
        self._names = (now, stored, list(nodes.values()))
        return stored, list(nodes.values())

    # -- datasets -----------------------------------------------------------------------------

    def search(self, query: str, kind: SearchKind = "any", limit: int = 20) -> dict[str, Any]:
        """Datasets, tables and Looker assets whose name, columns, category or PII match.

        Every word of ``query`` must match one of an item's fields (case-insensitive
        substrings); items are ranked by where the words matched (name first). Reads the
        names kept for ``names_ttl_s`` (a dataset scanned meanwhile shows up after that).
        """
        terms = _terms(query)
        if not terms:
            raise InvalidDecision("search needs at least one word")
        scored: list[tuple[int, str, dict[str, Any]]] = []
        stored, nodes = self._catalog()
        if kind in ("any", "dataset"):
            for d in stored:
                hit = self._match_dataset(d, terms)
                if hit is not None:
                    scored.append(hit)
        if kind != "dataset":
            for ds in nodes:
                if kind not in ("any", _kind(ds)):
                    continue
                score, matched = _score({"name": (ds.uri, 3)}, terms)
                if score:
                    item = {"kind": _kind(ds), "uri": ds.uri, "system": ds.system.value}
                    scored.append((score, ds.uri, item | {"matched": matched}))
        # Ties: scanned datasets (which carry columns and PII) before lineage-only nodes.
        scored.sort(key=lambda t: (-t[0], t[2]["kind"] != "dataset", t[1]))
        return {
            "query": query,
            "terms": terms,
            "total": len(scored),
            "items": [item for _, _, item in scored[:limit]],
        }

    @staticmethod
    def _match_dataset(
        d: StoredDataset, terms: list[str]
    ) -> tuple[int, str, dict[str, Any]] | None:
        v = d.verdict
        fields: dict[str, tuple[str, int]] = {"name": (d.summary.uri, 3)}
        if v is not None:
            fields["category"] = (v.category or "", 2)
            fields["pii"] = (" ".join(e for e, _ in v.entities), 2)
            fields["description"] = (v.description or "", 1)
            for c in v.columns:
                fields[f"column:{c.column}"] = (c.column, 2)
        score, matched = _score(fields, terms)
        if not score:
            return None
        item = {
            "kind": "dataset",
            "uri": d.summary.uri,
            "system": "s3" if d.summary.uri.startswith("s3://") else "file",
            "category": v.category if v else None,
            "pii": sorted(e for e, _ in v.entities) if v else [],
            "matched": matched,
        }
        return score, d.summary.uri, item

    def get_dataset(self, uri: str) -> dict[str, Any]:
        """One dataset (or a table or Looker asset of the lineage graph), described.

        :raises DatasetNotFound: neither a known dataset nor a node of the lineage graph.
        """
        if not uri.startswith(("s3://", "file://")):
            return self._lineage_node(uri)
        service = self.services.datasets
        found = service.resolve(uri)
        name = found.summary.uri
        v = found.verdict
        history = service.store.schema_history(name)
        store = self.services.lineage.store
        up = store.edges_of([name], False)
        down = store.edges_of([name], True)
        alerts = self.services.alerts.list(dataset_uri=name, limit=50)
        pending = self.services.review.store.count(SuggestionFilter(uri_pattern=name))
        return {
            "kind": "dataset",
            "uri": name,
            "grouping": found.summary.explanation,
            "objects": found.summary.object_count,
            "bytes": found.summary.total_bytes,
            "partitions": found.partition_count,
            "partition_columns": list(found.summary.partition_columns),
            "formats": dict(found.summary.formats),
            "category": v.category if v else None,
            "category_confidence": v.category_confidence if v else None,
            "description": v.description if v else None,
            "pii": {e: list(cols) for e, cols in v.entities} if v else {},
            "partitions_sampled": v.partitions_sampled if v else 0,
            "columns": [
                {
                    "name": c.column,
                    "data_type": c.data_type,
                    "pii_share": dict(c.entities),
                }
                for c in (v.columns if v else ())
            ],
            "schema_version": found.schema_version,
            "schema_changes": [c.to_dict() for c in history[-1].changes] if history else [],
            "first_seen": _iso(found.first_seen),
            "last_seen": _iso(found.last_seen),
            "last_scanned": _iso(found.last_scanned),
            "upstream": sorted({e.source.uri for e in up}),
            "downstream": sorted({e.target.uri for e in down}),
            "open_alerts": [
                {
                    "id": a.id,
                    "kind": a.kind.value,
                    "severity": a.severity.value,
                    "message": a.message,
                }
                for a in alerts
                if a.state is not AlertState.RESOLVED
            ],  # fmt: skip
            "pending_review": pending,
        }

    def _lineage_node(self, uri: str) -> dict[str, Any]:
        """A table or Looker asset: what feeds it and what it feeds, with PII per column."""
        start, up, down, _ = self.services.lineage.show(uri)
        if not up and not down:
            raise DatasetNotFound(
                f"{uri} is not in the lineage graph; find names with the search tool"
            )
        return {
            "kind": _kind(start.dataset),
            "uri": start.dataset.uri,
            "system": start.dataset.system.value,
            "pii": {c: sorted(e) for c, e in sorted(start.pii.items())},
            "upstream": [n.to_dict() for n in up],
            "downstream": [n.to_dict() for n in down],
        }

    def find_pii(
        self, entity: str | None = None, dataset: str | None = None, limit: int = 50
    ) -> dict[str, Any]:
        """The datasets where PII holds, per entity and column (optionally one entity, one prefix).

        An entity holds on a column when it was found in at least ``datasets.entity_share``
        of the sampled partitions that have the column. Reads the datasets kept for
        ``names_ttl_s``, as :meth:`search`.
        """
        found: list[dict[str, Any]] = []
        counts: dict[str, int] = {}
        for d in self._catalog()[0]:
            v = d.verdict
            if v is None or (dataset and not d.summary.uri.startswith(dataset)):
                continue
            holds = {e: cols for e, cols in v.entities if not entity or entity_matches(entity, e)}
            if not holds:
                continue
            for e in holds:
                counts[e] = counts.get(e, 0) + 1
            shares = {c.column: dict(c.entities) for c in v.columns}
            found.append(
                {
                    "uri": d.summary.uri,
                    "category": v.category,
                    "columns": [
                        {"column": col, "entity": e, "share": shares.get(col, {}).get(e)}
                        for e, cols in sorted(holds.items())
                        for col in cols
                    ],
                }
            )
        found.sort(key=lambda x: x["uri"])
        return {
            "entity": entity,
            "dataset_prefix": dataset,
            "datasets_total": len(found),
            "entities": dict(sorted(counts.items())),
            "datasets": found[:limit],
        }

    # -- lineage ------------------------------------------------------------------------------

    def lineage_impact(self, uri: str) -> dict[str, Any]:
        """Everything downstream of ``uri`` (a column too), with the PII reaching each."""
        start, nodes, _ = self.services.lineage.impact(uri)
        return {
            "start": start.to_dict(),
            "summary": impact_summary(start.dataset, nodes),
            "reached": impact_counts(nodes),
            "downstream_total": len(nodes),
            "with_pii": sum(1 for n in nodes if n.pii),
            "downstream": [n.to_dict() for n in nodes[:MAX_IMPACT_NODES]],
        }

    def lineage_path(self, source: str, target: str) -> dict[str, Any]:
        """The shortest chain of hops from ``source`` to ``target``, with masking on each hop.

        Looks downstream of ``source`` first, then the other way round (so the order of the
        two names does not hide a path). ``found`` is false when none connects them.
        """
        service = self.services.lineage
        graph = service.graph()
        start, column = service.resolve(source, graph)
        end, _ = service.resolve(target, graph)
        for a, b, col, reverse in ((start, end, column, False), (end, start, None, True)):
            nodes = graph.downstream(a, col)
            reached = {n.dataset.uri: n for n in nodes}
            if b.uri not in reached:
                continue
            chain: list[ImpactNode] = []
            node: ImpactNode | None = reached[b.uri]
            while node is not None and node.via is not None:
                chain.append(node)
                node = reached.get(node.via.source.uri)
            chain.reverse()
            first = ImpactNode(a, 0, {col} if col else None, None)
            scanned = service.store.s3_pii([a, *(n.dataset for n in chain)])
            attach_pii([first, *chain], graph, scanned)
            hops = [_hop(n.via) for n in chain if n.via is not None]
            return {
                "source": source,
                "target": target,
                "found": True,
                "reversed": reverse,
                "hops": hops,
                "datasets": [
                    {
                        "uri": n.dataset.uri,
                        "kind": _kind(n.dataset),
                        "pii": {c: sorted(e) for c, e in sorted(n.pii.items())},
                    }
                    for n in (first, *chain)
                ],  # fmt: skip
                "unmasked_pii_at_end": bool(chain[-1].pii) if chain else False,
            }
        return {
            "source": source,
            "target": target,
            "found": False,
            "reversed": False,
            "hops": [],
            "datasets": [],
            "unmasked_pii_at_end": False,
        }

    # -- questions, alerts, review ------------------------------------------------------------

    def ask(self, question: str, limit: int | None = None) -> dict[str, Any]:
        """The ask service's answer (its JSON contract), with at most ``limit`` items.

        :param limit: ``None``: the service's default (200); bounded by the service to
            1..5,000 (``count`` stays the exact total).
        :raises InvalidDecision: an empty question.
        """
        if not question.strip():
            raise InvalidDecision("ask needs a question")
        return self.services.ask(question, limit)

    def list_alerts(
        self,
        state: AlertStateName = "open",
        severity: Literal["info", "warning", "critical"] | None = None,
        dataset: str | None = None,
        kind: str | None = None,
        limit: int = 50,
    ) -> dict[str, Any]:
        """Alerts, newest first, filtered."""
        try:
            alert_kind = AlertKind(kind) if kind else None
        except ValueError as exc:
            known = ", ".join(k.value for k in AlertKind)
            raise InvalidDecision(f"unknown alert kind {kind!r}; one of {known}") from exc
        alerts = self.services.alerts.list(
            state=None if state == "any" else AlertState(state),
            severity=Severity(severity) if severity else None,
            dataset_uri=dataset,
            kind=alert_kind,
            limit=limit,
        )
        return {"count": len(alerts), "alerts": [a.to_dict() for a in alerts]}

    def review_queue(
        self,
        state: ReviewStateName = "pending",
        kind: str | None = None,
        entity: str | None = None,
        uri: str | None = None,
        sort: str = "-confidence",
        offset: int = 0,
        limit: int = 20,
    ) -> dict[str, Any]:
        """A page of the steward review queue."""
        f = SuggestionFilter(
            state=None if state == "any" else SuggestionState(state),
            kind=kind,
            entity=entity,
            uri_pattern=uri,
        )
        user = self.caller().user or _READER
        page = self.services.review.queue(user, f, sort, offset, limit)
        return {
            "filter": f.describe(),
            "total": page.total,
            "offset": page.offset,
            "limit": page.limit,
            "items": [suggestion_dict(s) for s in page.items],
        }

    def decide_suggestion(
        self, ids: list[int], decision: Literal["approve", "reject"], reason: str | None = None
    ) -> dict[str, Any]:
        """Approve or reject pending review items as the caller.

        :raises PermissionDenied: the caller may not decide (see :mod:`worker.mcp.access`).
        :raises InvalidDecision: no ids, no reason to reject, or an item not pending.
        Side effects: records the decision and the audit entry; an approval is written to
        Atlan when Atlan is enabled.
        """
        caller = self.caller()
        if caller.user is None or not caller.may_decide:
            raise PermissionDenied(
                "deciding needs a write API token of a steward or admin (over stdio: "
                "enricher mcp --steward USER)"
            )
        if not ids:
            raise InvalidDecision("no suggestion ids")
        review = self.services.review
        if decision == "approve":
            report = review.approve(caller.user, ids, reason, caller.address)
        else:
            report = review.reject(caller.user, ids, reason or "", caller.address)
        return {
            "summary": report.summary(),
            "decided": [{"id": s.id, "state": s.state.value} for s in report.decided],
            "applied": report.applied,
            "waiting": {str(k): v for k, v in report.waiting.items()},
            "decided_by": caller.user.name,
        }


def _score(
    fields: dict[str, tuple[str, int]], terms: list[str]
) -> tuple[int, dict[str, list[str]]]:
    """The sum of each term's best field weight, and where each matched; 0 if one misses."""
    total = 0
    matched: dict[str, list[str]] = {}
    for term in terms:
        best = 0
        for name, (text, weight) in fields.items():
            if text and term in text.casefold():
                matched.setdefault(name, []).append(term)
                best = max(best, weight)
        if not best:
            return 0, {}
        total += best
    return total, matched
