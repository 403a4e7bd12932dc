"""Bulk jobs as data: a job's state, its options, its per-object item states and progress.

Pure data types (no I/O). The enum values are the strings the catalog database has always
stored in ``jobs.state`` and ``job_items.status``, so rows written before these types existed
read back unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class JobState(StrEnum):
    """Where a job is: running (listing and enriching), cancelled (stopped) or done."""

    RUNNING = "running"
    #: Stops fan-out; queued tasks leave their object alone (``resume`` sends it again).
    CANCELLED = "cancelled"
    DONE = "done"


class ItemState(StrEnum):
    """The state of one object of a job: queued, a final result, or cancelled."""

    QUEUED = "queued"
    CLASSIFIED = "classified"
    SKIPPED = "skipped"
    FAILED = "failed"
    CANCELLED = "cancelled"


#: Final item states: a task finding one of these for its object is a duplicate delivery.
ITEM_DONE = frozenset({ItemState.CLASSIFIED, ItemState.SKIPPED, ItemState.FAILED})
#: Item states ``resume`` sends again.
ITEM_OPEN = frozenset({ItemState.QUEUED, ItemState.CANCELLED})


@dataclass(frozen=True, slots=True)
class JobOptions:
    """How a job treats its objects (stored as JSON in ``jobs.options``).

    :param force: classify even objects whose ETag and classifier versions are current.
    :param diff_only: classify and record, write nothing to Atlan.
    :param include: only objects whose path under the target matches one of these globs.
    :param exclude: skip objects whose path matches one of these globs.
    :param inventory: take the keys from this S3 Inventory ``manifest.json`` (no LIST).
    """

    force: bool = False
    diff_only: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    inventory: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON form stored in the database."""
        return {
            "force": self.force,
            "diff_only": self.diff_only,
            "include": list(self.include),
            "exclude": list(self.exclude),
            "inventory": self.inventory,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> JobOptions:
        """Read the stored JSON form; missing keys (older or scheduled jobs) take defaults."""
        d = data or {}
        return cls(
            force=bool(d.get("force")),
            diff_only=bool(d.get("diff_only")),
            include=tuple(d.get("include") or ()),
            exclude=tuple(d.get("exclude") or ()),
            inventory=d.get("inventory") or None,
        )


@dataclass(frozen=True, slots=True)
class Job:
    """One job: its target, options, state and where its listing continues.

    :param cursor: the key (or inventory cursor, JSON) listing continues after; ``None``:
        from the start.
    :param listed: objects listed so far (each counted once, however often a page is listed).
    :param run_id: the local catalog run the job's results are recorded under.
    """

    id: str
    target: str
    options: JobOptions
    state: JobState
    cursor: str | None
    listing_done: bool
    listed: int
    run_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class JobProgress:
    """One job's progress (counts only)."""

    id: str
    target: str
    state: JobState
    listing_done: bool
    listed: int
    counts: dict[str, int]
    created_at: datetime
    updated_at: datetime
    options: JobOptions = field(default_factory=JobOptions)

    @property
    def finished(self) -> int:
        """Objects with a final status (cancelled ones count while the job is cancelled)."""
        done = sum(self.counts.get(s, 0) for s in ITEM_DONE)
        cancelled = self.counts.get(ItemState.CANCELLED, 0)
        return done + (cancelled if self.state is JobState.CANCELLED else 0)

    @property
    def complete(self) -> bool:
        """Listing finished and every listed object has a final status."""
        return self.listing_done and self.finished >= self.listed
