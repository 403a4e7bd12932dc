"""Declared schemas on the local catalog's database (``declared_schemas``, migration 0011).

What a dataset's producer declared its columns to be (an OpenLineage ``schema`` facet), one
row per dataset URI; the newest event's declaration wins (:func:`declare`, which the
OpenLineage intake's unit of work calls so the declaration commits with its event).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.declared_schema import DeclaredField, DeclaredSchema
from worker.adapters.catalog.database import SqlLocalCatalog, as_utc, chunks
from worker.adapters.catalog.schema import DeclaredSchemaRow


def declare(session: Session, schemas: Sequence[DeclaredSchema]) -> int:
    """Store each declaration newer than the stored one, in ``session`` (not committed here).

    An older or equally old declaration changes nothing (a replayed event is a no-op).

    :returns: how many rows were written (new or replaced). Side effects: adds or updates rows.
    """
    newest: dict[str, DeclaredSchema] = {}
    for s in schemas:  # the same dataset twice (partition files of one dataset): newest wins
        if s.newer_than(newest.get(s.uri)):
            newest[s.uri] = s
    if not newest:
        return 0
    t = DeclaredSchemaRow
    stored = {
        r.dataset_uri: r
        for chunk in chunks(sorted(newest), 500)
        for r in session.scalars(select(t).where(t.dataset_uri.in_(chunk)))
    }
    now = datetime.now(UTC)
    written = 0
    for uri, s in newest.items():
        row = stored.get(uri)
        if row is not None and not s.newer_than(_schema(row)):
            continue
        if row is None:
            row = DeclaredSchemaRow(dataset_uri=uri)
            session.add(row)
        row.origin = s.origin
        row.fields = [f.to_dict() for f in s.fields]
        row.event_time = s.event_time
        row.run_id = s.run_id
        row.updated_at = now
        written += 1
    return written


def _schema(row: DeclaredSchemaRow) -> DeclaredSchema:
    return DeclaredSchema(
        uri=row.dataset_uri,
        fields=tuple(DeclaredField.from_dict(f) for f in row.fields or []),
        event_time=as_utc(row.event_time),
        run_id=row.run_id,
        origin=row.origin,
    )


class SqlDeclaredSchemas:
    """The declared schemas of datasets, read side.

    :param catalog: the local catalog (migrated on first use).
    """

    def __init__(self, catalog: SqlLocalCatalog) -> None:
        self.catalog = catalog

    def declared(self, uris: Sequence[str]) -> dict[str, DeclaredSchema]:
        """The declared schema of each of ``uris`` that has one."""
        t = DeclaredSchemaRow
        with Session(self.catalog.engine) as session:
            return {
                r.dataset_uri: _schema(r)
                for chunk in chunks(sorted(set(uris)), 500)
                for r in session.scalars(select(t).where(t.dataset_uri.in_(chunk)))
            }
