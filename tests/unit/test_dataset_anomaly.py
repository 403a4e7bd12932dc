"""Anomalies and alerts of a dataset: seeded changes fire, an unchanged lake does not (issue 15).

The "unchanged lake" property runs over many random but stable histories (Hypothesis draws
their shape and a seed for their noise); the seeded changes are explicit cases, each checking
the alert's kind, severity, subject and evidence. The last tests push results holding
distinctive values through the whole chain and look for them in every candidate.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import (
    ColumnFinding,
    ColumnSample,
    EnrichmentResult,
    EntityFinding,
    Evidence,
    LabelScore,
    ObjectInfo,
    ObjectRef,
    ObjectStatus,
    SamplingInfo,
    TableSample,
)
from models.datasets import (
    AlertCandidate,
    AlertKind,
    ChangeKind,
    ColumnVerdict,
    DatasetVerdict,
    PartitionInfo,
    PartitionRecord,
    SchemaChange,
    SchemaColumn,
    Severity,
)
from models.lineage import ColumnMapping, Dataset, LineageEdge, Origin
from models.samples import CellValue
from worker.core.datasets.anomaly import detect, freshness
from worker.core.datasets.drift import lineage_drift, partition_drift
from worker.core.datasets.verdict import dataset_schema, merge_verdict, partition_record
from worker.core.settings import DatasetSettings

URI = "s3://lake/exports/orders/"
SETTINGS = DatasetSettings()
START = date(2025, 1, 1)
COLUMNS = (SchemaColumn("id", "int64"), SchemaColumn("email", "string"))
PROPERTY = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow],
)


def _info(key: str, values: tuple[tuple[str, str], ...], at: datetime, size: int) -> PartitionInfo:
    return PartitionInfo(key, values, 3, size, at, f"exports/orders/{key}part-0.parquet")


def _daily(
    day: date,
    rows: int | None = 10_000,
    size: int = 1_000_000,
    null_shares: dict[str, float] | None = None,
    columns: Sequence[SchemaColumn] = COLUMNS,
) -> PartitionRecord:
    key = f"dt={day.isoformat()}/"
    at = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1, hours=2)
    return PartitionRecord(
        dataset_uri=URI,
        info=_info(key, (("dt", day.isoformat()),), at, size),
        first_seen=at,
        sampled_at=at,
        row_count=rows,
        null_shares=null_shares if null_shares is not None else {"id": 0.0, "email": 0.02},
        findings={"email": {"EMAIL_ADDRESS": 0.95}},
        columns=tuple(columns),
    )


def _verdict(*entities: tuple[str, str, float]) -> DatasetVerdict:
    """A verdict of 8 sampled partitions: (entity, column, share)."""
    columns: dict[str, list[tuple[str, float]]] = {c.name: [] for c in COLUMNS}
    columns |= {column: [] for _, column, _ in entities}
    for entity, column, share in entities:
        columns[column].append((entity, share))
    holds: dict[str, list[str]] = {}
    for entity, column, share in entities:
        if share >= SETTINGS.entity_share:
            holds.setdefault(entity, []).append(column)
    return DatasetVerdict(
        dataset_uri=URI,
        partitions_sampled=8,
        partitions_total=60,
        columns=tuple(
            ColumnVerdict(name, "string", tuple(found), 8) for name, found in columns.items()
        ),
        entities=tuple((e, tuple(cols)) for e, cols in sorted(holds.items())),
    )


EMAIL = _verdict(("EMAIL_ADDRESS", "email", 1.0))


def _history(days: int = 30, null_shares: dict[str, float] | None = None) -> list[PartitionRecord]:
    return [_daily(START + timedelta(days=i), null_shares=null_shares) for i in range(days)]


def _now_after(day: date, hours: int = 6) -> datetime:
    """Hours into the day after ``day``: the partition of ``day`` is on time."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1, hours=hours)


def _detect(
    history: Sequence[PartitionRecord],
    new: Sequence[PartitionRecord],
    *,
    previous: DatasetVerdict | None = EMAIL,
    verdict: DatasetVerdict = EMAIL,
    changes: Sequence[SchemaChange] = (),
    partitions: Sequence[PartitionInfo] | None = None,
    now: datetime | None = None,
    lineage: Sequence[SchemaChange] = (),
) -> list[AlertCandidate]:
    newest = max(r.info.values[0][1] for r in [*history, *new])
    return detect(
        URI,
        history,
        new,
        previous,
        verdict,
        changes,
        SETTINGS,
        now or _now_after(date.fromisoformat(newest[:10])),
        partitions=[r.info for r in [*history, *new]] if partitions is None else partitions,
        lineage_changes=lineage,
    )


def _only(found: list[AlertCandidate], kind: AlertKind) -> AlertCandidate:
    assert [c.kind for c in found] == [kind], found
    return found[0]


# --- an unchanged lake ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Lake:
    """A random but stable dataset: its records, the new ones, and the scan time."""

    history: list[PartitionRecord]
    new: list[PartitionRecord]
    now: datetime


def _stable_lake(seed: int, days: int, new: int, unit: str, noise: float) -> _Lake:
    rng = random.Random(seed)
    rows, size = rng.randint(1, 5_000_000), rng.randint(1_000, 10**10)
    nulls = {"id": 0.0, "email": rng.uniform(0.0, 0.6)}
    step = {"day": timedelta(days=1), "hour": timedelta(hours=1), "business": timedelta(days=1)}
    start = datetime(2024, 6, 3, tzinfo=UTC)  # a Monday
    records: list[PartitionRecord] = []
    moment = start
    while len(records) < days + new:
        if unit == "business" and moment.weekday() >= 5:
            moment += step[unit]
            continue
        values: tuple[tuple[str, str], ...]
        if unit == "hour":
            values = (("dt", moment.date().isoformat()), ("hour", f"{moment.hour:02d}"))
            key = f"dt={values[0][1]}/hour={values[1][1]}/"
        else:
            values = (("dt", moment.date().isoformat()),)
            key = f"dt={values[0][1]}/"
        landed = moment + step[unit] + timedelta(minutes=rng.randint(5, 50))
        records.append(
            PartitionRecord(
                URI,
                _info(key, values, landed, round(size * rng.uniform(1 - noise, 1 + noise))),
                landed,
                landed,
                round(rows * rng.uniform(1 - noise, 1 + noise)),
                {c: min(1.0, max(0.0, s + rng.uniform(-0.05, 0.05))) for c, s in nulls.items()},
                {"email": {"EMAIL_ADDRESS": 0.95}},
                COLUMNS,
            )
        )
        moment += step[unit]
    # Scanned between the newest partition landing and its successor being a period late.
    last = records[-1].info.newest
    assert last is not None
    now = last + rng.uniform(0, 0.95) * step[unit]
    return _Lake(records[:days], records[days:], now)


@PROPERTY
@given(
    seed=st.integers(0, 2**32),
    days=st.integers(0, 60),
    new=st.integers(1, 8),
    unit=st.sampled_from(["day", "hour", "business"]),
    noise=st.floats(0.0, 0.15),
)
def test_an_unchanged_lake_raises_nothing(
    seed: int, days: int, new: int, unit: str, noise: float
) -> None:
    lake = _stable_lake(seed, days, new, unit, noise)
    records = lake.history + lake.new
    # The verdict and schema the scan would compute, against the same previous ones.
    verdict = merge_verdict(URI, records, len(records), [], SETTINGS.entity_share)
    changes = partition_drift(lake.new, dataset_schema(records))
    found = detect(
        URI,
        lake.history,
        lake.new,
        verdict,
        verdict,
        changes,
        SETTINGS,
        lake.now,
        partitions=[r.info for r in records],
    )
    assert found == []


_SEEDED = {
    "rows": AlertKind.ROW_COUNT,
    "bytes": AlertKind.BYTES,
    "nulls": AlertKind.NULL_SHARE,
    "pii": AlertKind.NEW_PII,
    "gap": AlertKind.FRESHNESS,
    "drift": AlertKind.SCHEMA_DRIFT,
}


@PROPERTY
@given(
    seed=st.integers(0, 2**32),
    days=st.integers(6, 60),
    new=st.integers(2, 8),
    unit=st.sampled_from(["day", "hour", "business"]),
    noise=st.floats(0.0, 0.15),
    change=st.sampled_from(sorted(_SEEDED)),
)
def test_a_seeded_change_in_a_stable_lake_raises_its_alert_only(
    seed: int, days: int, new: int, unit: str, noise: float, change: str
) -> None:
    lake = _stable_lake(seed, days, new, unit, noise)
    *fresh, newest = lake.new
    partitions = [r.info for r in lake.history + lake.new]
    if change == "rows":
        newest = replace(newest, row_count=(newest.row_count or 0) * 10 + 10)
    elif change == "bytes":
        newest = replace(
            newest, info=replace(newest.info, total_bytes=newest.info.total_bytes * 10)
        )
    elif change == "nulls":
        newest = replace(newest, null_shares={**newest.null_shares, "email": 1.0})
    elif change == "gap":
        # The partition before the newest never arrived.
        fresh = fresh[:-1]
        partitions = [r.info for r in lake.history + fresh] + [newest.info]
    elif change == "drift":
        newest = replace(newest, columns=COLUMNS[:1], null_shares={"id": 0.0}, findings={})
    records = lake.history + fresh + [newest]
    previous = merge_verdict(URI, records, len(records), [], SETTINGS.entity_share)
    verdict = previous
    if change == "pii":
        verdict = replace(previous, entities=(*previous.entities, ("US_SSN", ("id",))))
    found = detect(
        URI,
        lake.history,
        [*fresh, newest],
        previous,
        verdict,
        partition_drift([*fresh, newest], dataset_schema(records)),
        SETTINGS,
        lake.now,
        partitions=partitions,
    )
    assert {c.kind for c in found} == {_SEEDED[change]}


def test_a_first_scan_of_a_dataset_with_pii_raises_nothing() -> None:
    records = _history(40)
    assert _detect([], records, previous=None) == []


def test_a_perfectly_regular_history_tolerates_small_changes() -> None:
    # MAD is 0: the floor relative to the median keeps one more row from alerting.
    new = _daily(START + timedelta(days=30), rows=10_001, size=1_200_000)
    assert _detect(_history(30), [new]) == []


# --- rows and bytes ---------------------------------------------------------------------------


def test_a_tenfold_row_count_alerts() -> None:
    new = _daily(START + timedelta(days=30), rows=100_000)
    alert = _only(_detect(_history(30), [new]), AlertKind.ROW_COUNT)
    assert alert.severity is Severity.WARNING
    assert alert.subject == "dt=2025-01-31/"
    assert alert.evidence["rows"] == 100_000
    assert alert.evidence["median"] == 10_000
    assert alert.evidence["mad"] == 0
    assert alert.evidence["direction"] == "up"
    assert alert.evidence["history_points"] == 30
    assert "10.0× the median" in alert.message


def test_an_empty_partition_is_critical() -> None:
    new = _daily(START + timedelta(days=30), rows=0)
    alert = _only(_detect(_history(30), [new]), AlertKind.ROW_COUNT)
    assert alert.severity is Severity.CRITICAL
    assert alert.evidence["direction"] == "down"


def test_a_noisy_history_needs_a_larger_change() -> None:
    rng = random.Random(3)
    history = [
        _daily(START + timedelta(days=i), rows=rng.randint(5_000, 15_000)) for i in range(30)
    ]
    assert _detect(history, [_daily(START + timedelta(days=30), rows=17_000)]) == []
    found = _detect(history, [_daily(START + timedelta(days=30), rows=80_000)])
    assert _only(found, AlertKind.ROW_COUNT).evidence["deviations"] > SETTINGS.mad_threshold


def test_bytes_far_from_history_alert_on_their_own() -> None:
    new = _daily(START + timedelta(days=30), size=30_000_000)
    alert = _only(_detect(_history(30), [new]), AlertKind.BYTES)
    assert alert.evidence["bytes"] == 30_000_000 and alert.severity is Severity.WARNING


def test_bytes_history_is_every_partition_of_the_listing() -> None:
    # Two sampled partitions are too few for rows; the listing knows 30 partitions' bytes.
    listing = [r.info for r in _history(30)]
    sampled = [_daily(START + timedelta(days=i)) for i in (3, 17)]
    new = _daily(START + timedelta(days=30), rows=100_000, size=30_000_000)
    alert = _only(_detect(sampled, [new], partitions=[*listing, new.info]), AlertKind.BYTES)
    assert alert.evidence["history_points"] == 30
    assert _detect(sampled, [new], partitions=None) == []


def test_too_little_history_judges_nothing() -> None:
    new = _daily(START + timedelta(days=5), rows=1_000_000, size=10**10)
    assert _detect(_history(5)[1:], [new]) == []
    assert [c.kind for c in _detect(_history(5), [new])] == [AlertKind.ROW_COUNT, AlertKind.BYTES]


def test_only_the_last_k_partitions_count() -> None:
    # Old partitions were ten times bigger; the last 30 set the norm.
    old = [_daily(START + timedelta(days=i), rows=100_000) for i in range(40)]
    recent = [_daily(START + timedelta(days=40 + i)) for i in range(30)]
    new = _daily(START + timedelta(days=70), rows=100_000)
    assert _only(_detect(old + recent, [new]), AlertKind.ROW_COUNT).evidence["median"] == 10_000


def test_on_a_first_scan_each_partition_is_judged_against_the_ones_before_it() -> None:
    records = _history(10)
    records[7] = _daily(START + timedelta(days=7), rows=500_000)
    alert = _only(_detect([], records, previous=None), AlertKind.ROW_COUNT)
    assert alert.subject == "dt=2025-01-08/"


# --- null shares ------------------------------------------------------------------------------


def test_a_null_share_jump_alerts() -> None:
    new = _daily(START + timedelta(days=30), null_shares={"id": 0.0, "email": 0.55})
    alert = _only(_detect(_history(30), [new]), AlertKind.NULL_SHARE)
    assert alert.subject == "email" and alert.severity is Severity.WARNING
    assert alert.evidence["null_share"] == 0.55
    assert alert.evidence["median"] == 0.02
    assert alert.evidence["jump"] == pytest.approx(0.53)


def test_a_small_rise_or_a_drop_in_nulls_does_not_alert() -> None:
    history = _history(30, null_shares={"id": 0.0, "email": 0.5})
    rise = _daily(START + timedelta(days=30), null_shares={"id": 0.1, "email": 0.7})
    drop = _daily(START + timedelta(days=31), null_shares={"id": 0.0, "email": 0.0})
    assert _detect(history, [rise, drop]) == []


# --- freshness --------------------------------------------------------------------------------


def test_a_missing_day_before_the_newest_alerts() -> None:
    history = _history(30)
    new = _daily(START + timedelta(days=31))  # 31 January is missing
    alert = _only(_detect(history, [new]), AlertKind.FRESHNESS)
    assert alert.subject == "gap:2025-01-31"
    assert alert.evidence["missing"] == 1
    assert alert.evidence["first_missing"] == "2025-01-31"
    assert alert.evidence["previous"] == "dt=2025-01-30/"
    assert alert.evidence["newest"] == "dt=2025-02-01/"
    assert alert.severity is Severity.WARNING


def test_an_old_gap_does_not_alert_again() -> None:
    history = [r for r in _history(30) if r.info.key != "dt=2025-01-10/"]
    assert _detect(history, [_daily(START + timedelta(days=30))]) == []


def test_a_stale_series_alerts_once_two_periods_have_passed() -> None:
    records = _history(30)  # newest: 30 January
    on_time = datetime(2025, 2, 1, 23, tzinfo=UTC)
    late = datetime(2025, 2, 2, 0, tzinfo=UTC)
    assert _detect(records[:-1], records[-1:], now=on_time) == []
    alert = _only(_detect(records[:-1], records[-1:], now=late), AlertKind.FRESHNESS)
    assert alert.subject == "stale:dt=2025-01-30/"
    assert alert.evidence["overdue_periods"] == 2


def _infos(values: Sequence[tuple[tuple[str, str], ...]]) -> list[PartitionInfo]:
    return [
        PartitionInfo("".join(f"{k}={v}/" for k, v in pairs), pairs, 1, 100) for pairs in values
    ]


def test_business_day_series_skip_weekends() -> None:
    days = [START + timedelta(days=i) for i in range(40)]
    weekdays = [d for d in days if d.weekday() < 5]
    infos = _infos([(("date", d.strftime("%Y%m%d")),) for d in weekdays])
    friday = datetime(2025, 2, 7, tzinfo=UTC)
    assert weekdays[-1] == friday.date()
    # Monday evening: Friday's successor (Monday's partition) is not due yet.
    assert freshness(URI, infos, friday + timedelta(days=3, hours=20), 30) == []
    # A missing Thursday is a gap, weekends are not.
    gap = [i for i in infos if i.key != "date=20250206/"]
    alert = _only(freshness(URI, gap, friday + timedelta(hours=6), 30), AlertKind.FRESHNESS)
    assert alert.evidence["business_days"] is True and alert.evidence["missing"] == 1


def test_hourly_and_year_month_day_series() -> None:
    hours = [
        (
            ("year", "2025"),
            ("month", "01"),
            ("day", f"{1 + h // 24:02d}"),
            ("hour", f"{h % 24:02d}"),
        )
        for h in range(48)
        if h != 46
    ]
    found = freshness(URI, _infos(hours), datetime(2025, 1, 3, 0, 30, tzinfo=UTC), 30)
    alert = _only(found, AlertKind.FRESHNESS)
    assert alert.evidence["period"] == "hour"
    assert alert.evidence["first_missing"] == "2025-01-02T22"
    stale = freshness(URI, _infos(hours), datetime(2025, 1, 3, 2, 0, tzinfo=UTC), 30)
    assert [a.subject for a in stale] == [
        "gap:2025-01-02T22",
        "stale:year=2025/month=01/day=02/hour=23/",
    ]


def test_escaped_timestamps_of_a_daily_series() -> None:
    # Hive escapes the ":" and the space: dt=2025-01-03%2000%3A00%3A00.
    days = [START + timedelta(days=i) for i in range(10) if i != 8]
    infos = _infos([(("dt", f"{d.isoformat()}%2000%3A00%3A00"),) for d in days])
    alert = _only(
        freshness(URI, infos, datetime(2025, 1, 11, 6, tzinfo=UTC), 30), AlertKind.FRESHNESS
    )
    assert alert.subject == "gap:2025-01-09" and alert.evidence["period"] == "day"


def test_monthly_series_and_one_series_per_region() -> None:
    months = [f"2024-{m:02d}" for m in range(1, 13)]
    infos = _infos(
        [
            (("region", r), ("month", m))
            for r in ("eu", "us")
            for m in months
            if (r, m) != ("us", "2024-11")
        ]
    )
    alert = _only(freshness(URI, infos, datetime(2025, 1, 20, tzinfo=UTC), 30), AlertKind.FRESHNESS)
    assert alert.subject == "gap:region=us/2024-11"
    assert alert.evidence["series"] == "region=us/"
    assert alert.evidence["period"] == "month"
    late = freshness(URI, infos, datetime(2025, 3, 1, tzinfo=UTC), 30)
    assert sorted(a.subject for a in late) == [
        "gap:region=us/2024-11",
        "stale:region=eu/month=2024-12/",
        "stale:region=us/month=2024-12/",
    ]


def test_irregular_or_timeless_partitions_are_not_judged() -> None:
    irregular = _infos(
        [(("dt", (START + timedelta(days=d)).isoformat()),) for d in (0, 3, 4, 9, 15, 16, 30)]
    )
    assert freshness(URI, irregular, datetime(2025, 6, 1, tzinfo=UTC), 30) == []
    names = _infos([(("region", r),) for r in ("eu", "us", "apac", "latam", "mea", "cn")])
    assert freshness(URI, names, datetime(2025, 6, 1, tzinfo=UTC), 30) == []
    assert freshness(URI, [PartitionInfo("")], datetime(2025, 6, 1, tzinfo=UTC), 30) == []


def test_without_every_partition_freshness_is_not_judged() -> None:
    # The sampled records are a draw: 29 January was not sampled, yet it exists.
    history = [r for r in _history(30) if r.info.key != "dt=2025-01-29/"]
    new = history[-1:]
    assert _only(_detect(history[:-1], new), AlertKind.FRESHNESS).subject == "gap:2025-01-29"
    found = detect(
        URI, history[:-1], new, EMAIL, EMAIL, (), SETTINGS, _now_after(START + timedelta(days=29))
    )
    assert found == []


# --- new PII ----------------------------------------------------------------------------------


def test_an_entity_new_to_the_dataset_is_critical_new_pii() -> None:
    verdict = _verdict(("EMAIL_ADDRESS", "email", 1.0), ("US_SSN", "notes", 0.75))
    alert = _only(_detect(_history(30), [], verdict=verdict), AlertKind.NEW_PII)
    assert alert.severity is Severity.CRITICAL
    assert alert.subject == "notes:US_SSN"
    assert alert.evidence == {
        "entity": "US_SSN",
        "column": "notes",
        "share": 0.75,
        "partitions": 8,
        "partitions_sampled": 8,
        "previous_entities": ["EMAIL_ADDRESS"],
    }
    assert "found in 6 of 8 sampled partitions" in alert.message


def test_a_dataset_without_pii_gaining_some_alerts() -> None:
    clean = _verdict()
    found = _detect(_history(30), [], previous=clean, verdict=EMAIL)
    assert _only(found, AlertKind.NEW_PII).subject == "email:EMAIL_ADDRESS"


def test_a_known_entity_on_another_column_or_below_the_share_is_not_new_pii() -> None:
    verdict = _verdict(
        ("EMAIL_ADDRESS", "email", 1.0),
        ("EMAIL_ADDRESS", "contact", 1.0),
        ("US_SSN", "notes", 0.25),  # found, but does not hold
    )
    assert _detect(_history(30), [], verdict=verdict) == []


# --- drift ------------------------------------------------------------------------------------


def test_schema_changes_become_schema_drift_alerts() -> None:
    changes = [
        SchemaChange(
            ChangeKind.REMOVED,
            "email",
            "string",
            None,
            "partition dt=2025-01-31/ vs dt=2025-01-30/",
        ),
        SchemaChange(ChangeKind.REMOVED, "email", "string", None, "previous scan"),
        SchemaChange(ChangeKind.RETYPED, "id", "int64", "string", "previous scan"),
        SchemaChange(ChangeKind.ADDED, "channel", None, "string", "previous scan"),
    ]
    new = _daily(START + timedelta(days=30), columns=COLUMNS[:1])
    found = _detect(_history(30), [new], changes=changes)
    assert [(c.kind, c.severity, c.subject) for c in found] == [
        (AlertKind.SCHEMA_DRIFT, Severity.WARNING, "email:removed"),
        (AlertKind.SCHEMA_DRIFT, Severity.WARNING, "id:retyped:int64->string"),
        (AlertKind.SCHEMA_DRIFT, Severity.INFO, "channel:added"),
    ]
    removed = found[0]
    assert removed.evidence["where"] == [
        "partition dt=2025-01-31/ vs dt=2025-01-30/",
        "previous scan",
    ]
    assert removed.message == (
        "Column email (string) is missing (partition dt=2025-01-31/ vs dt=2025-01-30/ and 1 more)."
    )
    assert found[1].message == ("Column id changed type from int64 to string (previous scan).")


def test_a_seeded_partition_change_fires_through_partition_drift() -> None:
    history = _history(30)
    new = _daily(START + timedelta(days=30), columns=COLUMNS[:1])
    changes = partition_drift([new], dataset_schema([*history, new]))
    found = _detect(history, [new], changes=changes)
    alert = _only(found, AlertKind.SCHEMA_DRIFT)
    assert alert.subject == "email:removed"
    assert alert.evidence["where"] == ["partition dt=2025-01-31/ vs dataset"]


def test_a_column_dropped_scans_ago_is_not_removed_again_at_every_new_partition() -> None:
    history = _history(27) + [
        _daily(START + timedelta(days=d), columns=COLUMNS[:1]) for d in (27, 28, 29)
    ]
    new = _daily(START + timedelta(days=30), columns=COLUMNS[:1])
    records = [*history, new]
    # The dataset schema (a union) still has the column; the newest partition lacks it.
    changes = partition_drift([new], dataset_schema(records))
    assert [(c.kind, c.column) for c in changes] == [(ChangeKind.REMOVED, "email")]
    assert _detect(history, [new], changes=changes) == []
    # Given every record, the transition is found where it happened, in the history.
    changes = partition_drift(records, dataset_schema(records))
    assert [c.where for c in changes] == ["partition dt=2025-01-28/ vs dt=2025-01-27/"]
    assert _detect(history, [new], changes=changes) == []


def test_lineage_changes_become_lineage_drift_alerts() -> None:
    edge = LineageEdge(
        Dataset.parse("postgres:appdb.app.orders"),
        Dataset.parse(URI),
        Origin.DECLARED,
        columns=(ColumnMapping("id", "id"), ColumnMapping("email", "email")),
    )
    upstream = (SchemaColumn("id", "bigint"), SchemaColumn("email", "text"))
    changes = lineage_drift(edge, upstream, (SchemaColumn("id", "int64"),), "pg → s3")
    alert = _only(_detect(_history(30), [], lineage=changes), AlertKind.LINEAGE_DRIFT)
    assert alert.severity is Severity.WARNING
    assert alert.subject == "pg → s3, not downstream:email:removed"
    assert alert.message == "Column email (text) is missing (pg → s3, not downstream)."


def test_fingerprints_are_stable_from_scan_to_scan() -> None:
    new = _daily(START + timedelta(days=30), rows=100_000)
    first = _detect(_history(30), [new])
    again = _detect(_history(30), [replace(new, row_count=120_000)])
    assert [c.fingerprint for c in first] == [c.fingerprint for c in again]


# --- no value reaches an alert ----------------------------------------------------------------

SECRETS = (
    "zq.secret.7731@example.invalid",
    "Quorvath Zimmerlund",
    "DE44 5001 0517 5407 3249 31",
    "7731-SECRET-0042",
)


def _result(day: date, values: Sequence[CellValue], with_ssn: bool) -> EnrichmentResult:
    ref = ObjectRef.parse(f"s3://lake/exports/orders/dt={day.isoformat()}/part-0.parquet")
    info = ObjectInfo(ref, 1_000_000, "e", datetime(day.year, day.month, day.day, tzinfo=UTC))
    sample = TableSample(
        info=info,
        format="parquet",
        compression=None,
        columns=(
            ColumnSample("email", "string", tuple(values)),
            ColumnSample("notes", "string", (SECRETS[3], None, None, None)),
        ),
        rows_sampled=len(values),
        row_count=10_000,
        row_count_estimated=False,
        bytes_read=10,
        sampling=SamplingInfo("parquet-row-groups"),
    )
    evidence = Evidence(10, 9, 9, 0.9, masked_examples=("xx.xxxxxx.xxxx@xxxxxxx.xxxxxxx",))
    entities = (EntityFinding("EMAIL_ADDRESS", 0.95, 0.9, evidence),)
    ssn = (EntityFinding("US_SSN", 0.9, 0.8, evidence),) if with_ssn else ()
    return EnrichmentResult(
        ref=ref,
        status=ObjectStatus.CLASSIFIED,
        info=info,
        sample=sample,
        columns=(ColumnFinding("email", "string", entities), ColumnFinding("notes", "string", ssn)),
        categories=(LabelScore("customers", 0.9),),
        description="Parquet, 10,000 rows, 2 columns. Customers data.",
    )


def test_no_sampled_value_reaches_a_record_a_verdict_or_an_alert() -> None:
    days = [START + timedelta(days=i) for i in range(12)]
    values = [SECRETS[0], SECRETS[1], SECRETS[2], None]
    before = [_result(d, values, with_ssn=False) for d in days[:10]]
    after = [_result(d, [None, None, None, SECRETS[0]], with_ssn=True) for d in days[10:]]
    records = [
        partition_record(
            URI,
            _info(
                f"dt={d.isoformat()}/",
                (("dt", d.isoformat()),),
                datetime(d.year, d.month, d.day, tzinfo=UTC),
                1_000_000 * (10 if i >= 10 else 1),
            ),
            r,
            datetime(2025, 2, 1, tzinfo=UTC),
        )
        for i, (d, r) in enumerate(zip(days, before + after, strict=True))
    ]
    previous = merge_verdict(URI, records[:10], 12, before, 0.1)
    verdict = merge_verdict(URI, records, 12, before + after, 0.1)
    # Columns removed in one partition, retyped in another: drift with types only.
    retyped = replace(records[-1], columns=(SchemaColumn("email", "binary"),))
    changes = partition_drift([*records[:-1], retyped], dataset_schema(records))
    found = detect(
        URI,
        records[:10],
        [*records[10:-1], retyped],
        previous,
        verdict,
        changes,
        replace_settings(entity_share=0.1),
        datetime(2025, 1, 14, tzinfo=UTC),
        partitions=[r.info for r in records],
    )
    kinds = {c.kind for c in found}
    assert {
        AlertKind.NEW_PII,
        AlertKind.BYTES,
        AlertKind.NULL_SHARE,
        AlertKind.SCHEMA_DRIFT,
    } <= kinds
    text = repr((records, previous, verdict, changes, found))
    assert not [s for s in SECRETS if s in text]
    assert not [s for s in SECRETS if s in repr([c.message for c in found])]


def replace_settings(**changes: object) -> DatasetSettings:
    return DatasetSettings.model_validate(SETTINGS.model_dump() | changes)
