"""The ranged reads of one sample are made at once, bounded, and read what one by one would.

A recording store serves objects from memory and notes every read: its range, the thread it
ran on and how many reads were in flight when it started. Concurrency is observed with a
latch (reads wait for each other), never with timing.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from models import ObjectInfo, ObjectRef, TableSample
from worker.core.errors import ObjectChanged, ObjectVanished, StoreUnavailable
from worker.core.sampling import SamplingOptions, sample_object
from worker.core.sampling import reader as reader_module
from worker.core.sampling.parquet import _Budget
from worker.core.sampling.reader import ObjectReader
from worker.core.settings import SamplingSettings

KIB = 1024
MIB = 1024 * KIB
# A latch that never opens fails the test instead of hanging it.
_SAFETY_S = 10.0


@dataclass(frozen=True)
class Read:
    start: int
    end: int
    thread: int
    in_flight: int


class RecordingStore:
    """One object in memory; every ``read_range`` is recorded, and may wait at a latch.

    ``latch``: reads of these ranges wait until ``parties`` reads are in flight at once, or
    until every one of them has started (the last, smaller wave).
    """

    def __init__(self, uri: str, data: bytes) -> None:
        self.data = data
        self.info = ObjectInfo(ObjectRef(uri), len(data), hashlib.md5(data).hexdigest())
        self.reads: list[Read] = []
        self.latch: set[tuple[int, int]] = set()
        self.parties = 1
        self.latch_timed_out = False
        self._arrived = 0
        self._in_flight = 0
        self._cond = threading.Condition()

    def read_range(self, info: ObjectInfo, start: int, end: int) -> bytes:
        with self._cond:
            self._in_flight += 1
            self.reads.append(Read(start, end, threading.get_ident(), self._in_flight))
            if (start, end) in self.latch:
                self._arrived += 1
                self._cond.notify_all()
                opened = self._cond.wait_for(
                    lambda: self._in_flight >= self.parties or self._arrived == len(self.latch),
                    timeout=_SAFETY_S,
                )
                self.latch_timed_out |= not opened
        try:
            return self.data[start:end]
        finally:
            with self._cond:
                self._in_flight -= 1

    @property
    def ranges(self) -> list[tuple[int, int]]:
        return [(r.start, r.end) for r in self.reads]

    @property
    def max_in_flight(self) -> int:
        return max(r.in_flight for r in self.reads)


def _parquet(table: pa.Table, **kwargs: object) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, **kwargs)  # type: ignore[arg-type]
    return sink.getvalue()


def _ints(columns: int, rows: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table({f"c{i}": rng.integers(0, 1 << 62, rows) for i in range(columns)})


def _nine_columns() -> bytes:
    """One row group, nine incompressible columns ~240 KB apart."""
    return _parquet(_ints(9, 30_000, 1), row_group_size=30_000, compression="none")


def _wide_mixed() -> bytes:
    rng = np.random.default_rng(2)
    table = _ints(30, 8_000, 3)
    for i in range(6):
        table = table.append_column(
            f"s{i}", pa.array([f"v{x}" for x in rng.integers(0, 10**9, 8_000)])
        )
    return _parquet(table, row_group_size=8_000, data_page_size=16 * KIB)


def _row_groups() -> bytes:
    rng = np.random.default_rng(4)
    table = pa.table(
        {
            "id": np.arange(60_000),
            "x": rng.random(60_000),
            "s": pa.array([f"name-{x}" for x in rng.integers(0, 500, 60_000)]),
        }
    )
    return _parquet(table, row_group_size=5_000)


def _nested() -> bytes:
    rng = np.random.default_rng(5)
    n = 20_000
    table = pa.table(
        {
            "a": pa.array([[int(x), 2] for x in rng.integers(0, 10**9, n)]),
            "st": pa.array([{"k": str(x), "v": int(x)} for x in rng.integers(0, 10**9, n)]),
            "z": rng.random(n),
        }
    )
    return _parquet(table, row_group_size=n, compression="none")


def _big_pages() -> bytes:
    """Blob columns in one page each, larger than the first fetch of a head: decode rounds."""
    rng = np.random.default_rng(6)
    columns: dict[str, pa.Array] = {}
    for i in range(3):
        columns[f"blob{i}"] = pa.array([rng.bytes(1000) for _ in range(3000)])
        columns[f"k{i}"] = pa.array(rng.integers(0, 1 << 62, 3000))
    return _parquet(
        pa.table(columns),
        row_group_size=3000,
        data_page_size=8 * MIB,
        compression="none",
        use_dictionary=False,
    )


def _csv() -> bytes:
    rng = np.random.default_rng(7)
    table = pa.table(
        {
            "id": np.arange(60_000),
            "name": pa.array([f"n{x}" for x in rng.integers(0, 10**6, 60_000)]),
        }
    )
    sink = io.BytesIO()
    pacsv.write_csv(table, sink)
    return sink.getvalue()


# name, object, options, reads a sequential sample makes at least (the shape is what it
# claims to be: several reads to overlap).
SHAPES: list[tuple[str, Callable[[], bytes], dict[str, int], int]] = [
    ("nine-heads.parquet", _nine_columns, {"byte_budget": 1 * MIB}, 10),
    ("nine-tight.parquet", _nine_columns, {"byte_budget": 40 * KIB}, 3),
    ("wide.parquet", _wide_mixed, {"byte_budget": 600 * KIB}, 10),
    ("wide-tiny.parquet", _wide_mixed, {"byte_budget": 100 * KIB}, 4),
    ("groups.parquet", _row_groups, {"byte_budget": 200 * KIB, "max_row_groups": 3}, 2),
    ("nested.parquet", _nested, {"byte_budget": 200 * KIB}, 4),
    ("rounds.parquet", _big_pages, {"byte_budget": 8 * MIB}, 6),
    ("rounds-short.parquet", _big_pages, {"byte_budget": 7 * MIB}, 5),
    ("table.csv", _csv, {"byte_budget": 64 * KIB, "text_ranges": 6}, 7),
]


def _sample(store: RecordingStore, **options: int) -> tuple[TableSample, ObjectReader]:
    reader = ObjectReader(store, store.info)  # type: ignore[arg-type]
    return sample_object(reader, SamplingOptions(**options)), reader  # type: ignore[arg-type]


def _pool_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("sample-get")]


def _one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the Parquet sampler fetch as it did before reads were planned: check, fetch, next."""

    def fetch(self: _Budget, start: int, end: int) -> None:
        for s, e in self.cache.missing(start, end):
            self.cache.fetch(self.reader, s, e)

    def fetch_affordable(self: _Budget, ranges: list[tuple[int, int]]) -> bool:
        taken = False
        for s, e in ranges:
            if self.cost(s, e) <= self.left:
                fetch(self, s, e)
                taken = True
        return taken

    monkeypatch.setattr(_Budget, "fetch", fetch)
    monkeypatch.setattr(_Budget, "fetch_affordable", fetch_affordable)


@pytest.mark.parametrize(("name", "build", "options", "least"), SHAPES, ids=[s[0] for s in SHAPES])
def test_concurrent_reads_are_the_sequential_reads(
    name: str,
    build: Callable[[], bytes],
    options: dict[str, int],
    least: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = build()
    with monkeypatch.context() as patch:
        _one_by_one(patch)
        reference = RecordingStore(f"s3://b/{name}", data)
        expected, expected_reader = _sample(reference, **options, max_concurrent_gets=1)
    assert len(reference.reads) >= least
    for concurrency in (1, 2, 8):
        store = RecordingStore(f"s3://b/{name}", data)
        got, reader = _sample(store, **options, max_concurrent_gets=concurrency)
        if concurrency == 1:
            assert store.ranges == reference.ranges
        else:
            assert sorted(store.ranges) == sorted(reference.ranges)
        assert (reader.bytes_read, reader.requests) == (
            expected_reader.bytes_read,
            expected_reader.requests,
        )
        assert pickle.dumps(got) == pickle.dumps(expected)
    assert not _pool_threads()


def test_one_get_at_a_time_is_strictly_sequential() -> None:
    store = RecordingStore("s3://b/nine.parquet", _nine_columns())
    _sample(store, byte_budget=1 * MIB, max_concurrent_gets=1)
    caller = threading.get_ident()
    assert {r.thread for r in store.reads} == {caller}
    assert store.max_in_flight == 1
    # The footer (the object's tail) first, then the nine column heads in file order.
    footer, *heads = store.ranges
    assert footer[1] == len(store.data)
    assert len(heads) == 9 and heads == sorted(heads)


@pytest.mark.parametrize("limit", [3, 4, 8])
def test_column_heads_are_read_at_once_within_the_limit(
    limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _nine_columns()
    plan = RecordingStore("s3://b/nine.parquet", data)
    _sample(plan, byte_budget=1 * MIB, max_concurrent_gets=1)
    _, *heads = plan.ranges
    pools: list[int] = []

    class Counted(ThreadPoolExecutor):
        def __init__(self, max_workers: int, thread_name_prefix: str) -> None:
            pools.append(max_workers)
            super().__init__(max_workers, thread_name_prefix)

    monkeypatch.setattr(reader_module, "ThreadPoolExecutor", Counted)
    store = RecordingStore("s3://b/nine.parquet", data)
    store.latch, store.parties = set(heads), limit
    _sample(store, byte_budget=1 * MIB, max_concurrent_gets=limit)
    assert not store.latch_timed_out, "the heads were not read at once"
    # Reads wait for each other at the latch: ``limit`` of them were in flight together;
    # the one pool (of the nine heads) had no more threads than that.
    assert store.max_in_flight == limit
    assert pools == [limit]
    assert sorted(store.ranges) == sorted(plan.ranges)
    head_threads = {r.thread for r in store.reads if (r.start, r.end) in store.latch}
    assert threading.get_ident() not in head_threads
    assert not _pool_threads()


def test_a_failed_head_read_fails_the_sample_as_when_read_one_by_one() -> None:
    data = _nine_columns()
    plan = RecordingStore("s3://b/nine.parquet", data)
    _sample(plan, byte_budget=1 * MIB, max_concurrent_gets=1)
    _, *heads = plan.ranges

    class Failing(RecordingStore):
        def read_range(self, info: ObjectInfo, start: int, end: int) -> bytes:
            if (start, end) == heads[4]:
                raise ObjectChanged("s3://b/nine.parquet changed")
            return super().read_range(info, start, end)

    errors = []
    for concurrency in (1, 8):
        store = Failing("s3://b/nine.parquet", data)
        with pytest.raises(ObjectChanged) as caught:
            _sample(store, byte_budget=1 * MIB, max_concurrent_gets=concurrency)
        errors.append((type(caught.value), caught.value.message))
    assert errors[0] == errors[1]
    assert not _pool_threads()


class _Ranges:
    """A store for :meth:`ObjectReader.read_all` whose reads fail or wait as told."""

    def __init__(self, size: int) -> None:
        self.info = ObjectInfo(ObjectRef("s3://b/k"), size, "etag")
        self.started: list[int] = []
        self.lock = threading.Lock()
        self.actions: dict[int, Callable[[], None]] = {}

    def read_range(self, info: ObjectInfo, start: int, end: int) -> bytes:
        with self.lock:
            self.started.append(start)
        action = self.actions.get(start)
        if action is not None:
            action()
        return bytes(end - start)


def test_the_first_error_in_range_order_wins() -> None:
    store = _Ranges(100)
    later_failed = threading.Event()

    def vanish_after_the_later_one() -> None:
        later_failed.wait(_SAFETY_S)
        raise ObjectVanished("s3://b/k no longer exists")

    def unavailable() -> None:
        later_failed.set()
        raise StoreUnavailable("s3 is down")

    store.actions = {10: vanish_after_the_later_one, 30: unavailable}
    reader = ObjectReader(store, store.info)  # type: ignore[arg-type]
    ranges = [(0, 10), (10, 20), (20, 30), (30, 40)]
    with pytest.raises(ObjectVanished):
        reader.read_all(ranges, 4)
    # The later range did fail first (the earlier one waited for it).
    assert later_failed.is_set()
    assert not _pool_threads()


def test_ranges_not_started_when_one_fails_are_cancelled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Reads in flight wait until pending ones are cancelled; none starts after."""
    cancelled = threading.Event()

    class Observed(ThreadPoolExecutor):
        def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
            super().shutdown(wait=False, cancel_futures=cancel_futures)
            cancelled.set()
            super().shutdown(wait=wait, cancel_futures=cancel_futures)

    monkeypatch.setattr(reader_module, "ThreadPoolExecutor", Observed)
    store = _Ranges(1000)

    def fail() -> None:
        raise StoreUnavailable("s3 is down")

    def wait_for_cancel() -> None:
        cancelled.wait(_SAFETY_S)

    store.actions = {0: fail, **{start: wait_for_cancel for start in range(10, 1000, 10)}}
    reader = ObjectReader(store, store.info)  # type: ignore[arg-type]
    with pytest.raises(StoreUnavailable):
        reader.read_all([(s, s + 10) for s in range(0, 1000, 10)], 2)
    assert cancelled.is_set()
    # The failed read, the one in flight beside it and at most one its thread took next.
    assert len(store.started) <= 3
    assert not _pool_threads()


def test_counts_add_up_across_threads() -> None:
    store = _Ranges(64 * 1000)
    reader = ObjectReader(store, store.info)  # type: ignore[arg-type]
    ranges = [(s, s + 1000) for s in range(0, 64 * 1000, 1000)]
    parts = reader.read_all(ranges, 8)
    assert [len(p) for p in parts] == [1000] * 64
    assert (reader.requests, reader.bytes_read) == (64, 64 * 1000)
    assert sorted(store.started) == [s for s, _ in ranges]


def test_the_setting_reaches_the_sampler() -> None:
    assert SamplingSettings().options().max_concurrent_gets == SamplingOptions().max_concurrent_gets
    assert SamplingSettings(max_concurrent_gets=1).options().max_concurrent_gets == 1
    with pytest.raises(ValueError, match="max_concurrent_gets"):
        SamplingSettings(max_concurrent_gets=0)
