"""The review API's suggestions: the queue, one suggestion, and single and bulk decisions.

A decision is final: deciding a suggestion that is not pending any more is a 409, and so is
a bulk decision whose confirmed count (``expected``) no longer matches the queue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Path, Query, Request

from models.review import Role, SuggestionFilter, SuggestionState, SuggestionView, User
from worker.core.errors import InvalidDecision
from worker.web.api_deps import who
from worker.web.api_models import (
    DECISION_ERRORS,
    MAX_ID,
    MAX_OFFSET,
    ApproveIn,
    BulkIn,
    BulkOut,
    DecisionOut,
    ErrorOut,
    RejectIn,
    SortParam,
    StateParam,
    SuggestionPage,
)
from worker.web.auth import DecisionConflict, client_address
from worker.web.deps import Review

if TYPE_CHECKING:
    from worker.bootstrap import SqlReviewService
    from worker.services.review.service import DecisionReport

router = APIRouter()

suggestion_id_path = Path(ge=1, le=MAX_ID, description="the suggestion's id")


def decision(review: SqlReviewService, report: DecisionReport, suggestion_id: int) -> DecisionOut:
    """What deciding ``suggestion_id`` did, with the suggestion as it is now."""
    return DecisionOut(
        suggestion=review.store.get(suggestion_id),
        summary=report.summary(),
        applied=report.applied,
        waiting=report.waiting.get(suggestion_id),
    )


def pending(review: SqlReviewService, suggestion_id: int) -> None:
    """Refuse a decision on a suggestion that is not pending.

    :raises SuggestionNotFound: no such suggestion.
    :raises DecisionConflict: it was decided already.
    """
    state = review.store.get(suggestion_id).state
    if state is not SuggestionState.PENDING:
        raise DecisionConflict(
            f"suggestion {suggestion_id} is {state.value}, not pending: a decision is final"
        )


@router.get("/suggestions", response_model=SuggestionPage, responses={400: {"model": ErrorOut}})
def list_suggestions(
    review: Review,
    user: User = who,
    state: StateParam = "pending",
    kind: str | None = None,
    entity: str | None = None,
    tag: str | None = None,
    uri_pattern: str | None = Query(None, description="glob on the URI; else a prefix"),
    min_confidence: float | None = Query(None, ge=0, le=1),
    max_confidence: float | None = Query(None, ge=0, le=1),
    classifier_version: str | None = None,
    object_uri: str | None = None,
    column: str | None = None,
    sort: SortParam = "-confidence",
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    limit: int = Query(50, ge=1, le=500),
) -> SuggestionPage:
    """The review queue: suggestions matching the filters (pending by default)."""
    f = SuggestionFilter(
        state=None if state == "any" else SuggestionState(state),
        kind=kind,
        entity=entity,
        tag=tag,
        uri_pattern=uri_pattern,
        min_confidence=min_confidence,
        max_confidence=max_confidence,
        classifier_version=classifier_version,
        object_uri=object_uri,
        column=column,
    )
    page = review.queue(user, f, sort, offset, limit)
    return SuggestionPage(
        items=list(page.items),
        total=page.total,
        offset=page.offset,
        limit=page.limit,
    )


@router.get(
    "/suggestions/{suggestion_id}",
    response_model=SuggestionView,
    responses={404: {"model": ErrorOut}},
)
def get_suggestion(
    review: Review, suggestion_id: int = suggestion_id_path, user: User = who
) -> SuggestionView:
    """One suggestion, with its decision if any."""
    return review.store.get(suggestion_id)


@router.post(
    "/suggestions/{suggestion_id}/approve",
    response_model=DecisionOut,
    responses=DECISION_ERRORS,
)
def approve(
    request: Request,
    review: Review,
    suggestion_id: int = suggestion_id_path,
    body: ApproveIn | None = None,
    user: User = who,
) -> DecisionOut:
    """Approve a pending suggestion (stewards and admins); Atlan gets it right away."""
    review.require(user, Role.STEWARD)
    pending(review, suggestion_id)
    report = review.approve(
        user, [suggestion_id], body.reason if body else None, client_address(request)
    )
    return decision(review, report, suggestion_id)


@router.post(
    "/suggestions/{suggestion_id}/reject",
    response_model=DecisionOut,
    responses=DECISION_ERRORS,
)
def reject(
    request: Request,
    body: RejectIn,
    review: Review,
    suggestion_id: int = suggestion_id_path,
    user: User = who,
) -> DecisionOut:
    """Reject a pending suggestion with a reason (stewards and admins)."""
    review.require(user, Role.STEWARD)
    pending(review, suggestion_id)
    report = review.reject(user, [suggestion_id], body.reason, client_address(request))
    return decision(review, report, suggestion_id)


@router.post("/suggestions/bulk", response_model=BulkOut, responses=DECISION_ERRORS)
def bulk(request: Request, body: BulkIn, review: Review, user: User = who) -> BulkOut:
    """Approve or reject every pending suggestion the filter selects (one audit entry).

    Send ``dry_run`` first to learn the count, then the decision with ``expected`` set to
    it: if the queue changed meanwhile the decision is refused with 409.
    """
    review.require(user, Role.STEWARD)
    f = body.filter.to_filter()
    approve = body.action == "approve"
    reason = (body.reason or "").strip() or None
    if not approve and reason is None:
        raise InvalidDecision("a rejection needs a reason")
    matched = review.store.count(f)
    if body.dry_run:
        return BulkOut(
            matched=matched,
            decided=0,
            applied=0,
            waiting=0,
            dry_run=True,
            description=f.describe(),
            summary=f"{matched} pending suggestions would be {body.action}d",
        )
    if matched == 0:
        raise DecisionConflict("no pending suggestion matches the filter")
    if body.expected is not None and body.expected != matched:
        raise DecisionConflict(
            f"the queue changed: {matched} suggestions match now, {body.expected} were confirmed"
        )
    try:
        report = review.bulk(user, f, approve, reason, body.expected, client_address(request))
    except InvalidDecision as exc:
        if isinstance(exc, DecisionConflict):
            raise
        raise DecisionConflict(exc.message) from exc
    return BulkOut(
        matched=matched,
        decided=len(report.decided),
        applied=report.applied,
        waiting=len(report.waiting),
        dry_run=False,
        description=f.describe(),
        summary=report.summary(),
    )
