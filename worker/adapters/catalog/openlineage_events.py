"""OpenLineage events taken in, on the local catalog's database (``openlineage_events``).

What makes the intake idempotent: an event is stored once per (run id, event type, event
time), and a run's stored events are read back to map the run whole
(:class:`worker.services.lineage.openlineage.OpenLineageIntake`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from worker.adapters.catalog.database import SqlLocalCatalog
from worker.adapters.catalog.schema import OpenLineageEventRow
from worker.core.lineage.openlineage import EventKey


def key_id(key: EventKey) -> str:
    """The row id of an event key: the sha256 of its three parts."""
    return hashlib.sha256("\x1f".join(key).encode()).hexdigest()


class SqlOpenLineageEvents:
    """The events the OpenLineage intake took in (an :class:`OpenLineageEventStore`).

    :param catalog: the local catalog (migrated on first use).
    """

    def __init__(self, catalog: SqlLocalCatalog) -> None:
        self.catalog = catalog

    def _session(self) -> Session:
        return Session(self.catalog.engine, expire_on_commit=False)

    def add_new(self, events: Sequence[tuple[EventKey, Mapping[str, Any]]]) -> list[bool]:
        """Store the events not stored yet; per event, whether it was new.

        A key given twice in ``events`` is new the first time only. Another process storing
        the same event at the same moment: one of the two finds it stored.

        Side effects: inserts rows.
        """
        ids = [key_id(k) for k, _ in events]
        with self._session() as session:
            known = set(
                session.scalars(
                    select(OpenLineageEventRow.id).where(OpenLineageEventRow.id.in_(set(ids)))
                )
            )
        fresh: list[bool] = []
        rows: list[OpenLineageEventRow] = []
        now = datetime.now(UTC)
        for id_, (key, raw) in zip(ids, events, strict=True):
            new = id_ not in known
            fresh.append(new)
            if new:
                known.add(id_)
                rows.append(_row(id_, key, raw, now))
        try:
            with self._session() as session, session.begin():
                session.add_all(rows)
        except IntegrityError:  # a concurrent delivery won for some: store one at a time
            stored = {r.id for r in rows}
            for row in rows:
                try:
                    with self._session() as session, session.begin():
                        session.add(_row(row.id, _key(row), row.event, now))
                except IntegrityError:
                    stored.discard(row.id)
            fresh = [f and i in stored for f, i in zip(fresh, ids, strict=True)]
        return fresh

    def events_of(self, run_ids: Sequence[str]) -> dict[str, list[Mapping[str, Any]]]:
        """The stored events of each run (as received), oldest first by event time."""
        out: dict[str, list[Mapping[str, Any]]] = {r: [] for r in run_ids}
        unique = sorted(set(run_ids))
        with self._session() as session:
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                query = (
                    select(OpenLineageEventRow.run_id, OpenLineageEventRow.event)
                    .where(OpenLineageEventRow.run_id.in_(chunk))
                    .order_by(OpenLineageEventRow.event_time, OpenLineageEventRow.id)
                )
                for run_id, event in session.execute(query):
                    out[run_id].append(event)
        return out


def _row(id_: str, key: EventKey, raw: Mapping[str, Any], now: datetime) -> OpenLineageEventRow:
    return OpenLineageEventRow(
        id=id_,
        run_id=key[0],
        event_type=key[1],
        event_time=key[2],
        event=dict(raw),
        received_at=now,
    )


def _key(row: OpenLineageEventRow) -> EventKey:
    return (row.run_id, row.event_type, row.event_time)
