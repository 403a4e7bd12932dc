"""What an object is: magic bytes first, the file name only as a hint.

Also derives the sampling seed, so every module agrees on it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from worker.core.errors import FormatMismatch, ObjectError, UnsupportedFormat

PARQUET_MAGIC = b"PAR1"
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
BZ2_MAGIC = b"BZh"
UTF8_BOM = b"\xef\xbb\xbf"

_FORMAT_SUFFIXES = {
    "parquet": "parquet",
    "parq": "parquet",
    "pq": "parquet",
    "csv": "csv",
    "tsv": "tsv",
    "tab": "tsv",
    "psv": "csv",
    "txt": "csv",
    "dat": "csv",
    "json": "json",
    "jsonl": "json",
    "ndjson": "json",
}
_COMPRESSION_SUFFIXES = {
    "gz": "gzip",
    "gzip": "gzip",
    "zst": "zstd",
    "zstd": "zstd",
    "bz2": "bz2",
}


@dataclass(frozen=True, slots=True)
class NameHint:
    """What the object's name claims.

    :param format: ``parquet``, ``csv``, ``tsv``, ``json`` or ``None``.
    :param compression: ``gzip``, ``zstd``, ``bz2`` or ``None``.
    """

    format: str | None
    compression: str | None

    @property
    def claims_supported(self) -> bool:
        """Whether the name says this is something the sampler reads."""
        return self.format is not None or self.compression is not None

    def describe(self) -> str:
        """The claimed format for messages, e.g. ``"CSV (gzip)"``."""
        parts = [self.format.upper() if self.format else ""]
        if self.compression:
            parts.append(f"({self.compression})")
        return " ".join(p for p in parts if p) or "no known format"


def name_hint(name: str) -> NameHint:
    """Read the format and compression the extension(s) of ``name`` claim."""
    suffixes = [s.lower() for s in name.split(".")[1:]]
    compression = None
    if suffixes and suffixes[-1] in _COMPRESSION_SUFFIXES:
        compression = _COMPRESSION_SUFFIXES[suffixes.pop()]
    fmt = _FORMAT_SUFFIXES.get(suffixes[-1]) if suffixes else None
    if suffixes and suffixes[-1] == "tar":
        # A compressed tarball is an archive, not a compressed table.
        return NameHint(None, None)
    return NameHint(fmt, compression)


def sniff_magic(head: bytes) -> str | None:
    """The container the first bytes announce: parquet, gzip, zstd, bz2, or ``None`` for none."""
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    if head.startswith(BZ2_MAGIC) and len(head) > 3 and head[3:4] in b"123456789":
        return "bz2"
    return None


# Bytes that never occur in text: C0 controls except TAB, LF, VT, FF, CR and ESC, plus DEL.
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27)) + b"\x7f"
_BINARY_SHARE = 0.01
_SNIFF_BYTES = 64 * 1024


def binary_reason(head: bytes) -> str | None:
    """Why ``head`` is not text, or ``None`` when it looks like text.

    A NUL byte or more than 1 % control characters in the first 64 KiB means binary.
    """
    sample = head[:_SNIFF_BYTES]
    if not sample:
        return None
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "it starts with a UTF-16 byte-order mark; only UTF-8 and CP1252 text is read"
    nul = sample.find(b"\x00")
    if nul >= 0:
        return f"it contains NUL bytes (first at byte {nul:,})"
    controls = len(sample) - len(sample.translate(None, _CONTROL))
    if controls > len(sample) * _BINARY_SHARE:
        return (
            f"{controls:,} of its first {len(sample):,} bytes are control characters, "
            "so it is binary data"
        )
    return None


def unrecognised(hint: NameHint, reason: str) -> ObjectError:
    """The error for content the sampler does not recognise.

    :returns: :class:`FormatMismatch` when the name claims a supported format,
        :class:`UnsupportedFormat` otherwise. ``reason`` must not quote object content.
    """
    if hint.claims_supported:
        return FormatMismatch(f"the name says {hint.describe()} but {reason}")
    return UnsupportedFormat(f"not Parquet, delimited text or JSON Lines: {reason}")


def seed_from_etag(etag: str) -> int:
    """A stable 64-bit seed from the ETag: the same object version always gives the same sample."""
    return int.from_bytes(hashlib.sha256(etag.encode("utf-8")).digest()[:8], "big")
