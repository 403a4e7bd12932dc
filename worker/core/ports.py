"""The ports: small protocols the core function depends on. Adapters implement them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol, runtime_checkable

from models import EnrichmentResult, ObjectInfo, ObjectRef


@runtime_checkable
class ObjectStore(Protocol):
    """Lists objects, reports their metadata and serves byte ranges.

    Implementations: :class:`worker.adapters.storage.local.LocalObjectStore`,
    :class:`worker.adapters.storage.s3.S3ObjectStore`;
    :class:`worker.adapters.storage.routing.RoutingObjectStore`
    dispatches on the URI scheme.
    """

    def list_objects(self, uri: str) -> Iterator[ObjectInfo]:
        """Yield every object at or under ``uri`` (an object, a prefix or a directory).

        Pages through listings lazily; never holds the whole listing in memory.

        :raises RunError: the bucket/path does not exist, credentials are rejected, the
            endpoint is unreachable.
        """
        ...

    def head(self, ref: ObjectRef) -> ObjectInfo:
        """Return the current metadata of one object.

        :raises ObjectVanished: the object does not exist (any more).
        :raises RunError: as for :meth:`list_objects`.
        :raises StoreUnavailable: a transient failure.
        """
        ...

    def read_range(self, info: ObjectInfo, start: int, end: int) -> bytes:
        """Return bytes ``[start, end)`` of the object in one request.

        The read is pinned to ``info.etag`` (and ``info.version_id`` when set), so a sample
        never mixes two versions of an object.

        :raises ObjectVanished: deleted since ``info`` was taken.
        :raises ObjectChanged: overwritten since ``info`` was taken.
        :raises StoreUnavailable: a transient failure.
        """
        ...


class LocalCatalog(Protocol):
    """The embedded record of runs, objects, columns and findings (SQLite by default)."""

    def is_current(self, info: ObjectInfo, classifier_versions: Mapping[str, str]) -> bool:
        """Whether ``info`` (same ETag) was already classified with these classifier versions."""
        ...

    def start_run(self, command: str, targets: list[str]) -> str:
        """Open a run record and return its id."""
        ...

    def record(self, run_id: str, result: EnrichmentResult) -> None:
        """Store one object's result (metadata, columns, findings; never sampled values)."""
        ...

    def finish_run(self, run_id: str, counts: Mapping[str, int]) -> None:
        """Close a run record with its per-status counts."""
        ...


class ReviewObserver(Protocol):
    """Told about every recorded result, to keep the steward review queue current."""

    def observe(self, result: EnrichmentResult) -> object:
        """Store the object's suggestions (pending) under the policy and past decisions."""
        ...
