"""The local catalog database (SQLite or PostgreSQL, SQLAlchemy Core, Alembic migrations).

One schema holds the scan record, the review store, users, jobs, lineage and the Atlan
writer's state and outbox; each store class here implements a port of :mod:`worker.core.ports`.
"""
