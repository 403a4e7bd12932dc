"""Parquet sampling: values, reproducibility and the byte budget."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.support.sampling_helpers import column, sample, types
from worker.core.errors import CorruptParquetData, CorruptParquetFooter, SampleTooLarge
from worker.core.sampling.pages import (
    DICTIONARY_PAGE,
    FooterCorrupt,
    PageInfo,
    TooManyChunks,
    read_footer,
    walk_pages,
)

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
    result, reader = sample(path, byte_budget=budget, rows=200)
    footer = result.details["footer_bytes"]
    assert isinstance(footer, int)
    assert len(result.columns) == width
    assert result.rows_sampled >= 50
    assert result.sampling.method == "parquet-row-groups"
    assert reader.bytes_read <= budget + footer
    # Two footer reads and one coalesced read of the row group: not a request per column.
    # (How long this takes is bench/sampling.py's business, not a unit test's.)
    assert reader.requests <= 3
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


# --- Memory limits (issue 13) -----------------------------------------------------------------


def _pages_of(data: bytes) -> list[tuple[int, int, list[PageInfo]]]:
    meta = pq.read_metadata(io.BytesIO(data))
    out = []
    for rg in range(meta.num_row_groups):
        group = meta.row_group(rg)
        for c in range(group.num_columns):
            col = group.column(c)
            start = col.data_page_offset
            if col.has_dictionary_page and col.dictionary_page_offset:
                start = min(start, col.dictionary_page_offset)
            end = start + col.total_compressed_size
            out.append((rg, c, list(walk_pages(data[start:end], start, end))))
    return out


@pytest.mark.parametrize(
    ("version", "codec", "checksum", "index"),
    [("1.0", "snappy", False, False), ("2.0", "zstd", True, True), ("2.0", "none", False, True)],
)
def test_page_headers_match_the_footer(
    version: str, codec: str, checksum: bool, index: bool
) -> None:
    rows = 20_000
    table = pa.table(
        {
            "i": np.arange(rows),
            "s": pa.array([f"v{i % 300}" for i in range(rows)]),
            "l": pa.array([[i, i + 1] if i % 3 else None for i in range(rows)]),
            "st": pa.array([{"a": i, "b": str(i)} for i in range(rows)]),
        }
    )
    buf = io.BytesIO()
    pq.write_table(
        table,
        buf,
        row_group_size=8000,
        data_page_version=version,
        compression=codec,
        write_page_checksum=checksum,
        write_page_index=index,
        data_page_size=4096,
    )
    data = buf.getvalue()
    meta = pq.read_metadata(io.BytesIO(data))
    for rg, c, pages in _pages_of(data):
        col = meta.row_group(rg).column(c)
        assert sum(p.header_len + p.uncompressed for p in pages) == col.total_uncompressed_size
        assert sum(p.num_values for p in pages if p.page_type != DICTIONARY_PAGE) == (
            col.num_values
        )
    # Cut anywhere, the walk stops at the last complete header instead of failing.
    rg, c, pages = _pages_of(data)[1]
    start = pages[0].offset
    cut = pages[1].offset + 3
    assert [p.offset for p in walk_pages(data[start:cut], start, pages[-1].end)] == [
        pages[0].offset,
        pages[1].offset,
    ][: 1 if cut < pages[1].offset + pages[1].header_len else 2]


def test_footer_is_read_like_pyarrow_reads_it() -> None:
    table = pa.table(
        {
            "s": pa.array([{"a": 1, "b": [1, 2]}, None]),
            "m": pa.array([[("k", 1)], None], pa.map_(pa.string(), pa.int64())),
            "l": [[[1]], [[2, None]]],
            "x": [1.5, None],
        }
    )
    buf = io.BytesIO()
    pq.write_table(table, buf, row_group_size=1, write_page_index=True)
    data = buf.getvalue()
    length = int.from_bytes(data[-8:-4], "little")
    footer = read_footer(data[-8 - length : -8], 100)
    meta = pq.read_metadata(io.BytesIO(data))
    assert footer.num_rows == 2 and len(footer.row_groups) == 2
    for leaf, ours in enumerate(footer.leaves):
        column = meta.schema.column(leaf)
        assert (ours.max_def, ours.max_rep) == (
            column.max_definition_level,
            column.max_repetition_level,
        )
    for rg, group in enumerate(footer.row_groups):
        for leaf, chunk in enumerate(group.chunks):
            theirs = meta.row_group(rg).column(leaf)
            assert (chunk.data_page_offset, chunk.total_compressed, chunk.total_uncompressed) == (
                theirs.data_page_offset,
                theirs.total_compressed_size,
                theirs.total_uncompressed_size,
            )
    with pytest.raises(TooManyChunks):
        read_footer(data[-8 - length : -8], 11)
    with pytest.raises(FooterCorrupt):
        read_footer(b"\x00garbage", 100)


def test_invalid_level_histograms_are_corrupt_not_a_crash(tmp_path: Path) -> None:
    """pyarrow's metadata accessors abort the process on such a footer (a C++ exception
    through Cython); the sampler reads the footer itself and refuses it first."""
    table = pa.table({"v": pa.array(["a", "b"] * 50)})
    buf = io.BytesIO()
    pq.write_table(table, buf, store_schema=False, write_page_index=True)
    data = bytearray(buf.getvalue())
    length = int.from_bytes(data[-8:-4], "little")
    footer = bytes(data[-8 - length : -8])
    # The optional column has definition levels 0-1: its SizeStatistics hold a
    # definition_level_histogram (field 3, after field 2: header 0x19) of two i64 (list
    # header 0x26). Make it three (0x36) by adding one more count (zigzag 1 = 0x02).
    at = footer.find(bytes([0x19, 0x26]))
    assert at > 0
    bad = footer[:at] + bytes([0x19, 0x36, 0x02]) + footer[at + 2 :]
    patched = bytes(data[: -8 - length]) + bad + len(bad).to_bytes(4, "little") + b"PAR1"
    path = tmp_path / "hist.parquet"
    path.write_bytes(patched)
    with pytest.raises(CorruptParquetFooter, match="histogram"):
        sample(path)


def test_corrupt_page_header_is_corrupt_data(tmp_path: Path) -> None:
    table = pa.table({"a": np.arange(1000), "b": [f"x{i}" for i in range(1000)]})
    path = _write(tmp_path / "h.parquet", table, compression="none")
    data = bytearray(path.read_bytes())
    meta = pq.read_metadata(path)
    start = meta.row_group(0).column(0).data_page_offset
    data[start : start + 8] = b"\xff" * 8  # not a Thrift struct
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptParquetData, match="page header"):
        sample(path)


def test_dictionary_strings_decode_only_the_picked_rows(tmp_path: Path) -> None:
    # Dictionary-encoded on disk, plain string in the schema (no Arrow schema stored).
    rows = 300_000
    values = pa.DictionaryArray.from_arrays(
        pa.array(np.arange(rows, dtype=np.int32) % 3), pa.array(["a" * 500, "b" * 500, "c"])
    )
    path = _write(tmp_path / "d.parquet", pa.table({"v": values}), store_schema=False)
    first, _ = sample(path, rows=100, max_cell_bytes=16)
    second, _ = sample(path, rows=100, max_cell_bytes=16)
    assert types(first) == {"v": "string"}
    assert set(column(first, "v")) <= {"a" * 16, "b" * 16, "c"}
    assert first.columns == second.columns
    assert first.sampling.truncated_cells == sum(1 for v in column(first, "v") if v != "c")


def test_row_group_beyond_the_limits_is_sampled_from_its_head(tmp_path: Path) -> None:
    table = pa.table({"id": np.arange(50_000), "v": np.arange(50_000) * 2})
    path = _write(tmp_path / "l.parquet", table, row_group_size=50_000)
    whole, _ = sample(path, rows=100)
    assert whole.sampling.method == "parquet-row-groups"
    for limits in ({"max_row_group_rows": 10_000}, {"max_row_group_bytes": 64 * 1024}):
        heads, reader = sample(path, rows=100, **limits)
        assert heads.sampling.method == "parquet-column-heads"
        assert not heads.sampling.budget_exhausted
        assert column(heads, "id") == tuple(range(100))
        assert any("not decoded whole" in w for w in heads.warnings)


def test_footer_cap_and_bytes_read(tmp_path: Path) -> None:
    table = pa.table({f"c{i}": [1, 2] for i in range(400)})
    path = _write(tmp_path / "f.parquet", table)
    length = pq.read_metadata(path).serialized_size
    with pytest.raises(SampleTooLarge, match=f"declares {length:,} bytes"):
        sample(path, max_footer_bytes=length - 1)
    result, reader = sample(path, max_footer_bytes=length)
    footer = result.details["footer_bytes"]
    assert isinstance(footer, int) and footer >= length
    # The footer counts in bytes_read, besides the byte budget.
    assert result.bytes_read == reader.bytes_read >= footer


def test_too_many_columns_and_column_chunks(tmp_path: Path) -> None:
    table = pa.table({f"c{i}": np.arange(4) for i in range(30)})
    path = _write(tmp_path / "c.parquet", table, row_group_size=1)
    with pytest.raises(SampleTooLarge, match="30 columns"):
        sample(path, max_columns=29)
    with pytest.raises(SampleTooLarge, match="120 column chunks"):
        sample(path, max_column_chunks=119)
    result, _ = sample(path, max_cells=60, rows=10)
    assert result.rows_sampled == 2 and any("max_cells" in w for w in result.warnings)


def test_values_python_cannot_hold_are_text(tmp_path: Path) -> None:
    far = pa.array([2**62], pa.int64()).cast(pa.timestamp("us"))  # year ~146,000
    invalid = pa.Array.from_buffers(
        pa.string(), 1, [None, pa.py_buffer(np.array([0, 2], np.int32)), pa.py_buffer(b"\xff\xfe")]
    )
    path = _write(tmp_path / "v.parquet", pa.table({"t": far, "s": invalid}))
    result, _ = sample(path)
    (t,) = column(result, "t")
    (s,) = column(result, "s")
    assert isinstance(t, str) and isinstance(s, str) and "\ufffd" in s
