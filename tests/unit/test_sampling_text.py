"""Delimited text and JSON Lines, plain and compressed, through the real local reader."""

from __future__ import annotations

import bz2
import gzip
import json
import random
from datetime import date, datetime
from pathlib import Path

import pytest
import zstandard

from tests.unit.sampling_helpers import column, sample, types, write

PEOPLE = (
    "name,age,email,joined\n"
    "Anna,31,anna@example.org,2024-01-02\n"
    "Bob,40,bob@example.com,2023-12-31\n"
)


@pytest.mark.parametrize(
    ("suffix", "delimiter"), [("csv", ","), ("tsv", "\t"), ("csv", ";"), ("txt", "|")]
)
def test_delimiters_are_sniffed(tmp_path: Path, suffix: str, delimiter: str) -> None:
    text = PEOPLE.replace(",", delimiter)
    result, reader = sample(write(tmp_path / f"people.{suffix}", text.encode()))
    assert result.format == "csv"
    assert result.details["delimiter"] == delimiter
    assert result.details["header"] is True
    assert [c.name for c in result.columns] == ["name", "age", "email", "joined"]
    assert types(result) == {"name": "string", "age": "int64", "email": "string", "joined": "date"}
    assert column(result, "age") == (31, 40)
    assert column(result, "joined") == (date(2024, 1, 2), date(2023, 12, 31))
    assert result.row_count == 2 and not result.row_count_estimated
    assert reader.requests == 1 and result.bytes_read == len(text.encode())


def test_extension_is_only_a_hint(tmp_path: Path) -> None:
    result, _ = sample(write(tmp_path / "data", PEOPLE.encode()))
    assert result.format == "csv"
    assert result.rows_sampled == 2


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    result, _ = sample(
        write(tmp_path / "bom.csv", b"\xef\xbb\xbf" + "name,city\nZoë,Köln\n".encode())
    )
    assert result.details["encoding"] == "utf-8-sig"
    assert [c.name for c in result.columns] == ["name", "city"]
    assert column(result, "city") == ("Köln",)


def test_cp1252_text_is_decoded(tmp_path: Path) -> None:
    data = "name;city;price\nZoë;München;€ 5\nJürgen;Düsseldorf;€ 7\n".encode("cp1252")
    result, _ = sample(write(tmp_path / "legacy.csv", data))
    assert result.details["encoding"] == "cp1252"
    assert column(result, "city") == ("München", "Düsseldorf")
    assert column(result, "price") == ("€ 5", "€ 7")


def test_latin1_when_cp1252_cannot_decode(tmp_path: Path) -> None:
    data = b"name,code\nZo\xeb,a\x81b\n"
    result, _ = sample(write(tmp_path / "latin.csv", data))
    assert result.details["encoding"] == "latin-1"
    assert column(result, "name") == ("Zoë",)


def test_decimal_comma_numbers(tmp_path: Path) -> None:
    data = b"id;amount;rate\n1;1.234,56;0,5\n2;12,5;1,25\n3;7;2\n"
    result, _ = sample(write(tmp_path / "amounts.csv", data))
    assert result.details["decimal_comma"] is True
    assert types(result) == {"id": "int64", "amount": "double", "rate": "double"}
    assert column(result, "amount") == (1234.56, 12.5, 7.0)


def test_comma_delimited_numbers_keep_the_point(tmp_path: Path) -> None:
    result, _ = sample(
        write(tmp_path / "n.csv", b"a,b,c\n1.5,true,2024-01-02T10:00:00Z\n2,false,\n")
    )
    assert types(result) == {"a": "double", "b": "bool", "c": "timestamp"}
    assert result.details["decimal_comma"] is False
    assert column(result, "b") == (True, False)
    assert isinstance(column(result, "c")[0], datetime)
    assert column(result, "c")[1] is None


def test_codes_with_leading_zeros_and_plus_stay_text(tmp_path: Path) -> None:
    result, _ = sample(
        write(tmp_path / "p.csv", b"phone,zip\n+4915112345678,01067\n+33612345678,00100\n")
    )
    assert types(result) == {"phone": "string", "zip": "string"}


def test_no_header_gets_generated_names(tmp_path: Path) -> None:
    result, _ = sample(
        write(
            tmp_path / "raw.csv", b"1,2.5,x@example.org\n2,3.5,y@example.org\n3,1.0,z@example.org\n"
        )
    )
    assert result.details["header"] is False
    assert [c.name for c in result.columns] == ["column_1", "column_2", "column_3"]
    assert column(result, "column_1") == (1, 2, 3)


def test_quoted_fields(tmp_path: Path) -> None:
    data = b'name,address\n"Doe, Jane","1 Main St\nSpringfield"\n"Roe, Rick","2 Side St"\n'
    result, _ = sample(write(tmp_path / "q.csv", data))
    assert column(result, "name") == ("Doe, Jane", "Roe, Rick")
    assert column(result, "address") == ("1 Main St\nSpringfield", "2 Side St")


def test_json_lines(tmp_path: Path) -> None:
    lines = [
        {"id": 1, "email": "a@example.org", "tags": ["x"], "score": 1.5, "ok": True},
        {"id": 2, "email": "b@example.org", "tags": [], "score": 2, "ok": False, "extra": {"k": 1}},
    ]
    data = "\n".join(json.dumps(x) for x in lines).encode() + b"\n"
    result, _ = sample(write(tmp_path / "events.jsonl", data))
    assert result.format == "jsonl"
    assert types(result) == {
        "id": "int64",
        "email": "string",
        "tags": "json",
        "score": "double",
        "ok": "bool",
        "extra": "json",
    }
    assert column(result, "tags") == ('["x"]', "[]")
    assert column(result, "extra") == (None, '{"k": 1}')


def _csv_rows(n: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    lines = ["id,name,email,amount"]
    for i in range(n):
        name = "".join(rng.choice("abcdefghij") for _ in range(8))
        lines.append(f"{i},{name},{name}@example.org,{rng.randint(1, 10**6) / 100}")
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize(
    ("suffix", "compress"),
    [
        ("csv.gz", gzip.compress),
        ("csv.zst", zstandard.ZstdCompressor().compress),
        ("csv.bz2", bz2.compress),
    ],
)
def test_compressed_csv(tmp_path: Path, suffix: str, compress: object) -> None:
    raw = _csv_rows(3000)
    result, _ = sample(write(tmp_path / f"data.{suffix}", compress(raw)), rows=100)  # type: ignore[operator]
    assert result.format == "csv"
    assert result.compression == suffix.split(".")[1].replace("zst", "zstd").replace("gz", "gzip")
    assert result.rows_sampled == 100
    assert result.row_count == 3000 and not result.row_count_estimated
    assert types(result)["amount"] == "double"


@pytest.mark.parametrize(
    ("suffix", "codec", "compress"),
    [
        ("jsonl.gz", "gzip", gzip.compress),
        ("jsonl.zst", "zstd", zstandard.ZstdCompressor().compress),
        ("jsonl.bz2", "bz2", bz2.compress),
    ],
)
def test_compressed_json_lines(tmp_path: Path, suffix: str, codec: str, compress: object) -> None:
    raw = b"".join(
        json.dumps({"i": i, "mail": f"u{i}@example.org"}).encode() + b"\n" for i in range(500)
    )
    result, _ = sample(write(tmp_path / f"e.{suffix}", compress(raw)))  # type: ignore[operator]
    assert (result.format, result.compression) == ("jsonl", codec)
    assert result.rows_sampled == 500


def test_compressed_stream_stops_at_budget(tmp_path: Path) -> None:
    raw = _csv_rows(200_000)
    path = write(tmp_path / "big.csv.gz", gzip.compress(raw, compresslevel=1))
    result, reader = sample(path, byte_budget=256 * 1024, rows=500)
    assert result.sampling.method == "stream-head"
    assert result.row_count_estimated
    assert 100_000 < (result.row_count or 0) < 400_000
    assert reader.bytes_read <= 256 * 1024
    assert result.rows_sampled == 500


def test_ranged_reads_stay_in_budget_and_are_reproducible(tmp_path: Path) -> None:
    path = write(tmp_path / "big.csv", _csv_rows(100_000))
    budget = 128 * 1024
    first, reader = sample(path, byte_budget=budget, rows=200, text_ranges=3)
    second, _ = sample(path, byte_budget=budget, rows=200, text_ranges=3)
    assert reader.bytes_read <= budget
    assert reader.requests == 4
    assert first.sampling.method == "text-ranges"
    assert len(first.sampling.ranges) == 4
    assert first.columns == second.columns
    assert first.sampling == second.sampling
    ids = column(first, "id")
    assert len(ids) == 200 and max(ids) > 50_000  # type: ignore[type-var]
    assert first.row_count_estimated and 80_000 < (first.row_count or 0) < 120_000


def test_cells_are_truncated(tmp_path: Path) -> None:
    data = b"id,blob\n1," + b"x" * 10_000 + b"\n2,short\n"
    result, _ = sample(write(tmp_path / "long.csv", data), max_cell_bytes=100)
    assert result.sampling.truncated_cells == 1
    assert column(result, "blob") == ("x" * 100, "short")


def test_wide_csv(tmp_path: Path) -> None:
    names = [f"c{i}" for i in range(2000)]
    rows = [",".join(str(r * 7 + i) for i in range(2000)) for r in range(300)]
    path = write(tmp_path / "wide.csv", ("\n".join([",".join(names), *rows]) + "\n").encode())
    result, reader = sample(path, byte_budget=1024 * 1024, rows=200)
    assert len(result.columns) == 2000
    # ~10 KB per row: a 1 MiB budget holds about a hundred of the 300 rows.
    assert 80 <= result.rows_sampled < 200
    assert result.sampling.budget_exhausted
    assert all(c.data_type == "int64" for c in result.columns)
    assert reader.bytes_read <= 1024 * 1024
