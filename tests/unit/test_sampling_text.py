"""Delimited text and JSON Lines, plain and compressed, through the real local reader."""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import random
from datetime import date, datetime
from pathlib import Path

import pytest
import zstandard

from tests.support.sampling_helpers import column, sample, types, write

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
    assert len(ids) == 200 and max(ids) > 50_000  # type: ignore[type-var,operator]
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


# --- Header or data (issue 13) ----------------------------------------------------------------

LAKE = Path(__file__).resolve().parents[2] / "examples" / "lake"


@pytest.mark.parametrize(
    "text",
    [
        "first_name,last_name,email\nAnna,Berg,anna@example.org\nBob,Lund,bob@example.com\n",
        "Customer ID,Order Date,Amount\nC-1,2024-01-02,12.50\nC-2,2024-02-03,7\n",
        "Customer ID,Order Date,Amount\nC-1,last week,twelve\nC-2,today,seven\n",
        "id;name;city\n1;Anna;Berlin\n2;Bob;Oslo\n",
        "id;name;city\nA-1;Anna;Berlin\nB-2;Bob;Oslo\n",
        "Region,Country,Item Type,Sales Channel,Units Sold,Unit Price\n"
        "Europe,Norway,Cereal,Online,7,2.5\nAsia,Japan,Fruits,Offline,3,9.33\n",
        "name,city\nZoë,Köln\nAnna,Bonn\n",
        "assignee,priority\nPriya Natarajan,medium\nTom Becker,high\n",
        "userName,signupDate\nann,yesterday\nbob,today\n",
    ],
)
def test_real_headers_are_accepted(tmp_path: Path, text: str) -> None:
    result, _ = sample(write(tmp_path / "h.csv", text.encode()))
    first = next(csv.reader(io.StringIO(text), delimiter=result.details["delimiter"]))  # type: ignore[arg-type]
    assert result.details["header"] is True
    assert "header_synthesised" not in result.details
    assert [c.name for c in result.columns] == first
    assert result.rows_sampled == 2


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "Margaret Thatcher,Grantham,Diabetes Type 2\n"
            "Ada Quinn,Leeds,Asthma\nBen Okafor,York,Migraine\n",
            "field 1 looks like a person's name",
        ),
        ("ann@example.org,Leeds\nbob@example.com,York\n", "field 1 looks like an e-mail"),
        ("Leeds,+44 20 7946 0958\nYork,+44 20 7946 0000\n", "field 2 looks like a phone"),
        ("Leeds,078-05-1120\nYork,219-09-9999\n", "field 2 looks like a social security"),
        ("Leeds,2024-01-02\nYork,2024-02-03\n", "field 2 is a date"),
        ("alpha,beta\ngamma,delta\nalpha,epsilon\n", "field 1 also occurs as a value"),
        ("Grantham,Asthma\nLeeds,Migraine\nYork,Anaemia\n", "too few of its fields"),
        ("Leeds,Asthma\nLeeds,Migraine\nYork,Anaemia\n", "field 1 also occurs"),
        ("Leeds," + " ".join(["word"] * 20) + "\nYork,short\n", "field 2 is long text"),
    ],
)
def test_data_is_not_taken_for_a_header(tmp_path: Path, text: str, reason: str) -> None:
    result, _ = sample(write(tmp_path / "d.csv", text.encode()))
    first = next(csv.reader(io.StringIO(text)))
    assert result.details["header"] is False
    assert result.details["header_synthesised"] is True
    assert [c.name for c in result.columns] == [f"column_{i + 1}" for i in range(len(first))]
    (warning,) = [w for w in result.warnings if "no header row" in w]
    assert reason in warning
    for field in first:
        assert field not in warning
    # The first row is data, sampled like the others.
    assert result.rows_sampled == text.count("\n")


def test_repeated_header_lines_are_not_data_values(tmp_path: Path) -> None:
    # Concatenated exports repeat their header: that does not make it a value.
    text = "id,status\n1,open\nid,status\n2,closed\n"
    result, _ = sample(write(tmp_path / "r.csv", text.encode()))
    assert [c.name for c in result.columns] == ["id", "status"]


@pytest.mark.parametrize(
    "rel",
    sorted(
        str(p.relative_to(LAKE))
        for p in LAKE.rglob("*")
        if p.name.endswith((".csv", ".tsv", ".csv.gz", ".csv.bz2", ".csv.zst"))
    ),
)
def test_sample_lake_headers_are_kept(rel: str) -> None:
    path = LAKE / rel
    result, _ = sample(path)
    assert result.details["header"] is True, result.warnings
    raw = path.read_bytes()
    if rel.endswith(".gz"):
        raw = gzip.decompress(raw)
    elif rel.endswith(".bz2"):
        raw = bz2.decompress(raw)
    elif rel.endswith(".zst"):
        raw = zstandard.ZstdDecompressor().decompress(raw)
    line = raw.split(b"\n", 1)[0].decode(str(result.details["encoding"]))
    names = next(csv.reader(io.StringIO(line), delimiter=str(result.details["delimiter"])))
    assert [c.name for c in result.columns] == [n.strip() for n in names]


def test_header_judge_never_quotes_fields() -> None:
    from worker.core.sampling.header import judge_header

    secret = "Olivia Secretson"
    guess = judge_header([secret, "olivia@example.com"], [["Ann Lee", "ann@example.org"]])
    assert not guess.header and guess.reason is not None
    assert "Olivia" not in guess.reason and "example" not in guess.reason


def test_many_rows_keep_the_seeded_pick(tmp_path: Path) -> None:
    # Rows are counted in one pass and the picked ones kept in a second: the same seed picks
    # the same rows, and the row count is exact.
    path = write(tmp_path / "many.csv", _csv_rows(50_000))
    first, _ = sample(path, byte_budget=8 * 1024 * 1024, rows=300)
    second, _ = sample(path, byte_budget=8 * 1024 * 1024, rows=300)
    assert first.columns == second.columns
    assert first.row_count == 50_000 and not first.row_count_estimated
    ids = column(first, "id")
    assert list(ids) == sorted(ids) and len(set(ids)) == 300  # type: ignore[type-var]


def test_json_lines_keep_key_order_and_seeded_pick(tmp_path: Path) -> None:
    lines = [json.dumps({"id": i, **({"late": i} if i == 4000 else {})}) for i in range(5000)]
    path = write(tmp_path / "e.jsonl", ("\n".join(lines) + "\n").encode())
    first, _ = sample(path, rows=100)
    second, _ = sample(path, rows=100)
    assert [c.name for c in first.columns] == ["id", "late"]
    assert first.columns == second.columns and first.row_count == 5000


def test_json_nesting_limit(tmp_path: Path) -> None:
    from worker.core.errors import NestingTooDeep
    from worker.core.sampling.jsonlines import MAX_DEPTH, nesting_depth

    ok = '{"a": ' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}"
    assert nesting_depth(ok) == MAX_DEPTH
    # Brackets inside strings do not nest.
    assert nesting_depth('{"a": "' + "[" * 500 + '"}') == 1
    result, _ = sample(write(tmp_path / "ok.jsonl", (ok + "\n").encode()))
    assert result.columns[0].data_type == "json"
    deep = '{"a": ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}"
    with pytest.raises(NestingTooDeep):
        sample(write(tmp_path / "deep.jsonl", (ok + "\n" + deep + "\n").encode()))


def test_json_number_too_long_is_malformed(tmp_path: Path) -> None:
    from worker.core.errors import MalformedJson

    with pytest.raises(MalformedJson, match="cannot be converted"):
        sample(write(tmp_path / "n.jsonl", b'{"a": ' + b"1" * 5000 + b"}\n"))
