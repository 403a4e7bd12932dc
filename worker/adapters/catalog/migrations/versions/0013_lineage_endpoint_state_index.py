"""Lineage lookups by endpoint and state: (source_uri, state) and (target_uri, state) indexes.

``edges_of`` and ``datasets_containing`` ask for the applied edges of some endpoints
(``source_uri IN (...) AND state = 'applied'``). With one index per column, SQLite (which
keeps no statistics here) chose the ``state`` index, which nearly every edge matches, and
scanned the table for each lookup (16-57 ms a query on 50,000 edges); a composite index
serves both terms, so both SQLite and PostgreSQL search by the endpoint. The single-column
endpoint indexes are its prefixes and are dropped.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Replace the endpoint indexes of ``lineage_edges`` by (endpoint, state) ones."""
    op.create_index("ix_lineage_edges_source_state", "lineage_edges", ["source_uri", "state"])
    op.create_index("ix_lineage_edges_target_state", "lineage_edges", ["target_uri", "state"])
    op.drop_index("ix_lineage_edges_source_uri", table_name="lineage_edges")
    op.drop_index("ix_lineage_edges_target_uri", table_name="lineage_edges")


def downgrade() -> None:
    """Back to one index per endpoint column."""
    op.create_index("ix_lineage_edges_source_uri", "lineage_edges", ["source_uri"])
    op.create_index("ix_lineage_edges_target_uri", "lineage_edges", ["target_uri"])
    op.drop_index("ix_lineage_edges_source_state", table_name="lineage_edges")
    op.drop_index("ix_lineage_edges_target_state", table_name="lineage_edges")
