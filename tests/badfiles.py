"""Builders for the good and bad objects the end-to-end tests scan.

Every raw value a builder writes that could identify a person is listed in ``SECRETS`` so
tests can assert none of them leaves the worker.
"""

from __future__ import annotations

import bz2
import gzip
import io
import random

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
