"""Fetched byte ranges of one object, and a read-only file object served from them.

Parquet decoding goes through pyarrow, which pulls bytes from a file object. Handing it a
:class:`SparseFile` instead of a real stream keeps every byte it sees accounted for: reads are
served from ranges fetched earlier, and a read outside them raises :class:`RangeMissing`
instead of silently fetching more, so the caller decides whether the byte budget allows it.
"""

from __future__ import annotations

import bisect
import io
from collections.abc import Iterable, Sequence

from worker.core.sampling.reader import ObjectReader


class RangeMissing(Exception):  # noqa: N818 - a signal, not an error condition
    """pyarrow asked for bytes ``[start, end)`` that were not fetched.

    Private to the sampler: it never leaves :mod:`worker.core.sampling`.
    """

    def __init__(self, start: int, end: int) -> None:
        super().__init__(f"bytes {start}-{end} were not fetched")
        self.start = start
        self.end = end


class RangeCache:
    """Non-overlapping byte ranges of one object fetched so far, merged when they touch."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._starts: list[int] = []
        self._data: list[bytes] = []

    def add(self, start: int, data: bytes) -> None:
        """Remember ``data`` as bytes ``[start, start + len(data))`` of the object."""
        if not data:
            return
        end = start + len(data)
        # Merge with every stored range that overlaps or touches the new one, so lookups
        # only ever need a single stored range.
        lo = bisect.bisect_right(self._starts, start) - 1
        if lo >= 0 and self._starts[lo] + len(self._data[lo]) < start:
            lo += 1
        lo = max(lo, 0)
        hi = lo
        new_start, new_end = start, end
        while hi < len(self._starts) and self._starts[hi] <= end:
            new_start = min(new_start, self._starts[hi])
            new_end = max(new_end, self._starts[hi] + len(self._data[hi]))
            hi += 1
        merged = bytearray(new_end - new_start)
        for i in range(lo, hi):
            s = self._starts[i]
            merged[s - new_start : s - new_start + len(self._data[i])] = self._data[i]
        merged[start - new_start : end - new_start] = data
        self._starts[lo:hi] = [new_start]
        self._data[lo:hi] = [bytes(merged)]

    def _find(self, pos: int) -> int:
        i = bisect.bisect_right(self._starts, pos) - 1
        if i >= 0 and pos < self._starts[i] + len(self._data[i]):
            return i
        return -1

    def covers(self, start: int, end: int) -> bool:
        """Whether every byte of ``[start, end)`` was fetched."""
        if end <= start:
            return True
        i = self._find(start)
        return i >= 0 and end <= self._starts[i] + len(self._data[i])

    def get(self, start: int, end: int) -> bytes | None:
        """Bytes ``[start, end)`` if they were all fetched, else ``None``."""
        if not self.covers(start, end):
            return None
        if end <= start:
            return b""
        i = self._find(start)
        offset = start - self._starts[i]
        return self._data[i][offset : offset + end - start]

    def available(self, start: int, end: int) -> memoryview:
        """The fetched bytes from ``start`` on, up to ``end`` or the first gap (no copy)."""
        i = self._find(start)
        if i < 0 or end <= start:
            return memoryview(b"")
        s, data = self._starts[i], self._data[i]
        return memoryview(data)[start - s : min(end, s + len(data)) - s]

    def missing(self, start: int, end: int) -> list[tuple[int, int]]:
        """The sub-ranges of ``[start, end)`` not fetched yet."""
        gaps: list[tuple[int, int]] = []
        pos = start
        i = bisect.bisect_right(self._starts, pos) - 1
        i = max(i, 0)
        while pos < end:
            while i < len(self._starts) and self._starts[i] + len(self._data[i]) <= pos:
                i += 1
            if i >= len(self._starts) or self._starts[i] >= end:
                gaps.append((pos, end))
                break
            if self._starts[i] > pos:
                gaps.append((pos, self._starts[i]))
            pos = self._starts[i] + len(self._data[i])
        return gaps

    def fetch(self, reader: ObjectReader, start: int, end: int) -> int:
        """Fetch ``[start, end)`` with one read unless it is already here; return bytes fetched."""
        if self.covers(start, end):
            return 0
        data = reader.read(start, end)
        self.add(start, data)
        return len(data)

    def fetch_all(
        self, reader: ObjectReader, ranges: Sequence[tuple[int, int]], concurrency: int = 1
    ) -> int:
        """Fetch every range not already here, one read each; return the bytes fetched.

        Up to ``concurrency`` reads are in flight at once (see :meth:`ObjectReader.read_all`);
        the data is added here, on the calling thread, in the order of ``ranges``. For
        disjoint ranges this reads exactly what :meth:`fetch` on each in turn reads: which
        of them is here already does not depend on fetching the others.

        :raises ObjectVanished, ObjectChanged, StoreUnavailable: from the store, for the
            first range (in order) that failed; nothing is added then.
        """
        wanted = [(s, e) for s, e in ranges if not self.covers(s, e)]
        fetched = 0
        for (start, _), data in zip(wanted, reader.read_all(wanted, concurrency), strict=True):
            self.add(start, data)
            fetched += len(data)
        return fetched


def coalesce(ranges: Iterable[tuple[int, int]], max_gap: int) -> list[tuple[int, int]]:
    """Sort ranges and merge those separated by at most ``max_gap`` bytes.

    Merging trades a few unneeded bytes for one request fewer.
    """
    merged: list[tuple[int, int]] = []
    for start, end in sorted(r for r in ranges if r[1] > r[0]):
        if merged and start - merged[-1][1] <= max_gap:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


class SparseFile(io.RawIOBase):
    """A read-only, seekable file of the object's size whose reads come from a :class:`RangeCache`.

    A read that is not fully covered raises :class:`RangeMissing` (pyarrow propagates
    exceptions raised in file callbacks), except at the end of the object where a short read is
    the normal end-of-file.
    """

    def __init__(self, cache: RangeCache) -> None:
        super().__init__()
        self._cache = cache
        self._pos = 0

    def readable(self) -> bool:
        """Always readable."""
        return True

    def seekable(self) -> bool:
        """Always seekable."""
        return True

    def writable(self) -> bool:
        """Never writable."""
        return False

    def tell(self) -> int:
        """The current position."""
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move the position like :meth:`io.IOBase.seek`."""
        if whence == io.SEEK_SET:
            self._pos = offset
        elif whence == io.SEEK_CUR:
            self._pos += offset
        else:
            self._pos = self._cache.size + offset
        return self._pos

    def size(self) -> int:
        """The object's size."""
        return self._cache.size

    def read(self, size: int | None = -1) -> bytes:
        """Return up to ``size`` bytes from the position.

        :raises RangeMissing: some of the requested bytes were not fetched.
        """
        end = (
            self._cache.size
            if size is None or size < 0
            else min(self._pos + size, self._cache.size)
        )
        if end <= self._pos:
            return b""
        data = self._cache.get(self._pos, end)
        if data is None:
            raise RangeMissing(self._pos, end)
        self._pos = end
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Read into ``buffer``; see :meth:`read`."""
        data = self.read(len(buffer))
        memoryview(buffer).cast("B")[: len(data)] = data
        return len(data)
