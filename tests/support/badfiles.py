"""Builders for the good and bad objects the end-to-end tests scan.

Every raw value a builder writes that could identify a person is listed in ``SECRETS`` so
tests can assert none of them leaves the worker.
"""

from __future__ import annotations

import bz2
import gzip
import io
import random
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.parquet as pq

SECRETS = [
    "olivia.secretson@example.com",
    "Olivia Secretson",
    "078-05-1120",
    "4111111111111111",
    "DE89370400440532013000",
]


def _people(n: int = 120) -> pa.Table:
    return pa.table(
        {
            "customer_id": list(range(n)),
            "full_name": [
                SECRETS[1] if i == 0 else f"Person {chr(65 + i % 26)}son" for i in range(n)
            ],
            "email": [SECRETS[0] if i == 0 else f"user{i}.name@example.com" for i in range(n)],
            "ssn": [
                SECRETS[2] if i == 0 else f"{100 + i:03d}-{10 + i % 80:02d}-{1000 + i:04d}"
                for i in range(n)
            ],
            "amount": [i * 1.25 for i in range(n)],
        }
    )


def parquet_bytes(n: int = 120) -> bytes:
    buf = io.BytesIO()
    pq.write_table(_people(n), buf, row_group_size=50)
    return buf.getvalue()


def csv_bytes(n: int = 120, sep: str = ",") -> bytes:
    t = _people(n).to_pylist()
    lines = [sep.join(t[0].keys())] + [sep.join(str(v) for v in row.values()) for row in t]
    return ("\n".join(lines) + "\n").encode()


def good_objects() -> dict[str, bytes]:
    """Objects a scan classifies; keys include spaces and non-ASCII characters."""
    return {
        "good/customers.parquet": parquet_bytes(),
        "good/customers.csv": csv_bytes(),
        "good/dir with space/naïve ünïcode €.csv": csv_bytes(40, ";"),
        "good/events.jsonl.gz": gzip.compress(
            b"".join(b'{"ip": "10.0.%d.1", "n": %d}\n' % (i % 250, i) for i in range(200)), mtime=0
        ),
    }


def gzip_bomb(uncompressed_mib: int = 64) -> bytes:
    buf = io.BytesIO()
    zeros = b"0" * (1024 * 1024)
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(b"a,b\n")
        for _ in range(uncompressed_mib):
            gz.write(zeros)
    return buf.getvalue()


def bad_objects() -> dict[str, tuple[bytes, str, str]]:
    """``key -> (bytes, expected status, expected error kind)``."""
    good_parquet = parquet_bytes()
    footer_len = int.from_bytes(good_parquet[-8:-4], "little")
    corrupt_footer = (
        good_parquet[: -8 - footer_len]
        + random.Random(7).randbytes(footer_len)  # garbage where the metadata was
        + good_parquet[-8:]
    )
    ragged = b"a,b,c\n" + b"".join((b"1,2,3\n" if i % 3 else b"1,2,3,4,5\n") for i in range(60))
    mixed_utf8 = b"name,city\n" + "Zoë,Zürich\n".encode() * 20 + b"Bad\xff\xfe,X\n" * 5
    return {
        "bad/empty.csv": (b"", "skipped", "empty_object"),
        "bad/truncated.parquet": (
            good_parquet[: len(good_parquet) // 2],
            "failed",
            "truncated_parquet",
        ),
        "bad/corrupt_footer.parquet": (corrupt_footer, "failed", "corrupt_parquet_footer"),
        "bad/garbage.csv": (bytes(range(256)) * 64, "failed", "format_mismatch"),
        "bad/ragged.csv": (ragged, "failed", "ragged_rows"),
        "bad/invalid_utf8.csv": (mixed_utf8, "failed", "invalid_encoding"),
        "bad/truncated.csv.gz": (
            gzip.compress(csv_bytes(), mtime=0)[:-40],
            "failed",
            "truncated_compression",
        ),
        "bad/bomb.csv.gz": (gzip_bomb(), "failed", "decompression_bomb"),
        "bad/header_only.csv": (b"id,email,name\n", "skipped", "no_data_rows"),
        "bad/picture.bin": (
            b"\x89PNG\r\n\x1a\n" + random.Random(8).randbytes(500),
            "skipped",
            "unsupported_format",
        ),
        "bad/truncated.csv.bz2": (
            bz2.compress(csv_bytes())[:-30],
            "failed",
            "truncated_compression",
        ),
    }


# --- Hostile objects (issue 13) -------------------------------------------------------------
# Each aims at the sampler's memory or stack; tests/unit/test_sampling_hostile.py checks the
# outcome and a memory bound for each, bench/memory.py measures the peak RSS of each.

MIB = 1024 * 1024

#: The first line of HEADERLESS_CSV: data, not column names (a person, a town, a diagnosis).
HEADERLESS_FIRST_ROW = ("Margaret Thatcher", "Grantham", "Diabetes Type 2")


def dictionary_bomb(rows: int = 1_000_000, width: int = 1000) -> bytes:
    """~105 KB of Parquet: one row group of ``rows`` copies of one ``width``-character value.

    Dictionary-encoded on disk and, without the Arrow schema in the footer, read back as
    plain strings: decoded whole it is ``rows * width`` bytes (1 GB by default).
    """
    import numpy as np

    values = pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(rows, dtype=np.int32)), pa.array(["x" * width])
    )
    buf = io.BytesIO()
    pq.write_table(pa.table({"v": values}), buf, row_group_size=rows, store_schema=False)
    return buf.getvalue()


def footer_claim(path: Path, size: int = 256 * MIB) -> Path:
    """A sparse ``size``-byte file that starts and ends like Parquet and claims a footer of
    nearly all of it (``size - 12`` bytes). It takes no disk space."""
    with path.open("wb") as out:
        out.write(b"PAR1")
        out.truncate(size)
        out.seek(size - 8)
        out.write((size - 12).to_bytes(4, "little") + b"PAR1")
    return path


def headerless_csv(rows: int = 200) -> bytes:
    """A CSV without a header row; its first row is :data:`HEADERLESS_FIRST_ROW`."""
    rng = random.Random(13)
    first = ["Ada", "Ben", "Cora", "Dev", "Elif", "Finn", "Gwen", "Hugo", "Ines", "Jon"]
    last = ["Okafor", "Lindqvist", "Moreau", "Tanaka", "Novak", "Quinn", "Rossi", "Silva"]
    towns = ["Leeds", "Bristol", "Cardiff", "York", "Bath", "Derby", "Perth", "Truro"]
    conditions = ["Asthma", "Hypertension", "Migraine", "Diabetes Type 1", "Anaemia"]
    lines = [",".join(HEADERLESS_FIRST_ROW)]
    for _ in range(rows - 1):
        person = f"{rng.choice(first)} {rng.choice(last)}"
        lines.append(f"{person},{rng.choice(towns)},{rng.choice(conditions)}")
    return ("\n".join(lines) + "\n").encode()


def deep_json(depth: int = 200_000) -> bytes:
    """JSON Lines whose second record nests ``depth`` arrays (a stack-exhaustion attempt)."""
    return b'{"id": 1, "ok": true}\n{"id": 2, "deep": ' + b"[" * depth + b"\n"


class _Compressor(Protocol):
    def compress(self, data: bytes, /) -> bytes: ...

    def flush(self) -> bytes: ...


def _bomb(compressor: _Compressor, mib: int) -> bytes:
    """A CSV header then ``mib`` MiB of zeros, through an incremental ``compressor``."""
    zeros = b"0" * MIB
    out = [compressor.compress(b"a,b\n")]
    out.extend(compressor.compress(zeros) for _ in range(mib))
    out.append(compressor.flush())
    return b"".join(out)


def zstd_bomb(mib: int = 256) -> bytes:
    """A zstd-compressed CSV expanding to ``mib`` MiB of zeros (a few KB compressed)."""
    import zstandard

    return _bomb(zstandard.ZstdCompressor(level=19).compressobj(), mib)


def bz2_bomb(mib: int = 64) -> bytes:
    """A bz2-compressed CSV expanding to ``mib`` MiB of zeros."""
    return _bomb(bz2.BZ2Compressor(9), mib)


def giant_cell_csv(cell_mib: int = 20) -> bytes:
    """A CSV with one cell of ``cell_mib`` MiB between two ordinary rows."""
    return b"id,doc\n1," + b"y" * (cell_mib * MIB) + b"\n2,short\n3,also short\n"


def giant_cell_jsonl(cell_mib: int = 20) -> bytes:
    """JSON Lines with one string of ``cell_mib`` MiB."""
    return (
        b'{"id": 1, "doc": "short"}\n{"id": 2, "doc": "'
        + b"y" * (cell_mib * MIB)
        + b'"}\n{"id": 3, "doc": "short"}\n'
    )


def giant_cell_parquet(cell_mib: int = 100) -> bytes:
    """Parquet whose one string cell of ``cell_mib`` MiB zstd-compresses to a few KB: one page
    that decompresses to ``cell_mib`` MiB, next to an ordinary column."""
    big = "y" * (cell_mib * MIB)
    table = pa.table({"id": [1, 2, 3], "doc": [big, "short", "short"]})
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd", use_dictionary=False)
    return buf.getvalue()


def giant_page_parquet(cell_mib: int = 100) -> bytes:
    """Like :func:`giant_cell_parquet` but with the giant column alone: nothing to sample."""
    buf = io.BytesIO()
    table = pa.table({"doc": ["y" * (cell_mib * MIB), "short"]})
    pq.write_table(table, buf, compression="zstd", use_dictionary=False)
    return buf.getvalue()


def wide_parquet(columns: int = 5000, rows: int = 200) -> bytes:
    """``columns`` integer and string columns of ``rows`` rows, two row groups."""
    data = {
        f"c{i}": pa.array([f"v{i}-{r}" for r in range(rows)] if i % 2 else range(i, i + rows))
        for i in range(columns)
    }
    buf = io.BytesIO()
    pq.write_table(pa.table(data), buf, row_group_size=max(1, rows // 2))
    return buf.getvalue()


def many_chunks_parquet(columns: int, row_groups: int, statistics: bool = True) -> bytes:
    """A footer of ``columns * row_groups`` column chunks over one-row row groups.

    Without statistics a chunk takes ~48 bytes of footer and ~1 KiB once decoded.
    """
    import numpy as np

    zeros = np.zeros(row_groups, dtype=np.int8)
    table = pa.table({f"c{i}": pa.array(zeros) for i in range(columns)})
    buf = io.BytesIO()
    pq.write_table(
        table,
        buf,
        row_group_size=1,
        write_statistics=statistics,
        compression="snappy" if statistics else "none",
        use_dictionary=statistics,
    )
    return buf.getvalue()


def wide_csv(columns: int = 10_000, rows: int = 100) -> bytes:
    """A CSV of ``columns`` columns (~70 KB a row)."""
    lines = [",".join(f"col_{i}" for i in range(columns))]
    lines += [",".join(str(r * 7 + i) for i in range(columns)) for r in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def tiny_rows_csv(mib: int = 8) -> bytes:
    """``mib`` MiB of two-column rows of a few bytes each (about a million rows per 8 MiB)."""
    out = io.StringIO()
    out.write("a,b\n")
    i = 0
    while out.tell() < mib * MIB:
        out.write(f"{i % 97},{i % 89}\n")
        i += 1
    return out.getvalue().encode()


def tiny_rows_jsonl(mib: int = 8) -> bytes:
    """``mib`` MiB of one-key JSON objects."""
    out = io.StringIO()
    i = 0
    while out.tell() < mib * MIB:
        out.write(f'{{"a":{i % 97}}}\n')
        i += 1
    return out.getvalue().encode()
