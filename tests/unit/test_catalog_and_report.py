from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import select

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
from worker.adapters.catalog.database import SqlLocalCatalog, findings, objects, runs
from worker.core.report import build_report, upgrade_report, validate_report


def _result(etag: str = "e1", status: ObjectStatus = ObjectStatus.CLASSIFIED) -> EnrichmentResult:
    info = ObjectInfo(ObjectRef("s3://lake/a.csv"), 100, etag)
    sample = TableSample(
        info=info,
        format="csv",
        compression=None,
        columns=(ColumnSample("email", "string", ("a@b.co",)),),
        rows_sampled=1,
        row_count=1,
        row_count_estimated=False,
        bytes_read=100,
        sampling=SamplingInfo("text-ranges", seed=1),
    )
    ev = Evidence(1, 1, 1, 1.0, ("EmailRecognizer",), ("x@x.xx",))
    col = ColumnFinding("email", "string", (EntityFinding("EMAIL_ADDRESS", 0.95, 1.0, ev, "pii"),))
    error = (
        None if status is ObjectStatus.CLASSIFIED else ErrorInfo("corrupt_parquet_footer", "bad")
    )
    return EnrichmentResult(
        ref=info.ref,
        status=status,
        info=info,
        sample=sample if status is ObjectStatus.CLASSIFIED else None,
        columns=(col,) if status is ObjectStatus.CLASSIFIED else (),
        error=error,
        classifier_versions={"pii": "1"},
        bytes_read=100,
    )


def test_catalog_round_trip_and_skip_logic(database_url: str) -> None:
    cat = SqlLocalCatalog(database_url)
    run = cat.start_run("scan", ["s3://lake/"])
    result = _result()
    assert not cat.is_current(result.info, {"pii": "1"})  # type: ignore[arg-type]
    cat.record(run, result)
    cat.finish_run(run, {"classified": 1})
    assert cat.is_current(result.info, {"pii": "1"})  # type: ignore[arg-type]
    assert not cat.is_current(result.info, {"pii": "2"})  # type: ignore[arg-type]
    assert not cat.is_current(_result("e2").info, {"pii": "1"})  # type: ignore[arg-type]
    with cat.engine.connect() as conn:
        row = conn.execute(select(findings)).one()
        assert row.entity == "EMAIL_ADDRESS" and row.column_name == "email"
        assert conn.execute(select(runs.c.counts)).scalar_one() == {"classified": 1}
    # a failure of the same ETag is retried next time, and keeps the old findings
    cat.record(run, _result(status=ObjectStatus.FAILED))
    assert not cat.is_current(result.info, {"pii": "1"})  # type: ignore[arg-type]
    with cat.engine.connect() as conn:
        assert conn.execute(select(objects.c.error_kind)).scalar_one() == "corrupt_parquet_footer"
    cat.engine.dispose()


def test_catalog_never_stores_sampled_values(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    cat = SqlLocalCatalog(f"sqlite:///{db}")
    cat.record(cat.start_run("scan", []), _result())
    cat.engine.dispose()
    assert b"a@b.co" not in db.read_bytes()
    for extra in tmp_path.glob("c.db-*"):
        assert b"a@b.co" not in extra.read_bytes()


def test_report_matches_schema_and_has_no_values() -> None:
    report = build_report([_result(), _result(status=ObjectStatus.FAILED)], "run-1")
    validate_report(report)
    assert report["summary"] == {
        "objects": 2,
        "classified": 1,
        "skipped": 0,
        "failed": 1,
        "bytes_read": 200,
        "datasets": 0,
    }
    assert report["schema_version"] == 2 and report["datasets"] == []
    assert "a@b.co" not in str(report)


def test_a_version_1_report_reads_as_version_2() -> None:
    current = build_report([_result()], "run-1")
    old = {k: v for k, v in current.items() if k != "datasets"} | {"schema_version": 1}
    old["summary"] = {k: v for k, v in current["summary"].items() if k != "datasets"}
    upgraded = upgrade_report(old)
    validate_report(upgraded)
    assert upgraded["datasets"] == [] and upgraded["summary"]["datasets"] == 0
    assert upgrade_report(upgraded) is upgraded
    with pytest.raises(ValueError, match="schema_version 3"):
        upgrade_report(dict(current, schema_version=3))


def test_schema_rejects_unmasked_example_and_unknown_field() -> None:
    report = build_report([_result()], "r")
    report["objects"][0]["columns"][0]["entities"][0]["evidence"]["masked_examples"] = [
        "alice.smith@example.com"
    ]
    with pytest.raises(jsonschema.ValidationError):
        validate_report(report)
    report = build_report([_result()], "r")
    report["objects"][0]["sample_values"] = ["a@b.co"]
    with pytest.raises(jsonschema.ValidationError):
        validate_report(report)
