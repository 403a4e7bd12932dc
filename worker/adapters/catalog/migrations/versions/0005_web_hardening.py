"""Web hardening: API token scope, expiry and revocation time; idle sessions; webhook replays.

Tokens made before this revision keep their full scope (``write``) and expire 90 days after
the upgrade (``review.token_days``' default), not at once. Open sessions count as seen when
they were created.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)
_TOKEN_DAYS = 90


def upgrade() -> None:
    """Add the columns (filled for existing rows) and the webhook signature table."""
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("scope", sa.String(8), nullable=True))
        batch.add_column(sa.Column("expires_at", _TZ, nullable=True))
        batch.add_column(sa.Column("revoked_at", _TZ, nullable=True))
    with op.batch_alter_table("web_sessions") as batch:
        batch.add_column(sa.Column("last_seen_at", _TZ, nullable=True))
    tokens = sa.table("api_tokens", sa.column("scope", sa.String), sa.column("expires_at", _TZ))
    op.execute(
        tokens.update().values(
            scope="write", expires_at=datetime.now(UTC) + timedelta(days=_TOKEN_DAYS)
        )
    )
    sessions = sa.table(
        "web_sessions", sa.column("created_at", _TZ), sa.column("last_seen_at", _TZ)
    )
    op.execute(sessions.update().values(last_seen_at=sessions.c.created_at))
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("scope", existing_type=sa.String(8), nullable=False)
        batch.alter_column("expires_at", existing_type=_TZ, nullable=False)
    with op.batch_alter_table("web_sessions") as batch:
        batch.alter_column("last_seen_at", existing_type=_TZ, nullable=False)
    op.create_table(
        "webhook_signatures",
        sa.Column("signature", sa.String(64), primary_key=True),
        sa.Column("seen_at", _TZ, nullable=False, index=True),
    )


def downgrade() -> None:
    """Drop the webhook signature table and the new columns."""
    op.drop_table("webhook_signatures")
    with op.batch_alter_table("web_sessions") as batch:
        batch.drop_column("last_seen_at")
    with op.batch_alter_table("api_tokens") as batch:
        for name in ("revoked_at", "expires_at", "scope"):
            batch.drop_column(name)
