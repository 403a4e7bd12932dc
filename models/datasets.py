"""Datasets: the tables users think in, made of S3 objects and partitions. Pure data.

``exports/orders/dt=2025-01-01/part-0000.parquet`` and its 3,000 siblings are one dataset,
``s3://bucket/exports/orders/``. A :class:`DatasetSummary` says which objects form it, by
which :class:`GroupingRule` (explainable), with its partitions; a :class:`DatasetVerdict`
merges the findings of the sampled partitions; :class:`SchemaChange` and
:class:`AlertCandidate` describe drift and anomalies. Nothing here holds a sampled value.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class GroupingRule(StrEnum):
    """Why objects form one dataset (recorded with every dataset)."""

    HIVE = "hive"  # key=value partition folders, any depth
    DATE = "date"  # date folders: 2025/01/02/, 2025-01-02/, 20250102/
    SPARK = "spark"  # a Spark/Hadoop output folder: part-*, _SUCCESS, _committed_*, .crc
    SHARDS = "shards"  # numbered shards of one name: data_0001.csv, x-00001-of-00010.json
    DELTA = "delta"  # a Delta Lake table (_delta_log/)
    ICEBERG = "iceberg"  # an Iceberg table (metadata/*.metadata.json)
    SINGLE = "single"  # a lone file: a dataset of one
    OVERRIDE = "override"  # a per-prefix rule from the settings (datasets.rules)


@dataclass(frozen=True, order=True, slots=True)
class DatasetRef:
    """A dataset's identity: a bucket and a root (a local dataset has no bucket).

    :param root: a prefix ending in ``/`` (a folder dataset), or a whole key (a dataset of one
        object). ``""`` is the bucket root as a folder.
    """

    bucket: str
    root: str

    @property
    def uri(self) -> str:
        """``s3://bucket/root``: what the CLI, the lineage graph and the catalog key on.

        A local dataset (``bucket`` empty, ``root`` an absolute path) is ``file:///path``.
        """
        if not self.bucket:
            return f"file://{self.root}"
        return f"s3://{self.bucket}/{self.root}"

    @property
    def is_prefix(self) -> bool:
        """A folder dataset (not a single object)."""
        return self.root == "" or self.root.endswith("/")

    @property
    def name(self) -> str:
        """A short human name: the last folder or the file name (``orders``)."""
        trimmed = self.root.rstrip("/")
        return trimmed.rsplit("/", 1)[-1] if trimmed else self.bucket

    def contains_key(self, key: str) -> bool:
        """Whether the object ``key`` (same bucket) lies in this dataset."""
        return key.startswith(self.root) if self.is_prefix else key == self.root

    @classmethod
    def parse(cls, uri: str) -> DatasetRef:
        """Parse ``s3://bucket/root``.

        :raises ValueError: not an ``s3://`` URI with a bucket.
        """
        if uri.startswith("file:///"):
            return cls("", uri[7:])
        if not uri.startswith("s3://"):
            raise ValueError(f"{uri!r}: a dataset is named s3://bucket/prefix/ or s3://bucket/key")
        bucket, _, root = uri[5:].partition("/")
        if not bucket:
            raise ValueError(f"{uri!r} has no bucket")
        return cls(bucket, root)

    def __str__(self) -> str:
        return self.uri


@dataclass(frozen=True, slots=True)
class PartitionInfo:
    """One partition of a dataset: a folder under the root (``dt=2025-01-01/``).

    :param key: the partition's path relative to the dataset root, ending in ``/``; ``""``
        for a dataset without partitions (its objects sit at the root).
    :param values: partition column → value (``{"dt": "2025-01-01"}``); date folders give
        ``year``/``month``/``day`` (or ``date``).
    :param newest: the newest ``LastModified`` of its objects.
    :param sample_key: the key of the object sampled for this partition (the largest data
        file: it is the most representative one).
    """

    key: str
    values: tuple[tuple[str, str], ...] = ()
    object_count: int = 0
    total_bytes: int = 0
    newest: datetime | None = None
    sample_key: str | None = None


@dataclass(frozen=True, slots=True)
class SchemaColumn:
    """One column of a dataset schema (no values)."""

    name: str
    data_type: str
    nullable: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"name": self.name, "data_type": self.data_type, "nullable": self.nullable}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SchemaColumn:
        """Inverse of :meth:`to_dict`."""
        return cls(str(data["name"]), str(data["data_type"]), bool(data.get("nullable", True)))


@dataclass(frozen=True, slots=True)
class DatasetSummary:
    """A dataset as grouped from a listing.

    :param rule: the rule that formed it; ``explanation`` says it in words
        (``"hive partitions dt (3 levels: year, month, day)"``).
    :param partitions: every partition seen, in key order (partition folders, not objects).
    :param partition_columns: names of the partition columns, outermost first.
    :param formats: file format → object count (``{"parquet": 3000}``); marker files
        (``_SUCCESS``, ``.crc``, logs) are counted in ``marker_count``, never sampled.
    :param table_schema: the schema a Delta log or Iceberg metadata declares, when read.
    """

    ref: DatasetRef
    rule: GroupingRule
    explanation: str
    object_count: int = 0
    total_bytes: int = 0
    marker_count: int = 0
    partition_columns: tuple[str, ...] = ()
    partitions: tuple[PartitionInfo, ...] = ()
    formats: tuple[tuple[str, int], ...] = ()
    newest: datetime | None = None
    table_schema: tuple[SchemaColumn, ...] = ()

    @property
    def uri(self) -> str:
        """The dataset's URI."""
        return self.ref.uri


@dataclass(frozen=True, slots=True)
class ColumnVerdict:
    """One column of a dataset, merged over the sampled partitions.

    :param entities: entity → share of the sampled partitions (where the column exists) in
        which it was found; the entity holds for the dataset at or above the settings' share.
    :param partitions: sampled partitions that have the column.
    """

    column: str
    data_type: str
    entities: tuple[tuple[str, float], ...] = ()
    partitions: int = 0


@dataclass(frozen=True, slots=True)
class DatasetVerdict:
    """One verdict per dataset: what holds across its sampled partitions.

    :param entities: entity → columns on which it holds (share at or above the threshold).
    :param category_words_agree: whether the table's words alone point to the category, as
        most of the sampled partitions whose top category it is said (``None``: none said).
    :param category_values_only: whether most of those partitions had most of their column
        names say nothing (the category read from the values alone: never applied without a
        steward, :func:`worker.core.review_policy.category_threshold`).
    :param category_names_contradicted: whether most of those partitions had enough of their
        column names contradicted by the values (the names may be another table's: never
        applied without a steward either).
    """

    dataset_uri: str
    partitions_sampled: int
    partitions_total: int
    columns: tuple[ColumnVerdict, ...] = ()
    category: str | None = None
    category_confidence: float | None = None
    description: str | None = None
    entities: tuple[tuple[str, tuple[str, ...]], ...] = ()
    category_words_agree: bool | None = None
    category_values_only: bool = False
    category_names_contradicted: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON form (no values: entities, shares and counts only)."""
        return {
            "dataset": self.dataset_uri,
            "partitions_sampled": self.partitions_sampled,
            "partitions_total": self.partitions_total,
            "category": self.category,
            "category_confidence": self.category_confidence,
            "category_words_agree": self.category_words_agree,
            "category_values_only": self.category_values_only,
            "category_names_contradicted": self.category_names_contradicted,
            "description": self.description,
            "entities": {e: list(cols) for e, cols in self.entities},
            "columns": [
                {
                    "name": c.column,
                    "data_type": c.data_type,
                    "partitions": c.partitions,
                    "entities": dict(c.entities),
                }
                for c in self.columns
            ],
        }


class ChangeKind(StrEnum):
    """A schema change between two states of a dataset, or two stages of a pipeline."""

    ADDED = "added"
    REMOVED = "removed"
    RETYPED = "retyped"
    NULLABILITY = "nullability"


@dataclass(frozen=True, slots=True)
class SchemaChange:
    """One column that differs.

    :param where: what was compared (``"partition dt=2025-01-03/ vs dataset"``, ``"previous
        scan"``, ``"postgres:appdb.app.customers → s3://lake/exports/customers/"``).
    """

    kind: ChangeKind
    column: str
    before: str | None
    after: str | None
    where: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "kind": self.kind.value,
            "column": self.column,
            "before": self.before,
            "after": self.after,
            "where": self.where,
        }


class AlertKind(StrEnum):
    """What an alert is about."""

    SCHEMA_DRIFT = "schema_drift"  # across partitions or against the previous scan
    LINEAGE_DRIFT = "lineage_drift"  # across pipeline stages, along column maps
    ROW_COUNT = "row_count"  # a partition's rows far from the dataset's history
    BYTES = "bytes"  # a partition's bytes far from the dataset's history
    FRESHNESS = "freshness"  # a partition missing from a regular series
    NULL_SHARE = "null_share"  # a column's null share jumped
    NEW_PII = "new_pii"  # an entity appeared in a dataset that had none of it
    CONTRACT = "contract"  # the latest scan breaks a rule of the dataset's data contract


class Severity(StrEnum):
    """How urgent an alert is."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertState(StrEnum):
    """Where an alert is in its life."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class AlertCandidate:
    """An alert as a detector raises it, before storage deduplicates it.

    :param subject: what within the dataset it is about (a column, a partition, an entity),
        part of the fingerprint so that the same finding on the next scan is the same alert.
    :param evidence: counts, shares, types, partition keys: never a sampled value.
    """

    kind: AlertKind
    severity: Severity
    dataset_uri: str
    subject: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """Stable identity across scans: kind, dataset and subject."""
        text = f"{self.kind.value}\x1f{self.dataset_uri}\x1f{self.subject}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Alert:
    """A stored alert (deduplicated by fingerprint)."""

    id: int
    kind: AlertKind
    severity: Severity
    dataset_uri: str
    subject: str
    message: str
    evidence: dict[str, Any]
    state: AlertState
    first_seen: datetime
    last_seen: datetime
    occurrences: int = 1
    actor: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form (API, CLI ``--format json``, webhook payloads)."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "severity": self.severity.value,
            "dataset": self.dataset_uri,
            "subject": self.subject,
            "message": self.message,
            "evidence": self.evidence,
            "state": self.state.value,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "occurrences": self.occurrences,
            "actor": self.actor,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class PartitionRecord:
    """A stored partition, with what its sample showed (no values).

    :param null_shares: column → share of null cells in the sample.
    :param findings: column → entity → confidence found in this partition's sample.
    :param columns: the partition sample's schema.
    :param sample_error: the error kind when the sample object failed (the next scan tries
        the partition again); ``None`` when it was classified or skipped.
    :param distinct_shares: column → distinct non-null values / non-null values in the
        sample (a column with no non-null value has none). Last so that positional
        construction keeps its meaning.
    """

    dataset_uri: str
    info: PartitionInfo
    first_seen: datetime
    sampled_at: datetime | None = None
    row_count: int | None = None
    null_shares: dict[str, float] = field(default_factory=dict)
    findings: dict[str, dict[str, float]] = field(default_factory=dict)
    columns: tuple[SchemaColumn, ...] = ()
    sample_error: str | None = None
    distinct_shares: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SchemaVersion:
    """One version of a dataset's schema, with the changes from the version before."""

    dataset_uri: str
    version: int
    columns: tuple[SchemaColumn, ...]
    source: str  # "scan", "delta", "iceberg"
    changes: tuple[SchemaChange, ...]
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class StoredDataset:
    """A dataset as the catalog keeps it: the last grouping, verdict and schema version."""

    summary: DatasetSummary
    partition_count: int
    first_seen: datetime
    last_seen: datetime
    last_scanned: datetime | None = None
    verdict: DatasetVerdict | None = None
    schema_version: int | None = None


@dataclass(frozen=True, slots=True)
class DatasetUpdate:
    """What recording a grouped dataset changed.

    :param new_partitions: partition keys the catalog had not seen (an incremental re-scan
        samples these, and only these, when the dataset was sampled before).
    """

    is_new: bool
    new_partitions: tuple[str, ...] = ()
    removed_partitions: tuple[str, ...] = ()
