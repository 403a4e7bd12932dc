"""Schema drift: two schemas, across partitions, along lineage column maps (issue 15)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from models.datasets import ChangeKind, PartitionInfo, PartitionRecord, SchemaChange, SchemaColumn
from models.lineage import ColumnMapping, Dataset, LineageEdge, Origin
from worker.core.datasets.drift import (
    diff_schema,
    lineage_drift,
    partition_drift,
    type_family,
)
from worker.core.datasets.verdict import dataset_schema

URI = "s3://lake/exports/orders/"
NOW = datetime(2025, 3, 1, tzinfo=UTC)


def _cols(*pairs: tuple[str, str]) -> tuple[SchemaColumn, ...]:
    return tuple(SchemaColumn(n, t) for n, t in pairs)


def _record(
    day: int, columns: Sequence[tuple[str, str]], null_shares: dict[str, float] | None = None
) -> PartitionRecord:
    key = f"dt=2025-01-{day:02d}/"
    info = PartitionInfo(key, (("dt", key[3:-1]),), 1, 1000, datetime(2025, 1, day, 5, tzinfo=UTC))
    return PartitionRecord(URI, info, NOW, NOW, 100, null_shares or {}, {}, _cols(*columns))


BASE = (("id", "int64"), ("amount", "double"), ("country", "string"))


# --- diff_schema ------------------------------------------------------------------------------


def test_diff_schema_names_every_kind_of_change() -> None:
    before = (
        SchemaColumn("id", "int64", nullable=False),
        SchemaColumn("amount", "double"),
        SchemaColumn("legacy", "string"),
    )
    after = (
        SchemaColumn("id", "int64", nullable=True),
        SchemaColumn("amount", "string"),
        SchemaColumn("channel", "string"),
    )
    assert diff_schema(before, after, "previous scan") == [
        SchemaChange(ChangeKind.NULLABILITY, "id", "not null", "nullable", "previous scan"),
        SchemaChange(ChangeKind.RETYPED, "amount", "double", "string", "previous scan"),
        SchemaChange(ChangeKind.REMOVED, "legacy", "string", None, "previous scan"),
        SchemaChange(ChangeKind.ADDED, "channel", None, "string", "previous scan"),
    ]


def test_diff_schema_of_a_schema_with_itself_is_empty() -> None:
    assert diff_schema(_cols(*BASE), _cols(*BASE), "previous scan") == []


# --- partition_drift --------------------------------------------------------------------------


def test_unchanged_partitions_have_no_drift() -> None:
    records = [_record(d, BASE) for d in range(1, 11)]
    assert partition_drift(records, dataset_schema(records)) == []


def test_an_added_column_is_reported_once_where_it_appears_not_as_missing_before() -> None:
    records = [_record(d, BASE) for d in range(1, 6)]
    records += [_record(d, (*BASE, ("discount", "double"))) for d in range(6, 11)]
    changes = partition_drift(records[::-1], dataset_schema(records))
    assert changes == [
        SchemaChange(
            ChangeKind.ADDED,
            "discount",
            None,
            "double",
            "partition dt=2025-01-06/ vs dt=2025-01-05/",
        )
    ]


def test_a_column_missing_from_the_newest_partition_is_removed() -> None:
    records = [_record(d, BASE) for d in range(1, 10)]
    records.append(_record(10, BASE[:2]))
    assert partition_drift(records, dataset_schema(records)) == [
        SchemaChange(
            ChangeKind.REMOVED,
            "country",
            "string",
            None,
            "partition dt=2025-01-10/ vs dt=2025-01-09/",
        )
    ]


def test_a_single_new_partition_is_compared_with_the_dataset_schema() -> None:
    history = [_record(d, BASE) for d in range(1, 10)]
    new = _record(10, (("id", "int64"), ("amount", "string")))
    schema = dataset_schema([*history, new])
    changes = partition_drift([new], schema)
    assert changes == [
        SchemaChange(
            ChangeKind.REMOVED, "country", "string", None, "partition dt=2025-01-10/ vs dataset"
        )
    ]
    # Against a declared schema (Delta, Iceberg, the previous version) the type shows too.
    declared = partition_drift([new], _cols(*BASE))
    assert (
        SchemaChange(
            ChangeKind.RETYPED, "amount", "double", "string", "partition dt=2025-01-10/ vs dataset"
        )
        in declared
    )


def test_a_retyped_column_is_reported_where_the_type_changes() -> None:
    records = [_record(d, BASE) for d in range(1, 4)]
    records.append(_record(4, (("id", "string"), *BASE[1:])))
    assert partition_drift(records, dataset_schema(records)) == [
        SchemaChange(
            ChangeKind.RETYPED,
            "id",
            "int64",
            "string",
            "partition dt=2025-01-04/ vs dt=2025-01-03/",
        )
    ]


def test_a_column_all_null_in_a_sample_has_no_type_to_compare() -> None:
    # A CSV column with no value in the sample is typed "string" by the sampler.
    records = [_record(1, BASE), _record(2, (("id", "string"), *BASE[1:]), {"id": 1.0})]
    records.append(_record(3, (("id", "null"), *BASE[1:])))
    assert partition_drift(records, dataset_schema(records)) == []


def test_records_without_a_schema_are_skipped() -> None:
    unsampled = PartitionRecord(URI, PartitionInfo("dt=2025-01-05/"), NOW)
    records = [_record(1, BASE), unsampled, _record(2, BASE)]
    assert partition_drift(records, dataset_schema(records)) == []
    assert partition_drift([], ()) == []


# --- type families ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("types", "family"),
    [
        (
            (
                "int",
                "integer",
                "bigint",
                "int64",
                "int32",
                "NUMBER(38,0)",
                "number",
                "numeric(10)",
                "smallint",
                "BIGSERIAL",
                "decimal(18, 0)",
            ),
            "integer",
        ),
        (
            (
                "double precision",
                "real",
                "FLOAT",
                "double",
                "decimal(10,2)",
                "NUMERIC",
                "NUMBER(38,4)",
                "float8",
            ),
            "decimal",
        ),
        (
            (
                "varchar",
                "character varying(255)",
                "text",
                "string",
                "utf8",
                "large_utf8",
                "VARCHAR(16777216)",
                "TEXT",
                "bpchar",
                "uuid",
                "char(2)",
            ),
            "string",
        ),
        (
            (
                "timestamp",
                "timestamp without time zone",
                "timestamp with time zone",
                "TIMESTAMP_NTZ(9)",
                "timestamp_tz",
                "timestamptz",
                "timestamp[us, tz=UTC]",
                "DATETIME",
            ),
            "timestamp",
        ),
        (("date", "DATE", "date32"), "date"),
        (("bool", "boolean", "BOOLEAN"), "boolean"),
        (("jsonb", "json", "VARIANT", "ARRAY", "int[]", "super"), "json"),
        (("bytea", "binary", "BINARY(16)", "varbinary"), "binary"),
    ],
)
def test_type_families_absorb_spelling(types: tuple[str, ...], family: str) -> None:
    assert {t: type_family(t) for t in types} == dict.fromkeys(types, family)


def test_unknown_types_have_no_family() -> None:
    assert type_family("USER-DEFINED") is None
    assert type_family("geometry(Point,4326)") is None


# --- lineage_drift ----------------------------------------------------------------------------

PG = Dataset.parse("postgres:appdb.app.customers")
S3 = Dataset.parse("s3://lake/exports/customers/")
SF = Dataset.parse("snowflake:analytics.public.customers")


def _edge(source: Dataset, target: Dataset, *maps: ColumnMapping) -> LineageEdge:
    return LineageEdge(source, target, Origin.DECLARED, columns=maps)


def test_a_mapped_column_missing_in_the_export_is_removed() -> None:
    edge = _edge(PG, S3, ColumnMapping("id", "id"), ColumnMapping("email", "email"))
    upstream = _cols(("id", "bigint"), ("email", "text"))
    downstream = _cols(("id", "int64"))
    assert lineage_drift(edge, upstream, downstream, "pg → s3") == [
        SchemaChange(ChangeKind.REMOVED, "email", "text", None, "pg → s3, not downstream")
    ]


def test_a_mapped_source_the_upstream_table_lacks_is_reported() -> None:
    edge = _edge(PG, S3, ColumnMapping("full_name", "name"))
    changes = lineage_drift(edge, _cols(("id", "bigint")), _cols(("name", "string")))
    assert changes == [
        SchemaChange(
            ChangeKind.REMOVED,
            "full_name",
            None,
            "string",
            "postgres:appdb.app.customers → s3://lake/exports/customers/, not upstream",
        )
    ]


def test_a_type_change_between_s3_and_snowflake_is_retyped() -> None:
    edge = _edge(S3, SF, ColumnMapping("signup_ts", "SIGNUP_TS"), ColumnMapping("id", "ID"))
    upstream = _cols(("signup_ts", "timestamp"), ("id", "int64"))
    downstream = _cols(("SIGNUP_TS", "NUMBER(38,0)"), ("ID", "NUMBER(38,0)"))
    changes = lineage_drift(edge, upstream, downstream, "s3 → sf", inferred_types=False)
    assert changes == [
        SchemaChange(ChangeKind.RETYPED, "SIGNUP_TS", "timestamp", "NUMBER(38,0)", "s3 → sf")
    ]
    # Inferred (text) types on the S3 side: a timestamp turning into a number still counts.
    assert lineage_drift(edge, upstream, downstream, "s3 → sf") == changes


def test_benign_spellings_along_a_pipeline_do_not_drift() -> None:
    pg = _cols(
        ("id", "bigint"),
        ("email", "character varying(255)"),
        ("amount", "numeric(12,2)"),
        ("created_at", "timestamp with time zone"),
        ("active", "boolean"),
        ("tags", "jsonb"),
    )
    s3 = _cols(
        ("id", "int64"),
        ("email", "string"),
        ("amount", "decimal(12,2)"),
        ("created_at", "timestamp"),
        ("active", "bool"),
        ("tags", "string"),
    )
    sf = _cols(
        ("ID", "NUMBER(38,0)"),
        ("EMAIL", "VARCHAR(16777216)"),
        ("AMOUNT", "NUMBER(12,2)"),
        ("CREATED_AT", "TIMESTAMP_TZ(9)"),
        ("ACTIVE", "BOOLEAN"),
        ("TAGS", "VARIANT"),
    )
    # No column map: names compare case-insensitively.
    assert lineage_drift(_edge(PG, S3), pg, s3, inferred_types=False) == []
    assert lineage_drift(_edge(S3, SF), s3, sf, inferred_types=False) == []
    assert lineage_drift(_edge(PG, SF), pg, sf) == []


def test_without_a_column_map_missing_and_extra_columns_show() -> None:
    changes = lineage_drift(
        _edge(PG, S3),
        _cols(("id", "bigint"), ("ssn", "text")),
        _cols(("ID", "int64"), ("_loaded", "timestamp")),
        "e",
    )
    assert changes == [
        SchemaChange(ChangeKind.REMOVED, "ssn", "text", None, "e, not downstream"),
        SchemaChange(ChangeKind.ADDED, "_loaded", None, "timestamp", "e, not upstream"),
    ]


def test_text_exports_do_not_drift_on_inferred_types_but_typed_ones_do() -> None:
    # A zip-code varchar of digits reads as int64 from a CSV; "t"/"f" booleans as string.
    pg = _cols(("zip", "varchar(10)"), ("active", "boolean"), ("total", "numeric"))
    csv = _cols(("zip", "int64"), ("active", "string"), ("total", "int64"))
    assert lineage_drift(_edge(PG, S3), pg, csv, "e") == []
    typed = lineage_drift(_edge(PG, S3), pg, csv, "e", inferred_types=False)
    assert [(c.kind, c.column) for c in typed] == [
        (ChangeKind.RETYPED, "zip"),
        (ChangeKind.RETYPED, "active"),
        (ChangeKind.RETYPED, "total"),
    ]


def test_computed_or_masked_targets_change_type_on_purpose() -> None:
    edge = _edge(
        PG,
        S3,
        ColumnMapping("email", "email_hash", "sha2(email)", masked=True),
        ColumnMapping("created_at", "created_day", "created_at::date"),
    )
    upstream = _cols(("email", "text"), ("created_at", "timestamp"))
    downstream = _cols(("email_hash", "binary"), ("created_day", "date"))
    assert lineage_drift(edge, upstream, downstream, inferred_types=False) == []


def test_an_unknown_side_compares_nothing() -> None:
    edge = _edge(PG, S3, ColumnMapping("id", "id"))
    label = "postgres:appdb.app.customers → s3://lake/exports/customers/"
    # Only the known side is checked against the map.
    assert lineage_drift(edge, (), _cols(("x", "int64"))) == [
        SchemaChange(ChangeKind.REMOVED, "id", None, None, f"{label}, not downstream")
    ]
    assert lineage_drift(edge, _cols(("x", "int64")), ()) == [
        SchemaChange(ChangeKind.REMOVED, "id", None, None, f"{label}, not upstream")
    ]
    assert lineage_drift(edge, (), ()) == []
    assert lineage_drift(_edge(PG, S3), (), _cols(("x", "int64"))) == []
    assert lineage_drift(_edge(PG, S3), _cols(("x", "int64")), ()) == []
