"""Every bad input maps to its error class, and no message quotes the object's content."""

from __future__ import annotations

import gzip
import io
import random
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.support.sampling_helpers import reader_for, sample, write
from worker.core.errors import (
    CorruptParquetData,
    CorruptParquetFooter,
    DecompressionBomb,
    EmptyObject,
    FormatMismatch,
    InvalidEncoding,
    MalformedJson,
    NoDataRows,
    ObjectChanged,
    ObjectError,
    RaggedRows,
    TruncatedCompression,
    TruncatedParquet,
    UnsupportedFormat,
)
from worker.core.sampling import SamplingOptions, sample_object

SECRET = "SECRETVALUE4711"


def _fails(path: Path, error: type[ObjectError], **options: object) -> ObjectError:
    with pytest.raises(error) as caught:
        sample(path, **options)
    message = caught.value.message
    assert SECRET not in message
    assert SECRET.lower() not in message.lower()
    assert message == str(caught.value) and len(message) > 20
    return caught.value


def _parquet_bytes() -> bytes:
    table = pa.table({"id": list(range(5000)), "secret": [f"{SECRET}-{i}" for i in range(5000)]})
    buf = io.BytesIO()
    pq.write_table(table, buf, row_group_size=1000)
    return buf.getvalue()


def test_empty_object(tmp_path: Path) -> None:
    error = _fails(write(tmp_path / "empty.csv", b""), EmptyObject)
    assert error.outcome == "skipped"


def test_truncated_parquet(tmp_path: Path) -> None:
    data = _parquet_bytes()
    error = _fails(write(tmp_path / "cut.parquet", data[: len(data) // 2]), TruncatedParquet)
    assert "PAR1" in error.message
    # Without the extension the content still says Parquet.
    _fails(write(tmp_path / "cut", data[: len(data) // 2]), TruncatedParquet)


def test_parquet_footer_length_impossible(tmp_path: Path) -> None:
    data = bytearray(_parquet_bytes())
    data[-8:-4] = (2**31).to_bytes(4, "little")
    error = _fails(write(tmp_path / "len.parquet", bytes(data)), CorruptParquetFooter)
    assert "impossible" in error.message


def test_parquet_footer_metadata_garbage(tmp_path: Path) -> None:
    data = bytearray(_parquet_bytes())
    footer_len = int.from_bytes(data[-8:-4], "little")
    start = len(data) - 8 - footer_len
    data[start : start + footer_len] = random.Random(3).randbytes(footer_len)
    _fails(write(tmp_path / "meta.parquet", bytes(data)), CorruptParquetFooter)


def test_parquet_pages_garbage(tmp_path: Path) -> None:
    data = bytearray(_parquet_bytes())
    footer_len = int.from_bytes(data[-8:-4], "little")
    end = len(data) - 8 - footer_len
    data[4:end] = b"\xff" * (end - 4)
    error = _fails(write(tmp_path / "pages.parquet", bytes(data)), CorruptParquetData)
    assert error.__cause__ is not None


def test_binary_garbage_named_csv(tmp_path: Path) -> None:
    garbage = b"\x00\x07" + random.Random(1).randbytes(20_000)
    error = _fails(write(tmp_path / "data.csv", garbage), FormatMismatch)
    assert "CSV" in error.message


def test_unsupported_binary(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + random.Random(2).randbytes(5000)
    error = _fails(write(tmp_path / "image.bin", png), UnsupportedFormat)
    assert error.outcome == "skipped"


def test_plain_prose_without_hint_is_unsupported(tmp_path: Path) -> None:
    _fails(
        write(tmp_path / "README", f"Hello {SECRET}\nJust some words\n".encode()), UnsupportedFormat
    )


def _ragged(n_bad: int) -> bytes:
    lines = ["a,b,c"] + [f"{i},{SECRET},x" for i in range(100)]
    for i in range(n_bad):
        lines[10 + i * 3] = f"1,{SECRET},x,extra,more"
    return ("\n".join(lines) + "\n").encode()


def test_ragged_rows_over_tolerance(tmp_path: Path) -> None:
    error = _fails(write(tmp_path / "ragged.csv", _ragged(20)), RaggedRows)
    assert "20 of 100 sampled rows" in error.message
    assert "header's 3" in error.message and "line 11: 5 fields" in error.message


def test_ragged_rows_within_tolerance_warn(tmp_path: Path) -> None:
    result, _ = sample(write(tmp_path / "ragged.csv", _ragged(2)))
    assert result.rows_sampled == 100
    assert len(result.warnings) == 1 and "2 of 100" in result.warnings[0]
    assert all(SECRET not in w for w in result.warnings)
    assert all(len(c.values) == 100 for c in result.columns)


def test_mixed_invalid_utf8(tmp_path: Path) -> None:
    data = f"name,city\nZoë,{SECRET}\n".encode() + b"M\xfcnchen,x\xff\n"
    error = _fails(write(tmp_path / "mixed.csv", data), InvalidEncoding)
    assert "2 invalid" in error.message
    first_bad = data.index(b"\xfc")
    assert f"byte {first_bad:,}" in error.message


def test_truncated_gzip(tmp_path: Path) -> None:
    raw = "".join(f"{i},{SECRET}\n" for i in range(20_000)).encode()
    data = gzip.compress(raw)
    error = _fails(write(tmp_path / "cut.csv.gz", data[: len(data) // 2]), TruncatedCompression)
    assert "gzip" in error.message


def test_gzip_bomb(tmp_path: Path) -> None:
    path = tmp_path / "bomb.csv.gz"
    with path.open("wb") as out:
        # Built in pieces: 200 MB of zeros never exist in memory at once.
        comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        zeros = b"0" * (1024 * 1024)
        for _ in range(200):
            out.write(comp.compress(zeros))
        out.write(comp.flush())
    assert path.stat().st_size < 1024 * 1024
    error = _fails(path, DecompressionBomb)
    assert "ratio" in error.message


def test_header_only_csv(tmp_path: Path) -> None:
    error = _fails(write(tmp_path / "header.csv", b"name,email,phone\n"), NoDataRows)
    assert error.outcome == "skipped"


def test_malformed_json_lines(tmp_path: Path) -> None:
    data = f'{{"a": "{SECRET}"}}\n{{"a": "{SECRET}"\n[1, 2]\n'.encode()
    error = _fails(write(tmp_path / "bad.jsonl", data), MalformedJson)
    assert "2 of 3" in error.message and "line 2" in error.message


def test_json_array_is_not_json_lines(tmp_path: Path) -> None:
    _fails(write(tmp_path / "doc.json", f'[{{"a": "{SECRET}"}}]'.encode()), MalformedJson)


def test_changed_object_propagates(tmp_path: Path) -> None:
    path = write(tmp_path / "moving.csv", b"a,b\n1,2\n")
    reader = reader_for(path)
    path.write_bytes(b"a,b\n1,2\n3,4\n")
    with pytest.raises(ObjectChanged):
        sample_object(reader, SamplingOptions())
