"""Alembic environment: migrates the connection :mod:`worker.adapters.catalog.migrate` hands over.

There is no ``alembic.ini``: the configuration comes from
:func:`worker.adapters.catalog.migrate.alembic_config`. To write a new migration, call
``alembic.command.revision(alembic_config(), message=..., autogenerate=True)``; with no
connection handed over, this environment connects to ``ENRICH_DATABASE_URL`` (default
``sqlite:///enricher.db``).
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from worker.adapters.catalog.schema import metadata

config = context.config
connection = config.attributes.get("connection")


def _run(conn: object) -> None:
    context.configure(
        connection=conn,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,  # SQLite needs batch mode to alter columns
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    engine = create_engine(os.environ.get("ENRICH_DATABASE_URL", "sqlite:///enricher.db"))
    with engine.begin() as conn:
        _run(conn)
