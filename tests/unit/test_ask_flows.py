"""Flow questions ("where do IBANs flow unmasked?") read only the hops that can carry them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from models.lineage import ColumnMapping, Dataset, LineageEdge, Origin
from tests.support.ask_catalog import AskCatalog, build_ask_catalog
from worker.adapters.catalog.lineage_store import SqlLineageStore
from worker.core.ports import LineageColumnReader
from worker.services.ask.service import AskAnswer, AskService
from worker.services.lineage.service import LineageService

QUESTIONS = [
    "Where do IBANs flow unmasked?",
    "where do IBANs flow masked",
    "where do emails flow unmasked",
    "where do emails flow masked",
    "where does PII flow unmasked",
    "where does PII flow masked",
    "Where do SSNs flow unmasked?",
    "where do card numbers flow masked",
    "where do emails and IBANs flow unmasked",
    "where do emails flow",
]


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[AskCatalog]:
    built = build_ask_catalog(f"sqlite:///{tmp_path}/ask.db")
    # A load that reads the lake dataset's columns by position ($1 is ssn: its writer's
    # first column), so the narrow read must name them as the whole walk does.
    hr = Dataset.parse("s3://lake/hr/employees/")
    raw = Dataset.parse("snowflake:HR.RAW.EMPLOYEES")
    positional = (ColumnMapping("$1", "SSN"), ColumnMapping("$2", "FULL_NAME"))
    built.lineage.upsert([LineageEdge(hr, raw, Origin.SQL, columns=positional)], 0.9)
    yield built
    built.catalog.engine.dispose()


class _Recording:
    """The SQL lineage store, recording the endpoints every edge read asks for."""

    def __init__(self, store: SqlLineageStore, narrow: bool) -> None:
        self.store = store
        self.narrow = narrow
        self.read: list[tuple[str, bool]] = []

    def __getattr__(self, name: str) -> Any:
        if name == "edges_naming" and not self.narrow:
            raise AttributeError(name)  # a store without the narrow read
        return getattr(self.store, name)

    def edges_of(self, uris: Sequence[str], downstream: bool) -> list[LineageEdge]:
        self.read.extend((u, downstream) for u in uris)
        return self.store.edges_of(uris, downstream)


class _Narrow(_Recording):
    def edges_naming(
        self, uris: Sequence[str], downstream: bool, columns: Any
    ) -> list[LineageEdge]:
        self.read.extend((u, downstream) for u in uris)
        return self.store.edges_naming(uris, downstream, columns)


def _service(catalog: AskCatalog, store: _Recording) -> AskService:
    lineage = LineageService(
        store, catalog.review, catalog.service().lineage.settings, catalog.datasets
    )  # type: ignore[arg-type]
    return AskService(catalog.datasets, lineage, catalog.alerts, catalog.review)


def _answer(answer: AskAnswer) -> tuple[Any, ...]:
    assert answer.understood, answer.interpretation
    return (answer.interpretation, answer.count, [i.to_dict() for i in answer.items])


def test_the_walk_stops_where_a_hop_masks_the_entity(catalog: AskCatalog) -> None:
    store = _Narrow(catalog.lineage, narrow=True)
    assert isinstance(store, LineageColumnReader)
    answer = _service(catalog, store).ask("where do emails flow unmasked")
    assert {i.name for i in answer.items} == {
        "s3://lake/crm/customers/ email",  # written by appdb.public.customers
        "s3://lake/exports/users/ email",
        "snowflake:ANALYTICS.PUBLIC.USERS EMAIL",
    }
    downstream = {u for u, down in store.read if down}
    # CUSTOMERS takes the email hashed (sha2): nothing past it is read, nor past the lake
    # datasets that hold no email.
    assert "snowflake:ANALYTICS.CRM.CUSTOMERS" not in downstream
    assert "looker:explore/thelook::customers" not in downstream
    assert "s3://lake/hr/employees/" not in downstream
    assert "snowflake:ANALYTICS.PUBLIC.USERS" in downstream  # took the email unmasked


def test_the_whole_walk_is_not_read_for_a_masked_entity(catalog: AskCatalog) -> None:
    store = _Narrow(catalog.lineage, narrow=True)
    answer = _service(catalog, store).ask("where do card numbers flow masked")
    assert [i.uri for i in answer.items] == ["snowflake:FINANCE.PUBLIC.TRANSACTIONS.CARD_LAST4"]
    # The card number is masked on its one hop: the dashboard beyond is never read.
    assert ("snowflake:FINANCE.PUBLIC.TRANSACTIONS", True) not in store.read


def test_positional_sources_are_named_on_the_narrow_read(catalog: AskCatalog) -> None:
    answer = _service(catalog, _Narrow(catalog.lineage, narrow=True)).ask(
        "Where do SSNs flow unmasked?"
    )
    whys = {i.name: i.why for i in answer.items}
    assert whys["snowflake:HR.RAW.EMPLOYEES SSN"] == (
        "US_SSN: s3://lake/hr/employees/ ssn → snowflake:HR.RAW.EMPLOYEES SSN "
        "(unmasked; sql lineage)"
    )


@pytest.mark.parametrize("question", QUESTIONS)
def test_same_answer_as_reading_every_edge(catalog: AskCatalog, question: str) -> None:
    narrow = _service(catalog, _Narrow(catalog.lineage, narrow=True)).ask(question, limit=500)
    whole_store = _Recording(catalog.lineage, narrow=False)
    assert not isinstance(whole_store, LineageColumnReader)
    whole = _service(catalog, whole_store).ask(question, limit=500)
    assert _answer(narrow) == _answer(whole)


def test_edges_naming_keeps_the_hops_the_columns_take(catalog: AskCatalog) -> None:
    store = catalog.lineage
    crm = "s3://lake/crm/customers/"
    assert [e.target.uri for e in store.edges_naming([crm], True, {"phone"})] == [
        "snowflake:ANALYTICS.CRM.CUSTOMERS"
    ]
    assert store.edges_naming([crm], True, {"PHONE", "amount"}) == []  # exact names
    # Entering: named on the target side.
    assert [e.source.uri for e in store.edges_naming([crm], False, {"email"})] == [
        "postgres:appdb.public.customers"
    ]
    # No column map: the whole dataset flows on, whatever the columns.
    sf = "snowflake:ANALYTICS.CRM.CUSTOMERS"
    assert [e.target.uri for e in store.edges_naming([sf], True, set())] == [
        "looker:explore/thelook::customers"
    ]
    # Positional sources are kept (named later), and edges read whole are the same edges.
    hr = "s3://lake/hr/employees/"
    assert store.edges_naming([hr], True, set()) == [
        e for e in store.edges_of([hr], True) if e.target.uri == "snowflake:HR.RAW.EMPLOYEES"
    ]
