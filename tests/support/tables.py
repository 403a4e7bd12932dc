"""In-memory table samples for classifier tests: the columns given, nothing read."""

from __future__ import annotations

from collections.abc import Iterable

from models import ColumnSample, ObjectInfo, ObjectRef, SamplingInfo, TableSample


def table_sample(
    columns: Iterable[ColumnSample], uri: str = "s3://lake/t/t.parquet", *, bytes_read: int = 1
) -> TableSample:
    """A Parquet ``TableSample`` of ``columns``; its row count is the first column's length."""
    cols = tuple(columns)
    rows = len(cols[0].values) if cols else 0
    return TableSample(
        info=ObjectInfo(ref=ObjectRef(uri), size=1, etag="e"),
        format="parquet",
        compression=None,
        columns=cols,
        rows_sampled=rows,
        row_count=rows,
        row_count_estimated=False,
        bytes_read=bytes_read,
        sampling=SamplingInfo(method="test"),
    )
