"""Steward review: decisions on suggestions, users, sessions, API tokens, logins, audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add the decision columns to suggestions and create the review tables."""
    with op.batch_alter_table("suggestions") as batch:
        batch.alter_column("qualified_name", existing_type=sa.String(2048), nullable=True)
        batch.add_column(sa.Column("evidence", sa.JSON, nullable=True))
        batch.add_column(sa.Column("classifier_version", sa.String(128), nullable=True))
        batch.add_column(sa.Column("decided_by", sa.String(128), nullable=True))
        batch.add_column(sa.Column("decided_at", _TZ, nullable=True))
        batch.add_column(sa.Column("decision_reason", sa.Text, nullable=True))
        batch.add_column(sa.Column("applied_at", _TZ, nullable=True))
        batch.add_column(sa.Column("apply_error", sa.Text, nullable=True))
        batch.create_index("ix_suggestions_state", ["state"])
        batch.create_index("ix_suggestions_tag", ["tag"])
    op.create_table(
        "users",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
    )
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_name", sa.String(128), nullable=False, index=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("expires_at", _TZ, nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_name", sa.String(128), nullable=False, index=True),
        sa.Column("label", sa.String(128), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("last_used_at", _TZ, nullable=True),
        sa.Column("revoked", sa.Boolean, nullable=False),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_name", sa.String(128), nullable=False, index=True),
        sa.Column("address", sa.String(64), nullable=False, index=True),
        sa.Column("at", _TZ, nullable=False, index=True),
        sa.Column("ok", sa.Boolean, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", _TZ, nullable=False, index=True),
        sa.Column("actor", sa.String(128), nullable=False, index=True),
        sa.Column("action", sa.String(64), nullable=False, index=True),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("before", sa.JSON, nullable=True),
        sa.Column("after", sa.JSON, nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
        sa.Column("address", sa.String(64), nullable=True),
    )


def downgrade() -> None:
    """Drop the review tables and the decision columns."""
    for name in ("audit_log", "login_attempts", "api_tokens", "web_sessions", "users"):
        op.drop_table(name)
    with op.batch_alter_table("suggestions") as batch:
        batch.drop_index("ix_suggestions_tag")
        batch.drop_index("ix_suggestions_state")
        for column in (
            "apply_error",
            "applied_at",
            "decision_reason",
            "decided_at",
            "decided_by",
            "classifier_version",
            "evidence",
        ):
            batch.drop_column(column)
        batch.alter_column("qualified_name", existing_type=sa.String(2048), nullable=False)
