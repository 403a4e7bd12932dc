"""``ReviewQueue``, ``ReviewService`` and ``LineageService`` on the in-memory fakes of their ports.

No database and no Atlan: the services see only :mod:`worker.core.ports`, so the fakes in
``tests/support/fakes.py`` are enough (``test_store_contracts.py`` checks that the fakes
and the SQL stores agree). The first two tests are ``test_pipeline.py``'s review-queue tests
with the fakes in place of SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from classifiers.base import Classifier
from models import ObjectRef
from models.lineage import ColumnMapping, Dataset, LineageEdge, LineageFindings, Origin
from models.plan import Suggestion
from models.review import Role, SuggestionFilter, SuggestionState, SuggestionView, User
from tests.support.fakes import (
    FakeCatalogWriter,
    FakeClassifier,
    InMemoryLineageStore,
    InMemoryLocalCatalog,
    InMemoryObjectStore,
    InMemoryReviewStore,
)
from worker.core.errors import InvalidDecision, PermissionDenied
from worker.core.pipeline import Deps, EnrichOptions, enrich_object
from worker.core.ports import CatalogWriter, LineageStore, ReviewStore
from worker.core.settings import AtlanSettings, Settings
from worker.services.lineage.service import LineageService
from worker.services.review.queue import ReviewQueue
from worker.services.review.service import ReviewService

CSV = b"id,email,amount\n" + b"".join(
    f"{i},user{i}@example.com,{i * 1.5}\n".encode() for i in range(50)
)
ANN = User("ann", Role.STEWARD)
VIC = User("vic", Role.VIEWER)
PG = Dataset.parse("postgres:appdb.public.customers")
S3 = Dataset.parse("s3://lake/exports/customers/")

# The fakes satisfy the ports (mypy checks these lines).
_PORTS: tuple[ReviewStore, LineageStore, CatalogWriter] = (
    InMemoryReviewStore(),
    InMemoryLineageStore(),
    FakeCatalogWriter(),
)


def _classifiers() -> list[Classifier]:
    # FakeClassifier.labels is a one-tuple where the protocol says tuple[str, ...].
    return [FakeClassifier()]  # type: ignore[list-item]


def _suggestion(
    uri: str, tag: str = "PII Email", column: str | None = "email", **kw: object
) -> Suggestion:
    fields: dict[str, object] = {
        "object_uri": uri,
        "qualified_name": "",
        "kind": "tag",
        "tag": tag,
        "entity": "EMAIL_ADDRESS",
        "column": column,
        "confidence": 0.7,
        "reason": "test",
        "evidence": {},
        "classifier_version": "fake=1",
    }
    fields.update(kw)
    return Suggestion(**fields)  # type: ignore[arg-type]


def _pending(store: InMemoryReviewStore, uri: str, *items: Suggestion) -> list[int]:
    store.sync(uri, list(items) or [_suggestion(uri)])
    return [s.id for s in store.page(SuggestionFilter(object_uri=uri)).items]


# --- ReviewQueue ------------------------------------------------------------------------------


def test_a_scan_fills_the_review_queue_and_respects_decisions() -> None:
    review = InMemoryReviewStore()
    settings = Settings(atlan=AtlanSettings(write_policy="suggest"))
    deps = Deps(
        InMemoryObjectStore({"s3://lake/a.csv": CSV}),
        _classifiers(),
        InMemoryLocalCatalog(),
        ReviewQueue(review, settings),
    )
    ref = ObjectRef.parse("s3://lake/a.csv")
    enrich_object(ref, deps, EnrichOptions(run_id="r"))
    (s,) = review.page(SuggestionFilter()).items
    assert (s.tag, s.column, s.kind) == ("PII Email", "email", "tag")
    review.decide([s.id], False, "ann", "test data")
    enrich_object(ref, deps, EnrichOptions(run_id="r", force=True))
    assert review.count(SuggestionFilter()) == 0
    assert review.count(SuggestionFilter(state=SuggestionState.REJECTED)) == 1


def test_pii_in_a_dataset_with_lineage_becomes_suggestions_on_table_columns() -> None:
    catalog = InMemoryLocalCatalog()
    lineage = InMemoryLineageStore(catalog)
    lineage.upsert([LineageEdge(PG, S3, Origin.DECLARED, columns=(
        ColumnMapping("email_address", "email"), ColumnMapping("id", "id")))], 0.85)  # fmt: skip
    review = InMemoryReviewStore()
    uri = "s3://lake/exports/customers/dt=2025-01-01/part-0.csv"
    deps = Deps(InMemoryObjectStore({uri: CSV}), _classifiers(), catalog,
                ReviewQueue(review, Settings(), lineage))  # fmt: skip
    enrich_object(ObjectRef.parse(uri), deps, EnrichOptions(run_id=catalog.start_run("t", [])))
    (s,) = review.page(SuggestionFilter(object_uri=PG.uri)).items
    assert (s.column, s.tag, s.kind) == ("email_address", "PII Email", "tag")
    assert "exported to s3://lake/exports/customers/ as email" in s.reason


def test_the_queue_ignores_what_was_not_classified() -> None:
    queue = ReviewQueue(InMemoryReviewStore(), Settings())
    deps = Deps(InMemoryObjectStore({"s3://lake/empty.csv": b""}), _classifiers(),
                InMemoryLocalCatalog(), queue)  # fmt: skip
    result = enrich_object(ObjectRef.parse("s3://lake/empty.csv"), deps, EnrichOptions())
    assert queue.observe(result) is None
    assert queue.desired(result) is None


# --- ReviewService ----------------------------------------------------------------------------


def _service(
    writer: FakeCatalogWriter | None = None,
    lineage: InMemoryLineageStore | None = None,
    tagger: FakeTableTagger | None = None,
) -> ReviewService[InMemoryReviewStore, None, FakeCatalogWriter, InMemoryLineageStore]:
    return ReviewService(InMemoryReviewStore(), None, writer, lineage, tagger)


class FakeTableTagger:
    """Confirms every table column tag except those on ``refused`` tables."""

    def __init__(self, refused: Sequence[str] = ()) -> None:
        self.refused = set(refused)
        self.tagged: list[int] = []

    def tag_table_columns(
        self, approved: Sequence[SuggestionView]
    ) -> tuple[list[int], dict[int, str]]:
        done = [s.id for s in approved if s.object_uri not in self.refused]
        self.tagged.extend(done)
        return done, {s.id: "no such table" for s in approved if s.object_uri in self.refused}


def test_an_approval_is_written_to_the_catalog_and_marked_applied() -> None:
    writer = FakeCatalogWriter()
    service = _service(writer)
    (sid,) = _pending(service.store, "s3://lake/a.csv")
    report = service.approve(ANN, [sid], "looks right", address="10.0.0.1")
    assert (report.applied, report.waiting) == (1, {})
    assert report.summary() == "1 suggestion approved; 1 applied"
    assert writer.applied == [(sid, "ann")]
    s = service.store.get(sid)
    assert (s.state, s.decided_by, s.decision_reason) == (
        SuggestionState.APPLIED,
        "ann",
        "looks right",
    )
    actions = [(e.action, e.address) for e in service.store.audit]
    assert actions == [("suggestion.approve", "10.0.0.1"), ("suggestion.applied", None)]


def test_an_approval_waits_while_the_catalog_is_down_and_is_delivered_later() -> None:
    writer = FakeCatalogWriter(unavailable="Atlan is unavailable")
    service = _service(writer)
    (sid,) = _pending(service.store, "s3://lake/a.csv")
    report = service.approve(ANN, [sid])
    assert report.applied == 0 and report.waiting == {sid: "Atlan is unavailable"}
    s = service.store.get(sid)
    assert (s.state, s.apply_error) == (SuggestionState.APPROVED, "Atlan is unavailable")
    writer.unavailable = None
    flushed = service.apply_approved()
    assert flushed.applied == 1 and service.store.get(sid).state is SuggestionState.APPLIED


def test_without_a_writer_approvals_wait_and_local_files_are_final() -> None:
    service = _service()
    (remote,) = _pending(service.store, "s3://lake/a.csv")
    (local,) = _pending(service.store, "/data/a.csv")
    report = service.approve(ANN, [remote, local])
    assert report.applied == 1 and report.waiting == {remote: "Atlan is not enabled"}
    assert service.store.get(local).state is SuggestionState.APPLIED
    assert service.store.audit[-1].actor == "s3-enricher"
    assert service.store.get(remote).state is SuggestionState.APPROVED


def test_permissions_and_reasons_are_checked() -> None:
    service = _service(FakeCatalogWriter())
    (sid,) = _pending(service.store, "s3://lake/a.csv")
    with pytest.raises(PermissionDenied):
        service.approve(VIC, [sid])
    with pytest.raises(InvalidDecision, match="reason"):
        service.reject(ANN, [sid], "  ")
    service.reject(ANN, [sid], "test data")
    with pytest.raises(InvalidDecision, match="final"):
        service.approve(ANN, [sid])
    assert service.queue(VIC, SuggestionFilter(state=None), "object", 0, 10).total == 1


def test_a_bulk_decision_needs_the_count_the_steward_saw() -> None:
    service = _service(FakeCatalogWriter())
    _pending(service.store, "s3://lake/a.csv", _suggestion("s3://lake/a.csv"),
             _suggestion("s3://lake/a.csv", column="email2"))  # fmt: skip
    f = SuggestionFilter(uri_pattern="s3://lake/*")
    with pytest.raises(InvalidDecision, match="queue changed"):
        service.bulk(ANN, f, True, None, expected=3)
    report = service.bulk(ANN, f, True, None, expected=2)
    assert report.applied == 2
    (entry,) = [e for e in service.store.audit if e.action.startswith("bulk.")]
    assert entry.after == {"state": "approved", "count": 2}


def test_decisions_on_lineage_suggestions_set_the_edge_state() -> None:
    lineage = InMemoryLineageStore()
    edges = [
        LineageEdge(PG, S3, Origin.INFERRED, confidence=0.5),
        LineageEdge(Dataset.parse("postgres:appdb.public.orders"),
                    Dataset.parse("s3://lake/exports/orders/"), Origin.INFERRED, confidence=0.5),
    ]  # fmt: skip
    service = _service(FakeCatalogWriter(), lineage)
    LineageService(lineage, service.store, Settings()).load(LineageFindings(edges=edges))
    ids = {s.evidence["lineage_edge"]: s.id for s in service.store.page(SuggestionFilter()).items}
    report = service.approve(ANN, [ids[edges[0].id]])
    service.reject(ANN, [ids[edges[1].id]], "not the same data")
    assert report.applied == 1
    assert lineage.state_of(edges[0].id) == "applied"
    assert lineage.state_of(edges[1].id) == "rejected"


def test_table_column_tags_go_through_the_table_tagger() -> None:
    tagger = FakeTableTagger(refused=["snowflake:wh.public.gone"])
    service = _service(FakeCatalogWriter(), tagger=tagger)
    (ok,) = _pending(service.store, PG.uri, _suggestion(PG.uri))
    (gone,) = _pending(service.store, "snowflake:wh.public.gone",
                       _suggestion("snowflake:wh.public.gone"))  # fmt: skip
    report = service.approve(ANN, [ok, gone])
    assert tagger.tagged == [ok]
    assert report.applied == 1 and report.waiting == {gone: "no such table"}
    assert service.store.get(gone).apply_error == "no such table"
    untagged = _service(FakeCatalogWriter())
    (sid,) = _pending(untagged.store, PG.uri, _suggestion(PG.uri))
    assert untagged.approve(ANN, [sid]).waiting == {sid: "Atlan is not enabled"}


# --- LineageService ---------------------------------------------------------------------------


def test_load_queues_uncertain_edges_and_derives_table_suggestions() -> None:
    lineage = InMemoryLineageStore()
    lineage.findings.append((S3.uri + "part-0.csv", "email", "EMAIL_ADDRESS", 0.9))
    review = InMemoryReviewStore()
    service = LineageService(lineage, review, Settings())
    declared = LineageEdge(
        PG, S3, Origin.DECLARED, columns=(ColumnMapping("email_address", "email"),)
    )
    guess = LineageEdge(Dataset.parse("s3://lake/other/"), Dataset.parse("postgres:appdb.public.x"),
                        Origin.INFERRED, confidence=0.4)  # fmt: skip
    report = service.load(LineageFindings(edges=[declared, guess]))
    assert (report.edges, report.new, report.suggested, report.evidence) == (2, 2, 1, 1)
    (item,) = review.page(SuggestionFilter(kind="lineage")).items
    assert (item.object_uri, item.tag) == ("s3://lake/other/", "postgres:appdb.public.x")
    (tag,) = review.page(SuggestionFilter(object_uri=PG.uri)).items
    assert (tag.column, tag.tag) == ("email_address", "PII Email")
    again = service.load(LineageFindings(edges=[declared, guess]))
    assert (again.new, again.unchanged, again.suggested, again.evidence) == (0, 2, 0, 0)


def test_impact_and_show_walk_the_applied_edges_with_their_pii() -> None:
    lineage = InMemoryLineageStore()
    lineage.findings.append((S3.uri + "part-0.csv", "email", "EMAIL_ADDRESS", 0.9))
    snow = Dataset.parse("snowflake:wh.public.customers")
    lineage.upsert([
        LineageEdge(PG, S3, Origin.DECLARED, columns=(ColumnMapping("email_address", "email"),)),
        LineageEdge(S3, snow, Origin.SQL, columns=(ColumnMapping("email", "email"),)),
    ], 0.85)  # fmt: skip
    service = LineageService(lineage, InMemoryReviewStore(), Settings())
    start, nodes, _graph = service.impact(PG.uri)
    assert start.dataset == PG
    assert [n.dataset for n in nodes] == [S3, snow]
    assert service.resolve(S3.uri + "part-0.csv", service.graph())[0] == S3
    first, up, down, _ = service.show(S3.uri)
    assert (
        first.dataset == S3
        and [n.dataset for n in up] == [PG]
        and [n.dataset for n in down] == [snow]
    )
