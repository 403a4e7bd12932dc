"""S3 Inventory reports built on disk (CSV and Parquet data files, manifests, checksums).

Used by the unit tests of the inventory reader and by the tests that upload the same reports
to SeaweedFS and run inventory jobs on real workers.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote_plus

import pyarrow as pa
import pyarrow.parquet as pq

from worker.core.inventory import InventoryChunk

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

SOURCE = "src-bucket"
DEST = "inventory-dest"
COLUMNS = (
    "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass"
)
STAMP = "2024-05-06T07:08:09.000Z"
STAMP_DT = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


@dataclass(frozen=True)
class Row:
    key: str
    size: int | None = 10
    latest: bool | None = True
    delete: bool | None = False
    version: str = ""
    etag: str = "0123abcd"
    storage: str = "STANDARD"
    bucket: str = SOURCE


def rows_for(count: int, prefix: str = "data/part-") -> list[Row]:
    return [Row(key=f"{prefix}{i:06d}.csv", size=i) for i in range(count)]


def _flag(value: bool | None) -> str:
    return "" if value is None else str(value).lower()


def csv_gz(rows: list[Row], columns: str = COLUMNS) -> bytes:
    """A CSV inventory data file: gzip, no header, every field quoted, keys URL-encoded."""
    names = [name.strip() for name in columns.split(",")]
    text = io.StringIO()
    writer = csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for row in rows:
        values = {
            "Bucket": row.bucket,
            "Key": quote_plus(row.key, safe="/"),
            "VersionId": row.version,
            "IsLatest": _flag(row.latest),
            "IsDeleteMarker": _flag(row.delete),
            "Size": "" if row.size is None else str(row.size),
            "LastModifiedDate": STAMP,
            "ETag": row.etag,
            "StorageClass": row.storage,
        }
        writer.writerow([values.get(name, "x") for name in names])
    return gzip.compress(text.getvalue().encode("utf-8"), mtime=0)


def parquet_bytes(rows: list[Row], row_group_size: int = 1000) -> bytes:
    """A Parquet inventory data file with AWS's column names."""
    table = pa.table(
        {
            "bucket": pa.array([r.bucket for r in rows], pa.string()),
            "key": pa.array([r.key for r in rows], pa.string()),
            "version_id": pa.array([r.version or None for r in rows], pa.string()),
            "is_latest": pa.array([r.latest for r in rows], pa.bool_()),
            "is_delete_marker": pa.array([r.delete for r in rows], pa.bool_()),
            "size": pa.array([r.size for r in rows], pa.int64()),
            "last_modified_date": pa.array([STAMP_DT] * len(rows), pa.timestamp("ms", tz="UTC")),
            "e_tag": pa.array([r.etag for r in rows], pa.string()),
            "storage_class": pa.array([r.storage for r in rows], pa.string()),
        }
    )
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=row_group_size)
    return sink.getvalue()


def write_inventory(
    root: Path,
    files: list[list[Row]] | list[bytes],
    *,
    file_format: str = "CSV",
    columns: str = COLUMNS,
    dest: str = DEST,
    checksum: bool = True,
    row_group_size: int = 1000,
    extra: dict[str, object] | None = None,
) -> Path:
    """Lay out ``root/<dest>/<source>/cfg/...`` like AWS does; return the manifest path."""
    bucket_dir = root / dest
    entries = []
    for item in files:
        if isinstance(item, bytes):
            data = item
        elif file_format == "Parquet":
            data = parquet_bytes(item, row_group_size)
        else:
            data = csv_gz(item, columns)
        ext = "parquet" if file_format == "Parquet" else "csv.gz"
        key = f"{SOURCE}/cfg/data/{uuid.uuid4()}.{ext}"
        (bucket_dir / key).parent.mkdir(parents=True, exist_ok=True)
        (bucket_dir / key).write_bytes(data)
        entries.append(
            {"key": key, "size": len(data), "MD5checksum": hashlib.md5(data).hexdigest()}
        )
    doc: dict[str, object] = {
        "sourceBucket": SOURCE,
        "destinationBucket": f"arn:aws:s3:::{dest}",
        "version": "2016-11-30",
        "creationTimestamp": "1714979289000",
        "fileFormat": file_format,
        "fileSchema": columns if file_format == "CSV" else "message s3.inventory { }",
        "files": entries,
    }
    doc.update(extra or {})
    manifest = bucket_dir / SOURCE / "cfg" / "2024-05-06T00-00Z" / "manifest.json"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(doc).encode()
    manifest.write_bytes(raw)
    if checksum:
        (manifest.parent / "manifest.checksum").write_text(hashlib.md5(raw).hexdigest() + "\n")
    return manifest


def keys(chunks: list[InventoryChunk]) -> list[str]:
    return [info.ref.key for chunk in chunks for info in chunk.objects]


#: Keys that need URL-encoding in a CSV report, or survive it only when decoded right.
ODD_KEYS = [
    "plain/file.csv",
    "with space/and more spaces.csv",
    "plus+sign/a+b.csv",
    "percent/100%25 done%.csv",
    "unicode/données/straße/日本語.parquet",
    "punct/a,b;c=d&e?f#g.csv",
    'quote/"quoted".csv',
    "tilde/~user/(1)!*'.json",
]


def upload(s3_client: S3Client, bucket: str, local_bucket: Path) -> str:
    """Upload the local copy of the destination bucket; return the manifest's s3:// URI."""
    manifest = ""
    for path in sorted(local_bucket.rglob("*")):
        if path.is_file():
            key = path.relative_to(local_bucket).as_posix()
            s3_client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
            if path.name == "manifest.json":
                manifest = f"s3://{bucket}/{key}"
    return manifest
