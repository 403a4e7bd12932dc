"""OpenLineage intake: the events taken in, for idempotence and runs told out of order.

One row per (run id, event type, event time), keyed by its sha256: a duplicate delivery is
found and changes nothing; a run's events are read back together, so a ``START`` that comes
after its ``COMPLETE`` still adds its datasets.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create ``openlineage_events``."""
    op.create_table(
        "openlineage_events",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("run_id", sa.String(512), nullable=False),
        sa.Column("event_type", sa.String(16), nullable=False),
        sa.Column("event_time", sa.String(64), nullable=False),
        sa.Column("event", sa.JSON, nullable=False),
        sa.Column("received_at", _TZ, nullable=False),
    )
    op.create_index("ix_openlineage_events_run_id", "openlineage_events", ["run_id"])


def downgrade() -> None:
    """Drop ``openlineage_events``."""
    op.drop_index("ix_openlineage_events_run_id", table_name="openlineage_events")
    op.drop_table("openlineage_events")
