"""Planning Atlan writes: minimal diffs, people's tags and descriptions left alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

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
from models.plan import CurrentObject, DesiredObject, ObjectPlan, WrittenState
from worker.core.plan.desired import desired_object, plan_object, sha256, written_after
from worker.core.settings import AtlanSettings

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


QN = f"{CONN}/arn:aws:s3:::lake/exports/customers.parquet"
BUCKET_QN = f"{CONN}/arn:aws:s3:::lake"
LAG = 60.0


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _current(
    d_desc: str | None,
    tags: frozenset[str],
    attrs: dict[str, object],
    *,
    updated: datetime = NOW,
    status: str = "ACTIVE",
    user_description: str | None = None,
) -> CurrentObject:
    return CurrentObject(
        QN, "g1", attrs, d_desc, user_description, tags, status=status, update_time_ms=_ms(updated)
    )


def _plan(
    d: DesiredObject, current: CurrentObject | None, written: WrittenState | None, **kw: Any
) -> ObjectPlan:
    kw.setdefault("now", NOW)
    return plan_object(
        d,
        current,
        written,
        qualified_name=QN,
        bucket_qualified_name=BUCKET_QN,
        managed_tags=frozenset({"PII", "PII Email", "PII Phone"}),
        umbrella="PII",
        search_lag_s=LAG,
        **kw,
    )


def _written(d: DesiredObject, at: datetime = NOW) -> WrittenState:
    first = _plan(d, None, None)
    return written_after(first, d, None, guid="g1", now=at)


def test_first_write_creates_everything_then_nothing_changes() -> None:
    d = desired_object(_result(), AtlanSettings(), NOW)
    assert d is not None
    first = _plan(d, None, None)
    assert first.create and first.description and first.custom_metadata is not None
    assert first.add_tags == {"PII", "PII Email"}
    written = written_after(first, d, None, guid="g1", now=NOW)
    later = NOW + timedelta(seconds=LAG + 1)
    current = _current(first.description, frozenset(first.add_tags), dict(d.attributes))
    again = _plan(desired_object(_result(), AtlanSettings(), NOW), current, written, now=later)  # type: ignore[arg-type]
    assert again.empty, again


def test_a_rescan_before_search_caught_up_trusts_what_was_written() -> None:
    """Search lags: right after the first write it shows nothing, or the asset without tags."""
    d = desired_object(_result(), AtlanSettings(), NOW)
    assert d is not None
    written = _written(d)
    soon = NOW + timedelta(seconds=2)
    not_indexed = _plan(d, None, written, now=soon)
    assert not_indexed.empty and not not_indexed.create, not_indexed
    # Indexed half-way (attributes there, tags not yet): no re-tagging, no "removed by a person".
    stale = _current(
        d.description, frozenset(), dict(d.attributes), updated=NOW - timedelta(seconds=1)
    )
    half = _plan(d, stale, written, now=soon)
    assert half.empty and not half.person_removed and not half.skipped, half
    # Even long after, a stale view (older than the write) never counts as a person's change.
    late = _plan(d, stale, written, now=NOW + timedelta(hours=1))
    assert late.empty and not late.person_removed, late


def test_a_person_removal_counts_once_search_is_newer_and_the_lag_has_passed() -> None:
    d = desired_object(_result(), AtlanSettings(), NOW)
    assert d is not None
    written = _written(d)
    removed = _current(
        d.description, frozenset({"PII"}), dict(d.attributes), updated=NOW + timedelta(seconds=5)
    )
    within = _plan(d, removed, written, now=NOW + timedelta(seconds=10))
    assert not within.person_removed and within.add_tags == frozenset()
    after = _plan(d, removed, written, now=NOW + timedelta(seconds=LAG + 10))
    assert after.person_removed == {"PII Email"} and after.add_tags == frozenset()


def test_not_in_search_long_after_the_write_is_written_again() -> None:
    d = desired_object(_result(), AtlanSettings(), NOW)
    assert d is not None
    gone = _plan(d, None, _written(d), now=NOW + timedelta(seconds=LAG * 2))
    assert gone.create and gone.add_tags == {"PII", "PII Email"}
    assert any("not in Atlan's search" in s for s in gone.skipped)


def test_an_archived_asset_is_restored_with_its_tags() -> None:
    d = desired_object(_result(), AtlanSettings(), NOW)
    assert d is not None
    written = _written(d)
    archived = _current(
        d.description,
        frozenset(),
        dict(d.attributes),
        status="DELETED",
        updated=NOW + timedelta(seconds=5),
    )
    p = _plan(d, archived, written, now=NOW + timedelta(seconds=LAG + 10))
    assert p.restore and p.asset_write and not p.create
    assert p.add_tags == {"PII", "PII Email"}  # archiving may have dropped them
    assert not p.person_removed
    # s3-enricher archived it itself; search has not caught up and still shows it active.
    from dataclasses import replace

    ours = replace(written, status="DELETED")
    shown_active = _current(d.description, frozenset(d.tags), dict(d.attributes))
    assert _plan(d, shown_active, ours, now=NOW + timedelta(seconds=1)).restore


def test_changed_object_updates_only_what_changed() -> None:
    d1 = desired_object(_result(), AtlanSettings(), NOW)
    assert d1 is not None
    w = _written(d1)
    current = _current(d1.description, frozenset(d1.tags), dict(d1.attributes))
    d2 = desired_object(_result(etag="e2"), AtlanSettings(), NOW)
    assert d2 is not None
    p = _plan(d2, current, w, now=NOW + timedelta(seconds=LAG + 1))
    assert not p.create and p.attributes == {"s3_e_tag": "e2"}
    assert p.description is None and p.add_tags == frozenset()


def test_people_are_never_overwritten() -> None:
    d = desired_object(_result(), AtlanSettings(), NOW)
    assert d is not None
    w = _written(d)
    # A tool rewrote the description, a person added a tag and removed our e-mail tag.
    current = _current(
        "Curated by the data team",
        frozenset({"PII", "Finance"}),
        d.attributes,
        updated=NOW + timedelta(seconds=30),
    )
    p = _plan(d, current, w, now=NOW + timedelta(seconds=LAG + 60))
    assert p.description is None
    assert p.add_tags == frozenset()  # "PII Email" was removed by a person: not re-applied
    assert p.remove_tags == frozenset()
    assert any("description" in s for s in p.skipped)
    assert any("removed in Atlan by a person" in s for s in p.skipped)


def test_a_persons_user_description_is_noted_and_ours_stays_underneath() -> None:
    d = desired_object(_result(), AtlanSettings(), NOW)
    assert d is not None
    w = _written(d)
    current = _current(
        d.description,
        frozenset(d.tags),
        d.attributes,
        updated=NOW + timedelta(seconds=30),
        user_description="Customer master data, owned by CRM",
    )
    d2 = desired_object(_result(etag="e2"), AtlanSettings(), NOW)
    assert d2 is not None
    p = _plan(d2, current, w, now=NOW + timedelta(seconds=LAG + 60))
    assert p.description is None  # same text: nothing to write
    assert not any("userDescription" in s for s in p.skipped)


def test_our_unsupported_tag_becomes_a_removal_suggestion_unless_auto_remove() -> None:
    d = desired_object(_result(), AtlanSettings(), NOW)
    assert d is not None
    w = _written(d)
    current = _current(sha_text := d.description, frozenset(d.tags), d.attributes)
    assert sha256(sha_text) == w.description_hash
    no_pii = desired_object(_result(confidence=0.5), AtlanSettings(), NOW)
    assert no_pii is not None
    later = NOW + timedelta(seconds=LAG + 1)
    p = _plan(no_pii, current, w, now=later)
    assert p.remove_tags == frozenset()
    assert {s.tag for s in p.suggestions if s.kind == "tag-removal"} == {"PII", "PII Email"}
    auto = _plan(no_pii, current, w, now=later, auto_remove=True)
    assert auto.remove_tags == {"PII", "PII Email"}


def test_uncertain_category_is_a_suggestion(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from models import LabelScore

    # The model's manifest sets the threshold: pin one here.
    monkeypatch.setattr("classifiers.business.model.category_apply_threshold", lambda *_: 0.6)
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
    # Under the suggest write policy the sure one waits for a steward too.
    d = desired_object(sure, AtlanSettings(write_policy="suggest"), NOW)
    assert d is not None and d.custom_metadata["Category"] == "customer 0.93 (suggested)"
