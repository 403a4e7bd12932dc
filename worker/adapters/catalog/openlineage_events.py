"""OpenLineage events taken in, on the local catalog's database (``openlineage_events``).

What makes the intake idempotent: an event is stored once per (run id, event type, event
time), and a run's stored events are read back to map the run whole
(:class:`worker.services.lineage.openlineage.OpenLineageIntake`). The events a request brings
and the hops they give are written in one unit of work (:class:`SqlOpenLineageUnitOfWork`):
one transaction, one commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.declared_schema import DeclaredSchema
from models.lineage import LineageEdge, UpsertReport
from worker.adapters.catalog.database import SqlLocalCatalog, chunks
from worker.adapters.catalog.declared_schemas import declare
from worker.adapters.catalog.lineage_store import upsert_edges
from worker.adapters.catalog.schema import OpenLineageEventRow
from worker.core.lineage.openlineage import EventConflict, EventKey


def key_id(key: EventKey) -> str:
    """The row id of an event key: the sha256 of its three parts."""
    return hashlib.sha256("\x1f".join(key).encode()).hexdigest()


class SqlOpenLineageEvents:
    """The events the OpenLineage intake took in (an :class:`OpenLineageEventStore`).

    :param catalog: the local catalog (migrated on first use).
    """

    def __init__(self, catalog: SqlLocalCatalog) -> None:
        self.catalog = catalog

    def unit_of_work(self) -> SqlOpenLineageUnitOfWork:
        """A unit of work on one connection of the catalog (see the class)."""
        return SqlOpenLineageUnitOfWork(self.catalog)


class SqlOpenLineageUnitOfWork:
    """One transaction of the intake: events read and stored, hops upserted, then one commit.

    One event per request costs one read of its run's stored events, the edge upsert's read,
    and one commit (one fsync on SQLite) for the event row, its edges and the schemas it
    declares together.

    :param catalog: the local catalog.
    """

    def __init__(self, catalog: SqlLocalCatalog) -> None:
        self.catalog = catalog
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        """The open session.

        :raises RuntimeError: used outside its ``with`` block.
        """
        if self._session is None:
            raise RuntimeError("the unit of work is used outside its with block")
        return self._session

    def __enter__(self) -> SqlOpenLineageUnitOfWork:
        self._session = Session(self.catalog.engine, expire_on_commit=False)
        self._session.begin()
        return self

    def __exit__(self, *exc: object) -> None:
        """Commit on a clean exit, else roll back; close the session.

        :raises EventConflict: a concurrent request stored the same event or schema first.
        """
        session = self.session
        self._session = None
        try:
            if exc[0] is None:
                session.commit()
            else:
                session.rollback()
        except IntegrityError as error:
            session.rollback()
            raise EventConflict("a concurrent request stored the same rows first") from error
        finally:
            session.close()

    def stored(self, run_ids: Sequence[str]) -> dict[str, list[tuple[EventKey, Mapping[str, Any]]]]:
        """The stored events of each run, as received, oldest first by event time."""
        out: dict[str, list[tuple[EventKey, Mapping[str, Any]]]] = {r: [] for r in run_ids}
        unique = sorted(set(run_ids))
        t = OpenLineageEventRow
        for chunk in chunks(unique, 500):
            query = (
                select(t.run_id, t.event_type, t.event_time, t.event)
                .where(t.run_id.in_(chunk))
                .order_by(t.event_time, t.id)
            )
            for run_id, event_type, event_time, event in self.session.execute(query):
                out[run_id].append(((run_id, event_type, event_time), event))
        return out

    def add(self, events: Sequence[tuple[EventKey, Mapping[str, Any]]]) -> None:
        """Store events :meth:`stored` did not return (inserted at commit)."""
        now = datetime.now(UTC)
        self.session.add_all(_row(key_id(k), k, raw, now) for k, raw in events)

    def upsert(self, edges: Sequence[LineageEdge], auto_apply_threshold: float) -> UpsertReport:
        """Store hops (:func:`worker.adapters.catalog.lineage_store.upsert_edges`) in this unit.

        :raises EventConflict: a concurrent request stored one of the added events first.
        """
        self._flush()
        return upsert_edges(self.session, edges, auto_apply_threshold)

    def declare(self, schemas: Sequence[DeclaredSchema]) -> int:
        """Store declared schemas newer than the stored ones (:func:`declare`) in this unit.

        :raises EventConflict: a concurrent request stored one of the added events first.
        """
        self._flush()
        return declare(self.session, schemas)

    def _flush(self) -> None:
        """Write what was added so far: a concurrent delivery of the same event fails here."""
        try:
            self.session.flush()
        except IntegrityError as error:
            raise EventConflict("a concurrent request stored the same rows first") from error


def _row(id_: str, key: EventKey, raw: Mapping[str, Any], now: datetime) -> OpenLineageEventRow:
    return OpenLineageEventRow(
        id=id_,
        run_id=key[0],
        event_type=key[1],
        event_time=key[2],
        event=dict(raw),
        received_at=now,
    )
