"""``SqlReviewStore``: suggestions, decisions and the audit trail (SQLAlchemy 2 ORM).

Runs on the local catalog's engine: SQLite by default, PostgreSQL in production. Nothing
stored here holds a sampled value: evidence is counts, shares and masked examples.

A decision is never overwritten: scans only insert pending suggestions, refresh pending
ones and supersede pending ones they no longer produce. Decided rows (approved, rejected,
applied) change only by a person's action or by Atlan confirming an approved write.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Table,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.plan import Suggestion
from models.review import (
    DECIDED,
    MAX_REASON,
    SCAN_KINDS,
    AuditEntry,
    Decision,
    DecisionKey,
    Page,
    SuggestionFilter,
    SuggestionState,
    SuggestionView,
    SyncReport,
)
from worker.adapters.catalog.database import SqlLocalCatalog, as_utc, chunks, like_escape
from worker.adapters.catalog.schema import (
    AuditChainRow,
    AuditRow,
    SuggestionRow,
    columns,
    findings,
    objects,
)
from worker.core.audit_chain import GENESIS, ChainRow, json_value, row_hash
from worker.core.errors import InvalidDecision, SuggestionNotFound

_SORTS: dict[str, tuple[Any, ...]] = {
    "-confidence": (SuggestionRow.confidence.desc(), SuggestionRow.id),
    "confidence": (SuggestionRow.confidence.asc(), SuggestionRow.id),
    "-last_seen": (SuggestionRow.last_seen.desc(), SuggestionRow.id),
    "last_seen": (SuggestionRow.last_seen.asc(), SuggestionRow.id),
    "-first_seen": (SuggestionRow.first_seen.desc(), SuggestionRow.id),
    "object": (SuggestionRow.object_uri, SuggestionRow.column_name, SuggestionRow.id),
}


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def _view(row: SuggestionRow) -> SuggestionView:
    return SuggestionView(
        id=row.id,
        object_uri=row.object_uri,
        kind=row.kind,
        tag=row.tag,
        entity=row.entity,
        column=row.column_name,
        confidence=row.confidence,
        reason=row.reason,
        evidence=dict(row.evidence or {}),
        classifier_version=row.classifier_version,
        state=SuggestionState(row.state),
        first_seen=_aware(row.first_seen) or _now(),
        last_seen=_aware(row.last_seen) or _now(),
        decided_by=row.decided_by,
        decided_at=_aware(row.decided_at),
        decision_reason=row.decision_reason,
        applied_at=_aware(row.applied_at),
        apply_error=row.apply_error,
        qualified_name=row.qualified_name or None,
    )


def _snapshot(row: SuggestionRow) -> dict[str, Any]:
    """The audit form of a suggestion: its identity and state, no evidence values."""
    return {
        "state": row.state,
        "object_uri": row.object_uri,
        "kind": row.kind,
        "tag": row.tag,
        "column": row.column_name,
        "confidence": row.confidence,
        "decided_by": row.decided_by,
        "decision_reason": row.decision_reason,
    }


def _key_clause(object_uri: str, kind: str, tag: str, column: str | None) -> ColumnElement[bool]:
    return and_(
        SuggestionRow.object_uri == object_uri,
        SuggestionRow.kind == kind,
        SuggestionRow.tag == tag,
        SuggestionRow.column_name.is_(None)
        if column is None
        else SuggestionRow.column_name == column,
    )


def _glob_to_like(pattern: str) -> str:
    out = []
    for ch in pattern:
        if ch == "*":
            out.append("%")
        elif ch == "?":
            out.append("_")
        else:
            out.append(like_escape(ch))
    return "".join(out)


def apply_filter(query: Select[Any], f: SuggestionFilter) -> Select[Any]:
    """Restrict ``query`` (over :class:`SuggestionRow`) to the suggestions ``f`` selects."""
    if f.state is not None:
        query = query.where(SuggestionRow.state == f.state.value)
    if f.kind:
        query = query.where(SuggestionRow.kind == f.kind)
    if f.entity:
        query = query.where(SuggestionRow.entity == f.entity)
    if f.tag:
        query = query.where(SuggestionRow.tag == f.tag)
    if f.object_uri:
        query = query.where(SuggestionRow.object_uri == f.object_uri)
    if f.column:
        query = query.where(SuggestionRow.column_name == f.column)
    if f.classifier_version:
        query = query.where(SuggestionRow.classifier_version == f.classifier_version)
    if f.min_confidence is not None:
        query = query.where(SuggestionRow.confidence >= f.min_confidence)
    if f.max_confidence is not None:
        query = query.where(SuggestionRow.confidence <= f.max_confidence)
    if f.uri_pattern:
        pattern = f.uri_pattern
        if any(ch in pattern for ch in "*?"):
            like = _glob_to_like(pattern)
        else:
            like = like_escape(pattern) + "%"
        query = query.where(SuggestionRow.object_uri.like(like, escape="\\"))
    return query


_CHAIN = cast(Table, AuditChainRow.__table__)
_CHAIN_ID = 1

# The scan side's statements (they run for every scanned object), built once on the table:
# plain rows, not ORM objects, and values as execution parameters, so the compiled cache
# keeps one entry per statement. ``match_*`` name WHERE parameters apart from the columns.
_SUGGESTIONS = cast(Table, SuggestionRow.__table__)
_S = _SUGGESTIONS.c
_DECIDED_STATES = sorted(s.value for s in DECIDED)
_KEPT = (SuggestionState.APPROVED.value, SuggestionState.APPLIED.value)
_DECISIONS = (
    select(_S.kind, _S.tag, _S.column_name, _S.state, _S.confidence, _S.evidence, _S.decided_by)
    .where(_S.object_uri == bindparam("match_uri"))
    .where(_S.state.in_(bindparam("decided", expanding=True)))
    .order_by(_S.decided_at, _S.id)
)
_OBJECT_ROWS = (
    select(_S.id, _S.kind, _S.tag, _S.column_name, _S.state, _S.evidence)
    .where(_S.object_uri == bindparam("match_uri"))
    .order_by(_S.id)
)
_INSERT_SUGGESTION = insert(_SUGGESTIONS)
_REFRESH = update(_SUGGESTIONS).where(_S.id == bindparam("match_id"))
_SUPERSEDE = update(_SUGGESTIONS).where(_S.id.in_(bindparam("ids", expanding=True)))


class _Latest:
    """The latest row of one key during :meth:`SqlReviewStore.sync`: stored or created.

    A stored row (``id`` set) collects the refreshed columns in ``values``; a created one
    holds its whole row there. Evidence equal to what the row holds is not written again,
    as the ORM's unit of work did (equal JSON may be spelled differently).
    """

    __slots__ = ("id", "state", "values", "evidence", "refreshed")

    def __init__(
        self, row_id: int | None, state: str, values: dict[str, Any], evidence: Any
    ) -> None:
        self.id = row_id
        self.state = state
        self.values = values
        self.evidence = evidence  # the stored evidence (a stored row) or None
        self.refreshed = False

    @classmethod
    def created(cls, s: Suggestion, now: datetime) -> _Latest:
        """A new pending row for ``s``."""
        values = {
            "object_uri": s.object_uri,
            "qualified_name": s.qualified_name or None,
            "kind": s.kind,
            "tag": s.tag,
            "entity": s.entity,
            "column_name": s.column,
            "confidence": s.confidence,
            "reason": s.reason,
            "evidence": s.evidence,
            "classifier_version": s.classifier_version,
            "state": SuggestionState.PENDING.value,
            "first_seen": now,
            "last_seen": now,
            "decided_by": None,
            "decided_at": None,
            "decision_reason": None,
            "applied_at": None,
            "apply_error": None,
        }
        return cls(None, SuggestionState.PENDING.value, values, None)

    def refresh(self, s: Suggestion, now: datetime) -> None:
        """Take ``s``'s confidence, reason, evidence, version (and name, when it has one)."""
        values = self.values
        values["last_seen"] = now
        values["confidence"] = s.confidence
        values["reason"] = s.reason
        # A created row keeps its first spelling of equal evidence.
        if self.id is not None or values["evidence"] != s.evidence:
            values["evidence"] = s.evidence
        values["classifier_version"] = s.classifier_version
        if s.qualified_name:
            values["qualified_name"] = s.qualified_name
        self.refreshed = True

    def seen(self, row_id: int) -> bool:
        """Whether this scan refreshed the stored row ``row_id`` (so it is not stale)."""
        return self.refreshed and self.id == row_id

    def changes(self) -> dict[str, Any]:
        """The columns a refresh of a stored row writes."""
        values = dict(self.values)
        if "evidence" in values and values["evidence"] == self.evidence:
            del values["evidence"]
        return values


def _write_refreshes(conn: Connection, latest: Iterable[_Latest]) -> None:
    """Write the refreshed stored rows: one executemany per set of changed columns."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for item in latest:
        if item.refreshed and item.id is not None:
            values = item.changes()
            groups.setdefault(tuple(values), []).append({"match_id": item.id, **values})
    for params in groups.values():
        conn.execute(_REFRESH, params)


def _lock_chain_head(session: Session) -> tuple[int, str]:
    """Lock the chain head; return the next row's ``seq`` and ``prev_hash``.

    One UPDATE serialises appenders on both databases: on PostgreSQL it takes the head row's
    lock until commit (a second appender waits, then re-reads the row the first one
    committed); on SQLite the first write of a transaction takes the database write lock
    (the driver opens a transaction only at the first write, and ``busy_timeout`` makes the
    second appender wait), so the head cannot move between this read and the commit. Ids are
    drawn after the lock, so they rise with ``seq``.
    """
    bump = (
        update(_CHAIN)
        .where(_CHAIN.c.id == _CHAIN_ID)
        .values(seq=_CHAIN.c.seq + 1)
        .returning(_CHAIN.c.seq, _CHAIN.c.head_hash)
    )
    head = session.execute(bump).first()
    if head is None:
        # No head row (a database created from the declared schema): start it from the
        # newest row, if any. Two first appenders: the loser's insert fails and it retries.
        last = session.execute(
            select(AuditRow.seq, AuditRow.row_hash).order_by(AuditRow.seq.desc()).limit(1)
        ).first()
        try:
            with session.begin_nested():
                session.execute(
                    insert(_CHAIN).values(
                        id=_CHAIN_ID,
                        seq=last.seq if last is not None else 0,
                        head_hash=last.row_hash if last is not None else GENESIS,
                    )
                )
        except IntegrityError:
            pass
        head = session.execute(bump).one()
    return int(head.seq), str(head.head_hash)


def _chain_row(r: AuditRow) -> ChainRow:
    return ChainRow(
        id=r.id,
        seq=r.seq,
        at=_aware(r.at) or _now(),
        actor=r.actor,
        action=r.action,
        target=r.target,
        before=r.before,
        after=r.after,
        detail=r.detail,
        address=r.address,
        prev_hash=r.prev_hash,
        row_hash=r.row_hash,
    )


class SqlReviewStore:
    """Suggestions, decisions and audit entries on the local catalog's database.

    :param catalog: the local catalog (its engine is created and migrated on first use).
    """

    def __init__(self, catalog: SqlLocalCatalog) -> None:
        self.catalog = catalog

    def _session(self) -> Session:
        return Session(self.catalog.engine, expire_on_commit=False)

    # -- the scan side ------------------------------------------------------------------------

    def decisions_for(self, object_uri: str) -> dict[DecisionKey, Decision]:
        """The latest decision per (kind, tag, column) on one object (pending ones excluded).

        A newer pending suggestion after a rejection does not undo the rejection: the
        rejection still stands until a person decides the new suggestion.
        """
        out: dict[DecisionKey, Decision] = {}
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(_DECISIONS, {"match_uri": object_uri, "decided": _DECIDED_STATES})
            for row in rows:
                out[(row.kind, row.tag, row.column_name)] = Decision(
                    kind=row.kind,
                    tag=row.tag,
                    column=row.column_name,
                    state=SuggestionState(row.state),
                    confidence=row.confidence,
                    evidence=dict(row.evidence or {}),
                    decided_by=row.decided_by,
                )
        return out

    def sync(
        self,
        object_uri: str,
        found: Sequence[Suggestion],
        kinds: Iterable[str] = SCAN_KINDS,
        supersede: bool = True,
        reopen_rejected: bool = True,
    ) -> SyncReport:
        """Store what the latest scan of one object suggests.

        New suggestions become ``pending``; pending ones seen again get their confidence,
        evidence and ``last_seen`` refreshed; a key whose latest row is approved or applied
        is left alone; one whose latest row is rejected gets a new pending row (the policy
        only sends it when the evidence changed materially; ``reopen_rejected`` false: never).
        With ``supersede``, pending suggestions of ``kinds`` the scan no longer produces
        become ``superseded``.

        :raises ValueError: a suggestion is for another object (nothing is stored).
        Side effects: one transaction: a read of the object's rows, then one executemany
        each for the new rows, the refreshed ones and the superseded ones.
        """
        now = _now()
        report = SyncReport()
        kinds = frozenset(kinds)
        with self.catalog.engine.begin() as conn:
            # Every row of the object in one query (this runs after every scan): the latest
            # row per (kind, tag, column) is what a new finding is compared with.
            stored = conn.execute(_OBJECT_ROWS, {"match_uri": object_uri}).all()
            latest_of: dict[DecisionKey, _Latest] = {}
            for row in stored:
                latest_of[(row.kind, row.tag, row.column_name)] = _Latest(
                    row.id, row.state, {}, row.evidence
                )
            new: list[_Latest] = []
            for s in found:
                if s.object_uri != object_uri:
                    raise ValueError(f"suggestion for {s.object_uri} synced as {object_uri}")
                key = (s.kind, s.tag, s.column)
                latest = latest_of.get(key)
                if latest is not None and latest.state == SuggestionState.PENDING.value:
                    latest.refresh(s, now)
                    report.refreshed += 1
                    continue
                if latest is not None and latest.state in _KEPT:
                    continue
                if latest is not None and latest.state == SuggestionState.REJECTED.value:
                    if s.kind not in SCAN_KINDS or not reopen_rejected:
                        continue  # a rejected removal stays rejected
                latest_of[key] = _Latest.created(s, now)
                new.append(latest_of[key])
                report.new += 1
            if new:
                conn.execute(_INSERT_SUGGESTION, [n.values for n in new])
            _write_refreshes(conn, [n for n in latest_of.values() if n.id is not None])
            if supersede:
                stale = [
                    r.id
                    for r in stored
                    if r.state == SuggestionState.PENDING.value
                    and r.kind in kinds
                    and not latest_of[(r.kind, r.tag, r.column_name)].seen(r.id)
                ]
                for chunk in chunks(stale, 500):
                    conn.execute(
                        _SUPERSEDE,
                        {
                            "ids": list(chunk),
                            "state": SuggestionState.SUPERSEDED.value,
                            "decided_at": now,
                            "decided_by": "s3-enricher",
                            "decision_reason": "the latest scan no longer suggests it",
                        },
                    )
                report.superseded += len(stale)
        return report

    def save_suggestions(self, found: Sequence[Suggestion]) -> int:
        """Store suggestions from the Atlan writer's plan; return how many are new.

        Never supersedes and never reopens a decided suggestion: a plan may come from the
        outbox, computed before a steward decided.
        """
        total = 0
        by_object: dict[str, list[Suggestion]] = {}
        for s in found:
            by_object.setdefault(s.object_uri, []).append(s)
        for uri, items in by_object.items():
            total += self.sync(uri, items, supersede=False, reopen_rejected=False).new
        return total

    def record_atlan_decisions(
        self, object_uri: str, qualified_name: str, removed: Iterable[str], added: Iterable[str]
    ) -> int:
        """Record tags a person removed from or added to the object in Atlan as decisions.

        Removed → an object-level rejection (the tag is not re-applied nor suggested);
        added → an object-level approval (pending suggestions of that tag become applied).
        Only new facts are recorded, so calling it on every flush is cheap.

        :returns: how many decisions were recorded.
        """
        now = _now()
        recorded = 0
        with self._session() as session, session.begin():
            for tag, state in [(t, SuggestionState.REJECTED) for t in sorted(removed)] + [
                (t, SuggestionState.APPLIED) for t in sorted(added)
            ]:
                latest = session.scalars(
                    select(SuggestionRow)
                    .where(_key_clause(object_uri, "tag", tag, None))
                    .order_by(SuggestionRow.id.desc())
                    .limit(1)
                ).first()
                if latest is not None and latest.state == state.value:
                    continue
                verb = "removed" if state is SuggestionState.REJECTED else "added"
                row = SuggestionRow(
                    object_uri=object_uri,
                    qualified_name=qualified_name,
                    kind="tag",
                    tag=tag,
                    entity=None,
                    column_name=None,
                    confidence=None,
                    reason=f"a person {verb} the tag in Atlan",
                    evidence={},
                    classifier_version=None,
                    state=state.value,
                    first_seen=now,
                    last_seen=now,
                    decided_by="atlan",
                    decided_at=now,
                    decision_reason=f"{verb} directly in Atlan",
                    applied_at=now if state is SuggestionState.APPLIED else None,
                )
                session.add(row)
                if state is SuggestionState.APPLIED:
                    for pending in session.scalars(
                        select(SuggestionRow)
                        .where(SuggestionRow.object_uri == object_uri)
                        .where(SuggestionRow.kind == "tag")
                        .where(SuggestionRow.tag == tag)
                        .where(SuggestionRow.state == SuggestionState.PENDING.value)
                    ):
                        pending.state = SuggestionState.APPLIED.value
                        pending.decided_by = "atlan"
                        pending.decided_at = now
                        pending.decision_reason = "tag added directly in Atlan"
                        pending.applied_at = now
                self._audit(
                    session,
                    "atlan",
                    f"atlan.tag_{verb}",
                    f"{object_uri} {tag}",
                    None,
                    {"state": state.value},
                    f"a person {verb} the tag in Atlan; s3-enricher respects it",
                )
                recorded += 1
        return recorded

    # -- the queue ----------------------------------------------------------------------------

    def page(
        self,
        f: SuggestionFilter,
        sort: str = "-confidence",
        offset: int = 0,
        limit: int = 50,
    ) -> Page:
        """One page of suggestions matching ``f``.

        :raises InvalidDecision: an unknown sort key.
        """
        if sort not in _SORTS:
            raise InvalidDecision(f"unknown sort {sort!r}; one of {', '.join(_SORTS)}")
        limit = max(1, min(limit, 500))
        offset = max(0, offset)
        with self._session() as session:
            total = session.scalar(apply_filter(select(func.count(SuggestionRow.id)), f)) or 0
            rows = session.scalars(
                apply_filter(select(SuggestionRow), f)
                .order_by(*_SORTS[sort])
                .offset(offset)
                .limit(limit)
            )
            items = tuple(_view(r) for r in rows)
        return Page(items=items, total=int(total), offset=offset, limit=limit)

    def count(self, f: SuggestionFilter) -> int:
        """How many suggestions ``f`` selects (what a bulk decision would touch)."""
        with self._session() as session:
            return int(session.scalar(apply_filter(select(func.count(SuggestionRow.id)), f)) or 0)

    def get(self, suggestion_id: int) -> SuggestionView:
        """One suggestion.

        :raises SuggestionNotFound: no such id.
        """
        with self._session() as session:
            row = session.get(SuggestionRow, suggestion_id)
            if row is None:
                raise SuggestionNotFound(f"no suggestion {suggestion_id}")
            return _view(row)

    def facets(self) -> dict[str, list[str]]:
        """Distinct values for the queue's filter menus (kinds, entities, tags, versions)."""
        out: dict[str, list[str]] = {}
        with self._session() as session:
            for name, col in (
                ("kind", SuggestionRow.kind),
                ("entity", SuggestionRow.entity),
                ("tag", SuggestionRow.tag),
                ("classifier_version", SuggestionRow.classifier_version),
            ):
                values = session.scalars(select(col).distinct().where(col.is_not(None)))
                out[name] = sorted(str(v) for v in values)
        return out

    def state_counts(self) -> dict[str, int]:
        """How many suggestions are in each state."""
        with self._session() as session:
            rows = session.execute(
                select(SuggestionRow.state, func.count(SuggestionRow.id)).group_by(
                    SuggestionRow.state
                )
            )
            return {str(state): int(n) for state, n in rows}

    # -- decisions ----------------------------------------------------------------------------

    def decide(
        self,
        ids: Sequence[int],
        approve: bool,
        actor: str,
        reason: str | None = None,
        address: str | None = None,
        bulk: SuggestionFilter | None = None,
    ) -> list[SuggestionView]:
        """Approve or reject pending suggestions; every change is audited in the same commit.

        :param reason: required to reject (why, for the next steward and the audit).
        :param bulk: the filter of a bulk decision (recorded in its audit entry).
        :returns: the suggestions as they are now.
        :raises InvalidDecision: a rejection without a reason, or a suggestion not pending.
        :raises SuggestionNotFound: an unknown id.
        """
        reason = (reason or "").strip() or None
        if not approve and reason is None:
            raise InvalidDecision("a rejection needs a reason")
        if reason is not None and len(reason) > MAX_REASON:
            raise InvalidDecision(f"the reason is longer than {MAX_REASON} characters")
        now = _now()
        state = SuggestionState.APPROVED if approve else SuggestionState.REJECTED
        out: list[SuggestionView] = []
        with self._session() as session, session.begin():
            rows = []
            for sid in ids:
                row = session.get(SuggestionRow, sid, with_for_update=True)
                if row is None:
                    raise SuggestionNotFound(f"no suggestion {sid}")
                if row.state != SuggestionState.PENDING.value:
                    raise InvalidDecision(
                        f"suggestion {sid} is {row.state}, not pending: a decision is final"
                    )
                rows.append(row)
            for row in rows:
                before = _snapshot(row)
                row.state = state.value
                row.decided_by = actor
                row.decided_at = now
                row.decision_reason = reason
                if bulk is None:
                    self._audit(
                        session,
                        actor,
                        "suggestion.approve" if approve else "suggestion.reject",
                        f"suggestion {row.id}",
                        before,
                        _snapshot(row),
                        reason,
                        address,
                    )
                out.append(_view(row))
            if bulk is not None:
                self._audit(
                    session,
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
        """Decide every pending suggestion ``f`` selects (a bulk decision, one audit entry).

        :param expected: the count the person confirmed; if the queue changed meanwhile the
            decision is refused rather than touching more (or fewer) suggestions than shown.
        :raises InvalidDecision: nothing matches, the count changed, or no reason to reject.
        """
        pending = replace(f, state=SuggestionState.PENDING)
        with self._session() as session:
            ids = list(
                session.scalars(
                    apply_filter(select(SuggestionRow.id), pending).order_by(SuggestionRow.id)
                )
            )
        if not ids:
            raise InvalidDecision("no pending suggestion matches the filter")
        if expected is not None and expected != len(ids):
            raise InvalidDecision(
                f"the queue changed: {len(ids)} suggestions match now, {expected} were confirmed"
            )
        return self.decide(ids, approve, actor, reason, address, bulk=pending)

    def approved_unapplied(self, limit: int = 500) -> list[SuggestionView]:
        """Approved suggestions Atlan has not confirmed yet, oldest decision first."""
        with self._session() as session:
            rows = session.scalars(
                select(SuggestionRow)
                .where(SuggestionRow.state == SuggestionState.APPROVED.value)
                .order_by(SuggestionRow.decided_at, SuggestionRow.id)
                .limit(limit)
            )
            return [_view(r) for r in rows]

    def mark_applied(self, ids: Sequence[int], actor: str = "atlan") -> None:
        """Atlan confirmed these approved writes: ``applied`` (audited)."""
        now = _now()
        with self._session() as session, session.begin():
            for sid in ids:
                row = session.get(SuggestionRow, sid)
                if row is None or row.state != SuggestionState.APPROVED.value:
                    continue
                before = _snapshot(row)
                row.state = SuggestionState.APPLIED.value
                row.applied_at = now
                row.apply_error = None
                self._audit(
                    session,
                    actor,
                    "suggestion.applied",
                    f"suggestion {row.id}",
                    before,
                    _snapshot(row),
                    "confirmed by Atlan" if actor == "atlan" else "no Atlan asset: final",
                )

    def mark_apply_failed(self, ids: Sequence[int], error: str) -> None:
        """Keep approved suggestions approved with the reason Atlan did not take them."""
        with self._session() as session, session.begin():
            for sid in ids:
                row = session.get(SuggestionRow, sid)
                if row is not None and row.state == SuggestionState.APPROVED.value:
                    row.apply_error = error[:2000]

    # -- objects ------------------------------------------------------------------------------

    def object_detail(self, uri: str) -> dict[str, Any] | None:
        """The object page: its catalog row, columns, findings (masked), suggestions, history.

        :returns: ``None`` when neither the catalog nor the queue knows the object.
        """
        engine = self.catalog.engine
        with engine.connect() as conn:
            obj = conn.execute(select(objects).where(objects.c.uri == uri)).mappings().first()
            cols = conn.execute(
                select(columns).where(columns.c.object_uri == uri).order_by(columns.c.position)
            ).mappings()
            col_list = [dict(c) for c in cols]
            found = conn.execute(
                select(findings)
                .where(findings.c.object_uri == uri)
                .order_by(findings.c.column_name, findings.c.confidence.desc())
            ).mappings()
            by_column: dict[str, list[dict[str, Any]]] = {}
            for row in found:
                by_column.setdefault(row["column_name"], []).append(dict(row))
        page = self.page(
            SuggestionFilter(state=None, object_uri=uri), sort="object", offset=0, limit=500
        )
        if obj is None and not page.items:
            return None
        history = self.audit_entries(target_prefix=None, object_uri=uri, limit=200)
        return {
            "object": dict(obj) if obj is not None else {"uri": uri},
            "columns": [{**c, "findings": by_column.get(c["name"], [])} for c in col_list],
            "suggestions": list(page.items),
            "history": history,
        }

    # -- audit --------------------------------------------------------------------------------

    @staticmethod
    def _audit(
        session: Session,
        actor: str,
        action: str,
        target: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        detail: str | None = None,
        address: str | None = None,
    ) -> None:
        """Append one row to the audit chain in ``session``'s transaction.

        Side effects: locks the chain head until the transaction ends (see
        :meth:`_lock_chain_head`), inserts the row, moves the head to it.
        """
        seq, prev = _lock_chain_head(session)
        # The time is taken under the lock, so it rises with seq (on one clock).
        at = _now()
        before, after = json_value(before), json_value(after)
        digest = row_hash(seq, at, actor, action, target, before, after, detail, address, prev)
        session.add(
            AuditRow(
                at=at,
                actor=actor,
                action=action,
                target=target,
                before=before,
                after=after,
                detail=detail,
                address=address,
                seq=seq,
                prev_hash=prev,
                row_hash=digest,
            )
        )
        session.execute(
            update(_CHAIN).where(_CHAIN.c.id == _CHAIN_ID).values(seq=seq, head_hash=digest)
        )

    def audit(
        self,
        actor: str,
        action: str,
        target: str,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        detail: str | None = None,
        address: str | None = None,
    ) -> None:
        """Append one audit entry (logins, user changes ...) in its own transaction."""
        with self._session() as session, session.begin():
            self._audit(session, actor, action, target, before, after, detail, address)

    def audit_entries(
        self,
        target_prefix: str | None = None,
        object_uri: str | None = None,
        actor: str | None = None,
        action_prefix: str | None = None,
        since: datetime | None = None,
        limit: int | None = 500,
        offset: int = 0,
        oldest_first: bool = False,
    ) -> list[AuditEntry]:
        """Audit entries, newest first (or oldest first).

        :param object_uri: entries about this object's suggestions (and Atlan tag decisions).
        """
        query = select(AuditRow)
        if target_prefix:
            query = query.where(AuditRow.target.like(like_escape(target_prefix) + "%", "\\"))
        if actor:
            query = query.where(AuditRow.actor == actor)
        if action_prefix:
            query = query.where(AuditRow.action.like(like_escape(action_prefix) + "%", "\\"))
        if since is not None:
            query = query.where(AuditRow.at >= since)
        with self._session() as session:
            if object_uri is not None:
                ids = [
                    f"suggestion {i}"
                    for i in session.scalars(
                        select(SuggestionRow.id).where(SuggestionRow.object_uri == object_uri)
                    )
                ]
                query = query.where(
                    or_(
                        AuditRow.target.in_(ids) if ids else False,
                        AuditRow.target.like(like_escape(object_uri) + " %", "\\"),
                    )
                )
            order = (AuditRow.id,) if oldest_first else (AuditRow.id.desc(),)
            query = query.order_by(*order).offset(offset)
            if limit is not None:
                query = query.limit(limit)
            return [
                AuditEntry(
                    id=r.id,
                    at=_aware(r.at) or _now(),
                    actor=r.actor,
                    action=r.action,
                    target=r.target,
                    before=r.before,
                    after=r.after,
                    detail=r.detail,
                    address=r.address,
                )
                for r in session.scalars(query)
            ]

    def audit_count(self) -> int:
        """How many audit entries there are."""
        with self._session() as session:
            return int(session.scalar(select(func.count(AuditRow.id))) or 0)

    def audit_chain_head(self) -> tuple[int, str] | None:
        """The chain head: the newest row's ``seq`` and hash (``None``: no head row)."""
        with self._session() as session:
            head = session.execute(select(_CHAIN.c.seq, _CHAIN.c.head_hash)).first()
            return (int(head.seq), str(head.head_hash)) if head is not None else None

    def audit_chain(
        self, first_seq: int = 1, last_seq: int | None = None, page: int = 1000
    ) -> Iterator[ChainRow]:
        """The audit rows with their hashes in chain order (``seq``), read in pages.

        :param last_seq: stop after this row (the head read before: later appends are left
            out, so a verification or an export is of one consistent run).
        """
        after = first_seq - 1
        while True:
            query = select(AuditRow).where(AuditRow.seq > after).order_by(AuditRow.seq)
            if last_seq is not None:
                query = query.where(AuditRow.seq <= last_seq)
            with self._session() as session:
                rows = [_chain_row(r) for r in session.scalars(query.limit(page))]
            if not rows:
                return
            yield from rows
            after = rows[-1].seq

    def audit_period(self, start: datetime | None, end: datetime | None) -> tuple[int, int] | None:
        """The ``seq`` range of the rows from ``start`` (inclusive) to ``end`` (exclusive).

        The range is contiguous (every row between the first and the last in the period),
        so an export of it can be checked link by link. ``None``: no row in the period.
        """
        with self._session() as session:
            query = select(func.min(AuditRow.seq), func.max(AuditRow.seq))
            if start is not None:
                query = query.where(AuditRow.at >= start)
            if end is not None:
                query = query.where(AuditRow.at < end)
            low, high = session.execute(query).one()
        return None if low is None else (int(low), int(high))

    def iter_audit(self, since: datetime | None = None) -> Iterator[AuditEntry]:
        """Every audit entry, oldest first, in pages (for export)."""
        offset = 0
        while True:
            page = self.audit_entries(since=since, limit=1000, offset=offset, oldest_first=True)
            if not page:
                return
            yield from page
            offset += len(page)


AUDIT_FIELDS = ("id", "at", "actor", "action", "target", "before", "after", "detail", "address")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a ``'``.

    Reasons and names are typed by people; ``=HYPERLINK(...)`` in a rejection reason must
    stay text when governance opens the export in a spreadsheet.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_rows(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text with a header, every cell passed through :func:`csv_cell`."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return buf.getvalue()


def audit_csv(entries: Iterable[AuditEntry]) -> str:
    """The audit entries as CSV (before/after as JSON text, formulas neutralised)."""
    return csv_rows(
        AUDIT_FIELDS,
        (
            [
                json.dumps(d[k], sort_keys=True) if k in ("before", "after") else d[k]
                for k in AUDIT_FIELDS
            ]
            for d in (e.to_dict() for e in entries)
        ),
    )


def audit_json(entries: Iterable[AuditEntry]) -> str:
    """The audit entries as a JSON array."""
    return json.dumps([e.to_dict() for e in entries], indent=2, ensure_ascii=False)
