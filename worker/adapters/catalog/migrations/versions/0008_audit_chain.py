"""The audit trail as a hash chain: ``seq``, ``prev_hash`` and ``row_hash`` on every row.

Existing rows are chained in id order (``seq`` 1, 2, 3 ..., the first linked to the genesis
value; :mod:`worker.core.audit_chain`), and the one-row ``audit_chain`` table records the
head. The back-fill vouches for the rows as they are at the upgrade: tampering before it
cannot be detected.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)
_PAGE = 1000

# The table as this revision knows it (frozen: later columns must not leak in here).
_audit = sa.Table(
    "audit_log",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", _TZ),
    sa.Column("actor", sa.String(128)),
    sa.Column("action", sa.String(64)),
    sa.Column("target", sa.Text),
    sa.Column("before", sa.JSON),
    sa.Column("after", sa.JSON),
    sa.Column("detail", sa.Text),
    sa.Column("address", sa.String(64)),
    sa.Column("seq", sa.Integer),
    sa.Column("prev_hash", sa.String(64)),
    sa.Column("row_hash", sa.String(64)),
)


def upgrade() -> None:
    """Add the chain columns, chain the existing rows in id order, add the head table."""
    # Imported here: alembic loads every revision module to build its history.
    from worker.core.audit_chain import GENESIS, row_hash

    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("seq", sa.Integer, nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("row_hash", sa.String(64), nullable=True))
    conn = op.get_bind()
    seq, prev, last_id = 0, GENESIS, None
    while True:  # in pages: an audit log can be long
        query = sa.select(_audit).order_by(_audit.c.id).limit(_PAGE)
        if last_id is not None:
            query = query.where(_audit.c.id > last_id)
        page = conn.execute(query).all()
        if not page:
            break
        for r in page:
            seq += 1
            digest = row_hash(
                seq, r.at, r.actor, r.action, r.target, r.before, r.after, r.detail,
                r.address, prev,
            )  # fmt: skip
            conn.execute(
                sa.update(_audit)
                .where(_audit.c.id == r.id)
                .values(seq=seq, prev_hash=prev, row_hash=digest)
            )
            prev, last_id = digest, r.id
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column("seq", existing_type=sa.Integer, nullable=False)
        batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=False)
        batch.alter_column("row_hash", existing_type=sa.String(64), nullable=False)
        batch.create_index("ix_audit_log_seq", ["seq"], unique=True)
    chain = op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(chain, [{"id": 1, "seq": seq, "head_hash": prev}])


def downgrade() -> None:
    """Drop the head table and the chain columns."""
    op.drop_table("audit_chain")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_index("ix_audit_log_seq")
        for name in ("row_hash", "prev_hash", "seq"):
            batch.drop_column(name)
