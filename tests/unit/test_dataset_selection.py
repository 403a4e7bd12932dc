from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.datasets import PartitionInfo
from worker.core.datasets.selection import select_partitions

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def daily(n: int) -> list[PartitionInfo]:
    return [
        PartitionInfo(f"dt={(T0 + timedelta(days=i)).date()}/", newest=T0 + timedelta(days=i))
        for i in range(n)
    ]


def keys(parts: list[PartitionInfo]) -> list[str]:
    return [p.key for p in parts]


def test_first_scan_newest_then_a_seeded_draw() -> None:
    parts = daily(100)
    chosen = select_partitions(parts, (), max_partitions=8, newest=4, seed=0, dataset="s3://b/o/")
    assert keys(chosen)[:4] == [
        "dt=2025-04-10/",
        "dt=2025-04-09/",
        "dt=2025-04-08/",
        "dt=2025-04-07/",
    ]
    drawn = chosen[4:]
    assert len(drawn) == 4 and len(set(keys(chosen))) == 8
    assert keys(drawn) == sorted(keys(drawn))
    assert all(p.key < "dt=2025-04-07/" for p in drawn)
    # Deterministic: same inputs, same draw, whatever the input order.
    again = select_partitions(parts[::-1], [], 8, 4, 0, dataset="s3://b/o/")
    assert keys(again) == keys(chosen)


def test_the_draw_depends_on_seed_and_dataset() -> None:
    parts = daily(200)
    base = keys(select_partitions(parts, (), 10, 0, seed=1, dataset="s3://b/a/"))
    assert keys(select_partitions(parts, (), 10, 0, seed=2, dataset="s3://b/a/")) != base
    assert keys(select_partitions(parts, (), 10, 0, seed=1, dataset="s3://b/z/")) != base


def test_rescan_samples_only_new_partitions_newest_first() -> None:
    parts = daily(30)
    sampled = {p.key for p in parts[:25]}
    chosen = select_partitions(parts, sampled, max_partitions=3, newest=1, seed=0)
    assert keys(chosen) == ["dt=2025-01-30/", "dt=2025-01-29/", "dt=2025-01-28/"]
    assert select_partitions(parts, keys(parts), 3, 1, 0) == []


def test_fewer_partitions_than_the_cap_and_edge_values() -> None:
    parts = daily(3)
    assert sorted(keys(select_partitions(parts, (), 8, 4, 0))) == keys(parts)
    assert select_partitions(parts, (), 0, 4, 0) == []
    assert len(select_partitions(parts, (), 2, 5, 0)) == 2  # newest never exceeds the cap
    assert select_partitions([], (), 8, 4, 0) == []


def test_without_timestamps_the_greater_key_is_newer() -> None:
    parts = [PartitionInfo("dt=2025-01-01/"), PartitionInfo("dt=2025-01-03/"),
             PartitionInfo("dt=2025-01-02/", newest=T0)]  # fmt: skip
    assert keys(select_partitions(parts, (), 2, 2, 0)) == ["dt=2025-01-02/", "dt=2025-01-03/"]
    # The unpartitioned dataset's single partition.
    assert keys(select_partitions([PartitionInfo("")], (), 8, 4, 0)) == [""]
