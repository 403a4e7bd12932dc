"""Object and column descriptions: deterministic, short, value-free."""

from __future__ import annotations

from datetime import date

from classifiers.describe import MAX_OBJECT, describe_column, describe_object
from models import (
    ColumnFinding,
    ColumnSample,
    EntityFinding,
    Evidence,
    LabelScore,
    ObjectInfo,
    ObjectRef,
    SamplingInfo,
    TableSample,
)


def _sample(key: str = "exports/orders/dt=2025-01-01/part-0.parquet") -> TableSample:
    ref = ObjectRef.parse(f"s3://lake/{key}")
    return TableSample(
        info=ObjectInfo(ref, 1, "e"),
        format="parquet",
        compression="snappy",
        columns=(
            ColumnSample("order_id", "int64", (1, 2, 3)),
            ColumnSample("email", "string", ("a@b.example", None, "c@d.example")),
            ColumnSample("ordered_on", "date", (date(2025, 1, 3), date(2025, 1, 1), None)),
            ColumnSample("birthday", "date", (date(1980, 5, 1), date(1990, 1, 1), None)),
        ),
        rows_sampled=3,
        row_count=120_000,
        row_count_estimated=False,
        bytes_read=1,
        sampling=SamplingInfo(method="t"),
    )


def _email() -> EntityFinding:
    return EntityFinding("EMAIL_ADDRESS", 0.99, 0.97, Evidence(3, 2, 2, 0.99))


def _dob() -> EntityFinding:
    return EntityFinding("DATE_OF_BIRTH", 0.96, 1.0, Evidence(2, 2, 2, 0.96))


FINDINGS = (
    ColumnFinding("order_id", "int64", business_type=LabelScore("identifier", 0.95)),
    ColumnFinding("email", "string", (_email(),)),
    ColumnFinding("ordered_on", "date", business_type=LabelScore("date", 0.9)),
    ColumnFinding("birthday", "date", (_dob(),)),
)


def test_object_description_says_what_it_is_and_leaks_nothing() -> None:
    text = describe_object(_sample(), FINDINGS, [LabelScore("sales", 0.91)])
    assert text == (
        "Parquet (snappy), 120,000 rows, 4 columns, partitioned by dt. Sales data. "
        "Dates 2025-01-01 to 2025-01-03 (ordered_on). "
        "PII: birthday (DATE_OF_BIRTH), email (EMAIL_ADDRESS). "
        "Key columns: order_id (identifier), ordered_on (date)."
    )
    assert "a@b" not in text and "1980" not in text  # no values, no birth dates
    assert describe_object(_sample(), FINDINGS, [LabelScore("sales", 0.91)]) == text


def test_uncertain_category_and_length_limit() -> None:
    text = describe_object(_sample(), FINDINGS, [LabelScore("sales", 0.5)])
    assert "Probably sales data." in text
    many = tuple(
        ColumnFinding(f"a_very_long_column_name_{i}", "string", (_email(),)) for i in range(30)
    )
    long = describe_object(_sample(), many)
    assert len(long) <= MAX_OBJECT and "and 27 more" in long


def test_column_description() -> None:
    assert (
        describe_column(FINDINGS[1]) == "email: string; EMAIL_ADDRESS (0.99, 97% of sampled values)"
    )
    assert describe_column(FINDINGS[0]) == "order_id: int64, identifier"
