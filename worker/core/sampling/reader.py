"""A byte-range reader bound to one object, counting what it fetches."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from models import ObjectInfo
from worker.core.ports import ObjectStore


class ObjectReader:
    """Reads ranges of one object through a store and counts bytes and requests.

    The counts are what the report calls ``bytes_read``; benchmarks check them against an
    independent count taken outside the process. They are kept under a lock, so
    :meth:`read_all`'s threads (or any caller's) can read at once.
    """

    def __init__(self, store: ObjectStore, info: ObjectInfo) -> None:
        self.store = store
        self.info = info
        self.bytes_read = 0
        self.requests = 0
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        """The object's size in bytes."""
        return self.info.size

    def read(self, start: int, end: int) -> bytes:
        """Return bytes ``[start, end)`` (clipped to the object) in one request.

        Thread-safe (the store's ``read_range`` must be too: the S3 and local stores are).

        :raises ObjectVanished, ObjectChanged, StoreUnavailable: from the store.
        """
        start = max(0, start)
        end = min(end, self.info.size)
        if end <= start:
            return b""
        data = self.store.read_range(self.info, start, end)
        with self._lock:
            self.requests += 1
            self.bytes_read += len(data)
        return data

    def read_all(self, ranges: Sequence[tuple[int, int]], concurrency: int = 1) -> list[bytes]:
        """Return the bytes of every range (see :meth:`read`), in the order of ``ranges``.

        With ``concurrency`` above 1 and more than one range, up to ``concurrency`` requests
        are in flight at once, each on a thread of a pool that lives for this call only;
        otherwise they are made one after another on the calling thread. Which ranges are
        read, and so the counts, does not depend on ``concurrency``.

        :raises ObjectVanished, ObjectChanged, StoreUnavailable: the error of the first range,
            in the order of ``ranges``, whose read failed (what reading them one by one raises
            first). Ranges not started by then are cancelled, and the call returns only once
            those in flight have finished: no thread outlives it.
        """
        if concurrency <= 1 or len(ranges) <= 1:
            return [self.read(start, end) for start, end in ranges]
        workers = min(concurrency, len(ranges))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sample-get") as pool:
            futures = [pool.submit(self.read, start, end) for start, end in ranges]
            try:
                # In range order: an earlier range's error wins over a later one's, even
                # when the later one failed first.
                return [future.result() for future in futures]
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
