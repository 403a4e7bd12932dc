"""The core function with fakes for every port (cosmicpython style: assert outcomes)."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from models import ObjectRef, ObjectStatus
from tests.support.fakes import FakeClassifier, InMemoryLocalCatalog, InMemoryObjectStore
from worker.core.errors import BucketNotFound, RunError, StoreUnavailable
from worker.core.pipeline import Deps, EnrichOptions, enrich_object

CSV = b"id,email,amount\n" + b"".join(
    f"{i},user{i}@example.com,{i * 1.5}\n".encode() for i in range(50)
)


def _parquet() -> bytes:
    buf = io.BytesIO()
    table = pa.table(
        {"id": list(range(20)), "contact_email": [f"p{i}@example.org" for i in range(20)]}
    )
    pq.write_table(table, buf)
    return buf.getvalue()


@pytest.fixture
def deps() -> Deps:
    store = InMemoryObjectStore(
        {
            "s3://lake/a.csv": CSV,
            "s3://lake/b.parquet": _parquet(),
            "s3://lake/empty.csv": b"",
            "s3://lake/broken.parquet": _parquet()[:-10],
        }
    )
    return Deps(store=store, classifiers=[FakeClassifier()], catalog=InMemoryLocalCatalog())


def test_classifies_csv_and_parquet(deps: Deps) -> None:
    for uri, column, fmt in [
        ("s3://lake/a.csv", "email", "csv"),
        ("s3://lake/b.parquet", "contact_email", "parquet"),
    ]:
        result = enrich_object(ObjectRef.parse(uri), deps, EnrichOptions(run_id="r"))
        assert result.status is ObjectStatus.CLASSIFIED, result.error
        assert result.sample is not None and result.sample.format == fmt
        flagged = {c.column: [e.entity for e in c.entities] for c in result.columns}
        assert flagged[column] == ["EMAIL_ADDRESS"]
        assert result.bytes_read > 0
        assert result.classifier_versions == {"fake": "1"}


def test_unchanged_object_is_skipped_unless_forced(deps: Deps) -> None:
    ref = ObjectRef.parse("s3://lake/a.csv")
    first = enrich_object(ref, deps, EnrichOptions(run_id="r"))
    assert first.status is ObjectStatus.CLASSIFIED
    again = enrich_object(ref, deps, EnrichOptions(run_id="r"))
    assert again.status is ObjectStatus.SKIPPED and again.error is not None
    assert again.error.kind == "unchanged" and again.bytes_read == 0
    forced = enrich_object(ref, deps, EnrichOptions(run_id="r", force=True))
    assert forced.status is ObjectStatus.CLASSIFIED
    # a new classifier version invalidates the previous result
    deps2 = Deps(deps.store, [FakeClassifier(version="2")], deps.catalog)
    assert enrich_object(ref, deps2, EnrichOptions(run_id="r")).status is ObjectStatus.CLASSIFIED


def test_bad_objects_become_results_not_exceptions(deps: Deps) -> None:
    empty = enrich_object(ObjectRef.parse("s3://lake/empty.csv"), deps, EnrichOptions())
    assert (
        empty.status is ObjectStatus.SKIPPED and empty.error and empty.error.kind == "empty_object"
    )
    broken = enrich_object(ObjectRef.parse("s3://lake/broken.parquet"), deps, EnrichOptions())
    assert broken.status is ObjectStatus.FAILED
    assert broken.error is not None and broken.error.kind == "truncated_parquet"
    gone = enrich_object(ObjectRef.parse("s3://lake/gone.csv"), deps, EnrichOptions())
    assert (
        gone.status is ObjectStatus.SKIPPED and gone.error and gone.error.kind == "object_vanished"
    )


def test_failing_classifier_is_a_warning_without_values(deps: Deps) -> None:
    deps2 = Deps(deps.store, [FakeClassifier(fail=True), FakeClassifier(version="2")], deps.catalog)
    result = enrich_object(ObjectRef.parse("s3://lake/a.csv"), deps2, EnrichOptions())
    assert result.status is ObjectStatus.CLASSIFIED
    assert any("RuntimeError" in w for w in result.warnings)
    assert "secret@example.com" not in repr(result.warnings)
    only_failing = Deps(deps.store, [FakeClassifier(fail=True)], deps.catalog)
    failed = enrich_object(ObjectRef.parse("s3://lake/a.csv"), only_failing, EnrichOptions())
    assert failed.status is ObjectStatus.FAILED and failed.error is not None
    assert failed.error.kind == "classification_failed"
    assert "secret@example.com" not in failed.error.message


def test_run_errors_propagate(deps: Deps) -> None:
    class Down(InMemoryObjectStore):
        def head(self, ref: ObjectRef):  # type: ignore[no-untyped-def]
            raise BucketNotFound("bucket lake does not exist")

    with pytest.raises(RunError):
        enrich_object(
            ObjectRef.parse("s3://lake/a.csv"), Deps(Down(), [], deps.catalog), EnrichOptions()
        )


def test_records_results_in_the_catalog(deps: Deps) -> None:
    catalog = deps.catalog
    assert isinstance(catalog, InMemoryLocalCatalog)
    enrich_object(ObjectRef.parse("s3://lake/a.csv"), deps, EnrichOptions(run_id="r"))
    enrich_object(
        ObjectRef.parse("s3://lake/b.parquet"), deps, EnrichOptions()
    )  # no run: not recorded
    assert list(catalog.results) == ["s3://lake/a.csv"]


def test_object_overwritten_after_listing_samples_the_new_version(deps: Deps) -> None:
    store = deps.store
    assert isinstance(store, InMemoryObjectStore)
    (listed,) = [i for i in store.list_objects("s3://lake/") if i.ref.name == "a.csv"]
    store.put("s3://lake/a.csv", CSV.replace(b"amount", b"total"))
    result = enrich_object(listed, deps, EnrichOptions())
    assert result.status is ObjectStatus.CLASSIFIED
    assert result.info is not None and result.info.etag != listed.etag
    assert [c.column for c in result.columns] == ["id", "email", "total"]


def test_object_deleted_after_listing_is_skipped(deps: Deps) -> None:
    store = deps.store
    assert isinstance(store, InMemoryObjectStore)
    (listed,) = [i for i in store.list_objects("s3://lake/") if i.ref.name == "a.csv"]
    del store.objects["s3://lake/a.csv"]
    result = enrich_object(listed, deps, EnrichOptions())
    assert result.status is ObjectStatus.SKIPPED
    assert result.error is not None and result.error.kind == "object_vanished"


class RecordingReview:
    """A ReviewObserver that remembers what it was told."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def observe(self, result: object) -> None:
        self.seen.append((result.ref.uri, result.status.value))  # type: ignore[attr-defined]


def test_recorded_results_reach_the_review_queue(deps: Deps) -> None:
    review = RecordingReview()
    with_review = Deps(deps.store, deps.classifiers, deps.catalog, review)
    enrich_object(ObjectRef.parse("s3://lake/a.csv"), with_review, EnrichOptions(run_id="r"))
    enrich_object(ObjectRef.parse("s3://lake/empty.csv"), with_review, EnrichOptions(run_id="r"))
    enrich_object(ObjectRef.parse("s3://lake/b.parquet"), with_review, EnrichOptions())
    # Every recorded result is told (the queue itself ignores unclassified ones); an
    # unrecorded call (no run) is not.
    assert review.seen == [("s3://lake/a.csv", "classified"), ("s3://lake/empty.csv", "skipped")]


def test_a_scan_fills_the_review_queue_and_respects_decisions(tmp_path: object) -> None:
    from models.review import SuggestionFilter, SuggestionState
    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.adapters.catalog.review_store import SqlReviewStore
    from worker.core.settings import AtlanSettings, Settings
    from worker.services.review.queue import ReviewQueue

    store = InMemoryObjectStore({"s3://lake/a.csv": CSV})
    review = SqlReviewStore(SqlLocalCatalog(f"sqlite:///{tmp_path}/c.db"))
    settings = Settings(atlan=AtlanSettings(write_policy="suggest"))
    deps = Deps(store, [FakeClassifier()], InMemoryLocalCatalog(), ReviewQueue(review, settings))
    ref = ObjectRef.parse("s3://lake/a.csv")
    enrich_object(ref, deps, EnrichOptions(run_id="r"))
    (s,) = review.page(SuggestionFilter()).items
    assert (s.tag, s.column, s.kind) == ("PII Email", "email", "tag")
    review.decide([s.id], False, "ann", "test data")
    enrich_object(ref, deps, EnrichOptions(run_id="r", force=True))
    assert review.count(SuggestionFilter()) == 0
    assert review.count(SuggestionFilter(state=SuggestionState.REJECTED)) == 1


def test_pii_in_a_dataset_with_lineage_becomes_suggestions_on_table_columns(
    tmp_path: object,
) -> None:
    from models.lineage import ColumnMapping, Dataset, LineageEdge, Origin
    from models.review import SuggestionFilter
    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.adapters.catalog.lineage_store import SqlLineageStore
    from worker.adapters.catalog.review_store import SqlReviewStore
    from worker.core.settings import Settings
    from worker.services.review.queue import ReviewQueue

    catalog = SqlLocalCatalog(f"sqlite:///{tmp_path}/c.db")
    lineage = SqlLineageStore(catalog)
    pg = Dataset.parse("postgres:appdb.public.customers")
    s3 = Dataset.parse("s3://lake/exports/customers/")
    lineage.upsert([LineageEdge(pg, s3, Origin.DECLARED, columns=(
        ColumnMapping("email_address", "email"), ColumnMapping("id", "id")))], 0.85)  # fmt: skip
    review = SqlReviewStore(catalog)
    uri = "s3://lake/exports/customers/dt=2025-01-01/part-0.csv"
    deps = Deps(InMemoryObjectStore({uri: CSV}), [FakeClassifier()], catalog,
                ReviewQueue(review, Settings(), lineage))  # fmt: skip
    enrich_object(ObjectRef.parse(uri), deps, EnrichOptions(run_id=catalog.start_run("t", [])))
    (s,) = review.page(SuggestionFilter(object_uri=pg.uri)).items
    assert (s.column, s.tag, s.kind) == ("email_address", "PII Email", "tag")
    assert "exported to s3://lake/exports/customers/ as email" in s.reason
    catalog.engine.dispose()


# --- Unexpected exceptions (issue 13) ---------------------------------------------------------

SECRET = "olivia.secretson@example.com"


class ExplodingStore(InMemoryObjectStore):
    """Raises a non-EnrichmentError that quotes a value while reading."""

    def read_range(self, info, start, end):  # type: ignore[no-untyped-def]
        raise KeyError(f"lookup failed for {SECRET}")


def _assert_internal(result: object, stage: str, exc_type: str) -> None:
    assert result.status is ObjectStatus.FAILED  # type: ignore[attr-defined]
    error = result.error  # type: ignore[attr-defined]
    assert error is not None and error.kind == "internal_error"
    assert error.message == f"internal error during {stage}: {exc_type}"


def test_unexpected_exception_while_sampling_is_a_failed_result(
    deps: Deps, caplog: pytest.LogCaptureFixture
) -> None:
    store = ExplodingStore({"s3://lake/a.csv": CSV})
    catalog = InMemoryLocalCatalog()
    with caplog.at_level(logging.DEBUG):
        result = enrich_object(
            ObjectRef.parse("s3://lake/a.csv"),
            Deps(store, [FakeClassifier()], catalog),
            EnrichOptions(run_id="r"),
        )
    _assert_internal(result, "sampling", "KeyError")
    assert catalog.results["s3://lake/a.csv"] == result
    assert result.info is not None  # the HEAD worked
    assert SECRET not in caplog.text and "KeyError" in caplog.text


def test_unexpected_exception_while_classifying(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(column: object) -> str:
        raise ValueError(SECRET)

    monkeypatch.setattr("worker.core.pipeline.describe_column", explode)
    result = enrich_object(ObjectRef.parse("s3://lake/a.csv"), deps, EnrichOptions(run_id="r"))
    _assert_internal(result, "classification", "ValueError")
    assert result.bytes_read > 0 and SECRET not in repr(result)


class FlakyCatalog(InMemoryLocalCatalog):
    """Refuses classified results (as a database might refuse a value); ``always``: all."""

    def __init__(self, always: bool = False) -> None:
        super().__init__()
        self.always = always

    def record(self, run_id: str, result: object) -> None:
        if self.always or result.status is ObjectStatus.CLASSIFIED:  # type: ignore[attr-defined]
            raise UnicodeEncodeError("utf-8", SECRET, 0, 1, "surrogates not allowed")
        super().record(run_id, result)  # type: ignore[arg-type]


def test_unexpected_exception_while_recording(deps: Deps) -> None:
    catalog = FlakyCatalog()
    result = enrich_object(
        ObjectRef.parse("s3://lake/a.csv"),
        Deps(deps.store, [FakeClassifier()], catalog),
        EnrichOptions(run_id="r"),
    )
    _assert_internal(result, "recording", "UnicodeEncodeError")
    assert catalog.results["s3://lake/a.csv"] == result
    # A catalog that takes nothing is broken for every object: the caller hears of it.
    with pytest.raises(UnicodeEncodeError):
        enrich_object(
            ObjectRef.parse("s3://lake/a.csv"),
            Deps(deps.store, [FakeClassifier()], FlakyCatalog(always=True)),
            EnrichOptions(run_id="r"),
        )


def test_store_unavailable_still_propagates(deps: Deps) -> None:
    class Throttled(InMemoryObjectStore):
        def read_range(self, info, start, end):  # type: ignore[no-untyped-def]
            raise StoreUnavailable("503 Slow Down")

    with pytest.raises(StoreUnavailable):
        enrich_object(
            ObjectRef.parse("s3://lake/a.csv"),
            Deps(Throttled({"s3://lake/a.csv": CSV}), [], deps.catalog),
            EnrichOptions(),
        )


def test_scan_reports_every_object_and_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``enricher scan``: a nesting bomb and an unexpected exception are two failed entries
    of the report; the objects after them are classified; exit status 3."""
    from click.testing import CliRunner

    from tests.support.badfiles import deep_json
    from worker.cli.app import cli
    from worker.core import pipeline

    lake = tmp_path / "lake"
    lake.mkdir()
    (lake / "a_deep.jsonl").write_bytes(deep_json())
    (lake / "b_boom.csv").write_bytes(CSV)
    (lake / "c_good.csv").write_bytes(CSV)
    real = pipeline.sample_object  # type: ignore[attr-defined]  # patched where it is used

    def sample_or_explode(reader, options):  # type: ignore[no-untyped-def]
        if reader.info.ref.name == "b_boom.csv":
            raise RuntimeError(f"vendor bug on {SECRET}")
        return real(reader, options)

    monkeypatch.setattr(pipeline, "sample_object", sample_or_explode)
    report = tmp_path / "report.json"
    env = {
        "ENRICH_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
        "ENRICH_PII__ENABLED": "false",
        "ENRICH_BUSINESS__ENABLED": "false",
    }
    outcome = CliRunner().invoke(
        cli, ["scan", str(lake), "--report", str(report), "--format", "json"], env=env
    )
    assert outcome.exit_code == 3, outcome.output
    objects = {o["uri"].rsplit("/", 1)[-1]: o for o in json.loads(report.read_text())["objects"]}
    assert objects["a_deep.jsonl"]["error"]["kind"] == "nesting_too_deep"
    assert objects["b_boom.csv"]["error"] == {
        "kind": "internal_error",
        "message": "internal error during sampling: RuntimeError",
    }
    assert objects["c_good.csv"]["status"] == "classified"
    assert SECRET not in report.read_text() and SECRET not in outcome.output


def test_a_table_without_names_or_text_never_loads_spacy() -> None:
    """The pipeline leaves loading to the classifiers: ids, e-mails and amounts need no NER,
    so a one-off scan of them does not pay for spaCy's load."""
    from classifiers.pii import PiiClassifier

    pii = PiiClassifier()
    store = InMemoryObjectStore({"s3://lake/a.csv": CSV})
    deps = Deps(store=store, classifiers=[pii], catalog=InMemoryLocalCatalog())
    result = enrich_object(ObjectRef.parse("s3://lake/a.csv"), deps, EnrichOptions(run_id="r"))
    assert result.status is ObjectStatus.CLASSIFIED, result.error
    flagged = {c.column: [e.entity for e in c.entities] for c in result.columns}
    assert flagged["email"] == ["EMAIL_ADDRESS"]
    assert not pii.loaded
