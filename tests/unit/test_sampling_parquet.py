"""Parquet sampling: values, reproducibility and the byte budget."""

from __future__ import annotations

import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tests.unit.sampling_helpers import column, sample, types

MIB = 1024 * 1024


def _write(path: Path, table: pa.Table, **kwargs: object) -> Path:
    pq.write_table(table, path, **kwargs)  # type: ignore[arg-type]
    return path


def test_types_and_values(tmp_path: Path) -> None:
    table = pa.table(
        {
            "name": ["Anna", None],
            "age": pa.array([31, 40], pa.int32()),
            "score": [1.5, 2.0],
            "ok": [True, False],
            "born": [date(1990, 1, 2), date(1985, 3, 4)],
            "seen": pa.array([datetime(2024, 1, 1, 12), None], pa.timestamp("ns")),
            "amount": pa.array([Decimal("1.20"), Decimal("3.40")], pa.decimal128(9, 2)),
            "raw": [b"\x00\x01", b"\x02"],
            "tags": [["a", "b"], []],
            "addr": [{"city": "Köln", "zip": "50667"}, None],
            "cat": pa.array(["x", "y"]).dictionary_encode(),
        }
    )
    result, reader = sample(_write(tmp_path / "t.parquet", table))
    assert result.format == "parquet"
    assert result.compression == "snappy"
    assert result.row_count == 2 and not result.row_count_estimated
    assert types(result) == {
        "name": "string",
        "age": "int32",
        "score": "double",
        "ok": "bool",
        "born": "date",
        "seen": "timestamp",
        "amount": "decimal(9,2)",
        "raw": "binary",
        "tags": "json",
        "addr": "json",
        "cat": "string",
    }
    assert column(result, "name") == ("Anna", None)
    assert column(result, "seen") == (datetime(2024, 1, 1, 12), None)
    assert column(result, "amount") == (Decimal("1.20"), Decimal("3.40"))
    assert column(result, "tags") == ('["a", "b"]', "[]")
    assert column(result, "addr") == ('{"city": "Köln", "zip": "50667"}', None)
    assert column(result, "cat") == ("x", "y")
    # A small file is served entirely by the one footer read.
    assert reader.requests == 1


def test_uncompressed_codec_is_none(tmp_path: Path) -> None:
    result, _ = sample(_write(tmp_path / "u.parquet", pa.table({"a": [1]}), compression="none"))
    assert result.compression is None


def test_parquet_without_extension_is_detected(tmp_path: Path) -> None:
    result, _ = sample(_write(tmp_path / "blob", pa.table({"a": [1, 2]})))
    assert result.format == "parquet"


def _many_groups(path: Path, rows: int = 200_000, group: int = 10_000) -> Path:
    rng = np.random.default_rng(1)
    table = pa.table(
        {
            "id": np.arange(rows),
            "v": rng.random(rows),
            "s": pa.array([f"user{i}@example.org" for i in range(rows)]),
        }
    )
    return _write(path, table, row_group_size=group)


def test_multi_row_group_budget_and_reproducibility(tmp_path: Path) -> None:
    path = _many_groups(tmp_path / "m.parquet")
    budget = 512 * 1024
    first, reader = sample(path, byte_budget=budget, rows=5000, max_row_groups=4)
    second, _ = sample(path, byte_budget=budget, rows=5000, max_row_groups=4)
    footer = first.details["footer_bytes"]
    assert isinstance(footer, int)
    assert reader.bytes_read <= budget + footer
    assert first.sampling.method == "parquet-row-groups"
    assert first.sampling.row_groups == second.sampling.row_groups
    assert first.columns == second.columns
    assert first.rows_sampled == 5000
    assert first.row_count == 200_000
    # Footer once, then one request per row group.
    assert reader.requests <= 1 + len(first.sampling.row_groups)
    # Rows are spread over the row group, not just its head.
    ids = [i for i in column(first, "id") if isinstance(i, int)]
    assert max(ids) - min(ids) > 5000


def test_different_etag_changes_the_sample(tmp_path: Path) -> None:
    a = _many_groups(tmp_path / "a.parquet")
    b = _many_groups(tmp_path / "b.parquet")
    ra, _ = sample(a, byte_budget=MIB, rows=100)
    rb, _ = sample(b, byte_budget=MIB, rows=100)
    assert ra.sampling.seed != rb.sampling.seed


def test_single_large_row_group_reads_column_heads(tmp_path: Path) -> None:
    rows = 1_250_000
    rng = np.random.default_rng(2)
    table = pa.table(
        {
            "id": np.arange(rows),
            "x": rng.integers(0, 2**62, rows),
            "y": rng.random(rows),
            "z": rng.integers(0, 2**62, rows),
        }
    )
    path = _write(
        tmp_path / "big.parquet",
        table,
        row_group_size=rows,
        compression="none",
        use_dictionary=False,
        data_page_size=64 * 1024,
    )
    assert path.stat().st_size > 38 * MIB
    budget = MIB
    result, reader = sample(path, byte_budget=budget, rows=1000)
    footer = result.details["footer_bytes"]
    assert isinstance(footer, int)
    assert result.sampling.method == "parquet-column-heads"
    assert result.sampling.budget_exhausted
    assert reader.bytes_read <= budget + footer
    assert reader.requests <= 1 + 4
    assert result.rows_sampled == 1000
    assert column(result, "id")[:3] == (0, 1, 2)
    assert result.row_count == rows


def test_single_large_row_group_with_default_pages(tmp_path: Path) -> None:
    rows = 1_000_000
    rng = np.random.default_rng(3)
    table = pa.table({"a": rng.integers(0, 2**62, rows), "b": rng.random(rows)})
    path = _write(tmp_path / "pages.parquet", table, row_group_size=rows, compression="none")
    budget = 4 * MIB
    result, reader = sample(path, byte_budget=budget, rows=500)
    footer = result.details["footer_bytes"]
    assert isinstance(footer, int)
    assert reader.bytes_read <= budget + footer
    assert result.rows_sampled == 500
    assert reader.requests <= 1 + 2  # footer, then one read per column head


def test_wide_parquet(tmp_path: Path) -> None:
    width = 2000
    table = pa.table({f"c{i}": pa.array(np.arange(300) + i) for i in range(width)})
    path = _write(tmp_path / "wide.parquet", table, row_group_size=50)
    budget = MIB
    started = time.monotonic()
    result, reader = sample(path, byte_budget=budget, rows=200)
    elapsed = time.monotonic() - started
    footer = result.details["footer_bytes"]
    assert isinstance(footer, int)
    assert len(result.columns) == width
    assert result.rows_sampled >= 50
    assert result.sampling.method == "parquet-row-groups"
    assert reader.bytes_read <= budget + footer
    assert elapsed < 10
    # The footer of a 2,000-column file is larger than the first tail read: two footer reads.
    assert footer > 64 * 1024


def test_parquet_cells_are_truncated(tmp_path: Path) -> None:
    table = pa.table({"doc": ["y" * 5000, "short"], "bin": [b"z" * 300, b"q"]})
    result, _ = sample(_write(tmp_path / "long.parquet", table), max_cell_bytes=256)
    assert result.sampling.truncated_cells == 2
    assert column(result, "doc") == ("y" * 256, "short")
    assert column(result, "bin") == (b"z" * 256, b"q")


def test_wide_row_group_larger_than_budget_samples_what_fits(tmp_path: Path) -> None:
    width = 2000
    table = pa.table({f"c{i}": pa.array(np.arange(300) + i) for i in range(width)})
    path = _write(tmp_path / "wide.parquet", table, row_group_size=300)
    budget = MIB
    result, reader = sample(path, byte_budget=budget, rows=100)
    footer = result.details["footer_bytes"]
    assert isinstance(footer, int)
    assert reader.bytes_read <= budget + footer
    assert result.sampling.method == "parquet-column-heads"
    assert result.rows_sampled == 100
    assert column(result, "c0")[:2] == (0, 1)
    # Columns beyond the budget are reported, not silently dropped.
    assert column(result, "c1999") == (None,) * 100
    assert any("could not be sampled within the byte budget" in w for w in result.warnings)
