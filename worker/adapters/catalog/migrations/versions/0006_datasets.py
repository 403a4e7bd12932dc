"""Datasets: grouped datasets, their partitions and schema versions; alerts.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create ``datasets``, ``dataset_partitions``, ``dataset_schemas`` and ``alerts``."""
    op.create_table(
        "datasets",
        sa.Column("uri", sa.String(2048), primary_key=True),
        sa.Column("bucket", sa.String(255), nullable=False),
        sa.Column("root", sa.Text, nullable=False),
        sa.Column("rule", sa.String(16), nullable=False),
        sa.Column("explanation", sa.Text, nullable=False),
        sa.Column("object_count", sa.Integer, nullable=False),
        sa.Column("total_bytes", sa.BigInteger, nullable=False),
        sa.Column("marker_count", sa.Integer, nullable=False),
        sa.Column("partition_columns", sa.JSON, nullable=False),
        sa.Column("partition_count", sa.Integer, nullable=False),
        sa.Column("formats", sa.JSON, nullable=False),
        sa.Column("newest", _TZ, nullable=True),
        sa.Column("verdict", sa.JSON, nullable=True),
        sa.Column("schema_version", sa.Integer, nullable=True),
        sa.Column("first_seen", _TZ, nullable=False),
        sa.Column("last_seen", _TZ, nullable=False),
        sa.Column("last_scanned", _TZ, nullable=True),
    )
    op.create_index("ix_datasets_bucket", "datasets", ["bucket"])
    op.create_table(
        "dataset_partitions",
        sa.Column("dataset_uri", sa.String(2048), sa.ForeignKey("datasets.uri"), primary_key=True),
        sa.Column("key", sa.String(1024), primary_key=True),
        sa.Column("partition_values", sa.JSON, nullable=False),
        sa.Column("object_count", sa.Integer, nullable=False),
        sa.Column("total_bytes", sa.BigInteger, nullable=False),
        sa.Column("newest", _TZ, nullable=True),
        sa.Column("sample_key", sa.Text, nullable=True),
        sa.Column("row_count", sa.BigInteger, nullable=True),
        sa.Column("null_shares", sa.JSON, nullable=True),
        sa.Column("findings", sa.JSON, nullable=True),
        sa.Column("columns", sa.JSON, nullable=True),
        sa.Column("first_seen", _TZ, nullable=False),
        sa.Column("sampled_at", _TZ, nullable=True),
        sa.Column("sample_error", sa.String(64), nullable=True),
    )
    op.create_table(
        "dataset_schemas",
        sa.Column("dataset_uri", sa.String(2048), sa.ForeignKey("datasets.uri"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("columns", sa.JSON, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("changes", sa.JSON, nullable=False),
        sa.Column("recorded_at", _TZ, nullable=False),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("fingerprint", sa.String(32), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("dataset_uri", sa.String(2048), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("first_seen", _TZ, nullable=False),
        sa.Column("last_seen", _TZ, nullable=False),
        sa.Column("occurrences", sa.Integer, nullable=False),
        sa.Column("actor", sa.String(128), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("delivered_at", _TZ, nullable=True),
        sa.Column("announced_at", _TZ, nullable=True),
    )
    for column in ("kind", "severity", "dataset_uri", "state"):
        op.create_index(f"ix_alerts_{column}", "alerts", [column])


def downgrade() -> None:
    """Drop the dataset and alert tables."""
    op.drop_table("alerts")
    op.drop_table("dataset_schemas")
    op.drop_table("dataset_partitions")
    op.drop_index("ix_datasets_bucket", "datasets")
    op.drop_table("datasets")
