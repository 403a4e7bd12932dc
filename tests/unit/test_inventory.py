"""S3 Inventory reports read through a LocalObjectStore over files laid out like a bucket.

The reports are built by tests/support/inventory.py, shared with the SeaweedFS tests.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from models import ObjectInfo, ObjectRef
from tests.support.inventory import (
    DEST,
    ODD_KEYS,
    SOURCE,
    STAMP_DT,
    Row,
    csv_gz,
    keys,
    rows_for,
    write_inventory,
)
from worker.adapters.storage.local import LocalObjectStore
from worker.core import inventory
from worker.core.inventory import (
    InventoryChunk,
    InventoryCursor,
    InventoryError,
    InventoryManifest,
    UnsupportedInventoryFormat,
    iter_inventory,
    read_manifest,
)


@pytest.fixture
def store() -> LocalObjectStore:
    return LocalObjectStore()


def read_all(
    store: LocalObjectStore, manifest_path: Path, **kwargs: object
) -> list[InventoryChunk]:
    manifest = read_manifest(store, str(manifest_path))
    return list(iter_inventory(store, manifest, **kwargs))  # type: ignore[arg-type]


# -- the manifest -------------------------------------------------------------------------


def test_manifest_fields_and_file_locations(store: LocalObjectStore, tmp_path: Path) -> None:
    path = write_inventory(tmp_path, [rows_for(2), rows_for(3)])
    manifest = read_manifest(store, path.as_uri())
    assert isinstance(manifest, InventoryManifest)
    assert manifest.source_bucket == SOURCE
    assert manifest.destination_bucket == DEST
    assert manifest.file_format == "CSV"
    assert manifest.columns[:2] == ("Bucket", "Key")
    assert len(manifest.columns) == 9
    assert manifest.created == datetime.fromtimestamp(1714979289, tz=UTC)
    assert len(manifest.files) == 2
    for entry in manifest.files:
        assert entry.uri == (tmp_path / DEST / entry.key).as_uri()
        assert Path(entry.uri[len("file://") :]).is_file()
        assert len(entry.md5) == 32


def test_manifest_accepts_plain_path_and_other_partitions(
    store: LocalObjectStore, tmp_path: Path
) -> None:
    path = write_inventory(
        tmp_path, [rows_for(1)], extra={"destinationBucket": f"arn:aws-cn:s3:::{DEST}"}
    )
    assert read_manifest(store, str(path)).destination_bucket == DEST


def _broken(tmp_path: Path, **changes: object) -> Path:
    path = write_inventory(tmp_path, [rows_for(1)], checksum=False)
    doc = json.loads(path.read_text())
    for name, value in changes.items():
        if value is None:
            doc.pop(name)
        else:
            doc[name] = value
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sourceBucket": None}, "sourceBucket"),
        ({"sourceBucket": ""}, "sourceBucket"),
        ({"destinationBucket": None}, "destinationBucket"),
        ({"destinationBucket": "arn:aws:sqs:::nope"}, "destinationBucket"),
        ({"fileFormat": None}, "fileFormat"),
        ({"fileFormat": "XML"}, "fileFormat"),
        ({"fileSchema": None}, "fileSchema"),
        ({"fileSchema": "Bucket, Size"}, "fileSchema"),
        ({"fileSchema": "Bucket, Key, Key"}, "fileSchema"),
        ({"files": None}, "files"),
        ({"files": {"key": "x"}}, "files"),
        ({"files": ["x"]}, "files[0]"),
        ({"files": [{"size": 1, "MD5checksum": "a"}]}, "files[0].key"),
        ({"files": [{"key": "k", "size": -1, "MD5checksum": "a"}]}, "files[0].size"),
        ({"files": [{"key": "k", "size": "1", "MD5checksum": "a"}]}, "files[0].size"),
        ({"files": [{"key": "k", "size": 1}]}, "files[0].MD5checksum"),
        ({"creationTimestamp": "yesterday"}, "creationTimestamp"),
    ],
)
def test_manifest_errors_name_the_field(
    store: LocalObjectStore, tmp_path: Path, changes: dict[str, object], field: str
) -> None:
    path = _broken(tmp_path, **changes)
    with pytest.raises(InventoryError) as caught:
        read_manifest(store, str(path))
    assert f"'{field}" in str(caught.value)
    assert caught.value.kind == "invalid_inventory"
    assert not caught.value.retryable


def test_orc_is_unsupported(store: LocalObjectStore, tmp_path: Path) -> None:
    path = _broken(tmp_path, fileFormat="ORC")
    with pytest.raises(UnsupportedInventoryFormat, match="ORC is not supported") as caught:
        read_manifest(store, str(path))
    assert isinstance(caught.value, InventoryError)
    assert caught.value.kind == "unsupported_inventory_format"


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b"\xff\xfe"])
def test_manifest_not_a_json_object(
    store: LocalObjectStore, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "manifest.json"
    path.write_bytes(content)
    with pytest.raises(InventoryError, match="JSON"):
        read_manifest(store, str(path))


def test_missing_manifest(store: LocalObjectStore, tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="does not exist"):
        read_manifest(store, str(tmp_path / "manifest.json"))


def test_checksum_mismatch_and_absence(store: LocalObjectStore, tmp_path: Path) -> None:
    path = write_inventory(tmp_path, [rows_for(1)])
    (path.parent / "manifest.checksum").write_text("0" * 32)
    with pytest.raises(InventoryError, match="does not match"):
        read_manifest(store, str(path))
    assert read_manifest(store, str(path), verify_checksum=False).files
    (path.parent / "manifest.checksum").unlink()
    assert read_manifest(store, str(path)).files


def test_local_data_root_found_by_probing_or_given(store: LocalObjectStore, tmp_path: Path) -> None:
    path = write_inventory(tmp_path, [rows_for(3)])
    copy = tmp_path / "synced-copy"
    (tmp_path / DEST).rename(copy)  # no directory is named like the bucket any more
    moved = copy / path.relative_to(tmp_path / DEST)
    manifest = read_manifest(store, str(moved))
    assert manifest.files[0].uri == (copy / manifest.files[0].key).as_uri()
    assert len(keys(list(iter_inventory(store, manifest)))) == 3

    elsewhere = tmp_path / "only-manifest" / "manifest.json"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(moved.read_bytes())
    with pytest.raises(InventoryError, match="data_root"):
        read_manifest(store, str(elsewhere))
    given = read_manifest(store, str(elsewhere), data_root=str(copy))
    assert given.files[0].uri == manifest.files[0].uri


# -- CSV ------------------------------------------------------------------------------------


def test_csv_keys_are_url_decoded(store: LocalObjectStore, tmp_path: Path) -> None:
    raw = csv_gz([Row(key=k) for k in ODD_KEYS])
    assert b"with+space" in gzip.decompress(raw)
    path = write_inventory(tmp_path, [[Row(key=k) for k in ODD_KEYS]])
    got = keys(read_all(store, path))
    assert got == ODD_KEYS


def test_csv_fields_map_to_object_info(store: LocalObjectStore, tmp_path: Path) -> None:
    rows = [
        Row(key="a.csv", size=123, etag="abcdef", storage="GLACIER", version="v1"),
        Row(key="b.csv", size=None, etag='"quoted"', version="null"),
    ]
    path = write_inventory(tmp_path, [rows])
    (chunk,) = read_all(store, path)
    first, second = chunk.objects
    assert first == ObjectInfo(
        ref=first.ref,
        size=123,
        etag="abcdef",
        last_modified=STAMP_DT,
        storage_class="GLACIER",
        version_id="v1",
    )
    assert first.ref.uri == f"s3://{SOURCE}/a.csv"
    assert first.ref.version_id is None
    assert (second.size, second.etag, second.version_id) == (0, "quoted", None)


def test_minimal_schema_bucket_and_key_only(store: LocalObjectStore, tmp_path: Path) -> None:
    path = write_inventory(tmp_path, [rows_for(3)], columns="Bucket, Key")
    (chunk,) = read_all(store, path)
    assert [o.size for o in chunk.objects] == [0, 0, 0]
    assert all(o.etag == "" and o.last_modified is None for o in chunk.objects)


def test_delete_markers_and_old_versions_are_skipped(
    store: LocalObjectStore, tmp_path: Path
) -> None:
    rows = [
        Row(key="keep-1", version="v3"),
        Row(key="old", latest=False, version="v1"),
        Row(key="deleted", delete=True, latest=True, size=None, version="v9"),
        Row(key="keep-2", latest=None, delete=None),
        Row(key="dir/"),
    ]
    path = write_inventory(tmp_path, [rows])
    assert keys(read_all(store, path)) == ["keep-1", "keep-2"]


def test_prefix_filter(store: LocalObjectStore, tmp_path: Path) -> None:
    rows = [
        Row(key="a/1"),
        Row(key="b/1"),
        Row(key="a/2"),
        Row(key="ab/3"),
        Row(key="a/3", bucket="other"),
    ]
    path = write_inventory(tmp_path, [rows])
    assert keys(read_all(store, path, prefix="a/")) == ["a/1", "a/2", "a/3"]
    assert keys(read_all(store, path, prefix=f"s3://{SOURCE}/a/")) == ["a/1", "a/2"]
    assert keys(read_all(store, path, prefix=f"s3://{SOURCE}")) == ["a/1", "b/1", "a/2", "ab/3"]
    assert read_all(store, path, prefix="zzz") == []


def test_chunks_span_files_and_carry_cursors(store: LocalObjectStore, tmp_path: Path) -> None:
    files = [rows_for(1200, "f0/"), rows_for(300, "f1/"), rows_for(1000, "f2/")]
    path = write_inventory(tmp_path, files)
    chunks = read_all(store, path, chunk_size=1000)
    assert [len(c.objects) for c in chunks] == [1000, 1000, 500]
    assert keys(chunks) == [r.key for f in files for r in f]
    assert [c.cursor for c in chunks] == [
        InventoryCursor(0, 1000),
        InventoryCursor(2, 500),
        InventoryCursor(3, 0),
    ]
    objects, cursor = chunks[0]  # unpacks as a pair
    assert len(objects) == 1000 and cursor.file_index == 0


def test_cursor_at_last_kept_row_points_to_next_file(
    store: LocalObjectStore, tmp_path: Path
) -> None:
    files = [rows_for(5, "a/") + [Row(key="z", delete=True)], rows_for(5, "b/")]
    path = write_inventory(tmp_path, files)
    chunks = read_all(store, path, chunk_size=5)
    assert [c.cursor for c in chunks] == [InventoryCursor(1, 0), InventoryCursor(2, 0)]


def test_resume_from_every_cursor_gives_exactly_the_rest(
    store: LocalObjectStore, tmp_path: Path
) -> None:
    files = [
        rows_for(23, "f0/") + [Row(key="f0/old", latest=False)] + rows_for(4, "f0b/"),
        rows_for(7, "f1/"),
        [],
        rows_for(31, "f3/"),
    ]
    path = write_inventory(tmp_path, files)
    manifest = read_manifest(store, str(path))
    everything = keys(list(iter_inventory(store, manifest, chunk_size=10)))
    assert len(everything) == 65
    done = 0
    for chunk in iter_inventory(store, manifest, chunk_size=6):
        done += len(chunk.objects)
        rest = keys(list(iter_inventory(store, manifest, chunk_size=10, start=chunk.cursor)))
        assert rest == everything[done:]
    # A cursor restored from its dict form, in the middle of a file.
    cursor = InventoryCursor.from_dict(InventoryCursor(0, 20).as_dict())
    rest = keys(list(iter_inventory(store, manifest, start=cursor)))
    assert rest == everything[20:]
    assert list(iter_inventory(store, manifest, start=InventoryCursor(4, 0))) == []
    with pytest.raises(ValueError, match="beyond"):
        list(iter_inventory(store, manifest, start=InventoryCursor(5, 0)))
    with pytest.raises(ValueError, match="beyond"):
        list(iter_inventory(store, manifest, start=InventoryCursor(4, 1)))


@pytest.mark.parametrize(
    "data", [{"file_index": 1}, {"file_index": -1, "row_offset": 0}, {"file_index": "1"}]
)
def test_cursor_from_bad_dict(data: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="cursor field"):
        InventoryCursor.from_dict(data)


def test_bad_arguments(store: LocalObjectStore, tmp_path: Path) -> None:
    manifest = read_manifest(store, str(write_inventory(tmp_path, [rows_for(1)])))
    with pytest.raises(ValueError, match="chunk_size"):
        list(iter_inventory(store, manifest, chunk_size=0))
    with pytest.raises(ValueError, match="read_size"):
        list(iter_inventory(store, manifest, read_size=0))


def test_tiny_ranges_and_multi_member_gzip(store: LocalObjectStore, tmp_path: Path) -> None:
    rows = [Row(key=f"k/{i}/{ODD_KEYS[i % len(ODD_KEYS)]}") for i in range(400)]
    two_members = csv_gz(rows[:150]) + csv_gz(rows[150:])
    path = write_inventory(tmp_path, [two_members])
    manifest = read_manifest(store, str(path))
    expected = [r.key for r in rows]
    for read_size in (1, 97, 4096, 10**9):
        got = keys(list(iter_inventory(store, manifest, read_size=read_size)))
        assert got == expected, read_size


def test_highly_compressible_file_streams_in_bounded_pieces(
    store: LocalObjectStore, tmp_path: Path
) -> None:
    rows = [Row(key="same/" + "x" * 200) for _ in range(20_000)]  # ~5 MB, compresses ~500x
    path = write_inventory(tmp_path, [rows])
    manifest = read_manifest(store, str(path))
    pieces = list(
        inventory._gunzip(store, store.head(ObjectRef(manifest.files[0].uri)), inventory.READ_SIZE)
    )
    assert max(len(p) for p in pieces) <= inventory._INFLATE_STEP
    assert len(keys(list(iter_inventory(store, manifest)))) == 20_000


def _gz_truncated() -> bytes:
    data = csv_gz(rows_for(500))
    return data[: len(data) // 2]


def _gz_bad_row() -> bytes:
    return gzip.compress(b'"src-bucket","k","1"\n')


def _gz_bad_size() -> bytes:
    return gzip.compress(b'"b","k","","true","false","ten","2024-01-01T00:00:00.000Z","e","S"\n')


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not gzip at all", "not valid gzip"),
        (_gz_truncated(), "ends before the end"),
        (zlib.compress(b"raw zlib, no gzip header"), "not valid gzip"),
        (_gz_bad_row(), "row 1 has 3 fields"),
        (_gz_bad_size(), "row 1: column Size"),
        (gzip.compress(b'"b","k","","maybe","false","1","","",""\n'), "true or false"),
        (gzip.compress(b'"b","k","","true","false","1","noon","",""\n'), "ISO 8601"),
        (gzip.compress(b'"b","\xff","","true","false","1","","",""\n'), "UTF-8"),
        (gzip.compress(b'"b","k"x,"","true","false","1","","",""\n'), "not valid CSV"),
    ],
    # Named, not the bytes: gzip stamps the time, and pytest-xdist's workers must collect the
    # same test ids even when they collect in different seconds.
    ids=[
        "not-gzip",
        "truncated",
        "raw-zlib",
        "short-row",
        "bad-size",
        "bad-bool",
        "bad-date",
        "bad-utf8",
        "bad-csv",
    ],
)
def test_bad_csv_data_files(
    store: LocalObjectStore, tmp_path: Path, data: bytes, message: str
) -> None:
    path = write_inventory(tmp_path, [data])
    with pytest.raises(InventoryError, match=message):
        read_all(store, path)


def test_missing_or_resized_data_file(store: LocalObjectStore, tmp_path: Path) -> None:
    path = write_inventory(tmp_path, [rows_for(3), rows_for(3)])
    manifest = read_manifest(store, str(path))
    second = Path(manifest.files[1].uri[len("file://") :])
    second.write_bytes(second.read_bytes() + b"\0")
    with pytest.raises(InventoryError, match="the manifest says"):
        list(iter_inventory(store, manifest))
    second.unlink()
    with pytest.raises(InventoryError, match="does not exist"):
        list(iter_inventory(store, manifest))
    # Resuming past the broken file never touches it.
    assert list(iter_inventory(store, manifest, start=InventoryCursor(2, 0))) == []


# -- Parquet --------------------------------------------------------------------------------


def test_parquet_report(store: LocalObjectStore, tmp_path: Path) -> None:
    rows = [Row(key=k, size=i, version=f"v{i}") for i, k in enumerate(ODD_KEYS)]
    rows += [Row(key="gone", delete=True, size=None), Row(key="old", latest=False)]
    path = write_inventory(tmp_path, [rows, rows_for(5)], file_format="Parquet")
    manifest = read_manifest(store, str(path))
    assert manifest.file_format == "Parquet" and manifest.columns == ()
    chunks = list(iter_inventory(store, manifest))
    assert keys(chunks) == ODD_KEYS + [r.key for r in rows_for(5)]  # never URL-decoded
    first = chunks[0].objects[0]
    assert (first.size, first.etag, first.version_id) == (0, "0123abcd", "v0")
    assert first.last_modified == STAMP_DT
    assert first.storage_class == "STANDARD"


@pytest.mark.parametrize("whole_file_limit", [inventory.PARQUET_WHOLE_FILE_LIMIT, 0])
def test_parquet_row_groups_chunks_and_resume(
    store: LocalObjectStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    whole_file_limit: int,
) -> None:
    monkeypatch.setattr(inventory, "PARQUET_WHOLE_FILE_LIMIT", whole_file_limit)
    files = [rows_for(2500, "p0/"), rows_for(10, "p1/")]
    path = write_inventory(tmp_path, files, file_format="Parquet", row_group_size=300)
    manifest = read_manifest(store, str(path))
    everything = [r.key for f in files for r in f]
    chunks = list(iter_inventory(store, manifest, chunk_size=700))
    assert keys(chunks) == everything
    assert [c.cursor for c in chunks][:2] == [InventoryCursor(0, 700), InventoryCursor(0, 1400)]
    for cursor in (InventoryCursor(0, 650), InventoryCursor(0, 900), InventoryCursor(1, 3)):
        rest = keys(list(iter_inventory(store, manifest, chunk_size=700, start=cursor)))
        offset = cursor.row_offset + (2500 if cursor.file_index else 0)
        assert rest == everything[offset:]


def test_bad_parquet_data_files(store: LocalObjectStore, tmp_path: Path) -> None:
    path = write_inventory(tmp_path, [b"PAR1 this is not parquet PAR1"], file_format="Parquet")
    with pytest.raises(InventoryError, match="not valid Parquet"):
        read_all(store, path)
    sink = io.BytesIO()
    pq.write_table(pa.table({"bucket": ["b"], "name": ["k"]}), sink)
    path = write_inventory(tmp_path / "two", [sink.getvalue()], file_format="Parquet")
    with pytest.raises(InventoryError, match="no key column"):
        read_all(store, path)
