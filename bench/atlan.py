"""Atlan write benchmark: 1,000 objects against a faithful fake Atlan with search lag and faults.

Runs the real writer (``AtlanCatalogWriter``, real pyatlan, a SQLite local catalog) against
the fake Atlan of the test suite (``tests/support/atlan_server.py``) on 127.0.0.1, twice in one
process on the same ``--objects`` objects:

* **baseline**: a fresh fake Atlan, no search lag, no faults;
* **lag+faults**: a fresh fake Atlan whose search shows writes ``--lag`` seconds (real time)
  after they happen and which answers a share ``--fault-rate`` of all requests with a
  gateway's 502 page or a 429 (``Retry-After: --retry-after``), as ``fail_randomly`` does.

Each run has four phases: ``init`` (tags, custom metadata, connection), ``first scan``
(``write`` then up to ``--max-flushes`` outbox flushes while a write is unconfirmed), an
unchanged ``re-scan in lag`` started right after the first scan's last write (search does not
show the latest writes yet: the hard case), and an unchanged ``re-scan after lag`` once more
than ``--lag`` seconds have passed since that write.

Targets, per run (PASS/FAIL; exit status 1 if any fails): every object is exactly one
ACTIVE ``S3Object`` (by ``s3BucketName`` + ``s3ObjectKey``) carrying exactly its expected tags;
both re-scans send no mutating request; no false rejection (``rejected`` suggestions in the
review store) and no "removed in Atlan by a person" note; every write confirmed (last report
without error, outbox empty) after at most ``--max-flushes`` flushes; and the first scan's
answered bulk requests stay within one per ``--batch-size`` assets per phase plus the bucket
(no batch split). Ratios lag+faults / baseline of the first scan are printed (the project
measures speed as ratios against a baseline of the same run).

Usage: ``python bench/atlan.py [--objects 1000] [--lag 5] [--fault-rate 0.02] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from worker.core.plan.desired import desired_object  # noqa: E402
from worker.core.settings import AtlanSettings  # noqa: E402

if TYPE_CHECKING:
    from models.plan import WriteReport
    from tests.support.atlan_server import FakeAtlan, RecordedRequest

API_KEY = "bench-key"
BUCKET = "bench-lake"
#: Entities found with high confidence (tagged under ``auto``), cycling over the objects:
#: one, two or three PII tags plus the umbrella tag, or none at all.
PROFILES: tuple[tuple[str, ...], ...] = (
    ("EMAIL_ADDRESS",),
    ("PHONE_NUMBER",),
    (),
    ("US_SSN", "PERSON"),
    ("EMAIL_ADDRESS", "PHONE_NUMBER", "PERSON"),
)
#: Every third object also has a low-confidence finding: a suggestion for review, no tag.
WEAK_ENTITY = "IP_ADDRESS"
PERSON_REMOVED_NOTE = "removed in Atlan by a person"
PHASES = ("init", "first scan", "re-scan in lag", "re-scan after lag")


def _entities(i: int) -> tuple[str, ...]:
    return PROFILES[i % len(PROFILES)]


def _desired(i: int, settings: AtlanSettings) -> DesiredObject:
    """Object ``i``: its findings follow :data:`PROFILES` (and :data:`WEAK_ENTITY`)."""
    ref = ObjectRef.parse(f"s3://{BUCKET}/exports/part={i % 10}/obj-{i:05d}.parquet")
    info = ObjectInfo(ref, 10_000 + i, f"etag-{i}", datetime(2025, 1, 1, tzinfo=UTC))
    found = [(entity, 0.97) for entity in _entities(i)]
    if i % 3 == 0:
        found.append((WEAK_ENTITY, 0.62))
    names = [f"c{j}" for j in range(max(1, len(found)))]
    sample = TableSample(
        info=info,
        format="parquet",
        compression="snappy",
        columns=tuple(ColumnSample(n, "string", ()) for n in names),
        rows_sampled=1000,
        row_count=50_000,
        row_count_estimated=False,
        bytes_read=1,
        sampling=SamplingInfo(method="parquet-row-groups"),
    )
    columns = tuple(
        ColumnFinding(
            names[j],
            "string",
            (EntityFinding(entity, confidence, 0.9, Evidence(1000, 900, 800, confidence), "pii"),),
        )
        for j, (entity, confidence) in enumerate(found)
    )
    result = EnrichmentResult(
        ref=ref,
        status=ObjectStatus.CLASSIFIED,
        info=info,
        sample=sample,
        columns=columns,
        classifier_versions={"pii": "bench"},
    )
    d = desired_object(result, settings, datetime(2026, 1, 1, tzinfo=UTC))
    assert d is not None
    return d


def _expected_tags(i: int, settings: AtlanSettings) -> list[str]:
    """The tags object ``i`` must carry, from :data:`PROFILES` (not from the planner)."""
    tags = {settings.tag_for(e) for e in _entities(i)}
    if tags and settings.umbrella_tag:
        tags.add(settings.umbrella_tag)
    return sorted(tags)


def _is_mutating(r: RecordedRequest) -> bool:
    """The same rule as ``FakeAtlan.mutating_requests``."""
    return r.method in ("POST", "PUT", "DELETE") and not r.path.endswith(
        ("/indexsearch", "/entity/evaluator")
    )


@dataclass
class Phase:
    """What one phase cost, from the server's request log."""

    name: str
    mutating: int = 0
    mutating_faulted: int = 0
    reads: int = 0
    reads_faulted: int = 0
    faults: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    max_assets: int = 0
    bulk_answered: int = 0
    flushes: int = 0
    reports: list[WriteReport] = field(default_factory=list)


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Run:
    label: str
    lag: float
    fault_rate: float
    phases: dict[str, Phase] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    notes: Counter[str] = field(default_factory=Counter)


class _Meter:
    """Slices the server's request log and fault counter around one phase."""

    def __init__(self, server: FakeAtlan, name: str) -> None:
        self.server = server
        self.phase = Phase(name)
        self._log_start = len(server.requests)
        self._mutating_start = len(server.mutating_requests())
        self._faults_start = server.injected_faults
        self._started = time.perf_counter()
        self._cpu_started = time.process_time()

    def stop(self) -> Phase:
        p, server = self.phase, self.server
        p.seconds = time.perf_counter() - self._started
        p.cpu_seconds = time.process_time() - self._cpu_started
        log = server.requests[self._log_start :]
        mutating = server.mutating_requests()[self._mutating_start :]
        assert len(mutating) == sum(1 for r in log if _is_mutating(r))
        faulted = [r for r in log if r.status in (429, 502, 503, 504)]
        p.mutating = len(mutating)
        p.mutating_faulted = sum(1 for r in faulted if _is_mutating(r))
        p.reads = len(log) - len(mutating)
        p.reads_faulted = len(faulted) - p.mutating_faulted
        p.faults = server.injected_faults - self._faults_start
        bulk = [
            r
            for r in mutating
            if r.method == "POST" and r.path.rstrip("/").endswith("/entity/bulk")
        ]
        p.max_assets = max((len((r.body or {}).get("entities") or []) for r in bulk), default=0)
        p.bulk_answered = sum(1 for r in bulk if 200 <= r.status < 300)
        return p


def _write(writer: Any, desired: list[DesiredObject], phase: Phase, max_flushes: int) -> None:
    """``write``, then flush the outbox while a write is unconfirmed (at most ``max_flushes``)."""
    report = writer.write(desired)
    phase.reports.append(report)
    while (report.error is not None or report.queued) and phase.flushes < max_flushes:
        if report.retry_after_s:
            time.sleep(min(report.retry_after_s, 10.0))
        report = writer.flush()
        phase.flushes += 1
        phase.reports.append(report)


def _init(writer: Any, phase: Phase, max_retries: int) -> None:
    """``init``, run again (it is idempotent) while Atlan is unavailable; counted as flushes."""
    from worker.core.errors import CatalogUnavailable

    while True:
        try:
            writer.init()
            return
        except CatalogUnavailable as exc:
            if phase.flushes >= max_retries:
                raise
            phase.flushes += 1
            time.sleep(min(exc.retry_after_s or 1.0, 10.0))


def _warm_up(desired: list[DesiredObject], settings: AtlanSettings) -> None:
    """Init and write a few objects on a throwaway fake Atlan, unmeasured.

    pyatlan imports its model modules lazily (seconds, on first use); without this the
    baseline, which runs first, would pay for them.
    """
    from tests.support.atlan_fixtures import close_atlan_client, make_atlan_client
    from tests.support.atlan_server import FakeAtlan
    from worker.adapters.atlan.writer import AtlanCatalogWriter
    from worker.adapters.catalog.atlan_state import SqlAtlanState
    from worker.adapters.catalog.database import SqlLocalCatalog

    with tempfile.TemporaryDirectory() as tmp, FakeAtlan(api_key=API_KEY) as server:
        client = make_atlan_client(server, api_key=API_KEY)
        try:
            state = SqlAtlanState(SqlLocalCatalog(f"sqlite:///{Path(tmp) / 'warm.db'}"))
            writer = AtlanCatalogWriter(settings, state, client=client)
            writer.init()
            writer.write(desired)
            writer.write(desired)
        finally:
            close_atlan_client(client)


def run(
    label: str,
    desired: list[DesiredObject],
    expected: dict[tuple[str, str], list[str]],
    settings: AtlanSettings,
    *,
    lag: float,
    fault_rate: float,
    seed: int,
    retry_after: float,
    max_flushes: int,
) -> Run:
    """One fresh fake Atlan, the four phases, then the checks."""
    from tests.support.atlan_fixtures import close_atlan_client, make_atlan_client
    from tests.support.atlan_server import FakeAtlan
    from worker.adapters.atlan.writer import AtlanCatalogWriter
    from worker.adapters.catalog.atlan_state import SqlAtlanState
    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.adapters.catalog.review_store import SqlReviewStore

    result = Run(label, lag, fault_rate)
    writes: list[float] = []  # time.monotonic() after each write request of the writer
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeAtlan(api_key=API_KEY, search_lag_s=lag) as server,
    ):
        client = make_atlan_client(server, api_key=API_KEY)
        catalog = SqlLocalCatalog(f"sqlite:///{Path(tmp) / 'bench.db'}")
        state = SqlAtlanState(catalog)
        writer = AtlanCatalogWriter(settings, state, client=client)
        writer.on_request = lambda: writes.append(time.monotonic())
        if fault_rate > 0:
            # The header must be whole seconds ("1", not "1.0"): httpx-retries ignores others.
            header = int(retry_after) if retry_after.is_integer() else retry_after
            server.fail_randomly(fault_rate, seed=seed, retry_after=header)
        try:
            meter = _Meter(server, "init")
            _init(writer, meter.phase, max_flushes)
            result.phases["init"] = meter.stop()

            meter = _Meter(server, "first scan")
            _write(writer, desired, meter.phase, max_flushes)
            first = result.phases["first scan"] = meter.stop()
            first_writes = list(writes)

            # Right away: the latest writes are not in search yet.
            began = time.monotonic()
            gap = began - first_writes[-1] if first_writes else math.inf
            unsearchable = sum(1 for t in first_writes if began - t < lag)
            meter = _Meter(server, "re-scan in lag")
            _write(writer, desired, meter.phase, max_flushes)
            in_lag = result.phases["re-scan in lag"] = meter.stop()

            # Once the lag has passed since the last write (of any phase).
            last = writes[-1] if writes else time.monotonic()
            time.sleep(max(0.0, last + lag + 0.5 - time.monotonic()) if lag > 0 else 0.0)
            settled = time.monotonic() - last
            meter = _Meter(server, "re-scan after lag")
            _write(writer, desired, meter.phase, max_flushes)
            after_lag = result.phases["re-scan after lag"] = meter.stop()

            objects = server.entities("S3Object")
            tags_of = {
                e["attributes"]["qualifiedName"]: server.tag_names(
                    "S3Object", e["attributes"]["qualifiedName"]
                )
                for e in objects
            }
            outbox, _ = state.outbox_status()
            review = SqlReviewStore(catalog).state_counts()
        finally:
            close_atlan_client(client)

    # -- checks ------------------------------------------------------------------------------
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for e in objects:
        attrs = e["attributes"]
        found.setdefault((attrs.get("s3BucketName"), attrs.get("s3ObjectKey")), []).append(e)
    missing = sum(1 for k in expected if k not in found)
    duplicated = sum(1 for k in expected if len(found.get(k, [])) > 1)
    strays = sum(len(v) for k, v in found.items() if k not in expected)
    inactive = sum(1 for k in expected for e in found.get(k, []) if e.get("status") != "ACTIVE")
    wrong_tags = 0
    for k, tags in expected.items():
        for e in found.get(k, []):
            if tags_of[e["attributes"]["qualifiedName"]] != tags:
                wrong_tags += 1
    good = len(expected) - missing - duplicated
    result.checks.append(
        Check(
            "every object lands exactly once, ACTIVE, with its tags",
            missing == duplicated == strays == inactive == wrong_tags == 0,
            f"{good:,}/{len(expected):,} exactly once; missing {missing}, duplicated "
            f"{duplicated}, strays {strays}, not ACTIVE {inactive}, wrong tags {wrong_tags}",
        )
    )
    inside = lag == 0 or gap < lag
    result.checks.append(
        Check(
            "unchanged re-scan inside the lag sends nothing",
            in_lag.mutating == 0 and inside,
            f"{in_lag.mutating} mutating requests; began {gap:.2f} s after the first scan's "
            f"last write, {unsearchable} of its {len(first_writes)} write requests younger "
            f"than the {lag:g} s lag",
        )
    )
    result.checks.append(
        Check(
            "unchanged re-scan after the lag sends nothing",
            after_lag.mutating == 0,
            f"{after_lag.mutating} mutating requests; began {settled:.2f} s after the last write",
        )
    )
    reports = [r for p in result.phases.values() for r in p.reports]
    for r in reports:
        result.notes.update(n.split(": ", 1)[-1] for n in r.notes)
    person_removed = sum(n for text, n in result.notes.items() if PERSON_REMOVED_NOTE in text)
    rejected = review.get("rejected", 0)
    result.checks.append(
        Check(
            "no false rejections",
            rejected == 0 and person_removed == 0,
            f"{rejected} rejected in the review store ({_counts(review)}); "
            f"{person_removed} '{PERSON_REMOVED_NOTE}' notes",
        )
    )
    finals = [p.reports[-1] for p in result.phases.values() if p.reports]
    unconfirmed = [r for r in finals if r.error is not None or r.queued or r.rejected]
    flushes = sum(p.flushes for p in result.phases.values() if p.name != "init")
    leaked = sum(1 for r in reports if r.error is not None)
    result.checks.append(
        Check(
            "every write confirmed",
            not unconfirmed and outbox == 0,
            f"last report of each phase: {len(unconfirmed)} with an error, queued or rejected "
            f"items; outbox {outbox}; {flushes} flushes ({leaked} reports with an error)",
        )
    )
    batches = math.ceil(len(desired) / settings.batch_size)
    allowed = 2 * batches + 1  # objects, then tags, one request per batch, plus the bucket
    result.checks.append(
        Check(
            "first scan: no batch split",
            first.bulk_answered <= allowed and first.max_assets <= settings.batch_size,
            f"{first.bulk_answered} answered bulk requests (<= {allowed}: one per "
            f"{settings.batch_size} assets per phase + the bucket), "
            f"{first.mutating_faulted} more answered by the gateway",
        )
    )
    return result


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())) or "empty"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def main(argv: list[str] | None = None) -> int:
    """Run the baseline and the lag+faults run; print the phases, ratios and PASS/FAIL."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--lag", type=float, default=5.0, help="search lag, seconds")
    parser.add_argument(
        "--fault-rate", type=float, default=0.02, help="share of requests answered 502/429"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the injected faults")
    parser.add_argument(
        "--retry-after",
        type=float,
        default=1.0,
        help="Retry-After of the injected 429s, seconds (whole: httpx-retries ignores others)",
    )
    parser.add_argument("--max-flushes", type=int, default=3)
    args = parser.parse_args(argv)
    if args.objects < 1 or args.lag < 0 or not 0 <= args.fault_rate < 1:
        parser.error("--objects must be >= 1, --lag >= 0 and --fault-rate in [0, 1)")

    settings = AtlanSettings(enabled=True, batch_size=args.batch_size)
    desired = [_desired(i, settings) for i in range(args.objects)]
    expected = {(d.bucket, d.key): _expected_tags(i, settings) for i, d in enumerate(desired)}
    tagged = sum(1 for tags in expected.values() if tags)
    print(
        f"Atlan write path: {args.objects:,} objects ({tagged:,} with tags), batch "
        f"{args.batch_size}; real pyatlan {version('pyatlan')} against "
        f"tests/support/atlan_server.py; "
        f"writer search_lag_s {settings.search_lag_s:g}"
    )
    common = {"seed": args.seed, "retry_after": args.retry_after, "max_flushes": args.max_flushes}
    started = time.perf_counter()
    _warm_up(desired[: 2 * args.batch_size], settings)
    runs = [
        run("baseline", desired, expected, settings, lag=0.0, fault_rate=0.0, **common),
        run(
            "lag+faults",
            desired,
            expected,
            settings,
            lag=args.lag,
            fault_rate=args.fault_rate,
            **common,
        ),
    ]
    total = time.perf_counter() - started

    print()
    print(
        f"{'run':<11} {'phase':<18} {'mutating':>8} {'(faulted)':>9} {'reads':>6} "
        f"{'(faulted)':>9} {'faults':>6} {'max assets':>10} {'flushes':>7} {'seconds':>8} "
        f"{'cpu s':>6}"
    )
    for r in runs:
        label = f"{r.label}"
        for p in r.phases.values():
            print(
                f"{label:<11} {p.name:<18} {p.mutating:>8} {p.mutating_faulted:>9} {p.reads:>6} "
                f"{p.reads_faulted:>9} {p.faults:>6} {p.max_assets:>10} {p.flushes:>7} "
                f"{p.seconds:>8.2f} {p.cpu_seconds:>6.2f}"
            )
    base, hard = runs[0].phases["first scan"], runs[1].phases["first scan"]
    print()
    print(
        f"first scan, lag {args.lag:g} s + {args.fault_rate:.0%} faults vs baseline: "
        f"mutating {_ratio(hard.mutating, base.mutating)} ({hard.mutating}/{base.mutating}), "
        f"reads {_ratio(hard.reads, base.reads)} ({hard.reads}/{base.reads}), "
        f"all requests {_ratio(hard.mutating + hard.reads, base.mutating + base.reads)}, "
        f"seconds {_ratio(hard.seconds, base.seconds)} "
        f"({hard.seconds:.2f}/{base.seconds:.2f}), "
        f"cpu seconds {_ratio(hard.cpu_seconds, base.cpu_seconds)}"
    )
    for r in runs:
        reports = r.phases["first scan"].reports
        sums = {
            k: sum(getattr(x, k) for x in reports)
            for k in ("created", "updated", "restored", "adopted", "tags_added", "suggestions")
        }
        print(f"{r.label} first scan reports: " + ", ".join(f"{k} {v:,}" for k, v in sums.items()))
    for r in runs:
        if r.notes:
            print(f"{r.label} notes: " + "; ".join(f"{n} x{c}" for n, c in r.notes.items()))
    print()
    failed = False
    for r in runs:
        for c in r.checks:
            failed |= not c.ok
            print(f"[{r.label}] {c.name}: {c.detail} {'PASS' if c.ok else 'FAIL'}")
    print(f"\ntotal {total:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
