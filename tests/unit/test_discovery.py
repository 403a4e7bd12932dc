from __future__ import annotations

import pytest

from tests.fakes import InMemoryObjectStore
from worker.discovery import discover, matches
from worker.errors import BucketNotFound


@pytest.mark.parametrize(
    ("path", "include", "exclude", "expected"),
    [
        ("a/b/x.parquet", ["*.parquet"], [], True),
        ("a/b/x.csv", ["*.parquet"], [], False),
        ("a/b/x.csv", [], ["*.csv"], False),
        ("a/tmp/x.csv", [], ["tmp/*"], True),  # a pattern with / is anchored at the prefix
        ("a/tmp/x.csv", [], ["*/tmp/*"], False),
        ("a/tmp/x.csv", [], ["a/tmp/*"], False),
        ("a/b/x.csv", ["a/*"], ["*.tmp"], True),
    ],
)
def test_globs(path: str, include: list[str], exclude: list[str], expected: bool) -> None:
    assert matches(path, include, exclude) is expected


def test_discover_filters_and_dedupes() -> None:
    store = InMemoryObjectStore(
        {
            "s3://lake/raw/a.parquet": b"x",
            "s3://lake/raw/b.csv": b"y",
            "s3://lake/raw/_tmp/c.csv": b"z",
            "s3://lake/other/d.csv": b"w",
        }
    )
    found = [
        i.ref.uri
        for i in discover(store, ["s3://lake/raw/", "s3://lake/raw/b.csv"], exclude=["_tmp/*"])
    ]
    assert found == ["s3://lake/raw/a.parquet", "s3://lake/raw/b.csv"]


def test_missing_bucket_is_a_run_error() -> None:
    store = InMemoryObjectStore({"s3://lake/a.csv": b"x"})
    with pytest.raises(BucketNotFound):
        list(discover(store, ["s3://nope/"]))
