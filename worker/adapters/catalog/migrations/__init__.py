"""Alembic migrations of the local catalog and review store.

Applied by :mod:`worker.adapters.catalog.migrate`.
"""
