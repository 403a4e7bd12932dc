"""Job bookkeeping: the SQL store on SQLite and PostgreSQL and the in-memory fake keep the
same contract (idempotent pages and items, progress); the JobService's transitions on fakes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from models import ObjectInfo, ObjectStatus
from models.jobs import ItemState, JobOptions, JobState
from tests.support.fakes import InMemoryJobStore, InMemoryLocalCatalog, InMemoryObjectStore
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.adapters.catalog.job_store import SqlJobStore
from worker.core.errors import StoreUnavailable
from worker.core.ports import JobStore
from worker.services.jobs.service import JobService


def _exercise(store: JobStore) -> None:
    job = store.create("s3://b/p/", JobOptions(force=True), None)
    got = store.get(job)
    assert got is not None and got.state is JobState.RUNNING and got.options.force
    assert store.add_listed(job, ["s3://b/p/a", "s3://b/p/b"], "p/b", False) == [
        "s3://b/p/a",
        "s3://b/p/b",
    ]
    # The same page delivered twice adds nothing.
    assert store.add_listed(job, ["s3://b/p/b", "s3://b/p/c"], None, True) == ["s3://b/p/c"]
    store.mark(job, "s3://b/p/a", ItemState.CLASSIFIED)
    store.mark(job, "s3://b/p/a", ItemState.CLASSIFIED)  # a duplicate delivery
    store.mark(job, "s3://b/p/b", ItemState.FAILED, "ragged_rows")
    p = store.progress(job)
    assert p is not None
    assert p.listed == 3 and p.counts == {"classified": 1, "failed": 1, "queued": 1}
    assert p.finished == 2 and not p.complete
    assert p.updated_at >= p.created_at  # the latest item time counts
    assert store.queued(job, None, 10) == ["s3://b/p/c"]
    store.set_state(job, JobState.CANCELLED)
    store.mark(job, "s3://b/p/c", ItemState.CANCELLED)
    assert store.queued(job, None, 10) == ["s3://b/p/c"]  # resume sends it again
    assert store.item_status(job, "s3://b/p/a") is ItemState.CLASSIFIED
    assert store.item_status(job, "s3://b/p/z") is None
    assert [j.id for j in store.list_jobs()] == [job]
    other = store.create("s3://b/q/", JobOptions(), None)
    assert [j.id for j in store.list_jobs(state=JobState.RUNNING)] == [other]
    assert [j.id for j in store.list_jobs(state=JobState.CANCELLED)] == [job]
    assert [j.id for j in store.list_jobs(1)] == [other]  # the newest first
    store.set_state(other, JobState.DONE)
    p = store.progress(job)
    assert p is not None and p.state is JobState.CANCELLED and p.finished == 3
    assert store.get("nope") is None and store.progress("nope") is None


def test_pages_and_items_are_idempotent(database_url: str) -> None:
    store = SqlJobStore(SqlLocalCatalog(database_url))
    _exercise(store)
    store.catalog.engine.dispose()


def test_the_in_memory_fake_keeps_the_same_contract() -> None:
    _exercise(InMemoryJobStore())


def test_states_are_stored_as_the_strings_of_before(tmp_path: object) -> None:
    """No migration: the enum values are the strings rows have always held."""
    assert [s.value for s in JobState] == ["running", "cancelled", "done"]
    assert {s.value for s in ItemState} == {
        "queued",
        "classified",
        "skipped",
        "failed",
        "cancelled",
    }
    old = {"force": True}  # a scheduled job's options, as written before JobOptions
    assert JobOptions.from_dict(old) == JobOptions(force=True)
    assert JobOptions.from_dict(JobOptions(include=("*.csv",)).as_dict()).include == ("*.csv",)


@pytest.fixture
def service() -> Iterator[tuple[JobService, InMemoryJobStore, InMemoryLocalCatalog]]:
    store, catalog = InMemoryJobStore(), InMemoryLocalCatalog()
    yield JobService(store, catalog, allow_local_paths=False), store, catalog


def test_a_job_lists_page_by_page_and_completes_when_its_objects_are_final(
    service: tuple[JobService, InMemoryJobStore, InMemoryLocalCatalog],
) -> None:
    jobs, store, catalog = service
    objects = InMemoryObjectStore({f"s3://b/p/{k}.csv": b"a\n1\n" for k in "abc"})
    job_id = jobs.start("s3://b/p/", JobOptions(exclude=("c.csv",)))
    job = jobs.listable(job_id)
    assert job is not None and job.run_id in catalog.runs
    first = jobs.list_next(job, objects, 2)
    assert first.new == ("s3://b/p/a.csv", "s3://b/p/b.csv") and first.more
    job = jobs.listable(job_id)
    assert job is not None
    last = jobs.list_next(job, objects, 2)
    assert last.new == () and not last.more  # c.csv excluded
    assert jobs.listable(job_id) is None  # listing done
    for uri in first.new:
        assert jobs.admit(job_id, uri).answer is None
        jobs.record(job_id, uri, ObjectStatus.CLASSIFIED, None)
    again = jobs.admit(job_id, "s3://b/p/a.csv")
    assert again.answer is ItemState.CLASSIFIED and again.duplicate
    p = jobs.progress(job_id)
    assert p is not None and p.state is JobState.DONE and p.complete


def test_cancel_leaves_objects_alone_and_reopen_sends_them_again(
    service: tuple[JobService, InMemoryJobStore, InMemoryLocalCatalog],
) -> None:
    jobs, store, _ = service
    job_id = jobs.start("s3://b/p/", JobOptions())
    store.add_listed(job_id, ["s3://b/p/a"], None, True)
    assert jobs.cancel(job_id) and not jobs.cancel("nope")
    assert jobs.admit(job_id, "s3://b/p/a").answer is ItemState.CANCELLED
    assert store.item_status(job_id, "s3://b/p/a") is ItemState.CANCELLED
    reopened = jobs.reopen(job_id)
    assert reopened is not None and jobs.get(job_id).state is JobState.RUNNING  # type: ignore[union-attr]
    assert jobs.unfinished(job_id, None, 10) == ["s3://b/p/a"]
    assert jobs.reopen("nope") is None


def test_a_local_target_is_refused_and_recorded_without_listing(
    service: tuple[JobService, InMemoryJobStore, InMemoryLocalCatalog],
) -> None:
    jobs, store, catalog = service
    job_id = jobs.start("/etc", JobOptions())
    job = jobs.get(job_id)
    assert job is not None
    page = jobs.list_next(job, InMemoryObjectStore(), 10)
    assert page.error == "local_path_refused" and page.new == ()
    assert store.item_status(job_id, "/etc") is ItemState.FAILED
    assert catalog.results["/etc"].error is not None
    assert catalog.results["/etc"].error.kind == "local_path_refused"
    assert jobs.get(job_id).state is JobState.DONE  # type: ignore[union-attr]


def test_a_listing_error_ends_the_job_but_an_outage_is_left_to_retry(
    service: tuple[JobService, InMemoryJobStore, InMemoryLocalCatalog],
) -> None:
    jobs, _, _ = service
    job_id = jobs.start("s3://missing/p/", JobOptions())
    job = jobs.get(job_id)
    assert job is not None
    assert jobs.list_next(job, InMemoryObjectStore({"s3://b/x": b""}), 10).error == (
        "bucket_not_found"
    )
    assert jobs.get(job_id).state is JobState.DONE  # type: ignore[union-attr]

    class Down(InMemoryObjectStore):
        def list_objects(self, uri: str) -> Iterator[ObjectInfo]:
            raise StoreUnavailable("S3 LIST failed: SlowDown (HTTP 503)")

    other = jobs.start("s3://b/p/", JobOptions())
    job = jobs.get(other)
    assert job is not None
    with pytest.raises(StoreUnavailable):
        jobs.list_next(job, Down(), 10)
    assert jobs.get(other).state is JobState.RUNNING  # type: ignore[union-attr]


def test_a_failure_outside_a_job_gets_a_run_of_its_own(
    service: tuple[JobService, InMemoryJobStore, InMemoryLocalCatalog],
) -> None:
    jobs, _, catalog = service
    jobs.fail_object("s3://b/x.csv", StoreUnavailable("S3 GET failed (HTTP 503)"))
    [(run_id, counts)] = catalog.runs.items()
    assert counts == {"failed": 1}
    assert catalog.results["s3://b/x.csv"].status is ObjectStatus.FAILED


def test_open_jobs_marks_the_running_jobs_with_work_left(
    service: tuple[JobService, InMemoryJobStore, InMemoryLocalCatalog],
) -> None:
    """What the lost-message watch compares: a mark that moves with listing and with each
    finished object; cancelled jobs are not watched, a complete one is finished on the way."""
    jobs, store, _ = service
    waiting = jobs.start("s3://b/w/", JobOptions())
    listing = jobs.start("s3://b/l/", JobOptions())
    complete = jobs.start("s3://b/c/", JobOptions())
    cancelled = jobs.start("s3://b/x/", JobOptions())
    store.add_listed(waiting, ["s3://b/w/a", "s3://b/w/b"], None, True)
    store.add_listed(complete, ["s3://b/c/a"], None, True)
    jobs.record(complete, "s3://b/c/a", ObjectStatus.CLASSIFIED, None)
    store.add_listed(cancelled, ["s3://b/x/a"], None, True)
    jobs.cancel(cancelled)
    marks = jobs.open_jobs()
    assert set(marks) == {waiting, listing}
    finished = store.get(complete)
    assert finished is not None and finished.state is JobState.DONE
    jobs.record(waiting, "s3://b/w/a", ObjectStatus.CLASSIFIED, None)
    store.add_listed(listing, ["s3://b/l/a"], "l/a", False)
    after = jobs.open_jobs()
    assert after[waiting] != marks[waiting] and after[listing] != marks[listing]
    assert jobs.open_jobs() == after  # nothing happened: the same marks
