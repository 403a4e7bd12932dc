"""S3 Inventory reports uploaded to a real SeaweedFS bucket, read through S3ObjectStore."""

from __future__ import annotations

import gc
import gzip
import tracemalloc
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from models import ObjectInfo
from tests.support.inventory import (
    ODD_KEYS,
    SOURCE,
    Row,
    keys,
    rows_for,
    upload,
    write_inventory,
)
from worker.adapters.storage.s3 import S3ObjectStore
from worker.core import inventory
from worker.core.inventory import InventoryCursor, InventoryError, iter_inventory, read_manifest
from worker.core.settings import S3Settings

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

pytestmark = pytest.mark.s3

# AWS's full CSV schema: wide rows, as real reports have.
FULL_COLUMNS = (
    "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, "
    "StorageClass, IsMultipartUploaded, ReplicationStatus, EncryptionStatus, "
    "ObjectLockRetainUntilDate, ObjectLockMode, ObjectLockLegalHoldStatus, "
    "IntelligentTieringAccessTier, BucketKeyStatus, ChecksumAlgorithm"
)


def test_csv_report_with_odd_keys_filters_and_resume(
    s3_settings: S3Settings, s3_client: S3Client, bucket: str, tmp_path: Path
) -> None:
    rows = [Row(key=k, version=f"v{i}") for i, k in enumerate(ODD_KEYS)]
    rows += [Row(key="gone", delete=True, size=None), Row(key="old", latest=False)]
    files = [rows, rows_for(30, "more/")]
    write_inventory(tmp_path, files, dest=bucket)
    uri = upload(s3_client, bucket, tmp_path / bucket)
    store = S3ObjectStore(s3_settings)

    manifest = read_manifest(store, uri)
    assert manifest.destination_bucket == bucket
    assert all(f.uri.startswith(f"s3://{bucket}/{SOURCE}/cfg/data/") for f in manifest.files)
    chunks = list(iter_inventory(store, manifest, chunk_size=7, read_size=64))
    everything = ODD_KEYS + [r.key for r in rows_for(30, "more/")]
    assert keys(chunks) == everything
    assert chunks[0].objects[0].ref.uri == f"s3://{SOURCE}/{ODD_KEYS[0]}"
    assert keys(list(iter_inventory(store, manifest, prefix="more/"))) == everything[8:]
    rest = list(iter_inventory(store, manifest, chunk_size=7, start=chunks[2].cursor))
    assert keys(rest) == everything[21:]


def test_parquet_report_read_through_byte_ranges(
    s3_settings: S3Settings,
    s3_client: S3Client,
    bucket: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(inventory, "PARQUET_WHOLE_FILE_LIMIT", 0)  # row group by row group
    files = [rows_for(3000, "p/"), [Row(key=k) for k in ODD_KEYS]]
    write_inventory(tmp_path, files, file_format="Parquet", dest=bucket, row_group_size=500)
    store = S3ObjectStore(s3_settings)
    manifest = read_manifest(store, upload(s3_client, bucket, tmp_path / bucket))
    everything = [r.key for f in files for r in f]
    assert keys(list(iter_inventory(store, manifest, chunk_size=1000))) == everything
    rest = iter_inventory(store, manifest, start=InventoryCursor(0, 2750))
    assert keys(list(rest)) == everything[2750:]


def test_missing_data_file_in_bucket(
    s3_settings: S3Settings, s3_client: S3Client, bucket: str, tmp_path: Path
) -> None:
    write_inventory(tmp_path, [rows_for(3)], dest=bucket)
    store = S3ObjectStore(s3_settings)
    manifest = read_manifest(store, upload(s3_client, bucket, tmp_path / bucket))
    s3_client.delete_object(Bucket=bucket, Key=manifest.files[0].key)
    with pytest.raises(InventoryError, match="does not exist"):
        list(iter_inventory(store, manifest))
    with pytest.raises(InventoryError, match="does not exist"):
        read_manifest(store, f"s3://{bucket}/nope/manifest.json")


def _wide_rows(count: int, part: int) -> list[Row]:
    return [
        Row(
            key=f"lake/events/month={i % 12 + 1:02d}/part {part}-{i:07d}-é.snappy.parquet",
            size=i * 37,
            version=f"{part:04d}{i:012d}abcdefghijklmnopqrst",
            etag=f"{(i * 2654435761) % 2**128:032x}",
        )
        for i in range(count)
    ]


def test_25k_rows_stream_in_chunks_with_bounded_memory(
    s3_settings: S3Settings, s3_client: S3Client, bucket: str, tmp_path: Path
) -> None:
    files = [_wide_rows(10_000, 0), _wide_rows(10_000, 1), _wide_rows(5_000, 2)]
    path = write_inventory(tmp_path, files, dest=bucket, columns=FULL_COLUMNS)
    uri = upload(s3_client, bucket, tmp_path / bucket)
    data_size = sum(
        len(gzip.decompress(p.read_bytes())) for p in (tmp_path / bucket).rglob("*.csv.gz")
    )
    assert path.is_file() and data_size > 5_000_000

    store = S3ObjectStore(s3_settings)
    manifest = read_manifest(store, uri)  # also warms up the boto3 client
    gc.collect()
    tracemalloc.start()
    try:
        count = 0
        sizes: list[int] = []
        cursors: list[InventoryCursor] = []
        first_key = ""
        last: ObjectInfo | None = None
        for objects, cursor in iter_inventory(
            store, manifest, chunk_size=1000, read_size=1024 * 1024
        ):
            # A job hands each chunk off and keeps only the cursor.
            sizes.append(len(objects))
            cursors.append(cursor)
            count += len(objects)
            first_key = first_key or objects[0].ref.key
            last = objects[-1]
            del objects
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == 25_000
    assert sizes == [1000] * 25
    assert cursors[9] == InventoryCursor(1, 0) and cursors[-1] == InventoryCursor(3, 0)
    assert first_key == files[0][0].key
    assert last is not None and last.ref.key == files[2][-1].key
    assert last.version_id == files[2][-1].version
    # About a fifth in practice: one chunk, one 64 KiB inflate step, one compressed file.
    assert peak < data_size / 3, (peak, data_size)
