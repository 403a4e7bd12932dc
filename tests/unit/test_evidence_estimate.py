"""Estimated evidence says so (issue 17): ``Evidence.estimated`` from the classifier to the
report, the review store, the review UI and Atlan's text.

The PII classifier estimates pattern tallies by default (:mod:`classifiers.pii.bounded`); an
entity whose tally came from a subset of its values is marked, with how many of its candidate
distinct values were matched; an entity counted in full (a small column, an opaque-named
one, ``estimate_counts=False``) is not. Stored evidence from before the field existed loads
and reads as counted.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import jsonschema
import pytest
from faker import Faker
from sqlalchemy import insert

from bench.corpus import iter_tables, to_table_sample
from classifiers.pii import PiiClassifier
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
from models.plan import Suggestion
from models.review import SuggestionFilter
from tests.support.tables import table_sample
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.adapters.catalog.review_store import SqlReviewStore
from worker.adapters.catalog.schema import findings
from worker.core.plan.desired import desired_object
from worker.core.report import build_report, validate_report
from worker.core.review_policy import finding_evidence, material_change
from worker.core.settings import AtlanSettings, PiiSettings, ReviewSettings
from worker.web.ui import make_templates
from worker.web.ui_format import evidence_lines
from worker.web.ui_suggestions import _columns

URI = "s3://lake/exports/customers.csv"


@pytest.fixture(scope="module")
def classified() -> dict[tuple[bool, str], EntityFinding]:
    """(estimate_counts, column) → the column's one finding, for both settings."""
    fake = Faker("en_US")
    fake.seed_instance(11)
    phones = [fake.unique.phone_number() for _ in range(1000)]
    columns = [
        ColumnSample("phone", "string", tuple(phones)),  # 1,000 distinct: estimated
        ColumnSample("phone_small", "string", tuple(phones[:50] * 20)),  # 50: counted
        ColumnSample("col7", "string", tuple(phones)),  # opaque name: counted
    ]
    out = {}
    for estimate in (True, False):
        clf = PiiClassifier(today=date(2026, 1, 1), estimate_counts=estimate)
        for column in clf.classify(table_sample(columns)):
            [finding] = column.entities
            out[(estimate, column.column)] = finding
    return out


def test_dense_phone_column_is_estimated_and_marked(
    classified: dict[tuple[bool, str], EntityFinding],
) -> None:
    est, exact = classified[(True, "phone")], classified[(False, "phone")]
    assert est.entity == exact.entity == "PHONE_NUMBER"
    ev = est.evidence
    assert ev.estimated
    assert ev.candidate_distinct == 1000
    assert ev.matched_distinct is not None and 0 < ev.matched_distinct < 1000
    # The decision is a full count's; the numbers are within the documented 0.08.
    assert (est.confidence, ev.rule) == (exact.confidence, exact.evidence.rule)
    assert abs(est.prevalence - exact.prevalence) <= 0.08
    assert abs(ev.hits - exact.evidence.hits) <= 80
    assert not exact.evidence.estimated


@pytest.mark.parametrize("column", ["phone_small", "col7"])
def test_counted_columns_are_not_marked(
    classified: dict[tuple[bool, str], EntityFinding], column: str
) -> None:
    est, exact = classified[(True, column)], classified[(False, column)]
    assert not est.evidence.estimated
    assert est.evidence.matched_distinct is None and est.evidence.candidate_distinct is None
    assert est == exact  # counted either way


def test_marker_is_set_exactly_where_the_evidence_is_an_estimate() -> None:
    """On corpus tables: the same decisions either way; an unmarked finding is identical to
    the counted one, a marked one differs at most 0.08 in prevalence. (The full run, dev and
    test splits and the real tables, 3,458 columns: 114 marked, 0 unmarked differ.)"""
    est = PiiClassifier(today=date(2026, 1, 1))
    counted = PiiClassifier(today=date(2026, 1, 1), estimate_counts=False)
    marked = 0
    for table in itertools.islice(iter_tables("test", real=False), 5):
        sample = to_table_sample(table)
        for a, b in zip(est.classify(sample), counted.classify(sample), strict=True):
            key = [(e.entity, e.confidence, e.evidence.rule) for e in a.entities]
            assert key == [(e.entity, e.confidence, e.evidence.rule) for e in b.entities]
            for ea, eb in zip(a.entities, b.entities, strict=True):
                # PERSON is decided on a probe of the values (NER, the gazetteer) either way,
                # so its evidence is marked under both settings (test_evidence_estimate_ner).
                assert not eb.evidence.estimated or eb.entity == "PERSON"
                if ea.evidence.estimated and ea.entity != "PERSON":
                    marked += 1
                    assert abs(ea.prevalence - eb.prevalence) <= 0.08
                    assert (
                        0
                        < (ea.evidence.matched_distinct or 0)
                        < (ea.evidence.candidate_distinct or 0)
                    )
                else:
                    assert ea == eb
    assert marked >= 3


def test_estimating_is_the_default_and_can_be_turned_off() -> None:
    assert PiiSettings().estimate_counts is True
    assert PiiClassifier().estimate_counts is True
    assert PiiClassifier().version != PiiClassifier(estimate_counts=False).version


def _evidence(estimated: bool = True) -> Evidence:
    extra = {"estimated": True, "matched_distinct": 224, "candidate_distinct": 1000}
    return Evidence(
        1000, 812, 812, 0.95, ("phone",), ("***-***-**43",),
        prevalence_interval=(0.79, 0.83), validator_pass_rate=0.812,
        **(extra if estimated else {}),  # type: ignore[arg-type]
    )  # fmt: skip


def test_to_dict_writes_the_marker() -> None:
    d = _evidence().to_dict()
    assert (d["estimated"], d["matched_distinct"], d["candidate_distinct"]) == (True, 224, 1000)
    old = Evidence(10, 9, 9, 0.9).to_dict()
    assert (old["estimated"], old["matched_distinct"], old["candidate_distinct"]) == (
        False,
        None,
        None,
    )


def _result(evidence: Evidence) -> EnrichmentResult:
    info = ObjectInfo(ObjectRef.parse(URI), 100, "e1", datetime(2025, 5, 1, tzinfo=UTC))
    sample = TableSample(
        info=info,
        format="csv",
        compression=None,
        columns=(ColumnSample("phone", "string", ()),),
        rows_sampled=1000,
        row_count=1000,
        row_count_estimated=False,
        bytes_read=100,
        sampling=SamplingInfo("text-ranges", seed=1),
    )
    finding = EntityFinding("PHONE_NUMBER", 0.95, 0.812, evidence, "pii")
    return EnrichmentResult(
        ref=info.ref,
        status=ObjectStatus.CLASSIFIED,
        info=info,
        sample=sample,
        columns=(ColumnFinding("phone", "string", (finding,)),),
        classifier_versions={"pii": "5"},
        bytes_read=100,
    )


def test_report_with_the_marker_validates_and_old_reports_still_do() -> None:
    report = build_report([_result(_evidence())], "run-1")
    validate_report(report)
    ev = report["objects"][0]["columns"][0]["entities"][0]["evidence"]
    assert ev["estimated"] is True and ev["matched_distinct"] == 224
    old = copy.deepcopy(report)
    for key in ("estimated", "matched_distinct", "candidate_distinct"):
        del old["objects"][0]["columns"][0]["entities"][0]["evidence"][key]
    validate_report(old)
    bad = copy.deepcopy(report)
    bad["objects"][0]["columns"][0]["entities"][0]["evidence"]["estimated"] = "yes"
    with pytest.raises(jsonschema.ValidationError):
        validate_report(bad)


def test_ui_shows_estimated_counts_as_such() -> None:
    lines = dict(evidence_lines({**_evidence().to_dict(), "prevalence": 0.812}))
    assert lines["hits"] == "≈ 812 of 1,000 (estimated from 224 of 1,000 distinct values)"
    assert lines["prevalence"] == "≈ 81% (79–83%)"
    assert lines["validator"] == "≈ 81% pass"
    counted = dict(evidence_lines({**_evidence(False).to_dict(), "prevalence": 0.812}))
    assert "hits" not in counted and counted["prevalence"] == "81% (79–83%)"
    # Evidence stored before the field existed has none of the keys: read as counted.
    old = {"prevalence": 0.812, "prevalence_interval": [0.79, 0.83], "validator_pass_rate": 0.8}
    assert dict(evidence_lines(old)) == {"prevalence": "81% (79–83%)", "validator": "80% pass"}
    # Marked but without the counts (a hand-written or partial row): still says estimated.
    assert dict(evidence_lines({"estimated": True, "prevalence": 0.5}))["hits"] == "≈ (estimated)"


def test_queue_macro_renders_the_estimated_line() -> None:
    env = make_templates().env
    macro = env.from_string('{% from "_macros.html" import evidence %}{{ evidence(ev) }}')
    html = macro.render(ev={**_evidence().to_dict(), "prevalence": 0.812})
    assert "≈ 812 of 1,000 (estimated from 224 of 1,000 distinct values)" in html
    assert "≈ 81% (79–83%)" in html
    old = macro.render(ev={"prevalence": 0.812, "prevalence_interval": [0.79, 0.83]})
    assert "≈" not in old and "estimated" not in old


def test_store_keeps_the_marker_and_loads_old_evidence(tmp_path: Path) -> None:
    catalog = SqlLocalCatalog(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        catalog.record(catalog.start_run("scan", [URI]), _result(_evidence()))
        # A findings row written before the field existed.
        old = {k: v for k, v in Evidence(1000, 900, 900, 0.9).to_dict().items()}
        for key in ("estimated", "matched_distinct", "candidate_distinct"):
            del old[key]
        with catalog.engine.begin() as conn:
            conn.execute(
                insert(findings).values(
                    object_uri=URI,
                    column_name="phone",
                    entity="EMAIL_ADDRESS",
                    classifier="pii",
                    confidence=0.9,
                    prevalence=0.9,
                    evidence=old,
                )
            )
        store = SqlReviewStore(catalog)
        detail = store.object_detail(URI)
        assert detail is not None
        [column] = _columns(detail["columns"])
        by_entity = {fd["entity"]: fd for fd in column["findings"]}
        phone, email = by_entity["PHONE_NUMBER"], by_entity["EMAIL_ADDRESS"]
        assert phone["evidence"]["estimated"] is True
        assert dict(phone["summary"])["hits"].startswith("≈ 812 of 1,000 (estimated from 224")
        assert "estimated" not in email["evidence"]
        assert "hits" not in dict(email["summary"])
        # Suggestions: the marker is kept; one stored without it loads.
        finding = _result(_evidence()).columns[0].entities[0]
        new = Suggestion(
            URI, "", "tag", "PII Phone", "PHONE_NUMBER", "phone", 0.95, "below threshold",
            finding_evidence(finding), "pii=5",
        )  # fmt: skip
        legacy = replace(new, tag="PII Email", entity="EMAIL_ADDRESS", evidence=old)
        store.sync(URI, [new, legacy])
        items = {s.tag: s for s in store.page(SuggestionFilter()).items}
        assert items["PII Phone"].evidence["estimated"] is True
        assert items["PII Phone"].evidence["candidate_distinct"] == 1000
        assert "estimated" not in items["PII Email"].evidence
    finally:
        catalog.engine.dispose()


def test_atlan_text_says_estimated() -> None:
    d = desired_object(_result(_evidence()), AtlanSettings(), datetime(2026, 1, 2, tzinfo=UTC))
    assert d is not None
    assert d.custom_metadata["Column findings"] == [
        "phone → PHONE_NUMBER 0.95, ≈81% (estimated) of 1,000 sampled"
    ]
    d = desired_object(_result(_evidence(False)), AtlanSettings(), datetime(2026, 1, 2, tzinfo=UTC))
    assert d is not None
    assert d.custom_metadata["Column findings"] == [
        "phone → PHONE_NUMBER 0.95, 81% of 1,000 sampled"
    ]


def test_reconsider_reason_marks_an_estimated_share() -> None:
    rules = ReviewSettings()
    reason = material_change({"prevalence": 0.2}, {"prevalence": 0.812, "estimated": True}, rules)
    assert reason == "prevalence rose from 20% to ≈81% since the rejection"
