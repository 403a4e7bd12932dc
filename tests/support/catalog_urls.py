"""The database URL of a test parametrised over ``sqlite`` and ``postgresql`` catalogs."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

#: The local PostgreSQL server's admin database (``make test`` starts the server).
POSTGRES_ADMIN_URL = os.environ.get(
    "ENRICHER_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextlib.contextmanager
def fresh_postgres(prefix: str = "enricher_test") -> Iterator[str]:
    """A new, empty PostgreSQL database on :data:`POSTGRES_ADMIN_URL`'s server: its URL.

    Side effects: creates the database, and drops it (closing its connections) on exit.
    :raises sqlalchemy.exc.OperationalError: the server is not running.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh SQLite file for ``request.param == "sqlite"``, else the suite's PostgreSQL.

    The PostgreSQL URL comes from the ``postgres_url`` fixture (as ``database_url`` gives it).
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.db'}"
    return str(request.getfixturevalue("postgres_url"))
