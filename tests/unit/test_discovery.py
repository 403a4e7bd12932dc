from __future__ import annotations

import os
from pathlib import Path

import pytest

from models import ObjectInfo, ObjectRef, ObjectStatus
from tests.support.fakes import FakeClassifier, InMemoryLocalCatalog, InMemoryObjectStore
from worker.adapters.storage.local import LocalObjectStore, SymlinkSkipped
from worker.core.discovery import discover, matches, relative_path
from worker.core.errors import BucketNotFound, LocalPathRefused, UnsupportedFormat
from worker.core.pipeline import Deps, EnrichOptions, enrich_object


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


# --- Local symbolic links (issue 13) ----------------------------------------------------------


@pytest.fixture
def linked(tmp_path: Path) -> Path:
    """A scan root with a regular file and links: out of the root, in it, to a directory,
    dangling; plus a secret outside the root."""
    (tmp_path / "secret.txt").write_text("password,hunter2\nroot,toor\n")
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "data.csv").write_text("a,b\n1,2\n")
    (root / "sub" / "more.csv").write_text("a,b\n3,4\n")
    (root / "leak.csv").symlink_to(tmp_path / "secret.txt")
    (root / "alias.csv").symlink_to(root / "data.csv")
    (root / "subdir").symlink_to(root / "sub")
    (root / "outside").symlink_to(tmp_path)
    (root / "dangling.csv").symlink_to(tmp_path / "missing.csv")
    return root


def _names(infos: list[ObjectInfo], root: Path) -> list[str]:
    return [relative_path(i, ObjectRef.parse(str(root))) for i in infos]


def test_symlinks_are_listed_and_skipped_by_default(linked: Path) -> None:
    store = LocalObjectStore()
    infos = list(discover(store, [str(linked)]))
    assert _names(infos, linked) == [
        "alias.csv",
        "dangling.csv",
        "data.csv",
        "leak.csv",
        "outside",
        "subdir",
        "sub/more.csv",
    ]
    deps = Deps(store, [FakeClassifier()], InMemoryLocalCatalog())
    results = {r.ref.name: r for r in (enrich_object(i, deps, EnrichOptions()) for i in infos)}
    for name in ("alias.csv", "dangling.csv", "leak.csv", "outside", "subdir"):
        result = results[name]
        assert result.status is ObjectStatus.SKIPPED and result.error is not None
        assert result.error.kind == "symlink_skipped" and result.bytes_read == 0
        assert "hunter2" not in repr(result)
    assert results["data.csv"].status is ObjectStatus.CLASSIFIED


def test_followed_symlinks_stay_in_the_root(linked: Path) -> None:
    infos = list(discover(LocalObjectStore(follow_symlinks=True), [str(linked)]))
    # alias.csv is its target, listed once; the directory link adds nothing; links out of
    # the root stay skipped entries.
    assert _names(infos, linked) == [
        "data.csv",
        "dangling.csv",
        "leak.csv",
        "outside",
        "sub/more.csv",
    ]
    assert all(not Path(i.ref.key).is_symlink() for i in infos if i.ref.name == "data.csv")


def test_direct_reads_refuse_links_and_dot_dot(linked: Path) -> None:
    store = LocalObjectStore(follow_symlinks=True)
    with pytest.raises(SymlinkSkipped):
        store.head(ObjectRef((linked / "leak.csv").as_uri()))
    with pytest.raises(SymlinkSkipped, match="symbolically linked directory"):
        store.head(ObjectRef((linked / "subdir" / "more.csv").as_uri()))
    with pytest.raises(LocalPathRefused):
        store.head(ObjectRef("file://" + str(linked) + "/sub/../data.csv"))
    info = store.head(ObjectRef.parse(str(linked / "data.csv")))
    assert store.read_range(info, 0, 3) == b"a,b"
    # Swapped for a link after it was listed: refused at read time.
    target = linked / "data.csv"
    target.unlink()
    target.symlink_to(linked.parent / "secret.txt")
    with pytest.raises(SymlinkSkipped):
        store.read_range(info, 0, 3)


def test_special_files_are_not_listed_or_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    (tmp_path / "ok.csv").write_text("a,b\n1,2\n")
    store = LocalObjectStore()
    assert [i.ref.name for i in store.list_objects(str(tmp_path))] == ["ok.csv"]
    with pytest.raises(UnsupportedFormat):
        store.head(ObjectRef.parse(str(fifo)))


def test_follow_symlinks_setting_defaults_off() -> None:
    from worker.core.settings import Settings

    assert Settings().sampling.follow_symlinks is False
