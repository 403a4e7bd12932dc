"""Declared schemas: the columns a dataset's producer declared (OpenLineage ``schema`` facet).

One row per dataset URI (S3 endpoints resolved to their dataset): the fields (name, type,
description), where they came from (``openlineage``), the event time and run id of the
declaring event. The newest event's declaration wins; an older one changes nothing.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create ``declared_schemas``."""
    op.create_table(
        "declared_schemas",
        sa.Column("dataset_uri", sa.String(2048), primary_key=True),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("event_time", _TZ, nullable=False),
        sa.Column("run_id", sa.String(512), nullable=True),
        sa.Column("updated_at", _TZ, nullable=False),
    )


def downgrade() -> None:
    """Drop ``declared_schemas``."""
    op.drop_table("declared_schemas")
