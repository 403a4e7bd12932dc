"""Atlan state: guid, object, attribute hash, status and prefix per written asset; connections.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add the new ``atlan_written`` columns and create ``atlan_connections``."""
    with op.batch_alter_table("atlan_written") as batch:
        batch.add_column(sa.Column("guid", sa.String(64), nullable=True))
        batch.add_column(sa.Column("object_uri", sa.String(2048), nullable=True))
        batch.add_column(sa.Column("attributes_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("status", sa.String(16), nullable=True))
        batch.add_column(sa.Column("prefix_qn", sa.String(2048), nullable=True))
        batch.create_index("ix_atlan_written_object_uri", ["object_uri"])
    op.create_table(
        "atlan_connections",
        sa.Column("name", sa.String(512), primary_key=True),
        sa.Column("qualified_name", sa.String(512), nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=False),
        sa.Column("claimed_at", _TZ, nullable=False),
    )


def downgrade() -> None:
    """Drop ``atlan_connections`` and the new columns."""
    op.drop_table("atlan_connections")
    with op.batch_alter_table("atlan_written") as batch:
        batch.drop_index("ix_atlan_written_object_uri")
        for name in ("prefix_qn", "status", "attributes_hash", "object_uri", "guid"):
            batch.drop_column(name)
