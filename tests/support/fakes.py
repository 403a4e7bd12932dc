"""Hand-written fakes for the ports (outcomes are asserted, not calls)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from models import (
    ColumnFinding,
    EnrichmentResult,
    EntityFinding,
    Evidence,
    ObjectInfo,
    ObjectRef,
    ObjectStatus,
    TableSample,
)
from models.datasets import (
    Alert,
    AlertCandidate,
    AlertKind,
    AlertState,
    DatasetRef,
    DatasetSummary,
    DatasetUpdate,
    DatasetVerdict,
    PartitionRecord,
    SchemaChange,
    SchemaColumn,
    SchemaVersion,
    Severity,
    StoredDataset,
)
from models.jobs import ITEM_OPEN, ItemState, Job, JobOptions, JobProgress, JobState
from models.lineage import ORIGIN_RANK, Dataset, LineageEdge, Origin, Rekeyed, UpsertReport
from models.plan import DesiredObject, EnrichmentPlan, Suggestion, WriteReport
from models.review import (
    DECIDED,
    MAX_REASON,
    SCAN_KINDS,
    SORTS,
    AuditEntry,
    Decision,
    Page,
    SuggestionFilter,
    SuggestionState,
    SuggestionView,
    SyncReport,
)
from worker.adapters.catalog.alert_store import delivery_column
from worker.adapters.catalog.dataset_store import (
    change_where,
    schema_changes,
    to_utc,
    verdict_from_dict,
)
from worker.core.errors import (
    AlertNotFound,
    BucketNotFound,
    CatalogUnavailable,
    DatasetNotFound,
    InvalidDecision,
    ObjectChanged,
    ObjectVanished,
    SuggestionNotFound,
)
from worker.core.ports import DatasetHoldings


class InMemoryObjectStore:
    """An S3-like store in a dict: ``s3://bucket/key`` → bytes."""

    def __init__(self, objects: Mapping[str, bytes] | None = None) -> None:
        self.objects: dict[str, bytes] = dict(objects or {})
        self.requests = 0

    def put(self, uri: str, data: bytes) -> None:
        self.objects[uri] = data

    def _info(self, uri: str) -> ObjectInfo:
        data = self.objects[uri]
        return ObjectInfo(ObjectRef(uri), len(data), hashlib.md5(data).hexdigest())

    def list_objects(self, uri: str) -> Iterator[ObjectInfo]:
        bucket = ObjectRef.parse(uri).bucket
        if not any(ObjectRef(u).bucket == bucket for u in self.objects):
            raise BucketNotFound(f"bucket {bucket} does not exist")
        for key in sorted(self.objects):
            if key == uri or key.startswith(uri.rstrip("/") + "/"):
                yield self._info(key)

    def head(self, ref: ObjectRef) -> ObjectInfo:
        if ref.uri not in self.objects:
            raise ObjectVanished(f"{ref} does not exist")
        return self._info(ref.uri)

    def read_range(self, info: ObjectInfo, start: int, end: int) -> bytes:
        self.requests += 1
        if info.ref.uri not in self.objects:
            raise ObjectVanished(f"{info.ref} does not exist")
        current = self._info(info.ref.uri)
        if current.etag != info.etag:
            raise ObjectChanged(f"{info.ref} changed")
        return self.objects[info.ref.uri][start:end]


class FakeClassifier:
    """Flags every column whose name contains ``email`` as EMAIL_ADDRESS."""

    name = "fake"
    labels: tuple[str, ...] = ("EMAIL_ADDRESS",)

    def __init__(self, version: str = "1", fail: bool = False) -> None:
        self.version = version
        self.fail = fail
        self.loaded = 0
        self.calls = 0

    def load(self) -> None:
        self.loaded += 1

    def classify(self, sample: TableSample) -> list[ColumnFinding]:
        self.calls += 1
        if self.fail:
            raise RuntimeError("model exploded on value secret@example.com")
        out = []
        for column in sample.columns:
            entities: tuple[EntityFinding, ...] = ()
            if "email" in column.name:
                n = column.non_null
                entities = (
                    EntityFinding(
                        "EMAIL_ADDRESS", 0.9, 1.0, Evidence(n, n, n, 0.9), classifier=self.name
                    ),
                )
            out.append(ColumnFinding(column.name, column.data_type, entities))
        return out


@dataclass
class InMemoryLocalCatalog:
    """A LocalCatalog in memory."""

    results: dict[str, EnrichmentResult] = field(default_factory=dict)
    runs: dict[str, dict[str, int] | None] = field(default_factory=dict)

    def is_current(self, info: ObjectInfo, classifier_versions: Mapping[str, str]) -> bool:
        old = self.results.get(info.ref.uri)
        return (
            old is not None
            and old.info is not None
            and old.info.etag == info.etag
            and old.status.value in ("classified", "skipped")
            and old.classifier_versions == dict(classifier_versions)
        )

    def start_run(self, command: str, targets: list[str]) -> str:
        run_id = f"run-{len(self.runs) + 1}"
        self.runs[run_id] = None
        return run_id

    def record(self, run_id: str, result: EnrichmentResult) -> None:
        if result.error is not None and result.error.kind == "unchanged":
            return
        self.results[result.ref.uri] = result

    def finish_run(self, run_id: str, counts: Mapping[str, int]) -> None:
        self.runs[run_id] = dict(counts)


class InMemoryJobStore:
    """A JobStore in dicts: jobs by id, and each job's items as ``uri -> (state, kind)``."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.items: dict[str, dict[str, tuple[ItemState, str | None]]] = {}

    def create(self, target: str, options: JobOptions, run_id: str | None) -> str:
        job_id = f"job-{len(self.jobs) + 1}"
        now = datetime.now(UTC)
        self.jobs[job_id] = Job(
            job_id, target, options, JobState.RUNNING, None, False, 0, run_id, now, now
        )
        self.items[job_id] = {}
        return job_id

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def set_state(self, job_id: str, state: JobState) -> None:
        if job_id in self.jobs:
            self.jobs[job_id] = replace(self.jobs[job_id], state=state)

    def add_listed(
        self, job_id: str, uris: Sequence[str], cursor: str | None, done: bool
    ) -> list[str]:
        items = self.items[job_id]
        new = [u for u in dict.fromkeys(uris) if u not in items]
        items.update({u: (ItemState.QUEUED, None) for u in new})
        job = self.jobs[job_id]
        self.jobs[job_id] = replace(
            job, cursor=cursor, listing_done=done, listed=job.listed + len(new)
        )
        return new

    def mark(self, job_id: str, uri: str, status: ItemState, error_kind: str | None = None) -> None:
        self.items.setdefault(job_id, {})[uri] = (ItemState(status), error_kind)

    def item_status(self, job_id: str, uri: str) -> ItemState | None:
        item = self.items.get(job_id, {}).get(uri)
        return item[0] if item is not None else None

    def progress(self, job_id: str) -> JobProgress | None:
        job = self.jobs.get(job_id)
        if job is None:
            return None
        counts: dict[str, int] = {}
        for state, _ in self.items[job_id].values():
            counts[state.value] = counts.get(state.value, 0) + 1
        return JobProgress(
            job.id,
            job.target,
            job.state,
            job.listing_done,
            job.listed,
            counts,
            job.created_at,
            job.updated_at,
            job.options,
        )

    def list_jobs(self, limit: int = 20, state: JobState | None = None) -> list[JobProgress]:
        chosen = [j for j in self.jobs.values() if state is None or j.state is state]
        newest = sorted(chosen, key=lambda j: j.created_at, reverse=True)[:limit]
        return [p for j in newest if (p := self.progress(j.id)) is not None]

    def queued(self, job_id: str, after: str | None, limit: int) -> list[str]:
        open_uris = sorted(
            u
            for u, (state, _) in self.items.get(job_id, {}).items()
            if state in ITEM_OPEN and (after is None or u > after)
        )
        return open_uris[:limit]


# --- Review, lineage and the catalog writer (issue 14) ----------------------------------------


def _uri_matches(f: SuggestionFilter, uri: str) -> bool:
    """``uri_pattern`` as the SQL store reads it: ``*``/``?`` globs, else a prefix."""
    pattern = f.uri_pattern
    if not pattern:
        return True
    if any(ch in pattern for ch in "*?"):
        regex = "".join(
            ".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern
        )
        return re.fullmatch(regex, uri, flags=re.DOTALL) is not None
    return uri.startswith(pattern)


def _selects(f: SuggestionFilter, s: SuggestionView) -> bool:
    """Whether ``f`` selects ``s`` (the SQL store's ``apply_filter``)."""
    conf = s.confidence
    return (
        (f.state is None or s.state is f.state)
        and (not f.kind or s.kind == f.kind)
        and (not f.entity or s.entity == f.entity)
        and (not f.tag or s.tag == f.tag)
        and (not f.object_uri or s.object_uri == f.object_uri)
        and (not f.column or s.column == f.column)
        and (not f.classifier_version or s.classifier_version == f.classifier_version)
        and (f.min_confidence is None or (conf is not None and conf >= f.min_confidence))
        and (f.max_confidence is None or (conf is not None and conf <= f.max_confidence))
        and _uri_matches(f, s.object_uri)
    )


def _nulls_first(value: float | str | None) -> tuple[bool, float | str]:
    # SQLite's order: NULL before every value.
    return (value is not None, value if value is not None else 0)


_ORDER: dict[str, Callable[[SuggestionView], tuple[object, ...]]] = {
    "-confidence": lambda s: (-(s.confidence if s.confidence is not None else -1e9), s.id),
    "confidence": lambda s: (_nulls_first(s.confidence), s.id),
    "-last_seen": lambda s: (-s.last_seen.timestamp(), s.id),
    "last_seen": lambda s: (s.last_seen.timestamp(), s.id),
    "-first_seen": lambda s: (-s.first_seen.timestamp(), s.id),
    "object": lambda s: (s.object_uri, _nulls_first(s.column), s.id),
}


class InMemoryReviewStore:
    """A ReviewStore in a dict of suggestions by id, with the SQL store's rules.

    Decisions are never overwritten, scans insert, refresh and supersede only pending rows,
    and every decision is audited (``audit``). ``uri_pattern`` matches case-sensitively
    (SQLite's ``LIKE`` does not for ASCII).
    """

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.rows: dict[int, SuggestionView] = {}
        self.audit: list[AuditEntry] = []
        self.clock = clock or (lambda: datetime.now(UTC))

    def _audit(
        self,
        actor: str,
        action: str,
        target: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        detail: str | None,
        address: str | None = None,
    ) -> None:
        self.audit.append(
            AuditEntry(
                len(self.audit) + 1, self.clock(), actor, action, target, before, after,
                detail, address,
            )
        )  # fmt: skip

    @staticmethod
    def _snapshot(s: SuggestionView) -> dict[str, Any]:
        return {
            "state": s.state.value,
            "object_uri": s.object_uri,
            "kind": s.kind,
            "tag": s.tag,
            "column": s.column,
            "confidence": s.confidence,
            "decided_by": s.decided_by,
            "decision_reason": s.decision_reason,
        }

    def _of(self, object_uri: str) -> list[SuggestionView]:
        return [s for i, s in sorted(self.rows.items()) if s.object_uri == object_uri]

    def decisions_for(self, object_uri: str) -> dict[tuple[str, str, str | None], Decision]:
        decided = [s for s in self._of(object_uri) if s.state in DECIDED]
        decided.sort(key=lambda s: (s.decided_at or datetime.min.replace(tzinfo=UTC), s.id))
        return {
            (s.kind, s.tag, s.column): Decision(
                kind=s.kind,
                tag=s.tag,
                column=s.column,
                state=s.state,
                confidence=s.confidence,
                evidence=dict(s.evidence),
                decided_by=s.decided_by,
            )
            for s in decided
        }

    def sync(
        self,
        object_uri: str,
        found: Sequence[Suggestion],
        kinds: Iterable[str] = SCAN_KINDS,
        supersede: bool = True,
        reopen_rejected: bool = True,
    ) -> SyncReport:
        now = self.clock()
        report = SyncReport()
        kinds = frozenset(kinds)
        for s in found:
            if s.object_uri != object_uri:
                raise ValueError(f"suggestion for {s.object_uri} synced as {object_uri}")
        seen: set[int] = set()
        latest_of = {(s.kind, s.tag, s.column): s for s in self._of(object_uri)}
        for s in found:
            latest = latest_of.get((s.kind, s.tag, s.column))
            if latest is not None and latest.state is SuggestionState.PENDING:
                latest = replace(
                    latest,
                    last_seen=now,
                    confidence=s.confidence,
                    reason=s.reason,
                    evidence=dict(s.evidence),
                    classifier_version=s.classifier_version,
                    qualified_name=s.qualified_name or latest.qualified_name,
                )
                self.rows[latest.id] = latest_of[(s.kind, s.tag, s.column)] = latest
                seen.add(latest.id)
                report.refreshed += 1
                continue
            if latest is not None and latest.state in (
                SuggestionState.APPROVED,
                SuggestionState.APPLIED,
            ):
                continue
            if latest is not None and latest.state is SuggestionState.REJECTED:
                if s.kind not in SCAN_KINDS or not reopen_rejected:
                    continue
            row = SuggestionView(
                id=max(self.rows, default=0) + 1,
                object_uri=s.object_uri,
                kind=s.kind,
                tag=s.tag,
                entity=s.entity,
                column=s.column,
                confidence=s.confidence,
                reason=s.reason,
                evidence=dict(s.evidence),
                classifier_version=s.classifier_version,
                state=SuggestionState.PENDING,
                first_seen=now,
                last_seen=now,
                qualified_name=s.qualified_name or None,
            )
            self.rows[row.id] = latest_of[(s.kind, s.tag, s.column)] = row
            seen.add(row.id)
            report.new += 1
        if supersede:
            for row in self._of(object_uri):
                stale = row.state is SuggestionState.PENDING and row.id not in seen
                if stale and row.kind in kinds:
                    self.rows[row.id] = replace(
                        row,
                        state=SuggestionState.SUPERSEDED,
                        decided_at=now,
                        decided_by="s3-enricher",
                        decision_reason="the latest scan no longer suggests it",
                    )
                    report.superseded += 1
        return report

    def page(
        self, f: SuggestionFilter, sort: str = "-confidence", offset: int = 0, limit: int = 50
    ) -> Page:
        if sort not in _ORDER:
            raise InvalidDecision(f"unknown sort {sort!r}; one of {', '.join(SORTS)}")
        limit = max(1, min(limit, 500))
        offset = max(0, offset)
        matching = sorted((s for s in self.rows.values() if _selects(f, s)), key=_ORDER[sort])
        return Page(tuple(matching[offset : offset + limit]), len(matching), offset, limit)

    def count(self, f: SuggestionFilter) -> int:
        return sum(1 for s in self.rows.values() if _selects(f, s))

    def get(self, suggestion_id: int) -> SuggestionView:
        """One suggestion (the tests read it; no service does).

        :raises SuggestionNotFound: no such id.
        """
        try:
            return self.rows[suggestion_id]
        except KeyError:
            raise SuggestionNotFound(f"no suggestion {suggestion_id}") from None

    def state_counts(self) -> dict[str, int]:
        """How many suggestions are in each state."""
        out: dict[str, int] = {}
        for s in self.rows.values():
            out[s.state.value] = out.get(s.state.value, 0) + 1
        return out

    def decide(
        self,
        ids: Sequence[int],
        approve: bool,
        actor: str,
        reason: str | None = None,
        address: str | None = None,
        bulk: SuggestionFilter | None = None,
    ) -> list[SuggestionView]:
        reason = (reason or "").strip() or None
        if not approve and reason is None:
            raise InvalidDecision("a rejection needs a reason")
        if reason is not None and len(reason) > MAX_REASON:
            raise InvalidDecision(f"the reason is longer than {MAX_REASON} characters")
        rows = []
        for sid in ids:  # all checked before any changes: the SQL store's transaction
            row = self.get(sid)
            if row.state is not SuggestionState.PENDING:
                raise InvalidDecision(
                    f"suggestion {sid} is {row.state.value}, not pending: a decision is final"
                )
            rows.append(row)
        now = self.clock()
        state = SuggestionState.APPROVED if approve else SuggestionState.REJECTED
        out = []
        for row in rows:
            new = replace(
                row, state=state, decided_by=actor, decided_at=now, decision_reason=reason
            )
            self.rows[row.id] = new
            if bulk is None:
                action = "suggestion.approve" if approve else "suggestion.reject"
                target = f"suggestion {row.id}"
                after = self._snapshot(new)
                self._audit(actor, action, target, self._snapshot(row), after, reason, address)
            out.append(new)
        if bulk is not None:
            self._audit(
                actor,
                "bulk.approve" if approve else "bulk.reject",
                bulk.describe() or "all",
                {"filter": bulk.to_dict(), "ids": [r.id for r in rows], "state": "pending"},
                {"state": state.value, "count": len(rows)},
                reason,
                address,
            )
        return out

    def decide_matching(
        self,
        f: SuggestionFilter,
        approve: bool,
        actor: str,
        reason: str | None = None,
        expected: int | None = None,
        address: str | None = None,
    ) -> list[SuggestionView]:
        pending = replace(f, state=SuggestionState.PENDING)
        ids = sorted(s.id for s in self.rows.values() if _selects(pending, s))
        if not ids:
            raise InvalidDecision("no pending suggestion matches the filter")
        if expected is not None and expected != len(ids):
            raise InvalidDecision(
                f"the queue changed: {len(ids)} suggestions match now, {expected} were confirmed"
            )
        return self.decide(ids, approve, actor, reason, address, bulk=pending)

    def approved_unapplied(self, limit: int = 500) -> list[SuggestionView]:
        approved = [s for s in self.rows.values() if s.state is SuggestionState.APPROVED]
        approved.sort(key=lambda s: (s.decided_at or datetime.min.replace(tzinfo=UTC), s.id))
        return approved[:limit]

    def mark_applied(self, ids: Sequence[int], actor: str = "atlan") -> None:
        for sid in ids:
            row = self.rows.get(sid)
            if row is None or row.state is not SuggestionState.APPROVED:
                continue
            new = replace(row, state=SuggestionState.APPLIED, applied_at=self.clock(),
                          apply_error=None)  # fmt: skip
            self.rows[sid] = new
            self._audit(
                actor,
                "suggestion.applied",
                f"suggestion {sid}",
                self._snapshot(row),
                self._snapshot(new),
                "confirmed by Atlan" if actor == "atlan" else "no Atlan asset: final",
            )

    def mark_apply_failed(self, ids: Sequence[int], error: str) -> None:
        for sid in ids:
            row = self.rows.get(sid)
            if row is not None and row.state is SuggestionState.APPROVED:
                self.rows[sid] = replace(row, apply_error=error[:2000])


_APPLIED, _SUGGESTED, _REJECTED = "applied", "suggested", "rejected"


class InMemoryLineageStore:
    """A LineageStore in dicts: edges by id with their state, and what scans found.

    :param catalog: the in-memory local catalog whose classified results are the scans'
        findings (:meth:`s3_findings`); ``findings`` adds more by hand.
    """

    def __init__(self, catalog: InMemoryLocalCatalog | None = None) -> None:
        self.catalog = catalog
        self.rows: dict[str, tuple[LineageEdge, str]] = {}
        #: (object URI, column, entity, confidence) beside the catalog's findings.
        self.findings: list[tuple[str, str, str, float]] = []

    def upsert(self, edges: Sequence[LineageEdge], auto_apply_threshold: float) -> UpsertReport:
        report = UpsertReport(suggested=[])
        suggested = report.suggested
        assert suggested is not None
        merged: dict[str, LineageEdge] = {}
        for e in edges:
            old = merged.get(e.id)
            if old is None or ORIGIN_RANK[e.origin] > ORIGIN_RANK[old.origin]:
                merged[e.id] = e
        for eid, e in merged.items():
            inferred = e.origin is Origin.INFERRED
            state = _APPLIED if not inferred or e.confidence >= auto_apply_threshold else _SUGGESTED
            if eid not in self.rows:
                self.rows[eid] = (e, state)
                report.new += 1
                if state == _SUGGESTED:
                    suggested.append(e)
                continue
            old_edge, old_state = self.rows[eid]
            if ORIGIN_RANK[e.origin] < ORIGIN_RANK[old_edge.origin]:
                report.unchanged += 1
                continue
            new_state = old_state
            if old_state == _SUGGESTED or (old_state == _REJECTED and not inferred):
                new_state = state
            self.rows[eid] = (e, new_state)
            before = (old_edge.origin, old_edge.confidence, old_edge.columns, old_edge.sql)
            if (e.origin, e.confidence, e.columns, e.sql) == before and new_state == old_state:
                report.unchanged += 1
            else:
                report.updated += 1
            if new_state == _SUGGESTED:
                suggested.append(e)
        return report

    def set_state(self, edge_id: str, state: str) -> LineageEdge:
        if edge_id not in self.rows:
            raise SuggestionNotFound(f"no lineage edge {edge_id}")
        edge = self.rows[edge_id][0]
        self.rows[edge_id] = (edge, state)
        return edge

    def state_of(self, edge_id: str) -> str | None:
        """The edge's state (the tests read it)."""
        row = self.rows.get(edge_id)
        return row[1] if row is not None else None

    def stored_edges(self) -> list[tuple[LineageEdge, str]]:
        return [self.rows[eid] for eid in sorted(self.rows)]

    def rekey(self, changes: Sequence[Rekeyed]) -> int:
        """Replace re-resolved edges (review items live in the review fake: not followed)."""
        replaced = 0
        for change in changes:
            if not any(i in self.rows for i in change.replaces):
                continue
            for i in change.replaces:
                replaced += self.rows.pop(i, None) is not None
            self.rows[change.edge.id] = (change.edge, change.state)
        return replaced

    def edges(self, states: Iterable[str] = (_APPLIED,)) -> list[LineageEdge]:
        wanted = set(states)
        return [e for eid, (e, st) in sorted(self.rows.items()) if st in wanted]

    def edges_of(self, uris: Sequence[str], downstream: bool) -> list[LineageEdge]:
        wanted = set(uris)
        return [
            e
            for eid, (e, st) in sorted(self.rows.items())
            if st == _APPLIED and (e.source if downstream else e.target).uri in wanted
        ]

    def datasets_containing(self, object_uri: str) -> list[Dataset]:
        if not object_uri.startswith("s3://"):
            return []
        parts = object_uri.split("/")
        candidates = {object_uri} | {"/".join(parts[:i]) + "/" for i in range(3, len(parts))}
        found = {
            d.uri
            for e, st in self.rows.values()
            if st == _APPLIED
            for d in (e.source, e.target)
            if d.uri in candidates
        }
        datasets = [Dataset.parse(u) for u in found]
        return sorted((d for d in datasets if d.contains(object_uri)), key=lambda d: -len(d.name))

    def _scanned(self) -> Iterator[tuple[str, str, str, float]]:
        yield from self.findings
        if self.catalog is None:
            return
        for uri, result in self.catalog.results.items():
            if result.status is ObjectStatus.CLASSIFIED:
                for c in result.columns:
                    for e in c.entities:
                        yield uri, c.column, e.entity, e.confidence

    def s3_findings(self, datasets: Iterable[Dataset]) -> dict[str, dict[str, dict[str, float]]]:
        out: dict[str, dict[str, dict[str, float]]] = {}
        for ds in datasets:
            if ds.is_table or ds.uri in out:
                continue
            cols: dict[str, dict[str, float]] = {}
            for uri, column, entity, confidence in self._scanned():
                if uri.startswith(ds.uri) if ds.is_prefix else uri == ds.uri:
                    best = cols.setdefault(column, {})
                    best[entity] = max(best.get(entity, confidence), confidence)
            out[ds.uri] = cols
        return out

    def s3_pii(self, datasets: Iterable[Dataset]) -> dict[str, dict[str, set[str]]]:
        return {
            uri: {c: set(e) for c, e in cols.items()}
            for uri, cols in self.s3_findings(datasets).items()
        }


class FakeCatalogWriter:
    """A CatalogWriter that remembers what it was asked to write and answers as told.

    :param unavailable: when set, every write and decision fails with this reason (the
        outbox keeps the objects).
    :param refused: object URI -> why the catalog refuses decisions on it.
    """

    def __init__(
        self, unavailable: str | None = None, refused: Mapping[str, str] | None = None
    ) -> None:
        self.unavailable = unavailable
        self.refused = dict(refused or {})
        self.on_request: Callable[[], None] | None = None
        self.written: list[DesiredObject] = []
        self.outbox: dict[str, DesiredObject] = {}
        #: (suggestion id, reviewer) for every decision the catalog confirmed.
        self.applied: list[tuple[int, str]] = []
        self.archived: list[tuple[str, str]] = []

    def _request(self) -> None:
        if self.on_request is not None:
            self.on_request()

    def plan(self, desired: Sequence[DesiredObject]) -> EnrichmentPlan:
        return EnrichmentPlan(connection_qualified_name="default/s3/fake")

    def write(self, desired: Sequence[DesiredObject]) -> WriteReport:
        report = WriteReport(objects=len(desired))
        if not desired:
            return report
        if self.unavailable is not None:
            self.outbox.update({d.object_uri: d for d in desired})
            report.queued, report.error = len(desired), self.unavailable
            return report
        self._request()
        report.requests = 1
        for d in desired:
            self.written.append(d)
            self.outbox.pop(d.object_uri, None)
        report.updated = len(desired)
        return report

    def flush(self) -> WriteReport:
        return self.write(list(self.outbox.values()))

    def apply_decisions(
        self, approved: Sequence[SuggestionView], reviewer: dict[int, str] | None = None
    ) -> tuple[list[int], dict[int, str]]:
        done: list[int] = []
        failed: dict[int, str] = {}
        for s in approved:
            why = self.unavailable or self.refused.get(s.object_uri)
            if why is not None:
                failed[s.id] = why
                continue
            done.append(s.id)
            self.applied.append((s.id, (reviewer or {}).get(s.id, "")))
        if done:
            self._request()
        return done, failed

    def archive(self, bucket: str, key: str) -> bool:
        if self.unavailable is not None:
            raise CatalogUnavailable(self.unavailable)
        self._request()
        self.archived.append((bucket, key))
        return True


# --- Datasets and alerts (issue 15) -----------------------------------------------------------


class InMemoryDatasetStore:
    """A DatasetStore in dicts, with the SQL store's rules.

    Stored datasets drop their partitions and table schema (``partitions()`` and the schema
    history hold those); verdicts go through their JSON form; times are UTC.
    """

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.datasets: dict[str, StoredDataset] = {}
        self.parts: dict[str, dict[str, PartitionRecord]] = {}
        self.schemas: dict[str, list[SchemaVersion]] = {}
        self.clock = clock or (lambda: datetime.now(UTC))

    def _now(self) -> datetime:
        now = to_utc(self.clock())
        assert now is not None
        return now

    def _known(self, uri: str) -> StoredDataset:
        if uri not in self.datasets:
            raise DatasetNotFound(f"no dataset {uri}")
        return self.datasets[uri]

    def record_grouping(self, summary: DatasetSummary) -> DatasetUpdate:
        now = self._now()
        uri = summary.ref.uri
        listed = {p.key: replace(p, newest=to_utc(p.newest)) for p in summary.partitions}
        old = self.datasets.get(uri)
        kept = replace(
            summary,
            partitions=(),
            table_schema=(),
            formats=tuple(dict(summary.formats).items()),
            newest=to_utc(summary.newest),
        )
        self.datasets[uri] = StoredDataset(
            kept,
            len(listed),
            old.first_seen if old else now,
            now,
            old.last_scanned if old else None,
            old.verdict if old else None,
            old.schema_version if old else None,
        )
        parts = self.parts.setdefault(uri, {})
        new = [k for k in listed if k not in parts]
        removed = sorted(k for k in parts if k not in listed)
        for key in removed:
            del parts[key]
        for key, info in listed.items():
            parts[key] = replace(parts[key], info=info) if key in parts else (
                PartitionRecord(uri, info, now)
            )  # fmt: skip
        return DatasetUpdate(old is None, tuple(new), tuple(removed))

    def get(self, uri: str) -> StoredDataset | None:
        return self.datasets.get(uri)

    def list_datasets(self, bucket: str | None = None, limit: int = 1000) -> list[StoredDataset]:
        found = [
            d for uri, d in sorted(self.datasets.items())
            if bucket is None or d.summary.ref.bucket == bucket
        ]  # fmt: skip
        return found[: max(0, limit)]

    def holdings(self, limit: int = 1000) -> list[DatasetHoldings]:
        out = []
        for uri, d in sorted(self.datasets.items())[: max(0, limit)]:
            v = d.verdict
            out.append(
                DatasetHoldings(
                    uri,
                    v.category if v else None,
                    v.category_confidence if v else None,
                    v.entities if v else (),
                    d.summary.object_count,
                    d.summary.total_bytes,
                    d.first_seen,
                    d.last_seen,
                )
            )
        return out

    def partitions(self, uri: str) -> list[PartitionRecord]:
        return [p for _, p in sorted(self.parts.get(uri, {}).items())]

    def record_partition_sample(self, record: PartitionRecord) -> None:
        self._known(record.dataset_uri)
        parts = self.parts.setdefault(record.dataset_uri, {})
        old = parts.get(record.info.key)
        base = old or PartitionRecord(
            record.dataset_uri,
            replace(record.info, newest=to_utc(record.info.newest)),
            to_utc(record.first_seen) or self._now(),
        )
        parts[record.info.key] = replace(
            base,
            sampled_at=to_utc(record.sampled_at) or self._now(),
            row_count=record.row_count,
            null_shares=dict(record.null_shares),
            findings={c: dict(e) for c, e in record.findings.items()},
            columns=tuple(record.columns),
            sample_error=record.sample_error,
            distinct_shares=dict(record.distinct_shares),
        )

    def set_verdict(self, verdict: DatasetVerdict) -> None:
        stored = self._known(verdict.dataset_uri)
        self.datasets[verdict.dataset_uri] = replace(
            stored, verdict=verdict_from_dict(verdict.to_dict()), last_scanned=self._now()
        )

    def record_schema(
        self, uri: str, columns: Sequence[SchemaColumn], source: str
    ) -> SchemaVersion | None:
        stored = self._known(uri)
        history = self.schemas.setdefault(uri, [])
        changes: tuple[SchemaChange, ...] = ()
        if history:
            changes = schema_changes(history[-1].columns, columns, change_where(source))
            if not changes:
                return None
        version = SchemaVersion(uri, len(history) + 1, tuple(columns), source, changes, self._now())
        history.append(version)
        self.datasets[uri] = replace(stored, schema_version=version.version)
        return version

    def schema_history(self, uri: str) -> list[SchemaVersion]:
        return list(self.schemas.get(uri, []))

    def dataset_of(self, bucket: str, key: str) -> DatasetRef | None:
        refs = [d.summary.ref for d in self.datasets.values() if d.summary.ref.bucket == bucket]
        exact = [r for r in refs if not r.is_prefix and r.root == key]
        if exact:
            return exact[0]
        holding = [r for r in refs if r.is_prefix and r.contains_key(key)]
        return max(holding, key=lambda r: len(r.root)) if holding else None


class InMemoryAlertStore:
    """An AlertStore in a dict of alerts by id, deduplicated by fingerprint like the SQL one.

    ``delivered`` holds, per channel, when each alert was last delivered.
    """

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.rows: dict[int, Alert] = {}
        self.by_fingerprint: dict[str, int] = {}
        self.delivered: dict[str, dict[int, datetime]] = {"webhook": {}, "atlan": {}}
        self.clock = clock or (lambda: datetime.now(UTC))

    def raise_alerts(self, candidates: Sequence[AlertCandidate]) -> list[Alert]:
        opened: list[Alert] = []
        for c in candidates:
            now = to_utc(self.clock())
            assert now is not None
            fresh: dict[str, Any] = {
                "severity": Severity(c.severity),
                "message": c.message,
                "evidence": dict(c.evidence),
                "last_seen": now,
            }
            known = self.by_fingerprint.get(c.fingerprint)
            if known is None:
                alert = Alert(
                    len(self.rows) + 1, AlertKind(c.kind), Severity(c.severity), c.dataset_uri,
                    c.subject, c.message, dict(c.evidence), AlertState.OPEN, now, now,
                )  # fmt: skip
                self.by_fingerprint[c.fingerprint] = alert.id
                self.rows[alert.id] = alert
                opened.append(alert)
                continue
            old = self.rows[known]
            if old.state is AlertState.RESOLVED:
                new = replace(old, state=AlertState.OPEN, actor=None, note=None,
                              occurrences=old.occurrences + 1, **fresh)  # fmt: skip
                opened.append(new)
            else:
                new = replace(old, occurrences=old.occurrences + 1, **fresh)
            self.rows[known] = new
        return opened

    def list_alerts(
        self,
        state: AlertState | None = None,
        severity: Severity | None = None,
        dataset_uri: str | None = None,
        kind: AlertKind | None = None,
        limit: int = 200,
    ) -> list[Alert]:
        found = [
            a
            for a in self.rows.values()
            if (state is None or a.state is AlertState(state))
            and (severity is None or a.severity is Severity(severity))
            and (dataset_uri is None or a.dataset_uri == dataset_uri)
            and (kind is None or a.kind is AlertKind(kind))
        ]
        found.sort(key=lambda a: (a.last_seen, a.id), reverse=True)
        return found[: max(0, limit)]

    def get(self, alert_id: int) -> Alert | None:
        return self.rows.get(alert_id)

    def set_state(
        self, alert_id: int, state: AlertState, actor: str, note: str | None = None
    ) -> Alert:
        if alert_id not in self.rows:
            raise AlertNotFound(f"no alert {alert_id}")
        new = replace(self.rows[alert_id], state=AlertState(state), actor=actor, note=note)
        self.rows[alert_id] = new
        return new

    def mark_delivered(self, alert_ids: Sequence[int], channel: str) -> None:
        delivery_column(channel)  # the SQL store's check: an unknown channel is a ValueError
        now = to_utc(self.clock())
        assert now is not None
        for alert_id in alert_ids:
            if alert_id in self.rows:
                self.delivered[channel][alert_id] = now

    def undelivered(self, channel: str, limit: int = 500) -> list[Alert]:
        delivery_column(channel)
        done = self.delivered[channel]
        waiting = [a for a in self.rows.values() if a.state is AlertState.OPEN and a.id not in done]
        return sorted(waiting, key=lambda a: (a.first_seen, a.id))[:limit]

    def delivered_since(self, since: datetime, channel: str) -> int:
        delivery_column(channel)
        start = to_utc(since)
        assert start is not None
        return sum(1 for at in self.delivered[channel].values() if at >= start)
