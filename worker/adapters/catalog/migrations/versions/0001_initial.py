"""The schema before Alembic: what ``create_all`` made up to s3-enricher 0.1 (issues 1-6).

A database created then (no ``alembic_version`` table) is stamped at this revision and
upgraded from here.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TABLES = (
    "job_items",
    "jobs",
    "suggestions",
    "atlan_outbox",
    "atlan_written",
    "findings",
    "columns",
    "objects",
    "runs",
)


def upgrade() -> None:
    """Create the original tables."""
    op.create_table(
        "runs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("command", sa.String(64), nullable=False),
        sa.Column("targets", sa.JSON, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("counts", sa.JSON),
    )
    op.create_table(
        "objects",
        sa.Column("uri", sa.String(2048), primary_key=True),
        sa.Column("bucket", sa.String(255), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("etag", sa.String(255)),
        sa.Column("version_id", sa.String(1024)),
        sa.Column("size_bytes", sa.Integer),
        sa.Column("last_modified", sa.DateTime(timezone=True)),
        sa.Column("content_type", sa.String(255)),
        sa.Column("storage_class", sa.String(64)),
        sa.Column("format", sa.String(32)),
        sa.Column("compression", sa.String(32)),
        sa.Column("row_count", sa.Integer),
        sa.Column("row_count_estimated", sa.Boolean),
        sa.Column("rows_sampled", sa.Integer),
        sa.Column("bytes_read", sa.Integer),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_kind", sa.String(64)),
        sa.Column("error_message", sa.Text),
        sa.Column("classifier_versions", sa.JSON),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_id", sa.String(36), sa.ForeignKey("runs.id")),
    )
    op.create_table(
        "columns",
        sa.Column("object_uri", sa.String(2048), sa.ForeignKey("objects.uri"), primary_key=True),
        sa.Column("name", sa.String(1024), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("data_type", sa.String(128), nullable=False),
    )
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "object_uri", sa.String(2048), sa.ForeignKey("objects.uri"), nullable=False, index=True
        ),
        sa.Column("column_name", sa.String(1024), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False, index=True),
        sa.Column("classifier", sa.String(64), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("prevalence", sa.Float, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
    )
    op.create_table(
        "atlan_written",
        sa.Column("qualified_name", sa.String(2048), primary_key=True),
        sa.Column("description_hash", sa.String(64)),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("custom_metadata_hash", sa.String(64)),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "atlan_outbox",
        sa.Column("object_uri", sa.String(2048), primary_key=True),
        sa.Column("desired", sa.JSON, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("first_queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_tried_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "suggestions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("object_uri", sa.String(2048), nullable=False, index=True),
        sa.Column("qualified_name", sa.String(2048), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("tag", sa.String(255), nullable=False),
        sa.Column("entity", sa.String(64)),
        sa.Column("column_name", sa.String(1024)),
        sa.Column("confidence", sa.Float),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("cursor", sa.Text),
        sa.Column("listing_done", sa.Boolean, nullable=False),
        sa.Column("listed", sa.Integer, nullable=False),
        sa.Column("run_id", sa.String(36)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "job_items",
        sa.Column("job_id", sa.String(36), primary_key=True),
        sa.Column("uri", sa.String(2048), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("error_kind", sa.String(64)),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Drop every table."""
    for name in _TABLES:
        op.drop_table(name)
