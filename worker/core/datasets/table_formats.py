"""Read what a Delta Lake log or Iceberg metadata declares: schema, partitions, live files.

Only through the :class:`~worker.core.ports.ObjectStore` port passed in; JSON directly (no
Delta or Iceberg library). A Delta log is replayed from its newest parquet checkpoint (read
with pyarrow, single- or multi-part) or from the first commit, then every JSON commit after
it: ``add`` minus ``remove`` gives the live files, the last ``metaData`` the schema and the
partition columns. For Iceberg, the newest ``metadata/*.metadata.json`` (the one
``version-hint.text`` names, else the highest version) gives the current schema, the default
partition spec and the current snapshot's ``total-data-files``.

Every file read is capped (``max_bytes``, 16 MiB by default). Messages name files and
versions, never a value of the table.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from models import ObjectInfo, ObjectRef
from models.datasets import DatasetSummary, GroupingRule, SchemaColumn
from worker.core.errors import ObjectChanged, ObjectVanished, TableMetadataError
from worker.core.ports import ObjectStore

__all__ = [
    "MAX_METADATA_BYTES",
    "TableMetadata",
    "read_delta_log",
    "read_iceberg_metadata",
    "read_table_metadata",
]

#: The most bytes read from one log, checkpoint or metadata file.
MAX_METADATA_BYTES = 16 * 1024 * 1024

_COMMIT = re.compile(r"^(\d{20})\.json$")
_CHECKPOINT = re.compile(r"^(\d{20})\.checkpoint(?:\.(\d{10})\.(\d{10}))?\.parquet$")
_ICEBERG_VERSION = re.compile(r"^(?:v(\d+)|(\d+)-[^/]*)\.metadata\.json$")


@dataclass(frozen=True, slots=True)
class TableMetadata:
    """What a table format declares about a table.

    :param format: ``"delta"`` or ``"iceberg"``.
    :param partition_columns: Delta partition columns; Iceberg partition field names
        (``ts_day``), outermost first.
    :param live_files: data files in the current version, ``None`` when not recorded.
    :param version: the Delta log version or the Iceberg metadata version read.
    """

    format: str
    columns: tuple[SchemaColumn, ...]
    partition_columns: tuple[str, ...]
    live_files: int | None
    version: int | None = None


def _folder(root: ObjectRef | str) -> str:
    uri = root.uri if isinstance(root, ObjectRef) else root
    return uri if uri.endswith("/") else uri + "/"


def _children(store: ObjectStore, folder: str) -> dict[str, ObjectInfo]:
    """The objects right in ``folder`` (not deeper), by file name."""
    found: dict[str, ObjectInfo] = {}
    for info in store.list_objects(folder):
        rest = info.ref.uri[len(folder) :]
        if info.ref.uri.startswith(folder) and rest and "/" not in rest:
            found[rest] = info
    return found


def _read(store: ObjectStore, info: ObjectInfo, max_bytes: int) -> bytes:
    """The whole object, refused over ``max_bytes``.

    :raises TableMetadataError: too large, or gone or changed while being read.
    """
    if info.size > max_bytes:
        raise TableMetadataError(
            f"{info.ref.name} is {info.size:,} bytes, over the {max_bytes:,}-byte cap for "
            "table metadata"
        )
    try:
        return store.read_range(info, 0, info.size) if info.size else b""
    except (ObjectVanished, ObjectChanged) as exc:
        raise TableMetadataError(f"{info.ref.name} changed while being read") from exc


def _json(data: bytes, name: str) -> Any:
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TableMetadataError(f"{name} is not valid JSON") from exc


# --- Delta ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _TypeSpelling:
    """How a table format spells its nested types in JSON (Delta and Iceberg differ)."""

    sequence: str  # the list type's name: "array" (Delta), "list" (Iceberg)
    element: str
    key: str
    value: str

    def render(self, spec: Any) -> str:
        """A readable type: ``long``, ``struct<a:int,b:string>``, ``map<string,long>``."""
        if isinstance(spec, str):
            return spec
        if not isinstance(spec, dict):
            return "unknown"
        kind = spec.get("type")
        if kind == "struct":
            fields = spec.get("fields") or []
            inner = ",".join(f"{f.get('name')}:{self.render(f.get('type'))}" for f in fields)
            return f"struct<{inner}>"
        if kind == self.sequence:
            return f"{self.sequence}<{self.render(spec.get(self.element))}>"
        if kind == "map":
            return f"map<{self.render(spec.get(self.key))},{self.render(spec.get(self.value))}>"
        return str(kind)


_DELTA_TYPES = _TypeSpelling("array", "elementType", "keyType", "valueType")
_ICEBERG_TYPES = _TypeSpelling("list", "element", "key", "value")


def _delta_columns(schema_string: Any, where: str) -> tuple[SchemaColumn, ...]:
    if not isinstance(schema_string, str):
        raise TableMetadataError(f"{where}: metaData has no schemaString")
    try:
        schema = json.loads(schema_string)
    except json.JSONDecodeError as exc:
        raise TableMetadataError(f"{where}: metaData.schemaString is not valid JSON") from exc
    fields = schema.get("fields") if isinstance(schema, dict) else None
    if not isinstance(fields, list):
        raise TableMetadataError(f"{where}: metaData.schemaString has no fields")
    return tuple(
        SchemaColumn(
            str(f.get("name")), _DELTA_TYPES.render(f.get("type")), bool(f.get("nullable", True))
        )
        for f in fields
        if isinstance(f, dict)
    )


@dataclass(slots=True)
class _DeltaState:
    live: set[str]
    meta: dict[str, Any] | None = None
    meta_where: str = ""


def _apply_checkpoint(
    store: ObjectStore, parts: list[ObjectInfo], state: _DeltaState, max_bytes: int
) -> None:
    import pyarrow as pa  # imported here: only a checkpointed log needs it
    import pyarrow.parquet as pq

    for info in parts:
        data = _read(store, info, max_bytes)
        try:
            pf = pq.ParquetFile(pa.BufferReader(data))
            wanted = [c for c in ("add", "metaData") if c in pf.schema_arrow.names]
            table = pf.read(columns=wanted)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise TableMetadataError(f"{info.ref.name} is not a readable checkpoint") from exc
        if "add" in wanted:
            for add in table.column("add").to_pylist():
                if isinstance(add, dict) and add.get("path") is not None:
                    state.live.add(str(add["path"]))
        if "metaData" in wanted:
            for meta in table.column("metaData").to_pylist():
                if isinstance(meta, dict) and meta.get("schemaString") is not None:
                    state.meta, state.meta_where = meta, info.ref.name


def _apply_commit(data: bytes, name: str, state: _DeltaState) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TableMetadataError(f"{name} is not UTF-8") from exc
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            action = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TableMetadataError(f"{name}: line {number} is not valid JSON") from exc
        if not isinstance(action, dict):
            raise TableMetadataError(f"{name}: line {number} is not an action object")
        if isinstance(action.get("add"), dict) and "path" in action["add"]:
            state.live.add(str(action["add"]["path"]))
        elif isinstance(action.get("remove"), dict) and "path" in action["remove"]:
            state.live.discard(str(action["remove"]["path"]))
        elif isinstance(action.get("metaData"), dict):
            state.meta, state.meta_where = action["metaData"], name


def read_delta_log(
    store: ObjectStore, root: ObjectRef | str, max_bytes: int = MAX_METADATA_BYTES
) -> TableMetadata:
    """Replay the Delta log of the table at ``root`` (``s3://bucket/table/``).

    Side effects: lists ``_delta_log/`` and reads the checkpoint and commit files needed.

    :raises TableMetadataError: no commits, a gap in the versions, a file over
        ``max_bytes``, malformed JSON or checkpoint, no ``metaData`` action.
    :raises RunError: the log cannot be listed.
    """
    folder = _folder(root) + "_delta_log/"
    files = _children(store, folder)
    commits: dict[int, ObjectInfo] = {}
    checkpoints: dict[int, dict[int, ObjectInfo]] = {}
    for name, info in files.items():
        if m := _COMMIT.match(name):
            commits[int(m.group(1))] = info
        elif m := _CHECKPOINT.match(name):
            part = int(m.group(2)) if m.group(2) else 1
            checkpoints.setdefault(int(m.group(1)), {})[part] = info
    start = -1
    state = _DeltaState(set())
    chosen = _checkpoint_version(store, files, checkpoints, max_bytes)
    if chosen is not None:
        version, parts = chosen
        _apply_checkpoint(store, parts, state, max_bytes)
        start = version
    later = sorted(v for v in commits if v > start)
    if start < 0 and not later:
        raise TableMetadataError(f"{folder} holds no Delta commit (*.json) nor checkpoint")
    expected = start + 1
    for version in later:
        if version != expected:
            raise TableMetadataError(
                f"{folder}: version {expected} is missing (next is {version}) and no "
                "checkpoint covers it"
            )
        name = f"{version:020d}.json"
        _apply_commit(_read(store, commits[version], max_bytes), name, state)
        expected += 1
    if state.meta is None:
        raise TableMetadataError(f"{folder}: no metaData action in the log")
    partition_columns = state.meta.get("partitionColumns") or []
    return TableMetadata(
        format="delta",
        columns=_delta_columns(state.meta.get("schemaString"), state.meta_where),
        partition_columns=tuple(str(c) for c in partition_columns),
        live_files=len(state.live),
        version=expected - 1,
    )


def _checkpoint_version(
    store: ObjectStore,
    files: dict[str, ObjectInfo],
    checkpoints: dict[int, dict[int, ObjectInfo]],
    max_bytes: int,
) -> tuple[int, list[ObjectInfo]] | None:
    """The checkpoint to start from: ``_last_checkpoint``'s, else the newest complete one."""
    hinted: int | None = None
    if "_last_checkpoint" in files:
        hint = _json(_read(store, files["_last_checkpoint"], max_bytes), "_last_checkpoint")
        if isinstance(hint, dict) and isinstance(hint.get("version"), int):
            hinted = hint["version"]
            if hinted not in checkpoints:
                raise TableMetadataError(
                    f"_last_checkpoint names version {hinted}, whose parquet checkpoint is "
                    "not in the log (V2 or sidecar checkpoints are not supported)"
                )
    for version in sorted(checkpoints, reverse=True):
        if hinted is not None and version != hinted:
            continue
        parts = checkpoints[version]
        total = max(parts) if len(parts) > 1 else 1
        if sorted(parts) == list(range(1, total + 1)):
            return version, [parts[i] for i in sorted(parts)]
        if hinted is not None:
            raise TableMetadataError(f"checkpoint {version} is missing parts")
    return None


# --- Iceberg -------------------------------------------------------------------------------


def _iceberg_pick(store: ObjectStore, files: dict[str, ObjectInfo]) -> tuple[str, int | None]:
    """The metadata file to read: ``version-hint.text``'s, else the highest version."""
    versions: dict[str, int | None] = {}
    for name in files:
        if name.endswith(".metadata.json"):
            m = _ICEBERG_VERSION.match(name)
            versions[name] = int(m.group(1) or m.group(2)) if m else None
    if not versions:
        raise TableMetadataError("metadata/ holds no *.metadata.json")
    if "version-hint.text" in files:
        hint = _read(store, files["version-hint.text"], 1024).decode("utf-8", "replace").strip()
        if hint.isdigit() and f"v{hint}.metadata.json" in versions:
            return f"v{hint}.metadata.json", int(hint)

    def order(name: str) -> tuple[int, float, str]:
        modified = files[name].last_modified
        return (versions[name] or -1, modified.timestamp() if modified else 0.0, name)

    newest = max(versions, key=order)
    return newest, versions[newest]


def read_iceberg_metadata(
    store: ObjectStore, root: ObjectRef | str, max_bytes: int = MAX_METADATA_BYTES
) -> TableMetadata:
    """Read the newest metadata file of the Iceberg table at ``root``.

    Side effects: lists ``metadata/``, reads ``version-hint.text`` and one metadata file.

    :raises TableMetadataError: no metadata file, a file over ``max_bytes``, malformed JSON,
        no current schema.
    :raises RunError: the folder cannot be listed.
    """
    folder = _folder(root) + "metadata/"
    files = _children(store, folder)
    name, version = _iceberg_pick(store, files)
    meta = _json(_read(store, files[name], max_bytes), name)
    if not isinstance(meta, dict):
        raise TableMetadataError(f"{name} is not a JSON object")
    schema: Any = None
    if isinstance(meta.get("schemas"), list):
        current = meta.get("current-schema-id")
        schema = next(
            (s for s in meta["schemas"] if isinstance(s, dict) and s.get("schema-id") == current),
            None,
        )
    if schema is None:
        schema = meta.get("schema")
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        raise TableMetadataError(f"{name} has no current schema")
    columns = tuple(
        SchemaColumn(
            str(f.get("name")), _ICEBERG_TYPES.render(f.get("type")), not f.get("required")
        )
        for f in schema["fields"]
        if isinstance(f, dict)
    )
    spec: Any = None
    if isinstance(meta.get("partition-specs"), list):
        default = meta.get("default-spec-id")
        spec = next(
            (
                s.get("fields")
                for s in meta["partition-specs"]
                if isinstance(s, dict) and s.get("spec-id") == default
            ),
            None,
        )
    if spec is None:
        spec = meta.get("partition-spec") or []
    partition_columns = tuple(
        str(f.get("name")) for f in spec if isinstance(f, dict) and f.get("transform") != "void"
    )
    return TableMetadata(
        format="iceberg",
        columns=columns,
        partition_columns=partition_columns,
        live_files=_iceberg_live_files(meta),
        version=version,
    )


def _iceberg_live_files(meta: dict[str, Any]) -> int | None:
    current = meta.get("current-snapshot-id")
    if current is None or current == -1:
        return 0 if not meta.get("snapshots") else None
    for snapshot in meta.get("snapshots") or []:
        if isinstance(snapshot, dict) and snapshot.get("snapshot-id") == current:
            total = (snapshot.get("summary") or {}).get("total-data-files")
            try:
                return int(total) if total is not None else None
            except (TypeError, ValueError):
                return None
    return None


def read_table_metadata(
    store: ObjectStore, summary: DatasetSummary, max_bytes: int = MAX_METADATA_BYTES
) -> TableMetadata | None:
    """What the table format of a grouped dataset declares; ``None`` for other rules.

    Use ``dataclasses.replace(summary, table_schema=meta.columns)`` to record the schema.

    :raises TableMetadataError: as :func:`read_delta_log` / :func:`read_iceberg_metadata`.
    :raises RunError: the log or metadata folder cannot be listed.
    """
    if summary.rule is GroupingRule.DELTA:
        return read_delta_log(store, summary.ref.uri, max_bytes)
    if summary.rule is GroupingRule.ICEBERG:
        return read_iceberg_metadata(store, summary.ref.uri, max_bytes)
    return None
