"""The database URL of a test parametrised over ``sqlite`` and ``postgresql`` catalogs."""

from __future__ import annotations

from pathlib import Path

import pytest


def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh SQLite file for ``request.param == "sqlite"``, else the suite's PostgreSQL.

    The PostgreSQL URL comes from the ``postgres_url`` fixture (as ``database_url`` gives it).
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.db'}"
    return str(request.getfixturevalue("postgres_url"))
