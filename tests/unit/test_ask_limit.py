"""The cap on an answer's items: exact ``count``, items cut, the interpretation says so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.ask_catalog import AskCatalog, opened_ask_catalog
from worker.services.ask.service import MAX_LIMIT, AskService


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[AskCatalog]:
    with opened_ask_catalog(f"sqlite:///{tmp_path}/ask.db") as built:
        yield built


@pytest.fixture
def service(catalog: AskCatalog) -> AskService:
    return catalog.service()


def test_a_limit_cuts_the_items_and_keeps_the_exact_count(service: AskService) -> None:
    question = "Where are emails stored?"
    whole = service.ask(question)
    assert whole.count == len(whole.items) > 2
    assert "listed" not in whole.interpretation
    cut = service.ask(question, limit=2)
    assert cut.count == whole.count
    assert [i.uri for i in cut.items] == [i.uri for i in whole.items[:2]]
    assert [i.why for i in cut.items] == [i.why for i in whole.items[:2]]
    assert cut.interpretation.endswith(f"(the first 2 of {whole.count} items are listed)")


def test_the_service_default_is_its_max_items(catalog: AskCatalog) -> None:
    service = catalog.service(max_items=1)
    answer = service.ask("Which datasets have email addresses?")
    assert len(answer.items) == 1 and answer.count is not None and answer.count > 1
    assert f"(the first 1 of {answer.count} items are listed)" in answer.interpretation
    assert len(service.ask("Which datasets have email addresses?", limit=50).items) == answer.count


def test_top_n_builds_why_for_the_listed_items_only(service: AskService) -> None:
    top = service.ask("Top 2 datasets with the most PII", limit=1)
    assert len(top.items) == 1 and top.items[0].why.startswith("3 PII columns")
    assert "the first 1 of 2 items" in top.interpretation


@pytest.mark.parametrize(("limit", "shown"), [(0, 1), (-5, 1), (MAX_LIMIT + 10, None)])
def test_a_limit_is_bounded(service: AskService, limit: int, shown: int | None) -> None:
    whole = service.ask("Where are emails stored?")
    answer = service.ask("Where are emails stored?", limit=limit)
    assert len(answer.items) == (shown or len(whole.items))
