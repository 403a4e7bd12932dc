"""Lineage edges (declared, parsed from SQL, inferred) with their column maps.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create ``lineage_edges``."""
    op.create_table(
        "lineage_edges",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("source_uri", sa.String(2048), nullable=False, index=True),
        sa.Column("target_uri", sa.String(2048), nullable=False, index=True),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("columns", sa.JSON, nullable=False),
        sa.Column("sql", sa.Text, nullable=True),
        sa.Column("location", sa.Text, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("first_seen", _TZ, nullable=False),
        sa.Column("last_seen", _TZ, nullable=False),
    )


def downgrade() -> None:
    """Drop ``lineage_edges``."""
    op.drop_table("lineage_edges")
