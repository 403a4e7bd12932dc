"""Planning Atlan writes: minimal diffs, people's tags and descriptions left alone."""

from __future__ import annotations

from datetime import UTC, datetime

from models import (
    ColumnFinding,
    ColumnSample,
    EnrichmentResult,
    EntityFinding,
    Evidence,
    ObjectInfo,
    ObjectRef,
    ObjectStatus,
    SamplingInfo,
    TableSample,
)
from models.plan import CurrentObject
from worker.atlan.plan import desired_object, plan_object, sha256, written_after
from worker.settings import AtlanSettings

CONN = "default/s3/1700000000"
NOW = datetime(2026, 1, 2, tzinfo=UTC)


def _result(confidence: float = 0.97, sparse: bool = False, etag: str = "e1") -> EnrichmentResult:
    ref = ObjectRef.parse("s3://lake/exports/customers.parquet")
    info = ObjectInfo(ref, 1234, etag, datetime(2025, 5, 1, tzinfo=UTC), "application/x-parquet")
    sample = TableSample(
        info=info,
        format="parquet",
        compression="snappy",
        columns=(ColumnSample("email", "string", ()), ColumnSample("id", "int64", ())),
        rows_sampled=1000,
        row_count=120_000,
        row_count_estimated=False,
        bytes_read=100,
        sampling=SamplingInfo(method="parquet-row-groups"),
    )
    finding = EntityFinding(
        "EMAIL_ADDRESS",
        confidence,
        0.97,
        Evidence(1000, 970, 900, confidence, masked_examples=("j***@e***.com",), sparse=sparse),
        "pii",
    )
    return EnrichmentResult(
        ref=ref,
        status=ObjectStatus.CLASSIFIED,
        info=info,
        sample=sample,
        columns=(ColumnFinding("email", "string", (finding,)), ColumnFinding("id", "int64")),
        classifier_versions={"pii": "2;x"},
    )


def test_desired_object_applies_confident_findings_and_keeps_no_values() -> None:
    d = desired_object(_result(), AtlanSettings(), NOW)
    assert d is not None
    assert d.tags == {"PII", "PII Email"}
    assert d.attributes["s3_e_tag"] == "e1" and d.attributes["s3_object_size"] == 1234
    assert "s3_object_version_id" not in d.attributes  # never None: it would clear the field
    assert d.custom_metadata["Column findings"] == [
        "email → EMAIL_ADDRESS 0.97, 97% of 1,000 sampled"
    ]
    assert d.custom_metadata["Row count"] == 120_000
    assert d.description.startswith("Parquet (snappy), 120,000 rows, 2 columns. PII: email")
    assert len(d.description) <= 300
    # Atlan gets counts and entity names; not even masked examples are written there.
    assert "j***" not in str(d.to_json())


def test_policy_suggest_and_threshold_make_suggestions() -> None:
    d = desired_object(_result(), AtlanSettings(write_policy="suggest"), NOW)
    assert d is not None and d.tags == frozenset()
    assert [(s.kind, s.entity, s.column) for s in d.suggestions] == [
        ("tag", "EMAIL_ADDRESS", "email")
    ]
    low = desired_object(_result(confidence=0.8), AtlanSettings(), NOW)
    assert low is not None and low.tags == frozenset() and len(low.suggestions) == 1
    sparse = desired_object(_result(sparse=True), AtlanSettings(), NOW)
    assert sparse is not None and sparse.tags == frozenset()
    assert desired_object(_result(), AtlanSettings(write_policy="off"), NOW) is None


def test_local_files_are_not_written() -> None:
    r = _result()
    local = EnrichmentResult(
        ref=ObjectRef.parse("/tmp/x.csv"), status=r.status, info=r.info, sample=r.sample
    )
    assert desired_object(local, AtlanSettings(), NOW) is None


def _current(d_desc: str | None, tags: frozenset[str], attrs: dict[str, object]) -> CurrentObject:
    return CurrentObject(f"{CONN}/lake/exports/customers.parquet", "g1", attrs, d_desc, None, tags)


def test_first_write_creates_everything_then_nothing_changes() -> None:
    d = desired_object(_result(), AtlanSettings(), NOW)
    assert d is not None
    first = plan_object(d, None, None, CONN)
    assert first.create and first.description and first.custom_metadata is not None
    assert first.add_tags == {"PII", "PII Email"}
    written = written_after(first, d, None)
    current = _current(first.description, frozenset(first.add_tags), dict(d.attributes))
    again = plan_object(desired_object(_result(), AtlanSettings(), NOW), current, written, CONN)  # type: ignore[arg-type]
    assert again.empty, again


def test_changed_object_updates_only_what_changed() -> None:
    d1 = desired_object(_result(), AtlanSettings(), NOW)
    assert d1 is not None
    w = written_after(plan_object(d1, None, None, CONN), d1, None)
    current = _current(d1.description, frozenset(d1.tags), dict(d1.attributes))
    d2 = desired_object(_result(etag="e2"), AtlanSettings(), NOW)
    assert d2 is not None
    p = plan_object(d2, current, w, CONN)
    assert not p.create and p.attributes == {"s3_e_tag": "e2"}
    assert p.description is None and p.add_tags == frozenset()


def test_people_are_never_overwritten() -> None:
    d = desired_object(_result(), AtlanSettings(), NOW)
    assert d is not None
    w = written_after(plan_object(d, None, None, CONN), d, None)
    # A person rewrote the description, added a tag and removed our e-mail tag.
    current = _current("Curated by the data team", frozenset({"PII", "Finance"}), d.attributes)
    p = plan_object(d, current, w, CONN)
    assert p.description is None
    assert p.add_tags == frozenset()  # "PII Email" was removed by a person: not re-applied
    assert p.remove_tags == frozenset()
    assert any("description" in s for s in p.skipped)
    assert any("removed in Atlan by a person" in s for s in p.skipped)


def test_our_unsupported_tag_becomes_a_removal_suggestion_unless_auto_remove() -> None:
    d = desired_object(_result(), AtlanSettings(), NOW)
    assert d is not None
    w = written_after(plan_object(d, None, None, CONN), d, None)
    current = _current(sha_text := d.description, frozenset(d.tags), d.attributes)
    assert sha256(sha_text) == w.description_hash
    no_pii = desired_object(_result(confidence=0.5), AtlanSettings(), NOW)
    assert no_pii is not None
    p = plan_object(no_pii, current, w, CONN)
    assert p.remove_tags == frozenset()
    assert {s.tag for s in p.suggestions if s.kind == "tag-removal"} == {"PII", "PII Email"}
    auto = plan_object(no_pii, current, w, CONN, auto_remove=True)
    assert auto.remove_tags == {"PII", "PII Email"}


def test_uncertain_category_is_a_suggestion() -> None:
    from dataclasses import replace

    from models import LabelScore

    sure = replace(_result(), categories=(LabelScore("customer", 0.93),))
    d = desired_object(sure, AtlanSettings(), NOW)
    assert d is not None and d.custom_metadata["Category"] == "customer 0.93"
    assert not [s for s in d.suggestions if s.kind == "category"]
    unsure = replace(_result(), categories=(LabelScore("health", 0.55),))
    d = desired_object(unsure, AtlanSettings(), NOW)
    assert d is not None and d.custom_metadata["Category"] == "health 0.55 (suggested)"
    assert [(s.kind, s.tag) for s in d.suggestions if s.kind == "category"] == [
        ("category", "health")
    ]
