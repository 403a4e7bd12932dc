"""Job bookkeeping on SQLite and PostgreSQL: idempotent pages and items, progress."""

from __future__ import annotations

from worker.adapters.catalog.database import SqlLocalCatalog
from worker.adapters.catalog.job_store import SqlJobStore


def test_pages_and_items_are_idempotent(database_url: str) -> None:
    store = SqlJobStore(SqlLocalCatalog(database_url))
    job = store.create("s3://b/p/", {"force": True}, None)
    assert store.add_listed(job, ["s3://b/p/a", "s3://b/p/b"], "p/b", False) == [
        "s3://b/p/a",
        "s3://b/p/b",
    ]
    # The same page delivered twice adds nothing.
    assert store.add_listed(job, ["s3://b/p/b", "s3://b/p/c"], None, True) == ["s3://b/p/c"]
    store.mark(job, "s3://b/p/a", "classified")
    store.mark(job, "s3://b/p/a", "classified")  # a duplicate delivery
    store.mark(job, "s3://b/p/b", "failed", "ragged_rows")
    p = store.progress(job)
    assert p is not None
    assert p.listed == 3 and p.counts == {"classified": 1, "failed": 1, "queued": 1}
    assert p.finished == 2 and not p.complete
    assert p.updated_at >= p.created_at  # the latest item time counts
    assert store.queued(job, None, 10) == ["s3://b/p/c"]
    store.set_state(job, "cancelled")
    store.mark(job, "s3://b/p/c", "cancelled")
    assert store.queued(job, None, 10) == ["s3://b/p/c"]  # resume sends it again
    assert store.item_status(job, "s3://b/p/a") == "classified"
    assert [j.id for j in store.list_jobs()] == [job]
    store.catalog.engine.dispose()
