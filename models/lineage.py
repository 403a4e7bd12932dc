"""Lineage between PostgreSQL, S3 and Snowflake (and Redshift) datasets. Pure data.

A :class:`Dataset` is a table (``postgres:appdb.public.customers``,
``snowflake:ANALYTICS.PUBLIC.CUSTOMERS``, ``redshift:dev.public.sales``), an S3 dataset:
a prefix (``s3://lake/exports/orders/``, partitions folded in) or a single object, or a
Looker asset downstream of the warehouse (``looker:dashboard/thelook::sales_overview``,
``looker:explore/thelook::orders``), which is neither a table nor a lake dataset. A
:class:`LineageEdge` is one hop with its column map, where it came from (declared, parsed
from SQL, inferred from schemas) and how sure that is.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class System(StrEnum):
    """Where a dataset lives."""

    POSTGRES = "postgres"
    S3 = "s3"
    SNOWFLAKE = "snowflake"
    REDSHIFT = "redshift"
    # A local folder or file standing in for S3 (the bundled sample lake, exports on disk);
    # OpenLineage's ``file`` namespace. It is a lake dataset like S3 but has no Atlan asset.
    FILE = "file"
    # Looker dashboards, explores and Looks: the consumers at the end of the chain. They
    # are lineage nodes only: no columns, no PII scans, no Atlan asset s3-enricher writes.
    LOOKER = "looker"


class Origin(StrEnum):
    """How an edge is known, strongest first."""

    DECLARED = "declared"
    OPENLINEAGE = "openlineage"  # run events the ETL job emitted itself (Airflow, Spark, dbt)
    SQL = "sql"
    INFERRED = "inferred"


#: Strength of each origin (a stronger origin's edge wins when two describe the same hop).
ORIGIN_RANK = {Origin.DECLARED: 4, Origin.OPENLINEAGE: 3, Origin.SQL: 2, Origin.INFERRED: 1}

_TABLE_SYSTEMS = (System.POSTGRES, System.SNOWFLAKE, System.REDSHIFT)
#: Systems of files (objects in folders) rather than tables.
LAKE_SYSTEMS = (System.S3, System.FILE)
#: Kinds of Looker assets that are lineage nodes (``looker:<kind>/<model>::<name>``).
LOOKER_KINDS = ("dashboard", "explore", "look")
#: Hive-style partition segments (``dt=2025-01-01``) and bare date segments (``2025``,
#: ``01``, ``2025-01-01``) under a dataset's prefix.
_PARTITION = re.compile(r"^([^=/]+=[^/]*|\d{4}(-\d{2}(-\d{2})?)?|\d{2}|\d{8})$")


class InvalidDataset(ValueError):
    """A dataset reference that cannot be parsed (the message says what is expected)."""


def _normalise(system: System, name: str) -> str:
    parts = [p.strip().strip('"') for p in name.split(".")]
    if len(parts) != 3 or not all(parts):
        raise InvalidDataset(f"{system.value}: expected DATABASE.SCHEMA.TABLE, got {name!r}")
    # Unquoted identifiers fold: PostgreSQL/Redshift to lower case, Snowflake to upper.
    folded = (
        [p.upper() for p in parts] if system is System.SNOWFLAKE else [p.lower() for p in parts]
    )
    return ".".join(folded)


@dataclass(frozen=True, order=True, slots=True)
class Dataset:
    """A table, an S3 dataset, a local one, or a Looker dashboard, explore or Look.

    :param name: ``database.schema.table`` for tables (case-folded as the system does for
        unquoted names); ``bucket/prefix/`` (trailing slash) or ``bucket/key`` for S3; an
        absolute path (``/lake/crm/``, trailing slash for a folder) for local files;
        ``<kind>/<model>::<name>`` for Looker (``dashboard/thelook::sales_pulse``).
    """

    system: System
    name: str

    @classmethod
    def table(cls, system: System | str, database: str, schema: str, table: str) -> Dataset:
        """A table dataset (names folded as the system folds unquoted identifiers)."""
        sys_ = System(system)
        return cls(sys_, _normalise(sys_, f"{database}.{schema}.{table}"))

    @classmethod
    def s3(cls, bucket: str, key_or_prefix: str) -> Dataset:
        """An S3 dataset: a prefix (ends with ``/``) or one object."""
        return cls(System.S3, f"{bucket}/{key_or_prefix.lstrip('/')}")

    @classmethod
    def looker(cls, kind: str, model: str, name: str) -> Dataset:
        """A Looker asset: ``kind`` one of :data:`LOOKER_KINDS`, its LookML model and name.

        :raises InvalidDataset: an unknown kind, or an empty or malformed model or name.
        """
        return cls.parse(f"looker:{kind}/{model}::{name}")

    @classmethod
    def parse(cls, text: str) -> Dataset:
        """Parse ``postgres:DB.SCHEMA.TABLE``, ``snowflake:...``, ``s3://b/p``, ``file:///path``.

        ``redshift:DB.SCHEMA.TABLE`` too; a local folder ends with ``/``;
        ``looker:dashboard|explore|look/MODEL::NAME`` for Looker assets.

        :raises InvalidDataset: anything else.
        """
        text = text.strip()
        if text.startswith("looker:"):
            return cls(System.LOOKER, _looker_name(text))
        if text.startswith("file://"):
            path = text[7:]
            if not path.startswith("/"):
                raise InvalidDataset(f"{text!r}: expected file:///absolute/path")
            return cls(System.FILE, path)
        if text.startswith("s3://"):
            rest = text[5:]
            if "/" not in rest or not rest.split("/", 1)[0]:
                rest = rest.rstrip("/") + "/"
            return cls(System.S3, rest)
        system, sep, name = text.partition(":")
        if not sep or system.lower() not in {s.value for s in _TABLE_SYSTEMS}:
            raise InvalidDataset(
                f"{text!r}: expected postgres:|snowflake:|redshift:DB.SCHEMA.TABLE or s3://bucket/prefix/"
            )
        sys_ = System(system.lower())
        return cls(sys_, _normalise(sys_, name))

    @property
    def uri(self) -> str:
        """The canonical text form (what the CLI takes and the store keys on)."""
        if self.system is System.S3:
            return f"s3://{self.name}"
        if self.system is System.FILE:
            return f"file://{self.name}"
        return f"{self.system.value}:{self.name}"

    @property
    def is_table(self) -> bool:
        """A table (not S3 or local files)."""
        return self.system in _TABLE_SYSTEMS

    @property
    def is_lake(self) -> bool:
        """An S3 or local-file dataset (files in folders): what scans read and find PII in."""
        return self.system in LAKE_SYSTEMS

    @property
    def is_looker(self) -> bool:
        """A Looker dashboard, explore or Look (a consumer: no columns, no Atlan write)."""
        return self.system is System.LOOKER

    @property
    def is_prefix(self) -> bool:
        """An S3 prefix or local folder dataset (not a single object)."""
        return self.system in LAKE_SYSTEMS and self.name.endswith("/")

    @property
    def parts(self) -> tuple[str, ...]:
        """(database, schema, table) for a table; (bucket, key or prefix) for S3.

        ``("", path)`` for local files; (kind, model, name) for Looker assets.
        """
        if self.system is System.LOOKER:
            kind, _, rest = self.name.partition("/")
            model, _, name = rest.partition("::")
            return (kind, model, name)
        if self.system is System.FILE:
            return ("", self.name)
        if self.system is System.S3:
            bucket, _, rest = self.name.partition("/")
            return (bucket, rest)
        return tuple(self.name.split("."))

    def contains(self, object_uri: str) -> bool:
        """Whether the S3 object (or local file) ``object_uri`` belongs to this dataset."""
        scheme = {System.S3: "s3://", System.FILE: "file://"}.get(self.system)
        if scheme is None or not object_uri.startswith(scheme):
            return False
        key = object_uri[len(scheme) :]
        return key.startswith(self.name) if self.is_prefix else key == self.name

    def __str__(self) -> str:
        return self.uri


def _looker_name(text: str) -> str:
    """The name of ``looker:<kind>/<model>::<name>`` (``<kind>/<model>::<name>``).

    :raises InvalidDataset: not that form.
    """
    kind, slash, rest = text[len("looker:") :].partition("/")
    model, sep, name = rest.partition("::")
    model, name = model.strip(), name.strip()
    if (
        kind not in LOOKER_KINDS
        or not slash
        or not sep
        or not model
        or not name
        or any(c in model for c in "/:")
        or any(c.isspace() for c in model)
        # A name may hold spaces (Atlan names dashboards by their titles), not line breaks.
        or any(c in name for c in "\r\n\t")
    ):
        raise InvalidDataset(
            f"{text!r}: expected looker:{'|'.join(LOOKER_KINDS)}/MODEL::NAME "
            "(e.g. looker:dashboard/thelook::sales_overview)"
        )
    return f"{kind}/{model}::{name}"


def _folded(bucket: str, folders: list[str]) -> Dataset:
    while folders and _PARTITION.match(folders[-1]):
        folders.pop()
    return Dataset.s3(bucket, "/".join(folders) + "/" if folders else "")


def dataset_of_object(bucket: str, key: str) -> Dataset:
    """The dataset an S3 object belongs to when nothing declares one.

    The object's folder, with partition folders folded in:
    ``exports/orders/dt=2025-01-01/part-0.parquet`` → ``s3://bucket/exports/orders/``;
    an object at the bucket root is its own dataset.
    """
    folders = key.split("/")[:-1]
    if not folders:
        return Dataset.s3(bucket, key)
    return _folded(bucket, folders)


def s3_location_dataset(url: str) -> Dataset:
    """The dataset an ``s3://bucket/path`` location in SQL names.

    A location ending in ``/`` is a prefix; one whose last segment looks like a file (has a
    dot) is that object, unless it sits in partition folders (then the folded folder);
    anything else (``.../orders/data_``, an unload's file-name prefix) names its folder.
    Partition folders are folded in.

    :raises InvalidDataset: not an ``s3://`` URL, or no bucket.
    """
    if not url.startswith(("s3://", "s3a://")):
        raise InvalidDataset(f"{url!r} is not an s3:// location")
    bucket, _, key = url.split("://", 1)[1].partition("/")
    if not bucket:
        raise InvalidDataset(f"{url!r} has no bucket")
    segments = key.split("/")
    folders, last = segments[:-1], segments[-1]
    if last and "." in last.strip("."):
        if any(_PARTITION.match(f) for f in folders):
            return _folded(bucket, folders)
        return Dataset.s3(bucket, key)
    return _folded(bucket, folders)


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """One column of a hop: ``source`` feeds ``target``.

    :param expression: the SQL expression that computes the target, when known
        (``sha2(email)``); ``None`` for a plain copy.
    :param masked: the expression hashes, masks or redacts the source (so PII upstream does
        not make the target PII).
    """

    source: str
    target: str
    expression: str | None = None
    masked: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "source": self.source,
            "target": self.target,
            "expression": self.expression,
            "masked": self.masked,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnMapping:
        """Inverse of :meth:`to_dict`."""
        return cls(
            str(data["source"]),
            str(data["target"]),
            data.get("expression"),
            bool(data.get("masked", False)),
        )


def edge_id(source: Dataset, target: Dataset) -> str:
    """A stable id of the hop ``source → target`` (whatever found it)."""
    return hashlib.sha256(f"{source.uri}->{target.uri}".encode()).hexdigest()[:20]


@dataclass(frozen=True, slots=True)
class LineageEdge:
    """One hop of lineage.

    :param confidence: 1.0 for declared and parsed edges; the match score for inferred ones.
    :param sql: the statement that moves the data, when known (written on the Atlan process).
    :param location: where the edge was found (``etl/unload.sql:12``, ``history.csv#query-42``,
        ``lineage.yaml``, ``information_schema``).
    :param reason: why an inferred edge was proposed (matching columns, names).
    :param source_path: the source as written (``s3://lake/exports/users/users.csv``) when it
        resolved to a different dataset (``s3://lake/exports/users/``): the explanation of a
        join through a dataset, and what a later re-resolution starts from. ``None`` when the
        endpoint was written as the dataset itself.
    :param target_path: the same for the target.
    """

    source: Dataset
    target: Dataset
    origin: Origin
    confidence: float = 1.0
    columns: tuple[ColumnMapping, ...] = ()
    sql: str | None = None
    location: str | None = None
    reason: str = ""
    source_path: str | None = None
    target_path: str | None = None

    @property
    def id(self) -> str:
        """See :func:`edge_id`."""
        return edge_id(self.source, self.target)

    @property
    def process_id(self) -> str:
        """The Atlan ``process_id``: deterministic, never pyatlan's colliding default hash."""
        return f"s3e/{self.source.system.value}-to-{self.target.system.value}/{self.id}"

    @property
    def name(self) -> str:
        """A short human name: ``appdb.public.customers -> s3://lake/exports/customers/``."""
        return f"{self.source.uri} -> {self.target.uri}"


@dataclass(frozen=True, slots=True)
class LineageProblem:
    """A statement or entry that gave no lineage, with the reason (never silently dropped).

    :param statement: the start of the statement (at most 200 characters).
    """

    location: str
    statement: str
    reason: str


@dataclass(slots=True)
class LineageFindings:
    """What a lineage source produced: edges and problems."""

    edges: list[LineageEdge] = field(default_factory=list)
    problems: list[LineageProblem] = field(default_factory=list)


@dataclass(slots=True)
class UpsertReport:
    """What storing a batch of edges did (``LineageStore.upsert``).

    :param suggested: the edges that now wait for a steward (inferred, below the threshold).
    """

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    suggested: list[LineageEdge] | None = None


@dataclass(frozen=True, slots=True)
class Rekeyed:
    """A stored hop after re-resolution, and the stored edges it replaces.

    :param replaces: ids of the stored edges merged into it (its own old id among them when
        it had one).
    :param renamed: old endpoint URI → new one, per replaced edge id (references to the old
        edges, such as review items, follow).
    """

    edge: LineageEdge
    state: str
    replaces: tuple[str, ...]
    renamed: dict[str, dict[str, str]] = field(default_factory=dict)
