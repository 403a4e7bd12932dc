"""Dataset partitions keep each column's distinct share in the sample.

``distinct_shares``: column → distinct non-null values / non-null values of the partition's
sample (no value is kept), so that data contracts can check a distinct-share rule. Rows
written before this revision have none (read as empty).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``dataset_partitions.distinct_shares`` (JSON, nullable)."""
    with op.batch_alter_table("dataset_partitions") as batch:
        batch.add_column(sa.Column("distinct_shares", sa.JSON, nullable=True))


def downgrade() -> None:
    """Drop ``dataset_partitions.distinct_shares``."""
    with op.batch_alter_table("dataset_partitions") as batch:
        batch.drop_column("distinct_shares")
