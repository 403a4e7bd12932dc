"""Reading AWS S3 Inventory reports through the :class:`~worker.core.ports.ObjectStore` port.

A bulk job over tens of millions of keys must neither LIST the bucket nor hold the key list
in one process. S3 Inventory publishes the list as a ``manifest.json`` that names data files
(gzip-compressed CSV or Parquet) in the destination bucket; this module reads the manifest
(:func:`read_manifest`) and streams the data files one at a time in bounded memory
(:func:`iter_inventory`), in chunks that each carry a resumable :class:`InventoryCursor`.

Memory: CSV data files are fetched ``read_size`` bytes at a time (8 MiB by default) and
gunzipped in steps of at most 64 KiB of output; Parquet data files under 64 MiB are read
whole, larger ones row group by row group through a file-like adapter over byte ranges.
At most ``chunk_size`` :class:`~models.ObjectInfo` are held at once.

Reference: AWS S3 user guide, "Amazon S3 Inventory" (manifest fields, CSV keys are
URL-encoded, Parquet column names).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple
from urllib.parse import unquote_plus

import pyarrow as pa
import pyarrow.parquet as pq

from models import ObjectInfo, ObjectRef
from worker.core.errors import EnrichmentError, ObjectVanished
from worker.core.ports import ObjectStore

#: Bytes fetched per ``read_range`` request while streaming a data file.
READ_SIZE = 8 * 1024 * 1024
#: Parquet data files up to this size are fetched whole; larger ones row group by row group.
PARQUET_WHOLE_FILE_LIMIT = 64 * 1024 * 1024
#: A manifest larger than this is refused (a real one lists a few thousand files at most).
MANIFEST_LIMIT = 64 * 1024 * 1024
#: Largest decompressed piece produced at once (bounds memory against gzip bombs).
_INFLATE_STEP = 64 * 1024
#: Compressed input is fed to zlib in slices of this size (zlib copies what it leaves over).
_FEED_STEP = 64 * 1024
#: A CSV line longer than this is refused: inventory rows are a few hundred bytes.
_MAX_LINE = 1024 * 1024
_PARQUET_BUFFER = 1024 * 1024
_PARQUET_BATCH = 1024

InventoryFormat = Literal["CSV", "Parquet"]

_ARN = re.compile(r"^arn:aws[a-z-]*:s3:::([^/:]+)$")
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.\-_]{1,254}$")

# Canonical column names: lower case without separators, so the CSV fileSchema names
# ("IsDeleteMarker") and the Parquet column names ("is_delete_marker") agree.
_BUCKET, _KEY, _VERSION, _LATEST, _DELETE = (
    "bucket",
    "key",
    "versionid",
    "islatest",
    "isdeletemarker",
)
_SIZE, _MODIFIED, _ETAG, _STORAGE = "size", "lastmodifieddate", "etag", "storageclass"
_WANTED = (_BUCKET, _KEY, _VERSION, _LATEST, _DELETE, _SIZE, _MODIFIED, _ETAG, _STORAGE)


class InventoryError(EnrichmentError):
    """The inventory manifest or one of its data files is missing, invalid or unreadable.

    The message names the manifest field, or the data file and row, that is at fault.
    """

    kind = "invalid_inventory"
    retryable = False


class UnsupportedInventoryFormat(InventoryError):
    """The inventory report is in a format this module does not read (ORC)."""

    kind = "unsupported_inventory_format"


@dataclass(frozen=True, slots=True)
class InventoryFile:
    """One data file of an inventory report.

    :param key: the key in the destination bucket, as the manifest gives it.
    :param size: its size in bytes according to the manifest.
    :param md5: the ``MD5checksum`` the manifest gives.
    :param uri: where it is read from (``s3://destination/key`` or a local ``file://`` URI).
    """

    key: str
    size: int
    md5: str
    uri: str


@dataclass(frozen=True, slots=True)
class InventoryManifest:
    """A parsed ``manifest.json``.

    :param uri: the manifest's own URI.
    :param source_bucket: the bucket the inventory lists.
    :param destination_bucket: the bucket holding the data files (name, not ARN).
    :param file_format: ``"CSV"`` or ``"Parquet"``.
    :param columns: the CSV column names from ``fileSchema``, in order (empty for Parquet,
        whose data files carry their own schema).
    :param files: the data files, in manifest order (the order cursors refer to).
    :param created: ``creationTimestamp`` as an aware UTC datetime, when given.
    """

    uri: str
    source_bucket: str
    destination_bucket: str
    file_format: InventoryFormat
    columns: tuple[str, ...]
    files: tuple[InventoryFile, ...]
    created: datetime | None = None


@dataclass(frozen=True, slots=True, order=True)
class InventoryCursor:
    """A position in an inventory: resume with ``iter_inventory(..., start=cursor)``.

    :param file_index: index into :attr:`InventoryManifest.files` of the next file to read.
    :param row_offset: data rows of that file already consumed (kept or filtered out).

    ``InventoryCursor(len(manifest.files), 0)`` is the end of the inventory.
    """

    file_index: int = 0
    row_offset: int = 0

    def as_dict(self) -> dict[str, int]:
        """Return a JSON-serialisable form (for a job record or a task argument)."""
        return {"file_index": self.file_index, "row_offset": self.row_offset}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InventoryCursor:
        """Rebuild a cursor from :meth:`as_dict` output.

        :raises ValueError: a field is missing, not an integer or negative.
        """
        values: list[int] = []
        for name in ("file_index", "row_offset"):
            value = data.get(name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"cursor field {name!r} must be a non-negative integer")
            values.append(value)
        return cls(values[0], values[1])


class InventoryChunk(NamedTuple):
    """What :func:`iter_inventory` yields: up to ``chunk_size`` objects and the cursor after them.

    Unpacks as ``objects, cursor``. Persisting ``cursor`` once ``objects`` are handed off
    makes a restarted job continue with exactly the rows after them.
    """

    objects: list[ObjectInfo]
    cursor: InventoryCursor


# -- the manifest -----------------------------------------------------------------------


def read_manifest(
    store: ObjectStore,
    manifest_uri: str,
    *,
    data_root: str | None = None,
    verify_checksum: bool = True,
) -> InventoryManifest:
    """Read and validate an S3 Inventory ``manifest.json``.

    Data file keys are relative to the destination bucket: for an ``s3://`` manifest they
    resolve to ``s3://<destination bucket>/<key>``. For a local manifest they resolve below
    the nearest ancestor directory named like the destination bucket or, failing that, the
    nearest ancestor under which the first data file exists. ``data_root`` (a URI or path
    prefix) overrides both.

    :param store: reads the manifest (and probes for local data files).
    :param manifest_uri: ``s3://bucket/.../manifest.json``, a ``file://`` URI or a path.
    :param data_root: where data file keys are resolved, instead of the destination bucket.
    :param verify_checksum: compare with a sibling ``manifest.checksum`` when one exists.
    :raises ValueError: ``manifest_uri`` has an unsupported scheme.
    :raises UnsupportedInventoryFormat: the report is ORC.
    :raises InventoryError: the manifest is missing, too large, not JSON, fails its
        checksum, or a field is missing or invalid (the message names the field); local
        data files cannot be located.
    :raises RunError, StoreUnavailable, ObjectChanged: as raised by ``store``.
    Side effects: a HEAD and reads of the manifest (and of ``manifest.checksum``); for local
    manifests without ``data_root``, HEADs probing for the first data file.
    """
    ref = ObjectRef.parse(manifest_uri)
    raw = _read_small(store, ref, "manifest")
    if verify_checksum:
        _verify_checksum(store, ref, raw)
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InventoryError(f"inventory manifest {ref.uri} is not valid JSON") from exc
    if not isinstance(doc, dict):
        raise InventoryError(f"inventory manifest {ref.uri} is not a JSON object")

    source = _text_field(doc, "sourceBucket", ref)
    destination = _destination(doc, ref)
    file_format = _file_format(doc, ref)
    columns: tuple[str, ...] = ()
    if file_format == "CSV":
        columns = _csv_columns(doc, ref)
    entries = _file_entries(doc, ref)
    created = _created(doc, ref)
    root = _data_root(store, ref, destination, entries, data_root)
    files = tuple(
        InventoryFile(key=key, size=size, md5=md5, uri=_join(root, key))
        for key, size, md5 in entries
    )
    return InventoryManifest(
        uri=ref.uri,
        source_bucket=source,
        destination_bucket=destination,
        file_format=file_format,
        columns=columns,
        files=files,
        created=created,
    )


def _read_small(store: ObjectStore, ref: ObjectRef, what: str) -> bytes:
    """Read a whole small object (the manifest or its checksum)."""
    try:
        info = store.head(ref)
    except ObjectVanished as exc:
        raise InventoryError(f"inventory {what} {ref.uri} does not exist") from exc
    if info.size > MANIFEST_LIMIT:
        raise InventoryError(
            f"inventory {what} {ref.uri} is {info.size} bytes, over the {MANIFEST_LIMIT} limit"
        )
    parts: list[bytes] = []
    pos = 0
    while pos < info.size:
        data = store.read_range(info, pos, min(info.size, pos + READ_SIZE))
        if not data:
            break
        parts.append(data)
        pos += len(data)
    return b"".join(parts)


def _verify_checksum(store: ObjectStore, ref: ObjectRef, raw: bytes) -> None:
    """Compare ``raw`` with the sibling ``manifest.checksum`` (MD5 hex), when there is one."""
    sibling = ObjectRef(ref.uri.rsplit("/", 1)[0] + "/manifest.checksum")
    try:
        info = store.head(sibling)
    except ObjectVanished:
        return
    if info.size > 1024:
        raise InventoryError(f"{sibling.uri} is not an MD5 checksum ({info.size} bytes)")
    expected = store.read_range(info, 0, info.size).decode("ascii", "replace").strip().lower()
    actual = hashlib.md5(raw, usedforsecurity=False).hexdigest()
    if expected != actual:
        raise InventoryError(
            f"inventory manifest {ref.uri} does not match {sibling.uri} "
            f"(MD5 {actual}, expected {expected or 'nothing'})"
        )


def _text_field(doc: Mapping[str, Any], name: str, ref: ObjectRef) -> str:
    """Return a required non-empty string field."""
    value = doc.get(name)
    if value is None:
        raise InventoryError(f"inventory manifest {ref.uri}: field {name!r} is missing")
    if not isinstance(value, str) or not value.strip():
        raise InventoryError(
            f"inventory manifest {ref.uri}: field {name!r} must be a non-empty string"
        )
    return value.strip()


def _destination(doc: Mapping[str, Any], ref: ObjectRef) -> str:
    """Return the destination bucket name from its ARN (a bare name is accepted too)."""
    value = _text_field(doc, "destinationBucket", ref)
    match = _ARN.match(value)
    if match:
        return match.group(1)
    if _BUCKET_NAME.match(value):
        return value
    raise InventoryError(
        f"inventory manifest {ref.uri}: field 'destinationBucket' must be an S3 bucket ARN "
        f"(arn:aws:s3:::name), got {value!r}"
    )


def _file_format(doc: Mapping[str, Any], ref: ObjectRef) -> InventoryFormat:
    """Return ``"CSV"`` or ``"Parquet"``; ORC and anything else are refused."""
    value = _text_field(doc, "fileFormat", ref)
    folded = value.lower()
    if folded == "csv":
        return "CSV"
    if folded == "parquet":
        return "Parquet"
    if folded == "orc":
        raise UnsupportedInventoryFormat(
            f"inventory manifest {ref.uri}: fileFormat ORC is not supported; configure the "
            f"inventory report as CSV or Parquet"
        )
    raise InventoryError(
        f"inventory manifest {ref.uri}: field 'fileFormat' must be CSV, Parquet or ORC, "
        f"got {value!r}"
    )


def _canonical(name: str) -> str:
    """``"IsDeleteMarker"`` and ``"is_delete_marker"`` both become ``"isdeletemarker"``."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _csv_columns(doc: Mapping[str, Any], ref: ObjectRef) -> tuple[str, ...]:
    """Split the CSV ``fileSchema`` into column names; Bucket and Key must be among them."""
    value = _text_field(doc, "fileSchema", ref)
    columns = tuple(part.strip() for part in value.split(","))
    canonical = [_canonical(column) for column in columns]
    if any(not column for column in columns) or len(set(canonical)) != len(canonical):
        raise InventoryError(
            f"inventory manifest {ref.uri}: field 'fileSchema' must be distinct "
            f"comma-separated column names, got {value!r}"
        )
    for required in ("Bucket", "Key"):
        if _canonical(required) not in canonical:
            raise InventoryError(
                f"inventory manifest {ref.uri}: field 'fileSchema' has no {required} column"
            )
    return columns


def _file_entries(doc: Mapping[str, Any], ref: ObjectRef) -> list[tuple[str, int, str]]:
    """Validate ``files`` and return ``(key, size, md5)`` per data file."""
    files = doc.get("files")
    if files is None:
        raise InventoryError(f"inventory manifest {ref.uri}: field 'files' is missing")
    if not isinstance(files, list):
        raise InventoryError(f"inventory manifest {ref.uri}: field 'files' must be a list")
    entries: list[tuple[str, int, str]] = []
    for index, item in enumerate(files):
        where = f"inventory manifest {ref.uri}: field 'files[{index}]"
        if not isinstance(item, dict):
            raise InventoryError(f"{where}' must be an object")
        key = item.get("key")
        if not isinstance(key, str) or not key or key.endswith("/"):
            raise InventoryError(f"{where}.key' must be a non-empty object key")
        size = item.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise InventoryError(f"{where}.size' must be a non-negative integer")
        md5 = item.get("MD5checksum")
        if not isinstance(md5, str) or not md5:
            raise InventoryError(f"{where}.MD5checksum' must be a non-empty string")
        entries.append((key, size, md5))
    return entries


def _created(doc: Mapping[str, Any], ref: ObjectRef) -> datetime | None:
    """Return ``creationTimestamp`` (milliseconds since the epoch, as a string) or ``None``."""
    value = doc.get("creationTimestamp")
    if value is None:
        return None
    try:
        millis = int(value)
        return datetime.fromtimestamp(millis / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise InventoryError(
            f"inventory manifest {ref.uri}: field 'creationTimestamp' must be milliseconds "
            f"since the epoch, got {value!r}"
        ) from exc


def _join(root: str, key: str) -> str:
    """Resolve a data file key below ``root`` (an ``s3://`` prefix or a local directory URI)."""
    if root.startswith("s3://"):
        return root.rstrip("/") + "/" + key
    return (Path(ObjectRef.parse(root).key) / key).as_uri()


def _data_root(
    store: ObjectStore,
    ref: ObjectRef,
    destination: str,
    entries: list[tuple[str, int, str]],
    data_root: str | None,
) -> str:
    """Pick the URI prefix data file keys are resolved under; see :func:`read_manifest`."""
    if data_root is not None:
        root_ref = ObjectRef.parse(data_root)
        if root_ref.scheme == "s3":
            return data_root.rstrip("/") + "/"
        return root_ref.uri
    if ref.scheme == "s3":
        return f"s3://{destination}/"
    manifest_dir = Path(ref.key).parent
    ancestors = [manifest_dir, *manifest_dir.parents]
    for directory in ancestors:
        if directory.name == destination:
            return directory.as_uri()
    if not entries:
        return manifest_dir.as_uri()
    first = entries[0][0]
    for directory in ancestors:
        try:
            store.head(ObjectRef((directory / first).as_uri()))
        except ObjectVanished:
            continue
        return directory.as_uri()
    raise InventoryError(
        f"inventory manifest {ref.uri}: cannot find data file {first!r} below any directory "
        f"above the manifest (none is named {destination!r}); pass the local copy of the "
        f"destination bucket as data_root"
    )


# -- the data files ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Filter:
    """Which rows are kept: the latest, non-deleted versions under a bucket/key prefix."""

    bucket: str | None
    prefix: str

    @classmethod
    def parse(cls, prefix: str | None) -> _Filter:
        if prefix is None:
            return cls(None, "")
        if prefix.startswith("s3://"):
            ref = ObjectRef.parse(prefix)
            return cls(ref.bucket, ref.key)
        return cls(None, prefix)

    def keeps(self, bucket: str, key: str) -> bool:
        return key.startswith(self.prefix) and (self.bucket is None or self.bucket == bucket)


def iter_inventory(
    store: ObjectStore,
    manifest: InventoryManifest,
    prefix: str | None = None,
    chunk_size: int = 1000,
    *,
    start: InventoryCursor | None = None,
    read_size: int = READ_SIZE,
) -> Iterator[InventoryChunk]:
    """Stream the objects an inventory lists, in chunks, one data file at a time.

    Yields :class:`InventoryChunk` ``(objects, cursor)`` pairs: ``objects`` holds 1 to
    ``chunk_size`` objects (never zero; a chunk may span data files) in manifest and row
    order; ``cursor`` is the position right after the last of them, so
    ``iter_inventory(..., start=cursor)`` yields exactly the objects that follow. When no
    object follows in the current data file, the cursor points at the start of the next
    file. Rows that are delete markers or not the latest version (when the report has
    those columns) and rows outside ``prefix`` are skipped but still counted by cursors.

    The objects carry bucket, key, size, ETag (``""`` when the report omits it), last
    modified date, storage class and, for reports with versions, the version id; no
    content type.

    :param store: reads the data files (HEAD, then byte ranges pinned to the HEAD's ETag).
    :param manifest: from :func:`read_manifest`.
    :param prefix: a key prefix, or an ``s3://bucket/prefix`` URI that also fixes the bucket.
    :param chunk_size: the most objects per chunk.
    :param start: resume from this cursor (default: the beginning).
    :param read_size: bytes per range request for CSV files and whole Parquet files.
    :raises ValueError: ``chunk_size`` or ``read_size`` below 1, or ``start`` beyond the end.
    :raises InventoryError: a data file is missing, differs in size from the manifest, is
        not valid gzip/CSV/Parquet, or a row has the wrong number of fields or a bad value
        (the message names the file and row).
    :raises ObjectChanged, StoreUnavailable, RunError: as raised by ``store``.
    Side effects: one HEAD per data file read, then GETs of byte ranges.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    if read_size < 1:
        raise ValueError(f"read_size must be at least 1, got {read_size}")
    position = start or InventoryCursor()
    count = len(manifest.files)
    if position.file_index > count or (position.file_index == count and position.row_offset != 0):
        raise ValueError(f"cursor {position} is beyond the {count} files of the inventory")
    keep = _Filter.parse(prefix)
    chunk: list[ObjectInfo] = []
    for index in range(position.file_index, count):
        skip = position.row_offset if index == position.file_index else 0
        rows = _file_rows(store, manifest, index, skip, keep, read_size)
        for row_after, info, last in _mark_last(rows):
            chunk.append(info)
            if len(chunk) == chunk_size:
                after = InventoryCursor(index + 1, 0) if last else InventoryCursor(index, row_after)
                yield InventoryChunk(chunk, after)
                chunk = []
    if chunk:
        yield InventoryChunk(chunk, InventoryCursor(count, 0))


def _mark_last(rows: Iterable[tuple[int, ObjectInfo]]) -> Iterator[tuple[int, ObjectInfo, bool]]:
    """Yield each ``(row_after, info)`` with a flag telling whether it is the last one."""
    iterator = iter(rows)
    try:
        pending = next(iterator)
    except StopIteration:
        return
    for item in iterator:
        yield pending[0], pending[1], False
        pending = item
    yield pending[0], pending[1], True


def _file_rows(
    store: ObjectStore,
    manifest: InventoryManifest,
    index: int,
    skip: int,
    keep: _Filter,
    read_size: int,
) -> Iterator[tuple[int, ObjectInfo]]:
    """Yield ``(row number after it, info)`` for each kept row of one data file."""
    entry = manifest.files[index]
    try:
        info = store.head(ObjectRef(entry.uri))
    except ObjectVanished as exc:
        raise InventoryError(
            f"inventory data file {entry.uri} listed in {manifest.uri} does not exist"
        ) from exc
    if info.size != entry.size:
        raise InventoryError(
            f"inventory data file {entry.uri} is {info.size} bytes, the manifest says {entry.size}"
        )
    if manifest.file_format == "CSV":
        records = _csv_records(store, info, manifest, skip, read_size)
    else:
        records = _parquet_records(store, info, skip, read_size)
    for row_after, record in records:
        bucket = record.get(_BUCKET) or manifest.source_bucket
        key = record[_KEY]
        if record.get(_DELETE) is True or record.get(_LATEST) is False:
            continue
        if not key or key.endswith("/") or not keep.keeps(bucket, key):
            continue
        yield row_after, _object_info(bucket, key, record)


def _object_info(bucket: str, key: str, record: Mapping[str, Any]) -> ObjectInfo:
    """Build the :class:`ObjectInfo` of one inventory row."""
    version = record.get(_VERSION) or None
    if version == "null":
        version = None
    etag = (record.get(_ETAG) or "").strip().strip('"')
    return ObjectInfo(
        ref=ObjectRef(f"s3://{bucket}/{key}"),
        size=record.get(_SIZE) or 0,
        etag=etag,
        last_modified=record.get(_MODIFIED),
        storage_class=record.get(_STORAGE) or None,
        version_id=version,
    )


# -- CSV --------------------------------------------------------------------------------


class _Inflater:
    """Streaming gunzip of one object: any number of gzip members, output in bounded pieces."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.decoder = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
        self.ended = False

    def feed(self, data: bytes | memoryview, where: int) -> Iterator[bytes]:
        """Yield what ``data`` decompresses to, at most ``_INFLATE_STEP`` bytes at a time.

        :raises InventoryError: the bytes are not gzip (``where`` is named in the message).
        """
        while True:
            if self.ended:
                if not data:
                    return
                # Another gzip member follows the one that ended.
                self.decoder = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
                self.ended = False
            try:
                out = self.decoder.decompress(data, _INFLATE_STEP)
            except zlib.error as exc:
                raise InventoryError(
                    f"inventory data file {self.uri} is not valid gzip (near byte {where})"
                ) from exc
            if out:
                yield out
            if self.decoder.eof:
                self.ended = True
                data = self.decoder.unused_data
                continue
            data = self.decoder.unconsumed_tail
            # Capped output may leave more in zlib even with no input left: go round again.
            if not data and len(out) < _INFLATE_STEP:
                return


def _gunzip(store: ObjectStore, info: ObjectInfo, read_size: int) -> Iterator[bytes]:
    """Yield the decompressed bytes of a gzip object, fetching ``read_size`` bytes at a time.

    :raises InventoryError: not gzip, corrupt, or truncated.
    """
    inflater = _Inflater(info.ref.uri)
    pos = 0
    while pos < info.size:
        data = store.read_range(info, pos, min(info.size, pos + read_size))
        if not data:
            break
        view = memoryview(data)
        for offset in range(0, len(view), _FEED_STEP):
            yield from inflater.feed(view[offset : offset + _FEED_STEP], pos + offset)
        pos += len(data)
        del view, data
    if pos < info.size or (info.size and not inflater.ended):
        raise InventoryError(
            f"inventory data file {info.ref.uri} ends before the end of its gzip stream"
        )


def _lines(pieces: Iterable[bytes], uri: str) -> Iterator[str]:
    """Split decompressed bytes into UTF-8 lines (each keeps its newline)."""
    tail = b""
    for piece in pieces:
        buffer = tail + piece
        lines = buffer.split(b"\n")
        tail = lines.pop()
        if len(tail) > _MAX_LINE:
            raise InventoryError(f"inventory data file {uri} has a line over {_MAX_LINE} bytes")
        for line in lines:
            yield _decode(line, uri) + "\n"
    if tail:
        yield _decode(tail, uri)


def _decode(line: bytes, uri: str) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InventoryError(f"inventory data file {uri} is not UTF-8 text") from exc


def _csv_records(
    store: ObjectStore,
    info: ObjectInfo,
    manifest: InventoryManifest,
    skip: int,
    read_size: int,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(row number after it, canonical record)`` for the rows after ``skip``."""
    uri = info.ref.uri
    positions = {_canonical(name): i for i, name in enumerate(manifest.columns)}
    wanted = {name: positions[name] for name in _WANTED if name in positions}
    width = len(manifest.columns)
    reader = csv.reader(_lines(_gunzip(store, info, read_size), uri), strict=True)
    row_number = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InventoryError(
                f"inventory data file {uri}: row {row_number + 1} is not valid CSV"
            ) from exc
        row_number += 1
        if row_number <= skip or not fields:
            continue
        if len(fields) != width:
            raise InventoryError(
                f"inventory data file {uri}: row {row_number} has {len(fields)} fields, "
                f"fileSchema names {width}"
            )
        try:
            record = {name: _csv_value(name, fields[i]) for name, i in wanted.items()}
        except ValueError as exc:
            raise InventoryError(f"inventory data file {uri}: row {row_number}: {exc}") from exc
        yield row_number, record


def _csv_value(name: str, text: str) -> Any:
    """Convert one CSV field; keys are URL-encoded in CSV reports.

    :raises ValueError: a size, flag or date that does not parse (names the column).
    """
    if name == _KEY:
        return unquote_plus(text)
    if name in (_LATEST, _DELETE):
        folded = text.strip().lower()
        if folded in ("true", "false"):
            return folded == "true"
        if not folded:
            return None
        raise ValueError(f"column {name} must be true or false")
    if name == _SIZE:
        if not text.strip():
            return None
        try:
            return int(text)
        except ValueError:
            raise ValueError("column Size must be an integer") from None
    if name == _MODIFIED:
        if not text.strip():
            return None
        try:
            stamp = datetime.fromisoformat(text.strip())
        except ValueError:
            raise ValueError("column LastModifiedDate must be an ISO 8601 date") from None
        return stamp.astimezone(UTC) if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return text


# -- Parquet ----------------------------------------------------------------------------


class _RangeFile(io.RawIOBase):
    """A read-only, seekable file over an object's byte ranges (for pyarrow)."""

    def __init__(self, store: ObjectStore, info: ObjectInfo) -> None:
        super().__init__()
        self._store = store
        self._info = info
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._info.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        end = min(self._info.size, self._pos + len(view))
        if end <= self._pos:
            return 0
        data = self._store.read_range(self._info, self._pos, end)
        view[: len(data)] = data
        self._pos += len(data)
        return len(data)


def _parquet_source(store: ObjectStore, info: ObjectInfo, read_size: int) -> Any:
    """A pyarrow-readable source: the whole file when small, a range-backed file otherwise."""
    if info.size <= PARQUET_WHOLE_FILE_LIMIT:
        data = bytearray()
        while len(data) < info.size:
            piece = store.read_range(info, len(data), min(info.size, len(data) + read_size))
            if not piece:
                raise InventoryError(f"inventory data file {info.ref.uri} ended early")
            data += piece
        return pa.BufferReader(pa.py_buffer(data))
    return io.BufferedReader(_RangeFile(store, info), buffer_size=_PARQUET_BUFFER)


def _parquet_records(
    store: ObjectStore, info: ObjectInfo, skip: int, read_size: int
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(row number after it, canonical record)`` for the rows after ``skip``."""
    uri = info.ref.uri
    try:
        parquet = pq.ParquetFile(_parquet_source(store, info, read_size))
        names = {_canonical(name): name for name in parquet.schema_arrow.names}
    except (pa.ArrowException, OSError) as exc:
        raise InventoryError(f"inventory data file {uri} is not valid Parquet") from exc
    if _KEY not in names:
        raise InventoryError(f"inventory data file {uri} has no key column")
    wanted = {name: names[name] for name in _WANTED if name in names}
    columns = list(wanted.values())
    row_number = 0
    for group in range(parquet.metadata.num_row_groups):
        rows = parquet.metadata.row_group(group).num_rows
        if row_number + rows <= skip:
            row_number += rows
            continue
        try:
            table = parquet.read_row_group(group, columns=columns)
        except (pa.ArrowException, OSError) as exc:
            raise InventoryError(
                f"inventory data file {uri}: row group {group} cannot be decoded"
            ) from exc
        offset = max(0, skip - row_number)
        row_number += offset
        for batch in table.slice(offset).to_batches(max_chunksize=_PARQUET_BATCH):
            values = batch.to_pydict()
            for i in range(batch.num_rows):
                row_number += 1
                record = {name: values[column][i] for name, column in wanted.items()}
                yield row_number, _parquet_record(record, uri, row_number)
        del table


def _parquet_record(record: dict[str, Any], uri: str, row_number: int) -> dict[str, Any]:
    """Normalise one Parquet row's values to the types :func:`_object_info` expects."""
    if not isinstance(record.get(_KEY), str):
        raise InventoryError(f"inventory data file {uri}: row {row_number} has no key")
    modified = record.get(_MODIFIED)
    if isinstance(modified, int):
        record[_MODIFIED] = datetime.fromtimestamp(modified / 1000, tz=UTC)
    elif isinstance(modified, datetime):
        aware = modified.tzinfo is not None
        record[_MODIFIED] = modified.astimezone(UTC) if aware else modified.replace(tzinfo=UTC)
    elif modified is not None:
        record[_MODIFIED] = None
    size = record.get(_SIZE)
    if size is not None and not isinstance(size, int):
        raise InventoryError(f"inventory data file {uri}: row {row_number} has a bad size")
    return record
