"""A generated lake of 50 datasets laid out as Spark, Hive, Delta and Iceberg write them.

:func:`spark_lake_keys` lists it (key, size, last modified) in S3 key order; :func:`lake_objects`
adds each object's content; :func:`write_lake` writes it to a directory or to any store with
``put(uri, data)`` (the in-memory fake, an S3 uploader). What each dataset must be is said by
the spec that builds it, not by the grouper: :func:`expected_datasets` derives the expected
list from the spec alone, and ``python -m tests.support.dataset_lake`` writes it to
``tests/fixtures/datasets/expected_datasets.json`` (checked by hand, then committed).

Most datasets hold 40 to 3,000 objects; the lone files are datasets of one by definition.
Data files get tiny valid content (one shared blob per format, so writing stays fast); Delta
commits and Iceberg metadata files are real JSON that :mod:`worker.core.datasets.table_formats`
reads.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Protocol

BUCKET = "lake"
EXPECTED_PATH = (
    Path(__file__).resolve().parents[1] / "fixtures" / "datasets" / "expected_datasets.json"
)
_T0 = datetime(2025, 1, 1, 6, 0, tzinfo=UTC)


class Sink(Protocol):
    """Anything objects can be put into by URI (the in-memory store, an S3 uploader)."""

    def put(self, uri: str, data: bytes) -> None: ...


@dataclass(frozen=True, slots=True)
class LakeObject:
    """One object of the lake; ``content`` ``None``: tiny generic content by format."""

    key: str
    size: int
    modified: datetime
    content: bytes | None = None


@dataclass(slots=True)
class Table:
    """What the spec says a dataset is (the expected list is made of these)."""

    root: str
    rule: str
    partitions: int
    objects: list[LakeObject] = field(default_factory=list)
    live_files: int | None = None
    partition_columns: tuple[str, ...] = ()

    def expected(self) -> dict[str, Any]:
        return {
            "uri": f"s3://{BUCKET}/{self.root}",
            "rule": self.rule,
            "object_count": len(self.objects),
            "partition_count": self.partitions,
        }


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128)))

    def size(self) -> int:
        return self.rng.randint(2_000, 4_000_000)

    def obj(
        self, key: str, day: int = 0, size: int | None = None, content: bytes | None = None
    ) -> LakeObject:
        modified = _T0 + timedelta(days=day, minutes=self.rng.randint(0, 600))
        real = size if size is not None else (len(content) if content is not None else self.size())
        return LakeObject(key, real, modified, content)


def _days(start: datetime, n: int) -> list[datetime]:
    return [start + timedelta(days=i) for i in range(n)]


# --- dataset builders --------------------------------------------------------------------


def _hive(
    g: _Gen,
    root: str,
    partitions: list[str],
    files: int,
    ext: str = "snappy.parquet",
    success: bool = True,
    crc: bool = True,
    rule: str = "hive",
) -> Table:
    t = Table(root, rule, len(partitions))
    job = g.uuid()
    if success:
        t.objects.append(g.obj(f"{root}_SUCCESS", len(partitions), size=0))
    for day, part in enumerate(partitions):
        for i in range(files):
            name = f"part-{i:05d}-{job}.c000.{ext}"
            t.objects.append(g.obj(f"{root}{part}{name}", day))
            if crc:
                t.objects.append(g.obj(f"{root}{part}.{name}.crc", day, size=12))
    return t


def _dated(
    g: _Gen, root: str, partitions: list[str], files: int, pattern: str, rule: str = "date"
) -> Table:
    t = Table(root, rule, len(partitions))
    for day, part in enumerate(partitions):
        for i in range(files):
            t.objects.append(g.obj(f"{root}{part}{pattern.format(i=i)}", day))
    return t


def _spark(
    g: _Gen,
    root: str,
    parts: int,
    crc: bool,
    ext: str = ".c000.snappy.parquet",
    committed: bool = False,
    plain: bool = False,
) -> Table:
    t = Table(root, "spark", 1)
    job = g.uuid()
    t.objects.append(g.obj(f"{root}_SUCCESS", 1, size=0))
    if committed:
        t.objects.append(g.obj(f"{root}_committed_{g.rng.getrandbits(60)}", 1, size=120))
        t.objects.append(g.obj(f"{root}_started_{g.rng.getrandbits(60)}", 1, size=0))
    for i in range(parts):
        name = f"part-{i:05d}" if plain else f"part-{i:05d}-{job}{ext}"
        t.objects.append(g.obj(f"{root}{name}", 1))
        if crc:
            t.objects.append(g.obj(f"{root}.{name}.crc", 1, size=12))
    return t


def _shards(g: _Gen, root: str, names: list[str]) -> Table:
    t = Table(root, "shards", 1)
    t.objects.extend(g.obj(f"{root}{name}", i % 30) for i, name in enumerate(names))
    return t


def _single(g: _Gen, key: str) -> Table:
    return Table(key, "single", 1, [g.obj(key, 3)])


_DELTA_SCHEMA: dict[str, Any] = {
    "type": "struct",
    "fields": [
        {"name": "id", "type": "long", "nullable": False, "metadata": {}},
        {"name": "amount", "type": "decimal(12,2)", "nullable": True, "metadata": {}},
        {"name": "tags", "type": {"type": "array", "elementType": "string",
                                  "containsNull": True}, "nullable": True, "metadata": {}},
    ],
}  # fmt: skip


def delta_commit(actions: list[dict[str, Any]]) -> bytes:
    """A Delta commit file: one JSON action per line."""
    return "".join(json.dumps(a, separators=(",", ":")) + "\n" for a in actions).encode()


def _delta(
    g: _Gen,
    root: str,
    column: str | None,
    values: list[str],
    files: int,
    commits: int,
    crc: bool,
    compact: bool = False,
) -> Table:
    """A Delta table: data files (``column=value/`` folders or at the root) and its log.

    The adds are spread over ``commits`` commits; with ``compact`` one more commit replaces
    the files of the first partition with one file (the old files stay: no VACUUM).
    """
    t = Table(
        root, "delta", len(values) if column else 1, partition_columns=(column,) if column else ()
    )
    job = g.uuid()
    data: list[tuple[LakeObject, dict[str, str]]] = []
    for day, value in enumerate(values if column else [""]):
        folder = f"{column}={value}/" if column else ""
        for i in range(files):
            obj = g.obj(f"{root}{folder}part-{i:05d}-{job}.c000.snappy.parquet", day)
            data.append((obj, {column: value} if column else {}))
    extra: list[dict[str, Any]] = [
        {"name": column, "type": "string", "nullable": True, "metadata": {}}
    ]
    schema = {**_DELTA_SCHEMA, "fields": _DELTA_SCHEMA["fields"] + (extra if column else [])}

    def add(obj: LakeObject, part: dict[str, str]) -> dict[str, Any]:
        return {"add": {"path": obj.key[len(root) :], "partitionValues": part, "size": obj.size,
                        "modificationTime": int(obj.modified.timestamp() * 1000),
                        "dataChange": True}}  # fmt: skip

    log: list[bytes] = []
    per = -(-len(data) // commits)
    for n in range(commits):
        actions: list[dict[str, Any]] = []
        if n == 0:
            actions += [
                {"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}},
                {"metaData": {"id": g.uuid(), "format": {"provider": "parquet", "options": {}},
                              "schemaString": json.dumps(schema),
                              "partitionColumns": [column] if column else [],
                              "configuration": {}, "createdTime": 1735689600000}},
            ]  # fmt: skip
        actions += [add(o, p) for o, p in data[n * per : (n + 1) * per]]
        log.append(delta_commit(actions))
    live = len(data)
    objects = [o for o, _ in data]
    if compact:
        first = [(o, p) for o, p in data if p == data[0][1]]
        merged = g.obj(
            f"{first[0][0].key.rsplit('/', 1)[0]}/part-00000-{g.uuid()}.c000.snappy.parquet", 40
        )
        removes = [{"remove": {"path": o.key[len(root) :], "deletionTimestamp": 1736000000000,
                               "dataChange": False}} for o, _ in first]  # fmt: skip
        log.append(delta_commit([*removes, add(merged, first[0][1])]))
        objects.append(merged)
        live += 1 - len(first)
    for version, content in enumerate(log):
        t.objects.append(g.obj(f"{root}_delta_log/{version:020d}.json", version, content=content))
        if crc:
            t.objects.append(g.obj(f"{root}_delta_log/{version:020d}.crc", version, size=96))
    t.objects.extend(objects)
    t.live_files = live
    return t


def iceberg_metadata(
    location: str, column: str | None, snapshots: list[int], schema_id: int
) -> bytes:
    """An Iceberg v2 ``metadata.json``: schemas 0 and 1 (1 adds ``note``), the partition
    spec (identity on ``column``), one snapshot per entry of ``snapshots`` (total data
    files), the last one current."""
    fields = [
        {"id": 1, "name": "sku", "required": True, "type": "string"},
        {"id": 2, "name": column or "price", "required": False, "type": "string"},
        {"id": 3, "name": "dims", "required": False,
         "type": {"type": "struct", "fields": [
             {"id": 5, "name": "w", "required": False, "type": "double"}]}},
    ]  # fmt: skip
    schemas = [
        {"type": "struct", "schema-id": 0, "fields": fields},
        {"type": "struct", "schema-id": 1,
         "fields": [*fields, {"id": 4, "name": "note", "required": False, "type": "string"}]},
    ]  # fmt: skip
    spec_fields = (
        [{"name": column, "transform": "identity", "source-id": 2, "field-id": 1000}]
        if column
        else []
    )
    meta = {
        "format-version": 2,
        "table-uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1",
        "location": location,
        "last-sequence-number": len(snapshots),
        "last-updated-ms": 1736000000000,
        "last-column-id": 5,
        "current-schema-id": schema_id,
        "schemas": schemas[: schema_id + 1],
        "default-spec-id": 0,
        "partition-specs": [{"spec-id": 0, "fields": spec_fields}],
        "last-partition-id": 1000,
        "default-sort-order-id": 0,
        "sort-orders": [{"order-id": 0, "fields": []}],
        "properties": {},
        "current-snapshot-id": len(snapshots) if snapshots else -1,
        "snapshots": [
            {
                "snapshot-id": n + 1,
                "sequence-number": n + 1,
                "timestamp-ms": 1736000000000 + n,
                "summary": {"operation": "append", "total-data-files": str(total)},
                "manifest-list": f"{location}/metadata/snap-{n + 1}.avro",
                "schema-id": schema_id,
            }
            for n, total in enumerate(snapshots)
        ],  # fmt: skip
    }
    return json.dumps(meta, indent=2).encode()


def _iceberg(
    g: _Gen, root: str, column: str | None, values: list[str], files: int, hadoop: bool
) -> Table:
    """An Iceberg table: ``data/`` (``column=value/`` folders or flat) and ``metadata/``.

    ``hadoop``: ``v1.metadata.json``, ``v2.metadata.json`` and ``version-hint.text``;
    otherwise ``00000-<uuid>.metadata.json`` and ``00001-<uuid>.metadata.json``.
    """
    t = Table(
        root, "iceberg", len(values) if column else 1, partition_columns=(column,) if column else ()
    )
    for day, value in enumerate(values if column else [""]):
        folder = f"data/{column}={value}/" if column else "data/"
        for i in range(files):
            t.objects.append(g.obj(f"{root}{folder}{i:05d}-0-{g.uuid()}-00001.parquet", day))
    total = len(t.objects)
    location = f"s3://{BUCKET}/{root.rstrip('/')}"
    first = iceberg_metadata(location, column, [total // 2], 0)
    second = iceberg_metadata(location, column, [total // 2, total], 1)
    names = (
        ["v1.metadata.json", "v2.metadata.json"]
        if hadoop
        else [f"00000-{g.uuid()}.metadata.json", f"00001-{g.uuid()}.metadata.json"]
    )
    meta = f"{root}metadata/"
    t.objects.append(g.obj(meta + names[0], 10, content=first))
    t.objects.append(g.obj(meta + names[1], 20, content=second))
    for n in (1, 2):
        t.objects.append(g.obj(f"{meta}snap-{n}-1-{g.uuid()}.avro", 10 * n, size=4_000))
        t.objects.append(g.obj(f"{meta}{g.uuid()}-m0.avro", 10 * n, size=7_000))
    if hadoop:
        t.objects.append(g.obj(f"{meta}version-hint.text", 20, content=b"2"))
    t.live_files = total
    return t


# --- the lake ----------------------------------------------------------------------------


def _dt(days: list[datetime], fmt: str) -> list[str]:
    return [d.strftime(fmt) for d in days]


def lake_tables(seed: int = 0) -> list[Table]:
    """The 50 datasets of the lake, each as its spec says it must be grouped."""
    g = _Gen(seed)
    jan = datetime(2025, 1, 1)
    dec = datetime(2024, 12, 1)
    builders: list[Callable[[], Table]] = [
        # Hive partitions (Spark output under them: part files, .crc, _SUCCESS at the root).
        lambda: _hive(g, "exports/orders/", _dt(_days(jan, 90), "dt=%Y-%m-%d/"), 2),
        lambda: _hive(
            g,
            "exports/customers/",
            [f"country={c}/" for c in "AR BR CA DE ES FR GB IN IT JP MX US".split()],
            4,
            crc=False,
        ),  # fmt: skip
        lambda: _hive(g, "exports/orders_big/", _dt(_days(jan, 25), "dt=%Y-%m-%d/"), 59),
        lambda: _hive(
            g,
            "exports/invoices/",
            _dt(_days(jan, 45), "dt=%Y-%m-%d/"),
            2,
            ext="csv.gz",
            success=False,
            crc=False,
        ),  # fmt: skip
        lambda: _hive(g, "exports/payments/", _dt(_days(jan, 30), "dt=%Y-%m-%d/"), 1),
        lambda: _hive(g, "exports/refunds/", _dt(_days(jan, 20), "dt=%Y-%m-%d/"), 2, crc=False),
        lambda: _hive(
            g, "warehouse/events/", _dt(_days(dec, 90), "year=%Y/month=%m/day=%d/"), 3, crc=False
        ),  # fmt: skip
        lambda: _hive(
            g,
            "warehouse/clicks/",
            [
                f"region={r}/{d}"
                for r in ("apac", "eu", "us")
                for d in _dt(_days(jan, 20), "dt=%Y-%m-%d/")
            ],
            5,
            ext="json.gz",
            success=False,
            crc=False,
        ),  # fmt: skip
        lambda: _hive(
            g,
            "warehouse/sessions/",
            [f"{d}hour={h:02d}/" for d in _dt(_days(jan, 100), "dt=%Y-%m-%d/") for h in range(24)],
            1,
            crc=False,
        ),  # fmt: skip
        lambda: _hive(
            g,
            "warehouse/inventory_snapshots/",
            _dt(_days(jan, 50), "snapshot_date=%Y-%m-%d/"),
            10,
            success=False,
            crc=False,
        ),  # fmt: skip
        lambda: _hive(
            g,
            "ml/features/",
            [
                f"model={m}/version={v}/"
                for m in ("churn", "fraud", "ltv", "nps", "upsell")
                for v in (2, 3)
            ],
            4,
            success=False,
            crc=False,
        ),  # fmt: skip
        lambda: _hive(
            g,
            "ml/training_sets/",
            ["split=test/", "split=train/", "split=val/"],
            15,
            ext="csv",
            success=False,
            crc=False,
        ),  # fmt: skip
        lambda: _hive(
            g,
            "raw/clickstream/",
            [f"{d}hour={h:02d}/" for d in _dt(_days(jan, 10), "dt=%Y-%m-%d/") for h in range(24)],
            2,
            ext="jsonl",
            success=False,
            crc=False,
        ),  # fmt: skip
        lambda: _dated(
            g,
            "raw/iot/",
            [
                f"device_type={t}/{d}"
                for t in ("meter", "valve")
                for d in _dt(_days(jan, 15), "%Y/%m/%d/")
            ],
            3,
            "reading-{i:03d}.json",
            rule="hive",
        ),  # fmt: skip
        # Date paths: year/month/day, dashed, compact, hourly, monthly.
        lambda: _dated(g, "logs/app/", _dt(_days(jan, 59), "%Y/%m/%d/"), 4, "app-{i}.json.gz"),
        lambda: _dated(g, "logs/web/", _dt(_days(jan, 45), "%Y-%m-%d/"), 3, "access_{i}.csv.gz"),
        lambda: _dated(g, "raw/sensor/", _dt(_days(jan, 40), "%Y%m%d/"), 2, "s{i}.parquet"),
        lambda: _dated(
            g,
            "logs/hourly/",
            [f"{d}{h:02d}/" for d in _dt(_days(jan, 3), "%Y/%m/%d/") for h in range(24)],
            1,
            "events.jsonl.zst",
        ),  # fmt: skip
        lambda: _dated(
            g, "logs/audit/", [f"2024/{m:02d}/" for m in range(1, 13)], 10, "audit-{i:02d}.jsonl"
        ),  # fmt: skip
        lambda: _dated(g, "backups/daily/", _dt(_days(jan, 40), "%Y-%m-%d/"), 1, "dump.sql.gz"),
        lambda: _dated(g, "logs/cdn/", _dt(_days(jan, 59), "%Y/%m/%d/"), 20, "edge-{i:02d}.log.gz"),
        lambda: _spark_per_partition(g, "spark/agg_hourly/", _dt(_days(jan, 40), "%Y-%m-%d/")),
        # Spark/Hadoop output folders.
        lambda: _spark(g, "spark/daily_totals/", 200, crc=True),
        lambda: _spark(g, "spark/sessions/", 120, crc=False, committed=True),
        lambda: _spark(g, "spark/big_join/", 1499, crc=True),
        lambda: _spark(g, "spark/csv_out/", 60, crc=False, ext="-c000.csv"),
        lambda: _spark(g, "spark/text_out/", 50, crc=False, plain=True),
        lambda: _spark(g, "spark/wide_table/", 300, crc=True),
        lambda: _spark_leftovers(g, "spark/partial_run/", 60),
        # Numbered shards in a plain folder.
        lambda: _shards(g, "shards/products/", [f"data_{i:04d}.csv" for i in range(1, 41)]),
        lambda: _shards(
            g, "shards/reviews/", [f"reviews-{i:05d}-of-00100.json" for i in range(1, 101)]
        ),
        lambda: _shards(
            g,
            "shards/images_meta/",
            [f"part-{i:05d}-{g.uuid()}.c000.snappy.parquet" for i in range(80)],
        ),  # fmt: skip
        lambda: _shards(g, "exports/snapshots/", _dt(_days(jan, 60), "snapshot_%Y-%m-%d.csv.gz")),
        lambda: _shards(g, "shards/logs_tsv/", [f"chunk{i:04d}.tsv" for i in range(1, 501)]),
        lambda: _shards(
            g, "shards/customers_export/", [f"customers_{i:03d}.csv.gz" for i in range(100)]
        ),
        lambda: _shards(g, "shards/web_pages/", [f"page-{i:04d}.html" for i in range(40)]),
        lambda: _shards(g, "exports/daily_kpis/", _dt(_days(jan, 45), "kpis_%Y%m%d.json")),
        # Delta Lake tables: partitioned (lower and upper case column), unpartitioned.
        lambda: _delta(
            g,
            "delta/transactions/",
            "date",
            _dt(_days(jan, 30), "%Y-%m-%d"),
            4,
            commits=3,
            crc=True,
            compact=True,
        ),  # fmt: skip
        lambda: _delta(
            g, "delta/accounts/", "Region", ["AMER", "APAC", "EU"], 20, commits=1, crc=True
        ),  # fmt: skip
        lambda: _delta(g, "delta/ledger/", None, [], 50, commits=2, crc=False),
        # Iceberg tables: partitioned (Hadoop catalog names), unpartitioned.
        lambda: _iceberg(g, "iceberg/inventory/", "category", list("abcdefghij"), 8, hadoop=True),
        lambda: _iceberg(g, "iceberg/prices/", None, [], 45, hadoop=False),
        # Lone files, alone or beside unrelated siblings.
        lambda: _single(g, "reference/countries.csv"),
        lambda: _single(g, "reference/currencies.csv"),
        lambda: _single(g, "reference/holidays.parquet"),
        lambda: _single(g, "reference/languages.json"),
        lambda: _single(g, "manifest.json"),
        lambda: _single(g, "exports/orders_summary.csv"),
        lambda: _single(g, "docs/data_dictionary.xlsx"),
        lambda: _single(g, "docs/lineage.pdf"),
    ]
    return [build() for build in builders]


def _spark_per_partition(g: _Gen, root: str, partitions: list[str]) -> Table:
    """Date folders, each a Spark output (one part file and its own ``_SUCCESS``)."""
    t = Table(root, "date", len(partitions))
    for day, part in enumerate(partitions):
        t.objects.append(g.obj(f"{root}{part}_SUCCESS", day, size=0))
        t.objects.append(g.obj(f"{root}{part}part-00000-{g.uuid()}.c000.snappy.parquet", day))
    return t


def _spark_leftovers(g: _Gen, root: str, parts: int) -> Table:
    """A Spark output folder whose ``_temporary/`` attempt files were left behind."""
    t = _spark(g, root, parts, crc=False)
    attempt = f"{root}_temporary/0/_temporary/attempt_202501020000_0001_m_000000_0/"
    t.objects.extend(g.obj(f"{attempt}part-{i:05d}.snappy.parquet", 1) for i in range(5))
    return t


def lake_objects(seed: int = 0) -> list[LakeObject]:
    """Every object of the lake, in S3 key order."""
    return sorted((o for t in lake_tables(seed) for o in t.objects), key=lambda o: o.key)


def spark_lake_keys(seed: int = 0) -> list[tuple[str, int, datetime]]:
    """The lake's listing: (key, size, last modified) in S3 key order."""
    return [(o.key, o.size, o.modified) for o in lake_objects(seed)]


def expected_datasets(seed: int = 0) -> list[dict[str, Any]]:
    """What grouping must find, from the spec alone, sorted by URI."""
    return sorted((t.expected() for t in lake_tables(seed)), key=lambda d: d["uri"])


def write_expected(path: Path = EXPECTED_PATH) -> None:
    """Write the expected list (then check it by hand before committing it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(expected_datasets(), indent=1) + "\n")


# --- content -----------------------------------------------------------------------------

_CSV = b"id,name,amount\n1,alpha,3.5\n2,beta,4.25\n"
_JSON = b'{"id": 1, "name": "alpha"}\n{"id": 2, "name": "beta"}\n'


@cache
def _parquet() -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.table({"id": [1, 2], "name": ["alpha", "beta"]}), sink)
    return sink.getvalue()


def content_of(obj: LakeObject) -> bytes:
    """The object's bytes: its own content, or a tiny valid file of its format."""
    if obj.content is not None:
        return obj.content
    name = obj.key.rsplit("/", 1)[-1]
    if obj.size == 0 or name.startswith("_") or name.endswith((".crc", ".avro")):
        return b"\x00" * min(obj.size, 16)
    plain = name.removesuffix(".gz").removesuffix(".zst")
    if plain.endswith(".parquet"):
        return _parquet()
    body = _JSON if plain.endswith((".json", ".jsonl")) else _CSV
    return gzip.compress(body, mtime=0) if name.endswith(".gz") else body


def write_lake(target: Path | Sink, seed: int = 0, bucket: str = BUCKET) -> int:
    """Write the lake to a directory (``target/key``) or a sink (``s3://bucket/key``).

    :returns: the number of objects written.
    """
    objects = lake_objects(seed)
    for obj in objects:
        data = content_of(obj)
        if isinstance(target, Path):
            path = target / obj.key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        else:
            target.put(f"s3://{bucket}/{obj.key}", data)
    return len(objects)


if __name__ == "__main__":
    write_expected()
    print(f"wrote {EXPECTED_PATH}")
