"""Lineage joins through datasets: stored S3 endpoints re-resolved to their datasets.

Edges stored before kept an export's file (``s3://lake/exports/users/users.csv``) and a
``COPY``'s prefix (``s3://lake/exports/users/``) as two unrelated nodes. Each stored edge's
S3 endpoints now resolve to their dataset (the ``datasets`` table when a scan filled it,
else the folder heuristic: :mod:`worker.core.lineage.resolve`); hops that become one merge
(the strongest origin wins, column maps are kept, a steward's decision stands) and review
items naming a replaced edge id take the new one. What an endpoint was written as is kept on
the edge. No schema change.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)

# The tables as this revision knows them (frozen: later columns must not leak in here).
_edges = sa.Table(
    "lineage_edges",
    sa.MetaData(),
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("source_uri", sa.String(2048)),
    sa.Column("target_uri", sa.String(2048)),
    sa.Column("origin", sa.String(16)),
    sa.Column("confidence", sa.Float),
    sa.Column("state", sa.String(16)),
    sa.Column("columns", sa.JSON),
    sa.Column("sql", sa.Text),
    sa.Column("location", sa.Text),
    sa.Column("reason", sa.Text),
    sa.Column("first_seen", _TZ),
    sa.Column("last_seen", _TZ),
)
_suggestions = sa.Table(
    "suggestions",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("object_uri", sa.String(2048)),
    sa.Column("kind", sa.String(32)),
    sa.Column("tag", sa.String(255)),
    sa.Column("evidence", sa.JSON),
    sa.Column("classifier_version", sa.String(128)),
    sa.Column("state", sa.String(16)),
)
_datasets = sa.Table(
    "datasets",
    sa.MetaData(),
    sa.Column("uri", sa.String(2048), primary_key=True),
    sa.Column("bucket", sa.String(255)),
    sa.Column("root", sa.Text),
)


def upgrade() -> None:
    """Re-key stored lineage edges on the datasets their S3 endpoints resolve to."""
    # Imported here: the resolver is pure code of this release, and alembic loads every
    # revision module to build its history, also when this one does not run.
    from models.datasets import DatasetRef
    from worker.adapters.catalog.lineage_store import apply_rekey, row_edge
    from worker.core.lineage.resolve import catalog_lookup, rekey_edges

    conn = op.get_bind()
    roots = [DatasetRef(r.bucket, r.root) for r in conn.execute(sa.select(_datasets))]
    lookup = catalog_lookup(roots) if roots else None
    rows = [(row_edge(r), r.state) for r in conn.execute(sa.select(_edges).order_by(_edges.c.id))]
    apply_rekey(conn, _edges, _suggestions, rekey_edges(rows, lookup))


def downgrade() -> None:
    """Nothing to undo: the schema is unchanged and the re-keyed edges stay valid."""
