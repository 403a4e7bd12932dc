"""The Atlan writer's memory in the local catalog: written state, outbox, suggestions.

Implements :class:`worker.adapters.atlan.writer.AtlanStateStore` on the same database as
:class:`~worker.adapters.catalog.database.SqlLocalCatalog` (SQLite by default, PostgreSQL
in production).
Nothing stored here holds a sampled value: desired states carry counts, entity names and
masked evidence only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from models.plan import DesiredObject, ObjectPlan, WrittenState
from worker.adapters.catalog.database import (
    SqlLocalCatalog,
    as_utc,
    atlan_connections,
    atlan_outbox,
    atlan_written,
    like_escape,
    update_or_insert,
)

#: Refresh a queued object's entry: the new desired state and reason, one more attempt.
#: ``desired``, ``reason`` and ``last_tried_at`` come as execution parameters.
_OUTBOX_UPDATE = (
    update(atlan_outbox)
    .where(atlan_outbox.c.object_uri == bindparam("match_uri"))
    .values(attempts=atlan_outbox.c.attempts + 1)
)


@cache
def _outbox_upsert(dialect: str) -> Any:
    """One INSERT ... ON CONFLICT statement doing what :data:`_OUTBOX_UPDATE` and an insert do.

    ``None`` on databases without ``ON CONFLICT`` (the caller updates, then inserts).
    A new row takes every value; an existing one keeps ``first_queued_at`` and counts one
    more attempt, as the UPDATE does.
    """
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        lite = sqlite_insert(atlan_outbox)
        return lite.on_conflict_do_update(
            index_elements=[atlan_outbox.c.object_uri], set_=_refreshed(lite.excluded)
        )
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        pg = pg_insert(atlan_outbox)
        return pg.on_conflict_do_update(
            index_elements=[atlan_outbox.c.object_uri], set_=_refreshed(pg.excluded)
        )
    return None


def _refreshed(excluded: Any) -> dict[str, Any]:
    """The SET clause of :func:`_outbox_upsert`: the proposed row's values, one more attempt."""
    return {
        "desired": excluded.desired,
        "reason": excluded.reason,
        "attempts": atlan_outbox.c.attempts + 1,
        "last_tried_at": excluded.last_tried_at,
    }


def _state(row: Any) -> WrittenState:
    return WrittenState(
        row.qualified_name,
        row.description_hash,
        frozenset(row.tags or []),
        row.custom_metadata_hash,
        guid=row.guid,
        written_at=as_utc(row.written_at) if row.written_at is not None else None,
        attributes_hash=row.attributes_hash,
        status=row.status or "ACTIVE",
        object_uri=row.object_uri,
        prefix_qn=row.prefix_qn,
    )


class SqlAtlanState:
    """Written state, outbox and suggestions on the local catalog's engine."""

    def __init__(self, catalog: SqlLocalCatalog) -> None:
        self.catalog = catalog

    def written_states(self, qualified_names: Sequence[str]) -> dict[str, WrittenState]:
        """s3-enricher's last writes to these assets."""
        if not qualified_names:
            return {}
        out: dict[str, WrittenState] = {}
        with self.catalog.engine.connect() as conn:
            for start in range(0, len(qualified_names), 500):
                chunk = list(qualified_names[start : start + 500])
                rows = conn.execute(
                    select(atlan_written).where(atlan_written.c.qualified_name.in_(chunk))
                )
                for row in rows:
                    out[row.qualified_name] = _state(row)
        return out

    def written_by_uri(self, object_uris: Sequence[str]) -> dict[str, WrittenState]:
        """s3-enricher's last writes by object URI (or ``s3://bucket`` for a bucket).

        An object written under two names (the naming changed) answers with the latest.
        """
        if not object_uris:
            return {}
        out: dict[str, WrittenState] = {}
        with self.catalog.engine.connect() as conn:
            for start in range(0, len(object_uris), 500):
                chunk = list(object_uris[start : start + 500])
                rows = conn.execute(
                    select(atlan_written)
                    .where(atlan_written.c.object_uri.in_(chunk))
                    .order_by(atlan_written.c.written_at)
                )
                for row in rows:
                    out[row.object_uri] = _state(row)
        return out

    def written_under(self, uri_prefix: str) -> list[WrittenState]:
        """The assets s3-enricher wrote for objects whose URI starts with ``uri_prefix``."""
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(
                select(atlan_written)
                .where(atlan_written.c.object_uri.like(like_escape(uri_prefix) + "%", escape="\\"))
                .order_by(atlan_written.c.written_at)
            )
            latest = {row.object_uri: _state(row) for row in rows}
        return list(latest.values())

    def save_written_states(self, states: Sequence[WrittenState]) -> None:
        """Upsert what was just written."""
        now = datetime.now(UTC)
        with self.catalog.engine.begin() as conn:
            for st in states:
                values = {
                    "description_hash": st.description_hash,
                    "tags": sorted(st.tags),
                    "custom_metadata_hash": st.custom_metadata_hash,
                    "written_at": st.written_at or now,
                    "guid": st.guid,
                    "object_uri": st.object_uri,
                    "attributes_hash": st.attributes_hash,
                    "status": st.status,
                    "prefix_qn": st.prefix_qn,
                }
                update_or_insert(conn, atlan_written, {"qualified_name": st.qualified_name}, values)

    def outbox_put(self, desired: Sequence[DesiredObject], reason: str) -> None:
        """Queue failed writes; an object already queued keeps one entry, the latest.

        Side effects: one transaction; per object one upsert on SQLite and PostgreSQL (an
        UPDATE, then an INSERT when there was no row, elsewhere). Two workers queueing the
        same new object at once: with the upsert the later one refreshes the entry (the
        UPDATE-then-INSERT raised ``IntegrityError`` there).
        """
        now = datetime.now(UTC)
        engine = self.catalog.engine
        upsert = _outbox_upsert(engine.dialect.name)
        with engine.begin() as conn:
            for d in desired:
                values = {
                    "object_uri": d.object_uri,
                    "desired": d.to_json(),  # once: it copies every suggestion's evidence
                    "reason": reason,
                    "attempts": 1,
                    "first_queued_at": now,
                    "last_tried_at": now,
                }
                if upsert is not None:
                    conn.execute(upsert, values)
                    continue
                refresh = {k: values[k] for k in ("desired", "reason", "last_tried_at")}
                done = conn.execute(_OUTBOX_UPDATE, {"match_uri": d.object_uri, **refresh})
                if done.rowcount == 0:
                    conn.execute(insert(atlan_outbox), values)

    def outbox_items(self) -> list[DesiredObject]:
        """Everything waiting, oldest first."""
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(
                select(atlan_outbox).order_by(
                    atlan_outbox.c.first_queued_at, atlan_outbox.c.object_uri
                )
            )
            return [DesiredObject.from_json(dict(r.desired)) for r in rows]

    def outbox_status(self) -> tuple[int, list[tuple[str, str, int]]]:
        """How many writes wait, and (object, reason, attempts) for the oldest 20."""
        with self.catalog.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(atlan_outbox)).scalar_one()
            rows = conn.execute(
                select(atlan_outbox.c.object_uri, atlan_outbox.c.reason, atlan_outbox.c.attempts)
                .order_by(atlan_outbox.c.first_queued_at)
                .limit(20)
            )
            return int(total), [(r.object_uri, r.reason, int(r.attempts)) for r in rows]

    def outbox_remove(self, object_uris: Sequence[str]) -> None:
        """Forget writes that succeeded."""
        if not object_uris:
            return
        with self.catalog.engine.begin() as conn:
            conn.execute(
                delete(atlan_outbox).where(atlan_outbox.c.object_uri.in_(list(object_uris)))
            )

    def save_suggestions(self, plans: Sequence[ObjectPlan]) -> int:
        """Store the plans' suggestions in the review queue; return how many are new.

        Also records tags a person removed or added in Atlan as decisions (see
        :meth:`worker.adapters.catalog.review_store.SqlReviewStore.record_atlan_decisions`).
        """
        from worker.adapters.catalog.review_store import SqlReviewStore

        review = SqlReviewStore(self.catalog)
        for plan in plans:
            if plan.person_removed or plan.person_added:
                review.record_atlan_decisions(
                    plan.object_uri, plan.qualified_name, plan.person_removed, plan.person_added
                )
        return review.save_suggestions([s for plan in plans for s in plan.suggestions])

    # -- the S3 connection -------------------------------------------------------------------

    def known_connection(self, name: str) -> str | None:
        """The S3 connection's qualified name, once created or found."""
        with self.catalog.engine.connect() as conn:
            qn = conn.execute(
                select(atlan_connections.c.qualified_name).where(atlan_connections.c.name == name)
            ).scalar_one_or_none()
        return str(qn) if qn else None

    def claim_connection(self, name: str, claimant: str, stale_s: float) -> tuple[bool, str | None]:
        """Claim the creation of connection ``name`` (one worker creates it, the others wait).

        :returns: (whether ``claimant`` holds the claim now, the qualified name if known).
            A claim older than ``stale_s`` without a qualified name was abandoned and is
            taken over.
        """
        now = datetime.now(UTC)
        with self.catalog.engine.begin() as conn:
            row = conn.execute(
                select(atlan_connections).where(atlan_connections.c.name == name)
            ).first()
            if row is not None and row.qualified_name:
                return False, str(row.qualified_name)
            if row is None:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            insert(atlan_connections).values(
                                name=name, qualified_name=None, claimed_by=claimant, claimed_at=now
                            )
                        )
                except IntegrityError:
                    return False, None  # another worker claimed it at the same moment
                return True, None
            if row.claimed_by == claimant:
                return True, None
            if (now - as_utc(row.claimed_at)).total_seconds() > stale_s:
                taken = conn.execute(
                    update(atlan_connections)
                    .where(atlan_connections.c.name == name)
                    .where(atlan_connections.c.claimed_by == row.claimed_by)
                    .where(atlan_connections.c.qualified_name.is_(None))
                    .values(claimed_by=claimant, claimed_at=now)
                )
                return taken.rowcount == 1, None
            return False, None

    def set_connection(self, name: str, qualified_name: str | None, claimant: str) -> None:
        """Record the connection (``qualified_name=None``: give up ``claimant``'s claim)."""
        now = datetime.now(UTC)
        with self.catalog.engine.begin() as conn:
            if qualified_name is None:
                conn.execute(
                    delete(atlan_connections)
                    .where(atlan_connections.c.name == name)
                    .where(atlan_connections.c.claimed_by == claimant)
                    .where(atlan_connections.c.qualified_name.is_(None))
                )
                return
            update_or_insert(
                conn,
                atlan_connections,
                {"name": name},
                {"qualified_name": qualified_name, "claimed_by": claimant, "claimed_at": now},
            )
