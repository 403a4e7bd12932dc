"""``enricher scan`` streams (issue 17): the report as results come, no result or sample kept,
the listing consumed as the scan goes, Atlan written in batches.

The scan runs in this process on fakes (an in-memory store, :class:`FakeClassifier`), so no
model loads; memory itself is measured in ``bench/memory.py --scan``.
"""

from __future__ import annotations

import gc
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from models import (
    ColumnFinding,
    ColumnSample,
    EnrichmentResult,
    EntityFinding,
    ErrorInfo,
    Evidence,
    ObjectInfo,
    ObjectRef,
    ObjectStatus,
    SamplingInfo,
    TableSample,
)
from tests.support.fakes import (
    FakeCatalogWriter,
    FakeClassifier,
    InMemoryLocalCatalog,
    InMemoryObjectStore,
)
from worker.cli import scan as scan_module
from worker.core.pipeline import Deps
from worker.core.report import ReportStream, build_report, report_file, validate_report

# --- the report stream ---------------------------------------------------------------------------


def _result(i: int, status: ObjectStatus = ObjectStatus.CLASSIFIED) -> EnrichmentResult:
    info = ObjectInfo(ObjectRef(f"s3://lake/t/{i}.csv"), 100 + i, f"e{i}")
    sample = TableSample(
        info=info,
        format="csv",
        compression="gzip" if i % 2 else None,
        columns=(ColumnSample("email", "string", ("a@b.co",)),),
        rows_sampled=1,
        row_count=10 + i,
        row_count_estimated=bool(i % 2),
        bytes_read=50 + i,
        sampling=SamplingInfo("text-ranges", seed=i),
        details={"delimiter": ",", "note": "é ü ✓"},  # non-ASCII stays as written
    )
    evidence = Evidence(1, 1, 1, 1.0, ("EmailRecognizer",), ("x@x.xx",))
    column = ColumnFinding(
        "email", "string", (EntityFinding("EMAIL_ADDRESS", 0.95, 1.0, evidence, "pii"),)
    )
    classified = status is ObjectStatus.CLASSIFIED
    return EnrichmentResult(
        ref=info.ref,
        status=status,
        info=info,
        sample=sample if classified else None,
        columns=(column,) if classified else (),
        error=None if classified else ErrorInfo("corrupt_parquet_footer", "bad footer"),
        classifier_versions={"pii": "1"},
        bytes_read=50 + i,
        description="CSV, 10 rows.\nPII: email." if classified else None,
    )


_DATASETS = [
    {"uri": "s3://lake/t/", "rule": "single", "nested": {"a": [1, 2], "b": {}}},
    {"uri": "s3://lake/u/", "rule": "hive", "nested": {"a": [], "b": {"c": None}}},
]


def _streamed(results: list[EnrichmentResult], datasets: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    stream = ReportStream(out, "run-1")
    for r in results:
        stream.add(r)
    for entry in datasets:
        stream.add_dataset(entry)
    summary = stream.finish()
    text = out.getvalue()
    assert summary == json.loads(text)["summary"]
    return text


@pytest.mark.parametrize(
    ("n_objects", "datasets"),
    [(5, _DATASETS), (1, []), (0, _DATASETS), (0, [])],
    ids=["objects-and-datasets", "one-object", "datasets-only", "empty"],
)
def test_streamed_report_is_build_report_byte_for_byte(
    n_objects: int, datasets: list[dict[str, Any]]
) -> None:
    statuses = [ObjectStatus.CLASSIFIED, ObjectStatus.FAILED, ObjectStatus.SKIPPED]
    results = [_result(i, statuses[i % 3]) for i in range(n_objects)]
    text = _streamed(results, datasets)
    streamed = json.loads(text)
    expected = build_report(results, "run-1", datasets)
    expected["generated_at"] = streamed["generated_at"]  # taken at different moments
    assert streamed == expected
    # The same layout write_report gives (json.dumps, indent 2, keys in build_report's order).
    assert text == json.dumps(expected, indent=2, ensure_ascii=False) + "\n"


def test_streamed_report_is_valid_against_the_schema() -> None:
    results = [_result(0), _result(1, ObjectStatus.FAILED), _result(2, ObjectStatus.SKIPPED)]
    report = json.loads(_streamed(results, []))
    validate_report(report)
    assert report["summary"]["objects"] == 3 and report["summary"]["failed"] == 1


def test_report_file_lands_whole_or_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text("earlier", encoding="utf-8")
    with pytest.raises(RuntimeError), report_file(path) as out:
        out.write('{"objects": [')
        raise RuntimeError("the scan stopped")
    assert path.read_text(encoding="utf-8") == "earlier"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]
    with report_file(path) as out:
        out.write("{}\n")
    assert path.read_text(encoding="utf-8") == "{}\n"


# --- the scan command on fakes -----------------------------------------------------------------


@dataclass
class _ForgetfulCatalog(InMemoryLocalCatalog):
    """Keeps each object's status only (the in-memory fake keeps whole results)."""

    statuses: dict[str, str] = field(default_factory=dict)

    def record(self, run_id: str, result: EnrichmentResult) -> None:
        self.statuses[result.ref.uri] = result.status.value


class _CountingStore(InMemoryObjectStore):
    """Counts what its listing has yielded; the classifier reads the count."""

    yielded = 0

    def list_objects(self, uri: str) -> Iterator[ObjectInfo]:
        for info in super().list_objects(uri):
            self.yielded += 1
            yield info


class _ProbeClassifier(FakeClassifier):
    """Notes, at each object, the samples alive in the process and the listing's progress."""

    def __init__(self, store: _CountingStore) -> None:
        super().__init__()
        self.store = store
        self.count_samples = False  # walking every object of the process takes a while
        self.live_samples: list[int] = []
        self.listed: list[int] = []

    def classify(self, sample: TableSample) -> list[ColumnFinding]:
        if self.count_samples:
            live = sum(1 for o in gc.get_objects() if isinstance(o, TableSample))
            self.live_samples.append(live)
        self.listed.append(self.store.yielded)
        return super().classify(sample)


N_OBJECTS = 30


@pytest.fixture
def fake_scan(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[_CountingStore, _ProbeClassifier, _ForgetfulCatalog]:
    store = _CountingStore(
        {
            f"s3://lake/t/{i:03d}.csv": f"id,email\n{i},a{i}@example.com\n".encode()
            for i in range(N_OBJECTS)
        }
    )
    classifier = _ProbeClassifier(store)
    catalog = _ForgetfulCatalog()
    deps = Deps(store=store, classifiers=[classifier], catalog=catalog)
    monkeypatch.setattr("worker.bootstrap.build_deps", lambda settings: deps)
    for name in [n for n in os.environ if n.startswith("ENRICH_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ENRICH_DATASETS__ENABLED", "false")
    monkeypatch.setenv("ENRICH_DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    monkeypatch.chdir(tmp_path)
    return store, classifier, catalog


def _run(args: list[str]) -> Result:
    return CliRunner().invoke(scan_module.scan, args, obj={}, catch_exceptions=False)


def test_scan_keeps_no_sample_and_reports_every_object(
    fake_scan: tuple[_CountingStore, _ProbeClassifier, _ForgetfulCatalog], tmp_path: Path
) -> None:
    _, classifier, catalog = fake_scan
    classifier.count_samples = True
    result = _run(["s3://lake/t/", "--report", "r.json"])
    assert result.exit_code == 0, result.output
    assert len(classifier.live_samples) == N_OBJECTS
    # The object being classified, and at most the previous one on its way out: never all
    # of them (the scan used to hold every result, sample included, until its end).
    assert max(classifier.live_samples) <= 2, classifier.live_samples
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    validate_report(report)
    assert [o["uri"] for o in report["objects"]] == sorted(catalog.statuses)
    assert report["summary"]["objects"] == N_OBJECTS == report["summary"]["classified"]
    assert f"{N_OBJECTS} objects: {N_OBJECTS} classified" in result.output


def test_scan_does_not_materialise_the_listing(
    fake_scan: tuple[_CountingStore, _ProbeClassifier, _ForgetfulCatalog],
) -> None:
    _, classifier, _ = fake_scan
    result = _run(["s3://lake/t/"])
    assert result.exit_code == 0, result.output
    # Object i is classified when the listing has yielded i + 1 objects, not all of them.
    assert classifier.listed == list(range(1, N_OBJECTS + 1))


def test_json_output_is_the_report_file(
    fake_scan: tuple[_CountingStore, _ProbeClassifier, _ForgetfulCatalog], tmp_path: Path
) -> None:
    printed = _run(["s3://lake/t/", "--format", "json"])
    assert printed.exit_code == 0
    alone = json.loads(printed.output)
    validate_report(alone)
    assert len(alone["objects"]) == N_OBJECTS
    both = _run(["s3://lake/t/", "--format", "json", "--report", "r.json"])
    assert both.output == (tmp_path / "r.json").read_text(encoding="utf-8")
    assert not list(tmp_path.glob("*.tmp"))


def test_atlan_is_written_in_batches_as_objects_finish(
    fake_scan: tuple[_CountingStore, _ProbeClassifier, _ForgetfulCatalog],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, classifier, _ = fake_scan
    classifier.count_samples = True
    writer = _BatchRecorder(classifier)
    monkeypatch.setattr("worker.bootstrap.build_catalog_writer", lambda settings, local: writer)
    monkeypatch.setattr(scan_module, "_ATLAN_BATCH", 8)
    result = _run(["s3://lake/t/"])
    assert result.exit_code == 0, result.output
    # The outbox first, then a batch each time 8 objects have finished, the rest at the end.
    assert writer.calls[0] == ("flush", 0)
    assert [size for call, size in writer.calls[1:]] == [8, 8, 8, 6]
    assert [done for call, done in writer.done_at] == [8, 16, 24, 30]
    assert len(writer.written) == N_OBJECTS
    assert max(classifier.live_samples) <= 2  # desired states keep no sample either
    assert f"Atlan: 0 created, {N_OBJECTS} updated" in result.output


class _BatchRecorder(FakeCatalogWriter):
    def __init__(self, classifier: _ProbeClassifier) -> None:
        super().__init__()
        self.classifier = classifier
        self.calls: list[tuple[str, int]] = []
        self.done_at: list[tuple[str, int]] = []

    def flush(self) -> Any:
        self.calls.append(("flush", len(self.outbox)))
        return super().flush()

    def write(self, desired: Any) -> Any:
        if desired:
            self.calls.append(("write", len(desired)))
            self.done_at.append(("write", len(self.classifier.listed)))
        return super().write(desired)


def test_summary_table_is_bounded() -> None:
    tally = scan_module._ObjectTally(["s3://lake/t/"], limit=3)
    statuses = [ObjectStatus.CLASSIFIED] * 6 + [ObjectStatus.FAILED] * 5
    for i, status in enumerate(statuses):
        tally.add(_result(i, status))
    names = [row[0] for row in tally.rows]
    # The first 3 objects, then later failures up to 3 more; the rest counted.
    assert names == ["0.csv", "1.csv", "2.csv", "6.csv", "7.csv", "8.csv"]
    assert tally.more_rows == 5
    assert [name for name, _ in tally.failures] == ["6.csv", "7.csv", "8.csv"]
    assert tally.more_failures == 2
    assert tally.objects == 11 and tally.counts["failed"] == 5
    assert tally.pii_columns == 6


# --- discovery is lazy down to the S3 listing pages -------------------------------------------


class _PagedS3Client:
    """ListObjectsV2 over ``pages`` pages of ``page_size`` keys; counts the requests."""

    def __init__(self, pages: int, page_size: int) -> None:
        self.keys = [f"t/{i:05d}.csv" for i in range(pages * page_size)]
        self.page_size = page_size
        self.requests = 0

    def list_objects_v2(self, **kwargs: Any) -> dict[str, Any]:
        self.requests += 1
        start = int(kwargs.get("ContinuationToken", 0))
        end = start + kwargs["MaxKeys"]
        contents = [{"Key": k, "Size": 1, "ETag": '"e"'} for k in self.keys[start:end]]
        more = end < len(self.keys)
        return {"Contents": contents, "IsTruncated": more, "NextContinuationToken": str(end)}


def test_discovery_requests_a_listing_page_only_when_it_is_reached() -> None:
    from worker.adapters.storage.local import LocalObjectStore
    from worker.adapters.storage.routing import RoutingObjectStore
    from worker.adapters.storage.s3 import S3ObjectStore
    from worker.core.discovery import discover
    from worker.core.settings import S3Settings

    client = _PagedS3Client(pages=5, page_size=10)
    s3 = S3ObjectStore(S3Settings(), lambda settings: client, page_size=10)  # type: ignore[arg-type,return-value]
    listing = discover(RoutingObjectStore(LocalObjectStore(), s3), ["s3://lake/t/"])
    assert client.requests == 0
    first = [next(listing) for _ in range(10)]
    assert client.requests == 1 and first[0].ref.uri == "s3://lake/t/00000.csv"
    next(listing)
    assert client.requests == 2
    assert len(list(listing)) == 39 and client.requests == 5
