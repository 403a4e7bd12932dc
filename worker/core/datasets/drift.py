"""Schema drift: between two schemas, across a dataset's partitions, along lineage. Pure.

Three comparisons, each giving :class:`~models.datasets.SchemaChange` rows whose ``where``
says what was compared:

* :func:`diff_schema`: two states of one dataset (the previous scan and this one); exact.
* :func:`partition_drift`: the sampled partitions in time order, each against the one before
  it, so that a column added on 20 January is reported once, at the first partition that has
  it (not as "missing" from every older partition); then the newest partition against the
  dataset's schema (a column the dataset has and the newest partition lacks).
* :func:`lineage_drift`: two stages of a pipeline along an edge's column map (PostgreSQL →
  S3 export → Snowflake), comparing type *families* so that ``bigint``/``int64``/
  ``NUMBER(38,0)`` or ``text``/``VARCHAR(16777216)`` do not count as changes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from models.datasets import ChangeKind, PartitionRecord, SchemaChange, SchemaColumn
from models.lineage import LineageEdge, System
from worker.core.datasets.verdict import UNTYPED, chronological, is_all_null, sampled

#: ``where`` of partition drift: ``partition dt=2025-01-03/ vs dt=2025-01-02/``.
PARTITION_WHERE = "partition {key} vs {other}"


def partition_label(key: str) -> str:
    """How a partition key reads in ``where`` and messages (``(root)`` for the root)."""
    return key or "(root)"


def diff_schema(
    before: Sequence[SchemaColumn], after: Sequence[SchemaColumn], where: str
) -> list[SchemaChange]:
    """The columns that differ between two schemas of one dataset (names and types exact).

    :returns: removed, retyped and nullability changes in ``before``'s order, then added
        columns in ``after``'s order.
    """
    old = {c.name: c for c in before}
    new = {c.name: c for c in after}
    changes: list[SchemaChange] = []
    for column in before:
        now = new.get(column.name)
        if now is None:
            changes.append(
                SchemaChange(ChangeKind.REMOVED, column.name, column.data_type, None, where)
            )
        elif now.data_type != column.data_type:
            changes.append(
                SchemaChange(
                    ChangeKind.RETYPED, column.name, column.data_type, now.data_type, where
                )
            )
        elif now.nullable != column.nullable:
            changes.append(
                SchemaChange(
                    ChangeKind.NULLABILITY,
                    column.name,
                    "nullable" if column.nullable else "not null",
                    "nullable" if now.nullable else "not null",
                    where,
                )
            )
    changes.extend(
        SchemaChange(ChangeKind.ADDED, c.name, None, c.data_type, where)
        for c in after
        if c.name not in old
    )
    return changes


def where_partition(where: str) -> str | None:
    """The partition key a partition-drift ``where`` names (``None``: not partition drift)."""
    if not where.startswith("partition ") or " vs " not in where:
        return None
    label = where.removeprefix("partition ").split(" vs ", 1)[0]
    return "" if label == partition_label("") else label


def between(previous: PartitionRecord, record: PartitionRecord, where: str) -> list[SchemaChange]:
    """Partition ``record`` against ``previous``.

    A type is only compared when both samples held values in the column (an all-null
    sample gives no type).
    """
    old = {c.name: c for c in previous.columns}
    new = {c.name: c for c in record.columns}
    changes: list[SchemaChange] = []
    for column in previous.columns:
        now = new.get(column.name)
        if now is None:
            changes.append(
                SchemaChange(ChangeKind.REMOVED, column.name, column.data_type, None, where)
            )
        elif (
            now.data_type != column.data_type
            and not is_all_null(previous, column)
            and not is_all_null(record, now)
        ):
            changes.append(
                SchemaChange(
                    ChangeKind.RETYPED, column.name, column.data_type, now.data_type, where
                )
            )
    changes.extend(
        SchemaChange(ChangeKind.ADDED, c.name, None, c.data_type, where)
        for c in record.columns
        if c.name not in old
    )
    return changes


def partition_drift(
    records: Sequence[PartitionRecord], dataset_schema: Sequence[SchemaColumn]
) -> list[SchemaChange]:
    """Added, removed and retyped columns across the sampled partitions.

    Partitions are taken oldest first (:func:`~worker.core.datasets.verdict.chronological`)
    and each is compared with the sampled partition before it: a change is reported once,
    at the partition where it appears (``where`` is ``partition <key> vs <previous key>``).
    Then the newest partition is compared with ``dataset_schema``: a column of the dataset
    it lacks, or one it has that the dataset does not, or a different type, unless already
    reported for that column (``where`` is ``partition <key> vs dataset``). Types compare
    exactly (Parquet ``int32`` → ``int64`` breaks readers), except where a sample held no
    value in the column.

    :param records: the partitions to compare (records without a schema are skipped): the
        newly sampled ones, or every sampled one known. Every transition is reported, old or
        new; :func:`~worker.core.datasets.anomaly.detect` alerts only those at a new
        partition that its predecessor in time does not share.
    :param dataset_schema: the dataset's schema (:func:`~worker.core.datasets.verdict.
        dataset_schema`, or a declared Delta/Iceberg schema).
    """
    ordered = chronological(sampled(records))
    changes: list[SchemaChange] = []
    for previous, record in zip(ordered, ordered[1:], strict=False):
        where = PARTITION_WHERE.format(
            key=partition_label(record.info.key), other=partition_label(previous.info.key)
        )
        changes.extend(between(previous, record, where))
    if not ordered:
        return changes
    newest = ordered[-1]
    seen = {(c.kind, c.column) for c in changes}
    where = PARTITION_WHERE.format(key=partition_label(newest.info.key), other="dataset")
    for change in diff_schema(dataset_schema, newest.columns, where):
        if change.kind is ChangeKind.NULLABILITY or (change.kind, change.column) in seen:
            continue
        if change.kind is ChangeKind.RETYPED:
            column = next(c for c in newest.columns if c.name == change.column)
            if is_all_null(newest, column) or change.before in UNTYPED:
                continue
        changes.append(change)
    return changes


# --- type families ----------------------------------------------------------------------------

_INTEGER = "integer"
_DECIMAL = "decimal"
_STRING = "string"
_JSON = "json"
_FAMILIES: dict[str, str] = {
    **dict.fromkeys(
        (
            "int int2 int4 int8 int16 int32 int64 integer smallint bigint tinyint byteint "
            "mediumint uint8 uint16 uint32 uint64 serial smallserial bigserial serial2 "
            "serial4 serial8 long short"
        ).split(),
        _INTEGER,
    ),
    **dict.fromkeys(
        (
            "float float2 float4 float8 float16 float32 float64 double real halffloat "
            "numeric decimal dec money decfloat"
        ).split(),
        _DECIMAL,
    ),
    **dict.fromkeys(
        (
            "varchar char character nchar nvarchar nvarchar2 varchar2 bpchar text string "
            "utf8 large_utf8 large_string citext name uuid clob ntext tinytext mediumtext "
            "longtext enum"
        ).split(),
        _STRING,
    ),
    **dict.fromkeys(
        "json jsonb variant object array super struct map list record large_list".split(),
        _JSON,
    ),
    **dict.fromkeys("bool boolean bit".split(), "boolean"),
    **dict.fromkeys("date date32 date64".split(), "date"),
    **dict.fromkeys(
        (
            "timestamp timestamptz timestamp_tz timestamp_ntz timestamp_ltz datetime "
            "datetime2 datetimeoffset smalldatetime datetime64 timestamp_s timestamp_ms "
            "timestamp_us timestamp_ns"
        ).split(),
        "timestamp",
    ),
    **dict.fromkeys("time timetz time32 time64".split(), "time"),
    **dict.fromkeys("interval duration".split(), "interval"),
    **dict.fromkeys(
        "binary varbinary bytea blob large_binary bytes fixed_size_binary image".split(),
        "binary",
    ),
}
_ZONE = re.compile(r"\s+with(?:out)?\s+(?:local\s+)?time\s+zone\b")
_ARGS = re.compile(r"[(\[<].*$")
_SCALE = re.compile(r"^(?:number|numeric|decimal|dec)\s*\(\s*\d+\s*(?:,\s*(-?\d+)\s*)?\)")


def type_family(data_type: str) -> str | None:
    """The family of a type name from any stage, or ``None`` when it is not known.

    ``bigint``, ``int64``, ``NUMBER(38,0)``, ``decimal(10,0)`` → ``integer``; ``double
    precision``, ``real``, ``decimal(10,2)``, ``NUMERIC`` → ``decimal``; ``text``,
    ``character varying(255)``, ``VARCHAR(16777216)``, ``utf8`` → ``string``; every
    ``timestamp`` spelling (``timestamp without time zone``, ``TIMESTAMP_NTZ(9)``,
    ``timestamp[us, tz=UTC]``) → ``timestamp``; arrays and ``int[]`` → ``json``.
    Snowflake's bare ``NUMBER`` is ``NUMBER(38,0)``: an integer.
    """
    text = _ZONE.sub("", data_type.strip().lower())
    if text.endswith("[]"):
        return _JSON
    scale = _SCALE.match(text)
    if scale is not None:
        return _INTEGER if int(scale.group(1) or 0) == 0 else _DECIMAL
    base = _ARGS.sub("", text).strip()
    if base == "number":
        return _INTEGER
    # Multi-word names (double precision, character varying) go by their first word.
    return _FAMILIES.get(base) or _FAMILIES.get(base.split(" ", 1)[0])


def _compatible(upstream: str, downstream: str, inferred: bool) -> bool:
    """Whether a value of type ``upstream`` landing in ``downstream`` is no type change."""
    up, down = type_family(upstream), type_family(downstream)
    if up is None or down is None or up == down:
        # A type the normaliser does not know (a PostgreSQL enum, a geometry) is no
        # evidence of a change either way.
        return True
    if {up, down} == {_JSON, _STRING}:
        return True  # semi-structured values travel as JSON text
    if up == _INTEGER and down == _DECIMAL:
        return True  # widening
    if inferred:
        # Text formats carry no types: the sampler infers int64 for digits (a zip code
        # column), string for "t"/"f" or "+00" offsets. Only a change between typed
        # families (a date becoming a number) is evidence.
        return _STRING in (up, down) or {up, down} == {_INTEGER, _DECIMAL}
    return False


def _index(columns: Sequence[SchemaColumn]) -> dict[str, SchemaColumn]:
    index: dict[str, SchemaColumn] = {}
    for column in columns:
        index.setdefault(column.name.lower(), column)
    return index


def lineage_drift(
    edge: LineageEdge,
    upstream: Sequence[SchemaColumn],
    downstream: Sequence[SchemaColumn],
    where: str | None = None,
    *,
    inferred_types: bool = True,
) -> list[SchemaChange]:
    """Columns that do not survive a hop of lineage, or change type family on the way.

    With a column map: a mapped source column missing upstream (``removed``, ``before``
    ``None``: the map names a column the source no longer has; ``where`` ends in ``, not
    upstream``), a mapped target missing downstream (``removed``: present upstream, missing
    in the export; ``where`` ends in ``, not downstream``), and a type change
    between the stages (``retyped``, upstream type before, downstream after), unless the
    mapping computes or masks the target (``sha2(email)`` changes the type on purpose).
    Without a column map, columns compare by name: upstream columns missing downstream are
    ``removed`` (``, not downstream``), downstream columns unknown upstream ``added``
    (``, not upstream``). Names always compare
    case-insensitively (PostgreSQL folds to lower case, Snowflake to upper). An empty side
    is an unknown schema: nothing is compared against it.

    :param where: what was compared; by default ``<source uri> → <target uri>``.
    :param inferred_types: an S3 side's types were inferred from text (CSV, JSON Lines):
        a string there or on the other side matches any type, integers match decimals.
        Pass ``False`` when the S3 dataset is Parquet, Delta or Iceberg. Ignored for an
        edge between two tables.
    """
    label = where or f"{edge.source.uri} → {edge.target.uri}"
    # Which side lacks the column, said in ``where`` so that messages read plainly.
    lacks_up, lacks_down = f"{label}, not upstream", f"{label}, not downstream"
    inferred = inferred_types and System.S3 in (edge.source.system, edge.target.system)
    up, down = _index(upstream), _index(downstream)
    changes: list[SchemaChange] = []
    seen: set[tuple[ChangeKind, str]] = set()

    def add(change: SchemaChange) -> None:
        if (change.kind, change.column.lower()) not in seen:
            seen.add((change.kind, change.column.lower()))
            changes.append(change)

    if edge.columns:
        for mapping in edge.columns:
            if not mapping.source or mapping.source == "*" or not mapping.target:
                continue
            source = up.get(mapping.source.lower())
            target = down.get(mapping.target.lower())
            if upstream and source is None:
                after = target.data_type if target is not None else None
                add(SchemaChange(ChangeKind.REMOVED, mapping.source, None, after, lacks_up))
            if downstream and target is None:
                before = source.data_type if source is not None else None
                add(SchemaChange(ChangeKind.REMOVED, mapping.target, before, None, lacks_down))
            if (
                source is not None
                and target is not None
                and mapping.expression is None
                and not mapping.masked
                and not _compatible(source.data_type, target.data_type, inferred)
            ):
                add(
                    SchemaChange(
                        ChangeKind.RETYPED,
                        mapping.target,
                        source.data_type,
                        target.data_type,
                        label,
                    )
                )
        return changes
    if not upstream or not downstream:
        return changes
    for key, column in up.items():
        target = down.get(key)
        if target is None:
            add(SchemaChange(ChangeKind.REMOVED, column.name, column.data_type, None, lacks_down))
        elif not _compatible(column.data_type, target.data_type, inferred):
            add(
                SchemaChange(
                    ChangeKind.RETYPED, target.name, column.data_type, target.data_type, label
                )
            )
    for key, column in down.items():
        if key not in up:
            add(SchemaChange(ChangeKind.ADDED, column.name, None, column.data_type, lacks_up))
    return changes
