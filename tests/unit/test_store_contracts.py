"""The SQL stores and their in-memory fakes behave the same on what the services use.

Each test runs twice: on ``SqlReviewStore``/``SqlLineageStore`` over SQLite and on
``InMemoryReviewStore``/``InMemoryLineageStore`` (``tests/support/fakes.py``). A test that
passes on one and fails on the other means the fake lies, and the service tests on fakes
(``test_services_on_fakes.py``) would prove nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from classifiers.base import Classifier
from models import ObjectRef
from models.lineage import ColumnMapping, Dataset, LineageEdge, Origin
from models.plan import Suggestion
from models.review import SuggestionFilter, SuggestionState
from tests.support.fakes import (
    FakeClassifier,
    InMemoryLineageStore,
    InMemoryLocalCatalog,
    InMemoryObjectStore,
    InMemoryReviewStore,
)
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.adapters.catalog.lineage_store import SqlLineageStore
from worker.adapters.catalog.review_store import SqlReviewStore
from worker.core.errors import InvalidDecision, SuggestionNotFound
from worker.core.pipeline import Deps, EnrichOptions, enrich_object
from worker.core.ports import LineageStore, LocalCatalog, ReviewStore

IMPLEMENTATIONS = ["sql", "memory"]
ANY = SuggestionFilter(state=None)


@pytest.fixture(params=IMPLEMENTATIONS)
def review(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReviewStore]:
    if request.param == "memory":
        yield InMemoryReviewStore()
        return
    catalog = SqlLocalCatalog(f"sqlite:///{tmp_path}/review.db")
    yield SqlReviewStore(catalog)
    catalog.engine.dispose()


@dataclass
class Lineage:
    store: LineageStore
    catalog: LocalCatalog

    def scan(self, uri: str, data: bytes) -> None:
        """Classify one object into the catalog (the findings ``s3_findings`` reads)."""
        classifiers: list[Classifier] = [FakeClassifier()]  # type: ignore[list-item]
        deps = Deps(InMemoryObjectStore({uri: data}), classifiers, self.catalog)
        run = self.catalog.start_run("test", [uri])
        enrich_object(ObjectRef.parse(uri), deps, EnrichOptions(run_id=run))


@pytest.fixture(params=IMPLEMENTATIONS)
def lineage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Lineage]:
    if request.param == "memory":
        memory = InMemoryLocalCatalog()
        yield Lineage(InMemoryLineageStore(memory), memory)
        return
    catalog = SqlLocalCatalog(f"sqlite:///{tmp_path}/lineage.db")
    yield Lineage(SqlLineageStore(catalog), catalog)
    catalog.engine.dispose()


def _s(uri: str, tag: str = "PII Email", column: str | None = "email", kind: str = "tag",
       confidence: float | None = 0.7, version: str = "fake=1") -> Suggestion:  # fmt: skip
    return Suggestion(uri, "", kind, tag, "EMAIL_ADDRESS", column, confidence, "why",
                      {"rows": 3}, version)  # fmt: skip


def _rows(
    store: ReviewStore, f: SuggestionFilter = ANY, sort: str = "object"
) -> list[tuple[object, ...]]:
    return [
        (s.object_uri, s.kind, s.tag, s.column, s.state.value, s.confidence)
        for s in store.page(f, sort=sort, limit=500).items
    ]


def _ids(store: ReviewStore, f: SuggestionFilter = ANY) -> list[int]:
    return [s.id for s in store.page(f, sort="object", limit=500).items]


# --- ReviewStore ------------------------------------------------------------------------------


def test_sync_inserts_refreshes_and_supersedes(review: ReviewStore) -> None:
    a = "s3://lake/a.csv"
    first = review.sync(a, [_s(a), _s(a, "PII Phone", "phone"), _s(a, "finance", None, "category")])
    assert (first.new, first.refreshed, first.superseded) == (3, 0, 0)
    second = review.sync(a, [_s(a, confidence=0.9)], kinds={"tag"})
    assert (second.new, second.refreshed, second.superseded) == (0, 1, 1)
    assert _rows(review) == [
        (a, "category", "finance", None, "pending", 0.7),
        (a, "tag", "PII Email", "email", "pending", 0.9),
        (a, "tag", "PII Phone", "phone", "superseded", 0.7),
    ]
    kept = review.sync(a, [], supersede=False)
    assert (kept.new, kept.refreshed, kept.superseded) == (0, 0, 0)
    with pytest.raises(ValueError, match="synced as"):
        review.sync(a, [_s("s3://lake/b.csv")])


def test_decisions_stand_against_later_scans(review: ReviewStore) -> None:
    a = "s3://lake/a.csv"
    review.sync(a, [_s(a), _s(a, "PII Phone", "phone"), _s(a, "PII Email", None, "tag-removal")])
    removal, email, phone = _ids(review)  # by object, column (NULL first), id
    review.decide([email], True, "ann")
    review.decide([phone, removal], False, "ann", "test data")
    decisions = review.decisions_for(a)
    assert {k: (d.state, d.decided_by) for k, d in decisions.items()} == {
        ("tag", "PII Email", "email"): (SuggestionState.APPROVED, "ann"),
        ("tag", "PII Phone", "phone"): (SuggestionState.REJECTED, "ann"),
        ("tag-removal", "PII Email", None): (SuggestionState.REJECTED, "ann"),
    }
    again = review.sync(a, [_s(a), _s(a, "PII Email", None, "tag-removal")], reopen_rejected=False)
    assert (again.new, again.superseded) == (0, 0)
    reopened = review.sync(
        a, [_s(a, "PII Phone", "phone"), _s(a, "PII Email", None, "tag-removal")]
    )
    assert reopened.new == 1  # the rejected phone tag; never a rejected removal
    assert review.count(SuggestionFilter(tag="PII Phone", state=SuggestionState.PENDING)) == 1
    assert review.decisions_for("s3://lake/other.csv") == {}


def test_decide_is_all_or_nothing_and_final(review: ReviewStore) -> None:
    a = "s3://lake/a.csv"
    review.sync(a, [_s(a), _s(a, "PII Phone", "phone")])
    email, phone = _ids(review)
    with pytest.raises(InvalidDecision, match="reason"):
        review.decide([email], False, "ann", "   ")
    with pytest.raises(InvalidDecision, match="longer"):
        review.decide([email], False, "ann", "x" * 2001)
    with pytest.raises(SuggestionNotFound):
        review.decide([email, 999], True, "ann")
    assert review.count(SuggestionFilter()) == 2  # nothing decided
    (done,) = review.decide([email], True, "ann", " fine ", address="10.0.0.1")
    assert (done.state, done.decided_by, done.decision_reason) == (
        SuggestionState.APPROVED,
        "ann",
        "fine",
    )
    with pytest.raises(InvalidDecision, match="final"):
        review.decide([phone, email], False, "bob", "no")
    assert review.count(SuggestionFilter()) == 1


def test_decide_matching_needs_the_confirmed_count(review: ReviewStore) -> None:
    for uri in ("s3://lake/x/a.csv", "s3://lake/x/b.csv", "s3://lake/y/c.csv"):
        review.sync(uri, [_s(uri)])
    f = SuggestionFilter(uri_pattern="s3://lake/x/")
    with pytest.raises(InvalidDecision, match="queue changed"):
        review.decide_matching(f, True, "ann", expected=3)
    with pytest.raises(InvalidDecision, match="no pending"):
        review.decide_matching(SuggestionFilter(tag="nothing"), True, "ann")
    decided = review.decide_matching(f, False, "ann", "test data", expected=2)
    assert [(s.object_uri, s.state) for s in decided] == [
        ("s3://lake/x/a.csv", SuggestionState.REJECTED),
        ("s3://lake/x/b.csv", SuggestionState.REJECTED),
    ]
    with pytest.raises(InvalidDecision, match="no pending"):
        review.decide_matching(f, True, "ann")


def test_page_filters_sorts_and_pages(review: ReviewStore) -> None:
    found = [("s3://lake/a.csv", 0.5), ("s3://lake/b.csv", 0.9), ("s3://data/c.csv", 0.7),
             ("s3://lake/d.json", None)]  # fmt: skip
    for i, (uri, conf) in enumerate(found):
        review.sync(uri, [_s(uri, confidence=conf, version=f"fake={i % 2}")])
    confidences = [r[5] for r in _rows(review, sort="-confidence")]
    assert confidences[:3] == [0.9, 0.7, 0.5]
    assert [r[5] for r in _rows(review, sort="confidence")][-3:] == [0.5, 0.7, 0.9]
    assert [r[0] for r in _rows(review, SuggestionFilter(uri_pattern="s3://lake/*.csv"))] == [
        "s3://lake/a.csv",
        "s3://lake/b.csv",
    ]
    assert review.count(SuggestionFilter(uri_pattern="s3://lake/")) == 3
    assert review.count(SuggestionFilter(uri_pattern="s3://lake/?.csv")) == 2
    assert review.count(SuggestionFilter(min_confidence=0.6, max_confidence=0.9)) == 2
    assert review.count(SuggestionFilter(classifier_version="fake=1")) == 2
    assert review.count(SuggestionFilter(object_uri="s3://data/c.csv", column="email")) == 1
    assert review.count(SuggestionFilter(kind="term")) == 0
    page = review.page(ANY, sort="object", offset=1, limit=2)
    assert (page.total, page.offset, page.limit) == (4, 1, 2)
    assert [s.object_uri for s in page.items] == ["s3://lake/a.csv", "s3://lake/b.csv"]
    clamped = review.page(ANY, offset=-5, limit=0)
    assert (clamped.offset, clamped.limit, len(clamped.items)) == (0, 1, 1)
    with pytest.raises(InvalidDecision, match="unknown sort"):
        review.page(ANY, sort="tag")


def test_approved_then_applied_or_failed(review: ReviewStore) -> None:
    uris = ["s3://lake/a.csv", "s3://lake/b.csv", "s3://lake/c.csv"]
    for uri in uris:
        review.sync(uri, [_s(uri)])
    a, b, c = _ids(review)
    review.decide([b], True, "ann")
    review.decide([a], True, "ann")
    assert [s.id for s in review.approved_unapplied()] == [b, a]  # oldest decision first
    assert [s.id for s in review.approved_unapplied(limit=1)] == [b]
    review.mark_apply_failed([a, c], "Atlan is unavailable")
    review.mark_applied([b, c])
    by_uri = {s.object_uri: s for s in review.page(ANY, sort="object").items}
    assert by_uri[uris[0]].state is SuggestionState.APPROVED
    assert by_uri[uris[0]].apply_error == "Atlan is unavailable"
    assert by_uri[uris[1]].state is SuggestionState.APPLIED and by_uri[uris[1]].applied_at
    assert by_uri[uris[2]].state is SuggestionState.PENDING and by_uri[uris[2]].apply_error is None
    assert [s.id for s in review.approved_unapplied()] == [a]


# --- LineageStore -----------------------------------------------------------------------------

PG = Dataset.parse("postgres:appdb.public.customers")
S3 = Dataset.parse("s3://lake/exports/customers/")
SNOW = Dataset.parse("snowflake:wh.public.customers")
EMAIL = (ColumnMapping("email_address", "email"),)


def _edge(source: Dataset, target: Dataset, origin: Origin, confidence: float = 1.0,
          sql: str | None = None) -> LineageEdge:  # fmt: skip
    return LineageEdge(source, target, origin, confidence, EMAIL, sql=sql)


def _states(store: LineageStore) -> dict[str, str]:
    return {
        e.id: state for state in ("applied", "suggested", "rejected") for e in store.edges([state])
    }


def test_upsert_counts_and_keeps_decisions(lineage: Lineage) -> None:
    store = lineage.store
    guess = _edge(S3, SNOW, Origin.INFERRED, 0.5)
    sure = _edge(PG, S3, Origin.INFERRED, 0.95)
    first = store.upsert([guess, sure, _edge(S3, SNOW, Origin.INFERRED, 0.4)], 0.85)
    assert (first.new, first.updated, first.unchanged, first.suggested) == (2, 0, 0, [guess])
    assert _states(store) == {guess.id: "suggested", sure.id: "applied"}
    same = store.upsert([guess, sure], 0.85)
    assert (same.new, same.updated, same.unchanged, same.suggested) == (0, 0, 2, [guess])
    store.set_state(guess.id, "rejected")
    stays = store.upsert([_edge(S3, SNOW, Origin.INFERRED, 0.99)], 0.85)
    assert (stays.updated, stays.suggested) == (1, [])  # new details, still rejected
    assert _states(store)[guess.id] == "rejected"
    declared = store.upsert([_edge(S3, SNOW, Origin.DECLARED, sql="insert ...")], 0.85)
    assert declared.updated == 1 and _states(store)[guess.id] == "applied"
    weaker = store.upsert([_edge(S3, SNOW, Origin.SQL, sql="other")], 0.85)
    assert weaker.unchanged == 1
    (edge,) = store.edges_of([S3.uri], downstream=True)
    assert (edge.origin, edge.sql) == (Origin.DECLARED, "insert ...")
    with pytest.raises(SuggestionNotFound):
        store.set_state("nope", "applied")


def test_edges_walks_and_containing_datasets(lineage: Lineage) -> None:
    store = lineage.store
    nested = Dataset.parse("s3://lake/exports/customers/eu/")
    edges = [
        _edge(PG, S3, Origin.DECLARED),
        _edge(S3, SNOW, Origin.SQL),
        _edge(PG, nested, Origin.DECLARED),
        _edge(nested, SNOW, Origin.INFERRED, 0.2),
    ]
    store.upsert(edges, 0.85)
    assert [e.id for e in store.edges()] == sorted(e.id for e in edges[:3])
    assert [e.id for e in store.edges(["suggested"])] == [edges[3].id]
    assert {e.target.uri for e in store.edges_of([PG.uri], downstream=True)} == {S3.uri, nested.uri}
    assert [e.source for e in store.edges_of([SNOW.uri], downstream=False)] == [S3]
    assert store.edges_of([SNOW.uri], downstream=True) == []
    found = store.datasets_containing("s3://lake/exports/customers/eu/part-0.csv")
    assert found == [nested, S3]  # longest first
    assert store.datasets_containing("s3://lake/exports/other.csv") == []
    assert store.datasets_containing(PG.uri) == []


def test_s3_findings_come_from_the_scans(lineage: Lineage) -> None:
    csv = b"id,email\n" + b"".join(f"{i},u{i}@example.com\n".encode() for i in range(20))
    lineage.scan("s3://lake/exports/customers/part-0.csv", csv)
    lineage.scan("s3://lake/elsewhere/part-0.csv", csv)
    single = Dataset.parse("s3://lake/exports/customers/part-0.csv")
    found = lineage.store.s3_findings([S3, PG, single, S3])
    assert found == {
        S3.uri: {"email": {"EMAIL_ADDRESS": 0.9}},
        single.uri: {"email": {"EMAIL_ADDRESS": 0.9}},
    }
    assert lineage.store.s3_pii([Dataset.parse("s3://lake/nothing/")]) == {"s3://lake/nothing/": {}}
    assert lineage.store.s3_pii([S3]) == {S3.uri: {"email": {"EMAIL_ADDRESS"}}}


def test_the_fakes_are_the_ports() -> None:
    """Static check (mypy): each fake can stand where its port is expected."""
    stores: tuple[Callable[[], ReviewStore], Callable[[], LineageStore]] = (
        InMemoryReviewStore,
        InMemoryLineageStore,
    )
    assert all(callable(s) for s in stores)
