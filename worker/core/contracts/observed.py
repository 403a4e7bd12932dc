"""What scans observed of a dataset, and the ODCS contract that states it as starting rules.

:func:`observe` condenses the catalog's record of a dataset (its verdict, partitions and
schema; counts, shares and types only) into an :class:`Observation`; :func:`draft_contract`
writes that observation as an ODCS v3 contract whose rules are the observed values, for the
data owner to review and tighten. How each field is used is in ``docs/contracts.md``.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from open_data_contract_standard.model import (
    CustomProperty,
    DataQuality,
    Description,
    OpenDataContractStandard,
    SchemaObject,
    SchemaProperty,
    Server,
    ServiceLevelAgreementProperty,
    Team,
    TeamMember,
)

from models.datasets import PartitionInfo, PartitionRecord, SchemaColumn, StoredDataset
from worker.core.datasets.verdict import UNTYPED

#: ``vendor`` of the custom properties s3-enricher reads and writes.
VENDOR = "s3-enricher"
#: The ODCS version written.
API_VERSION = "v3.1.0"
#: Placeholders the data owner replaces (``init`` cannot know the owner).
OWNER_TEAM = "TO FILL IN: the owning team"
OWNER_USERNAME = "TO FILL IN: owner@example.com"
#: Custom property: the dataset the contract is about (its URI).
DATASET = "dataset"
#: Custom property: the dataset's category (customer, finance, ...).
CATEGORY = "category"
#: Custom property: PII entities allowed (on a column, a schema object or the contract).
ALLOWED_PII = "allowedPii"
#: Suffix of an allowed entity that may be present only masked.
MASKED = ":masked"
#: Formats whose row counts are read from metadata (the Parquet footer), not estimated.
_METADATA_ROWS = frozenset({"parquet"})

_DAY = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})(?:[T ]?(\d{2}))?.*")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_PARTS = {"year": "y", "yyyy": "y", "month": "m", "mm": "m", "day": "d", "dd": "d", "hour": "h"}


@dataclass(frozen=True, slots=True)
class ObservedColumn:
    """One column as the latest scans saw it (no value).

    :param nullable: what a declared schema (Delta, Iceberg) says; ``True`` from samples.
    :param null_share: the highest null share in a sampled partition's sample (0..1).
    :param distinct_share: distinct values / non-null values in the sample, when kept.
    :param entities: PII entities that hold on the column in the dataset's verdict.
    :param partitions: sampled partitions that have the column.
    """

    name: str
    data_type: str
    nullable: bool = True
    null_share: float | None = None
    distinct_share: float | None = None
    entities: tuple[str, ...] = ()
    partitions: int = 0


@dataclass(frozen=True, slots=True)
class Observation:
    """A dataset as its latest scans left it in the catalog (counts, shares, types only).

    :param row_count: the dataset's rows when every partition's count was read from metadata
        (a Parquet footer of the one object of each partition); ``None`` otherwise, with
        ``row_count_note`` saying why.
    :param newest_partition: the time of the newest partition (the time its values name,
        ``dt=2025-01-02``, else its newest object's modification time); ``None`` for a
        dataset without partition columns.
    """

    dataset_uri: str
    name: str
    columns: tuple[ObservedColumn, ...]
    category: str | None = None
    formats: tuple[str, ...] = ()
    partition_columns: tuple[str, ...] = ()
    partitions_total: int = 0
    partitions_sampled: int = 0
    row_count: int | None = None
    row_count_note: str = ""
    newest_partition: datetime | None = None
    scanned_at: datetime | None = None

    def column(self, name: str) -> ObservedColumn | None:
        """The observed column ``name``, or ``None``."""
        return next((c for c in self.columns if c.name == name), None)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def partition_time(info: PartitionInfo) -> datetime | None:
    """The time a partition stands for: the one its values name, else its newest object's.

    ``dt=2025-01-02``, ``date=20250102``, ``dt=2025-01-02T07``, ``month=2025-01`` and
    ``year=/month=/day=(/hour=)`` name a time (UTC); other partitions fall back to the newest
    ``LastModified`` of their objects.
    """
    values = [(name.lower(), unquote(value)) for name, value in info.values]
    parts = {_PARTS[n]: int(v) for n, v in values if n in _PARTS and v.isdigit()}
    found: tuple[int, int, int, int] | None = None
    if "y" in parts and "m" in parts:
        found = (parts["y"], parts["m"], parts.get("d", 1), parts.get("h", 0))
    else:
        for _, value in values:
            day = _DAY.fullmatch(value)
            if day is not None:
                y, m, d, h = day.groups()
                found = (int(y), int(m), int(d), int(h or 0))
                break
            month = _MONTH.fullmatch(value)
            if month is not None:
                found = (int(month.group(1)), int(month.group(2)), 1, 0)
                break
    if found is not None:
        try:
            return datetime(*found, tzinfo=UTC)
        except ValueError:
            pass  # not a date after all (dt=2025-13-45): the modification time stands in
    return _aware(info.newest) if info.newest is not None else None


def _row_count(stored: StoredDataset, records: Sequence[PartitionRecord]) -> tuple[int | None, str]:
    formats = {f for f, _ in stored.summary.formats}
    if not formats or not formats <= _METADATA_ROWS:
        return None, "row counts of text formats are estimated from the sample, not metadata"
    if len(records) < stored.partition_count or any(r.row_count is None for r in records):
        return None, "not every partition was sampled: the dataset's row count is not known"
    if any(r.info.object_count > 1 for r in records):
        return None, "partitions of several files: their row counts are scaled, not read"
    return sum(r.row_count or 0 for r in records), ""


def observe(
    stored: StoredDataset,
    partitions: Sequence[PartitionRecord],
    schema: Sequence[SchemaColumn] = (),
    distinct_shares: Mapping[str, float] | None = None,
) -> Observation:
    """Condense a dataset's catalog record into an :class:`Observation`.

    :param stored: the dataset (its verdict gives the columns, types, PII and category).
    :param partitions: its partition records (null shares, row counts, partition times).
    :param schema: the latest schema version (its nullability), when known.
    :param distinct_shares: column → distinct share kept by the catalog, when it keeps one.
    """
    verdict = stored.verdict
    sampled = [r for r in partitions if r.sampled_at is not None and r.columns]
    declared = {c.name: c for c in schema}
    holding: dict[str, list[str]] = {}
    if verdict is not None:
        for entity, cols in verdict.entities:
            for name in cols:
                holding.setdefault(name, []).append(entity)
    columns = []
    for cv in verdict.columns if verdict is not None else ():
        shares = [r.null_shares[cv.column] for r in sampled if cv.column in r.null_shares]
        column = declared.get(cv.column)
        columns.append(
            ObservedColumn(
                name=cv.column,
                data_type=cv.data_type,
                nullable=column.nullable if column is not None else True,
                null_share=max(shares) if shares else None,
                distinct_share=(distinct_shares or {}).get(cv.column),
                entities=tuple(sorted(holding.get(cv.column, []))),
                partitions=cv.partitions,
            )
        )
    rows, note = _row_count(stored, partitions)
    summary = stored.summary
    times = [partition_time(r.info) for r in partitions] if summary.partition_columns else []
    known = [t for t in times if t is not None]
    return Observation(
        dataset_uri=summary.uri,
        name=summary.ref.name,
        columns=tuple(columns),
        category=verdict.category if verdict is not None else None,
        formats=tuple(f for f, _ in summary.formats),
        partition_columns=summary.partition_columns,
        partitions_total=stored.partition_count,
        partitions_sampled=len(sampled),
        row_count=rows,
        row_count_note=note,
        newest_partition=max(known) if known else None,
        scanned_at=stored.last_scanned,
    )


# --- the starting contract --------------------------------------------------------------------

_LOGICAL = (
    (re.compile(r"^(u?int\d*|integer|bigint|smallint|tinyint|long|short)$"), "integer"),
    (re.compile(r"^(float\d*|double|real|decimal.*|numeric.*|halffloat)$"), "number"),
    (
        re.compile(r"^(string|large_string|utf8|text|varchar.*|char.*|binary|large_binary)$"),
        "string",
    ),  # fmt: skip
    (re.compile(r"^bool(ean)?$"), "boolean"),
    (re.compile(r"^date(32|64)?(\[.*\])?$"), "date"),
    (re.compile(r"^timestamp.*$"), "timestamp"),
    (re.compile(r"^time(32|64)?(\[.*\])?$"), "time"),
    (re.compile(r"^(large_)?list.*$|^array.*$"), "array"),
    (re.compile(r"^struct.*$"), "object"),
    (re.compile(r"^map.*$"), "map"),
)


def logical_type(data_type: str) -> str | None:
    """The ODCS ``logicalType`` of a type name the samplers give, or ``None`` if unknown."""
    text = data_type.strip().lower()
    if text in UNTYPED:
        return None
    return next((logical for pattern, logical in _LOGICAL if pattern.match(text)), None)


def contract_id(dataset_uri: str) -> str:
    """A stable contract id for a dataset (ODCS ids allow letters, digits, ``-``, ``_``)."""
    return "s3e-" + hashlib.sha256(dataset_uri.encode()).hexdigest()[:20]


def _up(value: float, digits: int = 2) -> float:
    """``value`` rounded up at ``digits`` decimals, so that the observed value passes."""
    scale = 10**digits
    return float(math.ceil(value * scale - 1e-9) / scale)


def _prop(name: str, value: Any, description: str) -> CustomProperty:
    return CustomProperty(property=name, value=value, vendor=VENDOR, description=description)


def _column(c: ObservedColumn, sampled: int) -> SchemaProperty:
    quality: list[DataQuality] = []
    if c.null_share is not None:
        quality.append(
            DataQuality(
                type="library",
                metric="nullValues",
                unit="percent",
                mustBeLessOrEqualTo=_up(c.null_share * 100),
                dimension="completeness",
                description="Share of nulls in the sample of any partition; starting bound: "
                "the highest share observed.",
            )
        )
    if c.distinct_share is not None:
        quality.append(
            DataQuality(
                type="library",
                metric="duplicateValues",
                unit="percent",
                arguments={"scope": "sample"},
                mustBeLessOrEqualTo=_up((1 - c.distinct_share) * 100),
                dimension="uniqueness",
                description="Share of repeated non-null values within the sample (not over "
                "the whole table); starting bound: the share observed.",
            )
        )
    complete = c.null_share == 0.0 and c.partitions >= sampled
    return SchemaProperty(
        name=c.name,
        physicalType=c.data_type,
        logicalType=logical_type(c.data_type),
        required=(not c.nullable) or complete,
        classification="restricted" if c.entities else "internal",
        tags=[f"pii:{e}" for e in c.entities] or None,
        customProperties=[
            _prop(
                ALLOWED_PII,
                list(c.entities),
                "PII entities allowed in this column ([]: none; ENTITY:masked: only masked).",
            )
        ],
        quality=quality or None,
    )


def _server(obs: Observation) -> Server:
    fmt = obs.formats[0] if len(obs.formats) == 1 else None
    if obs.dataset_uri.startswith("file://"):
        return Server(server="local", type="local", path=obs.dataset_uri[7:], format=fmt or "mixed")
    return Server(server="lake", type="s3", location=obs.dataset_uri, format=fmt)


def draft_contract(obs: Observation, now: datetime) -> OpenDataContractStandard:
    """The ODCS v3 contract that states ``obs``: every rule holds for what was observed.

    Schema (names, physical and logical types, ``required`` where the samples saw no null),
    each column's PII as ``classification``, tags and the ``allowedPii`` custom property,
    the category, an owner placeholder, quality rules (null share; distinct share when kept;
    row count from metadata: half to twice the observed count) and, for a partitioned
    dataset, a latency SLA on the newest partition (its observed age in days, rounded up,
    plus one day).
    """
    sampled = obs.partitions_sampled
    entities = sorted({e for c in obs.columns for e in c.entities})
    table_quality: list[DataQuality] = []
    if obs.row_count is not None:
        table_quality.append(
            DataQuality(
                type="library",
                metric="rowCount",
                unit="rows",
                mustBeBetween=[obs.row_count // 2, obs.row_count * 2],
                dimension="completeness",
                description=f"Rows from the files' metadata; starting bounds: half to twice "
                f"the {obs.row_count:,} rows observed.",
            )
        )
    sla: list[ServiceLevelAgreementProperty] = []
    if obs.newest_partition is not None and obs.partition_columns:
        age_days = max(0.0, (now - obs.newest_partition).total_seconds() / 86400)
        sla.append(
            ServiceLevelAgreementProperty(
                property="latency",
                value=math.ceil(age_days) + 1,
                unit="d",
                element=f"{obs.name}.{obs.partition_columns[0]}",
                driver="operational",
                description="The newest partition is at most this old (the time its values "
                "name, else its files' modification time); starting bound: the age observed.",
            )
        )
    custom = [_prop(DATASET, obs.dataset_uri, "The dataset this contract is about.")]
    if obs.category is not None:
        custom.append(_prop(CATEGORY, obs.category, "The dataset's category, as scans found."))
    return OpenDataContractStandard(
        apiVersion=API_VERSION,
        kind="DataContract",
        id=contract_id(obs.dataset_uri),
        name=obs.name,
        version="0.1.0",
        status="draft",
        description=Description(
            purpose=f"Data contract of {obs.dataset_uri}, drawn by s3-enricher from the "
            "latest scan: the bounds are what was observed; review and tighten them.",
            limitations="Checked on samples: shares are sample shares; rules a sample "
            "cannot decide are reported as not checkable.",
        ),
        servers=[_server(obs)],
        team=Team(
            name=OWNER_TEAM,
            members=[TeamMember(username=OWNER_USERNAME, role="owner")],
        ),
        schema=[
            SchemaObject(
                name=obs.name,
                physicalName=obs.dataset_uri,
                physicalType="table" if obs.dataset_uri.endswith("/") else "file",
                logicalType="object",
                customProperties=[
                    _prop(ALLOWED_PII, entities, "PII entities allowed anywhere in the dataset.")
                ],
                properties=[_column(c, sampled) for c in obs.columns],
                quality=table_quality or None,
            )
        ],
        slaProperties=sla or None,
        customProperties=custom,
        contractCreatedTs=now.astimezone(UTC).isoformat(timespec="seconds"),
    )


def contract_dataset(contract: OpenDataContractStandard) -> str | None:
    """The dataset URI a contract is about: its ``dataset`` custom property, else its server.

    An ``s3`` server's ``location`` or a ``local`` server's ``path`` (as ``file://``).
    """
    for prop in contract.customProperties or []:
        if prop.property == DATASET and isinstance(prop.value, str) and prop.value:
            return prop.value
    for server in contract.servers or []:
        if server.type == "s3" and server.location:
            return server.location
        if server.type == "local" and server.path and server.path.startswith("/"):
            return "file://" + server.path
    return None
