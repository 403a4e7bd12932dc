"""Schemas a dataset's producer declared, beside what a scan observed. Pure.

A producer declares a schema in an OpenLineage ``schema`` facet. A declared schema belongs
to one dataset URI (a table, an S3 dataset); the newest event's declaration wins
(:meth:`DeclaredSchema.newer_than`). Comparing it with the observed columns
(:func:`compare_columns`) flags a column one side lacks and a column whose type family
differs (``integer`` vs ``int64`` is the same family; ``string`` vs ``int64`` is not).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

#: Where a declared schema came from.
ORIGIN_OPENLINEAGE = "openlineage"

_FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("decimal", re.compile(r"^(decimal|numeric|number)\d*\b")),
    (
        "integer",
        re.compile(r"^u?(int|integer|bigint|smallint|tinyint|long|short|byte|serial)\d*\b"),
    ),
    ("float", re.compile(r"^(float|double|real|halffloat)\d*\b")),
    ("string", re.compile(r"^(string|large_string|utf8|varchar|char|text|nvarchar|character)\b")),
    ("boolean", re.compile(r"^bool(ean)?\b")),
    ("timestamp", re.compile(r"^(timestamp|datetime)")),
    ("date", re.compile(r"^date")),
    ("binary", re.compile(r"^(binary|large_binary|bytes|blob|varbinary)\b")),
)


#: Families that are one kind of value (a producer's ``NUMBER`` may be stored as ``int64``).
_KINDS = {
    "integer": "number",
    "decimal": "number",
    "float": "number",
    "timestamp": "time",
    "date": "time",
}


def _kind_of(family: str | None) -> str | None:
    return None if family is None else _KINDS.get(family, family)


@dataclass(frozen=True, slots=True)
class DeclaredField:
    """One declared column: its name, type as the producer wrote it, and description."""

    name: str
    type: str | None = None
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form (stored, shown)."""
        return {"name": self.name, "type": self.type, "description": self.description}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeclaredField:
        """Inverse of :meth:`to_dict`."""
        kind, text = data.get("type"), data.get("description")
        return cls(str(data["name"]), None if kind is None else str(kind), text and str(text))


@dataclass(frozen=True, slots=True)
class DeclaredSchema:
    """The columns a producer declared for a dataset.

    :param uri: our dataset URI (``snowflake:DB.SCHEMA.TABLE``, ``s3://bucket/prefix/``).
    :param event_time: when the declaring event happened (timezone-aware).
    :param run_id: the run that declared it (``None`` for a job or dataset event).
    :param origin: where it came from (:data:`ORIGIN_OPENLINEAGE`).
    """

    uri: str
    fields: tuple[DeclaredField, ...]
    event_time: datetime
    run_id: str | None = None
    origin: str = ORIGIN_OPENLINEAGE

    def newer_than(self, other: DeclaredSchema | None) -> bool:
        """Whether this declaration replaces ``other`` (a strictly newer event; ties keep it)."""
        return other is None or self.event_time > other.event_time

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``datasets show``, ``lineage show``)."""
        return {
            "uri": self.uri,
            "origin": self.origin,
            "event_time": self.event_time.isoformat(),
            "run_id": self.run_id,
            "fields": [f.to_dict() for f in self.fields],
        }


@dataclass(frozen=True, slots=True)
class ColumnCheck:
    """A column of the declared or the observed schema, side by side.

    :param status: ``same``; ``type differs`` (type families differ); ``declared only``;
        ``observed only``.
    """

    name: str
    declared: str | None
    observed: str | None
    status: str

    @property
    def differs(self) -> bool:
        """Whether the two sides disagree on this column."""
        return self.status != "same"

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "name": self.name,
            "declared": self.declared,
            "observed": self.observed,
            "status": self.status,
            "differs": self.differs,
        }


def type_family(kind: str | None) -> str | None:
    """The family of a type name across vocabularies (Spark, SQL, Arrow), or ``None``.

    An unknown type is its own lowercased base name (``struct<...>`` is ``struct``).
    """
    if not kind or not kind.strip():
        return None
    text = kind.strip().lower()
    for family, pattern in _FAMILIES:
        if pattern.match(text):
            return family
    return re.split(r"[^a-z0-9_]", text, maxsplit=1)[0] or text


def compare_columns(
    declared: Sequence[DeclaredField], observed: Iterable[tuple[str, str | None]]
) -> list[ColumnCheck]:
    """The declared columns beside the observed ``(name, type)`` ones, declared order first.

    Names match case-insensitively; types compare by the kind of their :func:`type_family`
    (numbers, text, booleans, times, bytes: Snowflake's ``NUMBER`` over an ``int64`` column
    is not a difference, ``long`` over ``string`` is), and a side without a type does not
    count as a difference.
    """
    seen = {name.lower(): (name, kind) for name, kind in observed}
    out: list[ColumnCheck] = []
    for f in declared:
        match = seen.pop(f.name.lower(), None)
        if match is None:
            out.append(ColumnCheck(f.name, f.type, None, "declared only"))
            continue
        a, b = _kind_of(type_family(f.type)), _kind_of(type_family(match[1]))
        status = "type differs" if a and b and a != b else "same"
        out.append(ColumnCheck(f.name, f.type, match[1], status))
    out.extend(ColumnCheck(name, None, kind, "observed only") for name, kind in seen.values())
    return out
