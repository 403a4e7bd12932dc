"""The Atlan writer's memory in the local catalog: written state, outbox, suggestions.

Implements :class:`worker.atlan.writer.AtlanStateStore` on the same database as
:class:`~worker.catalog.sql.SqlLocalCatalog` (SQLite by default, PostgreSQL in production).
Nothing stored here holds a sampled value: desired states carry counts, entity names and
masked evidence only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, func, insert, select, update

from models.plan import DesiredObject, ObjectPlan, WrittenState
from worker.catalog.sql import SqlLocalCatalog, atlan_outbox, atlan_written


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
                    out[row.qualified_name] = WrittenState(
                        row.qualified_name,
                        row.description_hash,
                        frozenset(row.tags or []),
                        row.custom_metadata_hash,
                    )
        return out

    def save_written_states(self, states: Sequence[WrittenState]) -> None:
        """Upsert what was just written."""
        now = datetime.now(UTC)
        with self.catalog.engine.begin() as conn:
            for st in states:
                values = {
                    "description_hash": st.description_hash,
                    "tags": sorted(st.tags),
                    "custom_metadata_hash": st.custom_metadata_hash,
                    "written_at": now,
                }
                done = conn.execute(
                    update(atlan_written)
                    .where(atlan_written.c.qualified_name == st.qualified_name)
                    .values(**values)
                )
                if done.rowcount == 0:
                    conn.execute(
                        insert(atlan_written).values(qualified_name=st.qualified_name, **values)
                    )

    def outbox_put(self, desired: Sequence[DesiredObject], reason: str) -> None:
        """Queue failed writes; an object already queued keeps one entry, the latest."""
        now = datetime.now(UTC)
        with self.catalog.engine.begin() as conn:
            for d in desired:
                done = conn.execute(
                    update(atlan_outbox)
                    .where(atlan_outbox.c.object_uri == d.object_uri)
                    .values(
                        desired=d.to_json(),
                        reason=reason,
                        attempts=atlan_outbox.c.attempts + 1,
                        last_tried_at=now,
                    )
                )
                if done.rowcount == 0:
                    conn.execute(
                        insert(atlan_outbox).values(
                            object_uri=d.object_uri,
                            desired=d.to_json(),
                            reason=reason,
                            attempts=1,
                            first_queued_at=now,
                            last_tried_at=now,
                        )
                    )

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
        :meth:`worker.review.store.SqlReviewStore.record_atlan_decisions`).
        """
        from worker.review.store import SqlReviewStore

        review = SqlReviewStore(self.catalog)
        for plan in plans:
            if plan.person_removed or plan.person_added:
                review.record_atlan_decisions(
                    plan.object_uri, plan.qualified_name, plan.person_removed, plan.person_added
                )
        return review.save_suggestions([s for plan in plans for s in plan.suggestions])
