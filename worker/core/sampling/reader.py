"""A byte-range reader bound to one object, counting what it fetches."""

from __future__ import annotations

from models import ObjectInfo
from worker.core.ports import ObjectStore


class ObjectReader:
    """Reads ranges of one object through a store and counts bytes and requests.

    The counts are what the report calls ``bytes_read``; benchmarks check them against an
    independent count taken outside the process.
    """

    def __init__(self, store: ObjectStore, info: ObjectInfo) -> None:
        self.store = store
        self.info = info
        self.bytes_read = 0
        self.requests = 0

    @property
    def size(self) -> int:
        """The object's size in bytes."""
        return self.info.size

    def read(self, start: int, end: int) -> bytes:
        """Return bytes ``[start, end)`` (clipped to the object) in one request.

        :raises ObjectVanished, ObjectChanged, StoreUnavailable: from the store.
        """
        start = max(0, start)
        end = min(end, self.info.size)
        if end <= start:
            return b""
        data = self.store.read_range(self.info, start, end)
        self.requests += 1
        self.bytes_read += len(data)
        return data
