"""Bulk jobs in the local catalog: state, listing cursor and one idempotent row per object.

Implements :class:`worker.core.ports.JobStore`. Progress is counted from ``job_items``, so a
task delivered twice (a worker killed after the work but before the ack) changes nothing: its
row is upserted, never added again. States are stored as the string values of
:class:`~models.jobs.JobState` and :class:`~models.jobs.ItemState`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from models.jobs import ITEM_OPEN, ItemState, Job, JobOptions, JobProgress, JobState
from worker.adapters.catalog.database import SqlLocalCatalog, job_items, jobs

# The statements every enrich task runs, built once (values come as execution parameters,
# so the compiled cache keeps one entry each). ``match_*`` name the WHERE parameters apart
# from the columns.
_ITEM = (job_items.c.job_id == bindparam("match_job")) & (job_items.c.uri == bindparam("match_uri"))
_GET_JOB = select(jobs).where(jobs.c.id == bindparam("match_job"))
_ITEM_STATUS = select(job_items.c.status).where(_ITEM)
_MARK_ITEM = update(job_items).where(_ITEM).values(attempts=job_items.c.attempts + 1)
_INSERT_ITEM = insert(job_items)


class SqlJobStore:
    """Jobs on the local catalog's database (SQLite or PostgreSQL)."""

    def __init__(self, catalog: SqlLocalCatalog) -> None:
        self.catalog = catalog

    def create(self, target: str, options: JobOptions, run_id: str | None) -> str:
        """Insert a running job; return its id."""
        job_id = uuid.uuid4().hex[:12]
        now = datetime.now(UTC)
        with self.catalog.engine.begin() as conn:
            conn.execute(
                insert(jobs).values(
                    id=job_id,
                    target=target,
                    options=options.as_dict(),
                    state=JobState.RUNNING.value,
                    cursor=None,
                    listing_done=False,
                    listed=0,
                    run_id=run_id,
                    created_at=now,
                    updated_at=now,
                )
            )
        return job_id

    def get(self, job_id: str) -> Job | None:
        """The job, or ``None``."""
        with self.catalog.engine.connect() as conn:
            row = conn.execute(_GET_JOB, {"match_job": job_id}).first()
        return _job(row._mapping) if row is not None else None

    def set_state(self, job_id: str, state: JobState) -> None:
        """Change the job's state."""
        with self.catalog.engine.begin() as conn:
            conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id)
                .values(state=JobState(state).value, updated_at=datetime.now(UTC))
            )

    def add_listed(
        self, job_id: str, uris: Sequence[str], cursor: str | None, done: bool
    ) -> list[str]:
        """Record a listed page: its objects as ``queued`` and where listing continues.

        Idempotent: a page listed twice (a redelivered listing task) adds nothing twice.

        :returns: the URIs that were new to the job (the ones to enqueue).
        """
        now = datetime.now(UTC)
        new: list[str] = []
        with self.catalog.engine.begin() as conn:
            existing = set()
            for start in range(0, len(uris), 500):
                chunk = list(uris[start : start + 500])
                existing |= set(
                    conn.execute(
                        select(job_items.c.uri).where(
                            (job_items.c.job_id == job_id) & job_items.c.uri.in_(chunk)
                        )
                    ).scalars()
                )
            new = [u for u in uris if u not in existing]
            if new:
                conn.execute(
                    insert(job_items),
                    [
                        {
                            "job_id": job_id,
                            "uri": u,
                            "status": ItemState.QUEUED.value,
                            "attempts": 0,
                            "updated_at": now,
                        }
                        for u in new
                    ],
                )
            conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id)
                .values(
                    cursor=cursor,
                    listing_done=done,
                    listed=jobs.c.listed + len(new),
                    updated_at=now,
                )
            )
        return new

    def mark(self, job_id: str, uri: str, status: ItemState, error_kind: str | None = None) -> None:
        """Set one object's final status (upsert: a second delivery overwrites, never adds)."""
        now = datetime.now(UTC)
        state = ItemState(status).value
        with self.catalog.engine.begin() as conn:
            done = conn.execute(
                _MARK_ITEM,
                {
                    "match_job": job_id,
                    "match_uri": uri,
                    "status": state,
                    "error_kind": error_kind,
                    "updated_at": now,
                },
            )
            if done.rowcount == 0:
                try:
                    conn.execute(
                        _INSERT_ITEM,
                        {
                            "job_id": job_id,
                            "uri": uri,
                            "status": state,
                            "error_kind": error_kind,
                            "attempts": 1,
                            "updated_at": now,
                        },
                    )
                except IntegrityError:  # a concurrent delivery inserted it first
                    pass
            # No write to the job's own row here: every worker would queue on that one row.
            # progress() takes the latest item time instead.

    def item_status(self, job_id: str, uri: str) -> ItemState | None:
        """The object's state in the job, or ``None``."""
        with self.catalog.engine.connect() as conn:
            status = conn.execute(
                _ITEM_STATUS, {"match_job": job_id, "match_uri": uri}
            ).scalar_one_or_none()
        return ItemState(status) if status is not None else None

    def progress(self, job_id: str) -> JobProgress | None:
        """Counts per item status, and the job's state."""
        job = self.get(job_id)
        if job is None:
            return None
        with self.catalog.engine.connect() as conn:
            counts: dict[str, int] = dict(
                conn.execute(
                    select(job_items.c.status, func.count())
                    .where(job_items.c.job_id == job_id)
                    .group_by(job_items.c.status)
                ).all()
            )
            last_item = conn.execute(
                select(func.max(job_items.c.updated_at)).where(job_items.c.job_id == job_id)
            ).scalar_one_or_none()
        return JobProgress(
            id=job.id,
            target=job.target,
            state=job.state,
            listing_done=job.listing_done,
            listed=job.listed,
            counts={str(k): int(v) for k, v in counts.items()},
            created_at=job.created_at,
            updated_at=_latest(job.updated_at, last_item),
            options=job.options,
        )

    def list_jobs(self, limit: int = 20, state: JobState | None = None) -> list[JobProgress]:
        """The newest jobs first (only those in ``state``, when given)."""
        query = select(jobs.c.id).order_by(jobs.c.created_at.desc()).limit(limit)
        if state is not None:
            query = query.where(jobs.c.state == state.value)
        with self.catalog.engine.connect() as conn:
            ids = conn.execute(query).scalars()
            id_list = list(ids)
        return [p for i in id_list if (p := self.progress(i)) is not None]

    def queued(self, job_id: str, after: str | None, limit: int) -> list[str]:
        """Objects of the job not finished (queued or cancelled), in URI order after ``after``."""
        open_states = sorted(s.value for s in ITEM_OPEN)
        cond = (job_items.c.job_id == job_id) & job_items.c.status.in_(open_states)
        if after:
            cond = cond & (job_items.c.uri > after)
        with self.catalog.engine.connect() as conn:
            return list(
                conn.execute(
                    select(job_items.c.uri).where(cond).order_by(job_items.c.uri).limit(limit)
                ).scalars()
            )


def _job(row: Any) -> Job:
    """A :class:`Job` from a ``jobs`` row mapping."""
    return Job(
        id=row["id"],
        target=row["target"],
        options=JobOptions.from_dict(row["options"]),
        state=JobState(row["state"]),
        cursor=row["cursor"],
        listing_done=bool(row["listing_done"]),
        listed=int(row["listed"]),
        run_id=row["run_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _latest(job_time: datetime, item_time: datetime | None) -> datetime:
    """The later of two times, in the job time's own form (SQLite's are naive UTC)."""
    if item_time is None:
        return job_time
    if job_time.tzinfo is None and item_time.tzinfo is not None:
        item_time = item_time.astimezone(UTC).replace(tzinfo=None)
    elif job_time.tzinfo is not None and item_time.tzinfo is None:
        item_time = item_time.replace(tzinfo=UTC)
    return max(job_time, item_time)
