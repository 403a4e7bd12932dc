"""Atlan write benchmark: mutating requests and wall time for 1,000 objects, then a re-scan.

Runs the real writer (``AtlanCatalogWriter``, real pyatlan) against the fake Atlan server of
the test suite (``tests/atlan_server.py``) on 127.0.0.1. Phase "first scan" registers
``--objects`` objects with findings; phase "unchanged re-scan" writes the same results again.
Targets: at most one bulk request per ``batch_size`` (20) assets per phase on the first
scan; zero mutating requests on the unchanged re-scan.

Usage: ``python bench/atlan.py [--objects 1000] [--batch-size 20]``.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models import (  # noqa: E402
    ColumnFinding,
    ColumnSample,
    EnrichmentResult,
    EntityFinding,
    Evidence,
    ObjectInfo,
    ObjectRef,
    ObjectStatus,
    SamplingInfo,
    TableSample,
)
from models.plan import DesiredObject  # noqa: E402
from worker.atlan.plan import desired_object  # noqa: E402
from worker.settings import AtlanSettings  # noqa: E402

ENTITIES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "PERSON")


def _desired(i: int, settings: AtlanSettings) -> DesiredObject:
    ref = ObjectRef.parse(f"s3://bench-lake/exports/part={i % 10}/obj-{i:05d}.parquet")
    info = ObjectInfo(ref, 10_000 + i, f"etag-{i}", datetime(2025, 1, 1, tzinfo=UTC))
    sample = TableSample(
        info=info,
        format="parquet",
        compression="snappy",
        columns=(ColumnSample("c", "string", ()),),
        rows_sampled=1000,
        row_count=50_000,
        row_count_estimated=False,
        bytes_read=1,
        sampling=SamplingInfo(method="parquet-row-groups"),
    )
    entity = ENTITIES[i % len(ENTITIES)]
    finding = EntityFinding(entity, 0.97, 0.9, Evidence(1000, 900, 800, 0.97), "pii")
    result = EnrichmentResult(
        ref=ref,
        status=ObjectStatus.CLASSIFIED,
        info=info,
        sample=sample,
        columns=(ColumnFinding("c", "string", (finding,)),),
        classifier_versions={"pii": "bench"},
    )
    d = desired_object(result, settings, datetime(2026, 1, 1, tzinfo=UTC))
    assert d is not None
    return d


def main(argv: list[str] | None = None) -> int:
    """Run both phases and print requests, time and PASS/FAIL."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=20)
    args = parser.parse_args(argv)
    from tests.atlan_server import FakeAtlan
    from tests.integration.atlan_conftest_fixtures import close_atlan_client, make_atlan_client
    from worker.atlan.writer import AtlanCatalogWriter
    from worker.catalog.atlan_state import SqlAtlanState
    from worker.catalog.sql import SqlLocalCatalog

    settings = AtlanSettings(enabled=True, batch_size=args.batch_size)
    desired = [_desired(i, settings) for i in range(args.objects)]
    with tempfile.TemporaryDirectory() as tmp, FakeAtlan(api_key="bench-key") as server:
        client = make_atlan_client(server, api_key="bench-key")
        state = SqlAtlanState(SqlLocalCatalog(f"sqlite:///{Path(tmp) / 'bench.db'}"))
        writer = AtlanCatalogWriter(settings, state, client=client)
        writer.init()
        rows = []
        for phase in ("first scan", "unchanged re-scan"):
            before = len(server.mutating_requests())
            reads_before = len(server.requests)
            started = time.perf_counter()
            report = writer.write(desired)
            elapsed = time.perf_counter() - started
            mutating = server.mutating_requests()[before:]
            sizes = [len((r.body or {}).get("entities", [])) for r in mutating]
            reads = len(server.requests) - reads_before - len(mutating)
            rows.append((phase, len(mutating), max(sizes, default=0), reads, elapsed, report))
        close_atlan_client(client)
    first, again = rows
    # Per phase (objects, tags) one request per batch, plus the bucket registration.
    allowed = 2 * math.ceil(args.objects / args.batch_size) + 1
    print(f"{'phase':<20} {'mutating':>8} {'max assets':>10} {'reads':>6} {'seconds':>8}")
    for phase, mutating, biggest, reads, elapsed, _ in rows:
        print(f"{phase:<20} {mutating:>8} {biggest:>10} {reads:>6} {elapsed:>8.2f}")
    ok_first = first[1] <= allowed and first[2] <= args.batch_size
    ok_again = again[1] == 0
    print(
        f"first scan: {first[1]} mutating requests for {args.objects} objects "
        f"(target <= {allowed}: one per {args.batch_size} assets per phase + the bucket) "
        f"{'PASS' if ok_first else 'FAIL'}"
    )
    verdict = "PASS" if ok_again else "FAIL"
    print(f"unchanged re-scan: {again[1]} mutating requests (target 0) {verdict}")
    return 0 if ok_first and ok_again else 1


if __name__ == "__main__":
    sys.exit(main())
