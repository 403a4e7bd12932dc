"""Value facets: the top values of datasets' non-personal country, currency, region columns.

``dataset_facet_samples``: per dataset and sampled partition, each column's normalised value
counts (refused columns: none); ``dataset_facets``: per dataset the merged top values, one
row per (column, value), indexed by (column type, value) for "which datasets hold SG".
Values of a column with a PII finding are never written (see ``worker.core.facets``).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create ``dataset_facet_samples`` and ``dataset_facets``."""
    op.create_table(
        "dataset_facet_samples",
        sa.Column("dataset_uri", sa.String(2048), primary_key=True),
        sa.Column("partition_key", sa.String(1024), primary_key=True),
        sa.Column("columns", sa.JSON, nullable=False),
        sa.Column("sampled_at", _TZ, nullable=False),
    )
    op.create_table(
        "dataset_facets",
        sa.Column("dataset_uri", sa.String(2048), primary_key=True),
        sa.Column("column_name", sa.String(1024), primary_key=True),
        sa.Column("value", sa.String(64), primary_key=True),
        sa.Column("column_type", sa.String(32), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("share", sa.Float, nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("partitions", sa.Integer, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
    )
    op.create_index("ix_dataset_facets_type_value", "dataset_facets", ["column_type", "value"])


def downgrade() -> None:
    """Drop the facet tables."""
    op.drop_index("ix_dataset_facets_type_value", table_name="dataset_facets")
    op.drop_table("dataset_facets")
    op.drop_table("dataset_facet_samples")
