"""The committed sample lake (examples/lake) is exactly what scripts/make_sample_lake.py makes.

Parquet files are compared by content (the footer records the pyarrow version); compressed
files by their decompressed bytes (the compressors' output may vary with the library build);
everything else byte for byte.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import struct
import zlib
from pathlib import Path
from types import ModuleType

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from models.labels import PII_ENTITIES
from tests.support.scripts import load_script

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples"
LAKE = EXAMPLES / "lake"
SCRIPT = REPO_ROOT / "scripts" / "make_sample_lake.py"


def _load_script() -> ModuleType:
    return load_script("make_sample_lake", SCRIPT)


GEN = _load_script()


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _decompressed(path: Path) -> bytes:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        return gzip.decompress(data)
    if path.name.endswith(".bz2"):
        return bz2.decompress(data)
    if path.name.endswith(".zst"):
        return zstandard.ZstdDecompressor().decompress(data)
    if path.name.endswith(".png"):
        return _png_pixels(data)
    return data


def _png_pixels(data: bytes) -> bytes:
    """The IHDR and inflated IDAT of a PNG (independent of the zlib build that wrote it)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, header, idat = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, payload = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = payload
        elif kind == b"IDAT":
            idat += payload
        pos += 12 + length
    return header + zlib.decompress(idat)


def _columns(path: Path) -> list[str]:
    """The column names of one data file of the lake."""
    name = path.name
    if name.endswith(".parquet"):
        return pq.read_schema(path).names
    text_name = name.removesuffix(".gz").removesuffix(".bz2").removesuffix(".zst")
    first_line = _decompressed(path).split(b"\n", 1)[0]
    if text_name.endswith(".jsonl"):
        return list(json.loads(first_line))
    encoding, delimiter = "utf-8", ","
    if text_name.endswith(".tsv"):
        delimiter = "\t"
    elif b";" in first_line:
        encoding, delimiter = "cp1252", ";"
    return next(
        csv.reader(io.StringIO(first_line.decode(encoding).rstrip("\r")), delimiter=delimiter)
    )


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sample")
    GEN.build_lake(root / "lake", root)
    return root


def test_same_files(regenerated: Path) -> None:
    assert _files(regenerated / "lake") == _files(LAKE)


def test_files_match_committed(regenerated: Path) -> None:
    mismatched = []
    for rel in sorted(_files(LAKE)):
        new, old = regenerated / "lake" / rel, LAKE / rel
        if rel in GEN.BROKEN_FILES:
            for path in (new, old):
                assert path.read_bytes()[:4] == b"PAR1", rel
                with pytest.raises(pa.ArrowInvalid):
                    pq.read_table(path)
        elif rel.endswith(".parquet"):
            new_table, old_table = pq.read_table(new), pq.read_table(old)
            if not new_table.equals(old_table, check_metadata=True):
                mismatched.append(rel)
        elif _decompressed(new) != _decompressed(old):
            mismatched.append(rel)
    assert not mismatched, f"regenerate with scripts/make_sample_lake.py: {mismatched}"


@pytest.mark.parametrize("name", ["expected.json", "MANIFEST.md"])
def test_ground_truth_matches_committed(regenerated: Path, name: str) -> None:
    assert (regenerated / name).read_bytes() == (EXAMPLES / name).read_bytes()


def test_expected_lists_every_data_file() -> None:
    expected = json.loads((EXAMPLES / "expected.json").read_text(encoding="utf-8"))
    skipped = set(GEN.NON_DATA_FILES) | set(GEN.BROKEN_FILES)
    assert skipped <= _files(LAKE)
    assert set(expected) == _files(LAKE) - skipped
    for rel, columns in expected.items():
        present = _columns(LAKE / rel)
        for column, entities in columns.items():
            assert column in present, f"{rel}: no column {column!r}"
            assert entities and set(entities) <= set(PII_ENTITIES), f"{rel}:{column}"


def test_lake_is_small_and_ground_truth_outside_it() -> None:
    sizes = {rel: (LAKE / rel).stat().st_size for rel in _files(LAKE)}
    assert all(size < 300 * 1024 for size in sizes.values()), sizes
    assert sum(sizes.values()) < 2 * 1024 * 1024
    assert not (LAKE / "expected.json").exists()
    assert not (LAKE / "MANIFEST.md").exists()


def test_no_pii_files_and_row_counts() -> None:
    expected = json.loads((EXAMPLES / "expected.json").read_text(encoding="utf-8"))
    clean = {rel for rel, cols in expected.items() if not cols}
    assert clean == {"products/catalog.parquet", "ops/inventory.tsv", "finance/ledger.csv.zst"}
    for rel in expected:
        if rel.endswith(".parquet"):
            rows = pq.read_metadata(LAKE / rel).num_rows
        else:
            lines = _decompressed(LAKE / rel).rstrip(b"\n").count(b"\n") + 1
            has_header = not rel.endswith((".jsonl", ".jsonl.gz"))
            rows = lines - 1 if has_header else lines
        assert 200 <= rows <= 1000, (rel, rows)


def test_card_numbers_are_luhn_valid() -> None:
    for rel in sorted(_files(LAKE)):
        if rel.startswith("payments/"):
            cards = [c for c in pq.read_table(LAKE / rel)["card_number"].to_pylist() if c]
            assert cards and all(GEN._luhn_ok(c) for c in cards), rel
