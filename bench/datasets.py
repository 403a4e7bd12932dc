"""Dataset grouping on a listing of 1,000,000 keys: wall time and peak RSS, bounded memory.

``make bench-datasets`` (or ``python bench/datasets.py --keys 1000000``). The listing is
generated lazily, in S3 key order, never held in memory: thousands of datasets of every
kind (Hive partitions with Spark output, date paths, Spark folders, numbered shards, Delta
tables, folders of lone files) and, every 1,000th, an hourly Hive dataset of 8,760
partitions. Each phase runs in a fresh process, so its peak RSS is its own:

* ``baseline``: the same imports, then iterate the generator (building every ``ObjectInfo``);
* ``group``: the same listing through :func:`worker.core.datasets.grouping.group`.

Targets for ``group``: under 60 s and under 300 MiB peak RSS (the process: interpreter,
imports and grouper). Exit 1 when a target is missed. Linux (``ru_maxrss`` in KiB).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models import ObjectInfo, ObjectRef  # noqa: E402
from worker.core.datasets.grouping import group  # noqa: E402

TARGET_SECONDS = 60.0
TARGET_MIB = 300.0
_T0 = datetime(2025, 1, 1, tzinfo=UTC)
_JOB = "3f2a1b2c-1111-2222-3333-444455556666"


def _dataset_keys(d: int) -> list[str]:
    """The keys of dataset ``d`` (relative to its root), sorted."""
    if d % 1000 == 999:  # a large one: hourly partitions for a year
        return sorted(
            f"clicks/dt={(_T0 + timedelta(hours=h)):%Y-%m-%d}/hour={h % 24:02d}/part-00000.parquet"
            for h in range(24 * 365)
        )
    kind = d % 6
    if kind == 0:
        keys = ["orders/_SUCCESS"]
        for day in range(60):
            dt = f"orders/dt={(_T0 + timedelta(days=day)):%Y-%m-%d}/"
            for i in range(4):
                name = f"part-{i:05d}-{_JOB}.c000.snappy.parquet"
                keys += [f"{dt}{name}", f"{dt}.{name}.crc"]
        return sorted(keys)
    if kind == 1:
        return [
            f"logs/{(_T0 + timedelta(days=day)):%Y/%m/%d}/app-{i}.json.gz"
            for day in range(30)
            for i in range(6)
        ]
    if kind == 2:
        return ["out/_SUCCESS"] + [
            f"out/part-{i:05d}-{_JOB}.c000.snappy.parquet" for i in range(300)
        ]
    if kind == 3:
        return [f"shards/data_{i:05d}.csv" for i in range(200)]
    if kind == 4:
        log = [f"table/_delta_log/{v:020d}.json" for v in range(10)]
        data = [f"table/country={c:02d}/part-{i:05d}.parquet" for c in range(20) for i in range(10)]
        return log + data
    return [f"reference/{name}.csv" for name in ("countries", "currencies", "holidays", "units")]


def listing(total: int) -> Iterator[ObjectInfo]:
    """``total`` objects of bucket ``bench``, lazily, in S3 key order."""
    n = 0
    d = 0
    while True:
        root = f"s3://bench/ds{d:06d}/"
        for rel in _dataset_keys(d):
            if n == total:
                return
            yield ObjectInfo(ObjectRef(root + rel), 1_000 + n % 5_000, "etag", _T0)
            n += 1
        d += 1


def _phase(name: str, total: int) -> dict[str, float | int]:
    started = time.perf_counter()
    if name == "baseline":
        keys = sum(1 for _ in listing(total))
        datasets = 0
    else:
        keys = 0
        datasets = 0
        partitions = 0

        def counted() -> Iterator[ObjectInfo]:
            nonlocal keys
            for obj in listing(total):
                keys += 1
                yield obj

        for summary in group(counted()):
            datasets += 1
            partitions += len(summary.partitions)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result: dict[str, float | int] = {
        "keys": keys,
        "datasets": datasets,
        "seconds": round(seconds, 2),
        "peak_rss_mib": round(peak, 1),
    }
    if name == "group":
        result["partitions"] = partitions
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--phase", choices=("baseline", "group"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(_phase(args.phase, args.keys)))
        return 0
    rows = {}
    for phase in ("baseline", "group"):
        out = subprocess.run(
            [sys.executable, __file__, "--phase", phase, "--keys", str(args.keys)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        rows[phase] = json.loads(out.stdout)
    base, grouped = rows["baseline"], rows["group"]
    print(f"{'phase':<10} {'keys':>10} {'datasets':>9} {'seconds':>8} {'peak RSS MiB':>13}")
    for phase, row in rows.items():
        print(
            f"{phase:<10} {row['keys']:>10,} {row['datasets']:>9,} {row['seconds']:>8.2f} "
            f"{row['peak_rss_mib']:>13.1f}"
        )
    extra_s = float(grouped["seconds"]) - float(base["seconds"])
    extra_mib = float(grouped["peak_rss_mib"]) - float(base["peak_rss_mib"])
    print(f"grouping over the baseline: +{extra_s:.2f} s, +{extra_mib:.1f} MiB peak RSS")
    print(f"partitions grouped: {grouped['partitions']:,}")
    ok_time = float(grouped["seconds"]) < TARGET_SECONDS
    ok_mem = float(grouped["peak_rss_mib"]) < TARGET_MIB
    print(
        f"targets: < {TARGET_SECONDS:.0f} s {'met' if ok_time else 'MISSED'}, "
        f"< {TARGET_MIB:.0f} MiB peak {'met' if ok_mem else 'MISSED'}"
    )
    return 0 if ok_time and ok_mem else 1


if __name__ == "__main__":
    sys.exit(main())
