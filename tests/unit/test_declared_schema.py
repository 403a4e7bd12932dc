"""Declared schemas beside observed ones: type families and the columns that differ."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models.declared_schema import DeclaredField, DeclaredSchema, compare_columns, type_family

T1 = datetime(2025, 1, 1, 3, 0, tzinfo=UTC)
T2 = datetime(2025, 1, 2, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "family"),
    [
        ("long", "integer"),
        ("int64", "integer"),
        ("INTEGER", "integer"),
        ("decimal(10,2)", "decimal"),
        ("decimal128(10, 2)", "decimal"),
        ("NUMBER", "decimal"),
        ("double", "float"),
        ("VARCHAR", "string"),
        ("large_string", "string"),
        ("TIMESTAMP_NTZ", "timestamp"),
        ("timestamp[us, tz=UTC]", "timestamp"),
        ("date32[day]", "date"),
        ("struct<a:int>", "struct"),
        ("", None),
        (None, None),
    ],
)
def test_type_families_span_vocabularies(kind: str | None, family: str | None) -> None:
    assert type_family(kind) == family


def test_columns_that_differ_are_flagged() -> None:
    declared = [
        DeclaredField("order_id", "long"),
        DeclaredField("amount", "decimal(10,2)"),
        DeclaredField("card_last4", "string"),
        DeclaredField("Created_At", "timestamp"),
        DeclaredField("note", None),
    ]
    observed = [
        ("order_id", "int64"),
        ("amount", "double"),
        ("card_last4", "int64"),
        ("created_at", "timestamp[us]"),
        ("note", "string"),
        ("extra", "string"),
    ]
    checks = {c.name: c.status for c in compare_columns(declared, observed)}
    assert checks == {
        "order_id": "same",
        "amount": "same",
        "card_last4": "type differs",
        "Created_At": "same",
        "note": "same",  # no declared type: nothing to disagree on
        "extra": "observed only",
    }
    only = compare_columns([DeclaredField("gone", "string")], [])
    assert [(c.name, c.status, c.differs) for c in only] == [("gone", "declared only", True)]


def test_a_newer_event_replaces_and_a_tie_keeps() -> None:
    old = DeclaredSchema("s3://lake/a/", (DeclaredField("x", "string"),), T1, "r1")
    new = DeclaredSchema("s3://lake/a/", (DeclaredField("y", "string"),), T2, "r2")
    assert new.newer_than(old) and new.newer_than(None)
    assert not old.newer_than(new)
    assert not new.newer_than(new)
