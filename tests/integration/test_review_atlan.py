"""Steward decisions reach Atlan through the real pyatlan client and the fake Atlan server.

Approve → the tag (term, category) is written and the suggestion becomes ``applied`` once
Atlan confirms; Atlan down → it stays ``approved`` until a flush; a rejection is not
resurrected by a re-scan; a tag a person removed in Atlan becomes a decision.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from models import (
    ColumnFinding,
    ColumnSample,
    EnrichmentResult,
    EntityFinding,
    Evidence,
    LabelScore,
    ObjectInfo,
    ObjectRef,
    ObjectStatus,
    SamplingInfo,
    TableSample,
)
from models.review import Role, SuggestionFilter, SuggestionState
from tests.support import atlan_fixtures as _atlan
from tests.support.atlan_server import FakeAtlan, FakeClock
from worker.adapters.atlan.writer import AtlanCatalogWriter
from worker.adapters.catalog.atlan_state import SqlAtlanState
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.adapters.catalog.review_store import SqlReviewStore
from worker.adapters.catalog.users import SqlUserStore
from worker.core.settings import AtlanSettings, BusinessSettings, Settings
from worker.services.review.queue import ReviewQueue
from worker.services.review.service import ReviewService

atlan_server = _atlan.atlan_server
atlan_client = _atlan.atlan_client
atlan_clock = _atlan.atlan_clock

TERM = "Amount@Finance Glossary"
SETTINGS = Settings(
    atlan=AtlanSettings(enabled=True),
    business=BusinessSettings(glossary_terms={"amount": TERM}),
)


def _finding(entity: str, confidence: float, prevalence: float = 0.6) -> EntityFinding:
    hits = int(prevalence * 500)
    return EntityFinding(entity, confidence, prevalence, Evidence(500, hits, hits, confidence,
                         masked_examples=("Xxxx@xxxx.xxx",)), "pii")  # fmt: skip


def _result(key: str = "exports/customers.csv", email: float = 0.7, phone: float = 0.6,
            category: float = 0.5) -> EnrichmentResult:  # fmt: skip
    ref = ObjectRef.parse(f"s3://lake/{key}")
    info = ObjectInfo(ref, 1234, "e1", datetime(2025, 5, 1, tzinfo=UTC), "text/csv")
    names = ("email", "phone", "amount")
    sample = TableSample(info=info, format="csv", compression=None,
                         columns=tuple(ColumnSample(n, "string", ()) for n in names),
                         rows_sampled=500, row_count=500, row_count_estimated=False,
                         bytes_read=10, sampling=SamplingInfo(method="text-head"))  # fmt: skip
    return EnrichmentResult(
        ref=ref,
        status=ObjectStatus.CLASSIFIED,
        info=info,
        sample=sample,
        columns=(
            ColumnFinding("email", "string", (_finding("EMAIL_ADDRESS", email),)),
            ColumnFinding("phone", "string", (_finding("PHONE_NUMBER", phone),)),
            ColumnFinding("amount", "double", business_type=LabelScore("amount", 0.95)),
        ),
        classifier_versions={"pii": "2", "business": "1"},
        categories=(LabelScore("finance", category), LabelScore("sales", 0.3)),
    )


class Rig:
    def __init__(self, client: Any, tmp_path: Path, clock: FakeClock) -> None:
        self.catalog = SqlLocalCatalog(f"sqlite:///{tmp_path / 'c.db'}")
        self.clock = clock
        self.writer = AtlanCatalogWriter(
            SETTINGS.atlan, SqlAtlanState(self.catalog), client, clock=clock.datetime
        )
        self.writer.init()
        self.store = SqlReviewStore(self.catalog)
        self.queue = ReviewQueue(self.store, SETTINGS)
        self.users = SqlUserStore(self.store, SETTINGS.review)
        self.service = ReviewService(self.store, self.users, self.writer)
        self.ann = self.users.add("ann", Role.STEWARD, "steward-pass", actor="test")

    def scan(self, result: EnrichmentResult) -> None:
        """What a scan does: review queue, then the Atlan write."""
        self.queue.observe(result)
        desired = self.queue.desired(result)
        assert desired is not None
        report = self.writer.write([desired])
        assert report.error is None, report.error

    def pending(self, **kw: Any) -> dict[tuple[str, str | None], int]:
        page = self.store.page(SuggestionFilter(**kw), limit=100)
        return {(s.tag, s.column): s.id for s in page.items}

    def qn(self, key: str = "exports/customers.csv") -> str:
        return self.writer.naming().object("lake", key)

    def settle(self) -> None:
        """Let the writer's search lag window pass: people's changes count from now on."""
        self.clock.advance(SETTINGS.atlan.search_lag_s + 1)


@pytest.fixture
def rig(atlan_client: Any, atlan_server: FakeAtlan, atlan_clock: FakeClock, tmp_path: Path) -> Rig:
    atlan_server.add_entity("AtlasGlossaryTerm", TERM)
    return Rig(atlan_client, tmp_path, atlan_clock)


def test_approve_writes_the_tag_and_reject_is_not_resurrected(
    rig: Rig, atlan_server: FakeAtlan
) -> None:
    rig.scan(_result())
    pending = rig.pending()
    assert set(pending) == {("PII Email", "email"), ("PII Phone", "phone"),
                            (TERM, "amount"), ("finance", None)}  # fmt: skip
    assert atlan_server.tag_names("S3Object", rig.qn()) == []  # nothing applied below 0.9
    report = rig.service.approve(rig.ann, [pending[("PII Email", "email")]])
    assert (report.applied, report.waiting) == (1, {})
    assert atlan_server.tag_names("S3Object", rig.qn()) == ["PII", "PII Email"]
    assert rig.store.get(pending[("PII Email", "email")]).state is SuggestionState.APPLIED
    rig.service.reject(rig.ann, [pending[("PII Phone", "phone")]], "order reference numbers")
    # Re-scan, even with higher confidence: the rejection holds, the approval stays applied.
    before = len(atlan_server.mutating_requests())
    rig.scan(_result(phone=0.95))
    assert ("PII Phone", "phone") not in rig.pending()
    assert atlan_server.tag_names("S3Object", rig.qn()) == ["PII", "PII Email"]
    assert rig.store.count(SuggestionFilter(state=SuggestionState.REJECTED)) == 1
    uri = "s3://lake/exports/customers.csv"
    actions = [e.action for e in rig.store.audit_entries(object_uri=uri)]
    assert {"suggestion.approve", "suggestion.applied", "suggestion.reject"} <= set(actions)
    # Nothing about the rejected phone went out: no tag, not in the custom metadata.
    sent = [r for r in atlan_server.mutating_requests()[before:] if "PHONE" in str(r.body)]
    assert sent == []
    assert atlan_server.custom_metadata("S3Object", rig.qn(), "s3-enricher")["PII entities"] == [
        "EMAIL_ADDRESS"
    ]
    # The evidence changes materially (prevalence 0.6 → 0.95 > 2×? no: 0.6×2 = 1.2): still held.
    rig.scan(_result(phone=0.99))
    assert ("PII Phone", "phone") not in rig.pending()


def test_a_new_validator_reopens_a_rejection_as_a_suggestion(rig: Rig) -> None:
    rig.scan(_result())
    rig.service.reject(rig.ann, [rig.pending()[("PII Email", "email")]], "test addresses")
    validated = _result()
    col = validated.columns[0]
    finding = col.entities[0]
    better = replace(finding, evidence=replace(finding.evidence, validator_pass_rate=0.98))
    columns = (replace(col, entities=(better,)), *validated.columns[1:])
    validated = replace(validated, columns=columns)
    rig.scan(validated)
    sid = rig.pending()[("PII Email", "email")]
    assert "a validator now passes" in rig.store.get(sid).reason


def test_atlan_down_keeps_the_approval_until_a_flush(rig: Rig, atlan_server: FakeAtlan) -> None:
    rig.scan(_result())
    sid = rig.pending()[("PII Email", "email")]
    atlan_server.fail_next(503, times=50)
    report = rig.service.approve(rig.ann, [sid])
    assert report.applied == 0 and sid in report.waiting
    got = rig.store.get(sid)
    assert got.state is SuggestionState.APPROVED and got.apply_error
    atlan_server.reset_faults()
    flushed = rig.service.apply_approved()
    assert flushed.applied == 1
    assert rig.store.get(sid).state is SuggestionState.APPLIED
    assert atlan_server.tag_names("S3Object", rig.qn()) == ["PII", "PII Email"]


def test_terms_categories_and_objects_not_yet_in_atlan(rig: Rig, atlan_server: FakeAtlan) -> None:
    rig.scan(_result())
    pending = rig.pending()
    report = rig.service.approve(rig.ann, [pending[(TERM, "amount")], pending[("finance", None)]])
    assert report.applied == 2, report.waiting
    entity = atlan_server.entity("S3Object", rig.qn())
    assert entity is not None
    terms = [m["uniqueAttributes"]["qualifiedName"] for m in entity["attributes"]["meanings"]]
    assert terms == [TERM]
    cm = atlan_server.custom_metadata("S3Object", rig.qn(), "s3-enricher")
    assert cm["Category"] == "finance (confirmed by a steward)" and cm["Reviewed by"] == "ann"
    # A re-scan keeps the confirmed category and does not suggest it again.
    rig.scan(_result())
    assert ("finance", None) not in rig.pending()
    cm = atlan_server.custom_metadata("S3Object", rig.qn(), "s3-enricher")
    assert cm["Category"].endswith("(confirmed by a steward)")
    # An object only in the queue (its Atlan write has not happened) waits, with the reason.
    other = _result("exports/new.csv")
    rig.queue.observe(other)
    sid = rig.pending(object_uri="s3://lake/exports/new.csv")[("PII Email", "email")]
    waiting = rig.service.approve(rig.ann, [sid]).waiting
    assert "not in Atlan yet" in waiting[sid]
    rig.writer.write([rig.queue.desired(other)])  # type: ignore[list-item]
    assert "PII Email" in atlan_server.tag_names("S3Object", rig.qn("exports/new.csv"))
    assert rig.service.apply_approved().applied == 1


def test_a_tag_a_person_removed_in_atlan_becomes_a_decision(
    rig: Rig, atlan_server: FakeAtlan
) -> None:
    rig.scan(_result(email=0.97))  # applied automatically
    assert atlan_server.tag_names("S3Object", rig.qn()) == ["PII", "PII Email"]
    rig.clock.advance(5)
    atlan_server.remove_tag("S3Object", rig.qn(), "PII Email")
    rig.settle()
    rig.scan(_result(email=0.97, category=0.51))
    decisions = rig.store.decisions_for("s3://lake/exports/customers.csv")
    decision = decisions[("tag", "PII Email", None)]
    assert decision.state is SuggestionState.REJECTED and decision.decided_by == "atlan"
    assert atlan_server.tag_names("S3Object", rig.qn()) == ["PII"]
    rig.scan(_result(email=0.99))
    assert atlan_server.tag_names("S3Object", rig.qn()) == ["PII"]
    assert ("PII Email", "email") not in rig.pending()
    # A tag a person added in Atlan settles the pending suggestion for it.
    rig.clock.advance(5)
    atlan_server.add_tag("S3Object", rig.qn(), "PII Phone")
    rig.settle()
    rig.scan(_result(email=0.99))
    assert ("PII Phone", "phone") not in rig.pending()
    assert rig.store.count(SuggestionFilter(state=SuggestionState.APPLIED, tag="PII Phone")) >= 1
