"""Name linking reuses the keys of the names last indexed in the process (issue 21): a
question on an unchanged catalog does not normalise every name again; a changed catalog is
indexed afresh."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from worker.core.ask import linking
from worker.core.ask.linking import NameIndex


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    linking._LAST.clear()
    yield
    linking._LAST.clear()


def _pairs(extra: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    uris = ["postgres:appdb.public.users", "s3://lake/exports/users/", *extra]
    return [(u, "dataset" if u.startswith("s3://") else "table") for u in uris]


def test_an_index_of_the_same_names_reuses_the_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    first = NameIndex.of_uris(lambda: _pairs(), str)
    assert first.link("users")[0] == ["postgres:appdb.public.users", "s3://lake/exports/users/"]
    calls: list[str] = []
    real = linking.name_keys

    def counted(uri: str) -> list[str]:
        calls.append(uri)
        return real(uri)

    monkeypatch.setattr(linking, "name_keys", counted)
    again = NameIndex.of_uris(lambda: _pairs(), str)
    assert again.link("public users") == (["postgres:appdb.public.users"], 100.0)
    assert again.link("usres")[0] == first.link("usres")[0]
    assert calls == []  # nothing normalised again
    assert [n.uri for n in again.close("exports")] == [n.uri for n in first.close("exports")]

    changed = NameIndex.of_uris(lambda: _pairs(("snowflake:analytics.mart.orders",)), str)
    assert changed.link("orders") == (["snowflake:analytics.mart.orders"], 100.0)
    assert len(calls) == 3  # another catalog: every name keyed afresh
    assert first.link("orders") == ([], 0.0)  # the first index keeps its own names


def test_a_uri_given_twice_keeps_its_first_kind() -> None:
    index = NameIndex.of_uris(lambda: [("s3://lake/a/", "dataset"), ("s3://lake/a/", "table")], str)
    found = index.get("s3://lake/a/")
    assert found is not None and found.kind == "dataset"
