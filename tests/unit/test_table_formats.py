from __future__ import annotations

import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from models import ObjectRef
from models.datasets import SchemaColumn
from tests.support.dataset_lake import delta_commit, iceberg_metadata, write_lake
from tests.support.fakes import InMemoryObjectStore
from worker.core.datasets.grouping import group
from worker.core.datasets.table_formats import (
    read_delta_log,
    read_iceberg_metadata,
    read_table_metadata,
)
from worker.core.errors import TableMetadataError

SCHEMA = json.dumps(
    {
        "type": "struct",
        "fields": [
            {"name": "id", "type": "long", "nullable": False, "metadata": {}},
            {"name": "dt", "type": "string", "nullable": True, "metadata": {}},
        ],
    }
)
META = {"metaData": {"id": "x", "schemaString": SCHEMA, "partitionColumns": ["dt"]}}
LOG = "s3://b/t/_delta_log/"


def add(path: str) -> dict[str, Any]:
    return {"add": {"path": path, "partitionValues": {}, "size": 1, "dataChange": True}}


def remove(path: str) -> dict[str, Any]:
    return {"remove": {"path": path, "dataChange": True}}


@pytest.fixture(scope="module")
def lake() -> InMemoryObjectStore:
    store = InMemoryObjectStore()
    write_lake(store)
    return store


def test_delta_log_of_the_generated_lake(lake: InMemoryObjectStore) -> None:
    meta = read_delta_log(lake, "s3://lake/delta/transactions/")
    assert meta.format == "delta"
    assert meta.columns == (
        SchemaColumn("id", "long", False),
        SchemaColumn("amount", "decimal(12,2)", True),
        SchemaColumn("tags", "array<string>", True),
        SchemaColumn("date", "string", True),
    )
    assert meta.partition_columns == ("date",)
    # 120 files added over three commits; a fourth replaces the 4 files of one day by 1.
    assert (meta.live_files, meta.version) == (117, 3)
    accounts = read_delta_log(lake, ObjectRef("s3://lake/delta/accounts"))
    assert (accounts.partition_columns, accounts.live_files) == (("Region",), 60)
    ledger = read_delta_log(lake, "s3://lake/delta/ledger/")
    assert (ledger.partition_columns, ledger.live_files, ledger.version) == ((), 50, 1)


def test_iceberg_metadata_of_the_generated_lake(lake: InMemoryObjectStore) -> None:
    inventory = read_iceberg_metadata(lake, "s3://lake/iceberg/inventory/")
    assert inventory.format == "iceberg"
    assert inventory.version == 2  # version-hint.text
    assert [c.name for c in inventory.columns] == ["sku", "category", "dims", "note"]
    assert inventory.columns[0] == SchemaColumn("sku", "string", False)
    assert inventory.columns[2].data_type == "struct<w:double>"
    assert (inventory.partition_columns, inventory.live_files) == (("category",), 80)
    prices = read_iceberg_metadata(lake, "s3://lake/iceberg/prices/")
    # No hint: the highest numbered 0000N-<uuid>.metadata.json.
    assert (prices.version, prices.partition_columns, prices.live_files) == (1, (), 45)


def _checkpoint(rows: list[dict[str, Any]]) -> bytes:
    add_type = pa.struct([("path", pa.string()), ("size", pa.int64())])
    meta_type = pa.struct(
        [("id", pa.string()), ("schemaString", pa.string()),
         ("partitionColumns", pa.list_(pa.string()))]
    )  # fmt: skip
    table = pa.table(
        {
            "add": pa.array([r.get("add") for r in rows], type=add_type),
            "metaData": pa.array([r.get("metaData") for r in rows], type=meta_type),
        }
    )
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def test_delta_log_starts_from_its_checkpoint() -> None:
    store = InMemoryObjectStore()
    rows: list[dict[str, Any]] = [
        {"metaData": {"id": "x", "schemaString": SCHEMA, "partitionColumns": ["dt"]}},
        *({"add": {"path": f"f{i}.parquet", "size": 1}} for i in range(10)),
    ]
    store.put(f"{LOG}00000000000000000010.checkpoint.parquet", _checkpoint(rows))
    store.put(f"{LOG}_last_checkpoint", b'{"version": 10, "size": 11}')
    # Commits up to 10 were cleaned up: reading them would fail the gap check.
    store.put(
        f"{LOG}00000000000000000011.json", delta_commit([add("g.parquet"), remove("f0.parquet")])
    )
    store.put(f"{LOG}00000000000000000012.json", delta_commit([remove("f1.parquet")]))
    meta = read_delta_log(store, "s3://b/t/")
    assert (meta.live_files, meta.version, meta.partition_columns) == (9, 12, ("dt",))
    assert [c.name for c in meta.columns] == ["id", "dt"]


def test_multi_part_checkpoint() -> None:
    store = InMemoryObjectStore()
    one = _checkpoint([{"metaData": {"id": "x", "schemaString": SCHEMA, "partitionColumns": []}}])
    two = _checkpoint([{"add": {"path": "a", "size": 1}}, {"add": {"path": "b", "size": 1}}])
    store.put(f"{LOG}00000000000000000003.checkpoint.0000000001.0000000002.parquet", one)
    store.put(f"{LOG}00000000000000000003.checkpoint.0000000002.0000000002.parquet", two)
    meta = read_delta_log(store, "s3://b/t/")
    assert (meta.live_files, meta.version) == (2, 3)


def _log(commits: dict[int, bytes]) -> InMemoryObjectStore:
    store = InMemoryObjectStore({"s3://b/t/data.parquet": b"x"})
    for version, data in commits.items():
        store.put(f"{LOG}{version:020d}.json", data)
    return store


@pytest.mark.parametrize(
    ("store", "message"),
    [
        (_log({}), "holds no Delta commit"),
        (_log({0: delta_commit([META]), 2: delta_commit([])}), "version 1 is missing"),
        (_log({0: b'{"metaData": {}}\n{not json\n'}), "00000000000000000000.json: line 2"),
        (_log({0: delta_commit([add("a")])}), "no metaData action"),
        (_log({0: delta_commit([{"metaData": {"schemaString": "{"}}])}), "not valid JSON"),
        (_log({0: b"\xff\xfe"}), "not UTF-8"),
    ],
)
def test_delta_log_errors(store: InMemoryObjectStore, message: str) -> None:
    with pytest.raises(TableMetadataError, match=message):
        read_delta_log(store, "s3://b/t/")


def test_a_missing_checkpoint_named_by_last_checkpoint() -> None:
    store = _log({0: delta_commit([META])})
    store.put(f"{LOG}_last_checkpoint", b'{"version": 7}')
    with pytest.raises(TableMetadataError, match="names version 7"):
        read_delta_log(store, "s3://b/t/")


def test_reads_are_capped() -> None:
    store = _log({0: delta_commit([META, *(add(f"p{i}") for i in range(100))])})
    before = store.requests
    with pytest.raises(TableMetadataError, match="over the 1,000-byte cap"):
        read_delta_log(store, "s3://b/t/", max_bytes=1_000)
    assert store.requests == before  # refused before any byte was read


def _iceberg(files: dict[str, bytes]) -> InMemoryObjectStore:
    return InMemoryObjectStore({f"s3://b/i/metadata/{k}": v for k, v in files.items()})


@pytest.mark.parametrize(
    ("store", "message"),
    [
        (_iceberg({"snap-1.avro": b"x"}), "no \\*.metadata.json"),
        (_iceberg({"v1.metadata.json": b"{oops"}), "v1.metadata.json is not valid JSON"),
        (_iceberg({"v1.metadata.json": b"[]"}), "not a JSON object"),
        (_iceberg({"v1.metadata.json": b'{"format-version": 2}'}), "no current schema"),
    ],
)
def test_iceberg_errors(store: InMemoryObjectStore, message: str) -> None:
    with pytest.raises(TableMetadataError, match=message):
        read_iceberg_metadata(store, "s3://b/i/")


def test_iceberg_v1_metadata_and_highest_version() -> None:
    v1 = {
        "format-version": 1,
        "schema": {"type": "struct", "fields": [{"id": 1, "name": "a", "required": False,
                   "type": {"type": "list", "element": "int"}}]},
        "partition-spec": [{"name": "a_bucket", "transform": "bucket[4]", "source-id": 1}],
    }  # fmt: skip
    newer = iceberg_metadata("s3://b/i", "region", [3, 7], 1)
    store = _iceberg({"v1.metadata.json": json.dumps(v1).encode(), "v3.metadata.json": newer})
    meta = read_iceberg_metadata(store, "s3://b/i/")
    assert (meta.version, meta.live_files, meta.partition_columns) == (3, 7, ("region",))
    old = _iceberg({"v1.metadata.json": json.dumps(v1).encode()})
    meta = read_iceberg_metadata(old, "s3://b/i/")
    assert meta.columns == (SchemaColumn("a", "list<int>", True),)
    assert (meta.partition_columns, meta.live_files) == (("a_bucket",), 0)


def test_read_table_metadata_of_grouped_tables(lake: InMemoryObjectStore) -> None:
    listing = (i for i in lake.list_objects("s3://lake/") if "/iceberg/" in i.ref.uri or
               i.ref.uri.startswith(("s3://lake/delta/", "s3://lake/manifest")))  # fmt: skip
    found = {s.ref.root: read_table_metadata(lake, s) for s in group(listing)}
    assert set(found) == {
        "delta/accounts/",
        "delta/ledger/",
        "delta/transactions/",
        "iceberg/inventory/",
        "iceberg/prices/",
        "manifest.json",
    }
    assert found["manifest.json"] is None
    live = {root: m.live_files for root, m in found.items() if m is not None}
    assert live == {
        "delta/accounts/": 60,
        "delta/ledger/": 50,
        "delta/transactions/": 117,
        "iceberg/inventory/": 80,
        "iceberg/prices/": 45,
    }
