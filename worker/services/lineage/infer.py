"""Inferred lineage: match S3 dataset schemas against PostgreSQL and Snowflake tables.

The weakest lineage source (:attr:`Origin.INFERRED`): nobody declared the hop and no SQL
shows it, but an S3 dataset's columns look like a PostgreSQL table's (an export,
``postgres table → S3``) or a Snowflake table's (a load, ``S3 → Snowflake``). Each proposed
edge carries its score as confidence, a human reason and the column map.

Readers (the only impure functions): :func:`read_postgres_tables` (a live PostgreSQL's
``information_schema.columns``), :func:`read_snowflake_schema_file` (a CSV export of
Snowflake's ``INFORMATION_SCHEMA.COLUMNS``) and :func:`s3_schemas_from_catalog` (the local
catalog's ``objects`` and ``columns``).

Column names
    Matched case-insensitively first, then by a *normalised* name: camelCase and
    PascalCase split into snake_case words; a leading ``src_``/``source_``/``c_``/``col_``/
    ``raw_`` word dropped; a few abbreviations folded to one spelling (``num``/``number``/
    ``no``/``nbr``, ``qty``/``quantity``, ``amt``/``amount``, ``dt``/``date``,
    ``ts``/``timestamp``, ``id``/``key``, ``addr``/``address``, ``desc``/``description``);
    the words joined without separators (``orderId`` = ``order_id`` = ``orderid``, ``c_qty``
    = ``quantity``, ``customer_key`` = ``customer_id``). Each column pairs at most once:
    every case-insensitive pair first, then normalised pairs, in column order.

Types
    Every type is put in a family: numeric (integers, decimals, floats, Snowflake
    ``NUMBER``), text, date, timestamp, time, boolean, binary, semi-structured (JSON, Snowflake
    ``VARIANT``/``OBJECT``/``ARRAY``, arrow struct/list), other. Compatibility of two types:
    1.0 for one family; 0.75 for date↔timestamp and semi-structured↔anything; 0.5 for
    text↔anything (a cast on load), boolean↔numeric, or an unknown type; 0 otherwise.
    A pair "has compatible types" at 0.75 or more.

Column weights (rare names count more)
    ``w(c) = idf(c) · prior(c)`` with ``idf(c) = ln((N + 1) / df(c)) / ln(N + 1)`` over the
    ``N`` candidate tables of the hop (``df`` = tables with that normalised name, at least 1:
    1.0 for a name in one table, near 0 for one in every table) and ``prior(c)`` = 0.5 for
    generic names (``id``, ``created_at``, ``updated_at``, ...; see :data:`GENERIC_COLUMNS`),
    1 otherwise. :func:`score` without weights uses ``idf = 1``.

Score (0..1, 4 decimals)
    ``coverage = 2·W(matched) / (W(S3 columns) + W(table columns))`` (the harmonic mean of
    the two directions' weighted coverage, i.e. a weighted Dice/Jaccard-like overlap);
    ``types`` = weighted mean compatibility of the matched pairs; ``name`` = similarity of the
    S3 path's last meaningful folder and the table name (1.0 same words after singularising
    and dropping ``stg_``/``dim_``/``fct_``/... prefixes, 0.8 when one's words contain the
    other's, else a difflib ratio)::

        score = coverage · (W_COVERAGE + W_TYPES · types) + W_NAME · name
              = coverage · (0.65 + 0.20 · types) + 0.15 · name        (0 when nothing matches)

    A table sharing only ``id`` and ``created_at`` with a dataset has a tiny weighted
    coverage, so even a perfect name cannot lift it past the usual ``min_score`` (0.5);
    a name alone is worth at most 0.15.

Edges
    For each S3 dataset the best PostgreSQL table (``table → S3``, columns ``pg col → S3
    col``) and the best Snowflake table (``S3 → table``, columns ``S3 col → SF col``) at or
    above ``min_score``; ties go to the lexicographically smaller table name.
"""

from __future__ import annotations

import csv
import difflib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, bindparam, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from models.lineage import (
    ColumnMapping,
    Dataset,
    InvalidDataset,
    LineageEdge,
    LineageFindings,
    LineageProblem,
    Origin,
    System,
    dataset_of_object,
)
from worker.adapters.catalog.database import safe_url
from worker.adapters.catalog.schema import columns as columns_table
from worker.adapters.catalog.schema import objects as objects_table
from worker.core.errors import ConfigError

__all__ = [
    "GENERIC_COLUMNS",
    "W_COVERAGE",
    "W_NAME",
    "W_TYPES",
    "S3Schema",
    "TableSchema",
    "column_weights",
    "infer",
    "name_similarity",
    "normalise_column",
    "read_postgres_tables",
    "read_snowflake_schema_file",
    "s3_schemas_from_catalog",
    "score",
    "type_compatibility",
    "type_family",
]

#: Score weights (see the module docstring); they add up to 1.
W_COVERAGE = 0.65
W_TYPES = 0.20
W_NAME = 0.15
#: Prior weight of a generic column name (multiplies its IDF weight).
GENERIC_PRIOR = 0.5
#: Normalised names of columns most tables have (weighted down).
GENERIC_COLUMNS = frozenset(
    {
        "id",
        "uuid",
        "guid",
        "name",
        "type",
        "status",
        "version",
        "createdat",
        "updatedat",
        "deletedat",
        "modifiedat",
        "insertedat",
        "createdts",
        "updatedts",
        "created",
        "updated",
        "modified",
        "lastmodified",
        "createdby",
        "updatedby",
    }
)

_ABBREVIATIONS = {
    "number": "num",
    "no": "num",
    "nbr": "num",
    "quantity": "qty",
    "amount": "amt",
    "dt": "date",
    "timestamp": "ts",
    "key": "id",
    "address": "addr",
    "description": "desc",
}
_COLUMN_PREFIXES = frozenset({"src", "source", "c", "col", "raw"})
_TABLE_PREFIXES = frozenset({"stg", "dim", "fct", "fact", "raw", "src", "tbl", "vw", "v"})
_GENERIC_FOLDERS = frozenset(
    {
        "export",
        "exports",
        "data",
        "raw",
        "staging",
        "stage",
        "landing",
        "output",
        "out",
        "incoming",
        "inbound",
        "daily",
        "hourly",
        "latest",
        "current",
        "parquet",
        "csv",
        "json",
        "table",
        "tables",
        "snapshot",
        "snapshots",
        "dump",
        "dumps",
        "full",
        "incremental",
    }
)
_VERSION_FOLDER = re.compile(r"^v\d+$")
_FILE_SUFFIX = re.compile(r"(\.[a-z0-9]{1,8})+$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class TableSchema:
    """A PostgreSQL, Redshift or Snowflake table's columns.

    :param columns: ``(name, data type)`` in ordinal order.
    :param location: where the schema was read (``information_schema``, the CSV file's name);
        becomes the inferred edge's location.
    """

    dataset: Dataset
    columns: tuple[tuple[str, str], ...]
    location: str = ""


@dataclass(frozen=True, slots=True)
class S3Schema:
    """An S3 dataset's columns.

    :param columns: ``(name, data type)`` with arrow or portable type names (``int64``,
        ``string``, ``timestamp[us]``, ``double``, ``date32[day]``, ``decimal(10,2)``).
    """

    dataset: Dataset
    columns: tuple[tuple[str, str], ...]


# --------------------------------------------------------------------------- names


def _words(name: str) -> list[str]:
    """snake_case words of an identifier (camelCase and PascalCase split)."""
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name.strip())
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", spaced)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def normalise_column(name: str) -> str:
    """The normalised column name used for the second matching pass and for weights.

    >>> normalise_column("orderId"), normalise_column("c_qty"), normalise_column("ORDER_NO")
    ('orderid', 'qty', 'ordernum')
    """
    words = _words(name)
    if len(words) > 1 and words[0] in _COLUMN_PREFIXES:
        words = words[1:]
    return "".join(_ABBREVIATIONS.get(w, w) for w in words) or name.strip().lower()


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _name_words(name: str, prefixes: frozenset[str]) -> list[str]:
    words = [_singular(w) for w in _words(name)]
    if len(words) > 1 and words[0] in prefixes:
        words = words[1:]
    return words


def _s3_folder(dataset: Dataset) -> tuple[str, str]:
    """(the dataset's path without the bucket, its last meaningful folder or file stem)."""
    path = dataset.parts[1].strip("/")
    segments = [s for s in path.split("/") if s]
    if not dataset.is_prefix and segments:
        segments[-1] = _FILE_SUFFIX.sub("", segments[-1]) or segments[-1]
    for segment in reversed(segments):
        lower = segment.lower()
        if lower not in _GENERIC_FOLDERS and not _VERSION_FOLDER.match(lower) and "=" not in lower:
            return path, segment
    return path, segments[-1] if segments else ""


def name_similarity(folder: str, table: str) -> float:
    """Similarity 0..1 of an S3 folder name and a table name (see the module docstring)."""
    a = _name_words(folder, _TABLE_PREFIXES)
    b = _name_words(table, _TABLE_PREFIXES)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    contained = 0.8 if set(a) <= set(b) or set(b) <= set(a) else 0.0
    ratio = difflib.SequenceMatcher(None, "_".join(a), "_".join(b)).ratio()
    return round(min(max(contained, ratio), 0.95), 4)


# --------------------------------------------------------------------------- types

_NUMERIC = "numeric"
_TEXT = "text"
_DATE = "date"
_TIMESTAMP = "timestamp"
_TIME = "time"
_BOOLEAN = "boolean"
_BINARY = "binary"
_SEMI = "semi-structured"
_OTHER = "other"
_UNKNOWN = "unknown"

#: Type-name heads (lower case, before any ``(``, ``[``, ``<`` or space) by family; the
#: first family with a matching prefix wins, so longer or more specific words come first.
_FAMILY_PREFIXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (_OTHER, ("interval", "inet", "cidr", "geography", "geometry", "xml", "duration", "month")),
    (_TIMESTAMP, ("timestamp", "datetime")),
    (_DATE, ("date",)),
    (_TIME, ("time",)),
    (_BOOLEAN, ("bool",)),
    (_SEMI, ("json", "variant", "object", "array", "struct", "list", "map", "super")),
    (_BINARY, ("binary", "bytea", "blob", "varbinary", "bytes")),
    (
        _NUMERIC,
        (
            "int",
            "uint",
            "tinyint",
            "smallint",
            "bigint",
            "byteint",
            "serial",
            "smallserial",
            "bigserial",
            "number",
            "numeric",
            "decimal",
            "float",
            "double",
            "real",
            "money",
            "halffloat",
        ),
    ),
    (
        _TEXT,
        ("string", "utf8", "text", "char", "varchar", "character", "bpchar", "uuid", "citext"),
    ),
)
_TEXT_NAMES = frozenset({"name", "enum"})


def type_family(data_type: str) -> str:
    """The family of a PostgreSQL, Snowflake or arrow/portable type name.

    >>> type_family("timestamp without time zone"), type_family("NUMBER"), type_family("int64")
    ('timestamp', 'numeric', 'numeric')
    """
    t = data_type.strip().lower()
    if t.startswith("dictionary<"):  # arrow dictionary: the value type counts
        match = re.search(r"values=([^,>]+)", t)
        return type_family(match.group(1)) if match else _UNKNOWN
    if t.endswith("[]"):  # a PostgreSQL array
        return _SEMI
    head = re.split(r"[\s(\[<,]", t, maxsplit=1)[0]
    head = re.sub(r"^(large_|fixed_size_)", "", head)
    if head in _TEXT_NAMES:
        return _TEXT
    for family, prefixes in _FAMILY_PREFIXES:
        if head.startswith(prefixes):
            return family
    return _UNKNOWN


def type_compatibility(a: str, b: str) -> float:
    """Compatibility 0..1 of two type names (see the module docstring)."""
    fa, fb = type_family(a), type_family(b)
    if _UNKNOWN in (fa, fb):
        return 0.5
    if fa == fb:
        return 1.0
    pair = {fa, fb}
    if pair == {_DATE, _TIMESTAMP} or _SEMI in pair:
        return 0.75
    if _TEXT in pair or pair == {_BOOLEAN, _NUMERIC} or _OTHER in pair:
        return 0.5
    return 0.0


_COMPATIBLE = 0.75


# --------------------------------------------------------------------------- scoring


def column_weights(tables: Iterable[TableSchema]) -> dict[str, float]:
    """The weight of each normalised column name over the candidate ``tables`` (IDF · prior).

    Names absent from the mapping weigh ``prior(c)`` (as if in one table).
    """
    tables = list(tables)
    n = len(tables)
    df: Counter[str] = Counter()
    for table in tables:
        df.update({normalise_column(name) for name, _ in table.columns})
    if n == 0:
        return {}
    scale = math.log(n + 1)
    return {key: math.log((n + 1) / count) / scale * _prior(key) for key, count in df.items()}


def _prior(key: str) -> float:
    return GENERIC_PRIOR if key in GENERIC_COLUMNS else 1.0


def _weight(key: str, weights: Mapping[str, float] | None) -> float:
    if weights is not None and key in weights:
        return max(weights[key], 1e-6)
    return _prior(key)


def _pair_columns(
    source: Sequence[tuple[str, str]], target: Sequence[tuple[str, str]]
) -> list[tuple[int, int, bool]]:
    """Pairs (source index, target index, by normalised name) in source column order."""
    pairs: dict[int, tuple[int, bool]] = {}
    used: set[int] = set()
    for by_normalised, key in ((False, str.lower), (True, normalise_column)):
        target_keys = [key(name) for name, _ in target]
        for i, (name, _) in enumerate(source):
            if i in pairs:
                continue
            k = key(name)
            for j, tk in enumerate(target_keys):
                if j not in used and tk == k:
                    pairs[i] = (j, by_normalised)
                    used.add(j)
                    break
    return [(i, j, norm) for i, (j, norm) in sorted(pairs.items())]


def score(
    s3: S3Schema, table: TableSchema, *, weights: Mapping[str, float] | None = None
) -> tuple[float, str, tuple[ColumnMapping, ...]]:
    """How likely ``table`` feeds (PostgreSQL/Redshift) or is fed by (Snowflake) ``s3``. Pure.

    :param weights: column weights from :func:`column_weights` over the hop's candidate
        tables; ``None``: only the generic-name prior.
    :returns: the score (0..1, 4 decimals; formula in the module docstring), a human
        reason, and the column mappings: ``table col → S3 col`` for an upstream table,
        ``S3 col → table col`` for a Snowflake table.
    """
    pairs = _pair_columns(s3.columns, table.columns)
    path, folder = _s3_folder(s3.dataset)
    table_name = table.dataset.parts[-1]
    name = name_similarity(folder, table_name) if folder else 0.0
    where = f"path '{path}' ~ table '{table_name}' ({name:.2f})"
    if not pairs:
        return 0.0, f"no column of {len(s3.columns)} matches by name; {where}", ()

    def w(column: str) -> float:
        return _weight(normalise_column(column), weights)

    w_s3 = sum(w(n) for n, _ in s3.columns)
    w_table = sum(w(n) for n, _ in table.columns)
    w_matched = 0.0
    w_types = 0.0
    compatible = 0
    for i, j, _ in pairs:
        pw = w(table.columns[j][0])
        compat = type_compatibility(s3.columns[i][1], table.columns[j][1])
        w_matched += pw
        w_types += pw * compat
        compatible += compat >= _COMPATIBLE
    coverage = min(1.0, 2 * w_matched / (w_s3 + w_table))
    types = w_types / w_matched if w_matched else 0.0
    value = round(coverage * (W_COVERAGE + W_TYPES * types) + W_NAME * name, 4)
    normalised = sum(1 for *_, by_normalised in pairs if by_normalised)
    reason = (
        f"{len(pairs)} of {len(s3.columns)} columns match by name"
        + (f" ({normalised} by normalised name)" if normalised else "")
        + f", covering {len(pairs)} of {len(table.columns)} table columns"
        + f", types compatible for {compatible}; {where}"
    )
    upstream = table.dataset.system is not System.SNOWFLAKE
    mappings = tuple(
        ColumnMapping(table.columns[j][0], s3.columns[i][0])
        if upstream
        else ColumnMapping(s3.columns[i][0], table.columns[j][0])
        for i, j, _ in pairs
    )
    return value, reason, mappings


def infer(
    s3: Sequence[S3Schema],
    postgres: Sequence[TableSchema],
    snowflake: Sequence[TableSchema],
    *,
    min_score: float,
) -> LineageFindings:
    """Propose ``postgres table → S3`` and ``S3 → snowflake table`` edges. Pure.

    For each S3 dataset (in dataset order) the best PostgreSQL table, then the best Snowflake
    table, when its :func:`score` is at least ``min_score`` and above 0 (ties: the smaller
    table name).
    Column weights are computed over each side's candidates. Edges carry
    :attr:`Origin.INFERRED`, ``confidence`` = score, the reason (with the runner-up when it
    also qualifies) and the column mappings.
    """
    findings = LineageFindings()
    sides = [
        (_dedupe(postgres), "information_schema", True),
        (_dedupe(snowflake), "snowflake schema file", False),
    ]
    prepared = [(tables, column_weights(tables), loc, up) for tables, loc, up in sides]
    for dataset in sorted(_dedupe_s3(s3), key=lambda d: d.dataset):
        for tables, weights, default_location, upstream in prepared:
            ranked = sorted(
                (
                    (*score(dataset, table, weights=weights), table)
                    for table in tables
                    if table.dataset != dataset.dataset
                ),
                key=lambda r: (-r[0], r[3].dataset.name, r[3].dataset.system.value),
            )
            qualified = [r for r in ranked if r[0] >= min_score and r[0] > 0]
            if not qualified:
                continue
            value, reason, mappings, table = qualified[0]
            if len(qualified) > 1:
                reason += f"; runner-up {qualified[1][3].dataset.uri} ({qualified[1][0]:.2f})"
            findings.edges.append(
                LineageEdge(
                    source=table.dataset if upstream else dataset.dataset,
                    target=dataset.dataset if upstream else table.dataset,
                    origin=Origin.INFERRED,
                    confidence=value,
                    columns=mappings,
                    location=table.location or default_location,
                    reason=reason,
                )
            )
    return findings


def _dedupe(tables: Sequence[TableSchema]) -> list[TableSchema]:
    """One schema per table (the first), in table order."""
    seen: dict[Dataset, TableSchema] = {}
    for table in tables:
        seen.setdefault(table.dataset, table)
    return [seen[d] for d in sorted(seen)]


def _dedupe_s3(schemas: Sequence[S3Schema]) -> list[S3Schema]:
    seen: dict[Dataset, S3Schema] = {}
    for schema in schemas:
        seen.setdefault(schema.dataset, schema)
    return list(seen.values())


# --------------------------------------------------------------------------- readers


def read_postgres_tables(
    url: str, database: str | None, schemas: Sequence[str]
) -> list[TableSchema]:
    """The tables and views of ``schemas`` with their columns (``information_schema``).

    :param database: the database name in dataset names; ``None``: the URL's (or the
        server's ``current_database()``).
    :param schemas: schemas to read; empty: every schema but the system ones.
    :returns: one :class:`TableSchema` per table, ordered by schema and name, columns by
        ordinal position; location ``information_schema``.
    :raises ConfigError: the URL is invalid or the server cannot be reached or read.
    """
    shown = safe_url(url)
    query = (
        "SELECT table_schema, table_name, column_name, data_type, udt_name "
        "FROM information_schema.columns WHERE "
    )
    if schemas:
        statement = text(
            query + "table_schema IN :schemas ORDER BY table_schema, table_name, ordinal_position"
        ).bindparams(bindparam("schemas", expanding=True))
        params: dict[str, object] = {"schemas": list(schemas)}
    else:
        statement = text(
            query + "table_schema NOT IN ('pg_catalog', 'information_schema') "
            "AND table_schema NOT LIKE 'pg\\_toast%' "
            "ORDER BY table_schema, table_name, ordinal_position"
        )
        params = {}
    try:
        engine = create_engine(url, connect_args=_connect_args(url))
        try:
            with engine.connect() as conn:
                if database is None:
                    database = make_url(url).database or str(
                        conn.execute(text("SELECT current_database()")).scalar_one()
                    )
                rows = conn.execute(statement, params).all()
        finally:
            engine.dispose()
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        raise ConfigError(
            f"cannot read PostgreSQL tables from {shown}: {exc.__class__.__name__}"
            + (f": {detail[0]}" if detail else "")
        ) from exc
    grouped: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for schema, table, column, data_type, udt_name in rows:
        shown_type = udt_name if data_type in ("USER-DEFINED", "ARRAY") else data_type
        if data_type == "ARRAY":
            shown_type = f"{str(udt_name).lstrip('_')}[]"
        grouped[(schema, table)].append((column, str(shown_type)))
    result = []
    for (schema, table), cols in sorted(grouped.items()):
        try:
            dataset = Dataset.table(System.POSTGRES, database, schema, table)
        except InvalidDataset:
            continue  # a name with a dot cannot be written as database.schema.table
        result.append(TableSchema(dataset, tuple(cols), "information_schema"))
    return result


def _connect_args(url: str) -> dict[str, object]:
    try:
        backend = make_url(url).get_backend_name()
    except (SQLAlchemyError, ValueError):  # create_engine reports the bad URL
        return {}
    return {"connect_timeout": 10} if backend == "postgresql" else {}


_SNOWFLAKE_COLUMNS = ("TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "COLUMN_NAME", "DATA_TYPE")


def read_snowflake_schema_file(path: Path) -> tuple[list[TableSchema], list[LineageProblem]]:
    """Tables from a CSV export of Snowflake ``INFORMATION_SCHEMA.COLUMNS``.

    Needs a header with ``TABLE_CATALOG, TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE``
    (any case, any order, more columns allowed; ``ORDINAL_POSITION``, when present, orders
    the columns). Unusable rows become problems (``file:line``); the rest load.

    :returns: tables ordered by name (location: the file name) and problems.
    """
    problems: list[LineageProblem] = []
    name = path.name
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                return [], [LineageProblem(name, "", "the Snowflake schema file is empty")]
            index = {h.strip().upper(): i for i, h in enumerate(header)}
            missing = [c for c in _SNOWFLAKE_COLUMNS if c not in index]
            if missing:
                reason = f"the header lacks {', '.join(missing)} (a CSV export of COLUMNS)"
                return [], [LineageProblem(f"{name}:1", ",".join(header)[:200], reason)]
            position = index.get("ORDINAL_POSITION")
            tables: dict[Dataset, list[tuple[float, int, str, str]]] = defaultdict(list)
            for row in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                values = [
                    row[index[c]].strip() if index[c] < len(row) else "" for c in _SNOWFLAKE_COLUMNS
                ]
                where, statement = f"{name}:{line}", ",".join(row)[:200]
                if not all(values):
                    empty = [c for c, v in zip(_SNOWFLAKE_COLUMNS, values, strict=True) if not v]
                    problems.append(
                        LineageProblem(where, statement, f"row lacks {', '.join(empty)}")
                    )
                    continue
                catalog, schema, table, column, data_type = values
                try:
                    dataset = Dataset.table(System.SNOWFLAKE, catalog, schema, table)
                except InvalidDataset as exc:
                    problems.append(LineageProblem(where, statement, str(exc)))
                    continue
                order = (
                    _number(row[position]) if position is not None and position < len(row) else None
                )
                entries = tables[dataset]
                if any(c == column for _, _, c, _ in entries):
                    problems.append(
                        LineageProblem(
                            where, statement, f"column {column!r} of {dataset.uri} given twice"
                        )
                    )
                    continue
                entries.append((order if order is not None else math.inf, line, column, data_type))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        reason = f"cannot read the Snowflake schema file: {exc.__class__.__name__}: {exc}"
        return [], [*problems, LineageProblem(name, "", reason)]
    result = [
        TableSchema(dataset, tuple((c, t) for *_, c, t in sorted(entries)), name)
        for dataset, entries in sorted(tables.items())
    ]
    return result, problems


def _number(text_value: str) -> float | None:
    try:
        return float(text_value)
    except ValueError:
        return None


def s3_schemas_from_catalog(engine: Engine) -> list[S3Schema]:
    """S3 dataset schemas from the local catalog.

    Classified ``s3://`` objects are grouped into datasets with :func:`dataset_of_object`
    (partitions fold into their folder); a dataset's schema is the column list of its most
    recently scanned object (ties: the greatest URI). Datasets whose latest object has no
    columns are left out. Ordered by dataset.
    """
    latest: dict[Dataset, tuple[datetime, str]] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                objects_table.c.uri,
                objects_table.c.bucket,
                objects_table.c.key,
                objects_table.c.scanned_at,
            ).where(objects_table.c.status == "classified", objects_table.c.uri.like("s3://%"))
        ).all()
        for uri, bucket, key, scanned_at in rows:
            dataset = dataset_of_object(bucket, key)
            current = latest.get(dataset)
            if current is None or (scanned_at, uri) > current:
                latest[dataset] = (scanned_at, uri)
        uris = [uri for _, uri in latest.values()]
        by_uri: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
        for start in range(0, len(uris), 500):
            chunk = uris[start : start + 500]
            for object_uri, name, position, data_type in conn.execute(
                select(
                    columns_table.c.object_uri,
                    columns_table.c.name,
                    columns_table.c.position,
                    columns_table.c.data_type,
                ).where(columns_table.c.object_uri.in_(chunk))
            ):
                by_uri[object_uri].append((position, name, data_type))
    result = []
    for dataset in sorted(latest):
        cols = sorted(by_uri.get(latest[dataset][1], []))
        if cols:
            result.append(S3Schema(dataset, tuple((n, t) for _, n, t in cols)))
    return result
