"""Qualified names as pyatlan's creators build them; the small pieces of the error mapping."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from worker.adapters.atlan.client import is_definition_miss, parse_retry_after, persona_permission
from worker.core.errors import CatalogRejected
from worker.core.plan.cm_values import value_problem
from worker.core.plan.naming import S3Naming

CONN = "default/s3/1700000000"
KEYS = ["a.csv", "exports/2024/a.csv", "/lead.csv", "a//b.csv", "x///y.csv", "dir with space/ü.csv"]


@pytest.mark.parametrize("key", KEYS)
def test_names_are_the_ones_pyatlans_creators_give(key: str) -> None:
    from pyatlan.model.assets import S3Bucket, S3Object

    prefix, _, name = key.rpartition("/")
    path, arn = S3Naming(CONN, "path"), S3Naming(CONN, "arn")
    created = S3Object.creator_with_prefix(
        name=name,
        connection_qualified_name=CONN,
        prefix=prefix,
        s3_bucket_name="lake",
        s3_bucket_qualified_name=path.bucket("lake"),
    )
    assert path.object("lake", key) == created.qualified_name
    by_arn = S3Object.creator(
        name=name,
        connection_qualified_name=CONN,
        aws_arn=f"arn:aws:s3:::lake/{key}",
        s3_bucket_name="lake",
        s3_bucket_qualified_name=arn.bucket("lake"),
    )
    assert arn.object("lake", key) == by_arn.qualified_name
    assert (
        arn.bucket("lake")
        == S3Bucket.creator(
            name="lake", connection_qualified_name=CONN, aws_arn="arn:aws:s3:::lake"
        ).qualified_name
    )
    assert (
        path.bucket("lake")
        == S3Bucket.creator(name="lake", connection_qualified_name=CONN).qualified_name
    )


def test_path_naming_folds_what_arn_naming_keeps_apart() -> None:
    path, arn = S3Naming(CONN, "path"), S3Naming(CONN, "arn")
    assert path.object("lake", "/lead.csv") == path.object("lake", "lead.csv")
    assert arn.object("lake", "/lead.csv") != arn.object("lake", "lead.csv")
    assert path.prefix("lake", "exports/orders/") == f"{CONN}/lake/exports/orders"
    assert arn.prefix("lake", "") == arn.bucket("lake")


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after("Thu, 03 Dec 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Thu, 03 Dec 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None


@pytest.mark.parametrize(
    ("action", "permission"),
    [
        ("create entity", "Create"),
        ("update entity", "Update"),
        ("delete entity", "Delete"),
        ("add/update business-metadata", "Update custom metadata"),
        ("add classification", "Add tags"),
        ("remove classification", "Remove tags"),
    ],
)
def test_atlas_actions_name_the_persona_permission(action: str, permission: str) -> None:
    assert persona_permission(action) == permission


def test_definition_misses_are_told_from_bad_values() -> None:
    def rejected(cause: str) -> CatalogRejected:
        exc = CatalogRejected("Atlan rejected writing S3 objects")
        exc.__cause__ = Exception(cause)
        return exc

    assert is_definition_miss(rejected("ATLAS-404-00-008 Given classification x was invalid"))
    assert is_definition_miss(
        rejected(
            "ATLAS-404-00-007: Invalid instance creation/updation parameters passed : "
            "abc: invalid business-metadata for entity type S3Object"
        )
    )
    assert not is_definition_miss(
        rejected("ATLAS-404-00-007: ... : S3Object.a.b=3000000000: invalid value for type int")
    )
    assert is_definition_miss(KeyError("'Lineage summary' is not a valid property name"))


def test_values_atlas_would_refuse() -> None:
    assert value_problem("int", None, 2**31) is not None
    assert value_problem("int", None, 2**31 - 1) is None
    assert value_problem("int", None, True) is not None
    assert value_problem("long", None, 2**40) is None
    assert value_problem("date", None, 1_700_000_000_000) is None
    assert value_problem("string", 5, "toolong") is not None
    assert value_problem("array<string>", 5, ["ok", "toolong"]) is not None
    assert value_problem("array<string>", None, "not a list") is not None


@pytest.mark.parametrize(
    "key",
    ["a.csv", "exports/a.csv", "exports/users/dt=2025/part-0.parquet", "/lead/a.csv", "x//y.csv"],
)
def test_path_object_key_agrees_with_pyatlan(key: str) -> None:
    from pyatlan.model.utils import construct_object_key

    from worker.core.plan.naming import path_object_key, split_key

    assert path_object_key(key) == construct_object_key(*split_key(key))
