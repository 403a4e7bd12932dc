"""Which partitions of a dataset a scan samples.

A dataset of 3,000 daily partitions is not read in full: each scan samples at most
``max_partitions`` of them (the settings' ``datasets.max_partitions_per_scan``).

* First scan (nothing sampled before): the ``newest`` newest partitions (most recent
  ``newest`` timestamp; the greater key on a tie or without timestamps), then a seeded random
  draw among the others up to ``max_partitions``. The draw uses
  ``random.Random(f"{seed}:{dataset}")``, so the same dataset, seed and partitions give the
  same choice on every run and machine, and two datasets do not share one draw.
* Re-scan (some partitions sampled before): only the partitions not sampled yet (new ones),
  newest first, at most ``max_partitions``; nothing when there is nothing new.

The result is newest picks first, then the drawn ones in key order. Pure.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence

from models.datasets import PartitionInfo

__all__ = ["select_partitions"]


def _recency(p: PartitionInfo) -> tuple[bool, float, str]:
    return (p.newest is not None, p.newest.timestamp() if p.newest else 0.0, p.key)


def select_partitions(
    partitions: Sequence[PartitionInfo],
    already_sampled: Collection[str],
    max_partitions: int,
    newest: int,
    seed: int,
    dataset: str = "",
) -> list[PartitionInfo]:
    """Choose the partitions to sample (see the module rules).

    :param already_sampled: keys of the partitions sampled by earlier scans.
    :param newest: of ``max_partitions``, how many are the newest (first scan only).
    :param dataset: the dataset's URI: part of the random draw's seed.
    :returns: at most ``max_partitions`` partitions, no key twice.
    """
    if max_partitions <= 0:
        return []
    unique = list({p.key: p for p in partitions}.values())
    by_recency = sorted(unique, key=_recency, reverse=True)
    if already_sampled:
        return [p for p in by_recency if p.key not in already_sampled][:max_partitions]
    head = by_recency[: min(max(newest, 0), max_partitions)]
    chosen = {p.key for p in head}
    rest = sorted((p for p in unique if p.key not in chosen), key=lambda p: p.key)
    k = min(max_partitions - len(head), len(rest))
    drawn = random.Random(f"{seed}:{dataset}").sample(rest, k) if k > 0 else []
    return head + sorted(drawn, key=lambda p: p.key)
