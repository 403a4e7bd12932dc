"""Anomalies of a dataset, raised as alert candidates. Pure: no I/O.

The rules, as a data engineer would state them (every threshold from ``DatasetSettings``
unless named here):

* **Rows and bytes** (``row_count``, ``bytes``): a new partition whose value lies more than
  ``mad_threshold`` median absolute deviations from the median of the last
  ``history_partitions`` partitions before it (sampled partitions for rows; every partition
  of the listing for bytes, when ``partitions`` is given). At least :data:`MIN_HISTORY`
  points are needed. The deviation is floored at :data:`MAD_FLOOR` of the median (and at 1),
  so a perfectly regular history (MAD 0) alerts on a change of more than
  ``mad_threshold × MAD_FLOOR`` (50% by default), not on one extra row. Both directions
  alert; an empty partition (0) after a non-empty history is critical.
* **Freshness**: partitions whose values name a time (``dt=2025-01-03``, ``date=20250103``,
  ``year=/month=/day=(/hour=)``, ``dt=2025-01-03/hour=07``, ``month=2025-01``) form a
  series per combination of their other values (``region=eu/`` and ``region=us/`` are two
  series). A series is regular when at least 80% of the steps between its last
  ``history_partitions`` points are one period (hour, day or month; a daily series with no
  weekend day counts business days). In a regular series with :data:`MIN_HISTORY` points
  before the newest, periods missing right before the newest alert (a gap further back was
  alerted when it was the newest, or never will be); and the series is stale when two full
  periods have passed since the newest period ended (a daily series whose newest partition
  is 3 January, at 6 January 00:00: the partition of 4 January, due on the 5th, is a day
  late). Freshness needs every partition of the dataset (``partitions``), not the sampled
  ones; a scan that samples nothing new should still call :func:`freshness`, as staleness
  is exactly when nothing new arrives.
* **Null share**: a column's null share in a new partition at least ``null_share_jump``
  above its median over the last ``history_partitions`` partitions that have the column
  (at least :data:`NULL_HISTORY` of them). Only rises alert.
* **New PII** (critical): an entity that holds in the verdict (on a column) and held
  nowhere in the previous verdict. A dataset's first scan raises none: with no previous
  verdict every entity is "new", and the review queue is where first findings go.
* **Drift**: schema changes become ``schema_drift`` alerts, lineage changes
  ``lineage_drift`` alerts: warnings for removed and retyped columns, info for added
  columns and nullability.

History and new partitions are read in time order
(:func:`~worker.core.datasets.verdict.chronological`); on a first scan every sampled
partition is new, and each is judged against the ones before it. Subjects keep fingerprints
stable from scan to scan: the partition key, the column, ``column:entity``. Evidence holds
counts, medians, shares, types and partition keys, never a sampled value.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from models.datasets import (
    AlertCandidate,
    AlertKind,
    ChangeKind,
    DatasetVerdict,
    PartitionInfo,
    PartitionRecord,
    SchemaChange,
    Severity,
)
from worker.core.datasets.drift import between, partition_label, where_partition
from worker.core.datasets.verdict import chronological, sampled, time_order
from worker.core.settings import DatasetSettings

#: History points needed before rows, bytes or freshness are judged.
MIN_HISTORY = 5
#: The median absolute deviation is never taken below this share of the median.
MAD_FLOOR = 0.1
#: History points needed before a column's null share is judged.
NULL_HISTORY = 3
#: A series is regular when at least this share of its steps is one period.
REGULAR_SHARE = 0.8
#: Full periods without a successor after which a regular series is stale.
STALE_PERIODS = 2
#: Lists in evidence (partitions, places) stop at this many items.
MAX_LISTED = 10
#: Overdue periods are counted up to this many.
_OVERDUE_CAP = 1000


def detect(
    dataset_uri: str,
    history: Sequence[PartitionRecord],
    new: Sequence[PartitionRecord],
    previous_verdict: DatasetVerdict | None,
    verdict: DatasetVerdict,
    schema_changes: Sequence[SchemaChange],
    settings: DatasetSettings,
    now: datetime,
    *,
    partitions: Sequence[PartitionInfo] | None = None,
    lineage_changes: Sequence[SchemaChange] = (),
) -> list[AlertCandidate]:
    """Every alert the new partitions, the new verdict and the changes call for.

    :param history: the dataset's partitions sampled before (in any order).
    :param new: the partitions sampled now (a key also in ``history`` counts as new).
    :param previous_verdict: the verdict before this scan; ``None`` on the first scan.
    :param schema_changes: partition drift and changes against the previous scan. A
        partition-drift change alerts only where it happened: at a new partition, and only
        when the partition before it in time did not already differ the same way (a column
        dropped three scans ago is not "removed" again at every new partition).
    :param partitions: every partition of the dataset (the grouping's), for freshness and
        the bytes history (``None``: freshness is not judged, as the sampled records are a
        random draw and would show false gaps; bytes are judged on the sampled records).
    :param lineage_changes: changes along lineage edges of this dataset.
    :returns: candidates in a stable order, one per fingerprint.
    """
    k = settings.history_partitions
    baselines = _baselines(history, new, k)
    found: list[AlertCandidate] = []
    found.extend(volume(dataset_uri, baselines, settings.mad_threshold, partitions, k))
    found.extend(null_shares(dataset_uri, baselines, settings.null_share_jump))
    if partitions is not None:
        found.extend(freshness(dataset_uri, partitions, now, k))
    found.extend(new_pii(dataset_uri, previous_verdict, verdict))
    fresh = _fresh_changes(schema_changes, history, new)
    found.extend(drift_alerts(dataset_uri, fresh, AlertKind.SCHEMA_DRIFT))
    found.extend(drift_alerts(dataset_uri, lineage_changes, AlertKind.LINEAGE_DRIFT))
    unique: dict[str, AlertCandidate] = {}
    for candidate in found:
        unique.setdefault(candidate.fingerprint, candidate)
    return list(unique.values())


Baseline = tuple[PartitionRecord, list[PartitionRecord]]


def _baselines(
    history: Sequence[PartitionRecord], new: Sequence[PartitionRecord], k: int
) -> list[Baseline]:
    """Each new partition with the (at most ``k``) partitions before it in time."""
    new_keys = {r.info.key for r in new}
    ordered = chronological([r for r in history if r.info.key not in new_keys] + list(new))
    return [
        (record, ordered[max(0, i - k) : i])
        for i, record in enumerate(ordered)
        if record.info.key in new_keys
    ]


# --- rows and bytes ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Outlier:
    median: float
    mad: float
    score: float
    points: int


def _outlier(value: float, points: Sequence[float], threshold: float) -> _Outlier | None:
    if len(points) < MIN_HISTORY:
        return None
    median = statistics.median(points)
    mad = statistics.median(abs(p - median) for p in points)
    scale = max(mad, MAD_FLOOR * abs(median), 1.0)
    score = abs(value - median) / scale
    return _Outlier(median, mad, score, len(points)) if score > threshold else None


def _bytes_known(info: PartitionInfo) -> bool:
    return info.object_count > 0 or info.total_bytes > 0


def _volume_alert(
    dataset_uri: str,
    kind: AlertKind,
    record: PartitionRecord,
    value: int,
    found: _Outlier,
    threshold: float,
) -> AlertCandidate:
    unit = "rows" if kind is AlertKind.ROW_COUNT else "bytes"
    label = partition_label(record.info.key)
    if found.median > 0:
        relation = f"{value / found.median:.1f}× the median"
    else:
        relation = "against a median"
    message = (
        f"Partition {label} has {value:,} {unit}, {relation} of {found.median:,.0f} over the "
        f"last {found.points} partitions (MAD {found.mad:,.0f})."
    )
    empty = value == 0 and found.median > 0
    return AlertCandidate(
        kind=kind,
        severity=Severity.CRITICAL if empty else Severity.WARNING,
        dataset_uri=dataset_uri,
        subject=label,
        message=message,
        evidence={
            "partition": label,
            unit: value,
            "median": found.median,
            "mad": found.mad,
            "deviations": round(found.score, 2),
            "threshold": threshold,
            "history_points": found.points,
            "direction": "up" if value > found.median else "down",
        },
    )


def _byte_history(
    baselines: Sequence[Baseline], partitions: Sequence[PartitionInfo] | None, k: int
) -> dict[str, list[float]]:
    """New partition key → the bytes of the (at most ``k``) partitions before it.

    Every partition's bytes are known from the listing, so with ``partitions`` the history
    is the dataset's, not only the sampled partitions'.
    """
    if partitions is None:
        return {
            record.info.key: [float(r.info.total_bytes) for r in before if _bytes_known(r.info)]
            for record, before in baselines
        }
    infos = {info.key: info for info in partitions if _bytes_known(info)}
    infos.update((record.info.key, record.info) for record, _ in baselines)
    ordered = sorted(infos.values(), key=time_order)
    position = {info.key: i for i, info in enumerate(ordered)}
    return {
        record.info.key: [
            float(info.total_bytes)
            for info in ordered[max(0, position[record.info.key] - k) : position[record.info.key]]
        ]
        for record, _ in baselines
    }


def volume(
    dataset_uri: str,
    baselines: Sequence[Baseline],
    threshold: float,
    partitions: Sequence[PartitionInfo] | None = None,
    k: int = 30,
) -> list[AlertCandidate]:
    """Row-count and byte alerts for new partitions far from the history before them.

    :param partitions: every partition of the dataset: the bytes history (else the
        sampled partitions' bytes).
    """
    alerts: list[AlertCandidate] = []
    byte_history = _byte_history(baselines, partitions, k)
    for record, before in baselines:
        if record.row_count is not None:
            rows = [float(r.row_count) for r in before if r.row_count is not None]
            found = _outlier(record.row_count, rows, threshold)
            if found is not None:
                alerts.append(
                    _volume_alert(
                        dataset_uri, AlertKind.ROW_COUNT, record, record.row_count, found, threshold
                    )
                )
        if _bytes_known(record.info):
            found = _outlier(record.info.total_bytes, byte_history[record.info.key], threshold)
            if found is not None:
                alerts.append(
                    _volume_alert(
                        dataset_uri,
                        AlertKind.BYTES,
                        record,
                        record.info.total_bytes,
                        found,
                        threshold,
                    )
                )
    return alerts


# --- null shares ------------------------------------------------------------------------------


def null_shares(
    dataset_uri: str, baselines: Sequence[Baseline], jump: float
) -> list[AlertCandidate]:
    """A column whose null share rose by ``jump`` or more over its recent median."""
    alerts: list[AlertCandidate] = []
    for record, before in baselines:
        label = partition_label(record.info.key)
        for column, share in sorted(record.null_shares.items()):
            points = [r.null_shares[column] for r in before if column in r.null_shares]
            if len(points) < NULL_HISTORY:
                continue
            median = statistics.median(points)
            if share - median < jump - 1e-9:
                continue
            alerts.append(
                AlertCandidate(
                    kind=AlertKind.NULL_SHARE,
                    severity=Severity.WARNING,
                    dataset_uri=dataset_uri,
                    subject=column,
                    message=(
                        f"Column {column} is {share:.0%} null in partition {label}, up from a "
                        f"median of {median:.0%} over the last {len(points)} partitions."
                    ),
                    evidence={
                        "column": column,
                        "partition": label,
                        "null_share": round(share, 4),
                        "median": round(median, 4),
                        "jump": round(share - median, 4),
                        "threshold": jump,
                        "history_points": len(points),
                    },
                )
            )
    return alerts


# --- freshness --------------------------------------------------------------------------------

_YEAR = frozenset({"year", "yyyy", "yr", "y"})
_MONTH = frozenset({"month", "mm", "mon", "m"})
_DAY = frozenset({"day", "dd", "d"})
_HOUR = frozenset({"hour", "hh", "hr", "h"})
_DAY_VALUE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T _-](\d{2})(?::\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(\d{2})?")
_MONTH_VALUE = re.compile(r"(\d{4})-(\d{2})")
_PERIOD_NAMES = {"hour": "hourly", "day": "daily", "month": "monthly"}


@dataclass(frozen=True, slots=True)
class _Point:
    """A partition's place in time: its day (or month) and hour, and its other values."""

    day: date
    hour: int | None
    monthly: bool
    series: tuple[tuple[str, str], ...]
    key: str


def _parse_value(value: str) -> tuple[int, int, int | None, int | None] | None:
    """(year, month, day, hour) of a partition value that names a time, else ``None``."""
    for pattern in (_DAY_VALUE, _COMPACT):
        match = pattern.fullmatch(value)
        if match is not None:
            year, month, day, hour = match.groups()
            return int(year), int(month), int(day), int(hour) if hour is not None else None
    match = _MONTH_VALUE.fullmatch(value)
    if match is not None:
        return int(match.group(1)), int(match.group(2)), None, None
    return None


def _point(info: PartitionInfo) -> _Point | None:
    parts: dict[str, int] = {}
    used: set[int] = set()
    # Hive escapes ":" and spaces in partition values (dt=2025-01-03%2000%3A00%3A00).
    values = [(name, unquote(value)) for name, value in info.values]
    for i, (name, value) in enumerate(values):
        lower = name.lower()
        for field_name, names in (("y", _YEAR), ("m", _MONTH), ("d", _DAY), ("h", _HOUR)):
            if lower in names and value.isdigit() and field_name not in parts:
                parts[field_name] = int(value)
                used.add(i)
                break
    if "y" not in parts:
        for i, (_, value) in enumerate(values):
            parsed = None if i in used else _parse_value(value)
            if parsed is None:
                continue
            year, month, day, hour = parsed
            parts.update(y=year, m=month)
            if day is not None:
                parts["d"] = day
            if hour is not None:
                parts.setdefault("h", hour)
            used.add(i)
            break
    if "y" not in parts or "m" not in parts or not 1970 <= parts["y"] <= 2200:
        return None
    hour = parts.get("h")
    if hour is not None and ("d" not in parts or not 0 <= hour <= 23):
        return None
    try:
        when = date(parts["y"], parts["m"], parts.get("d", 1))
    except ValueError:
        return None
    series = tuple(pair for i, pair in enumerate(info.values) if i not in used)
    return _Point(when, hour, "d" not in parts, series, info.key)


@dataclass(frozen=True, slots=True)
class _Calendar:
    """A series' period as integer indexes (hours, days or months since year 1)."""

    unit: str  # "hour", "day", "month"
    business: bool = False

    def index(self, point: _Point) -> int:
        if self.unit == "month":
            return point.day.year * 12 + point.day.month - 1
        if self.unit == "hour":
            return point.day.toordinal() * 24 + (point.hour or 0)
        return point.day.toordinal()

    def start(self, index: int) -> datetime:
        if self.unit == "month":
            return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)
        if self.unit == "hour":
            base = date.fromordinal(index // 24)
            return datetime(base.year, base.month, base.day, tzinfo=UTC) + timedelta(
                hours=index % 24
            )
        base = date.fromordinal(index)
        return datetime(base.year, base.month, base.day, tzinfo=UTC)

    def expected(self, index: int) -> bool:
        return not self.business or date.fromordinal(index).weekday() < 5

    def render(self, index: int) -> str:
        start = self.start(index)
        if self.unit == "month":
            return start.strftime("%Y-%m")
        if self.unit == "hour":
            return start.strftime("%Y-%m-%dT%H")
        return start.date().isoformat()

    def missing(self, after: int, before: int, limit: int = 100_000) -> list[int]:
        """Expected periods strictly between two indexes (at most ``limit`` looked at)."""
        return [i for i in range(after + 1, min(before, after + 1 + limit)) if self.expected(i)]


def _series(partitions: Iterable[PartitionInfo]) -> dict[tuple[tuple[str, str], ...], list[_Point]]:
    series: dict[tuple[tuple[str, str], ...], list[_Point]] = {}
    for info in partitions:
        point = _point(info)
        if point is not None:
            series.setdefault(point.series, []).append(point)
    return series


def _calendar(points: Sequence[_Point]) -> _Calendar | None:
    if all(p.monthly for p in points):
        unit = "month"
    elif any(p.monthly for p in points):
        return None  # mixed periods: no series to judge
    elif all(p.hour is None or p.hour == 0 for p in points):
        unit = "day"  # "2025-01-03 00:00:00" every day is a daily series
    elif all(p.hour is not None for p in points):
        unit = "hour"
    else:
        return None
    # A daily series without a single weekend day counts business days: a real daily
    # series of 7 points or more has one, and a short one is ambiguous (no alert is safer).
    business = unit == "day" and all(p.day.weekday() < 5 for p in points)
    return _Calendar(unit, business)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def freshness(
    dataset_uri: str, partitions: Sequence[PartitionInfo], now: datetime, history: int
) -> list[AlertCandidate]:
    """Gaps right before the newest partition of a regular series, and stale series.

    :param partitions: every partition of the dataset.
    :param history: the points of a series looked at (``history_partitions``).
    """
    alerts: list[AlertCandidate] = []
    for series, points in sorted(_series(partitions).items()):
        calendar = _calendar(points)
        if calendar is None:
            continue
        keys: dict[int, str] = {}
        for point in sorted(points, key=lambda p: p.key):
            keys.setdefault(calendar.index(point), point.key)
        indexes = sorted(keys)[-(history + 1) :]
        before, newest = indexes[:-1], indexes[-1] if indexes else 0
        if len(before) < MIN_HISTORY:
            continue
        steps = [
            len(calendar.missing(a, b, limit=2)) + 1
            for a, b in zip(before, before[1:], strict=False)
        ]
        if sum(1 for s in steps if s == 1) < REGULAR_SHARE * len(steps):
            continue
        label = "".join(f"{k}={v}/" for k, v in series)
        common: dict[str, Any] = {
            "series": label or None,
            "period": calendar.unit,
            "business_days": calendar.business,
            "newest": keys[newest],
            "points": len(indexes),
        }
        missing = calendar.missing(before[-1], newest)
        if missing:
            alerts.append(_gap_alert(dataset_uri, calendar, label, missing, keys, before, common))
        overdue = _overdue(calendar, newest, _aware(now))
        if overdue >= STALE_PERIODS:
            period = calendar.unit
            alerts.append(
                AlertCandidate(
                    kind=AlertKind.FRESHNESS,
                    severity=Severity.WARNING,
                    dataset_uri=dataset_uri,
                    subject=f"stale:{keys[newest]}",
                    message=(
                        f"No partition after {keys[newest]} in the "
                        f"{_PERIOD_NAMES[period]} series {label or '(dataset)'}: "
                        f"{overdue}{'+' if overdue >= _OVERDUE_CAP else ''} {period}s overdue."
                    ),
                    evidence={**common, "overdue_periods": overdue},
                )
            )
    return alerts


def _overdue(calendar: _Calendar, newest: int, now: datetime) -> int:
    """Expected periods after ``newest`` that have fully ended by ``now`` (capped)."""
    count = 0
    index = newest + 1
    for _ in range(_OVERDUE_CAP * 2):
        if calendar.start(index + 1) > now or count >= _OVERDUE_CAP:
            break
        if calendar.expected(index):
            count += 1
        index += 1
    return count


def _gap_alert(
    dataset_uri: str,
    calendar: _Calendar,
    label: str,
    missing: list[int],
    keys: dict[int, str],
    before: list[int],
    common: dict[str, Any],
) -> AlertCandidate:
    first, last = calendar.render(missing[0]), calendar.render(missing[-1])
    span = first if first == last else f"{first} to {last}"
    return AlertCandidate(
        kind=AlertKind.FRESHNESS,
        severity=Severity.WARNING,
        dataset_uri=dataset_uri,
        subject=f"gap:{label}{first}",
        message=(
            f"{len(missing)} {calendar.unit} partition{'s' if len(missing) > 1 else ''} "
            f"missing from the {_PERIOD_NAMES[calendar.unit]} series "
            f"{label or '(dataset)'}: {span}, between {keys[before[-1]]} and "
            f"{common['newest']}."
        ),
        evidence={
            **common,
            "missing": len(missing),
            "first_missing": first,
            "last_missing": last,
            "previous": keys[before[-1]],
        },
    )


# --- new PII ----------------------------------------------------------------------------------


def new_pii(
    dataset_uri: str, previous: DatasetVerdict | None, verdict: DatasetVerdict
) -> list[AlertCandidate]:
    """An entity that holds now and held nowhere in the dataset before (not on a first scan)."""
    if previous is None:
        return []
    before = sorted({entity for entity, _ in previous.entities})
    columns = {c.column: c for c in verdict.columns}
    alerts: list[AlertCandidate] = []
    for entity, names in verdict.entities:
        if entity in before:
            continue
        for name in names:
            column = columns.get(name)
            share = dict(column.entities).get(entity, 0.0) if column is not None else 0.0
            having = column.partitions if column is not None else 0
            found_in = round(share * having)
            alerts.append(
                AlertCandidate(
                    kind=AlertKind.NEW_PII,
                    severity=Severity.CRITICAL,
                    dataset_uri=dataset_uri,
                    subject=f"{name}:{entity}",
                    message=(
                        f"New PII: {entity} holds in column {name} (found in {found_in} of "
                        f"{having} sampled partitions); the dataset had no {entity} before."
                    ),
                    evidence={
                        "entity": entity,
                        "column": name,
                        "share": share,
                        "partitions": having,
                        "partitions_sampled": verdict.partitions_sampled,
                        "previous_entities": before,
                    },
                )
            )
    return alerts


# --- drift ------------------------------------------------------------------------------------


def _fresh_changes(
    changes: Sequence[SchemaChange],
    history: Sequence[PartitionRecord],
    new: Sequence[PartitionRecord],
) -> list[SchemaChange]:
    """The changes that are news.

    Every change not tied to a partition, and partition drift at a new partition that the
    partition before it in time does not share.
    """
    new_keys = {r.info.key for r in new}
    known = {r.info.key: r for r in history} | {r.info.key: r for r in new}
    ordered = chronological(sampled(known.values()))
    predecessor = {r.info.key: p for p, r in zip(ordered, ordered[1:], strict=False)}
    kept: list[SchemaChange] = []
    for change in changes:
        key = where_partition(change.where)
        if key is None:
            kept.append(change)
            continue
        if key not in new_keys:
            continue  # a transition in the history: alerted when that partition was new
        previous = predecessor.get(key)
        if previous is None or any(
            (c.kind, c.column) == (change.kind, change.column)
            for c in between(previous, known[key], "")
        ):
            kept.append(change)
    return kept


_DRIFT_SEVERITY = {
    ChangeKind.ADDED: Severity.INFO,
    ChangeKind.REMOVED: Severity.WARNING,
    ChangeKind.RETYPED: Severity.WARNING,
    ChangeKind.NULLABILITY: Severity.INFO,
}


def _drift_subject(change: SchemaChange, kind: AlertKind) -> str:
    subject = f"{change.column}:{change.kind.value}"
    if change.kind is ChangeKind.RETYPED:
        subject += f":{change.before}->{change.after}"
    return f"{change.where}:{subject}" if kind is AlertKind.LINEAGE_DRIFT else subject


def _drift_message(change: SchemaChange, places: Sequence[str]) -> str:
    where = places[0] if len(places) == 1 else f"{places[0]} and {len(places) - 1} more"
    column = change.column
    if change.kind is ChangeKind.ADDED:
        return f"Column {column} ({change.after}) was added ({where})."
    if change.kind is ChangeKind.REMOVED:
        typed = f" ({change.before})" if change.before else ""
        return f"Column {column}{typed} is missing ({where})."
    if change.kind is ChangeKind.RETYPED:
        return f"Column {column} changed type from {change.before} to {change.after} ({where})."
    return f"Column {column} changed from {change.before} to {change.after} ({where})."


def drift_alerts(
    dataset_uri: str, changes: Sequence[SchemaChange], kind: AlertKind
) -> list[AlertCandidate]:
    """One alert per column change (the same change seen in several places is one alert).

    :param kind: ``schema_drift`` (subject ``column:change``, whatever compared it) or
        ``lineage_drift`` (the subject names the edge too).
    """
    groups: dict[str, list[SchemaChange]] = {}
    for change in changes:
        groups.setdefault(_drift_subject(change, kind), []).append(change)
    alerts: list[AlertCandidate] = []
    for subject, same in groups.items():
        first = same[0]
        places = list(dict.fromkeys(c.where for c in same))
        alerts.append(
            AlertCandidate(
                kind=kind,
                severity=_DRIFT_SEVERITY[first.kind],
                dataset_uri=dataset_uri,
                subject=subject,
                message=_drift_message(first, places),
                evidence={
                    "column": first.column,
                    "change": first.kind.value,
                    "before": first.before,
                    "after": first.after,
                    "where": places[:MAX_LISTED],
                    "places": len(places),
                },
            )
        )
    return alerts
