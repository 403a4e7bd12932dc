"""Alembic migrations of the local catalog and review store (see ``worker.catalog.migrate``)."""
